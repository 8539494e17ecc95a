//! The HTML pages of stored runs: a run as [`subunit_sinks::html`] shows a stream, plus the
//! store's history (passes, failures, skips and wall time per run as a chart, the flaky tests,
//! and the history of each test that did not always pass), for `subunit-store report`
//! ([`store_report`]); and two runs side by side for `subunit-diff --html` ([`write_diff`]).
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
use subunit_sinks::html::{HtmlOptions, HtmlReport, Outcome, STYLE, Section};
use subunit_sinks::pipeline::{Pipeline, View};
use subunit_sinks::stats::Stats;

use crate::compare::history::{flaky, records};
use crate::compare::{Diff, Kind};
use crate::store::report::RunSummary;
use crate::store::{Store, StoreError};

/// One run's figures for the history chart.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// The run id.
    pub run: u64,
    /// `subunit-stats`' passed, failed and skipped.
    pub passed: usize,
    /// Failed tests (unfinished ones included).
    pub failed: usize,
    /// Skipped tests.
    pub skipped: usize,
    /// From the first start to the last end, seconds (`None` without times).
    pub wall: Option<f64>,
}

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
            run: id,
            passed: stats.passed(),
            failed: stats.failed,
            skipped: stats.skipped,
            wall: first
                .zip(last)
                .map(|(a, b)| b.saturating_sub(a) as f64 / 1e6),
        });
    }
    per_test.retain(|_, runs| runs.values().any(|o| o.is_problem()));
    let flaky = flaky(store, &ids)?;
    let sections = [
        Section {
            id: "history".to_owned(),
            title: "Run history".to_owned(),
            body: history_chart(&points, run),
        },
        Section {
            id: "flaky".to_owned(),
            title: format!("Flaky tests ({})", flaky.len()),
            body: html! {
                @if flaky.is_empty() { p { "No test both passed and failed on one commit." } }
                @else {
                    table class="slow" {
                        thead { tr { th { "Test" } th { "Commit" } th { "Passed in runs" } th { "Failed in runs" } } }
                        tbody {
                            @for t in &flaky {
                                tr class="flaky" data-id=(t.id) {
                                    td { (t.id) } td { (t.commit.as_deref().unwrap_or("(none)")) }
                                    td { (join(&t.passed)) } td { (join(&t.failed)) }
                                }
                            }
                        }
                    }
                }
            },
        },
        Section {
            id: "test-history".to_owned(),
            title: format!(
                "History of the tests that did not always pass ({})",
                per_test.len()
            ),
            body: test_history(&ids, &per_test),
        },
    ];
    report
        .write_page_with(out, &sections)
        .map_err(StoreError::Output)
}

fn join(runs: &[u64]) -> String {
    runs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stacked bars of passed, failed and skipped per run, and the wall time as a line.
fn history_chart(points: &[RunPoint], current: u64) -> Markup {
    let (bar, h, left) = (24.0, 160.0, 40.0);
    let most = points
        .iter()
        .map(|p| p.passed + p.failed + p.skipped)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let longest = points
        .iter()
        .filter_map(|p| p.wall)
        .fold(0.0, f64::max)
        .max(1e-9);
    let width = left + bar * points.len() as f64 + 40.0;
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let w = p.wall?;
            Some(format!(
                "{:.1},{:.1}",
                left + bar * i as f64 + bar / 2.0,
                10.0 + h - w / longest * h
            ))
        })
        .collect();
    html! {
        p class="note" { "Per run: passed (green), failed (red) and skipped (yellow) tests; the line is the wall time (longest: " (format!("{longest:.3}")) "s)." }
        div class="scroll" {
            svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(h + 40.0) role="img" aria-label="run history" {
                @for (i, p) in points.iter().enumerate() {
                    @let x = left + bar * i as f64;
                    @let label = format!("run {}: {} passed, {} failed, {} skipped, wall {}", p.run, p.passed, p.failed, p.skipped,
                        p.wall.map_or("unknown".to_owned(), |w| format!("{w:.3}s")));
                    @let hp = p.passed as f64 / most * h;
                    @let hf = p.failed as f64 / most * h;
                    @let hs = p.skipped as f64 / most * h;
                    g class={ "run" @if p.run == current { " current" } } data-run=(p.run) data-pass=(p.passed) data-fail=(p.failed) data-skip=(p.skipped) tabindex="0" aria-label=(label) {
                        title { (label) }
                        rect class="s-success" x=(x) y=(10.0 + h - hp) width=(bar - 4.0) height=(hp) {}
                        rect class="s-fail" x=(x) y=(10.0 + h - hp - hf) width=(bar - 4.0) height=(hf) {}
                        rect class="s-skip" x=(x) y=(10.0 + h - hp - hf - hs) width=(bar - 4.0) height=(hs) {}
                        text class="axis" x=(x + (bar - 4.0) / 2.0) y=(h + 26.0) { (p.run) }
                    }
                }
                @if line.len() > 1 { polyline class="wall" fill="none" stroke="#333" stroke-width="1.5" points=(line.join(" ")) {} }
            }
        }
    }
}

/// A row per test, a cell per run coloured by its outcome there.
fn test_history(ids: &[u64], per_test: &BTreeMap<String, BTreeMap<u64, Outcome>>) -> Markup {
    html! {
        @if per_test.is_empty() { p { "Every test passed in every run it was in." } }
        @else {
            table class="history" {
                thead { tr { th { "Test" } @for id in ids { th class="num" { (id) } } } }
                tbody {
                    @for (test, runs) in per_test {
                        tr class="test-history" data-id=(test) {
                            td { (test) }
                            @for id in ids {
                                @match runs.get(id) {
                                    Some(o) => td class={ "cell s-" (o.name()) } title={ "run " (id) ": " (o.name()) } { (o.name()) },
                                    None => td class="cell" title={ "run " (id) ": not run" } { "–" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
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
