//! stestr 4.2.1's human outputs over stored runs: the testr-style result (`FAIL:` blocks and
//! the `Ran N (+d) tests in Xs (+Ys)` / `FAILED (id=…, failures=N (+d), skips=N)` summary of
//! `stestr load` and `stestr last --no-subunit-trace`), the `slowest` table and the
//! `history list` table.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::{self, Write};

use subunit_emitter::{PacketRef, Status, Timestamp};
use subunit_parser::fold::TestRecord;
use subunit_sinks::pipeline::{Exists, Feed, Open, Pipeline, Sink};
use subunit_sinks::python::content_type_repr;

/// What testtools' `StreamSummary` (with stestr's first/last timestamps) finds in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunSummary {
    /// Tests run (every test but `exists` ones).
    pub tests_run: usize,
    /// Failures and errors: `fail`, and tests that never finished.
    pub failures: usize,
    /// Skipped tests.
    pub skips: usize,
    /// Unexpected successes (they fail the run without being counted as failures).
    pub uxsuccess: usize,
    /// The earliest and latest timestamp of any event, in microseconds.
    pub span: Option<(i64, i64)>,
}

impl RunSummary {
    /// Whether the run passed (stestr's `wasSuccessful`).
    pub fn successful(&self) -> bool {
        self.failures == 0 && self.uxsuccess == 0
    }

    /// Seconds from the first timestamp to the last (`None` without timestamps).
    pub fn time_taken(&self) -> Option<f64> {
        self.span.map(|(a, b)| (b - a) as f64 / 1e6)
    }

    fn note_time(&mut self, ts: Option<Timestamp>) {
        if let Some(t) = ts {
            let t = t.python_micros() as i64;
            self.span = Some(match self.span {
                None => (t, t),
                Some((a, b)) => (a.min(t), b.max(t)),
            });
        }
    }

    fn add(&mut self, r: &TestRecord) {
        match r.status {
            Some(Status::Exists) => return,
            Some(Status::Success | Status::XFail) => {}
            Some(Status::Skip) => self.skips += 1,
            Some(Status::UxSuccess) => self.uxsuccess += 1,
            _ => self.failures += 1,
        }
        self.tests_run += 1;
    }
}

/// stestr's `CLITestResult`: prints a `FAIL:` block the moment a test fails, and the summary
/// at the end.
#[derive(Debug)]
pub struct TestrResult<W: Write> {
    out: W,
    /// The fold of the tests in flight (`exists` folded, and not counted).
    pipeline: Pipeline,
    summary: RunSummary,
}

impl<W: Write> Feed for TestrResult<W> {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}

/// Every event's time counts toward the run's span; each test is counted as it ends, and a
/// failure printed at once (the tests left open are only counted: they have no final status).
impl<W: Write> Sink for TestrResult<W> {
    type Error = io::Error;

    fn event(&mut self, ev: &PacketRef<'_>) -> io::Result<()> {
        self.summary.note_time(ev.timestamp);
        Ok(())
    }

    fn record(&mut self, r: TestRecord) -> io::Result<()> {
        self.summary.add(&r);
        if r.status == Some(Status::Fail) {
            write_fail_block(&mut self.out, &r)?;
        }
        Ok(())
    }
}

const SEP1: &str = "======================================================================\n";
const SEP2: &str = "----------------------------------------------------------------------\n";

impl<W: Write> TestrResult<W> {
    /// A result writing to `out`.
    pub fn new(out: W) -> Self {
        TestrResult {
            out,
            pipeline: Pipeline::new().exists(Exists::Fold),
            summary: RunSummary::default(),
        }
    }

    /// Takes one event.
    pub fn event(&mut self, ev: &PacketRef<'_>) -> io::Result<()> {
        self.feed(ev)
    }

    /// Ends the run: counts the tests left open, prints the summary (with the change from
    /// `previous`, when given) and returns what was found.
    pub fn finish(mut self, id: u64, previous: Option<&RunSummary>) -> io::Result<RunSummary> {
        self.feed_end()?;
        write_summary(&mut self.out, id, &self.summary, previous)?;
        self.out.flush()?;
        Ok(self.summary)
    }

