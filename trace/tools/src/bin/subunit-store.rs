//! `subunit-store`: a store of test runs in stestr's repository layout (`.stestr/`), with
//! stestr's commands (`init`, `load`, `last`, `failing`, `slowest`, `history`) and outputs,
//! its exit-code bugs fixed.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use subunit_emitter::PacketRef;
use subunit_runs::compare::store_cmds::{FlakyOptions, TestHistoryOptions};
use subunit_runs::store::report::{
    HistoryCollector, IdCollector, RunSummary, TestrResult, summarize, write_history, write_slowest,
};
use subunit_runs::store::{LoadOptions, Store, StoreError};
use subunit_sinks::Verdict;
use subunit_sinks::python::write_reencoded;
use subunit_sinks::trace::{Trace, TraceOptions, cleanup_test_name};
use subunit_tools::cli::{self, ColorArg, OutputFile};

const EXIT_CODES: &str = "\
Exit status:
  0  success (also when the reader of the output goes away)
  1  the run shown or loaded failed; `failing`: some test is failing
  2  the tool could not work: no repository, a corrupt one, a missing run or file, bad
     arguments";

/// Store subunit test runs in a stestr repository (.stestr/) and look at them.
#[derive(Debug, Parser)]
#[command(name = "subunit-store", version, after_help = EXIT_CODES)]
struct Args {
    /// The directory holding the repository (.stestr/ in it)
    #[arg(
        short = 'C',
        long = "dir",
        value_name = "DIR",
        default_value = ".",
        global = true
    )]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an empty repository
    Init,
    /// Store subunit v2 streams (stdin, or files read one after another) as one new run
    Load(LoadArgs),
    /// Show the latest run
    Last(ShowArgs),
    /// Show the tests that failed in the latest run
    Failing(FailingArgs),
    /// Show the slowest tests of the latest run
    Slowest {
        /// Show every test with a recorded time, not only the top ten
        #[arg(long)]
        all: bool,
    },
    /// List, show or remove stored runs
    #[command(subcommand)]
    History(History),
    /// List the tests that both passed and failed on the same code (exit 1 when any)
    Flaky(FlakyArgs),
    /// Write a run (the latest by default) as one self-contained HTML page, with the run
    /// history, the flaky tests and each failing test's history
    Report {
        /// The run to show
        run_id: Option<String>,
        /// The page to write
        #[arg(short, long, default_value = "report.html")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum History {
    /// List the stored runs
    List {
        /// Show each run's metadata too
        #[arg(long)]
        show_metadata: bool,
    },
    /// Show a stored run (default: the latest)
    Show {
        /// The run id
        run_id: Option<String>,
        #[command(flatten)]
        show: ShowArgs,
    },
    /// Remove a stored run, or every run with `all`
    Remove {
        /// The run id, or `all`
        run_id: String,
    },
    /// Show one test's status and time over the stored runs
    Test(TestHistoryArgs),
}

#[derive(Debug, ClapArgs)]
struct LoadArgs {
    /// Metadata to store with the run (shown by `history list --show-metadata`)
    #[arg(short = 'm', long)]
    metadata: Option<String>,
    /// Create the repository if there is none
    #[arg(long)]
    force_init: bool,
    /// Append the stream to stored run N instead of storing a new run (the failing list
    /// becomes run N's failures, old and new)
    #[arg(short = 'i', long = "id", value_name = "N")]
    id: Option<String>,
    /// Merge the results into the failing list instead of replacing it: a failure is added,
    /// a test that now passes leaves it, one that did not run stays
    #[arg(long)]
    partial: bool,
    /// Echo the loaded stream as subunit v2 on stdout (as python-subunit reads it) instead of a
    /// summary; exit 0 whatever the results, as stestr
    #[arg(long)]
    subunit: bool,
    /// Show the run through subunit-trace instead of the testr-style summary
    #[arg(long)]
    subunit_trace: bool,
    #[command(flatten)]
    trace: TraceArgs,
    /// Subunit v2 streams (default: stdin; `-` is stdin)
    files: Vec<PathBuf>,
}

#[derive(Debug, ClapArgs)]
struct ShowArgs {
    /// Write the run as a subunit v2 stream (exit 0 whatever the results, as stestr)
    #[arg(long, conflicts_with = "no_subunit_trace")]
    subunit: bool,
    /// The testr-style summary, with the change from the run before, instead of subunit-trace
    #[arg(long)]
    no_subunit_trace: bool,
    #[command(flatten)]
    trace: TraceArgs,
}

#[derive(Debug, ClapArgs)]
struct TraceArgs {
    /// Colour subunit-trace's output: auto, always or never (a bare --color means always)
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_value = "never",
        default_missing_value = "always"
    )]
    color: ColorArg,
    /// One character per test
    #[arg(long)]
    abbreviate: bool,
    /// No attachments under successful tests
    #[arg(long, conflicts_with = "all_attachments")]
    suppress_attachments: bool,
    /// Every text attachment under successful tests
    #[arg(long)]
    all_attachments: bool,
    /// Binary attachments too
    #[arg(long)]
    show_binary_attachments: bool,
}

