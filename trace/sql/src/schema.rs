//! subunit2sql's schema at its head revision, as its alembic migrations leave it on each
//! backend, the revision check every tool makes before touching a database, and the
//! migrations from the last revisions before head ([`OLDEST_MIGRATED`] on).
//!
//! The statements are what `subunit2sql-db-manage upgrade head` (subunit2sql 1.10.0,
//! SQLAlchemy 1.4, alembic 1.9) leaves behind, read back from the database: on SQLite the very
//! `CREATE` texts in `sqlite_master` (SQLite keeps fewer indexes there, because the migrations
//! rebuild its tables and skip some indexes), on PostgreSQL the same tables, types, sequences
//! (named `<table>_new_new_id_seq` after the migration that rebuilt every table), constraint
//! and index names. The integration tests compare both against the Python tool's.

use crate::conn::{Backend, Conn, Param};
use crate::error::{Result, SqlError};

pub use crate::revision::{HEAD_REVISION, OLDEST_MIGRATED};

/// The tables of the schema, `alembic_version` last.
pub const TABLES: [&str; 8] = [
    "tests",
    "runs",
    "test_runs",
    "run_metadata",
    "test_run_metadata",
    "test_metadata",
    "attachments",
    "alembic_version",
];

const SQLITE: &[&str] = &[
    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)",
    "CREATE TABLE \"tests\" (\n\tid INTEGER NOT NULL, \n\ttest_id VARCHAR(256) NOT NULL, \n\trun_count INTEGER, \n\tsuccess INTEGER, \n\tfailure INTEGER, \n\trun_time FLOAT, \n\tPRIMARY KEY (id)\n)",
    "CREATE INDEX ix_tests_test_id ON tests (test_id)",
    "CREATE TABLE \"runs\" (\n\tuuid VARCHAR(36), \n\tid INTEGER NOT NULL, \n\tskips INTEGER, \n\tfails INTEGER, \n\tpasses INTEGER, \n\trun_time FLOAT, \n\tartifacts TEXT, \n\trun_at DATETIME, \n\tPRIMARY KEY (id)\n)",
    "CREATE INDEX ix_run_at ON runs (run_at)",
    "CREATE INDEX ix_run_uuid ON runs (uuid)",
    "CREATE TABLE \"test_runs\" (\n\tid INTEGER NOT NULL, \n\ttest_id INTEGER, \n\trun_id INTEGER, \n\tstatus VARCHAR(256), \n\tstart_time DATETIME, \n\tstop_time DATETIME, \n\tstart_time_microsecond INTEGER, \n\tstop_time_microsecond INTEGER, \n\tPRIMARY KEY (id)\n)",
    "CREATE INDEX ix_test_runs_run_id ON test_runs (run_id)",
    "CREATE INDEX ix_test_runs_start_time ON test_runs (start_time)",
    "CREATE INDEX ix_test_runs_stop_time ON test_runs (stop_time)",
    "CREATE INDEX ix_test_runs_test_id ON test_runs (test_id)",
    "CREATE TABLE \"run_metadata\" (\n\tid INTEGER NOT NULL, \n\t\"key\" VARCHAR(255), \n\tvalue VARCHAR(255), \n\trun_id INTEGER, \n\tPRIMARY KEY (id), \n\tCONSTRAINT uq_run_metadata UNIQUE (run_id, \"key\", value)\n)",
    "CREATE INDEX ix_run_id ON run_metadata (run_id)",
    "CREATE TABLE \"test_run_metadata\" (\n\tid INTEGER NOT NULL, \n\t\"key\" VARCHAR(255), \n\tvalue VARCHAR(255), \n\ttest_run_id INTEGER, \n\tPRIMARY KEY (id), \n\tCONSTRAINT uq_test_run_metadata UNIQUE (test_run_id, \"key\", value)\n)",
    "CREATE INDEX ix_test_run_id ON test_run_metadata (test_run_id)",
    "CREATE TABLE \"test_metadata\" (\n\tid INTEGER NOT NULL, \n\t\"key\" VARCHAR(255), \n\tvalue VARCHAR(255), \n\ttest_id INTEGER, \n\tPRIMARY KEY (id), \n\tCONSTRAINT uq_test_metadata UNIQUE (test_id, \"key\", value)\n)",
    "CREATE INDEX ix_test_id ON test_metadata (test_id)",
    "CREATE TABLE \"attachments\" (\n\tid INTEGER NOT NULL, \n\ttest_run_id INTEGER, \n\tlabel VARCHAR(255), \n\tattachment BLOB, \n\tPRIMARY KEY (id)\n)",
    "CREATE INDEX ix_attach_test_run_id ON attachments (test_run_id)",
];