    /// The summary so far (without the tests still open).
    pub fn summary(&self) -> &RunSummary {
        &self.summary
    }
}

/// A `FAIL:` block as `CLITestResult._format_error` writes it.
pub fn write_fail_block(out: &mut impl Write, r: &TestRecord) -> io::Result<()> {
    out.write_all(SEP1.as_bytes())?;
    writeln!(out, "FAIL: {}", r.id)?;
    if !r.tags.is_empty() {
        let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
        writeln!(out, "tags: {}", tags.join(" "))?;
    }
    out.write_all(SEP2.as_bytes())?;
    out.write_all(details_to_str(r, "traceback").as_bytes())
}

/// testtools' `_details_to_str`: binary attachments listed by name and type, empty ones by
/// name, text ones as `name: {{{text}}}` (multi-line ones on their own lines), sorted by name,
/// the `special` one last without a header.
pub fn details_to_str(r: &TestRecord, special: &str) -> String {
    let mut sorted: Vec<_> = r.attachments.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let (mut empty, mut binary, mut text) = (Vec::new(), Vec::new(), Vec::new());
    let mut special_content = None;
    for a in sorted {
        let ct = content_type_repr(a.mime_type.as_deref());
        if !ct.starts_with("text/") {
            binary.push(format!("  {} ({ct})\n", a.name));
            continue;
        }
        let t = a.text();
        let t = t.trim_matches(|c: char| c.is_whitespace());
        if t.is_empty() {
            empty.push(format!("  {}\n", a.name));
            continue;
        }
        if a.name == special {
            special_content = Some(format!("{t}\n"));
            continue;
        }
        text.push(if t.contains('\n') {
            format!("{}: {{{{{{\n{t}\n}}}}}}\n", a.name)
        } else {
            format!("{}: {{{{{{{t}}}}}}}", a.name)
        });
    }
    if text.last().is_some_and(|t: &String| !t.ends_with('\n')) {
        text.push(String::new());
    }
    if let Some(s) = special_content {
        text.push(s);
    }
    let mut out = String::new();
    if !binary.is_empty() {
        out.push_str("Binary content:\n");
        binary.iter().for_each(|b| out.push_str(b));
    }
    if !empty.is_empty() {
        out.push_str("Empty attachments:\n");
        empty.iter().for_each(|e| out.push_str(e));
    }
    if (!binary.is_empty() || !empty.is_empty()) && !text.is_empty() {
        out.push('\n');
    }
    out.push_str(&text.join("\n"));
    out
}

/// stestr's `output_summary` as `CLITestResult` calls it.
pub fn write_summary(
    out: &mut impl Write,
    id: u64,
    s: &RunSummary,
    previous: Option<&RunSummary>,
) -> io::Result<()> {
    let mut line = String::new();
    let time = s.time_taken().filter(|t| *t != 0.0);
    if s.tests_run > 0 {
        line.push_str(&format!("Ran {}", s.tests_run));
        if let Some(p) = previous {
            let d = s.tests_run as i64 - p.tests_run as i64;
            if d != 0 {
                line.push_str(&format!(" ({d:+})"));
            }
        }
        line.push_str(" tests");
    }
    if let Some(t) = time {
        if line.is_empty() {
            line.push_str("Ran tests");
        }
        line.push_str(&format!(" in {t:.3}s"));
        if let Some(pt) = previous.and_then(|p| p.time_taken()).filter(|t| *t != 0.0) {
            let d = t - pt;
            if d != 0.0 {
                line.push_str(&format!(" ({d:+.3}s)"));
            }
        }
    }
    if !line.is_empty() {
        line.push('\n');
    }
    line.push_str(if s.failures == 0 { "PASSED" } else { "FAILED" });
    let mut values = vec![format!("id={id}")];
    if s.failures > 0 {
        let mut v = format!("failures={}", s.failures);
        if let Some(p) = previous {
            let d = s.failures as i64 - p.failures as i64;
            if d != 0 {
                v.push_str(&format!(" ({d:+})"));
            }
        }
        values.push(v);
    }
    if s.skips > 0 {
        values.push(format!("skips={}", s.skips));
    }
    line.push_str(&format!(" ({})\n", values.join(", ")));
    out.write_all(line.as_bytes())
}

