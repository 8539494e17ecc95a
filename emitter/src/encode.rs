//! The encoder: a [`PacketRef`] into bytes, with every check that keeps the output readable by
//! python-subunit, and the splitting of large attachments into packets that fit.

use crate::model::{
    FILE_CHUNK_SIZE, FileRef, MAX_PACKET_LENGTH, MAX_VARINT, Packet, PacketRef, Status,
};
use crate::varint;

/// Which string field of a packet an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// The test id.
    TestId,
    /// The route code.
    RouteCode,
    /// A tag.
    Tag,
    /// The MIME type.
    MimeType,
    /// The file name.
    FileName,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::TestId => "test id",
            Field::RouteCode => "route code",
            Field::Tag => "tag",
            Field::MimeType => "MIME type",
            Field::FileName => "file name",
        })
    }
}

/// Why a packet cannot be encoded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string holds a NUL byte, which python-subunit refuses to read.
    #[error("{field} contains a NUL byte")]
    Nul {
        /// The field.
        field: Field,
    },
    /// A string is longer than a packet can hold.
    #[error("{field} is {len} bytes long; a packet holds at most {max}")]
    StringTooLong {
        /// The field.
        field: Field,
        /// Its length in bytes.
        len: usize,
        /// The most a packet could take.
        max: usize,
    },
    /// Too many tags to count in a varint.
    #[error("{count} tags cannot be counted in a packet")]
    TooManyTags {
        /// How many tags.
        count: usize,
    },
    /// The nanoseconds of the timestamp do not fit in a varint.
    #[error("timestamp nanoseconds {nanos} do not fit in 30 bits")]
    Nanos {
        /// The nanoseconds given.
        nanos: u32,
    },
    /// The packet would be larger than the protocol allows (use chunking for big files).
    #[error("packet would be {len} bytes; the protocol allows at most {MAX_PACKET_LENGTH}")]
    PacketTooLarge {
        /// The length it would have.
        len: usize,
    },
    /// A file chunk was asked for without any file.
    #[error("chunking needs a packet with file content")]
    NoFile,
}

fn check_str(s: &str, field: Field) -> Result<(), EncodeError> {
    if s.len() > MAX_PACKET_LENGTH {
        return Err(EncodeError::StringTooLong {
            field,
            len: s.len(),
            max: MAX_PACKET_LENGTH,
        });
    }
    if s.as_bytes().contains(&0) {
        return Err(EncodeError::Nul { field });
    }
    Ok(())
}

fn str_len(s: &str) -> usize {
    // check_str bounded the length below MAX_VARINT.
    varint::encoded_len(s.len() as u32).unwrap_or(4) + s.len()
}

/// The size of the packet body: everything between the length field and the CRC.
fn body_len(p: &PacketRef<'_>) -> Result<usize, EncodeError> {
    let mut n = 3; // signature + flags
    if let Some(ts) = p.timestamp {
        n += 4 + varint::encoded_len(ts.nanos).ok_or(EncodeError::Nanos { nanos: ts.nanos })?;
    }
    if let Some(id) = p.test_id {
        check_str(id, Field::TestId)?;
        n += str_len(id);
    }
    if let Some(tags) = p.tags {
        let count = tags.len();
        if count > MAX_VARINT as usize {
            return Err(EncodeError::TooManyTags { count });
        }
        n += varint::encoded_len(count as u32).unwrap_or(4);
        for t in tags.iter() {
            check_str(t, Field::Tag)?;
            n += str_len(t);
        }
    }
    if let Some(mime) = p.mime_type {
        check_str(mime, Field::MimeType)?;
        n += str_len(mime);
    }
    if let Some(FileRef { name, content }) = p.file {
        check_str(name, Field::FileName)?;
        if content.len() > MAX_PACKET_LENGTH {
            return Err(EncodeError::PacketTooLarge {
                len: n + content.len(),
            });
        }
        n += str_len(name) + varint::encoded_len(content.len() as u32).unwrap_or(4) + content.len();
    }
    if let Some(route) = p.route_code {
        check_str(route, Field::RouteCode)?;
        n += str_len(route);
    }
    Ok(n + 4) // CRC
}

