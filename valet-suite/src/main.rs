//! `valet-suite`: list, discover and run the suite, writing subunit v2.
//!
//! Exit codes (one place maps outcomes to them, [`exit_code`]):
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | every result is a success or a skip (or `list` printed the ids) |
//! | 1 | at least one test or class fixture failed, or `run` selected nothing (as stestr); all results are in the stream |
//! | 2 | a harness error: bad arguments, an unreadable list file, a bad regex, partition or setting, a suite definition Tempest would refuse, or a stream that could not be written |

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use subunit_emitter::{Delivery, Status, StreamWriter};
use valet_suite::examples::{self, Journal};
use valet_suite::{Config, Filters, Finished, Partition, RunOptions, RunSummary, Selection, Suite};

/// Tempest's lifecycle for the Valet suite, as a subunit v2 test runner.
#[derive(Parser, Debug)]
#[command(name = "valet-suite", version)]
struct Cli {
    /// Which suite: `examples` (the lifecycle examples) or `synthetic:CLASSES:TESTS[:FAIL_EVERY]`.
    #[arg(long, global = true, default_value = "examples")]
    suite: String,
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
        /// Workers; 0 means one per CPU.
        #[arg(long, short = 'w', default_value_t = 0)]
        concurrency: usize,
        /// Run on one worker (same as --concurrency 1).
        #[arg(long, short = 't')]
        serial: bool,
        /// Write the subunit v2 stream to stdout instead of the live trace.
        #[arg(long)]
        subunit: bool,
    },
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

/// The configuration read once at start. For now: `OS_TEST_TIMEOUT` (seconds) from the
/// environment; `tempest.conf` comes with the configuration work.
fn load_config() -> anyhow::Result<Config> {
    let mut config = Config::new();
    if let Ok(v) = std::env::var("OS_TEST_TIMEOUT") {
        config.set("valet_suite", "test_timeout", &v);
    }
    config.test_timeout().context("OS_TEST_TIMEOUT")?;
    Ok(config)
}

enum Outcome {
    Listed,
    Ran(RunSummary),
    NothingSelected,
}

/// The one place outcomes become exit codes.
fn exit_code(result: &anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Listed) => ExitCode::SUCCESS,
        Ok(Outcome::Ran(s)) if s.passed() => ExitCode::SUCCESS,
        Ok(Outcome::Ran(_)) | Ok(Outcome::NothingSelected) => ExitCode::from(1),
        Err(e) if is_broken_pipe(e) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
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
    let suite = load_suite(&cli.suite)?;
    match cli.command {
        Command::List { select } => {
            let selection = select.selection(&suite)?;
            let mut out = std::io::stdout().lock();
            for id in selection.test_ids(&suite) {
                writeln!(out, "{id}")?;
            }
            out.flush()?;
            Ok(Outcome::Listed)
        }
        Command::Discover => {
            let config = load_config()?;
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
            let config = load_config()?;
            let selection = select.selection(&suite)?;
            if selection.is_empty() {
                eprintln!("valet-suite: no test matches the selection");
                return Ok(Outcome::NothingSelected);
            }
            let workers = if serial {
                1
            } else if concurrency == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                concurrency
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
