//! `subunit-ls`: list the tests of a subunit v2 stream (a drop-in for python-subunit's, with a
//! `--times` that does not crash).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::ls::{self, LsOptions};
use subunit_tools::cli;

/// List tests in a subunit stream.
///
/// Exit status: 0 when no test failed (an unexpected success does not count), 1 when a test
/// failed or never finished, 2 when the input could not be read or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit-ls", version)]
struct Args {
    /// list the time each test took (requires a timestamped stream)
    #[arg(long)]
    times: bool,
    /// list tests that are reported as existing (as well as ran)
    #[arg(long)]
    exists: bool,
    /// Hide all non subunit input.
    #[arg(long = "no-passthrough")]
    no_passthrough: bool,
    /// The stream to read (stdin when none; several are read as one stream).
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit-ls", || {
        let input = cli::open_inputs(&args.files)?;
        let stdout = std::io::stdout();
        let mut out = std::io::LineWriter::new(stdout.lock());
        let options = LsOptions {
            times: args.times,
            exists: args.exists,
            passthrough: !args.no_passthrough,
        };
        Ok(ls::run(input, &mut out, options)?)
    })
}
