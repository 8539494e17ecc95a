//! Comparing test runs: two runs test by test (`subunit-diff`), and many stored runs for flaky
//! tests and per-test histories (`subunit-store flaky`, `subunit-store history test`).
//!
//! # Two runs
//!
//! The old run is read first into a [`Baseline`]: one small entry per distinct test id (its
//! status, its duration, and for a failing test a hash and the text of its failure details).
//! The new run is then streamed through a [`Comparison`], which classifies each test the moment
//! its record ends and keeps only what the report shows. Memory is therefore proportional to
//! the number of distinct tests, never to the bytes of attachments: a passing test's log is
//! dropped as soon as its record is folded.
//!
//! Tests are matched by their full id (`[...]` attributes included; route codes, which say only
//! which worker ran a test, are ignored). A test reported more than once in a run counts by its
//! last record. `exists` records (test listings) are not tests that ran and are ignored.
//!
//! Each status falls in one of three classes ([`Class`]): *pass* (`success`, `xfail`), *skip*,
//! and *fail* (`fail`, `uxsuccess`, and a test that never finished), the classes testtools'
//! `wasSuccessful` draws. A test in both runs lands in at most one status category and at most
//! one timing category ([`Kind`]):
//!
//! | old → new | category |
//! | --- | --- |
//! | pass/skip → fail | newly failing |
//! | fail → pass | fixed |
//! | fail → fail | still failing (with a unified diff of the failure text when it changed) |
//! | pass/fail → skip | newly skipped |
//! | skip → pass | no longer skipped |
//! | pass → pass, another status (`success` ↔ `xfail`) | status changed |
//!
//! Tests only in the new run are *added*, only in the old run *removed*. A test that passed in
//! both runs is *slower* or *faster* when its duration changed by at least the absolute floor
//! ([`Options::min_seconds`]) and by at least [`Options::threshold_percent`] of the old
//! duration (any change from an old duration of zero counts as past the threshold).
//!
//! The run *regressed* ([`Diff::regressed`]) when a test is newly failing, an added test
//! fails, or (with [`Options::fail_on_slower`]) a test got slower.
//!
//! # Many runs
//!
//! [`history`] reads stored runs one after another: [`history::flaky`] finds the tests that
//! both passed and failed on the same code (runs grouped by the commit their metadata names,
//! see [`history::commit_of`]); [`history::test_history`] gives one test's status sequence and
//! time trend.

pub mod history;
pub mod render;
pub mod source;
pub mod store_cmds;

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hasher};

use serde::Serialize;
use subunit_emitter::{PacketRef, Status};
use subunit_parser::fold::TestRecord;
use subunit_sinks::pipeline::{Exists, Feed, Open, Pipeline, Sink};

use crate::store::report::{RunSummary, details_to_str};

pub use source::{CompareError, Source};

/// The JSON document's format version ([`write_json`](render::write_json)).
pub const JSON_FORMAT: u32 = 1;

/// The outcome class of a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// `success` or `xfail`.
    Pass,
    /// `skip`.
    Skip,
    /// `fail`, `uxsuccess`, or never finished.
    Fail,
}

impl Class {
    /// The class of a record's status; `None` for `exists`, which is not a test that ran.
    pub fn of(status: Option<Status>) -> Option<Class> {
        match status {
            Some(Status::Exists) => None,
            Some(Status::Success | Status::XFail) => Some(Class::Pass),
            Some(Status::Skip) => Some(Class::Skip),
            _ => Some(Class::Fail),
        }
    }
}

/// The status name a record is reported with: testtools' names, `unknown` for a test that
/// never had a status.
pub fn status_name(status: Option<Status>) -> &'static str {
    status.map_or("unknown", Status::as_str)
}

/// What the comparison keeps of one test of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The last status (`None`: only files, never a status).
    pub status: Option<Status>,
    /// The duration in seconds, when both timestamps are known.
    pub seconds: Option<f64>,
    /// For a failing test: the failure details as text, and their hash.
    pub failure: Option<Failure>,
}

