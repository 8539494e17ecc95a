//! `valet-suite`: list, discover and run the suite, writing subunit v2.
//!
//! Exit codes (one place maps outcomes to them, [`exit_code`]):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | every result is a success or a skip (or `list`, `sample-config` or `show-config` printed what it prints, or `serve` stopped on SIGINT/SIGTERM) |
//! | 1 | at least one test or class fixture failed, or `run` selected nothing (as stestr; `--failing` with an empty failing list too); all results are in the stream. `--until-failure` ends only this way: 1 when a run failed |
//! | 2 | a harness error: bad arguments, an unreadable list file, a bad partition or setting, a suite definition Tempest would refuse, a configuration error (below), a stream that could not be written, a `serve` that could not listen, open its store or use its TLS certificate and key, or a run store that could not be opened or could not keep the run (`--failing` and `--partial` need one) |
//! | 5 | a filter regex that does not compile (`--regex`, `--exclude-regex`, or a line of `--include-list`/`--exclude-list`), as stestr (and so `tempest run`) exits for an invalid regex |
//!
//! `run` without `--subunit` writes the same stream into a pipe and shows it through
//! subunit-trace's sink ([`tempest_framework::live`]): stdout is what `valet-suite run --subunit |
//! subunit-trace` prints, and subunit-trace's closing verdict goes to stderr. The exit code is
//! still this table's, so a run whose results are all skips exits 0 where subunit-trace would
//! say "No tests were successful during the run" and exit 1.
//!
//! Configuration (`run`, `discover` and `show-config` read it once, at start): `--config-file`,
//! else `$TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG` (defaults `./etc` and `tempest.conf`), else
//! `/etc/tempest/tempest.conf`, else every option at its default. Unknown sections and keys are
//! warnings on stderr (`valet-suite: warning: FILE:LINE: ...`) and the command goes on. Exit
//! code 2, with the message on stderr, for: a `--config-file` that does not exist, a file that
//! cannot be read or is not UTF-8, a line oslo.config would refuse (`FILE:LINE: ...`), a value
//! its option refuses (`FILE:LINE: [section] key: "value" is not <what was expected>`), a
//! `$reference` that cannot be substituted, or an `OS_TEST_TIMEOUT` that is not a whole number.
//! `sample-config` prints the commented sample configuration of every registered option.
//!
//! Runs kept as they happen: where a store exists (`.stestr/` in the working directory, or
//! `--store DIR`, created there if absent), `run` stores its stream as a new run while it runs,
//! as `stestr run` does (`--no-store` skips it); the store's times deal the classes to the
//! workers so their expected times even out.

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::HashMap;
use subunit_emitter::{Delivery, StreamWriter};
use subunit_runs::store::{LoadOptions, Store, StoreError};
use tempest_framework::config::{Sources, sample};
use tempest_framework::examples::{self, Journal};
use tempest_framework::live::{self, ColorWhen};
use tempest_framework::{
    Config, Filters, Partition, RunOptions, RunSummary, SelectError, Selection, Suite,
};
use valet_cloud::ServerHandle;
use valet_suite::{options, valet_tests};

