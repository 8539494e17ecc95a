//! A run as one self-contained HTML page: the summary, a worker timeline, the slowest tests and
//! classes, a histogram of durations, a table by module and class, every failure with its
//! attachments and every skip with its reason.
//!
//! # Brief overview
//!
//! - [`HtmlReport`] is the sink: it keeps a small summary per test (id, class, lane, status,
//!   start and end) and the decoded attachments of the tests that did not pass or were skipped,
//!   never the stream; [`HtmlReport::write_page`] writes the page once the stream has ended,
//!   part by part (the summary and plots, then each page of each long list), so the page is
//!   never held whole as text.
//! - The page needs no network and no script: CSS, SVG and one short script are inline, the
//!   summary, timeline, plots and failures are plain HTML and SVG, failures and classes expand
//!   with `<details>`. The script only adds the search box and the status filters (and reads
//!   `?q=`, `?status=` and `?open=` from the address, so a link can carry a search).
//! - The markup is written with [`maud`], which escapes every value it is given: a test id, a
//!   reason or an attachment holding `<script>` stays text. Attachments are decoded by the same
//!   rules as `subunit-trace`'s (testtools' MIME types and charsets, bad bytes as U+FFFD);
//!   non-text ones show as python's `repr` of bytes; control characters show as U+FFFD.
//! - Workers: a test's lane is its `worker-N` tag, as stestr's `subunit-trace` finds it
//!   ([`find_worker`]); without one, the first part of its route code; without either,
//!   worker 0.
//! - Classes: the text before the test id's last dot, after stestr's cleanup of `[attrs]`;
//!   for a class fixture's pseudo-test (`setUpClass (pkg.mod.Class)`) the class in the
//!   parentheses, and the test is marked as a fixture on the timeline.
//! - Big runs: on the timeline, runs of bars narrower than a pixel in a lane are drawn as one
//!   bar naming how many tests it holds (and the worst status among them); the long lists
//!   (classes, failures, skips) are paged in plain HTML and CSS, 200 rows a page.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_sinks::html::{HtmlOptions, read};
//!
//! let mut stream = to_vec(&Packet::status("t.A.test_ok", Status::Success).as_ref())?;
//! stream.extend(to_vec(&Packet::status("t.A.<b>", Status::Fail).as_ref())?);
//! let report = read(&stream[..], HtmlOptions::default())?;
//! assert_eq!(report.failed_ids().collect::<Vec<_>>(), ["t.A.<b>"]);
//! let mut page = Vec::new();
//! report.write_page(&mut page)?;
//! let page = String::from_utf8(page)?;
//! assert!(page.contains(r#"data-count="failed">1<"#));
//! assert!(page.contains("t.A.&lt;b&gt;") && !page.contains("<b>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod history;
mod render;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io::{Read, Write};

use subunit_emitter::{PacketRef, Status};
use subunit_parser::fold::TestRecord;

use crate::Error;
use crate::convert::v1_to_v2;
use crate::pipeline::{Pipeline, Sink, View};
use crate::python::bytes_repr;
use crate::python::text::{ContentType, decode_whole};
use crate::stats::Stats;
use crate::trace::{cleanup_test_name, find_worker};

/// The page's style sheet, for other pages that should look the same (`subunit-diff --html`).
pub const STYLE: &str = include_str!("page.css");

/// The most of one attachment the page shows; the rest is counted, not kept.
pub const ATTACHMENT_LIMIT: usize = 64 * 1024;

/// What the page says besides the stream.
#[derive(Clone, Debug)]
pub struct HtmlOptions {
    /// The page's title.
    pub title: String,
    /// Facts about the run shown in the summary (source file, generator, run id, ...), in order.
    pub metadata: Vec<(String, String)>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            title: "Unit Test Report".to_owned(),
            metadata: Vec::new(),
        }
    }
}

/// A part of the page written by the caller: its anchor, its heading and its markup (made with
/// [`maud`], so its values are escaped as the page's own).
#[derive(Clone, Debug)]
pub struct Section {
    /// The element id, for the navigation's link.
    pub id: String,
    /// The heading.
    pub title: String,
    /// The body.
    pub body: maud::Markup,
}

/// A test's outcome as the page shows it: every status a finished or unfinished record can
/// have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// `success`.
    Success,
    /// `xfail`.
    XFail,
    /// `skip`.
    Skip,
    /// `uxsuccess`.
    UxSuccess,
    /// `fail`.
    Fail,
    /// Still `inprogress` when the stream ended.
    InProgress,
    /// No status ever came (testtools' *unknown*).
    Unknown,
}

impl Outcome {
    /// Every outcome, best first.
    pub const ALL: [Outcome; 7] = [
        Outcome::Success,
        Outcome::XFail,
        Outcome::Skip,
        Outcome::UxSuccess,
        Outcome::Fail,
        Outcome::InProgress,
        Outcome::Unknown,
    ];

