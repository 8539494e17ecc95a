//! The history view of a report: many runs of one suite, wherever they are kept (a `.stestr`
//! store, a subunit2sql database). Three [`Section`]s for
//! [`HtmlReport::write_page_with`](super::HtmlReport::write_page_with): a chart of passes, failures, skips and time per run,
//! the flaky tests, and a row per test that did not always pass with its outcome in each run.
//!
//! # Example
//!
//! ```
//! use subunit_sinks::html::Outcome;
//! use subunit_sinks::html::history::{History, RunPoint, TestRow};
//!
//! let point = |run: &str, passed, failed| RunPoint {
//!     run: run.to_owned(),
//!     label: run.to_owned(),
//!     passed,
//!     failed,
//!     skipped: 0,
//!     time: Some(1.5),
//! };
//! let history = History {
//!     points: vec![point("1", 2, 0), point("2", 1, 1)],
//!     current: "2".to_owned(),
//!     time_is: "wall time",
//!     flaky_by: "commit".to_owned(),
//!     flaky: Vec::new(),
//!     tests: vec![TestRow {
//!         id: "t.A.<b>".to_owned(),
//!         outcomes: vec![Some(Outcome::Success), Some(Outcome::Fail)],
//!     }],
//! };
//! let sections = history.sections();
//! let body = sections[2].body.clone().into_string();
//! assert!(body.contains(r#"<tr class="test-history" data-id="t.A.&lt;b&gt;">"#));
//! ```

use maud::{Markup, html};

use super::{Outcome, Section};

/// One run's figures for the history chart.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// The run's id (`data-run`, and in its tooltip).
    pub run: String,
    /// What the chart's axis shows under its bar (the id, or a short number for a uuid).
    pub label: String,
    /// `subunit-stats`' passed.
    pub passed: usize,
    /// Failed tests (unfinished ones included).
    pub failed: usize,
    /// Skipped tests.
    pub skipped: usize,
    /// The run's time in seconds, as [`History::time_is`] says (`None` when unknown).
    pub time: Option<f64>,
}

/// A test that passed and failed among runs of the same code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlakyRow {
    /// The test id.
    pub id: String,
    /// The code the runs were on (`None`: runs that do not say).
    pub group: Option<String>,
    /// The runs it passed in.
    pub passed: Vec<String>,
    /// The runs it failed in.
    pub failed: Vec<String>,
}

/// A test's outcome in each run of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRow {
    /// The test id.
    pub id: String,
    /// Its outcome in each run, in the order of [`History::points`] (`None`: not run).
    pub outcomes: Vec<Option<Outcome>>,
}

/// The runs of a history, oldest first, and what the view shows of them.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The runs, oldest first.
    pub points: Vec<RunPoint>,
    /// The id of the run the page shows (its bar is marked).
    pub current: String,
    /// What [`RunPoint::time`] is, for the chart's note ("wall time").
    pub time_is: &'static str,
    /// What "the same code" means for the flaky tests ("commit").
    pub flaky_by: String,
    /// The flaky tests.
    pub flaky: Vec<FlakyRow>,
    /// The tests that did not always pass.
    pub tests: Vec<TestRow>,
}

