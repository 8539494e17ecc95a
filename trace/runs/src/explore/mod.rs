//! The explorer: a stream or a run store opened once, then questions answered about it, one
//! command line at a time (`subunit-explore` puts a line editor, or a script on stdin, in
//! front of it).
//!
//! # Brief overview
//!
//! - [`Explorer::open_file`] / [`Explorer::open_store`] read the run once into a [`RunIndex`].
//! - [`Explorer::execute`] runs one command line and writes its answer; [`COMMANDS`] lists the
//!   commands with their help.
//! - [`complete`] holds the line editor's helper: completion of commands, test ids and run ids.
//!
//! # Commands
//!
//! | command | answer |
//! | --- | --- |
//! | `summary` | the run's counts, time span and verdict |
//! | `failing` | the tests that failed the run (`fail`, `uxsuccess`, never finished), with status |
//! | `show TEST` | every record of that test (an exact id, else a unique id prefix), with its attachments |
//! | `grep PATTERN` | tests whose id or attachment text matches a regex, with the matching lines |
//! | `slowest [N]` | the N (default 10) longest tests, in `stestr slowest`'s table |
//! | `workers` | per `worker-N` tag: tests and the time from its first start to its last end |
//! | `tags` | every tag with the number of tests carrying it |
//! | `runs` | (store) the stored runs, in `stestr history list`'s table |
//! | `use ID` | (store) switch to run ID |
//! | `diff A [B]` | what changed from run A to run B (stored run ids, or stream files; B defaults to the open run), as `subunit-diff` reports it ([`compare`]) |
//! | `help`, `quit` | |
//!
//! # Memory
//!
//! The index keeps, per test: its id, route code, status, tag numbers (tags interned once per
//! run) and timestamps; attachments are kept only for the tests that failed the run, which is
//! what `show` is mostly asked about. `show` of any other test and `grep` read the run again,
//! streaming, holding only the tests in flight. Memory is therefore proportional to the number
//! of tests plus the failing tests' attachments, not to the stream's bytes.

pub mod complete;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use regex::Regex;
use subunit_emitter::{PacketRef, Status, Timestamp};
use subunit_parser::error::ReadError;
use subunit_parser::fold::{Attachment, Summary, TestRecord};
use subunit_sinks::pipeline::{Exists, Open, Pipeline, Records};

use crate::compare::render::write_human;
use crate::compare::{self, CompareError};
use crate::store::report::{
    HistoryCollector, py_datetime, py_duration, write_history, write_slowest,
};
use crate::store::{Store, StoreError};
use subunit_parser::events::python_events;

/// Why a command (or opening the run) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExploreError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stream file could not be opened.
    #[error("{}: {source}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A stream could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The stream.
        path: PathBuf,
        /// What went wrong.
        source: ReadError,
    },
    /// Writing the answer failed.
    #[error("{0}")]
    Output(#[from] io::Error),
    /// The command line makes no sense.
    #[error("{0}")]
    Usage(String),
    /// No test matches.
    #[error("no test {0:?}")]
    NoSuchTest(String),
    /// The pattern is not a regular expression.
    #[error("bad pattern: {0}")]
    Pattern(#[from] regex::Error),
    /// A run to compare could not be read.
    #[error(transparent)]
    Compare(#[from] CompareError),
}

impl ExploreError {
    /// Whether this is the reader of the output going away.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            ExploreError::Output(e) => e.kind() == io::ErrorKind::BrokenPipe,
            ExploreError::Store(e) => e.is_broken_pipe(),
            ExploreError::Compare(e) => e.is_broken_pipe(),
            _ => false,
        }
    }
}

impl From<ReadError> for ExploreError {
    fn from(source: ReadError) -> Self {
        ExploreError::Read {
            path: PathBuf::from("-"),
            source,
        }
    }
}

/// The commands, with a one-line help each (`help` prints these; completion offers the names).
pub const COMMANDS: &[(&str, &str)] = &[
    ("summary", "the run's counts, time and verdict"),
    ("failing", "the tests that failed the run"),
    (
        "show",
        "show TEST: the test's records with their attachments",
    ),
    (
        "grep",
        "grep PATTERN: tests whose id or attachment text matches the regex",
    ),
    ("slowest", "slowest [N]: the N slowest tests (default 10)"),
    ("workers", "tests and time per worker"),
    ("tags", "every tag and how many tests carry it"),
    (
        "diff",
        "diff A [B]: what changed from run A to run B (default: the open run)",
    ),
    ("runs", "the stored runs (store only)"),
    ("use", "use ID: switch to stored run ID (store only)"),
    ("help", "this list"),
    ("quit", "leave (also `exit`, or end of input)"),
];