#[derive(Debug, ClapArgs)]
struct FailingArgs {
    /// Only the failing test ids, one per line
    #[arg(long, conflicts_with = "subunit")]
    list: bool,
    /// The failing tests as a subunit v2 stream
    #[arg(long)]
    subunit: bool,
}

/// `subunit-store flaky`.
#[derive(Debug, ClapArgs)]
struct FlakyArgs {
    /// Only these runs (default: every stored run)
    #[arg(value_name = "RUN_ID")]
    runs: Vec<String>,
}

/// `subunit-store history test`.
#[derive(Debug, ClapArgs)]
struct TestHistoryArgs {
    /// The test id
    test_id: String,
    /// Only the last N runs
    #[arg(long, value_name = "N")]
    last: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-store", || Ok(command(args)?))
}

fn command(args: Args) -> Result<Verdict, StoreError> {
    let dir = args.dir;
    match args.command {
        Command::Init => {
            Store::init(&dir)?;
            Ok(Verdict::Passed)
        }
        Command::Load(load) => cmd_load(&dir, load),
        Command::Last(show) => {
            let store = Store::open(&dir)?;
            let id = store.latest_id()?.ok_or(StoreError::NoRuns)?;
            show_run(&store, id, &show)
        }
        Command::Failing(f) => cmd_failing(&dir, &f),
        Command::Slowest { all } => {
            let store = Store::open(&dir)?;
            let id = store.latest_id()?.ok_or(StoreError::NoRuns)?;
            let mut ids = IdCollector::default();
            store.read_run(id, |ev| {
                ids.event(ev);
                Ok(())
            })?;
            let times = store.times()?;
            let known: Vec<(String, f64)> = ids
                .finish()
                .into_iter()
                .filter_map(|t| {
                    let v = *times.get(cleanup_test_name(&t).as_ref())?;
                    Some((t, v))
                })
                .collect();
            let mut out = stdout();
            write_slowest(&mut out, known, all)?;
            out.flush()?;
            Ok(Verdict::Passed)
        }
        Command::History(History::List { show_metadata }) => {
            let store = Store::open(&dir)?;
            let mut rows = Vec::new();
            for id in store.run_ids()? {
                let mut c = HistoryCollector::default();
                store.read_run(id, |ev| {
                    c.event(ev);
                    Ok(())
                })?;
                let meta = if show_metadata {
                    store.metadata(id)?
                } else {
                    None
                };
                rows.push(c.finish(id, meta));
            }
            let mut out = stdout();
            write_history(&mut out, &rows, show_metadata)?;
            out.flush()?;
            Ok(Verdict::Passed)
        }
        Command::History(History::Show { run_id, show }) => {
            let store = Store::open(&dir)?;
            let id = match run_id {
                Some(text) => store.parse_id(&text)?,
                None => store.latest_id()?.ok_or(StoreError::NoRuns)?,
            };
            show_run(&store, id, &show)
        }
        Command::Report { run_id, output } => {
            let store = Store::open(&dir)?;
            let id = run_id.map(|t| store.parse_id(&t)).transpose()?;
            let io_error = |source| StoreError::Io {
                path: output.clone(),
                source,
            };
            let mut out = OutputFile::create(&output, true).map_err(io_error)?;
            subunit_runs::page::store_report(&store, id, &mut out)?;
            out.commit().map_err(io_error)?;
            Ok(Verdict::Passed)
        }
        Command::Flaky(a) => {
            subunit_runs::compare::store_cmds::cmd_flaky(&dir, &FlakyOptions { runs: a.runs })
        }
        Command::History(History::Test(a)) => {
            let opts = TestHistoryOptions {
                test_id: a.test_id,
                last: a.last,
            };
            subunit_runs::compare::store_cmds::cmd_test_history(&dir, &opts)?;
            Ok(Verdict::Passed)
        }
        Command::History(History::Remove { run_id }) => {
            let store = Store::open(&dir)?;
            if run_id == "all" {
                for id in store.run_ids()? {
                    store.remove(id)?;
                }
            } else {
                let id = store.parse_id(&run_id)?;
                store.remove(id)?;
            }
            Ok(Verdict::Passed)
        }
    }
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

fn trace_options(t: &TraceArgs) -> TraceOptions {
    TraceOptions {
        post_fails: true,
        abbreviate: t.abbreviate,
        color: t.color.0.resolve_for_stdout(),
        success_attachments: cli::success_attachments(t.suppress_attachments, t.all_attachments),
        show_binary_attachments: t.show_binary_attachments,
        ..TraceOptions::default()
    }
}

/// The summary of the run before `id` (stestr: the id one less), when it is stored.
fn previous_summary(store: &Store, id: u64) -> Result<Option<RunSummary>, StoreError> {
    match id.checked_sub(1) {
        Some(p) if store.has_run(p) => summarize(store, p).map(Some),
        _ => Ok(None),
    }
}

/// `last` and `history show`.
fn show_run(store: &Store, id: u64, show: &ShowArgs) -> Result<Verdict, StoreError> {
    if !store.has_run(id) {
        return Err(StoreError::NoSuchRun(id.to_string()));
    }
    if show.subunit {
        let mut out = stdout();
        store.write_v2(id, &mut out)?;
        out.flush()?;
        return Ok(Verdict::Passed);
    }
    if show.no_subunit_trace {
        let previous = previous_summary(store, id)?;
        let mut result = TestrResult::new(stdout());
        store.read_run(id, |ev| result.event(ev))?;
        let summary = result.finish(id, previous.as_ref())?;
        return Ok(Verdict::passed_if(summary.successful()));
    }
    let mut trace = Trace::new(stdout(), trace_options(&show.trace));
    store.read_run(id, |ev| trace.event(ev))?;
    let (code, _) = trace.finish(&mut io::stderr().lock())?;
    Ok(code)
}

fn cmd_load(dir: &Path, load: LoadArgs) -> Result<Verdict, StoreError> {
    let store = match Store::open(dir) {
        Err(StoreError::NotFound(_)) if load.force_init => Store::init(dir)?,
        other => other?,
    };
    let opts = LoadOptions {
        metadata: load.metadata.as_deref(),
        id: load.id.as_deref().map(|t| store.parse_id(t)).transpose()?,
        partial: load.partial,
    };
    let inputs = open_inputs(&load.files)?;
    if load.subunit {
        let mut out = stdout();
        let mut buf = Vec::new();
        store.load_with(inputs, &opts, |ev| {
            write_reencoded(ev, &mut out, &mut buf).map_err(|e| match e {
                subunit_sinks::Error::Io(e) => e,
                other => io::Error::other(other.to_string()),
            })
        })?;
        out.flush()?;
        return Ok(Verdict::Passed);
    }
    if load.subunit_trace {
        let mut trace = Trace::new(stdout(), trace_options(&load.trace));
        store.load_with(inputs, &opts, |ev| trace.event(ev))?;
        let (code, _) = trace.finish(&mut io::stderr().lock())?;
        return Ok(code);
    }
    let previous = match store.latest_id()? {
        Some(p) if store.has_run(p) => Some(summarize(&store, p)?),
        _ => None,
    };
    let mut result = TestrResult::new(stdout());
    let loaded = store.load_with(inputs, &opts, |ev: &PacketRef<'_>| result.event(ev))?;
    let summary = result.finish(loaded.id, previous.as_ref())?;
    Ok(Verdict::passed_if(summary.successful()))
}

/// An input's name and its bytes.
type Input = (PathBuf, Box<dyn io::Read>);

/// The inputs, every file opened before anything is read.
fn open_inputs(files: &[PathBuf]) -> Result<Vec<Input>, StoreError> {
    if files.is_empty() {
        return Ok(vec![(PathBuf::from("-"), Box::new(io::stdin()))]);
    }
    files
        .iter()
        .map(|p| -> Result<Input, StoreError> {
            if p == Path::new("-") {
                return Ok((p.clone(), Box::new(io::stdin())));
            }
            let f = std::fs::File::open(p).map_err(|source| StoreError::Io {
                path: p.clone(),
                source,
            })?;
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(StoreError::Io {
                    path: p.clone(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "is a directory"),
                });
            }
            Ok((p.clone(), Box::new(f)))
        })
        .collect()
}

fn cmd_failing(dir: &Path, f: &FailingArgs) -> Result<Verdict, StoreError> {
    let store = Store::open(dir)?;
    // The failing tests, folded: exit 1 when any failed (or never finished).
    if f.subunit {
        let mut summary = TestrResult::new(io::sink());
        store.read_failing(|ev| summary.event(ev))?;
        let found = summary.finish(0, None)?;
        let mut out = stdout();
        store.write_failing_v2(&mut out)?;
        out.flush()?;
        return Ok(failing_verdict(&found));
    }
    if f.list {
        let mut ids = IdCollector::default();
        let mut summary = TestrResult::new(io::sink());
        store.read_failing(|ev| {
            ids.event(ev);
            summary.event(ev)
        })?;
        let found = summary.finish(0, None)?;
        let mut out = stdout();
        for id in ids.finish() {
            writeln!(out, "{id}")?;
        }
        out.flush()?;
        return Ok(failing_verdict(&found));
    }
    let id = store.latest_id()?.ok_or(StoreError::NoRuns)?;
    let mut result = TestrResult::new(stdout());
    store.read_failing(|ev| result.event(ev))?;
    let found = result.finish(id, None)?;
    Ok(failing_verdict(&found))
}

fn failing_verdict(s: &RunSummary) -> Verdict {
    Verdict::passed_if(s.successful())
}