    /// The outcome of a record.
    pub fn of(record: &TestRecord) -> Outcome {
        match record.status {
            Some(Status::Success | Status::Exists) => Outcome::Success,
            Some(Status::XFail) => Outcome::XFail,
            Some(Status::Skip) => Outcome::Skip,
            Some(Status::UxSuccess) => Outcome::UxSuccess,
            Some(Status::Fail) => Outcome::Fail,
            Some(Status::InProgress) => Outcome::InProgress,
            Some(Status::Undefined) | None => Outcome::Unknown,
        }
    }

    /// The status's name in the stream (`unknown` for none).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::XFail => "xfail",
            Outcome::Skip => "skip",
            Outcome::UxSuccess => "uxsuccess",
            Outcome::Fail => "fail",
            Outcome::InProgress => "inprogress",
            Outcome::Unknown => "unknown",
        }
    }

    /// What the page calls it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Success => "Success",
            Outcome::XFail => "Expected failure",
            Outcome::Skip => "Skipped",
            Outcome::UxSuccess => "Unexpected success",
            Outcome::Fail => "Failed",
            Outcome::InProgress => "Unfinished",
            Outcome::Unknown => "No status",
        }
    }

    /// Whether the page lists the test among the problems, with its attachments.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Outcome::Fail | Outcome::UxSuccess | Outcome::InProgress | Outcome::Unknown
        )
    }
}

/// Where a test ran: its timeline lane.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// The number in a `worker-N` tag (worker 0 without tag or route code).
    Worker(i64),
    /// The first part of the route code of a test without a `worker-N` tag.
    Route(String),
}

impl Lane {
    /// The lane of a record (see the [module docs](self)).
    pub fn of(record: &TestRecord) -> Lane {
        if record.tags.iter().any(|t| t.starts_with("worker-")) {
            return Lane::Worker(find_worker(&record.tags));
        }
        match record.route_code.as_deref() {
            Some(code) if !code.is_empty() => {
                let first = code.split('/').next().unwrap_or(code);
                match first.parse::<i64>() {
                    Ok(n) => Lane::Worker(n),
                    Err(_) => Lane::Route(first.to_owned()),
                }
            }
            _ => Lane::Worker(0),
        }
    }

    /// The lane's name on the page.
    pub fn label(&self) -> String {
        match self {
            Lane::Worker(n) => format!("worker {n}"),
            Lane::Route(r) => format!("route {r}"),
        }
    }
}

/// The class a test id belongs to, and whether the id is a class or module fixture's
/// pseudo-test (`setUpClass (pkg.mod.Class)`).
pub fn class_of(id: &str) -> (Cow<'_, str>, bool) {
    for fixture in [
        "setUpClass (",
        "tearDownClass (",
        "setUpModule (",
        "tearDownModule (",
    ] {
        if let Some(rest) = id.strip_prefix(fixture)
            && let Some(inner) = rest.strip_suffix(')')
        {
            return (Cow::Owned(inner.to_owned()), true);
        }
    }
    let clean = cleanup_test_name(id);
    let class = match clean.rfind('.') {
        Some(dot) => clean[..dot].to_owned(),
        None => clean.into_owned(),
    };
    (Cow::Owned(class), false)
}

/// The module of a class: the text before its last dot.
pub fn module_of(class: &str) -> &str {
    class.rfind('.').map_or(class, |dot| &class[..dot])
}

/// One test as the page keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) class: usize,
    pub(crate) lane: usize,
    pub(crate) outcome: Outcome,
    pub(crate) fixture: bool,
    /// Start and end, microseconds since the epoch.
    pub(crate) start: Option<u64>,
    pub(crate) end: Option<u64>,
    /// Where its attachments are in `details` (problems and skips only).
    pub(crate) detail: Option<usize>,
}

impl Row {
    pub(crate) fn duration(&self) -> Option<u64> {
        self.end?.checked_sub(self.start?)
    }
}

/// One decoded attachment.
#[derive(Clone, Debug)]
pub(crate) struct Shown {
    pub(crate) name: String,
    pub(crate) mime: String,
    pub(crate) text: String,
    /// Bytes left out past [`ATTACHMENT_LIMIT`].
    pub(crate) cut: usize,
}

/// The sink behind the HTML report (see the [module docs](self)).
#[derive(Debug)]
pub struct HtmlReport {
    pub(crate) options: HtmlOptions,
    pub(crate) rows: Vec<Row>,
    pub(crate) classes: Vec<String>,
    class_index: HashMap<String, usize>,
    pub(crate) lanes: Vec<Lane>,
    lane_index: HashMap<Lane, usize>,
    pub(crate) details: Vec<Vec<Shown>>,
    pub(crate) stats: Stats,
    /// The first row read from v1 text, once [`read`] reads it.
    v1_from: Option<usize>,
}

