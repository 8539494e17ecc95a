//! `subunit-replay`: write a stored subunit stream out again, as fast as possible or with the
//! pacing it was recorded with, so that live consumers see the run as it happened.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use subunit_emitter::StreamWriter;
use subunit_runs::replay::{Pacing, ReplayError, Source, replay};
use subunit_runs::store::{Store, StoreError};
use subunit_tools::cli::{self, ToolError};

const AFTER_HELP: &str = "\
Examples:
  subunit-replay run.subunit | subunit-trace
  subunit-replay --store . --realtime --speed 10 3 | subunit-trace

Exit status:
  0  the stream was written (also when the reader of the output goes away)
  2  the tool could not work: a missing file or run, no repository, bad arguments";

/// Replay a subunit v2 stream, or a run stored in a stestr repository, to stdout.
#[derive(Debug, Parser)]
#[command(name = "subunit-replay", version, after_help = AFTER_HELP)]
struct Args {
    /// Sleep between packets by the gaps between their timestamps
    #[arg(long)]
    realtime: bool,
    /// Replay this many times faster than recorded (implies --realtime)
    #[arg(long, value_name = "X", value_parser = positive_f64)]
    speed: Option<f64>,
    /// Wait at most this many seconds between two packets (implies --realtime)
    #[arg(long, value_name = "SECS", value_parser = non_negative_f64)]
    max_gap: Option<f64>,
    /// Read the run from the stestr repository DIR (`.stestr`, or the directory holding it)
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// A subunit v2 file (default: stdin; `-` is stdin), or with --store a run id (default:
    /// the latest run)
    source: Option<String>,
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn non_negative_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-replay", || body(args))
}

fn body(args: Args) -> Result<(), ToolError> {
    let pacing =
        (args.realtime || args.speed.is_some() || args.max_gap.is_some()).then(|| Pacing {
            speed: args.speed.unwrap_or(1.0),
            max_gap: args.max_gap.map(Duration::from_secs_f64),
        });
    let source = match &args.store {
        Some(dir) => {
            let store_err = |e: StoreError| ToolError::from(ReplayError::from(e));
            let store = Store::open(dir).map_err(store_err)?;
            let id = match &args.source {
                Some(id) => store.parse_id(id).map_err(store_err)?,
                None => store
                    .run_ids()
                    .map_err(store_err)?
                    .last()
                    .copied()
                    .ok_or_else(|| store_err(StoreError::NoRuns))?,
            };
            Source::Stored { store, id }
        }
        None => {
            let paths: Vec<PathBuf> = args.source.iter().map(PathBuf::from).collect();
            Source::Stream(cli::open_inputs(&paths)?)
        }
    };
    let writer = StreamWriter::stdout()?;
    replay(source, &writer, pacing)?;
    writer.finish()?;
    Ok(())
}
