//! `subunit-filter`: keep the tests of a stream that pass a filter, and re-emit them as
//! python-subunit 1.4.6's `subunit-filter` does, byte for byte.
//!
//! # Brief overview
//!
//! - [`FilterConfig`]: every option of the python tool, with its defaults (successes and
//!   expected failures are dropped, everything else kept, stray bytes passed through).
//! - [`Filter`]: the sink. [`Filter::event`] takes python's events one at a time; a test is
//!   decided and written the moment its final status arrives, so only the tests in flight are
//!   held. [`Filter::finish`] reports the tests the stream left open, as python does.
//! - [`run`]: the whole tool over a reader and a writer.
//!
//! # What python does, and so what this does
//!
//! python's filter is a chain of testtools decorators: the events are folded into one record per
//! (test id, route code) (`exists` events are dropped before that, events without a test id are
//! routed to the output as they come when passing through), each finished record is replayed as
//! `time`, `tags`, `startTest`, `time`, outcome, `stopTest` calls, filtered, and turned back into
//! events by `ExtendedToStreamDecorator`. What comes out for a test that passes is:
//!
//! - an `inprogress` packet, then one packet per file chunk the test received (in the order the
//!   files first appeared, each chunk as it arrived, empty chunks dropped, EOF on the last
//!   chunk of each file, the MIME type of the file's first chunk as testtools normalises it),
//!   then the final status packet with the test's tags. The route code is gone; a test that
//!   never finished ends in `fail`.
//! - The timestamps are those of the time calls as `TimeCollapsingDecorator` passes them on:
//!   a test stamped at both ends usually comes out stamped with its *end* time on every
//!   packet. A stream with no timestamps at all gets the wall clock, as python's does.
//! - python's outcome names decide the status switches: a `fail`, an `inprogress` and a test
//!   with no status are all a *failure* (v2 has no errors, so `--no-error` changes nothing),
//!   and an unexpected success is never filtered, by status, regular expression or tag.
//! - `--with`/`--without` search `id + outcome + "None" + repr(details)`, python's string,
//!   details and all; `--with-tag` needs every named tag, `--without-tag` any.
//!
//! Differences from python are listed in `trace/DIFFERENCES.md`: tags are written sorted (python
//! writes its set's order, which changes from run to run), `--rename` renames tests of every
//! outcome (python forgets skips, expected failures and unexpected successes), and the regular
//! expressions are Rust's (no look-around or back-references).

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use regex::{Regex, RegexBuilder};
use subunit_emitter::{FileRef, PacketRef, Status, StreamWriter, Tags, Timestamp, WriteError};
use subunit_parser::error::ReadError;
use subunit_parser::fold::{Attachment, TestRecord};

use crate::pipeline::{Feed, Pipeline, Sink, View};
use crate::python::{bytes_repr, content_type_repr, str_repr};