/// One table of the PostgreSQL schema: name, columns, the extra constraint (if any).
const PG_TABLES: &[(&str, &str, Option<&str>)] = &[
    (
        "tests",
        "id bigint NOT NULL, test_id character varying(256) NOT NULL, run_count integer, \
         success integer, failure integer, run_time double precision",
        None,
    ),
    (
        "runs",
        "uuid character varying(36), id bigint NOT NULL, skips integer, fails integer, \
         passes integer, run_time double precision, artifacts text, \
         run_at timestamp without time zone",
        None,
    ),
    (
        "test_runs",
        "id bigint NOT NULL, test_id bigint, run_id bigint, status character varying(256), \
         start_time timestamp without time zone, stop_time timestamp without time zone, \
         start_time_microsecond integer, stop_time_microsecond integer",
        Some("CONSTRAINT uq_test_runs UNIQUE (test_id, run_id)"),
    ),
    (
        "run_metadata",
        "id bigint NOT NULL, key character varying(255), value character varying(255), \
         run_id bigint",
        Some("CONSTRAINT uq_run_metadata UNIQUE (run_id, key, value)"),
    ),
    (
        "test_run_metadata",
        "id bigint NOT NULL, key character varying(255), value character varying(255), \
         test_run_id bigint",
        Some("CONSTRAINT uq_test_run_metadata UNIQUE (test_run_id, key, value)"),
    ),
    (
        "test_metadata",
        "id bigint NOT NULL, key character varying(255), value character varying(255), \
         test_id bigint",
        Some("CONSTRAINT uq_test_metadata UNIQUE (test_id, key, value)"),
    ),
    (
        "attachments",
        "id bigint NOT NULL, test_run_id bigint, label character varying(255), attachment bytea",
        None,
    ),
];

const PG_INDEXES: &[(&str, &str, &str)] = &[
    ("ix_attach_test_run_id", "attachments", "test_run_id"),
    ("ix_run_at", "runs", "run_at"),
    ("ix_run_id", "run_metadata", "run_id"),
    ("ix_run_key_value", "run_metadata", "key, value"),
    ("ix_run_uuid", "runs", "uuid"),
    ("ix_test_id", "test_metadata", "test_id"),
    ("ix_test_id_start_time", "test_runs", "test_id, start_time"),
    ("ix_test_id_status", "test_runs", "test_id, status"),
    ("ix_test_ids", "tests", "id, test_id"),
    ("ix_test_key_value", "test_metadata", "key, value"),
    ("ix_test_run_id", "test_run_metadata", "test_run_id"),
    ("ix_test_run_key_value", "test_run_metadata", "key, value"),
    ("ix_test_runs_run_id", "test_runs", "run_id"),
    ("ix_test_runs_start_time", "test_runs", "start_time"),
    ("ix_test_runs_stop_time", "test_runs", "stop_time"),
    ("ix_test_runs_test_id", "test_runs", "test_id"),
    ("ix_tests_test_id", "tests", "test_id"),
];

/// The statements that make the head schema on `backend`, `alembic_version` row included.
pub fn create_statements(backend: Backend) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match backend {
        Backend::Sqlite => out.extend(SQLITE.iter().map(|s| (*s).to_owned())),
        Backend::Postgres => {
            out.push(
                "CREATE TABLE alembic_version (version_num character varying(32) NOT NULL, \
                 CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                    .to_owned(),
            );
            for (table, columns, extra) in PG_TABLES {
                let extra = extra.map(|c| format!(", {c}")).unwrap_or_default();
                out.push(format!(
                    "CREATE TABLE {table} ({columns}, CONSTRAINT {table}_new_pkey PRIMARY KEY (id){extra})"
                ));
                out.push(format!(
                    "CREATE SEQUENCE {table}_new_new_id_seq OWNED BY {table}.id"
                ));
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN id SET DEFAULT \
                     nextval('{table}_new_new_id_seq'::regclass)"
                ));
            }
            for (name, table, columns) in PG_INDEXES {
                out.push(format!("CREATE INDEX {name} ON {table} ({columns})"));
            }
        }
    }
    out.push(format!(
        "INSERT INTO alembic_version (version_num) VALUES ('{HEAD_REVISION}')"
    ));
    out
}

/// What `upgrade head` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// The schema was made from nothing.
    Created,
    /// The database was already at the head revision.
    AlreadyAtHead,
    /// The schema was migrated from an older revision: the steps, as alembic names them.
    Migrated(Vec<Step>),
}

