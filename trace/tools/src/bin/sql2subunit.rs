//! `sql2subunit`: a stored run back to a subunit v2 stream.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sql::Database;

use subunit_tools::cli::{self, ToolError};
use subunit_tools::sql::DbArgs;

/// Write a run stored in a subunit2sql database as a subunit v2 stream.
///
/// Exit codes: 0 written; 1 no run with that id, or neither or both of RUN_ID and --average;
/// 2 the tool could not work (bad arguments, an unreachable database, refused credentials,
/// no schema or a schema at another revision, a write error).
#[derive(Parser, Debug)]
#[command(name = "sql2subunit", version)]
struct Args {
    /// The run id (the run's uuid) to write
    run_id: Option<String>,
    #[command(flatten)]
    db: DbArgs,
    /// Write the stream to this file instead of stdout
    #[arg(short = 'o', long = "out_path")]
    out_path: Option<PathBuf>,
    /// Write every test with an average run time, as a success lasting that long
    #[arg(short = 'a', long = "average")]
    average: bool,
    /// Accepted for compatibility; does nothing
    #[arg(long = "verbose", hide = true)]
    verbose: bool,
}

fn run(args: Args) -> Result<(), ToolError> {
    match (&args.run_id, args.average) {
        (None, false) => {
            return Err(ToolError::Refused(
                "You must specify either a run_id or generate an average run stream".to_owned(),
            ));
        }
        (Some(_), true) => {
            return Err(ToolError::Refused(
                "You can either generate a stream for a run_id or an average run stream, but \
                 not both."
                    .to_owned(),
            ));
        }
        _ => {}
    }
    let url = args.db.url()?;
    let mut db = Database::open(&url)?;
    let mut out: Box<dyn Write> = match &args.out_path {
        Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|e| {
            ToolError::Input {
                path: p.clone(),
                source: e,
            }
        })?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match &args.run_id {
        Some(id) => db.write_run(id, &mut out)?,
        None => db.write_average(&mut out)?,
    };
    Ok(())
}

fn main() -> ExitCode {
    cli::run("sql2subunit", || run(Args::parse()))
}