/// A failing test's details, as `stestr` prints them under `FAIL:` (every text attachment,
/// the traceback last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// A hash of `text`.
    pub hash: u64,
    /// The text.
    pub text: Box<str>,
}

impl Outcome {
    /// What to keep of `r`; `None` for an `exists` record.
    pub fn of(r: &TestRecord) -> Option<Outcome> {
        let class = Class::of(r.status)?;
        let seconds = match (r.start, r.end) {
            (Some(s), Some(e)) => {
                Some((e.python_micros() as i64 - s.python_micros() as i64) as f64 / 1e6)
            }
            _ => None,
        };
        let failure = (class == Class::Fail).then(|| {
            let text = details_to_str(r, "traceback");
            let mut h = DefaultHasher::new();
            h.write(text.as_bytes());
            Failure {
                hash: h.finish(),
                text: text.into_boxed_str(),
            }
        });
        Some(Outcome {
            status: r.status,
            seconds,
            failure,
        })
    }

    /// The outcome's class.
    pub fn class(&self) -> Class {
        Class::of(self.status).unwrap_or(Class::Fail)
    }
}

/// What to report, and what counts as a regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// A duration change is reported when it is at least this percentage of the old duration.
    pub threshold_percent: f64,
    /// ... and at least this many seconds.
    pub min_seconds: f64,
    /// Whether a slower test makes the run regressed.
    pub fail_on_slower: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold_percent: 50.0,
            min_seconds: 0.5,
            fail_on_slower: false,
        }
    }
}

/// A run's totals, as stestr's summary line counts them, with its time span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Tally {
    summary: RunSummary,
}

impl Tally {
    fn event(&mut self, ev: &PacketRef<'_>) {
        if let Some(t) = ev.timestamp {
            let t = t.python_micros() as i64;
            let s = &mut self.summary;
            s.span = Some(match s.span {
                None => (t, t),
                Some((a, b)) => (a.min(t), b.max(t)),
            });
        }
    }

    fn record(&mut self, r: &TestRecord) {
        let s = &mut self.summary;
        match r.status {
            Some(Status::Exists) => return,
            Some(Status::Success | Status::XFail) => {}
            Some(Status::Skip) => s.skips += 1,
            Some(Status::UxSuccess) => s.uxsuccess += 1,
            _ => s.failures += 1,
        }
        s.tests_run += 1;
    }
}

/// A run's totals for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Tests run (`exists` records left out), every record counted.
    pub tests_run: usize,
    /// Failures: `fail` and tests that never finished (stestr's `failures`).
    pub failures: usize,
    /// Skipped tests.
    pub skips: usize,
    /// Unexpected successes.
    pub uxsuccess: usize,
    /// Seconds from the run's first timestamp to its last (`None` without timestamps).
    pub seconds: Option<f64>,
}

impl From<RunSummary> for Totals {
    fn from(s: RunSummary) -> Self {
        Totals {
            tests_run: s.tests_run,
            failures: s.failures,
            skips: s.skips,
            uxsuccess: s.uxsuccess,
            seconds: s.time_taken(),
        }
    }
}

/// The old run, folded into one [`Outcome`] per distinct test id.
#[derive(Debug)]
pub struct Baseline {
    pipeline: Pipeline,
    tally: Tally,
    tests: HashMap<Box<str>, Seen>,
}

#[derive(Debug)]
struct Seen {
    outcome: Outcome,
    /// Whether the new run had this test.
    matched: bool,
}

/// The fold the runs of a comparison go through: `exists` folded (and not counted), the tests
/// left open in the order they started.
fn run_pipeline() -> Pipeline {
    Pipeline::new().exists(Exists::Fold).open(Open::OldestFirst)
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            pipeline: run_pipeline(),
            tally: Tally::default(),
            tests: HashMap::new(),
        }
    }
}