/// What to do after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Stop.
    Quit,
}

/// Where the run comes from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A subunit v2 stream file.
    File(PathBuf),
    /// A run of a store.
    Store {
        /// The store.
        store: Store,
        /// The run shown.
        id: u64,
    },
}

impl Origin {
    /// Feeds `f` the run's events (python-subunit's view).
    fn read(
        &self,
        mut f: impl FnMut(&PacketRef<'_>) -> io::Result<()>,
    ) -> Result<(), ExploreError> {
        match self {
            Origin::File(path) => {
                let file = File::open(path).map_err(|source| ExploreError::Input {
                    path: path.clone(),
                    source,
                })?;
                python_events(file, |ev| -> Result<(), ExploreError> { Ok(f(ev)?) }).map_err(|e| {
                    match e {
                        ExploreError::Read { source, .. } => ExploreError::Read {
                            path: path.clone(),
                            source,
                        },
                        e => e,
                    }
                })
            }
            Origin::Store { store, id } => Ok(store.read_run(*id, f)?),
        }
    }

    /// Feeds `f` the run's test records, as each test ends (then the ones left open, in the
    /// order they started).
    fn records(&self, f: impl FnMut(TestRecord)) -> Result<(), ExploreError> {
        self.records_with(|_| {}, f)
    }

    /// [`Origin::records`], with every event shown to `on_event` first.
    fn records_with(
        &self,
        mut on_event: impl FnMut(&PacketRef<'_>),
        f: impl FnMut(TestRecord),
    ) -> Result<(), ExploreError> {
        let mut sink = Records(f);
        let mut pipeline = Pipeline::new().exists(Exists::Fold).open(Open::OldestFirst);
        self.read(|ev| {
            on_event(ev);
            let Ok(()) = pipeline.push(ev, &mut sink);
            Ok(())
        })?;
        let Ok(()) = pipeline.finish(&mut sink);
        Ok(())
    }
}

/// Whether a record makes the run fail (stestr's rule): a failure, an unexpected success, or
/// a test that never finished.
pub fn is_failing(status: Option<Status>) -> bool {
    !matches!(
        status,
        Some(Status::Success | Status::Skip | Status::XFail | Status::Exists)
    )
}

/// One test of the index.
#[derive(Clone, Debug)]
struct Entry {
    id: Box<str>,
    route_code: Option<Box<str>>,
    status: Option<Status>,
    /// Numbers into [`RunIndex::tag_names`].
    tags: Box<[u32]>,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

impl Entry {
    fn micros(&self) -> Option<i64> {
        Some(self.end?.python_micros() as i64 - self.start?.python_micros() as i64)
    }
}

/// What the explorer knows of one run: every test without its attachments, and the
/// attachments of the failing tests.
#[derive(Debug, Default)]
pub struct RunIndex {
    tests: Vec<Entry>,
    /// Indices into `tests`, ordered by id (then stream order).
    sorted: Vec<u32>,
    tag_names: Vec<String>,
    /// The attachments of the failing tests, by index.
    kept: HashMap<u32, Vec<Attachment>>,
    summary: Summary,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl RunIndex {
    /// Indexes the run `origin` holds.
    fn build(origin: &Origin) -> Result<Self, ExploreError> {
        let mut index = RunIndex::default();
        let mut tag_numbers: HashMap<String, u32> = HashMap::new();
        let mut add = |index: &mut RunIndex, r: TestRecord| {
            if r.status == Some(Status::Exists) {
                return;
            }
            index.summary.add(&r);
            let n = index.tests.len() as u32;
            let tags = r
                .tags
                .iter()
                .map(|t| match tag_numbers.get(t) {
                    Some(&k) => k,
                    None => {
                        let k = index.tag_names.len() as u32;
                        index.tag_names.push(t.clone());
                        tag_numbers.insert(t.clone(), k);
                        k
                    }
                })
                .collect();
            if is_failing(r.status) && !r.attachments.is_empty() {
                index.kept.insert(n, r.attachments);
            }
            index.tests.push(Entry {
                id: r.id.into_boxed_str(),
                route_code: r.route_code.map(String::into_boxed_str),
                status: r.status,
                tags,
                start: r.start,
                end: r.end,
            });
        };
        // The span of the run: every event's time, read beside the records.
        let (mut first, mut last) = (None::<Timestamp>, None::<Timestamp>);
        origin.records_with(
            |ev| {
                if let Some(ts) = ev.timestamp {
                    first = Some(first.map_or(ts, |f| f.min(ts)));
                    last = Some(last.map_or(ts, |l| l.max(ts)));
                }
            },
            |r| add(&mut index, r),
        )?;
        (index.first, index.last) = (first, last);
        let mut sorted: Vec<u32> = (0..index.tests.len() as u32).collect();
        sorted.sort_by(|&a, &b| index.tests[a as usize].id.cmp(&index.tests[b as usize].id));
        index.sorted = sorted;
        Ok(index)
    }

    /// How many tests the run holds.
    pub fn len(&self) -> usize {
        self.tests.len()
    }

    /// Whether the run holds no test.
    pub fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    /// How many tests' attachments the index holds (those of the failing tests that have
    /// any); every other attachment is read again when asked for.
    pub fn attachments_kept(&self) -> usize {
        self.kept.len()
    }

    /// The run's tally.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The range of `sorted` whose ids start with `prefix`.
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let id = |i: &u32| &*self.tests[*i as usize].id;
        let lo = self.sorted.partition_point(|i| id(i) < prefix);
        let hi = lo + self.sorted[lo..].partition_point(|i| id(i).starts_with(prefix));
        lo..hi
    }

    /// The distinct test ids starting with `prefix`, in order.
    pub fn ids_with_prefix(&self, prefix: &str) -> impl Iterator<Item = &str> {
        let range = self.prefix_range(prefix);
        let mut prev: Option<&str> = None;
        self.sorted[range].iter().filter_map(move |&i| {
            let id = &*self.tests[i as usize].id;
            (prev != Some(id)).then(|| {
                prev = Some(id);
                id
            })
        })
    }

    /// The longest prefix shared by every id starting with `prefix`.
    pub fn common_prefix(&self, prefix: &str) -> Option<&str> {
        let range = self.prefix_range(prefix);
        if range.is_empty() {
            return None;
        }
        let first = &*self.tests[self.sorted[range.start] as usize].id;
        let last = &*self.tests[self.sorted[range.end - 1] as usize].id;
        let n = first
            .char_indices()
            .zip(last.chars())
            .find(|((_, a), b)| a != b)
            .map_or(first.len().min(last.len()), |((i, _), _)| i);
        Some(&first[..n])
    }

    /// The entries of the test `query` names: its exact id, else the one id it is a prefix of.
    fn lookup(&self, query: &str) -> Result<Vec<u32>, ExploreError> {
        let exact: Vec<u32> = {
            let range = self.prefix_range(query);
            self.sorted[range]
                .iter()
                .copied()
                .filter(|&i| &*self.tests[i as usize].id == query)
                .collect()
        };
        if !exact.is_empty() {
            return Ok(exact);
        }
        let ids: Vec<&str> = self.ids_with_prefix(query).take(2).collect();
        match ids[..] {
            [] => Err(ExploreError::NoSuchTest(query.to_owned())),
            [one] => self.lookup(one),
            _ => Err(ExploreError::Usage(format!(
                "{} tests start with {query:?}; give more of the id",
                self.ids_with_prefix(query).count()
            ))),
        }
    }
}

/// An open run and the commands over it.
#[derive(Debug)]
pub struct Explorer {
    origin: Origin,
    index: RunIndex,
}

impl Explorer {
    /// Opens a subunit v2 stream file.
    pub fn open_file(path: &Path) -> Result<Self, ExploreError> {
        let origin = Origin::File(path.to_path_buf());
        let index = RunIndex::build(&origin)?;
        Ok(Explorer { origin, index })
    }

    /// Opens the store in `dir` (`dir/.stestr`) at run `id`, or its latest stored run.
    pub fn open_store(dir: &Path, id: Option<u64>) -> Result<Self, ExploreError> {
        let store = Store::open(dir)?;
        let id = match id {
            Some(id) if store.has_run(id) => id,
            Some(id) => return Err(StoreError::NoSuchRun(id.to_string()).into()),
            None => *store.run_ids()?.last().ok_or(StoreError::NoRuns)?,
        };
        let origin = Origin::Store { store, id };
        let index = RunIndex::build(&origin)?;
        Ok(Explorer { origin, index })
    }

    /// Where the run comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The open run's index.
    pub fn index(&self) -> &RunIndex {
        &self.index
    }

    /// The stored run ids (none for a file).
    pub fn run_ids(&self) -> Vec<u64> {
        match &self.origin {
            Origin::Store { store, .. } => store.run_ids().unwrap_or_default(),
            Origin::File(_) => Vec::new(),
        }
    }

    /// The prompt for the line editor.
    pub fn prompt(&self) -> String {
        match &self.origin {
            Origin::File(_) => "explore> ".to_owned(),
            Origin::Store { id, .. } => format!("explore[{id}]> "),
        }
    }

    /// Runs one command line, writing its answer to `out`. Blank lines and `#` comments do
    /// nothing.
    pub fn execute(&mut self, line: &str, out: &mut dyn Write) -> Result<Flow, ExploreError> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Flow::Continue);
        }
        let (command, rest) = match line.split_once(char::is_whitespace) {
            Some((c, r)) => (c, r.trim()),
            None => (line, ""),
        };
        let no_args = |rest: &str| -> Result<(), ExploreError> {
            if rest.is_empty() {
                Ok(())
            } else {
                Err(ExploreError::Usage(format!("{command} takes no argument")))
            }
        };
        match command {
            "summary" => {
                no_args(rest)?;
                self.summary(out)?
            }
            "failing" => {
                no_args(rest)?;
                self.failing(out)?
            }
            "show" if rest.is_empty() => {
                return Err(ExploreError::Usage("usage: show TEST".into()));
            }
            "show" => self.show(rest, out)?,
            "grep" if rest.is_empty() => {
                return Err(ExploreError::Usage("usage: grep PATTERN".into()));
            }
            "grep" => self.grep(rest, out)?,
            "slowest" => {
                let n = match rest {
                    "" => 10,
                    n => n.parse().map_err(|_| {
                        ExploreError::Usage(format!("slowest: {n:?} is not a number of tests"))
                    })?,
                };
                self.slowest(n, out)?
            }
            "workers" => {
                no_args(rest)?;
                self.workers(out)?
            }
            "tags" => {
                no_args(rest)?;
                self.tags(out)?
            }
            "runs" => {
                no_args(rest)?;
                self.runs(out)?
            }
            "use" => self.use_run(rest, out)?,
            "diff" => self.diff(rest, out)?,
            "help" => {
                for (name, help) in COMMANDS {
                    writeln!(out, "{name:<8} {help}")?;
                }
            }
            "quit" | "exit" => return Ok(Flow::Quit),
            other => {
                return Err(ExploreError::Usage(format!(
                    "unknown command {other:?} (try `help`)"
                )));
            }
        }
        Ok(Flow::Continue)
    }

