//! `subunit2junitxml`: a subunit v2 stream as one JUnit XML `<testsuite>`.
//!
//! # The rules (python-subunit 1.4.6 with `junitxml` 0.7's `JUnitXmlResult`, behind testtools
//! 2.9.1's `StreamToExtendedDecorator`)
//!
//! - The stream goes through [`run_filter`]: passthrough (re-encoded as subunit) and `-f`
//!   forwarding are written the moment they are read; the XML comes after, as
//!   `<testsuite errors="0" failures="F" name="" tests="N" time="T">`, one `<testcase>` per test
//!   in the order the tests ended (the tests left open at the end last, newest first), and
//!   `</testsuite>`. No XML declaration.
//! - A test id splits into `classname` and `name` at its last `.` before the first `(`; with
//!   no `(`, the id's last character is not searched (python's `rfind(".", 0, -1)`), so
//!   `a.b.` is class `a`, name `b.`.
//! - Outcomes: `success` and `xfail` are empty test cases; `skip` holds
//!   `<skipped>reason</skipped>` (the `reason` attachment, or else every attachment rendered);
//!   `uxsuccess` is `<failure type="unittest.case._UnexpectedSuccess"/>`; `fail`, a test that
//!   never finished and one that only got files are
//!   `<failure type="testtools.testresult.real._StringException">`, holding
//!   `testtools.testresult.real._StringException: ` and the attachments as testtools renders
//!   them ([`details_text`]), or the bare type name when there are none. `failures` counts
//!   these and unexpected successes; `errors` is always 0 (v2 reports no errors).
//! - Times are `%0.3f` seconds from one clock: the stream's timestamps as they go by (rounded
//!   to microseconds), or the wall clock before the first. A test runs from its first timestamp
//!   (or the clock when it has none) to its last (or that same start); the suite from the
//!   earliest timestamp seen (or the wall clock at start, if earlier) to the last one. Times
//!   can be negative, as the stream's clocks are taken as given.
//! - Text: XML-invalid characters (controls but tab and line feed, carriage return included,
//!   U+FFFE, U+FFFF) are dropped; `&`, `<` and `]]>` are escaped; in attributes and the skip
//!   reason also `"`, tab and line feed.
//! - Exit 1 when a test failed, never finished or succeeded unexpectedly.
//!
//! # Why a writer of our own
//!
//! python's bytes are the contract. A JUnit library (the `quick-junit` crate, say) writes whole
//! reports only, orders attributes its own way, adds a declaration and refuses negative
//! times; none of those is python's output. The format is tiny, so [`JunitXml`] writes it
//! directly. The counts come before the test cases, so the test cases are spooled (in memory,
//! then in an unlinked temporary file past [`SPOOL_MEMORY`]) until the stream ends: memory
//! stays flat however long the run.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, Timestamp, to_vec};
//! use subunit_sinks::{Verdict, junit, script::FilterOptions};
//!
//! let mut stream = to_vec(&Packet::status("t.a", Status::InProgress)
//!     .with_timestamp(Timestamp::new(1_700_000_000, 0)).as_ref())?;
//! stream.extend(to_vec(&Packet::status("t.a", Status::Fail)
//!     .with_file("traceback", Some("text/plain;charset=utf8"), "boom <1>", true)
//!     .with_timestamp(Timestamp::new(1_700_000_001, 500_000_000)).as_ref())?);
//! let mut out = Vec::new();
//! let options = FilterOptions { passthrough: false, forward: false };
//! assert_eq!(junit::run(&stream[..], &mut out, None, options)?, Verdict::Failed);
//! assert_eq!(
//!     String::from_utf8(out)?,
//!     "<testsuite errors=\"0\" failures=\"1\" name=\"\" tests=\"1\" time=\"1.500\">\n\
//!      <testcase classname=\"t\" name=\"a\" time=\"1.500\">\n\
//!      <failure type=\"testtools.testresult.real._StringException\">\
//!      testtools.testresult.real._StringException: boom &lt;1>\n\n</failure>\n</testcase>\n\
//!      </testsuite>\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::io::{self, Read, Seek, Write};

