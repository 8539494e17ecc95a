//! The v1 state machine: lines in, the v2 events `subunit-1to2` writes out.

use std::collections::{BTreeSet, VecDeque};
use std::io::{self, BufRead, Write};

use subunit_emitter::{File, Packet, Status, Timestamp};

use super::chunked::Decoder;
use super::error::{Text, V1Error};
use super::line::{Directive, Outcome, argument, classify, is_py_int, is_py_str_space, py_strip};
use super::summary;
use super::time::{self, Instant};

/// The MIME type of the traceback python makes up for a test the stream left unfinished.
pub use subunit_emitter::mime::TESTTOOLS_TRACEBACK as LOST_CONNECTION_MIME;
/// The MIME type of a bracketed skip reason or success message.
pub use subunit_emitter::mime::TEXT_PLAIN as TEXT_MIME;
/// The MIME type of a bracketed failure, error, xfail or uxsuccess details block.
pub use subunit_emitter::mime::V1_TRACEBACK as TRACEBACK_MIME;
/// What python's traceback for an unfinished test starts with (the exception's class).
const LOST_CONNECTION_PREFIX: &str = "testtools.testresult.real._StringException: ";

/// The timestamp a packet gets when no `time:` line has been seen yet.
///
/// python-subunit stamps such packets with the wall clock (`datetime.now(utc)`); that is
/// [`Clock::Now`], the default. The other two make the output reproducible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clock {
    /// The current time at microsecond precision, as python does.
    #[default]
    Now,
    /// Always this time.
    Fixed(Timestamp),
    /// No timestamp at all.
    Omit,
}

impl Clock {
    fn now(self) -> Option<Timestamp> {
        match self {
            Clock::Now => {
                let t = Timestamp::now();
                Some(Timestamp::new(t.secs, t.nanos / 1000 * 1000))
            }
            Clock::Fixed(t) => Some(t),
            Clock::Omit => None,
        }
    }
}

impl Outcome {
    fn status(self) -> Status {
        match self {
            Outcome::Success => Status::Success,
            Outcome::Failure | Outcome::Error => Status::Fail,
            Outcome::Skip => Status::Skip,
            Outcome::XFail => Status::XFail,
            Outcome::UxSuccess => Status::UxSuccess,
        }
    }

    /// The word python uses in "lost connection during {label} report of test".
    fn label(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
            Outcome::XFail => "xfail",
            Outcome::UxSuccess => "uxsuccess",
        }
    }

    /// The attachment name and MIME type of a bracketed details block.
    fn simple_detail(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Skip => ("reason", TEXT_MIME),
            Outcome::Success => ("message", TEXT_MIME),
            Outcome::Failure | Outcome::Error | Outcome::XFail | Outcome::UxSuccess => {
                ("traceback", TRACEBACK_MIME)
            }
        }
    }
}

/// The test between its `test:` line and its outcome.
#[derive(Debug)]
struct Test {
    id: String,
    /// The global tags when it started, changed by its own `tags:` lines.
    tags: BTreeSet<String>,
}

/// One attachment of a details block.
#[derive(Debug)]
struct Detail {
    name: String,
    mime: String,
    content: Vec<u8>,
}

#[derive(Debug)]
enum Stage {
    /// Expecting a `Content-Type:` line or the closing `]`.
    ContentType,
    /// Expecting the part's name.
    Name { mime: String },
    /// Inside the part's chunked body.
    Body {
        mime: String,
        name: String,
        decoder: Decoder,
    },
}

#[derive(Debug)]
enum Details {
    /// ` [` ... `]`: the text so far.
    Simple(Vec<u8>),
    /// ` [ multipart` ... `]`: the parts read so far, in python's dict order.
    Multipart { parts: Vec<Detail>, stage: Stage },
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Outside,
    InTest(Test),
    Details(Test, Outcome, Details),
}

/// The last `time:` line.
#[derive(Debug)]
struct TimeLine {
    at: Instant,
    line: u64,
    text: String,
}