    fn summary(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.index.summary;
        match &self.origin {
            Origin::File(path) => writeln!(out, "run: {}", path.display())?,
            Origin::Store { store, id } => {
                writeln!(out, "run: {id} of {}", store.base().display())?
            }
        }
        writeln!(out, "tests: {}", s.tests_run)?;
        for (label, n) in [
            ("passed", s.success),
            ("failed", s.fail),
            ("skipped", s.skip),
            ("expected failures", s.xfail),
            ("unexpected successes", s.uxsuccess),
            ("incomplete", s.incomplete),
        ] {
            writeln!(out, "  {label}: {n}")?;
        }
        if let (Some(first), Some(last)) = (self.index.first, self.index.last) {
            writeln!(
                out,
                "started: {}",
                py_datetime(first.python_micros() as i64)
            )?;
            writeln!(
                out,
                "time: {}",
                py_duration(last.python_micros() as i64 - first.python_micros() as i64)
            )?;
        }
        let passed = s.tests_run > 0 && s.errors() == 0 && s.uxsuccess == 0;
        writeln!(out, "result: {}", if passed { "PASSED" } else { "FAILED" })
    }

    fn failing(&self, out: &mut dyn Write) -> io::Result<()> {
        for &i in &self.index.sorted {
            let e = &self.index.tests[i as usize];
            if is_failing(e.status) {
                writeln!(out, "{} {}", status_name(e.status), e.id)?;
            }
        }
        Ok(())
    }

