//! The HTML report of runs in the database (`subunit-sql report --html`): the page
//! [`subunit_sinks::html`] makes of one run, plus the history view
//! ([`subunit_sinks::html::history`]) of the runs a [`Filter`] selects: passes, failures,
//! skips and run time per run as a chart, the flaky tests, and each test that did not always
//! pass with its status in each run. The same page `subunit-store report` makes of a `.stestr`
//! store, made from the database's runs.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_sql::page::ReportOptions;
//! use subunit_sql::{Database, LoadOptions, LoadSink};
//!
//! let mut db = Database::connect("sqlite://")?;
//! db.upgrade_head()?;
//! for (run, status) in [("r1", Status::Success), ("r2", Status::Fail)] {
//!     let stream = to_vec(&Packet::status("t.A.test_a", status).as_ref())?;
//!     let loader = db.begin_run(LoadOptions {
//!         run_id: Some(run.into()),
//!         run_meta: vec![("commit".into(), "abc".into())],
//!         ..LoadOptions::default()
//!     })?;
//!     LoadSink::new(loader, false).load(&stream[..])?;
//! }
//! let mut page = Vec::new();
//! db.write_report_page(&ReportOptions::default(), &mut page)?;
//! let page = String::from_utf8(page)?;
//! assert!(page.contains(r#"<tr class="flaky" data-id="t.A.test_a">"#));
//! assert!(page.contains(r#"<tr class="test-history" data-id="t.A.test_a">"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::io::Write;

use subunit_sinks::html::history::{FlakyRow, History, RunPoint, TestRow};
use subunit_sinks::html::{HtmlOptions, Outcome, read};

use crate::Database;
use crate::error::{Result, SqlError};
use crate::query::Filter;

/// What `subunit-sql report --html` shows.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Which runs make the history.
    pub filter: Filter,
    /// How many of the most recent of them.
    pub runs: usize,
    /// The run the page shows (its uuid); the newest of the history when `None`.
    pub run: Option<String>,
    /// The run metadata keys that name the code a run tested: a test that passed and failed
    /// among runs with the same values of these is flaky (runs with none of them count as one
    /// unknown code, as the store's runs without a commit do).
    pub flaky_by: Vec<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            filter: Filter::default(),
            runs: 10,
            run: None,
            flaky_by: vec!["commit".to_owned()],
        }
    }
}

impl Database {
    /// Writes the page of one run with the history of the runs `options` selects.
    ///
    /// The shown run's stream is made as `sql2subunit` makes it and held in memory while it
    /// is read; the page holds what [`subunit_sinks::html::HtmlReport`] holds.
    ///
    /// # Errors
    ///
    /// [`SqlError::NoRuns`] when the filter selects no run, [`SqlError::NoSuchRun`] for an
    /// unknown `run`, database errors, and writing `out` ([`SqlError::Write`]).
    pub fn write_report_page(
        &mut self,
        options: &ReportOptions,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut report = self.report(&options.filter, options.runs)?;
        if report.runs.is_empty() && options.run.is_none() {
            return Err(SqlError::NoRuns);
        }
        // Oldest first, as the chart reads.
        report.runs.reverse();
        for t in &mut report.tests {
            t.statuses.reverse();
        }
        let current = match &options.run {
            Some(run) => run.clone(),
            None => report
                .runs
                .last()
                .map(|r| r.uuid.clone())
                .unwrap_or_default(),
        };
        let mut stream = Vec::new();
        self.write_run(&current, &mut stream)?;
        let mut metadata = vec![
            ("Database".to_owned(), self.url().redacted()),
            ("Run".to_owned(), current.clone()),
        ];
        if let Some(run) = self.run_summary(&current)? {
            if let Some(at) = &run.run_at {
                metadata.push(("Run at".to_owned(), at.clone()));
            }
            if let Some(a) = &run.artifacts {
                metadata.push(("Artifacts".to_owned(), a.clone()));
            }
            metadata.extend(run.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let page = read(
            &stream[..],
            HtmlOptions {
                title: format!("Run {current}"),
                metadata,
            },
        )
        .map_err(|e| SqlError::Invalid(format!("cannot read run {current}'s stream: {e}")))?;
        let labels: Vec<String> = (1..=report.runs.len()).map(|i| i.to_string()).collect();
        let points = report
            .runs
            .iter()
            .zip(&labels)
            .map(|(r, label)| RunPoint {
                run: r.uuid.clone(),
                label: label.clone(),
                passed: count(r.passes),
                failed: count(r.fails),
                skipped: count(r.skips),
                time: r.run_time,
            })
            .collect();
        // The code each run tested, as a small number (one per distinct value).
        let mut codes: HashMap<Option<String>, usize> = HashMap::new();
        let code_of: Vec<usize> = report
            .runs
            .iter()
            .map(|r| {
                let values: Vec<String> = options
                    .flaky_by
                    .iter()
                    .filter_map(|k| r.metadata.get(k).map(|v| format!("{k}={v}")))
                    .collect();
                let key = (!values.is_empty()).then(|| values.join(" "));
                let n = codes.len();
                *codes.entry(key).or_insert(n)
            })
            .collect();
        let mut names: Vec<Option<String>> = vec![None; codes.len()];
        for (name, i) in codes {
            names[i] = name;
        }
        let mut flaky = Vec::new();
        let mut tests = Vec::new();
        for t in report.tests {
            let outcomes: Vec<Option<Outcome>> = t
                .statuses
                .iter()
                .map(|s| s.as_deref().map(Outcome::from_name))
                .collect();
            for (code, name) in names.iter().enumerate() {
                let runs_with = |wanted: Outcome| -> Vec<String> {
                    outcomes
                        .iter()
                        .enumerate()
                        .filter(|&(i, o)| code_of[i] == code && *o == Some(wanted))
                        .map(|(i, _)| labels[i].clone())
                        .collect()
                };
                let (passed, failed) = (runs_with(Outcome::Success), runs_with(Outcome::Fail));
                if !passed.is_empty() && !failed.is_empty() {
                    flaky.push(FlakyRow {
                        id: t.test_id.clone(),
                        group: name.clone(),
                        passed,
                        failed,
                    });
                }
            }
            if outcomes.iter().flatten().any(|o| o.is_problem()) {
                tests.push(TestRow {
                    id: t.test_id,
                    outcomes,
                });
            }
        }
        flaky.sort_by(|a, b| a.group.cmp(&b.group).then_with(|| a.id.cmp(&b.id)));
        let history = History {
            points,
            current,
            time_is: "run time",
            flaky_by: options.flaky_by.join(" and "),
            flaky,
            tests,
        };
        page.write_page_with(out, &history.sections())?;
        Ok(())
    }
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}
