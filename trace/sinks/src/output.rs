//! `subunit-output`: write one test event (and an attachment) as a subunit v2 stream, as
//! python-subunit 1.4.6's `subunit-output` does, plus a route code option python lacks.
//!
//! What is written, python's way:
//!
//! - one packet when no file is attached; otherwise one packet per [`FILE_CHUNK_SIZE`] chunk of
//!   the file (an empty file is one empty chunk), EOF on the last;
//! - the first packet carries the timestamp (now, at microseconds), the tags, the MIME type,
//!   and the status when it is `inprogress`; the last one carries any other status;
//! - every packet carries the test id (when given), the file name and, here, the route code;
//! - with no status, the file is attached to the stream (no test id).
//!
//! Differences from python (see `trace/DIFFERENCES.md`): `--attach-file - --file-name X` reads
//! standard input (python crashes), tags are written sorted, `--route-code` exists.

use std::io::{self, Read, Write};

use subunit_emitter::{FILE_CHUNK_SIZE, FileRef, PacketRef, Status, StreamWriter, Tags, Timestamp};

use crate::Error;

/// What to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputSpec {
    /// The status, and the test it is for (`--success TEST_ID`, ...).
    pub status: Option<(Status, String)>,
    /// The attachment's name (`--file-name`, else the path, else `stdin`).
    pub file_name: Option<String>,
    /// The attachment's MIME type (`--mimetype`).
    pub mime_type: Option<String>,
    /// Tags (`--tag`, repeatable).
    pub tags: Vec<String>,
    /// The route code (`--route-code`; python has none).
    pub route_code: Option<String>,
}

/// Reads up to `buf.len()` bytes, stopping early only at the end of the input (as python's
/// buffered `read(n)` does).
fn read_full(r: &mut dyn Read, buf: &mut Vec<u8>, limit: usize) -> io::Result<()> {
    buf.clear();
    r.take(limit as u64).read_to_end(buf)?;
    Ok(())
}

/// Writes the event `spec` describes, with `file` as its attachment, stamped `now`.
///
/// # Errors
///
/// A read error on the file, a write error on the output.
pub fn write<W: Write>(
    spec: &OutputSpec,
    file: Option<impl Read>,
    out: &StreamWriter<W>,
    now: Timestamp,
) -> Result<(), Error> {
    let now = Timestamp::new(now.secs, now.nanos / 1000 * 1000);
    let mut tags: Vec<&str> = spec.tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags.dedup();
    let (status, test_id) = match &spec.status {
        Some((s, id)) => (*s, Some(id.as_str())),
        None => (Status::Undefined, None),
    };
    let first_status = if status.is_final() {
        Status::Undefined
    } else {
        status
    };
    let base = PacketRef {
        test_id,
        route_code: spec.route_code.as_deref(),
        ..PacketRef::default()
    };
    let first = PacketRef {
        timestamp: Some(now),
        tags: (!tags.is_empty()).then_some(Tags::Strs(&tags)),
        status: first_status,
        ..base
    };
    let Some(mut file) = file else {
        let p = PacketRef {
            status: if status.is_final() {
                status
            } else {
                first_status
            },
            ..first
        };
        out.write_packet(&p)?;
        return Ok(());
    };
    let name = spec.file_name.as_deref().unwrap_or("stdin");
    let (mut this, mut next) = (Vec::new(), Vec::new());
    read_full(&mut file, &mut this, FILE_CHUNK_SIZE)?;
    read_full(&mut file, &mut next, FILE_CHUNK_SIZE)?;
    let mut is_first = true;
    loop {
        let last = next.is_empty();
        let template = if is_first {
            PacketRef {
                mime_type: spec.mime_type.as_deref().filter(|m| !m.is_empty()),
                ..first
            }
        } else {
            base
        };
        let p = PacketRef {
            file: Some(FileRef {
                name,
                content: &this,
            }),
            eof: last,
            status: if last && status.is_final() {
                status
            } else {
                template.status
            },
            ..template
        };
        out.write_packet(&p)?;
        if last {
            return Ok(());
        }
        is_first = false;
        std::mem::swap(&mut this, &mut next);
        read_full(&mut file, &mut next, FILE_CHUNK_SIZE)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Delivery, Packet};
    use subunit_parser::events::EventReader;

    fn run(spec: &OutputSpec, file: Option<&[u8]>) -> Vec<Packet> {
        let out = StreamWriter::new(Vec::new(), Delivery::Buffered);
        write(spec, file, &out, Timestamp::new(5, 1_234_567)).unwrap();
        let bytes = out.finish().unwrap();
        let mut r = EventReader::new(&bytes[..]);
        let mut v = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            v.push(e.to_packet());
        }
        v
    }

    #[test]
    fn a_status_alone_is_one_packet() {
        let spec = OutputSpec {
            status: Some((Status::Fail, "t".into())),
            tags: vec!["b".into(), "a".into()],
            route_code: Some("0".into()),
            ..OutputSpec::default()
        };
        let got = run(&spec, None);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::Fail);
        assert_eq!(got[0].timestamp, Some(Timestamp::new(5, 1_234_000)));
        assert_eq!(
            got[0].tags.as_deref(),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(got[0].route_code.as_deref(), Some("0"));
    }

    #[test]
    fn a_large_file_is_chunked_with_the_status_on_the_last_chunk() {
        let data = vec![7u8; FILE_CHUNK_SIZE * 2 + 10];
        let spec = OutputSpec {
            status: Some((Status::InProgress, "t".into())),
            file_name: Some("big".into()),
            mime_type: Some("application/octet-stream".into()),
            ..OutputSpec::default()
        };
        let got = run(&spec, Some(&data));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].status, Status::InProgress);
        assert!(got[0].mime_type.is_some() && got[1].mime_type.is_none());
        assert!(got[0].timestamp.is_some() && got[2].timestamp.is_none());
        assert_eq!(
            got.iter().map(|p| p.eof).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(got[2].file.as_ref().unwrap().content.len(), 10);
        let spec = OutputSpec {
            status: Some((Status::Success, "t".into())),
            ..spec
        };
        let got = run(&spec, Some(&data));
        assert_eq!(
            got.iter().map(|p| p.status).collect::<Vec<_>>(),
            [Status::Undefined, Status::Undefined, Status::Success]
        );
    }

    #[test]
    fn an_empty_file_is_one_empty_chunk_without_a_test() {
        let got = run(&OutputSpec::default(), Some(b""));
        assert_eq!(got.len(), 1);
        assert!(got[0].eof && got[0].test_id.is_none());
        assert_eq!(got[0].file.as_ref().unwrap().name, "stdin");
    }
}