/// Why the filter could not do its work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A `--with`, `--without` or `--rename` pattern is not a valid regular expression.
    #[error("invalid regular expression {pattern:?}: {source}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// Why it is invalid.
        source: Box<regex::Error>,
    },
    /// A `--rename` replacement uses an escape python rejects.
    #[error("invalid replacement {template:?}: {reason}")]
    Replacement {
        /// The replacement as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--fixup-expected-failures` list could not be read.
    #[error("{}: {source}", path.display())]
    List {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading the input stream failed.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// Writing the output stream failed.
    #[error("{0}")]
    Write(#[from] WriteError),
}

/// The options of `subunit-filter`, named as python's `dest`s are, with python's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterConfig {
    /// Drop errors (`-e/--no-error`). v2 streams have no errors, so this changes nothing,
    /// as in python.
    pub exclude_error: bool,
    /// Drop failures, which includes tests that never finished (`-f/--no-failure`).
    pub exclude_failure: bool,
    /// Drop successes (default; `-s/--success` keeps them).
    pub exclude_success: bool,
    /// Drop skips (`--no-skip`).
    pub exclude_skip: bool,
    /// Drop expected failures (default; `--xfail` keeps them).
    pub exclude_xfail: bool,
    /// Copy events without a test id (stray bytes among them) to the output (default;
    /// `--no-passthrough` drops them).
    pub passthrough: bool,
    /// Keep only tests matching one of these (`-m/--with`).
    pub with_regexps: Vec<String>,
    /// Drop tests matching one of these (`--without`).
    pub without_regexps: Vec<String>,
    /// Keep only tests carrying all of these tags (`--with-tag`).
    pub with_tags: Vec<String>,
    /// Drop tests carrying any of these tags (`--without-tag`).
    pub without_tags: Vec<String>,
    /// Test ids expected to fail: a failure becomes an expected failure, a success an
    /// unexpected success (`--fixup-expected-failures`).
    pub fixup_expected_failures: HashSet<String>,
    /// Regular-expression substitutions applied to test ids in order, with python's
    /// replacement syntax (`\1`, `\g<name>`) (`--rename FROM TO`).
    pub renames: Vec<(String, String)>,
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            exclude_error: false,
            exclude_failure: false,
            exclude_success: true,
            exclude_skip: false,
            exclude_xfail: true,
            passthrough: true,
            with_regexps: Vec::new(),
            without_regexps: Vec::new(),
            with_tags: Vec::new(),
            without_tags: Vec::new(),
            fixup_expected_failures: HashSet::new(),
            renames: Vec::new(),
        }
    }
}

/// Reads a list of test ids as python-subunit's `read_test_list` does: one a line, `#` starts
/// a comment, trailing white space dropped, lines empty before any `#` skipped.
///
/// # Errors
///
/// [`FilterError::List`] when the file cannot be read.
pub fn read_test_list(path: &Path) -> Result<Vec<String>, FilterError> {
    let text = std::fs::read(path).map_err(|source| FilterError::List {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&text);
    Ok(text
        .split_inclusive('\n')
        .filter_map(|line| {
            let before = line.split('#').next().unwrap_or("");
            (!before.is_empty()).then(|| before.trim_end().to_owned())
        })
        .collect())
}

/// python's outcome names, as the filter's predicates see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Failure,
    Success,
    Skip,
    ExpectedFailure,
    UnexpectedSuccess,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Failure => "failure",
            Outcome::Success => "success",
            Outcome::Skip => "skip",
            Outcome::ExpectedFailure => "expectedfailure",
            Outcome::UnexpectedSuccess => "uxsuccess",
        }
    }

    fn status(self) -> Status {
        match self {
            Outcome::Failure => Status::Fail,
            Outcome::Success => Status::Success,
            Outcome::Skip => Status::Skip,
            Outcome::ExpectedFailure => Status::XFail,
            Outcome::UnexpectedSuccess => Status::UxSuccess,
        }
    }
}

fn now_micros() -> u64 {
    let t = Timestamp::now();
    u64::from(t.secs) * 1_000_000 + u64::from(t.nanos / 1000)
}

/// A `--rename` replacement in python's `re.sub` syntax turned into the `regex` crate's.
fn rust_template(template: &str) -> Result<String, FilterError> {
    let bad = |reason: String| FilterError::Replacement {
        template: template.to_owned(),
        reason,
    };
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                None => return Err(bad("bad escape (end of pattern)".into())),
                Some(d @ '1'..='9') => {
                    let mut n = d.to_string();
                    if let Some(&e) = chars.peek()
                        && e.is_ascii_digit()
                    {
                        n.push(e);
                        chars.next();
                    }
                    let _ = write!(out, "${{{n}}}");
                }
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err(bad("missing < after \\g".into()));
                    }
                    let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                    if name.is_empty() {
                        return Err(bad("missing group name".into()));
                    }
                    let _ = write!(out, "${{{name}}}");
                }
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('f') => out.push('\x0c'),
                Some('v') => out.push('\x0b'),
                Some('a') => out.push('\x07'),
                Some('b') => out.push('\x08'),
                Some('\\') => out.push('\\'),
                Some('0') => out.push('\0'),
                Some(e) if e.is_ascii_alphabetic() => {
                    return Err(bad(format!("bad escape \\{e}")));
                }
                Some(e) => {
                    out.push('\\');
                    if e == '$' {
                        out.push('$');
                    }
                    out.push(e);
                }
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

