//! The questions openstack-health and `subunit2sql-graph` answered, over any database with
//! subunit2sql's schema (ours or the Python tool's).
//!
//! Every query takes a [`Filter`]: a time window on the runs' `run_at` and run metadata that
//! must match (`build_name=gate-tempest`, `project=...`). Results are plain structs that
//! serialise to JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Database;
use crate::conn::{Conn, Param, Value};
use crate::error::Result;
use crate::time::DbTime;

/// Which runs a query looks at.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Runs at or after this time.
    pub since: Option<DbTime>,
    /// Runs before this time.
    pub until: Option<DbTime>,
    /// Run metadata every run must have, `(key, value)`.
    pub meta: Vec<(String, String)>,
}

impl Filter {
    /// The `WHERE` clause on `runs r`, with its parameters appended to `params`.
    fn clause(&self, conn: &Conn, params: &mut Vec<Param>) -> String {
        let mut parts = vec!["1 = 1".to_owned()];
        if let Some(since) = self.since {
            params.push(Param::Text(since.to_string()));
            parts.push(format!(
                "r.run_at >= {}",
                conn.to_time(&format!("${}", params.len()))
            ));
        }
        if let Some(until) = self.until {
            params.push(Param::Text(until.to_string()));
            parts.push(format!(
                "r.run_at < {}",
                conn.to_time(&format!("${}", params.len()))
            ));
        }
        for (key, value) in &self.meta {
            params.push(Param::from(key.as_str()));
            params.push(Param::from(value.as_str()));
            parts.push(format!(
                "r.id IN (SELECT m.run_id FROM run_metadata m WHERE m.key = ${} AND m.value = ${})",
                params.len() - 1,
                params.len()
            ));
        }
        parts.join(" AND ")
    }
}

/// A stored run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// The run's uuid.
    pub uuid: String,
    /// When it ran (`YYYY-MM-DD HH:MM:SS.ffffff`).
    pub run_at: Option<String>,
    /// Tests that passed.
    pub passes: i64,
    /// Tests that failed.
    pub fails: i64,
    /// Tests skipped.
    pub skips: i64,
    /// The run's time in seconds.
    pub run_time: Option<f64>,
    /// Where its artifacts are.
    pub artifacts: Option<String>,
    /// Its metadata.
    pub metadata: BTreeMap<String, String>,
}

/// A test's failure rate over the runs of a window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureRate {
    /// The test.
    pub test_id: String,
    /// Runs in which it passed or failed.
    pub runs: i64,
    /// Runs in which it failed.
    pub failures: i64,
    /// `failures / runs`.
    pub rate: f64,
}

/// One run of one test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestRunEntry {
    /// The test.
    pub test_id: String,
    /// The run's uuid.
    pub run: String,
    /// When the run ran.
    pub run_at: Option<String>,
    /// The test's status in it.
    pub status: String,
    /// When the test started.
    pub start_time: Option<String>,
    /// How long it took, in seconds.
    pub duration: Option<f64>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(|s| match DbTime::parse(s) {
        Some(t) => t.to_string(),
        None => s.to_owned(),
    })
}

fn time(v: &Value, micros: &Value) -> Option<DbTime> {
    let t = DbTime::parse(v.as_str()?)?;
    Some(micros.as_i64().map_or(t, |us| t.with_microsecond(us)))
}