/// Tempest's lifecycle for the Valet suite, as a subunit v2 test runner.
#[derive(Parser, Debug)]
#[command(name = "valet-suite", version)]
struct Cli {
    /// Which suite: `valet` (the Valet tests; with no identity endpoint configured,
    /// `discover` and `run` test the embedded Valet server), `examples` (the lifecycle
    /// examples), `synthetic:CLASSES:TESTS[:FAIL_EVERY[:SLEEP_MS]]` (every FAIL_EVERY-th test
    /// of a class fails; every test sleeps SLEEP_MS milliseconds first) or
    /// `weighted:CLASSES:TESTS:MAX_MS` (every test of a class sleeps a share of MAX_MS that
    /// differs by class) or `fails-on:N[:COUNTER_FILE]` (a test that fails on its N-th run,
    /// counted in the process or in COUNTER_FILE, beside one that always passes and one that
    /// always fails).
    #[arg(long, global = true, default_value = "valet")]
    suite: String,
    /// The configuration file; else $TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG (defaults ./etc and
    /// tempest.conf), else /etc/tempest/tempest.conf.
    #[arg(long, global = true, value_name = "PATH")]
    config_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the selected test ids, one a line, as `testr list-tests` prints them.
    List {
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Run every test, serially; the subunit v2 stream goes to stdout, messages to stderr.
    Discover,
    /// Run the selected tests, showing each result as it ends (subunit-trace's view of the
    /// stream), or writing the subunit v2 stream itself with --subunit.
    Run {
        #[command(flatten)]
        select: SelectArgs,
        /// Workers; 0 means one per CPU (default: [valet_suite] concurrency).
        #[arg(long, short = 'w')]
        concurrency: Option<usize>,
        /// Run on one worker (same as --concurrency 1).
        #[arg(long, short = 't')]
        serial: bool,
        /// Write the subunit v2 stream to stdout instead of the live trace.
        #[arg(long)]
        subunit: bool,
        #[command(flatten)]
        habits: HabitArgs,
        /// Colour the trace's status words: auto (on a terminal, unless NO_COLOR is set),
        /// always or never; a bare --color means always.
        #[arg(
            long,
            value_enum,
            value_name = "WHEN",
            num_args = 0..=1,
            require_equals = true,
            default_value = "auto",
            default_missing_value = "always",
            conflicts_with = "subunit"
        )]
        color: ColorArg,
    },
    /// Print the commented sample configuration of every registered option, as
    /// oslo-config-generator writes it.
    SampleConfig {
        /// Wrap help text at this many columns (0: do not wrap).
        #[arg(long, default_value_t = sample::DEFAULT_WRAP_WIDTH)]
        wrap_width: usize,
    },
    /// Print the configuration in effect: the file read and every option's value (secrets
    /// hidden), in the shape of oslo.config's log_opt_values.
    ShowConfig,
    /// Run the embedded reference cloud (a Keystone v3 subset, the Valet v1 API, and Heat and
    /// Nova subsets that place servers through Valet, on one port) until Ctrl-C or SIGTERM,
    /// printing its URLs and admin credentials on stderr.
    Serve {
        /// Where to listen (port 0 picks a free one).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// The SQLite database file, created with its schema if absent and kept across
        /// restarts; without it the store is in memory.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// The inventory's racks (each a Nova aggregate).
        #[arg(long, value_name = "N", default_value_t = 4)]
        racks: usize,
        /// The hosts in each rack (16 vCPUs, 32 GiB, 500 GiB each).
        #[arg(long, value_name = "N", default_value_t = 4)]
        hosts_per_rack: usize,
        #[command(flatten)]
        tls: TlsArgs,
    },
}

/// `serve`'s HTTPS: a certificate and key of the operator's, or one made on the spot.
#[derive(Args, Debug)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost, 127.0.0.1, ::1 (and the listen address)
    /// signed by a CA made for this run; the CA's PEM file is written to the temporary
    /// directory, its path printed (for `[identity] ca_certificates_file`), and removed when
    /// the server stops.
    #[arg(long)]
    tls_self_signed: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for ColorWhen {
    fn from(c: ColorArg) -> ColorWhen {
        match c {
            ColorArg::Auto => ColorWhen::Auto,
            ColorArg::Always => ColorWhen::Always,
            ColorArg::Never => ColorWhen::Never,
        }
    }
}