fn compile(patterns: &[String]) -> Result<Option<Regex>, FilterError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let joined = patterns.join("|");
    RegexBuilder::new(&joined)
        .multi_line(true)
        .build()
        .map(Some)
        .map_err(|e| FilterError::Regex {
            pattern: joined,
            source: Box::new(e),
        })
}

/// python's time collapsing between the filter and the re-emitter: only the first and the
/// last of a run of time calls reach `ExtendedToStreamDecorator`.
#[derive(Debug, Default)]
struct Clock {
    last_received: Option<u64>,
    last_sent: Option<u64>,
    /// `ExtendedToStreamDecorator`'s current time.
    now: Option<u64>,
}

impl Clock {
    fn time(&mut self, t: u64) {
        if self.last_received.is_none() {
            self.now = Some(t);
            self.last_sent = Some(t);
        }
        self.last_received = Some(t);
    }

    fn before_event(&mut self) {
        if let Some(r) = self.last_received.take()
            && Some(r) != self.last_sent
        {
            self.now = Some(r);
            self.last_sent = Some(r);
        }
    }

    fn now(&self) -> u64 {
        self.now.unwrap_or_else(now_micros)
    }
}

/// The filter sink; see the module doc.
pub struct Filter<W: Write> {
    config: FilterConfig,
    with: Option<Regex>,
    without: Option<Regex>,
    renames: Vec<(Regex, String)>,
    with_tags: BTreeSet<String>,
    without_tags: BTreeSet<String>,
    out: StreamWriter<W>,
    /// Python's view, and the fold of the tests in flight.
    pipeline: Pipeline,
    clock: Clock,
    scratch: String,
}

impl<W: Write> std::fmt::Debug for Filter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("config", &self.config)
            .field("in_flight", &self.pipeline.in_flight())
            .finish_non_exhaustive()
    }
}

impl<W: Write> Filter<W> {
    /// A filter writing to `out`.
    ///
    /// # Errors
    ///
    /// [`FilterError::Regex`] or [`FilterError::Replacement`] for a bad pattern.
    pub fn new(config: FilterConfig, out: StreamWriter<W>) -> Result<Self, FilterError> {
        let with = compile(&config.with_regexps)?;
        let without = compile(&config.without_regexps)?;
        let renames = config
            .renames
            .iter()
            .map(|(from, to)| {
                let re = Regex::new(from).map_err(|e| FilterError::Regex {
                    pattern: from.clone(),
                    source: Box::new(e),
                })?;
                Ok((re, rust_template(to)?))
            })
            .collect::<Result<_, FilterError>>()?;
        Ok(Filter {
            with_tags: config.with_tags.iter().cloned().collect(),
            without_tags: config.without_tags.iter().cloned().collect(),
            config,
            with,
            without,
            renames,
            out,
            pipeline: Pipeline::new().view(View::Python),
            clock: Clock::default(),
            scratch: String::new(),
        })
    }

    /// Takes one event of the input, as python reads it (see
    /// [`python_events`](subunit_parser::events::python_events)).
    ///
    /// # Errors
    ///
    /// [`FilterError::Write`] when the output fails.
    pub fn event(&mut self, ev: &PacketRef<'_>) -> Result<(), FilterError> {
        self.feed(ev)
    }

    /// How many tests are in flight.
    pub fn in_flight(&self) -> usize {
        self.pipeline.in_flight()
    }

