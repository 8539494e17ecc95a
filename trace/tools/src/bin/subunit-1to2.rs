//! `subunit-1to2`: convert a subunit v1 stream to v2, as python-subunit's does.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::convert;
use subunit_tools::cli;

/// Convert a version 1 subunit stream to version 2 stream.
#[derive(Parser)]
#[command(
    name = "subunit-1to2",
    after_help = "Exit status: 0 when the stream was converted; 2 when the tool could not work \
                  (a missing or unreadable file, a v1 stream python's converter also stops at)."
)]
struct Args {
    /// Streams to read, one after another (default: standard input)
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-1to2", || {
        let input = cli::open_inputs(&args.files)?;
        let out = std::io::stdout().lock();
        Ok(convert::v1_to_v2(
            BufReader::with_capacity(64 * 1024, input),
            out,
        )?)
    })
}