#[derive(Args, Debug)]
struct SelectArgs {
    /// Regexes, split on whitespace; a test runs when any of them is found in its id.
    #[arg(long, short = 'r', conflicts_with = "smoke")]
    regex: Option<String>,
    /// Only the smoke tests (the regex `smoke`).
    #[arg(long, short = 's')]
    smoke: bool,
    /// A file of regexes, one a line (`#` starts a comment), ORed with --regex.
    #[arg(long)]
    include_list: Option<PathBuf>,
    /// A file of regexes, one a line (`#` starts a comment); matching tests do not run.
    #[arg(long)]
    exclude_list: Option<PathBuf>,
    /// A regex; matching tests do not run.
    #[arg(long)]
    exclude_regex: Option<String>,
    /// A file of exact test ids, one a line; only those run.
    #[arg(long)]
    load_list: Option<PathBuf>,
    /// Run one shard: `hash:M/N` (by a hash of the class id) or `slice:M/N` (every Nth class).
    #[arg(long)]
    partition: Option<String>,
}

/// `run`'s stestr habits: the store, rerunning failures, repeating, shuffling.
#[derive(Args, Debug)]
struct HabitArgs {
    /// The directory holding the run store (`DIR/.stestr`, created if absent; or the
    /// `.stestr` directory itself). Default: `./.stestr` when it exists.
    #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
    store: Option<PathBuf>,
    /// Do not record the run, even where a store exists.
    #[arg(long)]
    no_store: bool,
    /// Run only the tests of the store's failing list (ANDed with the other filters).
    #[arg(long)]
    failing: bool,
    /// Merge the results into the store's failing list instead of replacing it: a test that
    /// now passes leaves it, one that did not run stays.
    #[arg(long, conflicts_with = "no_store")]
    partial: bool,
    /// Run the selection again and again until a run fails (then exit 1); each run is
    /// stored, and shown with its own summary.
    #[arg(long)]
    until_failure: bool,
    /// Shuffle the order of the classes, and of the tests in each; the seed is printed on
    /// stderr.
    #[arg(long)]
    random: bool,
    /// Shuffle with this seed (replays a `--random` run; implies --random).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl SelectArgs {
    fn selection(&self, suite: &Suite) -> anyhow::Result<Selection> {
        self.selection_of(suite, Filters::new())
    }

    /// The selection, starting from filters `f` (`--failing`'s list).
    fn selection_of(&self, suite: &Suite, mut f: Filters) -> anyhow::Result<Selection> {
        if let Some(r) = &self.regex {
            f = f.regex(r)?;
        }
        if self.smoke {
            f = f.smoke();
        }
        if let Some(p) = &self.include_list {
            f = f.include_list(&read(p)?, &p.display().to_string())?;
        }
        if let Some(p) = &self.exclude_list {
            f = f.exclude_list(&read(p)?, &p.display().to_string())?;
        }
        if let Some(r) = &self.exclude_regex {
            f = f.exclude_regex(r)?;
        }
        if let Some(p) = &self.load_list {
            f = f.load_list(&read(p)?);
        }
        let mut selection = f.select(suite);
        if let Some(p) = &self.partition {
            selection = p.parse::<Partition>()?.apply(suite, selection);
        }
        Ok(selection)
    }
}

/// The `:`-separated numbers of a `--suite` spec.
fn numbers(rest: &str, spec: &str, expected: &str) -> anyhow::Result<Vec<u64>> {
    rest.split(':')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("--suite {spec}: expected {expected}"))
}

