//! `subunit-trace`: stestr's live view of a subunit v2 stream, as a drop-in command.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::Verdict;
use subunit_sinks::trace::{TimesDb, TraceOptions};
use subunit_tools::cli::ColorArg;
use subunit_tools::cli::{self, ToolError};

const EXIT_CODES: &str = "\
Exit status:
  0  the run passed (also when the reader of the output goes away, as with `| head`)
  1  the run failed: no tests ran, none passed, a test never finished, or a test failed or
     passed unexpectedly
  2  the tool could not work: a missing or unreadable file, bad arguments

Environment:
  TRACE_FAILONLY  when set (to anything), --failonly is on
  NO_COLOR        when set, --color=auto does not colour";

/// Trace a subunit stream in reasonable detail and high accuracy.
#[derive(Debug, Parser)]
#[command(name = "subunit-trace", version, infer_long_args = true, after_help = EXIT_CODES)]
struct Args {
    /// Disable printing failure debug information in realtime
    #[arg(short = 'n', long = "no-failure-debug")]
    no_failure_debug: bool,
    /// Print failure debug information after the stream is processed
    #[arg(short = 'f', long = "fails")]
    fails: bool,
    /// Don't print success items (default: on when TRACE_FAILONLY is set)
    #[arg(long)]
    failonly: bool,
    /// Print one character status for each test
    #[arg(short = 'a', long)]
    abbreviate: bool,
    /// Print percent change in run time on each test (times from .testrepository/times.dbm,
    /// else .stestr/times.dbm)
    #[arg(short = 'd', long = "perc-diff")]
    perc_diff: bool,
    /// Show the percent change only when it is at least THRESHOLD percent either way. If one
    /// is not specified the percent change will always be displayed
    #[arg(short = 't', long = "diff-threshold", value_name = "THRESHOLD")]
    threshold: Option<f64>,
    /// Don't print the summary of the test run after it completes
    #[arg(long = "no-summary")]
    no_summary: bool,
    /// Print results with colors: auto, always or never (a bare --color means always)
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_value = "auto",
        default_missing_value = "always"
    )]
    color: ColorArg,
    /// Print no attachments under successful tests
    #[arg(long, conflicts_with = "all_attachments")]
    suppress_attachments: bool,
    /// Print every text attachment under successful tests, not only stdout and stderr
    #[arg(long)]
    all_attachments: bool,
    /// Print binary (non-text) attachments too
    #[arg(long)]
    show_binary_attachments: bool,
    /// Subunit v2 streams to read, one after another as one run (default: stdin; `-` is
    /// stdin)
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-trace", || trace(args))
}

fn trace(args: Args) -> Result<Verdict, ToolError> {
    let opts = TraceOptions {
        no_failure_debug: args.no_failure_debug,
        post_fails: args.fails,
        failonly: args.failonly || std::env::var_os("TRACE_FAILONLY").is_some(),
        abbreviate: args.abbreviate,
        perc_diff: args.perc_diff,
        threshold: args.threshold.unwrap_or(0.0),
        no_summary: args.no_summary,
        color: args.color.0.resolve_for_stdout(),
        success_attachments: cli::success_attachments(
            args.suppress_attachments,
            args.all_attachments,
        ),
        show_binary_attachments: args.show_binary_attachments,
    };
    let times = if args.perc_diff {
        let cwd = std::env::current_dir()?;
        TimesDb::discover(&cwd).map_err(|e| ToolError::Usage(e.to_string()))?
    } else {
        None
    };
    let input = cli::open_inputs(&args.files)?;
    let trace = cli::stdout_trace_with_progress(opts)?.with_times(times);
    Ok(trace.run(input, &mut io::stderr().lock())?)
}