impl HtmlReport {
    /// An empty report.
    pub fn new(options: HtmlOptions) -> Self {
        HtmlReport {
            options,
            rows: Vec::new(),
            classes: Vec::new(),
            class_index: HashMap::new(),
            lanes: Vec::new(),
            lane_index: HashMap::new(),
            details: Vec::new(),
            stats: Stats::new(),
            v1_from: None,
        }
    }

    /// The totals `subunit-stats` would print for the tests seen so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// How many tests had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }

    /// The tests that failed, did not finish or had no status, in arrival order, as os-testr's
    /// `subunit2html` prints them: the id, and for a test read from v1 text python's
    /// ` (subunit.RemotedTestCase)` after it.
    pub fn failed_ids(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                matches!(
                    r.outcome,
                    Outcome::Fail | Outcome::InProgress | Outcome::Unknown
                )
            })
            .map(|(i, r)| match self.v1_from {
                Some(from) if i >= from => {
                    Cow::Owned(format!("{} (subunit.RemotedTestCase)", r.id))
                }
                _ => Cow::Borrowed(r.id.as_str()),
            })
    }

    /// Counts per class in os-testr's terms: `(class, pass, fail, skip, xfail, uxsuccess)`,
    /// sorted by class, where fail holds unfinished tests and tests without a status.
    pub fn class_counts(&self) -> Vec<(String, [usize; 5])> {
        let mut counts = vec![[0usize; 5]; self.classes.len()];
        for row in &self.rows {
            let slot = match row.outcome {
                Outcome::Success => 0,
                Outcome::Fail | Outcome::InProgress | Outcome::Unknown => 1,
                Outcome::Skip => 2,
                Outcome::XFail => 3,
                Outcome::UxSuccess => 4,
            };
            counts[row.class][slot] += 1;
        }
        let mut out: Vec<_> = self.classes.iter().cloned().zip(counts).collect();
        out.sort();
        out
    }

    /// Writes the page.
    ///
    /// # Errors
    ///
    /// Writing to `out`.
    pub fn write_page(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.write_page_with(out, &[])
    }

    /// Writes the page with `sections` of the caller's after the summary (a run store's
    /// history, say), each linked from the page's navigation.
    ///
    /// # Errors
    ///
    /// Writing to `out`.
    pub fn write_page_with(
        &self,
        out: &mut dyn Write,
        sections: &[Section],
    ) -> std::io::Result<()> {
        render::write(self, sections, out)?;
        out.flush()
    }

    fn class(&mut self, name: Cow<'_, str>) -> usize {
        if let Some(&i) = self.class_index.get(name.as_ref()) {
            return i;
        }
        let i = self.classes.len();
        self.classes.push(name.clone().into_owned());
        self.class_index.insert(name.into_owned(), i);
        i
    }

    fn lane(&mut self, lane: Lane) -> usize {
        if let Some(&i) = self.lane_index.get(&lane) {
            return i;
        }
        let i = self.lanes.len();
        self.lanes.push(lane.clone());
        self.lane_index.insert(lane, i);
        i
    }
}

impl Sink for HtmlReport {
    type Error = Infallible;

    fn record(&mut self, record: TestRecord) -> Result<(), Infallible> {
        if record.status == Some(Status::Exists) {
            return Ok(());
        }
        self.stats.add(&record);
        let outcome = Outcome::of(&record);
        let (class, fixture) = class_of(&record.id);
        let class = self.class(class);
        let lane = self.lane(Lane::of(&record));
        let detail = (outcome.is_problem() || outcome == Outcome::Skip).then(|| {
            let shown = record
                .attachments
                .iter()
                .filter(|a| outcome != Outcome::Skip || a.name == "reason")
                .map(show)
                .collect();
            self.details.push(shown);
            self.details.len() - 1
        });
        self.rows.push(Row {
            id: inert(&record.id).into_owned(),
            class,
            lane,
            outcome,
            fixture,
            start: record.start.map(|t| t.python_micros()),
            end: record.end.map(|t| t.python_micros()),
            detail,
        });
        Ok(())
    }
}

/// An attachment as the page shows it: text decoded by testtools' rules, anything else as
/// python's `repr` of its bytes, at most [`ATTACHMENT_LIMIT`] bytes of it.
fn show(a: &subunit_parser::fold::Attachment) -> Shown {
    let mime = a.effective_mime_type();
    let kept = &a.content[..a.content.len().min(ATTACHMENT_LIMIT)];
    let content_type = ContentType::parse(Some(mime));
    let text = if content_type.text {
        inert(&decode_whole(content_type.charset, kept)).into_owned()
    } else {
        let mut s = String::new();
        bytes_repr(kept, &mut s);
        s
    };
    Shown {
        name: inert(&a.name).into_owned(),
        mime: inert(mime).into_owned(),
        text,
        cut: a.content.len() - kept.len(),
    }
}