/// The total length of the packet once encoded, the length field included.
///
/// This is the length python-subunit writes: the shortest length field that fits the whole.
pub fn encoded_len(p: &PacketRef<'_>) -> Result<usize, EncodeError> {
    let base = body_len(p)?;
    let total = if base < 63 {
        base + 1
    } else if base + 2 <= 16383 {
        base + 2
    } else {
        base + 3
    };
    if total > MAX_PACKET_LENGTH {
        return Err(EncodeError::PacketTooLarge { len: total });
    }
    Ok(total)
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    varint::encode(s.len() as u32, out);
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoded packet to `out` and returns its length. On error nothing is appended.
pub fn encode(p: &PacketRef<'_>, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let total = encoded_len(p)?;
    out.reserve(total);
    let start = out.len();
    out.push(crate::model::SIGNATURE);
    out.extend_from_slice(&p.flags().to_be_bytes());
    varint::encode(total as u32, out);
    if let Some(ts) = p.timestamp {
        out.extend_from_slice(&ts.secs.to_be_bytes());
        varint::encode(ts.nanos, out);
    }
    if let Some(id) = p.test_id {
        put_str(id, out);
    }
    if let Some(tags) = p.tags {
        varint::encode(tags.len() as u32, out);
        for t in tags.iter() {
            put_str(t, out);
        }
    }
    if let Some(mime) = p.mime_type {
        put_str(mime, out);
    }
    if let Some(FileRef { name, content }) = p.file {
        put_str(name, out);
        varint::encode(content.len() as u32, out);
        out.extend_from_slice(content);
    }
    if let Some(route) = p.route_code {
        put_str(route, out);
    }
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    debug_assert_eq!(out.len() - start, total);
    Ok(total)
}

/// Encodes a packet into a new vector.
pub fn to_vec(p: &PacketRef<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(p, &mut out)?;
    Ok(out)
}

/// Encodes packets one after another into a new vector: a whole stream.
pub fn to_stream<'a>(
    packets: impl IntoIterator<Item = &'a Packet>,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    for p in packets {
        encode(&p.as_ref(), &mut out)?;
    }
    Ok(out)
}

/// Splits a packet whose file content may be too large for one packet into packets that fit,
/// placing the fields as `subunit-output` does: every chunk carries the test id, route code,
/// file name and runnable flag; the timestamp, MIME type and tags go on the first chunk (the
/// fold keeps the first chunk's MIME type, and tags are last-wins, so nothing is lost), and so
/// does a status that is not final (`inprogress`, `exists`); a final status and the EOF flag go
/// on the last. Content is cut at [`FILE_CHUNK_SIZE`] bytes, or less when the other fields leave
/// less room. A packet that fits gives itself.
///
/// An empty file still gives one packet.
pub fn chunk<'a>(p: &PacketRef<'a>) -> Result<Chunks<'a>, EncodeError> {
    let file = p.file.ok_or(EncodeError::NoFile)?;
    // The room the other fields leave: the packet with an empty chunk, plus a 3-byte length
    // field and a 3-byte content-length varint at most.
    let mut empty = *p;
    empty.file = Some(FileRef {
        name: file.name,
        content: &[],
    });
    let overhead = body_len(&empty)? + 3 + 2;
    let room = MAX_PACKET_LENGTH
        .saturating_sub(overhead)
        .min(FILE_CHUNK_SIZE);
    if room == 0 {
        return Err(EncodeError::PacketTooLarge { len: overhead });
    }
    Ok(Chunks {
        template: *p,
        name: file.name,
        rest: file.content,
        room,
        first: true,
        done: false,
    })
}