/// `str(datetime)` of a UTC time python holds in microseconds (the one formatter,
/// [`python_datetime`](subunit_sinks::python::python_datetime)).
pub use subunit_sinks::python::python_datetime as py_datetime;

/// subunit-trace's `get_duration`: `S.ffffffs`.
pub fn py_duration(us: i64) -> String {
    format!(
        "{}.{:06}s",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000)
    )
}

/// One row of `history list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// The run id.
    pub id: u64,
    /// `True`, `False`, or `---` when no test had both timestamps.
    pub passed: String,
    /// The run time, or `---`.
    pub runtime: String,
    /// The first test's start, or `---`.
    pub date: String,
    /// The stored metadata (`None` as python prints a missing one).
    pub metadata: Option<String>,
}

/// Collects a `history list` row from a run's events (stestr's `_get_run_details`).
#[derive(Debug)]
pub struct HistoryCollector {
    pipeline: Pipeline,
    summary: RunSummary,
    start: Option<i64>,
    stop: Option<i64>,
}

impl Default for HistoryCollector {
    fn default() -> Self {
        HistoryCollector {
            pipeline: Pipeline::new().exists(Exists::Fold),
            summary: RunSummary::default(),
            start: None,
            stop: None,
        }
    }
}

impl Feed for HistoryCollector {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}

/// Each test (`exists` listings and the tests left open included) counts and widens the span.
impl Sink for HistoryCollector {
    type Error = Infallible;

    fn record(&mut self, r: TestRecord) -> Result<(), Infallible> {
        self.summary.add(&r);
        if let Some(s) = r.start {
            let s = s.python_micros() as i64;
            self.start = Some(self.start.map_or(s, |a| a.min(s)));
        }
        if let Some(e) = r.end {
            let e = e.python_micros() as i64;
            self.stop = Some(self.stop.map_or(e, |b| b.max(e)));
        }
        Ok(())
    }
}

impl HistoryCollector {
    /// Takes one event.
    pub fn event(&mut self, ev: &PacketRef<'_>) {
        let Ok(()) = self.feed(ev);
    }

    /// The row for run `id`.
    pub fn finish(mut self, id: u64, metadata: Option<String>) -> HistoryRow {
        let Ok(()) = self.feed_end();
        match (self.start, self.stop) {
            (Some(a), Some(b)) => HistoryRow {
                id,
                passed: if self.summary.successful() {
                    "True"
                } else {
                    "False"
                }
                .into(),
                runtime: py_duration(b - a),
                date: py_datetime(a),
                metadata,
            },
            _ => HistoryRow {
                id,
                passed: "---".into(),
                runtime: "---".into(),
                date: "---".into(),
                metadata,
            },
        }
    }
}

/// cliff's table formatter (prettytable, left-aligned) as `stestr history list` prints it.
pub fn write_table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+\n";
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let mut s = String::new();
        for (c, w) in cells.zip(&widths) {
            s.push_str(&format!("| {c}{} ", " ".repeat(w - c.chars().count())));
        }
        s + "|\n"
    };
    let mut text = rule.clone();
    text.push_str(&line(&mut header.iter().copied()));
    text.push_str(&rule);
    for row in rows {
        text.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    if !rows.is_empty() {
        text.push_str(&rule);
    }
    out.write_all(text.as_bytes())
}

