//! Test runs in a database with subunit2sql's schema: SQLite by default, PostgreSQL at scale.
//!
//! OpenStack's CI kept every Tempest run of every job in one [subunit2sql] database, and
//! dashboards (openstack-health, `subunit2sql-graph`) queried it. This crate reads and writes
//! that very schema, at subunit2sql 1.10.0's head revision, so the Python tools read runs we
//! store and we read theirs, and adds what the Python tool lacks: bulk loading (one
//! transaction per run, flat memory, many loaders at once) and the queries the dashboards
//! answered.
//!
//! [subunit2sql]: https://opendev.org/opendev/subunit2sql
//!
//! # Brief overview
//!
//! - [`Database::open`] connects by URL ([`DatabaseUrl`]: `sqlite:///PATH`,
//!   `postgresql://...`) and checks the schema revision; [`Database::connect`] and
//!   [`Database::upgrade_head`] make the schema (`subunit2sql-db-manage upgrade head`).
//! - [`Database::begin_run`] gives a [`Loader`]: [`Loader::record`] each finished
//!   [`TestRecord`](subunit_parser::fold::TestRecord) as the fold hands it over,
//!   [`Loader::finish`] to store the run ([`RunStored`]); see [`load`] for what is stored.
//! - [`Database::write_run`] and [`Database::write_average`] turn stored runs back into
//!   subunit v2 (`sql2subunit`).
//! - [`query`] answers the dashboards' questions: recent runs, failure rates, run-time
//!   history, slowest tests, runs that failed a test; [`page`] writes the HTML report of a
//!   run with the history of the filtered runs (`subunit-sql report --html`).
//!
//! The binaries `subunit2sql`, `sql2subunit`, `subunit2sql-db-manage` and `subunit-sql` are thin
//! shells over these in `subunit-tools` (`trace/tools`), with the Python tools' argument
//! spellings; this crate has no command line and no exit codes, only [`SqlError`].
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, Timestamp, to_vec};
//! use subunit_sql::{Database, LoadOptions, LoadSink};
//!
//! let mut stream = Vec::new();
//! for event in [
//!     Packet::status("t.test_a[id-1,smoke]", Status::InProgress).with_timestamp(Timestamp::new(10, 0)),
//!     Packet::status("t.test_a[id-1,smoke]", Status::Success).with_timestamp(Timestamp::new(12, 0)),
//! ] {
//!     stream.extend(to_vec(&event.as_ref())?);
//! }
//! let mut db = Database::connect("sqlite://")?; // in memory
//! db.upgrade_head()?;
//! let loader = db.begin_run(LoadOptions {
//!     run_id: Some("run-1".into()),
//!     ..LoadOptions::default()
//! })?;
//! // The toolkit's one pipeline reads the stream; the loader is its sink.
//! let stored = LoadSink::new(loader, false).load(&stream[..])?;
//! assert_eq!((stored.passes, stored.run_time), (1, Some(2.0)));
//!
//! let mut stream = Vec::new();
//! assert_eq!(db.write_run("run-1", &mut stream)?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why it is cut so
//!
//! The loader is a sink ([`LoadSink`]: one call per finished record, then one transaction),
//! driven by the toolkit's one read → fold → flush pipeline (`subunit_sinks::Pipeline`) like
//! any other output; it never sees bytes or events. Both backends share every statement but a few spellings, and the
//! work of storing a run is done by the database in a few set-based statements over staged
//! rows, which is what makes loading fast, atomic, and safe with many loaders at once.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod conn;
mod error;
mod export;
pub mod load;
pub mod page;
pub mod query;
mod revision;
pub mod schema;
pub mod sink;
mod time;
mod url;

pub use conn::Backend;
pub use error::{Result, SqlError};
pub use load::{DEFAULT_ATTR_REGEX, LoadOptions, Loader, RunStored};
pub use schema::{HEAD_REVISION, OLDEST_MIGRATED, Upgrade};
pub use sink::{LoadError, LoadSink};
pub use time::DbTime;
pub use url::DatabaseUrl;

use conn::Conn;

/// A connection to a results database.
pub struct Database {
    conn: Conn,
    url: DatabaseUrl,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to the database at `url` without looking at its schema (an SQLite file is
    /// created if missing): for making the schema.
    ///
    /// # Errors
    ///
    /// A bad URL, an unreachable database, refused credentials.
    pub fn connect(url: &str) -> Result<Database> {
        let url: DatabaseUrl = url.parse()?;
        let conn = Conn::open(&url, true)?;
        Ok(Database { conn, url })
    }

    /// Connects to the existing database at `url` and checks that its schema is at
    /// [`HEAD_REVISION`].
    ///
    /// # Errors
    ///
    /// As [`Database::connect`] (a missing SQLite file is unreachable), and
    /// [`SqlError::NoSchema`] or [`SqlError::WrongRevision`].
    pub fn open(url: &str) -> Result<Database> {
        let url: DatabaseUrl = url.parse()?;
        let mut conn = Conn::open(&url, false)?;
        schema::check(&mut conn, &url.redacted())?;
        Ok(Database { conn, url })
    }

    /// The URL connected to.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The backend connected to.
    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// The schema revision in `alembic_version`, `None` when there is no schema.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn revision(&mut self) -> Result<Option<String>> {
        schema::revision(&mut self.conn)
    }

    /// Makes subunit2sql's head schema in one transaction if the database has none, or
    /// migrates one at a revision from [`OLDEST_MIGRATED`] on to head in one transaction, as
    /// alembic runs subunit2sql's migrations (`subunit2sql-db-manage upgrade head`).
    ///
    /// # Errors
    ///
    /// [`SqlError::TooOld`] for a schema at an older subunit2sql revision (migrating it is
    /// left to subunit2sql's own tool), [`SqlError::WrongRevision`] for a revision that is not
    /// subunit2sql 1.10.0's, [`SqlError::Invalid`] for tables without `alembic_version` or
    /// data a migration cannot take (rolled back), database errors.
    pub fn upgrade_head(&mut self) -> Result<Upgrade> {
        let url = self.url.redacted();
        schema::upgrade_head(&mut self.conn, &url)
    }
}