/// The packets of a chunked file; see [`chunk`].
#[derive(Clone, Debug)]
pub struct Chunks<'a> {
    template: PacketRef<'a>,
    name: &'a str,
    rest: &'a [u8],
    room: usize,
    first: bool,
    done: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = PacketRef<'a>;

    fn next(&mut self) -> Option<PacketRef<'a>> {
        if self.done {
            return None;
        }
        let take = self.rest.len().min(self.room);
        let (content, rest) = self.rest.split_at(take);
        self.rest = rest;
        let last = rest.is_empty();
        let mut p = self.template;
        p.file = Some(FileRef {
            name: self.name,
            content,
        });
        if !self.first {
            p.timestamp = None;
            p.mime_type = None;
            p.tags = None;
        }
        let status_here = if p.status.is_final() {
            last
        } else {
            self.first
        };
        if !status_here {
            p.status = Status::Undefined;
        }
        if !last {
            p.eof = false;
        }
        self.first = false;
        self.done = last;
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Packet, Timestamp};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const TS: Timestamp = Timestamp::new(1_704_164_645, 678_901_000);

    #[test]
    fn spec_example_exists_foo() {
        let p = Packet::status("foo", Status::Exists);
        assert_eq!(
            to_vec(&p.as_ref()).unwrap(),
            hex("b3 2901 0c 03 666f6f 08555f1b")
        );
    }

    #[test]
    fn python_inprogress_packet() {
        let p = Packet::status("a.b.c", Status::InProgress).with_timestamp(TS);
        assert_eq!(
            to_vec(&p.as_ref()).unwrap(),
            hex("b3 2b02 16 65937d25 e8773508 05 612e622e63 a85d3454")
        );
    }

    #[test]
    fn python_success_with_tag_packet() {
        let p = Packet::status("a.b.c", Status::Success)
            .with_timestamp(TS)
            .with_tags(["worker-0"]);
        assert_eq!(
            to_vec(&p.as_ref()).unwrap(),
            hex("b3 2b83 20 65937d25 e8773508 05 612e622e63 01 08 776f726b65722d30 d6f29979")
        );
    }

    #[test]
    fn python_file_packet_with_route_code() {
        let p = Packet {
            test_id: Some("a.b.c".into()),
            ..Packet::default()
        }
        .with_file(
            "stdout",
            Some("text/plain;charset=utf8"),
            b"hello\n".to_vec(),
            true,
        )
        .with_route_code("0");
        assert_eq!(
            to_vec(&p.as_ref()).unwrap(),
            hex(
                "b3 2d70 36 05 612e622e63 17 746578742f706c61696e3b636861727365743d75746638
                 06 7374646f7574 06 68656c6c6f0a 01 30 bc98f241"
            )
        );
    }

    #[test]
    fn two_byte_length() {
        let p = Packet::default().with_runnable(false).with_file(
            "stdout",
            None,
            vec![b'x'; 100],
            false,
        );
        let bytes = to_vec(&p.as_ref()).unwrap();
        assert_eq!(&bytes[..14], &hex("b3 2040 4076 06 7374646f7574 4064")[..]);
        assert_eq!(bytes.len(), 118);
    }

    #[test]
    fn length_field_thresholds_match_python() {
        // python: base <= 62 -> 1 byte, <= 16381 -> 2 bytes, <= 4194300 -> 3 bytes.
        for (content, want) in [
            (0usize, 1usize),
            (1, 1),
            (40, 1),
            (60, 2),
            (16_300, 2),
            (16_400, 3),
        ] {
            let p = Packet::default().with_file("f", None, vec![0u8; content], false);
            let total = encoded_len(&p.as_ref()).unwrap();
            let base = total - want;
            let field = to_vec(&p.as_ref()).unwrap()[3] >> 6;
            assert_eq!(field as usize + 1, want, "content {content} base {base}");
        }
    }

    #[test]
    fn nul_and_oversize_are_typed_errors() {
        let p = Packet::status("a\0b", Status::Success);
        assert_eq!(
            to_vec(&p.as_ref()),
            Err(EncodeError::Nul {
                field: Field::TestId
            })
        );
        let p = Packet::status("a", Status::Success).with_tags(["ok", "b\0"]);
        assert_eq!(
            to_vec(&p.as_ref()),
            Err(EncodeError::Nul { field: Field::Tag })
        );
        let p = Packet::default().with_file("f", None, vec![0u8; MAX_PACKET_LENGTH], false);
        assert!(matches!(
            to_vec(&p.as_ref()),
            Err(EncodeError::PacketTooLarge { .. })
        ));
        let p = Packet::status("x".repeat(MAX_PACKET_LENGTH + 1), Status::Success);
        assert!(matches!(
            to_vec(&p.as_ref()),
            Err(EncodeError::StringTooLong { .. })
        ));
        let p = Packet::status("a", Status::Success).with_timestamp(Timestamp::new(0, u32::MAX));
        assert!(matches!(
            to_vec(&p.as_ref()),
            Err(EncodeError::Nanos { .. })
        ));
    }

    #[test]
    fn largest_packet_fits_and_one_more_byte_does_not() {
        let base = Packet::default()
            .with_runnable(false)
            .with_file("f", None, Vec::new(), false);
        let overhead = encoded_len(&base.as_ref()).unwrap();
        // 3-byte length field and 3-byte content varint instead of 1 and 1.
        let fits = MAX_PACKET_LENGTH - overhead - 4;
        let p = Packet::default()
            .with_runnable(false)
            .with_file("f", None, vec![0u8; fits], false);
        assert_eq!(to_vec(&p.as_ref()).unwrap().len(), MAX_PACKET_LENGTH);
        let p =
            Packet::default()
                .with_runnable(false)
                .with_file("f", None, vec![0u8; fits + 1], false);
        assert_eq!(
            to_vec(&p.as_ref()),
            Err(EncodeError::PacketTooLarge {
                len: MAX_PACKET_LENGTH + 1
            })
        );
    }

    #[test]
    fn chunking_splits_keeps_identity_and_marks_the_last() {
        let content: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let p = Packet::status("t.id", Status::Fail)
            .with_timestamp(TS)
            .with_route_code("0/1")
            .with_tags(["w"])
            .with_file("log", Some("text/plain"), content.clone(), true);
        let chunks: Vec<_> = chunk(&p.as_ref()).unwrap().collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].file.unwrap().content.len(), FILE_CHUNK_SIZE);
        assert_eq!(chunks[0].timestamp, Some(TS));
        assert_eq!(chunks[1].timestamp, None);
        assert_eq!(
            (chunks[0].status, chunks[0].eof),
            (Status::Undefined, false)
        );
        assert_eq!((chunks[1].status, chunks[1].eof), (Status::Fail, true));
        let first_tags = chunks[0].tags.map(|t| t.to_vec());
        assert_eq!(
            (chunks[0].mime_type, first_tags),
            (Some("text/plain"), Some(vec!["w".into()]))
        );
        assert_eq!((chunks[1].mime_type, chunks[1].tags), (None, None));
        let started = Packet {
            status: Status::InProgress,
            ..p.clone()
        };
        let chunks: Vec<_> = chunk(&started.as_ref()).unwrap().collect();
        assert_eq!(
            (chunks[0].status, chunks[1].status),
            (Status::InProgress, Status::Undefined)
        );
        let mut joined = Vec::new();
        for c in &chunks {
            assert_eq!(
                (c.test_id, c.route_code, c.file.unwrap().name),
                (Some("t.id"), Some("0/1"), "log")
            );
            assert!(encoded_len(c).unwrap() <= MAX_PACKET_LENGTH);
            joined.extend_from_slice(c.file.unwrap().content);
        }
        assert_eq!(joined, content);
        let empty = Packet::status("e", Status::Success).with_file("f", None, Vec::new(), true);
        assert_eq!(chunk(&empty.as_ref()).unwrap().count(), 1);
    }
}
