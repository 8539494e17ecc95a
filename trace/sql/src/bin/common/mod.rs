//! What the binaries share: the database options as oslo.db spells them, and the one map from
//! errors to exit codes.
#![allow(dead_code, reason = "each binary uses a part of this module")]

use std::path::PathBuf;
use std::process::ExitCode;

use subunit_sql::SqlError;

/// Exit code: success.
pub const OK: u8 = 0;
/// Exit code: the run or stream was bad, as the Python tool fails on it.
pub const FAILED: u8 = 1;
/// Exit code: the tool could not work (arguments, database unreachable, credentials, schema).
pub const TOOL_ERROR: u8 = 2;

/// Where the database is: `--database-connection`, or `[database] connection` in a
/// `--config-file`, as oslo.db reads them.
#[derive(clap::Args, Debug)]
pub struct DbArgs {
    /// The database URL: sqlite:///PATH (relative) or sqlite:////PATH (absolute),
    /// postgresql://USER:PASSWORD@HOST:PORT/DBNAME
    #[arg(long = "database-connection", value_name = "URL", global = true)]
    pub connection: Option<String>,
    #[arg(
        long = "config-file",
        value_name = "PATH",
        global = true,
        help = "An oslo.config file whose [database] section names the connection"
    )]
    pub config_file: Vec<PathBuf>,
}

impl DbArgs {
    /// The URL to connect to.
    pub fn url(&self) -> Result<String, CliError> {
        if let Some(url) = &self.connection {
            return Ok(url.clone());
        }
        let mut found = None;
        for path in &self.config_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("cannot read config file {}: {e}", path.display()))
            })?;
            let mut section = String::new();
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with('[') && line.ends_with(']') {
                    section = line[1..line.len() - 1].trim().to_owned();
                } else if section == "database"
                    && let Some((k, v)) = line.split_once(['=', ':'])
                    && k.trim() == "connection"
                {
                    found = Some(v.trim().to_owned());
                }
            }
        }
        found.ok_or_else(|| {
            CliError::Usage(
                "no database given: use --database-connection URL (sqlite:///PATH or \
                 postgresql://...) or a --config-file with [database] connection"
                    .to_owned(),
            )
        })
    }
}

/// Why a binary stopped.
#[derive(Debug)]
pub enum CliError {
    /// From the library.
    Sql(SqlError),
    /// Bad arguments.
    Usage(String),
    /// A file that cannot be read.
    Io(String),
    /// A stream the Python tool refuses too.
    Stream(String),
}

impl From<SqlError> for CliError {
    fn from(e: SqlError) -> Self {
        CliError::Sql(e)
    }
}

/// The one place errors become exit codes and messages.
pub fn exit(tool: &str, result: Result<(), CliError>) -> ExitCode {
    let (code, message) = match result {
        Ok(()) => return ExitCode::from(OK),
        Err(CliError::Sql(SqlError::Write(e))) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return ExitCode::from(OK);
        }
        Err(CliError::Sql(e)) => {
            let code = match &e {
                SqlError::NoSuchRun(_) => FAILED,
                _ => TOOL_ERROR,
            };
            (code, e.to_string())
        }
        Err(CliError::Usage(m) | CliError::Io(m)) => (TOOL_ERROR, m),
        Err(CliError::Stream(m)) => (FAILED, m),
    };
    eprintln!("{tool}: error: {message}");
    ExitCode::from(code)
}
