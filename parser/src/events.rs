//! python-subunit's view of a stream: the events `subunit.ByteStreamToStreamResult(stream,
//! non_subunit_name="stdout")` hands to a `StreamResult`, one [`PacketRef`] per
//! `status(...)` call.
//!
//! # Brief overview
//!
//! [`EventReader::next_event`] turns each [`Item`] of a [`PacketReader`] into python's events:
//!
//! - a packet is its own event;
//! - non-subunit bytes are an event with only a file: name `stdout`, no test id, no MIME type,
//!   `eof` false, `runnable` true (python's `status()` defaults), no timestamp;
//! - a damaged packet is two events for the pseudo-test `subunit.parser`: first a file
//!   `Packet data` (`application/octet-stream`, `eof`) with the bytes python puts there, then
//!   status `fail` with a file `Parser Error` (`text/plain;charset=utf8`, `eof`) holding python's
//!   exact message; `runnable` true, no timestamp, no tags.
//!
//! [`EventReader::next_event_with_origin`] gives each event with its [`Origin`] (packet, stray
//! bytes, damaged packet), for tools that must tell stray bytes from a packet of the same shape.
//!
//! Scanning and resync are python's (see [`reader`](crate::reader)): a `0xB3` inside a UTF-8
//! character of stray text is text; after a bad CRC or a bad field the whole declared length is
//! skipped; after a 4-byte length field only the signature and the 5 header bytes python reads,
//! the rest being scanned again as stray bytes.
//!
//! # Where this differs from python-subunit 1.4.6, on purpose
//!
//! - **Declared length too small.** For a length under 6 python calls `read(length - 6)`: on a
//!   real file that raises `ValueError` and the tool dies; on a `BytesIO` it swallows the rest
//!   of the stream into one `Short read - got N bytes, wanted -K bytes` error. For 6 and 7 (and
//!   for lengths too small for a 2- or 3-byte length field's own header) it checks a "CRC" that
//!   overlaps the header and reports a meaningless bad checksum. Here all of these are one
//!   error, `Length too small - claimed N bytes, the header and CRC need M`, whose `Packet data`
//!   is the signature, flags and length field; scanning resumes right after them.
//! - **A varint or timestamp running past the packet end** (a packet whose CRC is right but whose
//!   fields are not): python dies with `struct.error`; here it is a `subunit.parser` failure
//!   like the other field errors.
//! - **Batching of stray bytes.** python batches them by `select()` timing (one byte per event
//!   on streams without a file descriptor); here a batch runs to the next signature or the end
//!   of the buffered bytes. Bytes are never lost or reordered, so the two agree once adjacent
//!   `stdout` events are joined. python's batching path also has a bug this reader does not
//!   copy: when a batch ends right after a `0xB3` that completed a character, python emits it
//!   as text *and* parses a packet from it.
//! - **Truncated packets** are as python reports them: `Packet data` holds the signature (and
//!   the 5 header bytes when they were all there), not the bytes of the read that came up
//!   short; the message says how many there were. [`PacketReader`] keeps every byte.
//!
//! # Strict mode
//!
//! [`EventReader::strict`] decodes with [`Mode::Strict`] and stops at the first damaged packet
//! (a truncated one included) with [`ReadError::Damaged`], which carries the offset. Stray bytes
//! are still `stdout` events.
//!
//! # Why it is cut so
//!
//! Every tool of the toolkit, like every python tool, sees streams through this view; keeping it
//! apart from the reader keeps the python-specific choices (the pseudo-test, the message texts,
//! the truncated `Packet data`) in one place, over a reader that loses nothing. The view
//! allocates nothing per event: packets and stray bytes borrow the reader's buffer, and the
//! one message buffer is reused.

use std::fmt::Write as _;
use std::io::Read;

use subunit_emitter::{FileRef, PacketRef, Status};

use crate::decode::Mode;
use crate::error::ReadError;
use crate::reader::{Item, PacketReader};