    /// Reports the tests the stream left open (newest first, as python pops them) and returns
    /// the output writer, flushed.
    ///
    /// # Errors
    ///
    /// [`FilterError::Write`] when the output fails.
    pub fn finish(mut self) -> Result<W, FilterError> {
        self.feed_end()?;
        Ok(self.out.finish()?)
    }

    /// Reads the whole of `input` as python reads a file, then [finishes](Filter::finish).
    ///
    /// # Errors
    ///
    /// A read or write error.
    pub fn run(mut self, input: impl Read) -> Result<W, FilterError> {
        std::mem::take(&mut self.pipeline).run::<_, FilterError>(input, &mut self)?;
        Ok(self.out.finish()?)
    }

    fn passthrough(&mut self, ev: &PacketRef<'_>) -> Result<(), FilterError> {
        let p = PacketRef {
            timestamp: ev.timestamp.map(Timestamp::python_rounded),
            tags: ev.tags.filter(|t| !t.is_empty()),
            mime_type: ev.mime_type.filter(|m| !m.is_empty()),
            ..*ev
        };
        self.out.write_packet(&p)?;
        Ok(())
    }

    fn rename(&self, id: &str) -> String {
        let mut id = id.to_owned();
        for (re, to) in &self.renames {
            id = re.replace_all(&id, to.as_str()).into_owned();
        }
        id
    }

    /// One finished record, replayed through python's decorator chain.
    fn test(&mut self, record: TestRecord) -> Result<(), FilterError> {
        let mut outcome = match record.status {
            Some(Status::Success) => Outcome::Success,
            Some(Status::Skip) => Outcome::Skip,
            Some(Status::XFail) => Outcome::ExpectedFailure,
            Some(Status::UxSuccess) => Outcome::UnexpectedSuccess,
            _ => Outcome::Failure,
        };
        let id = self.rename(&record.id);
        if self.config.fixup_expected_failures.contains(&id) {
            outcome = match outcome {
                Outcome::Failure => Outcome::ExpectedFailure,
                Outcome::Success => Outcome::UnexpectedSuccess,
                o => o,
            };
        }
        if let Some(t) = record.start {
            self.clock.time(t.python_micros());
        }
        if let Some(t) = record.end {
            self.clock.time(t.python_micros());
        }
        if outcome != Outcome::UnexpectedSuccess && !self.keep(&id, outcome, &record) {
            return Ok(());
        }
        // startTest
        self.clock.before_event();
        let started = PacketRef {
            test_id: Some(&id),
            status: Status::InProgress,
            timestamp: Some(Timestamp::from_micros(self.clock.now())),
            ..PacketRef::default()
        };
        self.out.write_packet(&started)?;
        // the outcome
        self.clock.before_event();
        let now = Some(Timestamp::from_micros(self.clock.now()));
        for a in &record.attachments {
            let mime_type = content_type_repr(a.mime_type.as_deref());
            let last = a.chunks().len() - 1;
            for (i, chunk) in a.chunks().enumerate() {
                self.out.write_packet(&PacketRef {
                    test_id: Some(&id),
                    timestamp: now,
                    mime_type: Some(&mime_type),
                    file: Some(FileRef {
                        name: &a.name,
                        content: chunk,
                    }),
                    eof: i == last,
                    ..PacketRef::default()
                })?;
            }
        }
        let tags: Vec<&str> = record.tags.iter().map(String::as_str).collect();
        self.out.write_packet(&PacketRef {
            test_id: Some(&id),
            status: outcome.status(),
            timestamp: now,
            tags: (!tags.is_empty()).then_some(Tags::Strs(&tags)),
            ..PacketRef::default()
        })?;
        // stopTest
        self.clock.before_event();
        Ok(())
    }

