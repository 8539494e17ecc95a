//! The one error type of the crate.

use crate::revision::{HEAD_REVISION, OLDEST_MIGRATED};

/// Everything that can go wrong talking to a results database.
///
/// The variants say whose fault it is, so a binary can map them to exit codes in one place:
/// the URL, the server, the credentials, the schema, the data, or the database itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The database URL is not one this crate understands.
    #[error("bad database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be reached (no server listening, a missing SQLite file, ...).
    #[error("cannot reach the database {url}: {message}")]
    Unreachable {
        /// The URL, password removed.
        url: String,
        /// What the driver said.
        message: String,
    },
    /// The server refused the credentials.
    #[error("the database {url} refused the credentials: {message}")]
    Auth {
        /// The URL, password removed.
        url: String,
        /// What the server said.
        message: String,
    },
    /// The database has no subunit2sql schema yet.
    #[error(
        "the database {url} has no subunit2sql schema (no alembic_version table); create it with \
         `subunit2sql-db-manage --database-connection URL upgrade head`"
    )]
    NoSchema {
        /// The URL, password removed.
        url: String,
    },
    /// The schema is at a revision other than subunit2sql 1.10.0's head: one
    /// `subunit2sql-db-manage upgrade head` migrates, or one no subunit2sql 1.10.0 migration
    /// names (a newer subunit2sql's, or not subunit2sql's).
    #[error(
        "the database {url} is at schema revision {found:?}, not {HEAD_REVISION} (subunit2sql \
         1.10.0's head); `subunit2sql-db-manage upgrade head` migrates revisions from \
         {OLDEST_MIGRATED} on, and no other revision is subunit2sql 1.10.0's"
    )]
    WrongRevision {
        /// The URL, password removed.
        url: String,
        /// The revision found in `alembic_version`.
        found: String,
    },
    /// The schema is at a subunit2sql revision older than this crate migrates from.
    #[error(
        "the database {url} is at schema revision {found} ({name:?}), older than \
         {OLDEST_MIGRATED}, the oldest this tool migrates; upgrade it with subunit2sql 1.10.0's \
         own `subunit2sql-db-manage upgrade head`"
    )]
    TooOld {
        /// The URL, password removed.
        url: String,
        /// The revision found in `alembic_version`.
        found: String,
        /// Its migration's message.
        name: &'static str,
    },
    /// No run matches the filter of a query that needs one.
    #[error("no run in the database matches the filter")]
    NoRuns,
    /// No run has the asked-for id.
    #[error("no run with id {0:?} in the database")]
    NoSuchRun(String),
    /// A value the caller gave is not acceptable (a `--run_at` that is no date, say).
    #[error("{0}")]
    Invalid(String),
    /// The database failed a statement.
    #[error("database error: {0}")]
    Database(String),
    /// Writing a stream failed.
    #[error("cannot write the stream: {0}")]
    Write(#[from] std::io::Error),
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        SqlError::Database(e.to_string())
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => SqlError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => SqlError::Database(e.to_string()),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