/// The file name python-subunit's tools give non-subunit bytes (`non_subunit_name`).
pub const NON_SUBUNIT_NAME: &str = "stdout";
/// The test id of the pseudo-test that reports damaged packets.
pub const PARSER_TEST_ID: &str = "subunit.parser";
/// The file name holding a damaged packet's bytes.
pub const PACKET_DATA: &str = "Packet data";
/// The MIME type of [`PACKET_DATA`].
pub use subunit_emitter::mime::OCTET_STREAM as PACKET_DATA_MIME;
/// The file name holding the parser's message.
pub const PARSER_ERROR: &str = "Parser Error";
/// The MIME type of [`PARSER_ERROR`].
pub use subunit_emitter::mime::SUBUNIT_TEXT as PARSER_ERROR_MIME;

/// Where an event came from, as [`EventReader::next_event_with_origin`] tells it.
///
/// The event alone cannot always tell: a real packet may look exactly like stray bytes (a
/// `stdout` file with no test id and nothing else set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A valid packet of the stream.
    Packet,
    /// Non-subunit bytes, made a `stdout` event.
    Stray,
    /// A damaged packet: either of the two `subunit.parser` events it becomes.
    Damaged,
}

/// Reads a stream as python-subunit's `ByteStreamToStreamResult` does; see the module doc.
///
/// # Example
///
/// ```
/// use subunit_emitter::{Packet, Status, to_vec};
/// use subunit_parser::events::EventReader;
///
/// let mut stream = b"collecting...\n".to_vec();
/// stream.extend(to_vec(&Packet::status("t", Status::Success).as_ref())?);
/// let mut reader = EventReader::new(&stream[..]);
/// let first = reader.next_event()?.unwrap();
/// assert_eq!(first.file.unwrap().name, "stdout");
/// assert_eq!(first.file.unwrap().content, b"collecting...\n");
/// assert_eq!(reader.next_event()?.unwrap().status, Status::Success);
/// assert!(reader.next_event()?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct EventReader<R> {
    reader: PacketReader<R>,
    strict: bool,
    /// The `Parser Error` event is due next.
    pending_error: bool,
    /// Its text, the buffer reused.
    message: String,
    /// Strict mode met damage: the stream is over.
    stopped: bool,
}

impl<R: Read> EventReader<R> {
    /// A python-compatible reader: lenient checks, damage reported as the `subunit.parser`
    /// pseudo-test.
    pub fn new(r: R) -> Self {
        Self::build(r, false)
    }

    /// A reader that checks the spec ([`Mode::Strict`]) and stops at the first damaged packet.
    pub fn strict(r: R) -> Self {
        Self::build(r, true)
    }

    fn build(r: R, strict: bool) -> Self {
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        EventReader {
            reader: PacketReader::with_mode(r, mode),
            strict,
            pending_error: false,
            message: String::new(),
            stopped: false,
        }
    }

    /// The next event, or `None` at the end of the stream.
    ///
    /// # Errors
    ///
    /// [`ReadError::Io`] when the underlying reader fails (the reader carries on if called
    /// again); in strict mode [`ReadError::Damaged`] for the first damaged packet, after which
    /// the reader returns `None`.
    pub fn next_event(&mut self) -> Result<Option<PacketRef<'_>>, ReadError> {
        Ok(self.next_event_with_origin()?.map(|(event, _)| event))
    }

    /// The next event and where it came from, or `None` at the end of the stream: for tools
    /// that treat stray bytes apart from packets (python's filter batches them, say) without
    /// guessing from the event's shape.
    ///
    /// # Errors
    ///
    /// As [`next_event`](Self::next_event).
    pub fn next_event_with_origin(&mut self) -> Result<Option<(PacketRef<'_>, Origin)>, ReadError> {
        if self.pending_error {
            self.pending_error = false;
            let event = PacketRef {
                test_id: Some(PARSER_TEST_ID),
                status: Status::Fail,
                eof: true,
                file: Some(FileRef {
                    name: PARSER_ERROR,
                    content: self.message.as_bytes(),
                }),
                mime_type: Some(PARSER_ERROR_MIME),
                ..PacketRef::default()
            };
            return Ok(Some((event, Origin::Damaged)));
        }
        if self.stopped {
            return Ok(None);
        }
        let Some(item) = self.reader.next_item()? else {
            return Ok(None);
        };
        Ok(Some(match item {
            Item::Packet { packet, .. } => (packet, Origin::Packet),
            Item::Stray(bytes) => {
                let event = PacketRef {
                    file: Some(FileRef {
                        name: NON_SUBUNIT_NAME,
                        content: bytes,
                    }),
                    ..PacketRef::default()
                };
                (event, Origin::Stray)
            }
            Item::Damaged { offset, raw, error } => {
                if self.strict {
                    self.stopped = true;
                    return Err(ReadError::Damaged {
                        start: offset,
                        error,
                    });
                }
                self.message.clear();
                // Writing to a String cannot fail.
                let _ = write!(self.message, "{}", error.python_message());
                self.pending_error = true;
                let event = PacketRef {
                    test_id: Some(PARSER_TEST_ID),
                    eof: true,
                    file: Some(FileRef {
                        name: PACKET_DATA,
                        content: &raw[..error.python_data_len().min(raw.len())],
                    }),
                    mime_type: Some(PACKET_DATA_MIME),
                    ..PacketRef::default()
                };
                (event, Origin::Damaged)
            }
        }))
    }

    /// The stream offset of the first byte not yet turned into events.
    pub fn position(&self) -> u64 {
        self.reader.position()
    }

    /// The underlying reader; bytes already buffered are lost.
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }
}

