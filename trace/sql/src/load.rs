//! The loader: finished test records in, one stored run out, in one transaction.
//!
//! # How a run is stored
//!
//! Records are staged as they arrive, in batches of multi-row `INSERT`s into temporary tables
//! of the loader's own connection, so memory stays flat whatever the stream's size. At
//! [`Loader::finish`] a handful of set-based statements move the run into subunit2sql's
//! tables inside one transaction: the `runs` row and its metadata, counters of tests already
//! known, rows for new tests, `test_runs`, their metadata and attachments. Either all of it is
//! committed or none.
//!
//! `tests.test_id` has no unique constraint in subunit2sql's schema, so two loaders creating the
//! same new test at once would each add a row. On PostgreSQL the final step therefore runs
//! under one transaction-scoped advisory lock: staging (the slow part) runs in parallel, the
//! moves one after another, and there is no lock-order to deadlock on. On SQLite the final
//! step is a `BEGIN IMMEDIATE` transaction (one writer at a time, waiting up to the busy
//! timeout).
//!
//! # What is stored, as subunit2sql 1.10.0 stores it
//!
//! - The test name is the id with the first match of `--attr_regex` (default `\[(.*)\]`) cut
//!   out (only when it does not start the id); group 1 of that match is the test run's `attrs`
//!   metadata, its tags (joined by `,`) the `tags` metadata. `exists` records and the test
//!   `process-returncode` are not stored; a name seen twice keeps its last record.
//! - Times are the first and last timestamps of the record, rounded to microseconds as
//!   python-subunit rounds them; `run_time` is the sum of the tests' durations (or, with
//!   `use_run_wall_time`, the last end minus the first start), each duration computed as
//!   subunit2sql prints it.
//! - A new test gets `run_count`/`success`/`failure` from its one result and `run_time` its
//!   duration; a known test counts a success (updating the running average of its run time,
//!   weighted by its previous successes) or a failure; other statuses change nothing.
//! - With `test_attr_prefix`, attributes starting with the prefix become `test_metadata`
//!   rows (`attr`, value), the prefix removed with `remove_test_attr_prefix`, once per test.
//! - With `store_attachments`, each file of a test is an `attachments` row labelled with the
//!   file name up to its first `:`.
//!
//! Where subunit2sql 1.10.0 crashes, this stores instead: a test without timestamps (or one the
//! stream never finished) counts as 0 s in the run's time, `xfail`/`uxsuccess` of a known test
//! leave its counters alone, and attachments are stored as their bytes (the Python tool fails
//! with `TypeError: memoryview: a bytes-like object is required, not 'Content'`).

use std::borrow::BorrowMut;

use regex::Regex;
use subunit_parser::fold::TestRecord;

use crate::Database;
use crate::conn::{Backend, Param};
use crate::error::{Result, SqlError};
use crate::time::DbTime;

/// subunit2sql's default `--attr_regex`.
pub const DEFAULT_ATTR_REGEX: &str = r"\[(.*)\]";

/// The PostgreSQL advisory lock key under which runs are moved into place ("s2s" and 1.10).
const PG_LOCK_KEY: i64 = 0x0073_3273_0110;

const STAGE_ROWS: usize = 500;
const ATTACH_ROWS: usize = 100;
const ATTACH_BYTES: usize = 8 << 20;

const STAGE_COLUMNS: &str = "seq, test_id, status, start_time, start_us, stop_time, stop_us, \
                             start_epoch, stop_epoch, duration, attrs, tags";
const STAGE_WIDTH: usize = 12;

