//! `subunit2html`: a subunit stream as one self-contained HTML page (a drop-in for os-testr's).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use subunit_sinks::html::{self, HtmlOptions};
use subunit_tools::cli::{self, open_inputs};

/// Write a subunit stream as an HTML report
///
/// The page is one file with no outside references: the summary, a worker timeline, the
/// slowest tests and classes, a histogram of durations, a table by module and class, and every
/// failure with its attachments. The ids of the tests that failed are printed, one a line, as
/// os-testr's tool prints them.
///
/// Exit status: 0 when the page was written (whatever the tests did), 2 when the stream could
/// not be read, the page not written or the arguments are wrong.
#[derive(Parser, Debug)]
#[command(name = "subunit2html", version)]
struct Args {
    /// The subunit stream (v2, with v1 in its non-subunit bytes).
    stream: PathBuf,
    /// The page to write.
    #[arg(default_value = "results.html")]
    output: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run("subunit2html", || {
        let input = open_inputs(std::slice::from_ref(&args.stream))?;
        let options = HtmlOptions {
            title: "Unit Test Report".to_owned(),
            metadata: vec![
                ("Stream".to_owned(), args.stream.display().to_string()),
                (
                    "Generator".to_owned(),
                    format!("subunit2html {}", env!("CARGO_PKG_VERSION")),
                ),
            ],
        };
        let report = html::read(io::BufReader::new(input), options)?;
        let mut out = cli::create_output(&args.output, true)?;
        report.write_page(&mut out)?;
        cli::commit_output(out)?;
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        for id in report.failed_ids() {
            writeln!(stdout, "{id}")?;
        }
        stdout.flush()?;
        Ok(())
    })
}
