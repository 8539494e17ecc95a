//! `subunit-stats`: print the totals of a subunit v2 stream (a drop-in for python-subunit's).

use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::stats;
use subunit_tools::cli::FilterArgs;

/// Filter a subunit stream to get aggregate statistics.
///
/// Exit status: 0 when no test failed (an unexpected success does not count), 1 when a test
/// failed or never finished, 2 when the input could not be read or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit-stats", version)]
struct Args {
    #[command(flatten)]
    filter: FilterArgs,
}

fn main() -> ExitCode {
    Args::parse().filter.run("subunit-stats", false, stats::run)
}
