//! `valet-suite`: list, discover and run the suite, writing subunit v2.
//!
//! Exit codes (one place maps outcomes to them, [`exit_code`]):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | every result is a success or a skip (or `list`, `sample-config` or `show-config` printed what it prints) |
//! | 1 | at least one test or class fixture failed, or `run` selected nothing (as stestr); all results are in the stream |
//! | 2 | a harness error: bad arguments, an unreadable list file, a bad partition or setting, a suite definition Tempest would refuse, a configuration error (below), or a stream that could not be written |
//! | 5 | a filter regex that does not compile (`--regex`, `--exclude-regex`, or a line of `--include-list`/`--exclude-list`), as stestr (and so `tempest run`) exits for an invalid regex |
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

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use subunit_emitter::{Delivery, Status, StreamWriter};
use valet_suite::config::{self, Sources, sample};
use valet_suite::examples::{self, Journal};
use valet_suite::{
    Config, Filters, Finished, Partition, RunOptions, RunSummary, SelectError, Selection, Suite,
};

/// Tempest's lifecycle for the Valet suite, as a subunit v2 test runner.
#[derive(Parser, Debug)]
#[command(name = "valet-suite", version)]
struct Cli {
    /// Which suite: `examples` (the lifecycle examples) or `synthetic:CLASSES:TESTS[:FAIL_EVERY]`.
    #[arg(long, global = true, default_value = "examples")]
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
    /// Run the selected tests.
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

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl SelectArgs {
    fn selection(&self, suite: &Suite) -> anyhow::Result<Selection> {
        let mut f = Filters::new();
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

fn load_suite(spec: &str) -> anyhow::Result<Suite> {
    if spec == "examples" {
        return Ok(examples::suite(&Journal::new())?);
    }
    if let Some(rest) = spec.strip_prefix("synthetic:") {
        let n: Vec<usize> = rest
            .split(':')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| {
                format!("--suite {spec}: expected synthetic:CLASSES:TESTS[:FAIL_EVERY]")
            })?;
        return match n[..] {
            [c, t] => Ok(examples::synthetic(c, t, 0)?),
            [c, t, f] => Ok(examples::synthetic(c, t, f)?),
            _ => bail!("--suite {spec}: expected synthetic:CLASSES:TESTS[:FAIL_EVERY]"),
        };
    }
    bail!("unknown suite {spec:?}: expected examples or synthetic:CLASSES:TESTS[:FAIL_EVERY]")
}

/// The configuration, read once at start: the file Tempest's rule finds, and `OS_TEST_TIMEOUT`.
/// Unknown sections and keys are reported on stderr.
fn load_config(config_file: Option<PathBuf>) -> anyhow::Result<Config> {
    let loaded = config::load(&Sources::from_env(config_file)?)?;
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
}

/// The one place outcomes become exit codes.
fn exit_code(result: &anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Listed | Outcome::Printed) => ExitCode::SUCCESS,
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

/// The interim live view: one line per result, in subunit-trace's shape, and totals. To be
/// replaced by the trace crate's live sink reading the stream.
fn live_line(f: &Finished) {
    let word = match f.status {
        Status::Success => "ok",
        Status::Skip => "SKIPPED",
        Status::XFail => "xfail",
        Status::UxSuccess => "UXSUCCESS",
        _ => "FAILED",
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{{{}}} {} [{:.6}s] ... {word}",
        f.worker,
        f.id,
        f.duration.as_secs_f64()
    );
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
            let registry = config::builtin_registry()?;
            let mut out = std::io::stdout().lock();
            out.write_all(sample::generate(&registry, wrap_width).as_bytes())?;
            out.flush()?;
            Ok(Outcome::Printed)
        }
        Command::ShowConfig => {
            let config = load_config(cli.config_file)?;
            let mut out = std::io::stdout().lock();
            out.write_all(config.describe().as_bytes())?;
            out.flush()?;
            Ok(Outcome::Printed)
        }
        Command::Discover => {
            let suite = load_suite(&cli.suite)?;
            let config = load_config(cli.config_file)?;
            let opts = RunOptions {
                timeout: config.test_timeout()?,
                log: log_to_stderr(),
                ..RunOptions::default()
            };
            let writer = StreamWriter::stdout().context("opening stdout")?;
            let summary = valet_suite::run(
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
        } => {
            let suite = load_suite(&cli.suite)?;
            let config = load_config(cli.config_file)?;
            let selection = select.selection(&suite)?;
            if selection.is_empty() {
                eprintln!("valet-suite: no test matches the selection");
                return Ok(Outcome::NothingSelected);
            }
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
            let mut opts = RunOptions {
                concurrency: workers,
                worker_tags: true,
                route_codes: workers > 1,
                timeout: config.test_timeout()?,
                log: log_to_stderr(),
                ..RunOptions::default()
            };
            let config = Arc::new(config);
            let summary = if subunit {
                let writer = StreamWriter::stdout().context("opening stdout")?;
                let s = valet_suite::run(&suite, &selection, config, &writer, &opts)?;
                writer.finish()?;
                s
            } else {
                opts.observer = Some(Arc::new(live_line));
                let writer = StreamWriter::new(std::io::sink(), Delivery::Live);
                let s = valet_suite::run(&suite, &selection, config, &writer, &opts)?;
                let n = |st| s.counts.get(&st).copied().unwrap_or(0);
                println!(
                    "\nTotals\n======\nRan: {} tests\n - Passed: {}\n - Skipped: {}\n - Failed: {}",
                    s.results,
                    n(Status::Success),
                    n(Status::Skip),
                    n(Status::Fail) + n(Status::UxSuccess)
                );
                s
            };
            Ok(Outcome::Ran(summary))
        }
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
