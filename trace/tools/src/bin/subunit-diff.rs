//! `subunit-diff`: compare two test runs, each a subunit v2 stream file or a run stored in a
//! stestr repository, test by test.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_runs::compare::render::{write_human, write_json};
use subunit_runs::compare::{CompareError, Options, Source, compare};
use subunit_sinks::Verdict;
use subunit_tools::cli::{self, OutputFile, ToolError};

const AFTER_HELP: &str = "\
Each run is a file if one of that name exists, `-` for stdin, else a run id in the store.

Exit status:
  0  nothing regressed
  1  a test is newly failing, an added test fails, or (with --fail-on-slower) a test got slower
  2  the tool could not work: a missing file, an unknown run id, no repository, bad arguments";

/// Compare two test runs: newly failing, fixed, still failing, added, removed, newly skipped,
/// and tests whose time changed.
#[derive(Debug, Parser)]
#[command(name = "subunit-diff", version, after_help = AFTER_HELP)]
struct Args {
    /// The old run: a subunit v2 stream file, `-`, or a stored run id
    old: String,
    /// The new run: a subunit v2 stream file, `-`, or a stored run id
    new: String,
    /// The stestr repository run ids are looked up in (or the directory holding it)
    #[arg(long, value_name = "DIR", default_value = ".stestr")]
    store: PathBuf,
    /// Report a time change when it is at least this percentage of the old time
    #[arg(long, value_name = "PERCENT", default_value_t = Options::default().threshold_percent)]
    threshold: f64,
    /// ... and at least this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = Options::default().min_seconds)]
    min_seconds: f64,
    /// A test that got slower past the thresholds is a regression (exit 1)
    #[arg(long)]
    fail_on_slower: bool,
    /// Write a JSON document (`"format": 1`) instead of the report
    #[arg(long)]
    json: bool,
    /// Also write the two runs side by side as one self-contained HTML page to FILE
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-diff", || {
        check(&args)?;
        Ok(diff(&args)?)
    })
}

/// The arguments that clap cannot check.
fn check(args: &Args) -> Result<(), ToolError> {
    for (name, v) in [
        ("--threshold", args.threshold),
        ("--min-seconds", args.min_seconds),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(ToolError::Usage(format!(
                "{name} must be a number, 0 or more"
            )));
        }
    }
    if args.old == "-" && args.new == "-" {
        return Err(ToolError::Usage("only one of the runs can be stdin".into()));
    }
    Ok(())
}

fn diff(args: &Args) -> Result<Verdict, CompareError> {
    // Both resolved before anything is read, so a bad argument fails first.
    let old = Source::resolve(&args.old, &args.store)?;
    let new = Source::resolve(&args.new, &args.store)?;
    let opts = Options {
        threshold_percent: args.threshold,
        min_seconds: args.min_seconds,
        fail_on_slower: args.fail_on_slower,
    };
    let result = compare(&old, &new, opts)?;
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    if let Some(path) = &args.html {
        let mut page = OutputFile::create(path, true).map_err(|source| CompareError::Input {
            path: path.clone(),
            source,
        })?;
        subunit_runs::page::write_diff(&mut page, &result, &old.label(), &new.label())
            .map_err(CompareError::Output)?;
        page.commit().map_err(CompareError::Output)?;
    }
    if args.json {
        write_json(
            &mut out,
            &result,
            (&old.label(), old.run_id()),
            (&new.label(), new.run_id()),
        )?;
    } else {
        write_human(&mut out, &result, new.run_id())?;
    }
    Ok(Verdict::passed_if(!result.regressed))
}