/// Reads a subunit v1 stream and yields the v2 events python-subunit 1.4.6's `subunit-1to2`
/// writes for it, in order, as owned [`Packet`]s.
///
/// - `test: X` gives `inprogress` for `X`; its outcome gives `success`, `fail` (for `failure`
///   and `error`), `skip`, `xfail` or `uxsuccess`, carrying the test's tags (global ones plus
///   its own `tags:` lines; `-tag` removes), sorted, and no tag field when there are none.
/// - A details block gives one attachment packet per part, with EOF, before the status:
///   a bracketed block is `traceback` ([`TRACEBACK_MIME`]), or `reason` for a skip and
///   `message` for a success ([`TEXT_MIME`]); multipart parts keep their names and types.
/// - Every packet of a test event is stamped with the last `time:` value, or before any
///   `time:` line, by the [`Clock`] (the wall clock by default, as python).
/// - Every other line outside a details block — including an outcome for another test, a
///   second `test:` inside a test and lines that are not directives — is a `stdout`
///   attachment with no test id, no MIME type and no EOF, one packet per line. (Python writes
///   these bytes raw between its packets; its own v2 reader then delivers them as exactly such
///   `stdout` events, in chunks of its choosing.) `progress:` lines give nothing.
/// - A test the stream leaves unfinished gets a `traceback` ([`LOST_CONNECTION_MIME`]) saying
///   `lost connection during test 'X'` (or `during failure report of test 'X'` inside a
///   details block) and then `fail`.
///
/// The reader holds one line and, while a test has a details block, that block; nothing else
/// of the input is kept.
///
/// When python would stop with an exception (see [`V1Error`]), the reader yields that error
/// after the events python writes first, and then ends. An I/O error also ends it.
#[derive(Debug)]
pub struct V1Reader<R> {
    input: R,
    line: Vec<u8>,
    line_no: u64,
    state: State,
    global_tags: BTreeSet<String>,
    time: Option<TimeLine>,
    clock: Clock,
    pending: VecDeque<Packet>,
    /// The error to yield once `pending` is drained.
    error: Option<V1Error>,
    finished: bool,
}

impl<R: BufRead> V1Reader<R> {
    /// A reader over `input`, stamping packets before the first `time:` line with the wall
    /// clock, as python does.
    pub fn new(input: R) -> Self {
        V1Reader {
            input,
            line: Vec::new(),
            line_no: 0,
            state: State::Outside,
            global_tags: BTreeSet::new(),
            time: None,
            clock: Clock::Now,
            pending: VecDeque::new(),
            error: None,
            finished: false,
        }
    }

    /// Uses `clock` for packets before the first `time:` line.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many lines have been read.
    pub fn line_number(&self) -> u64 {
        self.line_no
    }

    /// The input back.
    pub fn into_inner(self) -> R {
        self.input
    }

    fn stamp(&self) -> Result<Option<Timestamp>, V1Error> {
        match &self.time {
            None => Ok(self.clock.now()),
            Some(t) => match u32::try_from(t.at.secs) {
                Ok(secs) => Ok(Some(Timestamp::new(secs, t.at.nanos))),
                Err(_) => Err(V1Error::TimeOutOfRange {
                    line: t.line,
                    text: t.text.clone(),
                }),
            },
        }
    }