/// The two runs of a comparison are read alike: every event's time counts toward the run's
/// span, and each test goes to the struct's own `record` as it ends.
macro_rules! run_sink {
    ($t:ty) => {
        impl Feed for $t {
            fn pipeline(&mut self) -> &mut Pipeline {
                &mut self.pipeline
            }
        }

        impl Sink for $t {
            type Error = Infallible;

            fn event(&mut self, ev: &PacketRef<'_>) -> Result<(), Infallible> {
                self.tally.event(ev);
                Ok(())
            }

            fn record(&mut self, r: TestRecord) -> Result<(), Infallible> {
                self.record(&r);
                Ok(())
            }
        }
    };
}

run_sink!(Baseline);

impl Baseline {
    /// An empty baseline.
    pub fn new() -> Self {
        Baseline::default()
    }

    /// Takes one event of the old run.
    pub fn event(&mut self, ev: &PacketRef<'_>) {
        let Ok(()) = self.feed(ev);
    }

    fn record(&mut self, r: &TestRecord) {
        self.tally.record(r);
        if let Some(outcome) = Outcome::of(r) {
            let seen = Seen {
                outcome,
                matched: false,
            };
            match self.tests.get_mut(r.id.as_str()) {
                Some(old) => *old = seen,
                None => {
                    self.tests.insert(r.id.as_str().into(), seen);
                }
            }
        }
    }

    /// Ends the old run (its tests left open count as never finished).
    pub fn finish(mut self) -> Baseline {
        let Ok(()) = self.feed_end();
        self
    }

    /// How many distinct tests the run had.
    pub fn len(&self) -> usize {
        self.tests.len()
    }

    /// Whether the run had no tests.
    pub fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    /// The outcome of test `id`.
    pub fn get(&self, id: &str) -> Option<&Outcome> {
        self.tests.get(id).map(|s| &s.outcome)
    }
}

/// A category of change ([module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Failing now, not before.
    NewlyFailing,
    /// Failing before, passing now.
    Fixed,
    /// Failing in both runs.
    StillFailing,
    /// Skipped now, not before.
    NewlySkipped,
    /// Skipped before, passing now.
    NoLongerSkipped,
    /// Passing in both runs with a different status (`success` ↔ `xfail`).
    StatusChanged,
    /// Only in the new run.
    Added,
    /// Only in the old run.
    Removed,
    /// Passing in both, slower past the thresholds.
    Slower,
    /// Passing in both, faster past the thresholds.
    Faster,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 10] = [
        Kind::NewlyFailing,
        Kind::Fixed,
        Kind::StillFailing,
        Kind::NewlySkipped,
        Kind::NoLongerSkipped,
        Kind::StatusChanged,
        Kind::Added,
        Kind::Removed,
        Kind::Slower,
        Kind::Faster,
    ];

    /// The heading of the kind's section in the human report.
    pub fn title(self) -> &'static str {
        match self {
            Kind::NewlyFailing => "Newly failing",
            Kind::Fixed => "Fixed",
            Kind::StillFailing => "Still failing",
            Kind::NewlySkipped => "Newly skipped",
            Kind::NoLongerSkipped => "No longer skipped",
            Kind::StatusChanged => "Status changed",
            Kind::Added => "Added",
            Kind::Removed => "Removed",
            Kind::Slower => "Slower",
            Kind::Faster => "Faster",
        }
    }

    /// The key of the kind's list in the JSON document.
    pub fn key(self) -> &'static str {
        match self {
            Kind::NewlyFailing => "newly_failing",
            Kind::Fixed => "fixed",
            Kind::StillFailing => "still_failing",
            Kind::NewlySkipped => "newly_skipped",
            Kind::NoLongerSkipped => "no_longer_skipped",
            Kind::StatusChanged => "status_changed",
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Slower => "slower",
            Kind::Faster => "faster",
        }
    }
}