    fn show(&self, query: &str, out: &mut dyn Write) -> Result<(), ExploreError> {
        let found = self.index.lookup(query)?;
        let id = self.index.tests[found[0] as usize].id.to_string();
        // The attachments: kept for failing tests, else read again.
        let mut reread: Vec<Vec<Attachment>> = Vec::new();
        if found.iter().any(|i| !self.index.kept.contains_key(i)) {
            self.origin.records(|r| {
                if r.id == id && r.status != Some(Status::Exists) {
                    reread.push(r.attachments);
                }
            })?;
        }
        for (k, &i) in found.iter().enumerate() {
            let e = &self.index.tests[i as usize];
            if k > 0 {
                writeln!(out)?;
            }
            writeln!(out, "test: {}", e.id)?;
            writeln!(out, "status: {}", status_name(e.status))?;
            if let Some(route) = &e.route_code {
                writeln!(out, "route: {route}")?;
            }
            if !e.tags.is_empty() {
                writeln!(out, "tags: {}", self.tag_list(e).join(" "))?;
            }
            if let Some(start) = e.start {
                writeln!(out, "start: {}", py_datetime(start.python_micros() as i64))?;
            }
            if let Some(end) = e.end {
                writeln!(out, "end: {}", py_datetime(end.python_micros() as i64))?;
            }
            if let Some(us) = e.micros() {
                writeln!(out, "duration: {}", py_duration(us))?;
            }
            let attachments = match self.index.kept.get(&i) {
                Some(a) => a.as_slice(),
                None => reread.get(k).map_or(&[][..], Vec::as_slice),
            };
            for a in attachments {
                writeln!(out, "--- {} ({}) ---", a.name, a.effective_mime_type())?;
                let text = a.text();
                out.write_all(text.as_bytes())?;
                if !text.ends_with('\n') {
                    writeln!(out)?;
                }
            }
        }
        Ok(())
    }

