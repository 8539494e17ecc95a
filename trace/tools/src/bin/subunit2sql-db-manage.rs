//! `subunit2sql-db-manage`: make subunit2sql's schema (`upgrade head`), or show its revision
//! (`current`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use subunit_sql::{Database, HEAD_REVISION, Upgrade};

use subunit_tools::cli::{self, ToolError};
use subunit_tools::sql::DbArgs;

/// Manage the schema of a subunit2sql database.
///
/// Exit codes: 0 done; 2 the tool could not work (bad arguments, an unreachable database,
/// refused credentials, a schema at a revision this tool cannot migrate, data a migration
/// cannot take: nothing is changed then).
#[derive(Parser, Debug)]
#[command(name = "subunit2sql-db-manage", version)]
struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make the schema at head (subunit2sql 1.10.0's newest revision), or migrate one at
    /// 2822a408bdd0 or 35cd45895e56 to it; older revisions are refused, naming them
    Upgrade {
        /// The revision to upgrade to
        #[arg(default_value = "head")]
        revision: String,
    },
    /// Print the database's current revision
    Current,
}

fn run(args: Args) -> Result<(), ToolError> {
    let url = args.db.url()?;
    match args.command {
        Command::Upgrade { revision } => {
            if !matches!(revision.as_str(), "head" | "heads" | HEAD_REVISION) {
                return Err(ToolError::Usage(format!(
                    "cannot upgrade to {revision:?}: only head ({HEAD_REVISION}) is known"
                )));
            }
            let mut db = Database::connect(&url)?;
            match db.upgrade_head()? {
                Upgrade::Created => eprintln!("Running upgrade -> {HEAD_REVISION} (head)"),
                Upgrade::AlreadyAtHead => {}
                Upgrade::Migrated(steps) => {
                    for (to, from, message) in steps {
                        eprintln!("Running upgrade {from} -> {to}, {message}");
                    }
                }
            }
        }
        Command::Current => {
            let mut db = Database::connect(&url)?;
            match db.revision()? {
                Some(r) if r == HEAD_REVISION => println!("{r} (head)"),
                Some(r) => println!("{r}"),
                None => {}
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    cli::run("subunit2sql-db-manage", || run(Args::parse()))
}
