//! A subunit v1 (text) writer, byte for byte as python-subunit 1.4.6's `TestProtocolClient`
//! writes: `time:`, `tags:`, `test:` lines and outcomes with ` [ multipart` details in HTTP
//! chunked encoding.
//!
//! # Example
//!
//! ```
//! use subunit_sinks::python::mime::ContentType;
//! use subunit_sinks::v1_writer::{Part, V1Writer};
//!
//! let mut w = V1Writer::new(Vec::new());
//! w.time(1_704_164_645_678_901)?;
//! w.test("pkg.test_one")?;
//! let text_utf8 = ContentType::parse(Some("text/plain; charset=\"utf8\""));
//! w.outcome("failure", "pkg.test_one", &[Part {
//!     name: "traceback",
//!     mime_type: &text_utf8,
//!     chunks: &[b"boom\n"],
//! }])?;
//! let text = w.into_inner();
//! assert_eq!(
//!     text,
//!     b"time: 2024-01-02 03:04:05.678901Z\ntest: pkg.test_one\nfailure: pkg.test_one [ multipart\n\
//!       Content-Type: text/plain;charset=utf8\ntraceback\n5\r\nboom\n0\r\n]\n"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use subunit_emitter::Status;
use subunit_parser::fold::TestRecord;

use crate::python::format_time;
use crate::python::mime::ContentType;

/// The most bytes python's chunked encoder buffers before it writes a chunk.
const CHUNK_LIMIT: usize = 65536;

/// One attachment of an outcome.
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its MIME type, as testtools reads it.
    pub mime_type: &'a ContentType,
    /// Its bytes, in the pieces they arrived in
    /// ([`Attachment::chunks`](subunit_parser::fold::Attachment::chunks)).
    pub chunks: &'a [&'a [u8]],
}

/// Writes v1 text to `W`.
#[derive(Debug)]
pub struct V1Writer<W> {
    out: W,
}

impl<W: Write> V1Writer<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        V1Writer { out }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Bytes written as they are (non-test output).
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// A `time:` line.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn time(&mut self, micros: u64) -> io::Result<()> {
        writeln!(self.out, "time: {}Z", format_time(micros))
    }

    /// A `tags:` line adding `new` and removing `gone`; nothing when both are empty.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn tags<'a>(
        &mut self,
        new: impl IntoIterator<Item = &'a str>,
        gone: impl IntoIterator<Item = &'a str>,
    ) -> io::Result<()> {
        let mut words: Vec<String> = new.into_iter().map(str::to_owned).collect();
        words.extend(gone.into_iter().map(|t| format!("-{t}")));
        if words.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "tags: {}", words.join(" "))
    }

    /// A `test:` line, and a flush.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn test(&mut self, id: &str) -> io::Result<()> {
        writeln!(self.out, "test: {id}")?;
        self.out.flush()
    }

    /// An outcome line (`successful`, `failure`, `skip`, `xfail`, `uxsuccess`, `error`) with its
    /// details as a multipart block (parts sorted by name), then a flush.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn outcome(&mut self, outcome: &str, id: &str, parts: &[Part<'_>]) -> io::Result<()> {
        writeln!(self.out, "{outcome}: {id} [ multipart")?;
        let mut sorted: Vec<&Part<'_>> = parts.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(b.name));
        for part in sorted {
            let ct = part.mime_type;
            write!(self.out, "Content-Type: {}/{}", ct.type_, ct.subtype)?;
            if !ct.params.is_empty() {
                // python: `;` then `k=v` for each parameter sorted by name, joined by `,`.
                let mut params: Vec<&(String, String)> = ct.params.iter().collect();
                params.sort();
                let plain: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(self.out, ";{}", plain.join(","))?;
            }
            write!(self.out, "\n{}\n", part.name)?;
            self.chunked(part.chunks)?;
        }
        self.out.write_all(b"]\n")?;
        self.out.flush()
    }

    /// python's `chunked.Encoder`: pieces are gathered until adding the next would reach 64
    /// KiB, which is then written with the gathered ones as one chunk.
    fn chunked(&mut self, pieces: &[&[u8]]) -> io::Result<()> {
        let mut buffered: Vec<&[u8]> = Vec::new();
        let mut size = 0;
        for piece in pieces {
            if size + piece.len() >= CHUNK_LIMIT {
                write!(self.out, "{:X}\r\n", size + piece.len())?;
                for b in buffered.drain(..) {
                    self.out.write_all(b)?;
                }
                self.out.write_all(piece)?;
                size = 0;
            } else {
                buffered.push(piece);
                size += piece.len();
            }
        }
        if size > 0 {
            write!(self.out, "{size:X}\r\n")?;
            for b in buffered {
                self.out.write_all(b)?;
            }
        }
        self.out.write_all(b"0\r\n")
    }

    /// One folded test as python's `StreamToExtendedDecorator` replays it into a
    /// `TestProtocolClient` (`subunit-2to1`, stestr's repository): `time:` (its first
    /// timestamp), `tags:`, `test:`, `time:` (its last), the outcome (`successful`, `skip`,
    /// `xfail`, `uxsuccess`, anything else `failure`) with a multipart block of its
    /// attachments, each chunk by chunk as it arrived (none is an empty block), and a `tags:`
    /// line taking its tags away again.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn record(&mut self, r: &TestRecord) -> io::Result<()> {
        if let Some(t) = r.start {
            self.time(t.python_micros())?;
        }
        self.tags(r.tags.iter().map(String::as_str), [])?;
        self.test(&r.id)?;
        if let Some(t) = r.end {
            self.time(t.python_micros())?;
        }
        let mime_types: Vec<ContentType> = r
            .attachments
            .iter()
            .map(|a| ContentType::parse(a.mime_type.as_deref()))
            .collect();
        let chunks: Vec<Vec<&[u8]>> = r.attachments.iter().map(|a| a.chunks().collect()).collect();
        let parts: Vec<Part<'_>> = r
            .attachments
            .iter()
            .zip(&mime_types)
            .zip(&chunks)
            .map(|((a, mime_type), chunks)| Part {
                name: &a.name,
                mime_type,
                chunks,
            })
            .collect();
        let outcome = match r.status {
            Some(Status::Success) => "successful",
            Some(Status::Skip) => "skip",
            Some(Status::XFail) => "xfail",
            Some(Status::UxSuccess) => "uxsuccess",
            _ => "failure",
        };
        self.outcome(outcome, &r.id, &parts)?;
        self.tags([], r.tags.iter().map(String::as_str))
    }

    /// Flushes the writer.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_gather_below_64k_and_flush_with_the_piece_that_reaches_it() {
        let mut w = V1Writer::new(Vec::new());
        let (a, b, c) = ([b'a'; 10], [b'b'; 65_530], [b'c'; 3]);
        w.chunked(&[&a, &b, &c]).unwrap();
        let out = w.into_inner();
        let head = format!("{:X}\r\n", 65_540);
        assert!(out.starts_with(head.as_bytes()));
        assert!(out.ends_with(b"3\r\nccc0\r\n"));
    }

    #[test]
    fn tags_and_outcomes_without_details() {
        let mut w = V1Writer::new(Vec::new());
        w.tags(["a"], ["b"]).unwrap();
        w.tags([], []).unwrap();
        w.outcome("successful", "t", &[]).unwrap();
        assert_eq!(
            w.into_inner(),
            b"tags: a -b\nsuccessful: t [ multipart\n]\n"
        );
    }
}