    fn grep(&self, pattern: &str, out: &mut dyn Write) -> Result<(), ExploreError> {
        let re = Regex::new(pattern)?;
        let mut failed: Option<io::Error> = None;
        self.origin.records(|r| {
            if failed.is_some() || r.status == Some(Status::Exists) {
                return;
            }
            let res = (|| -> io::Result<()> {
                let mut header = re.is_match(&r.id);
                if header {
                    writeln!(out, "{} {}", status_name(r.status), r.id)?;
                }
                for a in &r.attachments {
                    let text = a.text();
                    for (n, line) in text.lines().enumerate() {
                        if re.is_match(line) {
                            if !header {
                                writeln!(out, "{} {}", status_name(r.status), r.id)?;
                                header = true;
                            }
                            writeln!(out, "    {}:{}: {line}", a.name, n + 1)?;
                        }
                    }
                }
                Ok(())
            })();
            if let Err(e) = res {
                failed = Some(e);
            }
        })?;
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    fn slowest(&self, n: usize, out: &mut dyn Write) -> io::Result<()> {
        let mut times: Vec<(&Entry, i64)> = self
            .index
            .tests
            .iter()
            .filter_map(|e| Some((e, e.micros()?)))
            .collect();
        times.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        times.truncate(n);
        let rows = times
            .into_iter()
            .map(|(e, us)| (e.id.to_string(), us as f64 / 1e6))
            .collect();
        let mut buf = Vec::new();
        write_slowest(&mut buf, rows, true)?;
        out.write_all(&buf)
    }

    fn workers(&self, out: &mut dyn Write) -> io::Result<()> {
        // worker number -> (tests, first start, last end)
        let mut workers: BTreeMap<Option<u64>, (usize, Option<i64>, Option<i64>)> = BTreeMap::new();
        for e in &self.index.tests {
            let worker = self
                .tag_list(e)
                .iter()
                .find_map(|t| t.strip_prefix("worker-").and_then(|n| n.parse().ok()));
            let w = workers.entry(worker).or_default();
            w.0 += 1;
            if let Some(s) = e.start.map(|t| t.python_micros() as i64) {
                w.1 = Some(w.1.map_or(s, |v| v.min(s)));
            }
            if let Some(end) = e.end.map(|t| t.python_micros() as i64) {
                w.2 = Some(w.2.map_or(end, |v| v.max(end)));
            }
        }
        for (worker, (tests, start, end)) in workers {
            let name = worker.map_or_else(|| "(no worker tag)".to_owned(), |n| n.to_string());
            let span = match (start, end) {
                (Some(s), Some(e)) => py_duration(e - s),
                _ => "N/A".to_owned(),
            };
            writeln!(out, "worker {name}: {tests} tests, {span}")?;
        }
        Ok(())
    }

    fn tags(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut counts = vec![0usize; self.index.tag_names.len()];
        for e in &self.index.tests {
            for &t in &e.tags {
                counts[t as usize] += 1;
            }
        }
        let mut tags: Vec<(&str, usize)> = self
            .index
            .tag_names
            .iter()
            .map(String::as_str)
            .zip(counts)
            .collect();
        tags.sort_unstable();
        for (tag, n) in tags {
            writeln!(out, "{tag}: {n}")?;
        }
        Ok(())
    }

    fn runs(&self, out: &mut dyn Write) -> Result<(), ExploreError> {
        let Origin::Store { store, id: current } = &self.origin else {
            return Err(ExploreError::Usage("runs: not a store".into()));
        };
        let mut rows = Vec::new();
        for id in store.run_ids()? {
            let mut history = HistoryCollector::default();
            store.read_run(id, |ev| {
                history.event(ev);
                Ok(())
            })?;
            rows.push(history.finish(id, store.metadata(id)?));
        }
        let mut buf = Vec::new();
        write_history(&mut buf, &rows, false)?;
        out.write_all(&buf)?;
        writeln!(out, "current: {current}")?;
        Ok(())
    }

    /// What a `diff` argument names: a stored run id (in a store), else a stream file.
    fn compare_source(&self, arg: &str) -> Result<compare::Source, ExploreError> {
        if let (Origin::Store { store, .. }, Ok(_)) = (&self.origin, arg.parse::<u64>()) {
            let id = store.parse_id(arg)?;
            return Ok(compare::Source::Run {
                store: store.clone(),
                id,
            });
        }
        let path = Path::new(arg);
        if path.is_file() {
            Ok(compare::Source::File(path.to_path_buf()))
        } else {
            Err(ExploreError::Usage(format!(
                "diff: {arg:?} is neither a stored run nor a stream file"
            )))
        }
    }

    fn diff(&self, args: &str, out: &mut dyn Write) -> Result<(), ExploreError> {
        let args: Vec<&str> = args.split_whitespace().collect();
        let current = || match &self.origin {
            Origin::File(path) => compare::Source::File(path.clone()),
            Origin::Store { store, id } => compare::Source::Run {
                store: store.clone(),
                id: *id,
            },
        };
        let (old, new) = match args[..] {
            [a] => (self.compare_source(a)?, current()),
            [a, b] => (self.compare_source(a)?, self.compare_source(b)?),
            _ => return Err(ExploreError::Usage("usage: diff A [B]".into())),
        };
        let diff = compare::compare(&old, &new, compare::Options::default())?;
        let mut buf = Vec::new();
        write_human(&mut buf, &diff, new.run_id())?;
        out.write_all(&buf)?;
        Ok(())
    }

    fn use_run(&mut self, arg: &str, out: &mut dyn Write) -> Result<(), ExploreError> {
        let Origin::Store { store, .. } = &self.origin else {
            return Err(ExploreError::Usage("use: not a store".into()));
        };
        if arg.is_empty() {
            return Err(ExploreError::Usage("usage: use ID".into()));
        }
        let id = store.parse_id(arg)?;
        let origin = Origin::Store {
            store: store.clone(),
            id,
        };
        let index = RunIndex::build(&origin)?;
        self.origin = origin;
        self.index = index;
        writeln!(out, "run {id}: {} tests", self.index.len())?;
        Ok(())
    }

    fn tag_list(&self, e: &Entry) -> Vec<&str> {
        let mut tags: Vec<&str> = e
            .tags
            .iter()
            .map(|&t| self.index.tag_names[t as usize].as_str())
            .collect();
        tags.sort_unstable();
        tags
    }
}

/// A status as the stream names it (`unknown` when none came, as [`TestRecord::status_name`]).
fn status_name(status: Option<Status>) -> &'static str {
    status.map_or("unknown", Status::as_str)
}