    fn utf8(&self, bytes: &[u8], what: Text) -> Result<String, V1Error> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(V1Error::NotUtf8 {
                line: self.line_no,
                what,
            }),
        }
    }

    fn stdout(&mut self, line: &[u8]) {
        self.pending.push_back(Packet {
            file: Some(File {
                name: "stdout".to_owned(),
                content: line.to_vec(),
            }),
            ..Packet::default()
        });
    }

    /// The attachments, then the status with the test's tags, all with one timestamp, and the
    /// checks testtools' summary makes on the way (see [`summary`]): python stops at the first
    /// attachment whose type it cannot parse, and before a `fail`, `xfail` or `skip` status
    /// whose attachments it cannot decode.
    fn finish(&mut self, test: Test, status: Status, details: Vec<Detail>) -> Result<(), V1Error> {
        let timestamp = self.stamp()?;
        let line = self.line_no;
        let rejected = |d: &Detail, problem| V1Error::Attachment {
            line,
            name: d.name.clone(),
            problem,
        };
        // Only attachments with content reach the summary.
        let bad_type = details.iter().enumerate().find_map(|(i, d)| {
            let problem = summary::type_problem(&d.mime).filter(|_| !d.content.is_empty());
            problem.map(|p| (i, p))
        });
        let mut error = None;
        if let Some((i, problem)) = &bad_type {
            error = Some(rejected(&details[*i], problem.clone()));
        } else {
            let mut read: Vec<&Detail> = details.iter().filter(|d| !d.content.is_empty()).collect();
            read.sort_by(|a, b| a.name.cmp(&b.name));
            for d in read {
                let problem = match status {
                    Status::Fail | Status::XFail => {
                        summary::text_problem(&d.mime, &d.content, false)
                    }
                    Status::Skip if d.name == "reason" => {
                        summary::text_problem(&d.mime, &d.content, true)
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    error = Some(rejected(d, problem));
                    break;
                }
            }
        }
        let written = bad_type.map_or(details.len(), |(i, _)| i);
        for d in details.into_iter().take(written) {
            self.pending.push_back(Packet {
                test_id: Some(test.id.clone()),
                timestamp,
                mime_type: Some(d.mime),
                file: Some(File {
                    name: d.name,
                    content: d.content,
                }),
                eof: true,
                ..Packet::default()
            });
        }
        if let Some(e) = error {
            return Err(e);
        }
        self.pending.push_back(Packet {
            status,
            test_id: Some(test.id),
            timestamp,
            tags: (!test.tags.is_empty()).then(|| test.tags.into_iter().collect()),
            ..Packet::default()
        });
        Ok(())
    }

    fn handle_line(&mut self, line: &[u8]) -> Result<(), V1Error> {
        if let State::Details(..) = self.state {
            return self.details_line(line);
        }
        let Some((directive, offset)) = classify(line) else {
            self.stdout(line);
            return Ok(());
        };
        match directive {
            Directive::Test => {
                if let State::InTest(_) = self.state {
                    self.stdout(line);
                    return Ok(());
                }
                let id = self.utf8(argument(line, offset), Text::TestName)?;
                let timestamp = self.stamp()?;
                self.pending.push_back(Packet {
                    timestamp,
                    ..Packet::status(id.clone(), Status::InProgress)
                });
                self.state = State::InTest(Test {
                    id,
                    tags: self.global_tags.clone(),
                });
            }
            Directive::Outcome(outcome) => {
                let State::InTest(test) = &self.state else {
                    if outcome == Outcome::UxSuccess {
                        return Err(V1Error::UxSuccessOutsideTest { line: self.line_no });
                    }
                    self.stdout(line);
                    return Ok(());
                };
                let label = self.utf8(argument(line, offset), Text::TestName)?;
                let details = match label.strip_prefix(test.id.as_str()) {
                    Some("") => None,
                    Some(" [") => Some(Details::Simple(Vec::new())),
                    Some(" [ multipart") => Some(Details::Multipart {
                        parts: Vec::new(),
                        stage: Stage::ContentType,
                    }),
                    _ => {
                        self.stdout(line);
                        return Ok(());
                    }
                };
                let State::InTest(test) = std::mem::take(&mut self.state) else {
                    unreachable!("checked above");
                };
                match details {
                    None => self.finish(test, outcome.status(), Vec::new())?,
                    Some(d) => self.state = State::Details(test, outcome, d),
                }
            }
            Directive::Progress => {
                let value = py_strip(&line[offset..]);
                let valid = match value {
                    [b'+' | b'-', ..] => is_py_int(value),
                    b"push" | b"pop" => true,
                    _ => is_py_int(value),
                };
                if !valid {
                    return Err(V1Error::BadProgress {
                        line: self.line_no,
                        text: String::from_utf8_lossy(value).into_owned(),
                    });
                }
            }
            Directive::Tags => {
                let text = self.utf8(&line[offset..], Text::Tags)?;
                let tags = match &mut self.state {
                    State::InTest(test) => &mut test.tags,
                    _ => &mut self.global_tags,
                };
                // python: add every new tag, then remove every gone one.
                let words = text.split(is_py_str_space).filter(|w| !w.is_empty());
                let mut gone = Vec::new();
                for word in words {
                    match word.strip_prefix('-') {
                        Some(tag) => gone.push(tag),
                        None => {
                            tags.insert(word.to_owned());
                        }
                    }
                }
                for tag in gone {
                    tags.remove(tag);
                }
            }
            Directive::Time => {
                let text = self.utf8(argument(line, offset), Text::Time)?;
                match time::parse(&text) {
                    Some(at) => {
                        self.time = Some(TimeLine {
                            at,
                            line: self.line_no,
                            text,
                        })
                    }
                    None => {
                        return Err(V1Error::BadTime {
                            line: self.line_no,
                            text,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn details_line(&mut self, line: &[u8]) -> Result<(), V1Error> {
        let line_no = self.line_no;
        let State::Details(_, _, details) = &mut self.state else {
            unreachable!("only called in a details block");
        };
        // `line[:-1]`, as python slices the multipart header lines.
        let head = &line[..line.len().saturating_sub(1)];
        let ended = match details {
            Details::Simple(text) => {
                if line == b"]\n" {
                    true
                } else {
                    // A line starting ` ]` is an escaped `]`.
                    text.extend_from_slice(
                        line.strip_prefix(b" ")
                            .filter(|l| l.starts_with(b"]"))
                            .unwrap_or(line),
                    );
                    false
                }
            }
            Details::Multipart { parts, stage } => match stage {
                Stage::ContentType => {
                    if line == b"]\n" {
                        true
                    } else {
                        let Ok(text) = std::str::from_utf8(head) else {
                            return Err(V1Error::NotUtf8 {
                                line: line_no,
                                what: Text::ContentType,
                            });
                        };
                        // python: `field, value = text.split(" ", 1)` and then exactly one
                        // `/` in value; the field's name is never looked at, and parameters
                        // stay part of the subtype, so the type is the value as written.
                        let mime = text
                            .split_once(' ')
                            .map(|(_, value)| value)
                            .filter(|value| value.matches('/').count() == 1);
                        let Some(mime) = mime else {
                            return Err(V1Error::BadContentType {
                                line: line_no,
                                text: text.to_owned(),
                            });
                        };
                        *stage = Stage::Name {
                            mime: mime.to_owned(),
                        };
                        false
                    }
                }
                Stage::Name { mime } => {
                    let Ok(name) = std::str::from_utf8(head) else {
                        return Err(V1Error::NotUtf8 {
                            line: line_no,
                            what: Text::PartName,
                        });
                    };
                    *stage = Stage::Body {
                        mime: std::mem::take(mime),
                        name: name.to_owned(),
                        decoder: Decoder::new(),
                    };
                    false
                }
                Stage::Body { decoder, .. } => {
                    let done = decoder.write(line).map_err(|reason| V1Error::BadChunk {
                        line: line_no,
                        reason,
                    })?;
                    if done {
                        let Stage::Body {
                            mime,
                            name,
                            decoder,
                        } = std::mem::replace(stage, Stage::ContentType)
                        else {
                            unreachable!("matched above");
                        };
                        let content = decoder.into_output();
                        // A python dict: a repeated name keeps its place, takes the new value.
                        match parts.iter_mut().find(|p| p.name == name) {
                            Some(part) => {
                                part.mime = mime;
                                part.content = content;
                            }
                            None => parts.push(Detail {
                                name,
                                mime,
                                content,
                            }),
                        }
                    }
                    false
                }
            },
        };
        if ended {
            let State::Details(test, outcome, details) = std::mem::take(&mut self.state) else {
                unreachable!("matched above");
            };
            let details = match details {
                Details::Simple(content) => {
                    let (name, mime) = outcome.simple_detail();
                    vec![Detail {
                        name: name.to_owned(),
                        mime: mime.to_owned(),
                        content,
                    }]
                }
                Details::Multipart { parts, .. } => parts,
            };
            self.finish(test, outcome.status(), details)?;
        }
        Ok(())
    }

    /// The end of the input: an unfinished test fails, as python's `lostConnection` has it.
    fn lost_connection(&mut self) -> Result<(), V1Error> {
        let (test, during) = match std::mem::take(&mut self.state) {
            State::Outside => return Ok(()),
            State::InTest(test) => (test, String::new()),
            State::Details(test, outcome, _) => (test, format!("{} report of ", outcome.label())),
        };
        let message = format!(
            "{LOST_CONNECTION_PREFIX}lost connection during {during}test '{}'\n",
            test.id
        );
        let traceback = Detail {
            name: "traceback".to_owned(),
            mime: LOST_CONNECTION_MIME.to_owned(),
            content: message.into_bytes(),
        };
        self.finish(test, Status::Fail, vec![traceback])
    }
}

impl<R: BufRead> Iterator for V1Reader<R> {
    type Item = Result<Packet, V1Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(packet) = self.pending.pop_front() {
                return Some(Ok(packet));
            }
            if let Some(e) = self.error.take() {
                return Some(Err(e));
            }
            if self.finished {
                return None;
            }
            let mut line = std::mem::take(&mut self.line);
            line.clear();
            let result = match self.input.read_until(b'\n', &mut line) {
                Ok(0) => {
                    self.finished = true;
                    self.lost_connection()
                }
                Ok(_) => {
                    self.line_no += 1;
                    self.handle_line(&line)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
                Err(e) => Err(V1Error::Read(e)),
            };
            self.line = line;
            if let Err(e) = result {
                // Python stops at the exception, after writing what `pending` holds.
                self.finished = true;
                self.error = Some(e);
            }
        }
    }
}

/// How [`v1_to_v2`] writes the lines [`V1Reader`] gives as `stdout` events with no test id
/// (the lines outside tests that are not directives, and the misplaced directives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainLines {
    /// The line's bytes as they are, between the packets, as python-subunit's `subunit-1to2`
    /// writes them: the output is its bytes exactly. A v2 reader sees the line as stray bytes,
    /// so a `0xB3` in it (outside a UTF-8 character) is read as the start of a packet and the
    /// following bytes, the next real packets among them, can be misread.
    Raw,
    /// The line as the content of a `stdout` packet (no test id, no MIME type, no EOF; split
    /// into several packets when longer than one can hold): a v2 reader gets the same `stdout`
    /// event whatever the line holds, but the bytes differ from python's.
    Packets,
}

/// Converts a v1 stream to v2: every event of [`V1Reader`] (with the wall clock for packets
/// before the first `time:` line) encoded with [`subunit_emitter::encode()`] and written with
/// one `write_all` and a flush, as python flushes each packet, so a live stream stays live.
/// `plain` says how lines outside tests are written; with [`PlainLines::Raw`] the output is
/// `subunit-1to2`'s, byte for byte.
///
/// An attachment too large for one packet is split with [`subunit_emitter::chunk`] (python
/// fails with `ValueError: Length too long` on details over 4 MiB). On error, everything
/// before it has been written.
pub fn v1_to_v2(
    input: impl BufRead,
    mut out: impl Write,
    plain: PlainLines,
) -> Result<(), V1Error> {
    let mut buf = Vec::new();
    for packet in V1Reader::new(input) {
        let packet = packet?;
        buf.clear();
        let p = packet.as_ref();
        match (p.test_id, p.file) {
            (None, Some(line)) if plain == PlainLines::Raw => {
                buf.extend_from_slice(line.content);
            }
            (_, Some(_)) => {
                for part in subunit_emitter::chunk(&p)? {
                    subunit_emitter::encode(&part, &mut buf)?;
                }
            }
            (_, None) => {
                subunit_emitter::encode(&p, &mut buf)?;
            }
        }
        out.write_all(&buf).map_err(V1Error::Write)?;
        out.flush().map_err(V1Error::Write)?;
    }
    Ok(())
}