use subunit_emitter::{Status, Timestamp};
use subunit_parser::fold::{Attachment, TestRecord};

use crate::python::content_type_repr;
use crate::python::text::{Charset, charset_named, decode_whole};
use crate::script::{FilterOptions, Passthrough, run_filter};
use crate::{Error, Verdict};

/// How many bytes of test cases are held in memory before they spill to a temporary file.
pub const SPOOL_MEMORY: usize = 8 << 20;

/// The failure type of a failed, unfinished or file-only test.
pub const STRING_EXCEPTION: &str = "testtools.testresult.real._StringException";

/// The failure type of an unexpected success.
pub const UNEXPECTED_SUCCESS: &str = "unittest.case._UnexpectedSuccess";

/// What a test case holds, as `JUnitXmlResult` writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `success` or `xfail`: an empty test case.
    Passed,
    /// `skip`, with its reason.
    Skipped(String),
    /// `uxsuccess`: a failure of type [`UNEXPECTED_SUCCESS`], no text.
    UnexpectedSuccess,
    /// `fail`, a test that never finished, or one that only got files: a failure of type
    /// [`STRING_EXCEPTION`] whose text is this (the exception line and the attachments).
    Failed(String),
}

impl Outcome {
    /// The outcome python gives a record.
    pub fn of(record: &TestRecord) -> Outcome {
        match record.status {
            Some(Status::Success | Status::XFail) => Outcome::Passed,
            Some(Status::Skip) => Outcome::Skipped(skip_reason(record)),
            Some(Status::UxSuccess) => Outcome::UnexpectedSuccess,
            Some(Status::Fail | Status::InProgress | Status::Undefined | Status::Exists) | None => {
                Outcome::Failed(exception_text(&details_text(&record.attachments)))
            }
        }
    }
}

/// The skip reason testtools hands on: the `reason` attachment's text as it is, or else all
/// attachments rendered by [`details_text`].
pub fn skip_reason(record: &TestRecord) -> String {
    match record.attachment("reason") {
        Some(reason) => decode(reason, &content_type_repr(reason.mime_type.as_deref())),
        None => details_text(&record.attachments),
    }
}

/// python's `str()` of a `_StringException` holding `details` as unittest formats it without
/// a traceback: `TYPE: details\n`, or `TYPE\n` when there are none.
pub fn exception_text(details: &str) -> String {
    if details.is_empty() {
        format!("{STRING_EXCEPTION}\n")
    } else {
        format!("{STRING_EXCEPTION}: {details}\n")
    }
}

/// The primary type of a content type as testtools' `repr` prints it (`text` of `text/plain`).
fn primary_type(repr: &str) -> &str {
    repr.split('/').next().unwrap_or("")
}

/// The `charset` parameter of a content type as testtools' `repr` prints it.
fn charset_of(repr: &str) -> Option<&str> {
    repr.split("; ")
        .skip(1)
        .find_map(|p| p.strip_prefix("charset=\""))
        .map(|v| v.strip_suffix('"').unwrap_or(v))
}

/// An attachment's text as testtools' `as_text` decodes it: with its charset (ISO-8859-1 when
/// a text type names none, UTF-8 for a type that is not text at all). Where python raises
/// (bytes invalid in the charset, a charset python does not know, a type that is not text),
/// this reads on: bad bytes become U+FFFD, unknown charsets read as UTF-8.
fn decode(attachment: &Attachment, repr: &str) -> String {
    let charset = if primary_type(repr) == "text" {
        charset_of(repr).map_or(Charset::Latin1, charset_named)
    } else {
        Charset::Utf8
    };
    decode_whole(charset, &attachment.content)
}