fn load_suite(spec: &str) -> anyhow::Result<Suite> {
    if spec == "valet" {
        return Ok(valet_tests::suite(Arc::new(
            valet_tests::Environment::new(),
        ))?);
    }
    if spec == "examples" {
        return Ok(examples::suite(&Journal::new())?);
    }
    const SYNTHETIC: &str = "synthetic:CLASSES:TESTS[:FAIL_EVERY[:SLEEP_MS]]";
    if let Some(rest) = spec.strip_prefix("synthetic:") {
        let n = numbers(rest, spec, SYNTHETIC)?;
        let size = |v: u64| usize::try_from(v).context("--suite: a number too large");
        let (c, t, f, ms) = match n[..] {
            [c, t] => (c, t, 0, 0),
            [c, t, f] => (c, t, f, 0),
            [c, t, f, ms] => (c, t, f, ms),
            _ => bail!("--suite {spec}: expected {SYNTHETIC}"),
        };
        return Ok(examples::synthetic_slow(
            size(c)?,
            size(t)?,
            size(f)?,
            Duration::from_millis(ms),
        )?);
    }
    const WEIGHTED: &str = "weighted:CLASSES:TESTS:MAX_MS";
    if let Some(rest) = spec.strip_prefix("weighted:") {
        let n = numbers(rest, spec, WEIGHTED)?;
        let [c, t, ms] = n[..] else {
            bail!("--suite {spec}: expected {WEIGHTED}");
        };
        let size = |v: u64| usize::try_from(v).context("--suite: a number too large");
        return Ok(examples::synthetic_weighted(
            size(c)?,
            size(t)?,
            Duration::from_millis(ms),
        )?);
    }
    const FAILS_ON: &str = "fails-on:N[:COUNTER_FILE]";
    if let Some(rest) = spec.strip_prefix("fails-on:") {
        let (n, counter) = match rest.split_once(':') {
            Some((n, file)) => (n, Some(PathBuf::from(file))),
            None => (rest, None),
        };
        let n = n
            .parse()
            .with_context(|| format!("--suite {spec}: expected {FAILS_ON}"))?;
        return Ok(examples::fails_on(n, counter)?);
    }
    bail!("unknown suite {spec:?}: expected valet, examples, {SYNTHETIC}, {WEIGHTED} or {FAILS_ON}")
}

/// What the Valet suite tests: the configured cloud, or, when no identity endpoint is
/// configured, the embedded server started here (said on stderr) and kept until the handle
/// drops. Other suites reach no service.
fn target(spec: &str, config: Config) -> anyhow::Result<(Config, Option<ServerHandle>)> {
    if spec != "valet" {
        return Ok((config, None));
    }
    let prepared = valet_tests::target::prepare(config, valet_tests::target::embedded_options())?;
    if let Some(server) = &prepared.server {
        eprintln!(
            "valet-suite: no identity endpoint configured ([identity] uri_v3): testing the \
             embedded Valet server at {} (Keystone at {})",
            server.valet_url(),
            server.identity_url()
        );
    }
    Ok((prepared.config, prepared.server))
}

/// The configuration, read once at start: the file Tempest's rule finds, and `OS_TEST_TIMEOUT`.
/// Unknown sections and keys are reported on stderr.
fn load_config(config_file: Option<PathBuf>) -> anyhow::Result<Config> {
    let loaded = options::load(&Sources::from_env(config_file)?)?;
    for w in &loaded.warnings {
        eprintln!("valet-suite: warning: {w}");
    }
    Ok(loaded.config)
}

enum Outcome {
    Listed,
    Printed,
    Ran(RunSummary),
    NothingSelected,
    Served,
}

/// The one place outcomes become exit codes.
fn exit_code(result: &anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Listed | Outcome::Printed | Outcome::Served) => ExitCode::SUCCESS,
        Ok(Outcome::Ran(s)) if s.passed() => ExitCode::SUCCESS,
        Ok(Outcome::Ran(_)) | Ok(Outcome::NothingSelected) => ExitCode::from(1),
        Err(e) if is_broken_pipe(e) => ExitCode::SUCCESS,
        Err(e) if is_invalid_regex(e) => ExitCode::from(5),
        Err(_) => ExitCode::from(2),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A filter regex that does not compile: stestr's `selection` exits 5 for it.
fn is_invalid_regex(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<SelectError>(),
            Some(SelectError::InvalidRegex { .. })
        )
    })
}

fn log_to_stderr() -> Arc<dyn Fn(&str) + Send + Sync> {
    Arc::new(|m: &str| eprintln!("{m}"))
}