/// One of subunit2sql's migrations: from, to, and its message.
pub type Step = (&'static str, &'static str, &'static str);

/// subunit2sql 1.10.0's migrations, oldest first: `(revision, down revision, message)`.
pub const HISTORY: [Step; 16] = [
    ("5ef013efbc2", "", "create tests tables"),
    ("1f92cfe8a6d3", "5ef013efbc2", "create runs table"),
    ("3db7b49816d5", "1f92cfe8a6d3", "create test_runs table"),
    (
        "163fd5aa1380",
        "3db7b49816d5",
        "Create avg runtime column in test table",
    ),
    ("4ca26dac400e", "163fd5aa1380", "Create metadata tables"),
    ("13d819bbb0ff", "4ca26dac400e", "Create missing indexes"),
    ("28ac1ba9c3db", "13d819bbb0ff", "Add run_order column"),
    (
        "5332fe255095",
        "28ac1ba9c3db",
        "Populate run_time for existing tests",
    ),
    (
        "1679b5bc102c",
        "5332fe255095",
        "Add microsecond columns to test_runs table",
    ),
    ("487f279b8c78", "1679b5bc102c", "Add attachments table"),
    (
        "1ff737bef438",
        "487f279b8c78",
        "add indexes on common search fields",
    ),
    (
        "2fb76f1a1393",
        "1ff737bef438",
        "Rename test_id column in test_metadata table",
    ),
    ("b96122f780", "2fb76f1a1393", "Cleanup and Improve Indexes"),
    ("2822a408bdd0", "b96122f780", "uuid to integer ids"),
    ("35cd45895e56", "2822a408bdd0", "Add missing fk indexes"),
    ("10a2b6d4b06e", "35cd45895e56", "Add even more indexes"),
];

/// The indexes `35cd45895e56` ("Add missing fk indexes") adds: name, table, columns.
const FK_INDEXES: [(&str, &str, &str); 5] = [
    ("ix_run_id", "run_metadata", "run_id"),
    ("ix_test_id", "test_metadata", "test_id"),
    ("ix_test_run_id", "test_run_metadata", "test_run_id"),
    ("ix_run_at", "runs", "run_at"),
    ("ix_attach_test_run_id", "attachments", "test_run_id"),
];

/// The unique constraints `10a2b6d4b06e` ("Add even more indexes") adds: table, the index
/// `35cd45895e56` made on it, the constrained key column.
const UNIQUE_METADATA: [(&str, &str, &str); 3] = [
    ("run_metadata", "ix_run_id", "run_id"),
    ("test_metadata", "ix_test_id", "test_id"),
    ("test_run_metadata", "ix_test_run_id", "test_run_id"),
];

/// The migrations from `found` to head, or why there are none.
fn steps_from(found: &str, url: &str) -> Result<Vec<Step>> {
    let Some(at) = HISTORY.iter().position(|s| s.0 == found) else {
        return Err(SqlError::WrongRevision {
            url: url.to_owned(),
            found: found.to_owned(),
        });
    };
    let oldest = HISTORY
        .iter()
        .position(|s| s.0 == OLDEST_MIGRATED)
        .unwrap_or(HISTORY.len());
    if at < oldest {
        return Err(SqlError::TooOld {
            url: url.to_owned(),
            found: found.to_owned(),
            name: HISTORY[at].2,
        });
    }
    Ok(HISTORY[at + 1..].to_vec())
}

/// Runs one migration step as alembic 1.9 runs it on `backend` (SQLite: `batch_alter_table`
/// copies a table into `_alembic_tmp_<table>` with the new constraint and renames it back).
fn migrate(conn: &mut Conn, step: &Step, url: &str) -> Result<()> {
    match step.0 {
        "35cd45895e56" => {
            for (name, table, column) in FK_INDEXES {
                conn.batch(&format!("CREATE INDEX {name} ON {table} ({column})"))?;
            }
        }
        "10a2b6d4b06e" => {
            for (table, index, column) in UNIQUE_METADATA {
                let moved = match conn.backend() {
                    Backend::Postgres => conn.batch(&format!(
                        "ALTER TABLE {table} ADD CONSTRAINT uq_{table} UNIQUE ({column}, key, value)"
                    )),
                    Backend::Sqlite => {
                        let create = SQLITE
                            .iter()
                            .find(|s| s.starts_with(&format!("CREATE TABLE \"{table}\" (")))
                            .ok_or_else(|| SqlError::Invalid(format!("no table {table}")))?
                            .replacen(&format!("\"{table}\""), &format!("_alembic_tmp_{table}"), 1);
                        conn.batch(&create)
                            .and_then(|()| {
                                conn.batch(&format!(
                                    "INSERT INTO _alembic_tmp_{table} (id, \"key\", value, {column}) \
                                     SELECT id, \"key\", value, {column} FROM {table}"
                                ))
                            })
                            .and_then(|()| conn.batch(&format!("DROP TABLE {table}")))
                            .and_then(|()| {
                                conn.batch(&format!(
                                    "ALTER TABLE _alembic_tmp_{table} RENAME TO {table}"
                                ))
                            })
                            .and_then(|()| {
                                conn.batch(&format!("CREATE INDEX {index} ON {table} ({column})"))
                            })
                    }
                };
                moved.map_err(|e| {
                    SqlError::Invalid(format!(
                        "cannot migrate {url} from {} to {}: {table} cannot take the unique \
                         constraint uq_{table} ({column}, key, value), as subunit2sql's migration \
                         cannot either (a repeated row?): {e}",
                        step.1, step.0
                    ))
                })?;
            }
        }
        other => {
            return Err(SqlError::Invalid(format!(
                "no migration to revision {other} is known"
            )));
        }
    }
    conn.exec(
        "UPDATE alembic_version SET version_num = $1 WHERE version_num = $2",
        &[Param::from(step.0), Param::from(step.1)],
    )?;
    Ok(())
}

/// The revision in `alembic_version`, or `None` when there is no such table.
pub(crate) fn revision(conn: &mut Conn) -> Result<Option<String>> {
    let exists = match conn.backend() {
        Backend::Sqlite => conn.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
            &[],
        )?,
        Backend::Postgres => conn.scalar(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_name = 'alembic_version' AND table_schema = current_schema()",
            &[],
        )?,
    };
    if exists.and_then(|v| v.as_i64()).unwrap_or(0) == 0 {
        return Ok(None);
    }
    Ok(Some(
        conn.scalar("SELECT version_num FROM alembic_version", &[])?
            .and_then(|v| v.into_string())
            .unwrap_or_default(),
    ))
}