/// How a run is stored: subunit2sql's `subunit2sql` options.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The run's `uuid` (`--run_id`); a random UUID when `None`.
    pub run_id: Option<String>,
    /// When the run happened (`--run_at`); now when `None`.
    pub run_at: Option<DbTime>,
    /// Where the run's artifacts are (`--artifacts`).
    pub artifacts: Option<String>,
    /// The run's metadata (`--run_meta key:value,...`), in order.
    pub run_meta: Vec<(String, String)>,
    /// The regex whose first match in a test id holds its attributes (`--attr_regex`).
    pub attr_regex: Regex,
    /// The prefix marking attributes that are test metadata (`--test_attr_prefix`).
    pub test_attr_prefix: Option<String>,
    /// Whether to drop that prefix from the stored value (`--remove_test_attr_prefix`).
    pub remove_test_attr_prefix: bool,
    /// Whether the run's time is its wall time rather than the sum of its tests' times
    /// (`--use_run_wall_time`).
    pub use_run_wall_time: bool,
    /// Whether to store the tests' attachments (`--store_attachments`).
    pub store_attachments: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            run_id: None,
            run_at: None,
            artifacts: None,
            run_meta: Vec::new(),
            attr_regex: Regex::new(DEFAULT_ATTR_REGEX).expect("the default regex compiles"),
            test_attr_prefix: None,
            remove_test_attr_prefix: false,
            use_run_wall_time: false,
            store_attachments: false,
        }
    }
}

/// What [`Loader::finish`] stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunStored {
    /// The `runs.id` of the new row.
    pub id: i64,
    /// The run's `uuid` (what `sql2subunit` takes).
    pub uuid: String,
    /// Tests that passed.
    pub passes: i64,
    /// Tests that failed.
    pub fails: i64,
    /// Tests skipped.
    pub skips: i64,
    /// The run's time in seconds (`NULL` in the database when the wall time has no ends).
    pub run_time: Option<f64>,
    /// Test runs stored (one per test name).
    pub tests: usize,
}

/// Stores one run: [`record`](Loader::record) each finished test, then
/// [`finish`](Loader::finish). Dropping a loader without finishing stores nothing.
///
/// `D` is how it holds the database: borrowed ([`Database::begin_run`]) or owned
/// ([`Database::into_run`], for a sink that must own its state).
pub struct Loader<D: BorrowMut<Database>> {
    db: D,
    opts: LoadOptions,
    seq: i64,
    stage: Vec<Param>,
    attach: Vec<Param>,
    attach_bytes: usize,
    tattr: Vec<Param>,
    open: bool,
}

impl<D: BorrowMut<Database>> std::fmt::Debug for Loader<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("url", self.db.borrow().url())
            .field("records", &self.seq)
            .finish_non_exhaustive()
    }
}

fn insert_sql(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
            n += 1;
        }
        sql.push(')');
    }
    sql
}

/// The test name and attributes subunit2sql derives from a test id.
pub fn split_test_id<'a>(
    regex: &Regex,
    id: &'a str,
) -> (std::borrow::Cow<'a, str>, Option<&'a str>) {
    let Some(caps) = regex.captures(id) else {
        return (id.into(), None);
    };
    let attrs = caps.get(1).map(|m| m.as_str()).filter(|a| !a.is_empty());
    let whole = caps.get(0).expect("group 0 is the match");
    let name = if whole.start() > 0 && whole.end() > whole.start() {
        format!("{}{}", &id[..whole.start()], &id[whole.end()..]).into()
    } else {
        id.into()
    };
    (name, attrs)
}

impl Database {
    /// Starts storing a run.
    ///
    /// # Errors
    ///
    /// When the temporary staging tables cannot be made.
    pub fn begin_run(&mut self, opts: LoadOptions) -> Result<Loader<&mut Database>> {
        Loader::start(self, opts)
    }

    /// Starts storing a run with a loader that owns the connection.
    ///
    /// # Errors
    ///
    /// As [`Database::begin_run`].
    pub fn into_run(self, opts: LoadOptions) -> Result<Loader<Database>> {
        Loader::start(self, opts)
    }
}

