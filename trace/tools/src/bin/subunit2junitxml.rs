//! `subunit2junitxml`: turn a subunit v2 stream into JUnit XML (a drop-in for python-subunit's).

use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::junit;
use subunit_tools::cli::FilterArgs;

/// Turn a subunit stream into JUnit XML
///
/// The XML follows whatever the stream passes through, once the stream has ended.
///
/// Exit status: 0 when the run succeeded, 1 when a test failed, never finished or succeeded
/// unexpectedly, 2 when the input could not be read or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit2junitxml", version)]
struct Args {
    #[command(flatten)]
    filter: FilterArgs,
}

fn main() -> ExitCode {
    Args::parse()
        .filter
        .run("subunit2junitxml", true, junit::run)
}