/// How many stray bytes python gathers into one `stdout` event at most (see
/// [`python_events`]).
pub const STRAY_BATCH: usize = 1 << 20;

fn stray(bytes: &[u8]) -> PacketRef<'_> {
    PacketRef {
        file: Some(FileRef {
            name: NON_SUBUNIT_NAME,
            content: bytes,
        }),
        ..PacketRef::default()
    }
}

/// Feeds `f` the events python-subunit reads from `input` when the input is a file: the
/// events of [`EventReader`], with each run of stray bytes (non-subunit bytes up to the next
/// packet) gathered into one `stdout` event, split every [`STRAY_BATCH`] bytes.
///
/// (python batches by `select()`: on a file that is what it gets; on a pipe it depends on
/// timing, usually one event per byte.)
///
/// # Example
///
/// ```
/// use subunit_emitter::{Packet, Status, to_vec};
/// use subunit_parser::error::ReadError;
/// use subunit_parser::events::python_events;
///
/// let mut stream = b"a".to_vec();
/// stream.extend(to_vec(&Packet::status("t", Status::Success).as_ref())?);
/// let mut seen = Vec::new();
/// python_events::<_, ReadError>(&stream[..], |ev| {
///     seen.push(ev.test_id.unwrap_or("-").to_owned());
///     Ok(())
/// })?;
/// assert_eq!(seen, ["-", "t"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The first error of the reader or of `f`.
pub fn python_events<R, E>(
    input: R,
    mut f: impl FnMut(&PacketRef<'_>) -> Result<(), E>,
) -> Result<(), E>
where
    R: Read,
    E: From<ReadError>,
{
    let mut reader = EventReader::new(input);
    let mut pending: Vec<u8> = Vec::new();
    while let Some((ev, origin)) = reader.next_event_with_origin()? {
        if origin == Origin::Stray {
            pending.extend_from_slice(ev.file.map(|file| file.content).unwrap_or_default());
            while pending.len() >= STRAY_BATCH {
                f(&stray(&pending[..STRAY_BATCH]))?;
                pending.drain(..STRAY_BATCH);
            }
            continue;
        }
        if !pending.is_empty() {
            f(&stray(&pending))?;
            pending.clear();
        }
        f(&ev)?;
    }
    if !pending.is_empty() {
        f(&stray(&pending))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use subunit_emitter::{Packet, to_vec};

    fn events(data: &[u8]) -> Vec<Packet> {
        let mut r = EventReader::new(data);
        let mut out: Vec<Packet> = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            let e = e.to_packet();
            // Join adjacent stdout events, as comparisons with python do.
            if let Some(prev) = out.last_mut().filter(|p| is_stdout(p) && is_stdout(&e)) {
                let more = e.file.unwrap().content;
                prev.file.as_mut().unwrap().content.extend(more);
                continue;
            }
            out.push(e);
        }
        out
    }

    fn is_stdout(p: &Packet) -> bool {
        p.test_id.is_none() && p.file.as_ref().is_some_and(|f| f.name == NON_SUBUNIT_NAME)
    }

    fn stdout(bytes: &[u8]) -> Packet {
        Packet::default().with_file(NON_SUBUNIT_NAME, None, bytes.to_vec(), false)
    }

    fn parser_failure(data: &[u8], message: &str) -> [Packet; 2] {
        let data = Packet {
            test_id: Some(PARSER_TEST_ID.into()),
            ..Packet::default()
        }
        .with_file(PACKET_DATA, Some(PACKET_DATA_MIME), data.to_vec(), true);
        let error = Packet::status(PARSER_TEST_ID, Status::Fail).with_file(
            PARSER_ERROR,
            Some(PARSER_ERROR_MIME),
            message.as_bytes().to_vec(),
            true,
        );
        [data, error]
    }

    fn foo() -> Vec<u8> {
        to_vec(&Packet::status("foo", Status::Exists).as_ref()).unwrap()
    }

    fn exists_foo() -> Packet {
        Packet::status("foo", Status::Exists)
    }

    // Each expectation below is what python-subunit 1.4.6's ByteStreamToStreamResult gave for
    // the same bytes read from a file (stdout events joined).

    #[test]
    fn stray_bytes_are_stdout_events_with_python_defaults() {
        let mut data = b"hello".to_vec();
        data.extend(foo());
        let got = events(&data);
        assert_eq!(got, [stdout(b"hello"), exists_foo()]);
        assert!(got[0].runnable && !got[0].eof && got[0].mime_type.is_none());
    }

    #[test]
    fn bad_crc() {
        let mut bad = foo();
        *bad.last_mut().unwrap() = 0x1a;
        let mut data = bad.clone();
        data.extend_from_slice(b"tail");
        let [d, e] = parser_failure(
            &bad,
            "Bad checksum - calculated (0x8555f1b), stored (0x8555f1a)",
        );
        assert_eq!(events(&data), [d, e, stdout(b"tail")]);
    }

    #[test]
    fn truncated_header_and_truncated_body() {
        let mut data = b"x".to_vec();
        data.extend_from_slice(&[0xB3, 0x29, 0x01]);
        let [d, e] = parser_failure(b"\xb3", "Short read - got 2 bytes, wanted 5 bytes");
        assert_eq!(events(&data), [stdout(b"x"), d, e]);

        let [d, e] = parser_failure(&foo()[..6], "Short read - got 4 bytes, wanted 6 bytes");
        assert_eq!(events(&foo()[..10]), [d, e]);

        let [d, e] = parser_failure(b"\xb3", "Short read - got 0 bytes, wanted 5 bytes");
        assert_eq!(events(b"\xb3"), [d, e]);
    }

    #[test]
    fn four_byte_length_then_rescan() {
        let mut data = vec![0xB3, 0x29, 0x01, 0xC0, 0x00, 0x00, 0x10];
        data.extend_from_slice(b"xyz");
        data.extend(foo());
        let [d, e] = parser_failure(&data[..6], "3 byte maximum given but 4 byte value found.");
        assert_eq!(events(&data), [d, e, stdout(b"\x10xyz"), exists_foo()]);
    }

    #[test]
    fn utf8_b3_is_text() {
        let mut data = b"caf\xc3".to_vec();
        data.extend(foo());
        assert_eq!(events(&data), [stdout(&data)]);
        let mut data = b"\xe2A\x82".to_vec();
        data.extend(foo());
        assert_eq!(events(&data), [stdout(&data)]);
        let mut data = b"\xe2A".to_vec();
        data.extend(foo());
        assert_eq!(events(&data), [stdout(b"\xe2A"), exists_foo()]);
    }

    #[test]
    fn length_under_8_is_our_better_behaviour() {
        // python: ValueError on a file, the rest of the stream swallowed on a BytesIO.
        let mut data = vec![0xB3, 0x29, 0x01, 0x05];
        data.extend_from_slice(b"abcdefgh");
        data.extend(foo());
        let [d, e] = parser_failure(
            &data[..4],
            "Length too small - claimed 5 bytes, the header and CRC need 8",
        );
        assert_eq!(events(&data), [d, e, stdout(b"abcdefgh"), exists_foo()]);
    }

    #[test]
    fn field_errors_skip_the_packet() {
        // NUL in the test id, checked against python: offset 2.
        let data = [
            0xB3, 0x28, 0x01, 0x0c, 0x03, 0x61, 0x00, 0x62, 0x37, 0xb9, 0x49, 0xff, b'E',
        ];
        let [d, e] = parser_failure(&data[..12], "UTF8 string at offset 2 contains NUL byte");
        assert_eq!(events(&data), [d, e, stdout(b"E")]);
    }

    #[test]
    fn strict_stops_at_the_first_damage_with_its_offset() {
        let mut data = b"ab".to_vec();
        data.extend(foo());
        let mut bad = foo();
        bad[1] = 0x19; // version 1
        data.extend(bad);
        data.extend(foo());
        let mut r = EventReader::strict(&data[..]);
        assert!(is_stdout(&r.next_event().unwrap().unwrap().to_packet()));
        assert_eq!(r.next_event().unwrap().unwrap().to_packet(), exists_foo());
        let err = r.next_event().unwrap_err();
        assert_eq!(err.offset(), Some(2 + 12 + 1));
        assert!(matches!(
            err,
            ReadError::Damaged {
                start: 14,
                error
            } if error.kind() == ErrorKind::BadVersion { version: 1 }
        ));
        assert!(r.next_event().unwrap().is_none());

        // The lenient reader reads on past it.
        assert_eq!(events(&data).len(), 5);
    }

    #[test]
    fn origins_tell_stray_bytes_from_a_packet_of_the_same_shape() {
        let real = Packet::default().with_file(NON_SUBUNIT_NAME, None, b"ab".to_vec(), false);
        let mut bad = foo();
        *bad.last_mut().unwrap() = 0x1a;
        let mut data = b"ab".to_vec();
        data.extend(to_vec(&real.as_ref()).unwrap());
        data.extend(&bad);
        data.extend(foo());
        let mut r = EventReader::new(&data[..]);
        let mut got = Vec::new();
        while let Some((event, origin)) = r.next_event_with_origin().unwrap() {
            got.push((event.to_packet(), origin));
        }
        let [d, e] = parser_failure(
            &bad,
            "Bad checksum - calculated (0x8555f1b), stored (0x8555f1a)",
        );
        assert_eq!(
            got,
            [
                (stdout(b"ab"), Origin::Stray),
                (stdout(b"ab"), Origin::Packet),
                (d, Origin::Damaged),
                (e, Origin::Damaged),
                (exists_foo(), Origin::Packet),
            ]
        );
        assert!(r.next_event_with_origin().unwrap().is_none());
    }

    #[test]
    fn strict_reports_truncation() {
        let bytes = foo();
        let mut r = EventReader::strict(&bytes[..9]);
        let err = r.next_event().unwrap_err();
        assert_eq!(err.offset(), Some(9));
        assert!(matches!(
            err.decode_error().unwrap().kind(),
            ErrorKind::Truncated {
                available: 9,
                length: Some(12)
            }
        ));
    }

    #[test]
    fn stray_bytes_are_batched_and_real_stdout_packets_kept_apart() {
        let real = Packet::default().with_file("stdout", None, "real", false);
        let mut input = b"abc".to_vec();
        input.extend(to_vec(&real.as_ref()).unwrap());
        input.extend(b"de");
        input.extend(vec![b'x'; STRAY_BATCH + 3]);
        let mut got: Vec<Vec<u8>> = Vec::new();
        python_events::<_, ReadError>(&input[..], |e| {
            got.push(e.file.unwrap().content.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], b"abc");
        assert_eq!(got[1], b"real");
        assert_eq!(got[2].len(), STRAY_BATCH);
        assert_eq!(&got[2][..3], b"dex");
        assert_eq!(got[3], b"xxxxx");
    }
}