/// One reported change of one test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The test id.
    pub id: String,
    /// The category.
    #[serde(skip)]
    pub kind: Kind,
    /// The old status (`None` for an added test).
    pub old_status: Option<&'static str>,
    /// The new status (`None` for a removed test).
    pub new_status: Option<&'static str>,
    /// The old duration, seconds.
    pub old_seconds: Option<f64>,
    /// The new duration, seconds.
    pub new_seconds: Option<f64>,
    /// For a still failing test: whether the failure text changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_changed: Option<bool>,
    /// For a still failing test whose failure text changed: a unified diff, old to new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_diff: Option<String>,
}

impl Change {
    /// The change of duration in seconds, new minus old.
    pub fn delta_seconds(&self) -> Option<f64> {
        Some(self.new_seconds? - self.old_seconds?)
    }

    /// The change of duration as a percentage of the old one (`None` when the old one is
    /// zero or either is unknown).
    pub fn delta_percent(&self) -> Option<f64> {
        let old = self.old_seconds?;
        let new = self.new_seconds?;
        (old > 0.0).then(|| (new - old) / old * 100.0)
    }
}

run_sink!(Comparison);

/// The new run, compared test by test with a [`Baseline`] as it streams in.
#[derive(Debug)]
pub struct Comparison {
    opts: Options,
    base: Baseline,
    pipeline: Pipeline,
    tally: Tally,
    /// The status change and the timing change of each test in both runs, or the added
    /// test: only tests with something to report.
    status: HashMap<Box<str>, Change>,
    timing: HashMap<Box<str>, Change>,
    added: HashMap<Box<str>, Change>,
}

impl Comparison {
    /// Compares the runs to come with `base` (a finished baseline).
    pub fn new(base: Baseline, opts: Options) -> Self {
        Comparison {
            opts,
            base,
            pipeline: run_pipeline(),
            tally: Tally::default(),
            status: HashMap::new(),
            timing: HashMap::new(),
            added: HashMap::new(),
        }
    }

    /// Takes one event of the new run.
    pub fn event(&mut self, ev: &PacketRef<'_>) {
        let Ok(()) = self.feed(ev);
    }

    fn record(&mut self, r: &TestRecord) {
        self.tally.record(r);
        let Some(new) = Outcome::of(r) else {
            return;
        };
        let id = r.id.as_str();
        let Some(seen) = self.base.tests.get_mut(id) else {
            // A later record of the same id replaces the earlier one.
            self.added.insert(
                id.into(),
                Change {
                    id: id.to_owned(),
                    kind: Kind::Added,
                    old_status: None,
                    new_status: Some(status_name(new.status)),
                    old_seconds: None,
                    new_seconds: new.seconds,
                    failure_changed: None,
                    failure_diff: None,
                },
            );
            return;
        };
        if seen.matched {
            self.status.remove(id);
            self.timing.remove(id);
        }
        seen.matched = true;
        let old = &seen.outcome;
        let change = |kind: Kind| Change {
            id: id.to_owned(),
            kind,
            old_status: Some(status_name(old.status)),
            new_status: Some(status_name(new.status)),
            old_seconds: old.seconds,
            new_seconds: new.seconds,
            failure_changed: None,
            failure_diff: None,
        };
        let kind = match (old.class(), new.class()) {
            (Class::Pass | Class::Skip, Class::Fail) => Some(Kind::NewlyFailing),
            (Class::Fail, Class::Pass) => Some(Kind::Fixed),
            (Class::Fail, Class::Fail) => Some(Kind::StillFailing),
            (Class::Pass | Class::Fail, Class::Skip) => Some(Kind::NewlySkipped),
            (Class::Skip, Class::Pass) => Some(Kind::NoLongerSkipped),
            (Class::Pass, Class::Pass) if old.status != new.status => Some(Kind::StatusChanged),
            _ => None,
        };
        if let Some(kind) = kind {
            let mut c = change(kind);
            if kind == Kind::StillFailing
                && let (Some(a), Some(b)) = (&old.failure, &new.failure)
            {
                let changed = a.hash != b.hash || a.text != b.text;
                c.failure_changed = Some(changed);
                if changed {
                    c.failure_diff = Some(failure_diff(&a.text, &b.text));
                }
            }
            self.status.insert(id.into(), c);
        }
        if (old.class(), new.class()) == (Class::Pass, Class::Pass)
            && let (Some(a), Some(b)) = (old.seconds, new.seconds)
        {
            let delta = b - a;
            let past_floor = delta.abs() >= self.opts.min_seconds;
            let past_percent = if a > 0.0 {
                delta.abs() / a * 100.0 >= self.opts.threshold_percent
            } else {
                delta != 0.0
            };
            if past_floor && past_percent && delta != 0.0 {
                let kind = if delta > 0.0 {
                    Kind::Slower
                } else {
                    Kind::Faster
                };
                self.timing.insert(id.into(), change(kind));
            }
        }
    }