    /// python's predicates: the status switches, then the regular expressions, then the tags.
    fn keep(&mut self, id: &str, outcome: Outcome, record: &TestRecord) -> bool {
        let c = &self.config;
        let excluded = match outcome {
            Outcome::Failure => c.exclude_failure,
            Outcome::Success => c.exclude_success,
            Outcome::Skip => c.exclude_skip,
            Outcome::ExpectedFailure => c.exclude_xfail,
            Outcome::UnexpectedSuccess => false,
        };
        if excluded {
            return false;
        }
        if self.with.is_some() || self.without.is_some() {
            let text = &mut self.scratch;
            text.clear();
            text.push_str(id);
            text.push_str(outcome.name());
            text.push_str("None");
            details_repr(&record.attachments, text);
            if self.with.as_ref().is_some_and(|re| !re.is_match(text)) {
                return false;
            }
            if self.without.as_ref().is_some_and(|re| re.is_match(text)) {
                return false;
            }
        }
        if !self.with_tags.is_empty() && !self.with_tags.is_subset(&record.tags) {
            return false;
        }
        if self.without_tags.iter().any(|t| record.tags.contains(t)) {
            return false;
        }
        true
    }
}

impl<W: Write> Feed for Filter<W> {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}

/// python's decorator chain as a [`Sink`]: events without a test id pass through (when asked),
/// each finished test is replayed, filtered and written.
impl<W: Write> Sink for Filter<W> {
    type Error = FilterError;

    fn event(&mut self, ev: &PacketRef<'_>) -> Result<(), FilterError> {
        if ev.test_id.is_none() && self.config.passthrough {
            self.passthrough(ev)?;
        }
        Ok(())
    }

    fn record(&mut self, record: TestRecord) -> Result<(), FilterError> {
        self.test(record)
    }
}

/// `str(details)` as python prints the dict of `Content` objects.
fn details_repr(details: &[Attachment], out: &mut String) {
    out.push('{');
    for (i, d) in details.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        str_repr(&d.name, out);
        out.push_str(": <Content type=");
        out.push_str(&content_type_repr(d.mime_type.as_deref()));
        out.push_str(", value=");
        bytes_repr(&d.content, out);
        out.push('>');
    }
    out.push('}');
}