/// The `history list` table.
pub fn write_history(out: &mut impl Write, rows: &[HistoryRow], metadata: bool) -> io::Result<()> {
    let mut header = vec!["Run ID", "Passed", "Runtime", "Date"];
    if metadata {
        header.push("Metadata");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.id.to_string(),
                r.passed.clone(),
                r.runtime.clone(),
                r.date.clone(),
            ];
            if metadata {
                v.push(r.metadata.clone().unwrap_or_else(|| "None".into()));
            }
            v
        })
        .collect();
    write_table(out, &header, &cells)
}

/// `stestr slowest`: the tests of a run with a recorded time, slowest first (ties by id),
/// the top ten unless `all`, in stestr's two-column table. Nothing when none has a time.
pub fn write_slowest(
    out: &mut impl Write,
    mut times: Vec<(String, f64)>,
    all: bool,
) -> io::Result<()> {
    if times.is_empty() {
        return Ok(());
    }
    times.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if !all {
        times.truncate(10);
    }
    let digits = times
        .iter()
        .find(|t| t.1 > 0.0)
        .map_or(1, |t| t.1.log10().trunc() as i64 + 1);
    let min_len = (digits + 4).max(0) as usize;
    let rows: Vec<(String, String)> = times
        .into_iter()
        .map(|(id, t)| (id, format!("{t:>min_len$.3}")))
        .collect();
    let header = ("Test id", "Runtime (s)");
    let w0 = rows
        .iter()
        .map(|r| r.0.chars().count())
        .chain([header.0.len()])
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| r.1.len())
        .chain([header.1.len()])
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    let mut row = |a: &str, b: &str| {
        text.push_str(a);
        text.push_str(&" ".repeat(w0 - a.chars().count()));
        text.push_str("  ");
        text.push_str(b);
        text.push('\n');
    };
    row(header.0, header.1);
    row(&"-".repeat(w0), &"-".repeat(w1));
    for (a, b) in &rows {
        row(a, b);
    }
    out.write_all(text.as_bytes())
}

/// The distinct test ids of a run, in the order they finished (for `slowest`).
#[derive(Debug)]
pub struct IdCollector {
    pipeline: Pipeline,
    seen: BTreeSet<String>,
    /// The ids, in order.
    pub ids: Vec<String>,
}

impl Default for IdCollector {
    fn default() -> Self {
        IdCollector {
            pipeline: Pipeline::new().exists(Exists::Fold).open(Open::OldestFirst),
            seen: BTreeSet::new(),
            ids: Vec::new(),
        }
    }
}

impl Feed for IdCollector {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}

/// The ids of the tests as they end, then of the ones left open in the order they started.
impl Sink for IdCollector {
    type Error = Infallible;

    fn record(&mut self, r: TestRecord) -> Result<(), Infallible> {
        self.add(r.id);
        Ok(())
    }
}

impl IdCollector {
    /// Takes one event.
    pub fn event(&mut self, ev: &PacketRef<'_>) {
        let Ok(()) = self.feed(ev);
    }

    fn add(&mut self, id: String) {
        if self.seen.insert(id.clone()) {
            self.ids.push(id);
        }
    }

    /// The ids, the tests left open included.
    pub fn finish(mut self) -> Vec<String> {
        let Ok(()) = self.feed_end();
        self.ids
    }
}

/// The summary of a stored run, for the deltas of the next one.
pub fn summarize(store: &super::Store, id: u64) -> Result<RunSummary, super::StoreError> {
    let mut pipeline = Pipeline::new().exists(Exists::Fold);
    let mut counts = Counts::default();
    store.read_run(id, |ev| pipeline.push(ev, &mut counts))?;
    pipeline.finish(&mut counts)?;
    Ok(counts.0)
}

/// A run's counts and span only (what [`TestrResult`] counts, without its output).
#[derive(Debug, Default)]
struct Counts(RunSummary);

impl Sink for Counts {
    type Error = io::Error;

    fn event(&mut self, ev: &PacketRef<'_>) -> io::Result<()> {
        self.0.note_time(ev.timestamp);
        Ok(())
    }

    fn record(&mut self, r: TestRecord) -> io::Result<()> {
        self.0.add(&r);
        Ok(())
    }
}
