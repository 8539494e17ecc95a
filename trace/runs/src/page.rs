//! The HTML pages of stored runs: a run as [`subunit_sinks::html`] shows a stream, plus the
//! store's history (passes, failures, skips and wall time per run as a chart, the flaky tests,
//! and the history of each test that did not always pass: [`subunit_sinks::html::history`]), for
//! `subunit-store report` ([`store_report`]); and two runs side by side for `subunit-diff --html` ([`write_diff`]).
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_runs::page::store_report;
//! use subunit_runs::store::Store;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::init(dir.path())?;
//! for status in [Status::Success, Status::Fail] {
//!     let stream = to_vec(&Packet::status("t.A.test_a", status).as_ref())?;
//!     store.load(vec![("-".into(), &stream[..])], None, |_| Ok(()))?;
//! }
//! let mut page = Vec::new();
//! store_report(&store, None, &mut page)?;
//! let page = String::from_utf8(page)?;
//! assert!(page.contains(r#"data-run="1" data-pass="0" data-fail="1""#));
//! assert!(page.contains(r#"<tr class="test-history" data-id="t.A.test_a">"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io::Write;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use subunit_sinks::html::history::{FlakyRow, History, RunPoint, TestRow};
use subunit_sinks::html::{HtmlOptions, HtmlReport, Outcome, STYLE};
use subunit_sinks::pipeline::{Pipeline, View};
use subunit_sinks::stats::Stats;

use crate::compare::history::{flaky, records};
use crate::compare::{Diff, Kind};
use crate::store::report::RunSummary;
use crate::store::{Store, StoreError};

/// Writes the page of run `run` (the latest when `None`) with the history of every stored run.
///
/// # Errors
///
/// Reading the store, or writing `out` (as [`StoreError`]).
pub fn store_report(
    store: &Store,
    run: Option<u64>,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    let ids = store.run_ids()?;
    let run = match run {
        Some(id) => id,
        None => store.latest_id()?.ok_or(StoreError::NoRuns)?,
    };
    let mut metadata = vec![
        ("Store".to_owned(), store.base().display().to_string()),
        ("Run".to_owned(), run.to_string()),
    ];
    if let Some(meta) = store.metadata(run)? {
        metadata.push(("Metadata".to_owned(), meta));
    }
    let mut report = HtmlReport::new(HtmlOptions {
        title: format!("Run {run}"),
        metadata,
    });
    {
        let mut pipeline = Pipeline::new().view(View::Python);
        store.read_run(run, |ev| {
            let Ok(()) = pipeline.push(ev, &mut report);
            Ok(())
        })?;
        let Ok(()) = pipeline.finish(&mut report);
    }
    let mut points = Vec::with_capacity(ids.len());
    // Each test's outcome per run, for the tests that did not always pass.
    let mut per_test: BTreeMap<String, BTreeMap<u64, Outcome>> = BTreeMap::new();
    for &id in &ids {
        let mut stats = Stats::new();
        let (mut first, mut last) = (None::<u64>, None::<u64>);
        records(store, id, |r| {
            if r.status == Some(subunit_emitter::Status::Exists) {
                return;
            }
            stats.add(r);
            if let Some(s) = r.start.map(|t| t.python_micros()) {
                first = Some(first.map_or(s, |f| f.min(s)));
            }
            if let Some(e) = r.end.map(|t| t.python_micros()) {
                last = Some(last.map_or(e, |l| l.max(e)));
            }
            per_test
                .entry(r.id.clone())
                .or_default()
                .insert(id, Outcome::of(r));
        })?;
        points.push(RunPoint {
            run: id.to_string(),
            label: id.to_string(),
            passed: stats.passed(),
            failed: stats.failed,
            skipped: stats.skipped,
            time: first
                .zip(last)
                .map(|(a, b)| b.saturating_sub(a) as f64 / 1e6),
        });
    }
    per_test.retain(|_, runs| runs.values().any(|o| o.is_problem()));
    let flaky = flaky(store, &ids)?;
    let label = |ids: &[u64]| ids.iter().map(u64::to_string).collect();
    let history = History {
        points,
        current: run.to_string(),
        time_is: "wall time",
        flaky_by: "commit".to_owned(),
        flaky: flaky
            .into_iter()
            .map(|t| FlakyRow {
                id: t.id,
                group: t.commit,
                passed: label(&t.passed),
                failed: label(&t.failed),
            })
            .collect(),
        tests: per_test
            .into_iter()
            .map(|(id, runs)| TestRow {
                id,
                outcomes: ids.iter().map(|i| runs.get(i).copied()).collect(),
            })
            .collect(),
    };
    let sections = history.sections();
    report
        .write_page_with(out, &sections)
        .map_err(StoreError::Output)
}

