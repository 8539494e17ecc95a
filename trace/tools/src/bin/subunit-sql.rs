//! `subunit-sql`: questions about the runs in a subunit2sql database (ours or the Python
//! tool's): recent runs, failure rates, a test's history, the slowest tests, the runs that
//! failed a test, and the HTML report's history view.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use serde::Serialize;
use subunit_sql::page::ReportOptions;
use subunit_sql::query::{Filter, TestRunEntry};
use subunit_sql::{Database, DbTime, SqlError};

use subunit_tools::cli::{self, ToolError};
use subunit_tools::sql::DbArgs;

/// Query the runs in a subunit2sql database, for people (tables) or programs (--json).
///
/// Exit codes: 0 answered; 2 the tool could not work (bad arguments, an unreachable
/// database, refused credentials, no schema or a schema at another revision, no run for
/// `report --html`, a file that cannot be written).
#[derive(Parser, Debug)]
#[command(name = "subunit-sql", version)]
struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Print JSON instead of a table
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(ClapArgs, Debug)]
struct FilterArgs {
    /// Only runs with this run metadata (repeatable; all must match)
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    meta: Vec<String>,
    /// Only runs at or after this time (YYYY-MM-DD[ HH:MM:SS])
    #[arg(long)]
    since: Option<String>,
    /// Only runs before this time (YYYY-MM-DD[ HH:MM:SS])
    #[arg(long)]
    until: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The most recent runs, newest first
    Runs {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Each test's failure rate over the runs of a window, highest first
    FailureRate {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only tests that passed or failed at least this often
        #[arg(long, default_value_t = 1)]
        min_runs: i64,
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// A test's runs, oldest first, with status and run time
    History {
        /// The test id (as stored: without its [attributes])
        test_id: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// The slowest passing tests, in one run or across runs
    Slowest {
        /// Only this run (its uuid)
        #[arg(long)]
        run: Option<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// How many
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// The runs in which a test failed, newest first
    Failing {
        /// The test id (as stored: without its [attributes])
        test_id: String,
        #[command(flatten)]
        filter: FilterArgs,
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The HTML report's history view: recent runs and each test's status in each; with
    /// --html, the page of a run (the newest) with that history, as `subunit-store report`
    /// makes of a .stestr store
    Report {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many runs
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Write the HTML report to this file
        #[arg(long, value_name = "PATH")]
        html: Option<PathBuf>,
        /// The run the page shows (its uuid); the newest of the filtered runs by default
        #[arg(long, value_name = "UUID", requires = "html")]
        run: Option<String>,
        /// The run metadata key naming the code a run tested (repeatable): a test that
        /// passed and failed among runs with the same values is flaky
        #[arg(
            long = "flaky-by",
            value_name = "KEY",
            default_value = "commit",
            requires = "html"
        )]
        flaky_by: Vec<String>,
    },
}

fn time_arg(name: &str, value: &Option<String>) -> Result<Option<DbTime>, ToolError> {
    value
        .as_deref()
        .map(|s| {
            DbTime::parse(s).ok_or_else(|| {
                ToolError::Usage(format!(
                    "bad --{name} {s:?}: expected YYYY-MM-DD[ HH:MM:SS]"
                ))
            })
        })
        .transpose()
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter, ToolError> {
        let meta = self
            .meta
            .iter()
            .map(|m| {
                m.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| {
                        ToolError::Usage(format!("bad --meta {m:?}: expected KEY=VALUE"))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter {
            since: time_arg("since", &self.since)?,
            until: time_arg("until", &self.until)?,
            meta,
        })
    }
}

fn secs(d: Option<f64>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{d:.3}s"))
}

fn print_entries(out: &mut dyn Write, entries: &[TestRunEntry]) -> std::io::Result<()> {
    for e in entries {
        writeln!(
            out,
            "{:<26}  {:<36}  {:<9}  {:>10}  {}",
            e.run_at.as_deref().unwrap_or("-"),
            e.run,
            e.status,
            secs(e.duration),
            e.test_id
        )?;
    }
    Ok(())
}

fn emit<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ToolError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, value)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        human(&mut out)
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| ToolError::Sql(SqlError::Write(e)))
}

fn run(args: Args) -> Result<(), ToolError> {
    let url = args.db.url()?;
    let mut db = Database::open(&url)?;
    let json = args.json;
    match args.command {
        Command::Runs { filter, limit } => {
            let runs = db.recent_runs(&filter.filter()?, limit)?;
            emit(json, &runs, |out| {
                for r in &runs {
                    let meta: Vec<String> =
                        r.metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    writeln!(
                        out,
                        "{:<26}  {:<36}  pass {:>6}  fail {:>6}  skip {:>6}  {:>12}  {}",
                        r.run_at.as_deref().unwrap_or("-"),
                        r.uuid,
                        r.passes,
                        r.fails,
                        r.skips,
                        secs(r.run_time),
                        meta.join(" ")
                    )?;
                }
                Ok(())
            })
        }
        Command::FailureRate {
            filter,
            min_runs,
            limit,
        } => {
            let rates = db.failure_rates(&filter.filter()?, min_runs, limit)?;
            emit(json, &rates, |out| {
                for r in &rates {
                    writeln!(
                        out,
                        "{:>6.1}%  {:>6}/{:<6}  {}",
                        r.rate * 100.0,
                        r.failures,
                        r.runs,
                        r.test_id
                    )?;
                }
                Ok(())
            })
        }
        Command::History { test_id, filter } => {
            let entries = db.test_history(&test_id, &filter.filter()?)?;
            emit(json, &entries, |out| print_entries(out, &entries))
        }
        Command::Slowest { run, filter, limit } => {
            let entries = db.slowest(run.as_deref(), &filter.filter()?, limit)?;
            emit(json, &entries, |out| print_entries(out, &entries))
        }
        Command::Failing {
            test_id,
            filter,
            limit,
        } => {
            let entries = db.runs_failing(&test_id, &filter.filter()?, limit)?;
            emit(json, &entries, |out| print_entries(out, &entries))
        }
        Command::Report {
            filter,
            runs,
            html: Some(path),
            run,
            flaky_by,
        } => {
            let options = ReportOptions {
                filter: filter.filter()?,
                runs,
                run,
                flaky_by,
            };
            let file = File::create(&path).map_err(|source| ToolError::Input {
                path: path.clone(),
                source,
            })?;
            let mut out = BufWriter::new(file);
            db.write_report_page(&options, &mut out)?;
            Ok(())
        }
        Command::Report {
            filter,
            runs,
            html: None,
            ..
        } => {
            let report = db.report(&filter.filter()?, runs)?;
            emit(json, &report, |out| {
                for t in report.tests.iter().filter(|t| t.failures > 0) {
                    let marks: String = t
                        .statuses
                        .iter()
                        .map(|s| match s.as_deref() {
                            Some("success") => '.',
                            Some("fail") => 'F',
                            Some("skip") => 's',
                            Some(_) => '?',
                            None => ' ',
                        })
                        .collect();
                    writeln!(out, "[{marks}]  {:>3}  {}", t.failures, t.test_id)?;
                }
                Ok(())
            })
        }
    }
}

fn main() -> ExitCode {
    cli::run("subunit-sql", || run(Args::parse()))
}