/// `serve`'s certificate, and the CA PEM to write when it made its own.
fn serve_tls(
    tls: &TlsArgs,
    listen: std::net::SocketAddr,
) -> anyhow::Result<(Option<valet_cloud::TlsIdentity>, Option<String>)> {
    if let (Some(cert), Some(key)) = (&tls.tls_cert, &tls.tls_key) {
        return Ok((
            Some(valet_cloud::TlsIdentity::from_pem_files(cert, key)?),
            None,
        ));
    }
    if !tls.tls_self_signed {
        return Ok((None, None));
    }
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
    let ip = listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    let made = valet_cloud::TlsIdentity::self_signed(&names)?;
    eprintln!(
        "valet-suite: TLS: a self-signed certificate for {}",
        names.join(", ")
    );
    Ok((Some(made.identity), Some(made.ca_pem)))
}

/// `serve`: the embedded server until SIGINT or SIGTERM.
fn serve(
    listen: std::net::SocketAddr,
    db: Option<PathBuf>,
    (racks, hosts_per_rack): (usize, usize),
    tls: &TlsArgs,
) -> anyhow::Result<Outcome> {
    let (identity, ca_pem) = serve_tls(tls, listen)?;
    let opts = valet_cloud::ServerOptions {
        listen,
        db: db.clone(),
        inventory: valet_cloud::Inventory::grid(racks, hosts_per_rack, 16, 32_768, 500),
        tls: identity,
        ..valet_cloud::ServerOptions::default()
    };
    let admin = opts.admin.clone();
    let signals = valet_cloud::ShutdownSignals::catch()?;
    let server = valet_cloud::start(opts)?;
    let ca_file = match ca_pem {
        Some(pem) => {
            let path = std::env::temp_dir().join(format!(
                "valet-suite-serve-{}-{}-ca.pem",
                std::process::id(),
                server.addr().port()
            ));
            std::fs::write(&path, pem)
                .with_context(|| format!("writing the CA certificate {}", path.display()))?;
            eprintln!(
                "valet-suite: TLS: its CA certificate: {} (set [identity] ca_certificates_file \
                 to it)",
                path.display()
            );
            Some(path)
        }
        None => None,
    };
    let store = db.map_or_else(|| "in memory".to_string(), |p| p.display().to_string());
    eprintln!("valet-suite: {}", server.reach());
    eprintln!(
        "valet-suite: identity (Keystone v3): {}",
        server.identity_url()
    );
    eprintln!(
        "valet-suite: valet (catalog type placement): {}",
        server.valet_url()
    );
    eprintln!(
        "valet-suite: admin credentials: username {} password {} project {} domain {}",
        admin.username, admin.password, admin.project, admin.domain
    );
    eprintln!("valet-suite: store: {store}; serving until Ctrl-C or SIGTERM");
    signals.wait();
    server.shutdown();
    if let Some(path) = ca_file {
        let _ = std::fs::remove_file(path);
    }
    eprintln!("valet-suite: server stopped");
    Ok(Outcome::Served)
}