/// Reads a whole stream into a report as os-testr's `subunit2html` reads it: the v2 stream
/// (stray bytes gathered as python gathers a file's), then the stray bytes of each route
/// read again as subunit v1, whose tests join the report.
///
/// # Errors
///
/// Reading the stream. A v1 reading that stops at bad input keeps the tests read before it.
pub fn read(input: impl Read, options: HtmlOptions) -> Result<HtmlReport, Error> {
    struct Both {
        report: HtmlReport,
        stray: BTreeMap<Option<String>, Vec<u8>>,
    }
    impl Sink for Both {
        type Error = Infallible;
        fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Infallible> {
            if event.test_id.is_none()
                && let Some(file) = &event.file
                && file.name == "stdout"
                && !file.content.is_empty()
            {
                self.stray
                    .entry(event.route_code.map(str::to_owned))
                    .or_default()
                    .extend_from_slice(file.content);
            }
            Ok(())
        }
        fn record(&mut self, record: TestRecord) -> Result<(), Infallible> {
            self.report.record(record)
        }
    }
    let mut both = Both {
        report: HtmlReport::new(options),
        stray: BTreeMap::new(),
    };
    Pipeline::new()
        .view(View::Python)
        .run::<_, Error>(input, &mut both)?;
    let Both { mut report, stray } = both;
    report.v1_from = Some(report.rows.len());
    for bytes in stray.values() {
        let mut v2 = Vec::new();
        // python's v1 reader stops at what it cannot read; so do we, keeping what came before.
        let _ = v1_to_v2(&bytes[..], &mut v2);
        Pipeline::new().run::<_, Error>(&v2[..], &mut report)?;
    }
    Ok(report)
}

/// Text with its control characters (but tab, newline and carriage return) as U+FFFD, so
/// nothing in it can upset a browser's parser or terminal-like display.
pub fn inert(text: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if text.chars().any(bad) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if bad(c) {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_id_and_fixtures_from_their_parentheses() {
        assert_eq!(
            class_of("a.b.C.test_x[id-1,smoke]"),
            ("a.b.C".into(), false)
        );
        assert_eq!(class_of("setUpClass (a.b.C)"), ("a.b.C".into(), true));
        assert_eq!(class_of("tearDownClass (a.b.C)"), ("a.b.C".into(), true));
        assert_eq!(class_of("lonely"), ("lonely".into(), false));
        assert_eq!(module_of("a.b.C"), "a.b");
    }

    #[test]
    fn lanes_come_from_worker_tags_then_route_codes() {
        use subunit_emitter::{Packet, to_vec};
        let packets = [
            Packet::status("a.T.t1", Status::Success).with_route_code("1/0"),
            Packet::status("a.T.t2", Status::Success).with_route_code("node-a"),
            Packet::status("a.T.t3", Status::Success)
                .with_route_code("1")
                .with_tags(["worker-3"]),
            Packet::status("a.T.t4", Status::Success),
        ];
        let mut stream = Vec::new();
        for p in &packets {
            stream.extend(to_vec(&p.as_ref()).unwrap());
        }
        let report = read(&stream[..], HtmlOptions::default()).unwrap();
        let lanes: Vec<Lane> = report
            .rows
            .iter()
            .map(|r| report.lanes[r.lane].clone())
            .collect();
        assert_eq!(
            lanes,
            [
                Lane::Worker(1),
                Lane::Route("node-a".into()),
                Lane::Worker(3),
                Lane::Worker(0)
            ]
        );
    }

    #[test]
    fn v1_text_among_the_stray_bytes_is_read_as_os_testr_reads_it() {
        let mut stream = b"test: old.T.test_v1\nfailure: old.T.test_v1 [\nboom\n]\n".to_vec();
        stream.extend(
            subunit_emitter::to_vec(
                &subunit_emitter::Packet::status("new.T.test_v2", Status::Success).as_ref(),
            )
            .unwrap(),
        );
        let report = read(&stream[..], HtmlOptions::default()).unwrap();
        let ids: Vec<_> = report
            .rows
            .iter()
            .map(|r| (r.id.as_str(), r.outcome))
            .collect();
        assert_eq!(
            ids,
            [
                ("new.T.test_v2", Outcome::Success),
                ("old.T.test_v1", Outcome::Fail)
            ]
        );
    }

    #[test]
    fn control_characters_become_replacement_characters() {
        assert_eq!(inert("a\u{0}b\tc\n\u{1b}[1m"), "a\u{fffd}b\tc\n\u{fffd}[1m");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }
}