impl<D: BorrowMut<Database>> Loader<D> {
    fn start(mut db: D, opts: LoadOptions) -> Result<Self> {
        let conn = &mut db.borrow_mut().conn;
        let (temp, begin) = match conn.backend() {
            Backend::Sqlite => ("", ""),
            Backend::Postgres => (" ON COMMIT DROP", "BEGIN;"),
        };
        let blob = match conn.backend() {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "bytea",
        };
        let float = match conn.backend() {
            Backend::Sqlite => "REAL",
            Backend::Postgres => "double precision",
        };
        let sql = format!(
            "{begin}
            DROP TABLE IF EXISTS s2s_stage; DROP TABLE IF EXISTS s2s_attach;
            DROP TABLE IF EXISTS s2s_tattr; DROP TABLE IF EXISTS s2s_pick;
            DROP TABLE IF EXISTS s2s_tr;
            CREATE TEMP TABLE s2s_stage (seq bigint PRIMARY KEY, test_id text NOT NULL,
                status text NOT NULL, start_time text, start_us integer, stop_time text,
                stop_us integer, start_epoch bigint, stop_epoch bigint, duration {float},
                attrs text, tags text){temp};
            CREATE TEMP TABLE s2s_attach (seq bigint, pos integer, label text,
                attachment {blob}){temp};
            CREATE TEMP TABLE s2s_tattr (seq bigint, pos integer, value text){temp};
            CREATE TEMP TABLE s2s_pick (test_id text PRIMARY KEY, first_seq bigint,
                last_seq bigint, tid bigint){temp};
            CREATE TEMP TABLE s2s_tr (test_id bigint PRIMARY KEY, id bigint){temp};"
        );
        if let Err(e) = conn.batch(&sql) {
            if conn.backend() == Backend::Postgres {
                let _ = conn.batch("ROLLBACK");
            }
            return Err(e);
        }
        Ok(Loader {
            db,
            opts,
            seq: 0,
            stage: Vec::with_capacity(STAGE_ROWS * STAGE_WIDTH),
            attach: Vec::new(),
            attach_bytes: 0,
            tattr: Vec::new(),
            open: true,
        })
    }

