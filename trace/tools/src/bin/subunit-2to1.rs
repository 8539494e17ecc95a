//! `subunit-2to1`: convert a subunit v2 stream to v1, as python-subunit's does.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::convert;
use subunit_tools::cli;

/// Convert a version 2 subunit stream to a version 1 stream.
#[derive(Parser)]
#[command(
    name = "subunit-2to1",
    after_help = "Exit status: 0 when the stream was converted; 2 when the tool could not work \
                  (a missing or unreadable file)."
)]
struct Args {
    /// Streams to read, one after another (default: standard input)
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-2to1", || {
        let input = cli::open_inputs(&args.files)?;
        // Each test's lines are flushed when its outcome is written, as python flushes them.
        let out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        Ok(convert::v2_to_v1(input, out)?)
    })
}