/// Runs `subunit-filter` over `input`, writing to `out` (python's always exits 0).
///
/// # Errors
///
/// A bad pattern, a read or a write error.
pub fn run<W: Write>(
    input: impl Read,
    out: StreamWriter<W>,
    config: FilterConfig,
) -> Result<(), FilterError> {
    Filter::new(config, out)?.run(input)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Delivery, Packet};
    use subunit_parser::reader::{Item, PacketReader};

    fn packets(bytes: &[u8]) -> Vec<Packet> {
        let mut r = PacketReader::new(bytes);
        let mut out = Vec::new();
        while let Some(item) = r.next_item().unwrap() {
            match item {
                Item::Packet { packet, .. } => out.push(packet.to_packet()),
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    fn filter(config: FilterConfig, events: &[Packet]) -> Vec<Packet> {
        let mut f = Filter::new(config, StreamWriter::new(Vec::new(), Delivery::Buffered)).unwrap();
        for e in events {
            f.event(&e.as_ref()).unwrap();
        }
        packets(&f.finish().unwrap())
    }

    /// The tests the filter let through, with their final statuses, in output order.
    fn finals(config: FilterConfig, events: &[Packet]) -> Vec<(String, Status)> {
        filter(config, events)
            .into_iter()
            .filter(|p| p.status.is_final())
            .map(|p| (p.test_id.unwrap(), p.status))
            .collect()
    }

    fn ts(s: u32) -> Timestamp {
        Timestamp::new(1_700_000_000 + s, 0)
    }

    fn run_of(id: &str, status: Status, tags: &[&str]) -> Vec<Packet> {
        vec![
            Packet::status(id, Status::InProgress).with_timestamp(ts(1)),
            Packet::status(id, Status::Undefined)
                .with_timestamp(ts(2))
                .with_file("log", Some("text/plain;charset=utf8"), "a", false),
            Packet::status(id, Status::Undefined).with_file("log", None, "b", true),
            Packet::status(id, status)
                .with_timestamp(ts(3))
                .with_tags(tags.iter().copied()),
        ]
    }

    #[test]
    fn a_failure_is_replayed_as_python_replays_it() {
        let got = filter(
            FilterConfig::default(),
            &run_of("t.a", Status::Fail, &["w", "a"]),
        );
        let at = Some(ts(3));
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!((got[0].status, got[0].timestamp), (Status::InProgress, at));
        assert_eq!(got[1].file.as_ref().unwrap().content, b"a");
        assert_eq!(
            got[1].mime_type.as_deref(),
            Some("text/plain; charset=\"utf8\"")
        );
        assert!(!got[1].eof && got[2].eof);
        assert_eq!(got[3].status, Status::Fail);
        assert_eq!(
            got[3].tags.as_deref(),
            Some(&["a".to_owned(), "w".to_owned()][..])
        );
        assert!(
            got.iter()
                .all(|p| p.timestamp == at && p.route_code.is_none())
        );
    }

    #[test]
    fn default_drops_successes_and_xfails_but_never_uxsuccess() {
        let mut events = run_of("ok", Status::Success, &[]);
        events.extend(run_of("xf", Status::XFail, &[]));
        events.extend(run_of("ux", Status::UxSuccess, &[]));
        events.extend(run_of("sk", Status::Skip, &[]));
        let ids = |c: FilterConfig| -> Vec<String> {
            finals(c, &events).into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(ids(FilterConfig::default()), ["ux", "sk"]);
        let all = FilterConfig {
            exclude_success: false,
            exclude_xfail: false,
            ..FilterConfig::default()
        };
        assert_eq!(ids(all.clone()), ["ok", "xf", "ux", "sk"]);
        let none = FilterConfig {
            with_regexps: vec!["^nothing$".into()],
            ..all
        };
        assert_eq!(ids(none), ["ux"]);
    }

    #[test]
    fn regexps_see_outcome_and_details() {
        let events = run_of("t.a", Status::Fail, &[]);
        let keep = |re: &str| {
            let c = FilterConfig {
                with_regexps: vec![re.into()],
                ..FilterConfig::default()
            };
            !filter(c, &events).is_empty()
        };
        assert!(keep(
            "t\\.afailureNone\\{'log': <Content type=text/plain; charset=\"utf8\", value=b'ab'>\\}"
        ));
        assert!(!keep("success"));
    }

    #[test]
    fn fixups_and_renames() {
        let mut events = run_of("pkg.one", Status::Fail, &[]);
        events.extend(run_of("pkg.two", Status::Success, &[]));
        let c = FilterConfig {
            renames: vec![("^pkg\\.(\\w+)$".into(), "new.\\1".into())],
            fixup_expected_failures: ["new.one".to_owned(), "new.two".to_owned()].into(),
            exclude_xfail: false,
            ..FilterConfig::default()
        };
        let got = finals(c, &events);
        assert_eq!(
            got,
            [
                ("new.one".to_owned(), Status::XFail),
                ("new.two".to_owned(), Status::UxSuccess)
            ]
        );
    }

    #[test]
    fn open_tests_fail_newest_first() {
        let events = [
            Packet::status("a", Status::InProgress),
            Packet::status("b", Status::InProgress),
        ];
        let got = finals(FilterConfig::default(), &events);
        assert_eq!(
            got,
            [
                ("b".to_owned(), Status::Fail),
                ("a".to_owned(), Status::Fail)
            ]
        );
    }

    #[test]
    fn python_replacement_templates() {
        assert_eq!(rust_template(r"a\1$\g<x>\n").unwrap(), "a${1}$$${x}\n");
        assert!(rust_template(r"\q").is_err());
    }

    #[test]
    fn test_lists_drop_comments() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l");
        std::fs::write(&p, "a.b  # why\n# only comment\n\nc\n").unwrap();
        assert_eq!(read_test_list(&p).unwrap(), ["a.b", "", "c"]);
    }
}