    /// Adds one finished test. Records that subunit2sql does not store (`exists`,
    /// `process-returncode`) are passed over.
    ///
    /// # Errors
    ///
    /// When a staging batch cannot be written.
    pub fn record(&mut self, record: &TestRecord) -> Result<()> {
        let status = record.status_name();
        if status == "exists" {
            return Ok(());
        }
        let (name, attrs) = split_test_id(&self.opts.attr_regex, &record.id);
        if name == "process-returncode" {
            return Ok(());
        }
        self.seq += 1;
        let seq = self.seq;
        let start = record.start.map(DbTime::from_timestamp);
        let end = record.end.map(DbTime::from_timestamp);
        let tags = (!record.tags.is_empty()).then(|| {
            record
                .tags
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(",")
        });
        self.stage.extend([
            Param::Int(seq),
            Param::Text(name.into_owned()),
            Param::from(status),
            Param::from(start.map(|t| t.to_string())),
            Param::from(start.map(|t| i64::from(t.microsecond()))),
            Param::from(end.map(|t| t.to_string())),
            Param::from(end.map(|t| i64::from(t.microsecond()))),
            Param::from(start.map(|t| t.0)),
            Param::from(end.map(|t| t.0)),
            Param::from(DbTime::duration(start, end)),
            Param::from(attrs.map(str::to_owned)),
            Param::from(tags),
        ]);
        if let (Some(prefix), Some(attrs)) = (&self.opts.test_attr_prefix, attrs) {
            let mut seen: Vec<&str> = Vec::new();
            for attr in attrs.split(',').filter(|a| a.starts_with(prefix.as_str())) {
                let value = if self.opts.remove_test_attr_prefix {
                    &attr[prefix.len()..]
                } else {
                    attr
                };
                if !seen.contains(&value) {
                    seen.push(value);
                    self.tattr.extend([
                        Param::Int(seq),
                        Param::Int(seen.len() as i64),
                        Param::from(value),
                    ]);
                }
            }
        }
        if self.opts.store_attachments {
            // A dict keyed by label: the first label keeps its place, the last content wins.
            let mut labels: Vec<(&str, &[u8])> = Vec::new();
            for a in &record.attachments {
                let label = a.name.split(':').next().unwrap_or("");
                match labels.iter_mut().find(|(l, _)| *l == label) {
                    Some(slot) => slot.1 = &a.content,
                    None => labels.push((label, &a.content)),
                }
            }
            for (pos, (label, content)) in labels.into_iter().enumerate() {
                self.attach_bytes += content.len();
                self.attach.extend([
                    Param::Int(seq),
                    Param::Int(pos as i64),
                    Param::from(label),
                    Param::Blob(content.to_vec()),
                ]);
            }
        }
        if self.stage.len() >= STAGE_ROWS * STAGE_WIDTH
            || self.attach.len() >= ATTACH_ROWS * 4
            || self.attach_bytes >= ATTACH_BYTES
            || self.tattr.len() >= STAGE_ROWS * 3
        {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let conn = &mut self.db.borrow_mut().conn;
        for (table, columns, width, rows) in [
            ("s2s_stage", STAGE_COLUMNS, STAGE_WIDTH, &mut self.stage),
            (
                "s2s_attach",
                "seq, pos, label, attachment",
                4,
                &mut self.attach,
            ),
            ("s2s_tattr", "seq, pos, value", 3, &mut self.tattr),
        ] {
            if rows.is_empty() {
                continue;
            }
            let sql = insert_sql(table, columns, width, rows.len() / width);
            conn.exec(&sql, rows)?;
            rows.clear();
        }
        self.attach_bytes = 0;
        Ok(())
    }

    /// Stores the run: everything recorded, in one transaction.
    ///
    /// # Errors
    ///
    /// When the database fails a statement; nothing of the run is stored then.
    pub fn finish(mut self) -> Result<RunStored> {
        let result = self.flush().and_then(|()| self.move_into_place());
        let conn = &mut self.db.borrow_mut().conn;
        match &result {
            Ok(_) => {
                if let Err(e) = conn.batch("COMMIT") {
                    let _ = conn.batch("ROLLBACK");
                    self.open = false;
                    return Err(e);
                }
            }
            Err(_) => {
                let _ = conn.batch("ROLLBACK");
            }
        }
        self.open = false;
        if conn.backend() == Backend::Sqlite {
            let _ = conn.batch(DROP_SQLITE_STAGE);
        }
        result
    }

    fn move_into_place(&mut self) -> Result<RunStored> {
        let opts = &self.opts;
        let conn = &mut self.db.borrow_mut().conn;
        match conn.backend() {
            Backend::Sqlite => conn.batch("BEGIN IMMEDIATE")?,
            Backend::Postgres => {
                conn.exec(
                    "SELECT pg_advisory_xact_lock($1)",
                    &[Param::Int(PG_LOCK_KEY)],
                )?;
            }
        }
        conn.exec(
            "INSERT INTO s2s_pick (test_id, first_seq, last_seq) \
             SELECT test_id, min(seq), max(seq) FROM s2s_stage GROUP BY test_id",
            &[],
        )?;
        const PICKED: &str = "s2s_pick p JOIN s2s_stage s ON s.seq = p.last_seq";
        let (mut passes, mut fails, mut skips, mut tests) = (0i64, 0i64, 0i64, 0usize);
        let mut sum = 0.0f64;
        let (mut first, mut last): (Option<i64>, Option<i64>) = (None, None);
        conn.each_row(
            &format!(
                "SELECT s.status, s.duration, s.start_epoch, s.stop_epoch FROM {PICKED} \
                 ORDER BY p.first_seq"
            ),
            &[],
            |row| {
                tests += 1;
                match row[0].as_str() {
                    Some("success") => passes += 1,
                    Some("fail") => fails += 1,
                    Some("skip") => skips += 1,
                    _ => {}
                }
                if let Some(d) = row[1].as_f64() {
                    sum += d;
                }
                if let Some(s) = row[2].as_i64() {
                    first = Some(first.map_or(s, |f| f.min(s)));
                }
                if let Some(e) = row[3].as_i64() {
                    last = Some(last.map_or(e, |l| l.max(e)));
                }
                Ok(())
            },
        )?;
        let run_time = if opts.use_run_wall_time {
            DbTime::duration(first.map(DbTime), last.map(DbTime))
        } else {
            Some(sum)
        };
        let uuid = opts
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let run_at = opts.run_at.unwrap_or_else(DbTime::now);
        let id = conn
            .scalar(
                &format!(
                    "INSERT INTO runs (uuid, skips, fails, passes, run_time, artifacts, run_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, {}) RETURNING id",
                    conn.to_time("$7")
                ),
                &[
                    Param::from(uuid.as_str()),
                    Param::Int(skips),
                    Param::Int(fails),
                    Param::Int(passes),
                    Param::from(run_time),
                    Param::from(opts.artifacts.clone()),
                    Param::Text(run_at.to_string()),
                ],
            )?
            .and_then(|v| v.as_i64())
            .ok_or_else(|| SqlError::Database("INSERT INTO runs returned no id".to_owned()))?;
        for (key, value) in &opts.run_meta {
            conn.exec(
                "INSERT INTO run_metadata (key, value, run_id) VALUES ($1, $2, $3)",
                &[
                    Param::from(key.as_str()),
                    Param::from(value.as_str()),
                    Param::Int(id),
                ],
            )?;
        }
        // Set-based, so PostgreSQL hash-joins: a correlated subquery per row would be planned
        // on the statistics of tables this very transaction is filling (none for the
        // temporary ones), and go quadratic.
        const RESOLVE: &str = "UPDATE s2s_pick SET tid = t.id FROM (SELECT test_id, min(id) AS id \
            FROM tests WHERE test_id IN (SELECT test_id FROM s2s_pick WHERE tid IS NULL) \
            GROUP BY test_id) t WHERE t.test_id = s2s_pick.test_id";
        if conn.backend() == Backend::Postgres {
            conn.batch("ANALYZE s2s_stage; ANALYZE s2s_pick")?;
        }
        conn.exec(RESOLVE, &[])?;
        conn.exec(
            &format!(
                "UPDATE tests SET run_count = run_count + 1, success = success + 1, \
                 run_time = CASE WHEN tests.run_time IS NULL THEN x.duration \
                 WHEN x.duration IS NULL THEN tests.run_time \
                 ELSE (tests.success * tests.run_time + x.duration) / (tests.success + 1) END \
                 FROM (SELECT p.tid, s.duration FROM {PICKED} \
                 WHERE p.tid IS NOT NULL AND s.status = 'success') x WHERE tests.id = x.tid"
            ),
            &[],
        )?;
        conn.exec(
            &format!(
                "UPDATE tests SET run_count = run_count + 1, failure = failure + 1 \
                 FROM (SELECT p.tid FROM {PICKED} \
                 WHERE p.tid IS NOT NULL AND s.status = 'fail') x WHERE tests.id = x.tid"
            ),
            &[],
        )?;
        conn.exec(
            &format!(
                "INSERT INTO tests (test_id, run_count, success, failure, run_time) \
                 SELECT p.test_id, \
                 CASE WHEN s.status IN ('success', 'fail') THEN 1 ELSE 0 END, \
                 CASE WHEN s.status = 'success' THEN 1 ELSE 0 END, \
                 CASE WHEN s.status = 'fail' THEN 1 ELSE 0 END, s.duration \
                 FROM {PICKED} WHERE p.tid IS NULL ORDER BY p.first_seq"
            ),
            &[],
        )?;
        conn.exec(RESOLVE, &[])?;
        conn.exec(
            &format!(
                "INSERT INTO test_runs (test_id, run_id, status, start_time, stop_time, \
                 start_time_microsecond, stop_time_microsecond) \
                 SELECT p.tid, $1, s.status, {}, {}, s.start_us, s.stop_us \
                 FROM {PICKED} ORDER BY p.first_seq",
                conn.to_time("s.start_time"),
                conn.to_time("s.stop_time"),
            ),
            &[Param::Int(id)],
        )?;
        conn.exec(
            "INSERT INTO s2s_tr (test_id, id) SELECT test_id, id FROM test_runs WHERE run_id = $1",
            &[Param::Int(id)],
        )?;
        if conn.backend() == Backend::Postgres {
            conn.batch("ANALYZE s2s_tr")?;
        }
        conn.exec(
            &format!(
                "INSERT INTO test_run_metadata (key, value, test_run_id) \
                 SELECT m.key, m.value, m.trid FROM ( \
                 SELECT p.first_seq AS o, 0 AS k, 'attrs' AS key, s.attrs AS value, r.id AS trid \
                 FROM {PICKED} JOIN s2s_tr r ON r.test_id = p.tid WHERE s.attrs IS NOT NULL \
                 UNION ALL SELECT p.first_seq, 1, 'tags', s.tags, r.id \
                 FROM {PICKED} JOIN s2s_tr r ON r.test_id = p.tid WHERE s.tags IS NOT NULL) m \
                 ORDER BY m.o, m.k"
            ),
            &[],
        )?;
        conn.exec(
            "INSERT INTO test_metadata (key, value, test_id) \
             SELECT 'attr', a.value, p.tid FROM s2s_tattr a JOIN s2s_pick p ON p.last_seq = a.seq \
             WHERE NOT EXISTS (SELECT 1 FROM test_metadata m \
             WHERE m.test_id = p.tid AND m.key = 'attr' AND m.value = a.value) \
             ORDER BY p.first_seq, a.pos",
            &[],
        )?;
        conn.exec(
            "INSERT INTO attachments (test_run_id, label, attachment) \
             SELECT r.id, a.label, a.attachment FROM s2s_attach a \
             JOIN s2s_pick p ON p.last_seq = a.seq JOIN s2s_tr r ON r.test_id = p.tid \
             ORDER BY p.first_seq, a.pos",
            &[],
        )?;
        Ok(RunStored {
            id,
            uuid,
            passes,
            fails,
            skips,
            run_time,
            tests,
        })
    }
}

const DROP_SQLITE_STAGE: &str = "DROP TABLE IF EXISTS s2s_stage; DROP TABLE IF EXISTS s2s_attach; \
    DROP TABLE IF EXISTS s2s_tattr; DROP TABLE IF EXISTS s2s_pick; DROP TABLE IF EXISTS s2s_tr;";

impl<D: BorrowMut<Database>> Drop for Loader<D> {
    fn drop(&mut self) {
        if self.open {
            let conn = &mut self.db.borrow_mut().conn;
            match conn.backend() {
                Backend::Postgres => {
                    let _ = conn.batch("ROLLBACK");
                }
                Backend::Sqlite => {
                    let _ = conn.batch(DROP_SQLITE_STAGE);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ids_split_as_subunit2sql_splits_them() {
        let re = Regex::new(DEFAULT_ATTR_REGEX).unwrap();
        assert_eq!(
            split_test_id(&re, "a.b.test_x[id-1,smoke]"),
            ("a.b.test_x".into(), Some("id-1,smoke"))
        );
        assert_eq!(
            split_test_id(&re, "a.b.test_x"),
            ("a.b.test_x".into(), None)
        );
        // A match at the start is not cut out, but its attributes still count.
        assert_eq!(split_test_id(&re, "[x]y"), ("[x]y".into(), Some("x")));
        // Greedy, as Python's `.*`.
        assert_eq!(
            split_test_id(&re, "t[a](b)[c]"),
            ("t".into(), Some("a](b)[c"))
        );
        assert_eq!(split_test_id(&re, "t[]"), ("t".into(), None));
    }

    #[test]
    fn multi_row_inserts_number_their_parameters() {
        assert_eq!(
            insert_sql("t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
    }

    mod stored {
        use std::collections::{BTreeMap, BTreeSet};

        use proptest::prelude::*;
        use subunit_emitter::{Status, Timestamp};
        use subunit_parser::fold::TestRecord;

        use crate::{Database, LoadOptions};

        const STATUSES: [Status; 5] = [
            Status::Success,
            Status::Fail,
            Status::Skip,
            Status::XFail,
            Status::Exists,
        ];

        fn record(
            (name, attrs, status, start, len, tag): (u8, bool, usize, u32, u32, bool),
        ) -> TestRecord {
            let base = format!("t.test_{name}");
            TestRecord {
                id: if attrs {
                    format!("{base}[id-{name},smoke]")
                } else {
                    base
                },
                route_code: None,
                status: Some(STATUSES[status]),
                tags: if tag {
                    BTreeSet::from(["worker-1".to_owned()])
                } else {
                    BTreeSet::new()
                },
                attachments: Vec::new(),
                start: Some(Timestamp::new(1_700_000_000 + start, 1500)),
                end: Some(Timestamp::new(1_700_000_000 + start + len, 999_999_500)),
                complete: true,
            }
        }

        proptest! {
            /// Whatever the records, the run holds the last record of each name (exists
            /// left out), its totals count those, and sql2subunit gives them back.
            #[test]
            fn a_run_holds_the_last_record_of_each_name(
                records in prop::collection::vec(
                    (0u8..12, any::<bool>(), 0usize..5, 0u32..1000, 0u32..10, any::<bool>()),
                    0..40,
                )
            ) {
                let records: Vec<TestRecord> = records.into_iter().map(record).collect();
                let mut db = Database::connect("sqlite://").unwrap();
                db.upgrade_head().unwrap();
                let mut loader = db.begin_run(LoadOptions { run_id: Some("r".into()), ..LoadOptions::default() }).unwrap();
                for r in &records {
                    loader.record(r).unwrap();
                }
                let stored = loader.finish().unwrap();
                let re = regex::Regex::new(super::DEFAULT_ATTR_REGEX).unwrap();
                let mut last: BTreeMap<String, &TestRecord> = BTreeMap::new();
                for r in records.iter().filter(|r| r.status != Some(Status::Exists)) {
                    last.insert(super::split_test_id(&re, &r.id).0.into_owned(), r);
                }
                let count = |s: Status| last.values().filter(|r| r.status == Some(s)).count() as i64;
                prop_assert_eq!(stored.tests, last.len());
                prop_assert_eq!((stored.passes, stored.fails, stored.skips), (count(Status::Success), count(Status::Fail), count(Status::Skip)));

                let mut stream = Vec::new();
                db.write_run("r", &mut stream).unwrap();
                let mut back = BTreeMap::new();
                let mut collect = subunit_sinks::Records(|r: subunit_parser::fold::TestRecord| {
                    if r.complete {
                        back.insert(super::split_test_id(&re, &r.id).0.into_owned(), (r.id, r.status, r.tags, r.start, r.end));
                    }
                });
                subunit_sinks::Pipeline::new()
                    .run::<_, subunit_sinks::Error>(&stream[..], &mut collect)
                    .unwrap();
                let expected: BTreeMap<_, _> = last
                    .iter()
                    .map(|(n, r)| (n.clone(), (r.id.clone(), r.status, r.tags.clone(), r.start.map(Timestamp::python_rounded), r.end.map(Timestamp::python_rounded))))
                    .collect();
                prop_assert_eq!(back, expected);
            }
        }
    }
}