    /// Ends the new run and gives the report.
    pub fn finish(mut self) -> Diff {
        let Ok(()) = self.feed_end();
        let mut changes: Vec<Change> = self
            .status
            .into_values()
            .chain(self.timing.into_values())
            .chain(self.added.into_values())
            .collect();
        for (id, seen) in self.base.tests {
            if !seen.matched {
                changes.push(Change {
                    id: id.into_string(),
                    kind: Kind::Removed,
                    old_status: Some(status_name(seen.outcome.status)),
                    new_status: None,
                    old_seconds: seen.outcome.seconds,
                    new_seconds: None,
                    failure_changed: None,
                    failure_diff: None,
                });
            }
        }
        changes.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.id.cmp(&b.id)));
        let regressed = changes.iter().any(|c| match c.kind {
            Kind::NewlyFailing => true,
            Kind::Added => c.new_status.is_some_and(|s| {
                Class::of(status_from_name(s)).unwrap_or(Class::Pass) == Class::Fail
            }),
            Kind::Slower => self.opts.fail_on_slower,
            _ => false,
        });
        Diff {
            old: self.base.tally.summary,
            new: self.tally.summary,
            opts: self.opts,
            changes,
            regressed,
        }
    }
}

/// The status a name stands for (`None` for `unknown`).
fn status_from_name(name: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.as_str() == name)
}

/// A unified diff of two failure texts, line by line, three lines of context.
pub fn failure_diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("old", "new")
        .missing_newline_hint(false)
        .to_string()
}

/// The comparison of two runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Diff {
    /// The old run's summary.
    pub old: RunSummary,
    /// The new run's summary.
    pub new: RunSummary,
    /// The options it was made with.
    pub opts: Options,
    /// Every change, by kind (in [`Kind::ALL`] order), then by test id.
    pub changes: Vec<Change>,
    /// Whether the new run regressed ([module docs](self)).
    pub regressed: bool,
}

impl Diff {
    /// The changes of one kind, by test id.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }
}