/// python's `str.isspace` (Rust's `char::is_whitespace` plus the four separators
/// U+001C..U+001F).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// testtools' `_details_to_str(details, special="traceback")`: the attachments, sorted by
/// name, as one string. Binary attachments are listed by name and type, empty text ones by
/// name, the others quoted as `name: {{{text}}}` (on lines of their own when the text has
/// several), and the `traceback` attachment last, bare.
pub fn details_text(attachments: &[Attachment]) -> String {
    let mut sorted: Vec<&Attachment> = attachments.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut binary = Vec::new();
    let mut empty = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut special = None;
    for a in sorted {
        let repr = content_type_repr(a.mime_type.as_deref());
        if primary_type(&repr) != "text" {
            binary.push((a.name.as_str(), repr));
            continue;
        }
        let decoded = decode(a, &repr);
        let text = decoded.trim_matches(py_space);
        if text.is_empty() {
            empty.push(a.name.as_str());
        } else if a.name == "traceback" {
            special = Some(format!("{text}\n"));
        } else if text.contains('\n') {
            texts.push(format!("{}: {{{{{{\n{text}\n}}}}}}\n", a.name));
        } else {
            texts.push(format!("{}: {{{{{{{text}}}}}}}", a.name));
        }
    }
    if texts.last().is_some_and(|t| !t.ends_with('\n')) {
        texts.push(String::new());
    }
    if let Some(s) = special {
        texts.push(s);
    }
    let mut out = String::new();
    if !binary.is_empty() {
        out.push_str("Binary content:\n");
        for (name, repr) in &binary {
            let _ = writeln!(out, "  {name} ({repr})");
        }
    }
    if !empty.is_empty() {
        out.push_str("Empty attachments:\n");
        for name in &empty {
            let _ = writeln!(out, "  {name}");
        }
    }
    if (!binary.is_empty() || !empty.is_empty()) && !texts.is_empty() {
        out.push('\n');
    }
    out.push_str(&texts.join("\n"));
    out
}

/// `classname` and `name` of a test id, split as `JUnitXmlResult` splits it (see the
/// [module docs](self)).
pub fn split_id(id: &str) -> (&str, &str) {
    let end = match id.find('(') {
        Some(paren) => paren,
        // python's `find` gives -1, and `rfind(".", 0, -1)` leaves out the last character.
        None => id.char_indices().last().map_or(0, |(i, _)| i),
    };
    match id[..end].rfind('.') {
        Some(dot) => (&id[..dot], &id[dot + 1..]),
        None => ("", id),
    }
}

/// Whether `c` is one `junitxml` drops (`[\0-\b\x0B-\x1F\uD800-\uDFFF\uFFFE\uFFFF]`).
fn dropped(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Writes `s` as element content: invalid characters dropped, `&`, `<` and `]]>` escaped.
pub fn escape_content(s: &str, out: &mut String) {
    escape(s, false, out);
}

/// Writes `s` as an attribute value: as [`escape_content`], and `"`, tab and line feed too.
pub fn escape_attr(s: &str, out: &mut String) {
    escape(s, true, out);
}

fn escape(s: &str, attr: bool, out: &mut String) {
    // `]]>` is matched after invalid characters are dropped, as python strips first.
    let mut brackets = 0usize;
    for c in s.chars().filter(|&c| !dropped(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' if brackets >= 2 => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\t' if attr => out.push_str("&#x9;"),
            '\n' if attr => out.push_str("&#xA;"),
            c => out.push(c),
        }
        brackets = if c == ']' { brackets + 1 } else { 0 };
    }
}

/// A span of microseconds as python's `'%0.3f' % (seconds + 0.000001 * microseconds)` of a
/// `timedelta` prints it.
pub fn python_seconds(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    format!("{:.3}", secs as f64 + 0.000001 * us as f64)
}

/// Test cases held until the counts are known: in memory, then in an unlinked temporary file.
#[derive(Debug, Default)]
struct Spool {
    memory: Vec<u8>,
    file: Option<io::BufWriter<std::fs::File>>,
}

impl Spool {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            return file.write_all(bytes);
        }
        self.memory.extend_from_slice(bytes);
        if self.memory.len() > SPOOL_MEMORY {
            let mut file = io::BufWriter::new(tempfile::tempfile()?);
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        Ok(())
    }

    fn copy_to(self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&self.memory)?;
        if let Some(file) = self.file {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            io::copy(&mut file, out)?;
        }
        Ok(())
    }
}