impl Database {
    /// The most recent runs (by `run_at`), newest first, with their metadata.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn recent_runs(&mut self, filter: &Filter, limit: usize) -> Result<Vec<RunSummary>> {
        let mut params = Vec::new();
        let clause = filter.clause(&self.conn, &mut params);
        self.runs_where(&clause, &params, limit)
    }

    /// The run with this uuid, `None` when there is none.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn run_summary(&mut self, uuid: &str) -> Result<Option<RunSummary>> {
        Ok(self
            .runs_where("r.uuid = $1", &[Param::from(uuid)], 1)?
            .pop())
    }

    fn runs_where(
        &mut self,
        clause: &str,
        params: &[Param],
        limit: usize,
    ) -> Result<Vec<RunSummary>> {
        let sql = format!(
            "SELECT r.id, r.uuid, {}, r.passes, r.fails, r.skips, r.run_time, r.artifacts \
             FROM runs r WHERE {clause} ORDER BY r.run_at DESC, r.id DESC LIMIT {limit}",
            self.conn.time_text("r.run_at")
        );
        let rows = self.conn.rows(&sql, params)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut metadata = BTreeMap::new();
            self.conn.each_row(
                "SELECT key, value FROM run_metadata WHERE run_id = $1 ORDER BY id",
                &[Param::Int(row[0].as_i64().unwrap_or_default())],
                |m| {
                    if let (Some(k), Some(v)) = (m[0].as_str(), m[1].as_str()) {
                        metadata.insert(k.to_owned(), v.to_owned());
                    }
                    Ok(())
                },
            )?;
            out.push(RunSummary {
                uuid: row[1].as_str().unwrap_or_default().to_owned(),
                run_at: text(&row[2]),
                passes: row[3].as_i64().unwrap_or_default(),
                fails: row[4].as_i64().unwrap_or_default(),
                skips: row[5].as_i64().unwrap_or_default(),
                run_time: row[6].as_f64(),
                artifacts: row[7].as_str().map(str::to_owned),
                metadata,
            });
        }
        Ok(out)
    }

    /// Each test's failure rate over the filtered runs (failures over passes and failures),
    /// highest first, for tests that ran at least `min_runs` times.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn failure_rates(
        &mut self,
        filter: &Filter,
        min_runs: i64,
        limit: usize,
    ) -> Result<Vec<FailureRate>> {
        let mut params = Vec::new();
        let clause = filter.clause(&self.conn, &mut params);
        let sql = format!(
            "SELECT t.test_id, count(*) AS n, \
             sum(CASE WHEN tr.status = 'fail' THEN 1 ELSE 0 END) AS f \
             FROM test_runs tr JOIN tests t ON t.id = tr.test_id JOIN runs r ON r.id = tr.run_id \
             WHERE tr.status IN ('success', 'fail') AND {clause} \
             GROUP BY t.test_id HAVING count(*) >= {min_runs} \
             ORDER BY 1.0 * sum(CASE WHEN tr.status = 'fail' THEN 1 ELSE 0 END) / count(*) DESC, \
             count(*) DESC, t.test_id LIMIT {limit}"
        );
        Ok(self
            .conn
            .rows(&sql, &params)?
            .into_iter()
            .map(|r| {
                let runs = r[1].as_i64().unwrap_or_default();
                let failures = r[2].as_i64().unwrap_or_default();
                FailureRate {
                    test_id: r[0].as_str().unwrap_or_default().to_owned(),
                    runs,
                    failures,
                    rate: if runs == 0 {
                        0.0
                    } else {
                        failures as f64 / runs as f64
                    },
                }
            })
            .collect())
    }

    fn test_runs_where(
        &mut self,
        condition: &str,
        mut params: Vec<Param>,
        filter: &Filter,
        order: &str,
    ) -> Result<Vec<TestRunEntry>> {
        let clause = filter.clause(&self.conn, &mut params);
        let sql = format!(
            "SELECT t.test_id, r.uuid, {}, tr.status, {}, tr.start_time_microsecond, {}, \
             tr.stop_time_microsecond FROM test_runs tr JOIN tests t ON t.id = tr.test_id \
             JOIN runs r ON r.id = tr.run_id WHERE {condition} AND {clause} ORDER BY {order}",
            self.conn.time_text("r.run_at"),
            self.conn.time_text("tr.start_time"),
            self.conn.time_text("tr.stop_time"),
        );
        let mut out = Vec::new();
        self.conn.each_row(&sql, &params, |r| {
            let start = time(&r[4], &r[5]);
            let stop = time(&r[6], &r[7]);
            out.push(TestRunEntry {
                test_id: r[0].as_str().unwrap_or_default().to_owned(),
                run: r[1].as_str().unwrap_or_default().to_owned(),
                run_at: text(&r[2]),
                status: r[3].as_str().unwrap_or_default().to_owned(),
                start_time: start.map(|t| t.to_string()),
                duration: DbTime::duration(start, stop),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// A test's runs (oldest first): status and run time, for its history graph.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn test_history(&mut self, test_id: &str, filter: &Filter) -> Result<Vec<TestRunEntry>> {
        self.test_runs_where(
            "t.test_id = $1",
            vec![Param::from(test_id)],
            filter,
            "r.run_at, r.id",
        )
    }

    /// The runs in which a test failed, newest first.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn runs_failing(
        &mut self,
        test_id: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<TestRunEntry>> {
        self.test_runs_where(
            "t.test_id = $1 AND tr.status = 'fail'",
            vec![Param::from(test_id)],
            filter,
            &format!("r.run_at DESC, r.id DESC LIMIT {limit}"),
        )
    }

    /// The slowest passing test runs, slowest first: in one run (by uuid), or across the
    /// filtered runs.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn slowest(
        &mut self,
        run: Option<&str>,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<TestRunEntry>> {
        let mut condition = "tr.status = 'success' AND tr.start_time IS NOT NULL \
                             AND tr.stop_time IS NOT NULL"
            .to_owned();
        let mut params = Vec::new();
        if let Some(uuid) = run {
            condition.push_str(" AND r.uuid = $1");
            params.push(Param::from(uuid));
        }
        let order = format!("{} DESC, tr.id LIMIT {limit}", self.conn.duration_sql());
        self.test_runs_where(&condition, params, filter, &order)
    }
}

/// The history view of the HTML report: the recent runs, and each test's status in each.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The runs, newest first.
    pub runs: Vec<RunSummary>,
    /// Every test of those runs, most failures first.
    pub tests: Vec<TestHistory>,
}

/// One test across the runs of a [`Report`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestHistory {
    /// The test.
    pub test_id: String,
    /// Its status in each run of the report, in the report's order (`None`: not run).
    pub statuses: Vec<Option<String>>,
    /// How many of those runs it failed.
    pub failures: usize,
    /// Its mean run time over the runs it passed, in seconds.
    pub mean_duration: Option<f64>,
}

impl Database {
    /// The history view for the HTML report: the `runs` most recent filtered runs and every
    /// test's status in each.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn report(&mut self, filter: &Filter, runs: usize) -> Result<Report> {
        let recent = self.recent_runs(filter, runs)?;
        let index: BTreeMap<&str, usize> = recent
            .iter()
            .enumerate()
            .map(|(i, r)| (r.uuid.as_str(), i))
            .collect();
        let mut tests: BTreeMap<String, (TestHistory, f64, usize)> = BTreeMap::new();
        for (i, run) in recent.iter().enumerate() {
            let entries = self.test_runs_where(
                "r.uuid = $1",
                vec![Param::from(run.uuid.as_str())],
                &Filter::default(),
                "tr.id",
            )?;
            for e in entries {
                let slot = tests.entry(e.test_id.clone()).or_insert_with(|| {
                    (
                        TestHistory {
                            test_id: e.test_id.clone(),
                            statuses: vec![None; index.len()],
                            failures: 0,
                            mean_duration: None,
                        },
                        0.0,
                        0,
                    )
                });
                if e.status == "fail" {
                    slot.0.failures += 1;
                }
                if let (Some(d), "success") = (e.duration, e.status.as_str()) {
                    slot.1 += d;
                    slot.2 += 1;
                }
                slot.0.statuses[i] = Some(e.status);
            }
        }
        let mut tests: Vec<TestHistory> = tests
            .into_values()
            .map(|(mut t, sum, n)| {
                t.mean_duration = (n > 0).then(|| sum / n as f64);
                t
            })
            .collect();
        tests.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.test_id.cmp(&b.test_id)));
        Ok(Report {
            runs: recent,
            tests,
        })
    }
}