/// Checks that the database is at [`HEAD_REVISION`].
pub(crate) fn check(conn: &mut Conn, url: &str) -> Result<()> {
    match revision(conn)? {
        Some(r) if r == HEAD_REVISION => Ok(()),
        Some(found) => {
            // An older revision subunit2sql names that cannot be migrated says so.
            steps_from(&found, url)?;
            Err(SqlError::WrongRevision {
                url: url.to_owned(),
                found,
            })
        }
        None => Err(SqlError::NoSchema {
            url: url.to_owned(),
        }),
    }
}

/// Makes the head schema in one transaction, unless it is there already; migrates one at a
/// revision from [`OLDEST_MIGRATED`] on to head, in one transaction.
pub(crate) fn upgrade_head(conn: &mut Conn, url: &str) -> Result<Upgrade> {
    let existing = match revision(conn)? {
        Some(r) if r == HEAD_REVISION => return Ok(Upgrade::AlreadyAtHead),
        Some(found) => {
            // Refused before any lock is taken.
            steps_from(&found, url)?;
            true
        }
        None => false,
    };
    let begin = match conn.backend() {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    if existing {
        conn.batch(begin)?;
        let migrated = (|| {
            // Another process may have moved it on since.
            let found = revision(conn)?.unwrap_or_default();
            let steps = if found == HEAD_REVISION {
                Vec::new()
            } else {
                steps_from(&found, url)?
            };
            for step in &steps {
                migrate(conn, step, url)?;
            }
            Ok(steps)
        })();
        return match migrated {
            Ok(steps) => {
                conn.batch("COMMIT")?;
                Ok(if steps.is_empty() {
                    Upgrade::AlreadyAtHead
                } else {
                    Upgrade::Migrated(steps)
                })
            }
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                Err(e)
            }
        };
    }
    conn.batch(begin)?;
    let made = (|| {
        // A table of the schema without alembic_version is someone else's half-made schema.
        for table in &TABLES[..TABLES.len() - 1] {
            let n = match conn.backend() {
                Backend::Sqlite => conn.scalar(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                    &[Param::from(*table)],
                )?,
                Backend::Postgres => conn.scalar(
                    "SELECT count(*) FROM information_schema.tables \
                     WHERE table_name = $1 AND table_schema = current_schema()",
                    &[Param::from(*table)],
                )?,
            };
            if n.and_then(|v| v.as_i64()).unwrap_or(0) != 0 {
                return Err(SqlError::Invalid(format!(
                    "the database {url} has a table {table:?} but no alembic_version: not a \
                     schema this tool can upgrade"
                )));
            }
        }
        for stmt in create_statements(conn.backend()) {
            conn.batch(&stmt)?;
        }
        Ok(())
    })();
    match made {
        Ok(()) => {
            conn.batch("COMMIT")?;
            Ok(Upgrade::Created)
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
