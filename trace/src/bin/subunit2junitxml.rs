//! `subunit2junitxml`: turn a subunit v2 stream into JUnit XML (a drop-in for python-subunit's).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_tools::cli::{self, ToolError};
use subunit_tools::junit;
use subunit_tools::stats::FilterOptions;

/// Turn a subunit stream into JUnit XML
///
/// The XML follows whatever the stream passes through, once the stream has ended.
///
/// Exit status: 0 when the run succeeded, 1 when a test failed, never finished or succeeded
/// unexpectedly, 2 when the input could not be read or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit2junitxml", version)]
struct Args {
    /// Hide all non subunit input.
    #[arg(long = "no-passthrough")]
    no_passthrough: bool,
    /// Send the output to this path rather than stdout.
    #[arg(short = 'o', long = "output-to", value_name = "OUTPUT_TO")]
    output_to: Option<PathBuf>,
    /// Forward subunit stream on stdout. When set, received non-subunit output will be
    /// encapsulated in subunit.
    #[arg(short = 'f', long = "forward")]
    forward: bool,
    /// The stream to read (stdin when none; several are read as one stream).
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit2junitxml", || {
        let input = cli::open_inputs(&args.files)?;
        let options = FilterOptions {
            passthrough: !args.no_passthrough,
            forward: args.forward,
        };
        let mut file = match &args.output_to {
            Some(path) => Some(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|source| ToolError::Input {
                    path: path.clone(),
                    source,
                })?,
            )),
            None => None,
        };
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let xml_out = file.as_mut().map(|f| f as &mut dyn std::io::Write);
        junit::run(input, &mut out, xml_out, options)
    })
}