fn main_inner(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::List { select } => {
            let suite = load_suite(&cli.suite)?;
            let selection = select.selection(&suite)?;
            let mut out = std::io::stdout().lock();
            for id in selection.test_ids(&suite) {
                writeln!(out, "{id}")?;
            }
            out.flush()?;
            Ok(Outcome::Listed)
        }
        Command::SampleConfig { wrap_width } => {
            let registry = options::registry()?;
            let mut out = std::io::stdout().lock();
            out.write_all(sample::generate(&registry, wrap_width).as_bytes())?;
            out.flush()?;
            Ok(Outcome::Printed)
        }
        Command::Serve {
            listen,
            db,
            racks,
            hosts_per_rack,
            tls,
        } => serve(listen, db, (racks, hosts_per_rack), &tls),
        Command::ShowConfig => {
            let config = load_config(cli.config_file)?;
            let mut out = std::io::stdout().lock();
            out.write_all(config.describe().as_bytes())?;
            out.flush()?;
            Ok(Outcome::Printed)
        }
        Command::Discover => {
            let suite = load_suite(&cli.suite)?;
            let (config, _server) = target(&cli.suite, load_config(cli.config_file)?)?;
            let opts = RunOptions {
                timeout: config.test_timeout()?,
                log: log_to_stderr(),
                ..RunOptions::default()
            };
            let writer = StreamWriter::stdout().context("opening stdout")?;
            let summary = tempest_framework::run(
                &suite,
                &Selection::all(&suite),
                Arc::new(config),
                &writer,
                &opts,
            )?;
            writer.finish()?;
            Ok(Outcome::Ran(summary))
        }
        Command::Run {
            select,
            concurrency,
            serial,
            subunit,
            habits,
            color,
        } => {
            let suite = load_suite(&cli.suite)?;
            let config = load_config(cli.config_file)?;
            let store = open_store(&habits)?;
            let mut filters = Filters::new();
            if habits.failing {
                let Some(store) = &store else {
                    bail!("--failing needs a run store (./.stestr, or --store DIR)");
                };
                let ids = store.failing_ids()?;
                if ids.is_empty() {
                    eprintln!(
                        "valet-suite: no failing tests in {}",
                        store.base().display()
                    );
                    return Ok(Outcome::NothingSelected);
                }
                filters = filters.only(ids);
            }
            if habits.partial && store.is_none() {
                bail!("--partial needs a run store (./.stestr, or --store DIR)");
            }
            let selection = select.selection_of(&suite, filters)?;
            if selection.is_empty() {
                eprintln!("valet-suite: no test matches the selection");
                return Ok(Outcome::NothingSelected);
            }
            let (config, _server) = target(&cli.suite, config)?;
            let workers = match (serial, concurrency) {
                (true, _) => 1,
                (false, Some(n)) => n,
                (false, None) => config.concurrency()?,
            };
            let workers = if workers == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                workers
            };
            let opts = RunOptions {
                concurrency: workers,
                worker_tags: true,
                route_codes: workers > 1,
                timeout: config.test_timeout()?,
                log: log_to_stderr(),
                ..RunOptions::default()
            };
            let run = Run {
                suite: &suite,
                config: Arc::new(config),
                subunit,
                color: color.into(),
                store: store.as_ref(),
                partial: habits.partial,
            };
            let seed = (habits.random || habits.seed.is_some()).then(|| {
                habits.seed.unwrap_or_else(|| {
                    let t = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    t.as_secs() ^ u64::from(t.subsec_nanos()) << 20 ^ u64::from(std::process::id())
                })
            });
            for iteration in 1u64.. {
                if habits.until_failure {
                    eprintln!("valet-suite: --until-failure: run {iteration}");
                }
                let selection = match seed {
                    Some(seed) => {
                        // Each repetition its own order, each replayable on its own.
                        let seed = seed.wrapping_add(iteration - 1);
                        eprintln!(
                            "valet-suite: random order, seed {seed} (--seed {seed} replays it)"
                        );
                        selection.clone().shuffled(seed)
                    }
                    None => selection.clone(),
                };
                let mut opts = RunOptions {
                    times: HashMap::new(),
                    log: Arc::clone(&opts.log),
                    ..opts
                };
                if let Some(store) = run.store {
                    opts.times = store.times()?;
                }
                let summary = run.once(&selection, &opts)?;
                if !habits.until_failure || !summary.passed() {
                    return Ok(Outcome::Ran(summary));
                }
            }
            unreachable!("the loop returns")
        }
    }
}

/// Where `run` keeps its runs: `--store DIR` (created there if absent), else `./.stestr` if
/// it exists; none with `--no-store`.
fn open_store(habits: &HabitArgs) -> anyhow::Result<Option<Store>> {
    if habits.no_store {
        return Ok(None);
    }
    match &habits.store {
        Some(dir) => match Store::open(dir) {
            Err(StoreError::NotFound(_)) => {
                let create = || -> anyhow::Result<Store> {
                    std::fs::create_dir_all(dir)?;
                    Ok(Store::init(dir)?)
                };
                Ok(Some(create().with_context(|| {
                    format!("creating a run store in {}", dir.display())
                })?))
            }
            other => Ok(Some(other.with_context(|| {
                format!("opening the run store in {}", dir.display())
            })?)),
        },
        None => match Store::open(Path::new(".")) {
            Ok(store) => Ok(Some(store)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e).context("opening the run store in ."),
        },
    }
}

