//! `subunit-1to2` and `subunit-2to1`: the protocol converters.
//!
//! - [`v1_to_v2`]: the parser's [`subunit_parser::v1::v1_to_v2`] with lines outside tests
//!   written raw, as python-subunit 1.4.6's `subunit-1to2` writes them.
//! - [`v2_to_v1`]: python's `subunit-2to1`, a [`Sink`] of the [`Pipeline`]: the tests folded, each
//!   written the moment it ends as [`V1Writer::record`] writes it (attachments replayed chunk
//!   by chunk); unfinished tests at the end as failures, newest first; non-test output written
//!   as it comes, raw. `exists` events are dropped, route codes lost, tags written sorted.

use std::io::{self, BufRead, Read, Write};

use subunit_emitter::PacketRef;
use subunit_parser::fold::TestRecord;
use subunit_parser::v1::{PlainLines, V1Error};

use crate::Error;
use crate::pipeline::{Pipeline, Sink, View};
use crate::v1_writer::V1Writer;

fn v1_error(e: V1Error) -> Error {
    match e {
        V1Error::Read(e) | V1Error::Write(e) => Error::Io(e),
        other => {
            // The message of the error and of its cause, on one line.
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(&other);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            Error::Io(io::Error::new(io::ErrorKind::InvalidData, msg))
        }
    }
}

/// Converts a v1 stream to v2 as `subunit-1to2` does, byte for byte:
/// [`subunit_parser::v1::v1_to_v2`] with [`PlainLines::Raw`]. Python always exits 0 after it.
///
/// # Errors
///
/// I/O errors, and the v1 inputs python's converter stops at (see
/// [`subunit_parser::v1::V1Error`]), as [`Error::Io`] with kind `InvalidData`; everything
/// before them has been written.
pub fn v1_to_v2(input: impl BufRead, out: impl Write) -> Result<(), Error> {
    subunit_parser::v1::v1_to_v2(input, out, PlainLines::Raw).map_err(v1_error)?;
    Ok(())
}

/// Converts a v2 stream to v1 as `subunit-2to1` does. Python always exits 0 after it.
///
/// # Errors
///
/// A read or write error.
pub fn v2_to_v1(input: impl Read, out: impl Write) -> Result<(), Error> {
    let mut w = ToV1(V1Writer::new(out));
    Pipeline::new()
        .view(View::Python)
        .run::<_, Error>(input, &mut w)?;
    w.0.flush()?;
    Ok(())
}

/// `subunit-2to1` as a [`Sink`]: bytes outside tests as they come, each test as it ends.
struct ToV1<W>(V1Writer<W>);

impl<W: Write> Sink for ToV1<W> {
    type Error = io::Error;

    fn event(&mut self, ev: &PacketRef<'_>) -> io::Result<()> {
        match ev.file {
            Some(f) if ev.test_id.is_none() => self.0.raw(f.content),
            _ => Ok(()),
        }
    }

    fn record(&mut self, record: TestRecord) -> io::Result<()> {
        self.0.record(&record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, Status, Timestamp, to_vec};

    #[test]
    fn a_v2_run_as_v1_text() {
        let mut input = b"hello\n".to_vec();
        for p in [
            Packet::status("t.a", Status::InProgress)
                .with_timestamp(Timestamp::new(1_704_164_645, 0)),
            Packet::status("t.a", Status::Undefined).with_file(
                "log",
                Some("text/plain;charset=utf8"),
                "x",
                true,
            ),
            Packet::status("t.a", Status::Success)
                .with_timestamp(Timestamp::new(1_704_164_646, 500_000))
                .with_tags(["worker-0"]),
            Packet::status("t.b", Status::InProgress),
        ] {
            input.extend(to_vec(&p.as_ref()).unwrap());
        }
        let mut out = Vec::new();
        v2_to_v1(&input[..], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "hello\ntime: 2024-01-02 03:04:05.000000Z\ntags: worker-0\ntest: t.a\n\
             time: 2024-01-02 03:04:06.000500Z\nsuccessful: t.a [ multipart\n\
             Content-Type: text/plain;charset=utf8\nlog\n1\r\nx0\r\n]\ntags: -worker-0\n\
             test: t.b\nfailure: t.b [ multipart\n]\n"
        );
    }
}
