//! `subunit2csv`: turn a subunit v2 stream into a CSV (a drop-in for python-subunit's).

use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::csv;
use subunit_tools::cli::FilterArgs;

/// Turn a subunit stream into a CSV
///
/// Exit status: 0 when the run succeeded, 1 when a test failed, never finished or succeeded
/// unexpectedly, 2 when the input could not be read or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit2csv", version)]
struct Args {
    #[command(flatten)]
    filter: FilterArgs,
}

fn main() -> ExitCode {
    Args::parse().filter.run("subunit2csv", true, csv::run)
}
