//! The small API a test runner uses: announce tests, start one, attach files, finish it.
//!
//! It writes the packets Tempest-style runners write through testtools: `inprogress` with a
//! timestamp when a test starts, each attachment as its own packet (chunked when large, EOF on
//! the last chunk), and the final status with its tags and a timestamp.

use std::io::Write;

use crate::mime;
use crate::model::{FileRef, PacketRef, Status, Tags};
use crate::writer::{StreamWriter, WriteError};

/// Where a test's packets go, and what identifies them.
#[derive(Debug, Clone, Copy)]
pub struct TestHandle<'w, 's, W: Write> {
    writer: &'w StreamWriter<W>,
    id: &'s str,
    route_code: Option<&'s str>,
}

impl<'w, 's, W: Write> TestHandle<'w, 's, W> {
    /// A handle for the test `id` on `writer`; nothing is written yet.
    pub fn new(writer: &'w StreamWriter<W>, id: &'s str) -> Self {
        TestHandle {
            writer,
            id,
            route_code: None,
        }
    }

    /// Marks every packet of this test with a route code (`0`, `0/3`, ...).
    pub fn route_code(mut self, route_code: &'s str) -> Self {
        self.route_code = Some(route_code);
        self
    }

    fn packet(&self, status: Status) -> PacketRef<'s> {
        PacketRef {
            status,
            test_id: Some(self.id),
            route_code: self.route_code,
            ..PacketRef::default()
        }
    }

    /// Announces the test (`exists`), as a runner does before running anything.
    pub fn exists(&self) -> Result<(), WriteError> {
        let mut p = self.packet(Status::Exists);
        p.timestamp = Some(self.writer.now());
        self.writer.write_packet(&p)
    }

    /// Marks the test started (`inprogress`, timestamped).
    pub fn start(&self) -> Result<(), WriteError> {
        let mut p = self.packet(Status::InProgress);
        p.timestamp = Some(self.writer.now());
        self.writer.write_packet(&p)
    }

    /// Attaches a whole file to the test (timestamped, as testtools stamps every detail packet;
    /// EOF set; split into chunks when large).
    pub fn attach(&self, name: &str, mime_type: &str, content: &[u8]) -> Result<(), WriteError> {
        let mut p = self.packet(Status::Undefined);
        p.timestamp = Some(self.writer.now());
        p.mime_type = Some(mime_type);
        p.file = Some(FileRef { name, content });
        p.eof = true;
        self.writer.write_packet(&p)
    }

    /// Ends the test with a final status and its tags (timestamped).
    pub fn finish(&self, status: Status, tags: &[&str]) -> Result<(), WriteError> {
        let mut p = self.packet(status);
        p.timestamp = Some(self.writer.now());
        p.tags = (!tags.is_empty()).then_some(Tags::Strs(tags));
        self.writer.write_packet(&p)
    }

    /// Ends the test as skipped, with its `reason` attachment as testtools writes it.
    pub fn skip(&self, reason: &str, tags: &[&str]) -> Result<(), WriteError> {
        self.attach("reason", mime::TESTTOOLS_TEXT, reason.as_bytes())?;
        self.finish(Status::Skip, tags)
    }
}

impl<W: Write> StreamWriter<W> {
    /// A handle for reporting the test `id`.
    pub fn test<'s>(&self, id: &'s str) -> TestHandle<'_, 's, W> {
        TestHandle::new(self, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Packet, Timestamp};
    use crate::writer::Delivery;

    fn fixed() -> Timestamp {
        Timestamp::new(1_700_000_000, 5)
    }

    #[test]
    fn a_test_writes_start_attachments_and_status() {
        let w = StreamWriter::new(Vec::new(), Delivery::Buffered).with_clock(fixed);
        let t = w.test("pkg.Class.test_x").route_code("1");
        t.start().unwrap();
        t.attach("traceback", mime::TESTTOOLS_TRACEBACK, b"boom")
            .unwrap();
        t.finish(Status::Fail, &["worker-1"]).unwrap();
        let got = w.finish().unwrap();

        let mut want = Vec::new();
        let base = Packet::status("pkg.Class.test_x", Status::InProgress)
            .with_route_code("1")
            .with_timestamp(fixed());
        crate::encode::encode(&base.as_ref(), &mut want).unwrap();
        let attach = Packet {
            status: Status::Undefined,
            ..base.clone()
        }
        .with_file(
            "traceback",
            Some(mime::TESTTOOLS_TRACEBACK),
            b"boom".to_vec(),
            true,
        );
        crate::encode::encode(&attach.as_ref(), &mut want).unwrap();
        let fin = Packet {
            status: Status::Fail,
            ..base
        }
        .with_tags(["worker-1"]);
        crate::encode::encode(&fin.as_ref(), &mut want).unwrap();
        assert_eq!(got, want);
    }
}