fn seconds(s: Option<f64>) -> String {
    s.map_or("–".to_owned(), |s| format!("{s:.3}s"))
}

fn summary_column(label: &str, run: &RunSummary, side: &str) -> Markup {
    html! {
        div class={ "side " (side) } data-side=(side) {
            h2 { (label) }
            dl {
                div { dt { "Tests" } dd data-count="total" { (run.tests_run) } }
                div { dt { "Failures" } dd data-count="failed" { (run.failures) } }
                div { dt { "Unexpected successes" } dd data-count="uxsuccess" { (run.uxsuccess) } }
                div { dt { "Skipped" } dd data-count="skipped" { (run.skips) } }
                div { dt { "Time" } dd { (seconds(run.time_taken())) } }
                div { dt { "Verdict" } dd { @if run.successful() { "PASSED" } @else { "FAILED" } } }
            }
        }
    }
}

/// Writes `diff` as one self-contained page: the two runs' summaries side by side, then each
/// kind of change (what broke, what was fixed, what got slower...) as a table of the test's
/// status and time in the old run beside the new, with the failure text's diff where it
/// changed.
///
/// # Errors
///
/// Writing `out`.
pub fn write_diff(out: &mut dyn Write, diff: &Diff, old: &str, new: &str) -> std::io::Result<()> {
    let title = format!("{old} → {new}");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(STYLE)) ".sides{display:flex;gap:3em}.sides dl{display:block}" }
            }
            body {
                h1 { (title) }
                p id="verdict" data-regressed=(diff.regressed) {
                    @if diff.regressed { "The new run regressed." } @else { "The new run did not regress." }
                }
                div class="sides" {
                    (summary_column(&format!("Old: {old}"), &diff.old, "old"))
                    (summary_column(&format!("New: {new}"), &diff.new, "new"))
                }
                @if diff.changes.is_empty() { p { "No changes." } }
                @for kind in Kind::ALL {
                    @let changes: Vec<_> = diff.of_kind(kind).collect();
                    @if !changes.is_empty() {
                        section class="kind" id=(kind.key()) data-kind=(kind.key()) {
                            h2 { (kind.title()) " (" (changes.len()) ")" }
                            table class="slow" {
                                thead { tr { th { "Test" } th { "Old status" } th { "Old time" } th { "New status" } th { "New time" } th { "Change" } } }
                                tbody {
                                    @for c in &changes {
                                        tr class="change" data-id=(c.id) {
                                            td {
                                                (c.id)
                                                @if let Some(text) = &c.failure_diff {
                                                    details { summary { "failure text changed" } pre { (text) } }
                                                }
                                            }
                                            td class={ "s-" (c.old_status.unwrap_or("none")) } { (c.old_status.unwrap_or("–")) }
                                            td class="num" { (seconds(c.old_seconds)) }
                                            td class={ "s-" (c.new_status.unwrap_or("none")) } { (c.new_status.unwrap_or("–")) }
                                            td class="num" { (seconds(c.new_seconds)) }
                                            td class="num" {
                                                @if let Some(d) = c.delta_seconds() { (format!("{d:+.3}s")) }
                                                @if let Some(p) = c.delta_percent() { " (" (format!("{p:+.1}%")) ")" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    out.write_all(page.into_string().as_bytes())?;
    out.flush()
}