/// Compares two runs given as event sources: the whole comparison in one call.
pub fn compare(old: &Source, new: &Source, opts: Options) -> Result<Diff, CompareError> {
    let mut base = Baseline::new();
    old.read(|ev| {
        base.event(ev);
        Ok(())
    })?;
    let mut cmp = Comparison::new(base.finish(), opts);
    new.read(|ev| {
        cmp.event(ev);
        Ok(())
    })?;
    Ok(cmp.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, Timestamp};

    fn run(tests: &[(&str, Status, u32)]) -> Vec<Packet> {
        let mut out = Vec::new();
        for (i, &(id, status, secs)) in tests.iter().enumerate() {
            let t = 1000 * i as u32;
            out.push(Packet::status(id, Status::InProgress).with_timestamp(Timestamp::new(t, 0)));
            if status == Status::Fail {
                out.push(Packet::status(id, Status::Undefined).with_file(
                    "traceback",
                    Some("text/x-traceback; charset=utf8"),
                    format!("boom {secs}\n"),
                    true,
                ));
            }
            out.push(Packet::status(id, status).with_timestamp(Timestamp::new(t + secs, 0)));
        }
        out
    }

    fn diff(old: &[(&str, Status, u32)], new: &[(&str, Status, u32)]) -> Diff {
        let mut base = Baseline::new();
        run(old).iter().for_each(|p| base.event(&p.as_ref()));
        let mut cmp = Comparison::new(base.finish(), Options::default());
        run(new).iter().for_each(|p| cmp.event(&p.as_ref()));
        cmp.finish()
    }

    fn kinds(d: &Diff) -> Vec<(Kind, &str)> {
        d.changes.iter().map(|c| (c.kind, c.id.as_str())).collect()
    }

    #[test]
    fn every_transition_lands_in_its_category() {
        use Status::*;
        let old = [
            ("a", Success, 1),
            ("b", Fail, 1),
            ("c", Fail, 1),
            ("d", Success, 1),
            ("e", Skip, 1),
            ("f", Success, 1),
            ("g", Success, 1),
            ("h", Success, 10),
            ("i", Success, 10),
            ("k", Fail, 1),
        ];
        let new = [
            ("a", Fail, 1),
            ("b", Success, 1),
            ("c", Fail, 2),
            ("d", Skip, 1),
            ("e", Success, 1),
            ("f", XFail, 1),
            ("h", Success, 20),
            ("i", Success, 2),
            ("k", Fail, 1),
            ("n", UxSuccess, 1),
        ];
        let d = diff(&old, &new);
        assert_eq!(
            kinds(&d),
            [
                (Kind::NewlyFailing, "a"),
                (Kind::Fixed, "b"),
                (Kind::StillFailing, "c"),
                (Kind::StillFailing, "k"),
                (Kind::NewlySkipped, "d"),
                (Kind::NoLongerSkipped, "e"),
                (Kind::StatusChanged, "f"),
                (Kind::Added, "n"),
                (Kind::Removed, "g"),
                (Kind::Slower, "h"),
                (Kind::Faster, "i"),
            ]
        );
        let c = d.of_kind(Kind::StillFailing).next().unwrap();
        assert_eq!(c.failure_changed, Some(true));
        assert_eq!(
            c.failure_diff.as_deref(),
            Some("--- old\n+++ new\n@@ -1 +1 @@\n-boom 1\n+boom 2\n")
        );
        assert_eq!(
            d.of_kind(Kind::StillFailing)
                .nth(1)
                .unwrap()
                .failure_changed,
            Some(false)
        );
        assert!(d.regressed);
        assert_eq!((d.old.tests_run, d.new.tests_run), (10, 10));
    }

    #[test]
    fn thresholds_need_both_the_floor_and_the_percentage() {
        use Status::*;
        // +0.4 s is past 50% of 0 s... but under the 0.5 s floor; +100 s of 1000 s is 10%.
        let d = diff(
            &[("a", Success, 0), ("b", Success, 1000), ("c", Success, 1)],
            &[("a", Success, 0), ("b", Success, 1100), ("c", Success, 2)],
        );
        assert_eq!(kinds(&d), [(Kind::Slower, "c")]);
        assert!(!d.regressed, "slower regresses only with fail_on_slower");
    }

    #[test]
    fn the_last_record_of_a_repeated_test_counts() {
        use Status::*;
        let d = diff(
            &[("a", Fail, 1), ("a", Success, 1)],
            &[
                ("a", Fail, 1),
                ("a", Success, 1),
                ("b", Fail, 1),
                ("b", Success, 1),
            ],
        );
        assert_eq!(kinds(&d), [(Kind::Added, "b")]);
        assert!(!d.regressed);
        let d = diff(&[("a", Success, 1)], &[("a", Fail, 1), ("a", Fail, 1)]);
        assert_eq!(kinds(&d), [(Kind::NewlyFailing, "a")]);
        assert!(d.regressed);
    }
}