/// One `run` command's settings, for each of its runs.
struct Run<'a> {
    suite: &'a Suite,
    config: Arc<Config>,
    subunit: bool,
    color: ColorWhen,
    store: Option<&'a Store>,
    partial: bool,
}

impl Run<'_> {
    /// Runs `selection` once: the stream to stdout (`--subunit`) or through the live trace,
    /// and, with a store, into the store as it is written (a pipe read by a thread that
    /// stores it, as `stestr run` loads its workers' streams).
    fn once(&self, selection: &Selection, opts: &RunOptions) -> anyhow::Result<RunSummary> {
        // The output first: when it cannot be opened, nothing is stored.
        let output = if self.subunit {
            let out = StreamWriter::stdout().context("opening stdout")?;
            let delivery = out.delivery();
            Output::Subunit(out.finish()?, delivery)
        } else {
            Output::Live(Box::new(
                live::stdout_trace(self.color)
                    .context("opening stdout")?
                    .with_progress(Box::new(subunit_progress::Progress::stderr_if_terminal())),
            ))
        };
        std::thread::scope(|s| {
            let (copy, recorder) = match self.store {
                Some(store) => {
                    let (reader, writer) =
                        io::pipe().context("making the pipe to the run store")?;
                    let partial = self.partial;
                    let recorder = s.spawn(move || {
                        let opts = LoadOptions {
                            partial,
                            ..LoadOptions::default()
                        };
                        let input = vec![(PathBuf::from("valet-suite run"), reader)];
                        store.load_with(input, &opts, |_| Ok(()))
                    });
                    (Some(writer), Some(recorder))
                }
                None => (None, None),
            };
            // Dropping the copy (at the end of the run) ends the store's stream.
            let copy = OptionalWriter(copy);
            let config = Arc::clone(&self.config);
            let ran = match output {
                Output::Subunit(file, delivery) => {
                    let writer = StreamWriter::new(live::Tee::new(file, copy), delivery);
                    let ran = tempest_framework::run(self.suite, selection, config, &writer, opts);
                    let finished = writer.finish().map(|tee| drop(tee.into_first()));
                    ran.map_err(anyhow::Error::from)
                        .and_then(|s| finished.map(|()| s).map_err(anyhow::Error::from))
                }
                Output::Live(trace) => live::run_traced_copy(
                    self.suite,
                    selection,
                    config,
                    opts,
                    *trace,
                    io::stderr(),
                    copy,
                )
                .map(|t| t.summary)
                .map_err(anyhow::Error::from),
            };
            if let (Some(store), Some(recorder)) = (self.store, recorder) {
                let loaded = recorder
                    .join()
                    .map_err(|_| anyhow::anyhow!("the run store's thread died"))?
                    .with_context(|| format!("keeping the run in {}", store.base().display()))?;
                eprintln!(
                    "valet-suite: stored as run {} in {} ({} failing)",
                    loaded.id,
                    store.base().display(),
                    loaded.failing
                );
            }
            ran
        })
    }
}

/// Where a run's stream is shown.
enum Output {
    /// The stream itself, on stdout.
    Subunit(std::fs::File, Delivery),
    /// The live trace.
    Live(Box<live::Trace<std::io::BufWriter<std::fs::File>>>),
}

/// A writer that may be absent (then it takes everything and keeps nothing).
struct OptionalWriter<W>(Option<W>);

impl<W: Write> Write for OptionalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Some(w) => w.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.as_mut().map_or(Ok(()), Write::flush)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = main_inner(cli);
    if let Err(e) = &result
        && !is_broken_pipe(e)
    {
        eprintln!("valet-suite: {e:#}");
    }
    exit_code(&result)
}