impl History {
    /// The view's three sections: `history`, `flaky` and `test-history`.
    pub fn sections(&self) -> [Section; 3] {
        let flaky = &self.flaky;
        [
            Section {
                id: "history".to_owned(),
                title: "Run history".to_owned(),
                body: self.chart(),
            },
            Section {
                id: "flaky".to_owned(),
                title: format!("Flaky tests ({})", flaky.len()),
                body: html! {
                    @if flaky.is_empty() { p { "No test both passed and failed on one " (self.flaky_by) "." } }
                    @else {
                        table class="slow" {
                            thead { tr { th { "Test" } th { (capitalised(&self.flaky_by)) } th { "Passed in runs" } th { "Failed in runs" } } }
                            tbody {
                                @for t in flaky {
                                    tr class="flaky" data-id=(t.id) {
                                        td { (t.id) } td { (t.group.as_deref().unwrap_or("(none)")) }
                                        td { (t.passed.join(", ")) } td { (t.failed.join(", ")) }
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
                    self.tests.len()
                ),
                body: self.test_rows(),
            },
        ]
    }

    /// Stacked bars of passed, failed and skipped per run, and the time as a line.
    fn chart(&self) -> Markup {
        let points = &self.points;
        let (bar, h, left) = (24.0, 160.0, 40.0);
        let most = points
            .iter()
            .map(|p| p.passed + p.failed + p.skipped)
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let longest = points
            .iter()
            .filter_map(|p| p.time)
            .fold(0.0, f64::max)
            .max(1e-9);
        let width = left + bar * points.len() as f64 + 40.0;
        let line: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let w = p.time?;
                Some(format!(
                    "{:.1},{:.1}",
                    left + bar * i as f64 + bar / 2.0,
                    10.0 + h - w / longest * h
                ))
            })
            .collect();
        html! {
            p class="note" { "Per run: passed (green), failed (red) and skipped (yellow) tests; the line is the " (self.time_is) " (longest: " (format!("{longest:.3}")) "s)." }
            div class="scroll" {
                svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(h + 40.0) role="img" aria-label="run history" {
                    @for (i, p) in points.iter().enumerate() {
                        @let x = left + bar * i as f64;
                        @let label = format!("run {}: {} passed, {} failed, {} skipped, {} {}", p.run, p.passed, p.failed, p.skipped, self.time_is,
                            p.time.map_or("unknown".to_owned(), |w| format!("{w:.3}s")));
                        @let hp = p.passed as f64 / most * h;
                        @let hf = p.failed as f64 / most * h;
                        @let hs = p.skipped as f64 / most * h;
                        g class={ "run" @if p.run == self.current { " current" } } data-run=(p.run) data-pass=(p.passed) data-fail=(p.failed) data-skip=(p.skipped) tabindex="0" aria-label=(label) {
                            title { (label) }
                            rect class="s-success" x=(x) y=(10.0 + h - hp) width=(bar - 4.0) height=(hp) {}
                            rect class="s-fail" x=(x) y=(10.0 + h - hp - hf) width=(bar - 4.0) height=(hf) {}
                            rect class="s-skip" x=(x) y=(10.0 + h - hp - hf - hs) width=(bar - 4.0) height=(hs) {}
                            text class="axis" x=(x + (bar - 4.0) / 2.0) y=(h + 26.0) { (p.label) }
                        }
                    }
                    @if line.len() > 1 { polyline class="wall" fill="none" stroke="#333" stroke-width="1.5" points=(line.join(" ")) {} }
                }
            }
        }
    }

    /// A row per test, a cell per run coloured by its outcome there.
    fn test_rows(&self) -> Markup {
        html! {
            @if self.tests.is_empty() { p { "Every test passed in every run it was in." } }
            @else {
                table class="history" {
                    thead { tr { th { "Test" } @for p in &self.points { th class="num" title=(p.run) { (p.label) } } } }
                    tbody {
                        @for t in &self.tests {
                            tr class="test-history" data-id=(t.id) {
                                td { (t.id) }
                                @for (p, o) in self.points.iter().zip(&t.outcomes) {
                                    @match o {
                                        Some(o) => td class={ "cell s-" (o.name()) } title={ "run " (p.run) ": " (o.name()) } { (o.name()) },
                                        None => td class="cell" title={ "run " (p.run) ": not run" } { "–" },
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

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl Outcome {
    /// The outcome a status name means (`success`, `fail`, `skip`, `xfail`, `uxsuccess`,
    /// `inprogress`, as [`Outcome::name`] and subunit2sql's `test_runs.status` spell them);
    /// `exists` is a success, as [`Outcome::of`] has it, and any other name
    /// [`Outcome::Unknown`].
    pub fn from_name(name: &str) -> Outcome {
        match name {
            "success" | "exists" => Outcome::Success,
            "xfail" => Outcome::XFail,
            "skip" => Outcome::Skip,
            "uxsuccess" => Outcome::UxSuccess,
            "fail" => Outcome::Fail,
            "inprogress" => Outcome::InProgress,
            _ => Outcome::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_name(o.name()), o);
        }
        assert_eq!(Outcome::from_name("exists"), Outcome::Success);
    }
}