/// The microseconds since the epoch of the wall clock now.
fn wall_micros() -> i64 {
    Timestamp::now().python_micros() as i64
}

/// `JUnitXmlResult`: the clock, the counts and the test cases written so far.
#[derive(Debug)]
pub struct JunitXml {
    /// The last stream timestamp (`_set_time`), in microseconds.
    clock: Option<i64>,
    /// When the run started: the wall clock at start, lowered by earlier stream timestamps.
    run_start: i64,
    tests: usize,
    failures: usize,
    spool: Spool,
    buf: String,
}

impl Default for JunitXml {
    fn default() -> Self {
        JunitXml::new()
    }
}

impl JunitXml {
    /// A run starting now (python's `startTestRun`).
    pub fn new() -> Self {
        JunitXml {
            clock: None,
            run_start: wall_micros(),
            tests: 0,
            failures: 0,
            spool: Spool::default(),
            buf: String::new(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.unwrap_or_else(wall_micros)
    }

    fn time(&mut self, ts: Timestamp) {
        let t = ts.python_micros() as i64;
        self.clock = Some(t);
        if self.run_start > t {
            self.run_start = t;
        }
    }

    /// Records one test.
    pub fn add(&mut self, record: &TestRecord) -> io::Result<()> {
        if let Some(ts) = record.start {
            self.time(ts);
        }
        let test_start = self.now();
        if let Some(ts) = record.end {
            self.time(ts);
        }
        let duration = self.now() - test_start;
        self.tests += 1;
        let outcome = Outcome::of(record);
        if matches!(outcome, Outcome::Failed(_) | Outcome::UnexpectedSuccess) {
            self.failures += 1;
        }
        let (classname, name) = split_id(&record.id);
        let b = &mut self.buf;
        b.clear();
        b.push_str("<testcase classname=\"");
        escape_attr(classname, b);
        b.push_str("\" name=\"");
        escape_attr(name, b);
        let _ = write!(b, "\" time=\"{}\"", python_seconds(duration));
        match &outcome {
            Outcome::Passed => b.push_str("/>\n"),
            Outcome::Skipped(reason) => {
                b.push_str(">\n<skipped>");
                escape_attr(reason, b);
                b.push_str("</skipped>\n</testcase>\n");
            }
            Outcome::UnexpectedSuccess => {
                let _ = write!(
                    b,
                    ">\n<failure type=\"{UNEXPECTED_SUCCESS}\"/>\n</testcase>\n"
                );
            }
            Outcome::Failed(text) => {
                let _ = write!(b, ">\n<failure type=\"{STRING_EXCEPTION}\">");
                escape_content(text, b);
                b.push_str("</failure>\n</testcase>\n");
            }
        }
        self.spool.write(self.buf.as_bytes())
    }

    /// unittest's `wasSuccessful()`: no failure, unfinished test or unexpected success.
    pub fn was_successful(&self) -> bool {
        self.failures == 0
    }

    /// Writes the document (python's `stopTestRun`).
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        let duration = self.now() - self.run_start;
        writeln!(
            out,
            "<testsuite errors=\"0\" failures=\"{}\" name=\"\" tests=\"{}\" time=\"{}\">",
            self.failures,
            self.tests,
            python_seconds(duration)
        )?;
        self.spool.copy_to(out)?;
        out.write_all(b"</testsuite>\n")
    }
}

/// Runs `subunit2junitxml` over `input`: passthrough and forwarding to `out`, the XML to
/// `xml_out` when given (`-o`) or else to `out` after them. Returns the verdict.
pub fn run<R: Read>(
    input: R,
    out: &mut dyn Write,
    xml_out: Option<&mut dyn Write>,
    options: FilterOptions,
) -> Result<Verdict, Error> {
    let mut xml = JunitXml::new();
    run_filter(input, out, options, Passthrough::Subunit, |_, record| {
        xml.add(&record)?;
        Ok(())
    })?;
    let code = Verdict::passed_if(xml.was_successful());
    match xml_out {
        Some(w) => {
            xml.finish(w)?;
            w.flush()?;
        }
        None => xml.finish(out)?,
    }
    out.flush()?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str, mime: Option<&str>, content: &[u8]) -> Attachment {
        let mut fold = subunit_parser::fold::Fold::new();
        let p = subunit_emitter::Packet::status("t", Status::Fail).with_file(
            name,
            mime,
            content.to_vec(),
            true,
        );
        fold.push(&p.as_ref()).unwrap().attachments.remove(0)
    }

    #[test]
    fn ids_split_as_python_splits_them() {
        assert_eq!(split_id("a.b.c"), ("a.b", "c"));
        assert_eq!(split_id("a.b.c(x.y)"), ("a.b", "c(x.y)"));
        assert_eq!(split_id("a.b."), ("a", "b."));
        assert_eq!(split_id("nodot"), ("", "nodot"));
        assert_eq!(split_id("(a.b)"), ("", "(a.b)"));
        assert_eq!(split_id("."), ("", "."));
        assert_eq!(split_id(""), ("", ""));
        assert_eq!(split_id("é.ü"), ("é", "ü"));
    }

    #[test]
    fn escaping_drops_invalid_characters() {
        let mut s = String::new();
        escape_attr("a&b<c>\"d\"\te\nf\rg\u{1}h]]>i]\u{2}]>\u{fffe}", &mut s);
        assert_eq!(s, "a&amp;b&lt;c>&quot;d&quot;&#x9;e&#xA;fgh]]&gt;i]]&gt;");
        let mut s = String::new();
        escape_content("\"x\"\t\n]]]>", &mut s);
        assert_eq!(s, "\"x\"\t\n]]]&gt;");
    }

    #[test]
    fn seconds_print_as_python_prints_them() {
        assert_eq!(python_seconds(0), "0.000");
        assert_eq!(python_seconds(62_500), "0.062");
        assert_eq!(python_seconds(1_062_500), "1.062");
        assert_eq!(python_seconds(-4_250_000), "-4.250");
        assert_eq!(python_seconds(-1), "-0.000");
        assert_eq!(python_seconds(123_456), "0.123");
    }

    #[test]
    fn details_render_as_testtools_renders_them() {
        let atts = [
            attachment(
                "traceback",
                Some("text/x-traceback;charset=utf8"),
                b"Trace\nboom\n",
            ),
            attachment("stdout", Some("text/plain"), b" one line \x1c"),
            attachment("log", Some("text/plain;charset=utf8"), b"l1\nl2"),
            attachment("blob", None, b"\0\x01"),
            attachment("empty", Some("text/plain"), b" \n "),
        ];
        assert_eq!(
            details_text(&atts),
            "Binary content:\n  blob (application/octet-stream)\nEmpty attachments:\n  empty\n\n\
             log: {{{\nl1\nl2\n}}}\n\nstdout: {{{one line}}}\n\nTrace\nboom\n"
        );
        assert_eq!(details_text(&[]), "");
        assert_eq!(exception_text(""), format!("{STRING_EXCEPTION}\n"));
        // Latin-1 by default, bad UTF-8 replaced.
        let latin = attachment("a", Some("text/plain"), b"caf\xe9");
        assert_eq!(details_text(&[latin]), "a: {{{café}}}\n");
        let bad = attachment("a", Some("text/plain;charset=utf8"), b"caf\xe9");
        assert_eq!(details_text(&[bad]), "a: {{{caf\u{fffd}}}}\n");
    }
}
