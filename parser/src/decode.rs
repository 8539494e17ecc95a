//! The sans-I/O subunit v2 decoder: bytes in, a packet (borrowing those bytes), "need more",
//! or a typed error with its offset.
//!
//! # Brief overview
//!
//! [`decode`] looks at the start of a buffer that begins with a signature byte and returns
//! [`Decoded::Packet`] (a [`PacketRef`] pointing into the buffer, and how many bytes it used),
//! [`Decoded::NeedMore`], or a [`DecodeError`] saying what is wrong, where, and how many bytes
//! the damaged packet covers. [`truncated`] is the error for a packet the input ends inside.
//!
//! The work is done in two steps, in this order:
//!
//! 1. *Framing* (hand-written, a few byte reads): the signature, then nothing until the six
//!    bytes python-subunit reads first are there (the signature and 5 header bytes; no valid
//!    packet is shorter than 8, so this never delays one), then the flags (version and
//!    reserved bit in [`Mode::Strict`]), the length field (at most 3 bytes; at least 8 and
//!    enough for its own header and CRC; 3 bytes cannot exceed
//!    [`MAX_PACKET_LENGTH`](subunit_emitter::MAX_PACKET_LENGTH)) and only then, with the length
//!    known to be sane, "need more" for the rest, then the CRC32 over the whole packet.
//! 2. *Fields* (nom): inside the length-checked, CRC-checked packet, the optional fields in
//!    their fixed order, each bounded by the packet end. Strings are checked for NUL and UTF-8;
//!    tags are checked once and handed out as [`Tags::Encoded`], so nothing is allocated.
//!
//! # Why it is cut so
//!
//! The decoder owns no buffer and does no I/O, so it can be driven by any reader, tested on any
//! split of the input and fuzzed directly. Framing comes first and on its own because it is
//! what decides how many bytes a reader must buffer: the declared length is checked before a
//! single byte is asked for, so a damaged length can never make a reader wait for, or buffer,
//! bytes that cannot be a packet. The CRC is checked before the fields so that a damaged packet
//! costs one pass; the only per-byte work on a good packet is that CRC, plus the UTF-8 and NUL
//! checks of its (short) strings, done for the usual ASCII strings in one vectorised pass (the
//! module's one `unsafe`: a string of bytes in `0x01..=0x7F` is taken as UTF-8 without a
//! second look). File content is never scanned. The two [`Mode`]s differ only in checks
//! python-subunit does not make, so the lenient mode accepts exactly what python-subunit 1.4.6
//! accepts.

use nom::{IResult, Parser, bytes::complete::take, combinator::cond, number::complete::be_u32};
use subunit_emitter::{
    Field, FileRef, MIN_PACKET_LENGTH, PacketRef, SIGNATURE, Status, Tags, Timestamp, flags, varint,
};

use crate::error::{DecodeError, ErrorKind, Part};

/// How many bytes python-subunit reads before it looks at a packet: the signature and a 5-byte
/// header (flags, then a length field of up to 3 bytes, padded with the packet's next bytes).
pub const HEADER_READ: usize = 6;

/// Which checks the decoder makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// What python-subunit 1.4.6 checks: CRC, UTF-8, NUL in strings, fields overrunning the
    /// packet, a 4-byte length field. The version nibble and the reserved bit are ignored and
    /// bytes left after the last field are allowed.
    #[default]
    Lenient,
    /// The spec: everything [`Mode::Lenient`] checks, and the version must be 2, the reserved
    /// bit 0, and the fields must fill the packet up to the CRC.
    Strict,
}

/// The decoder's answer for a buffer that begins with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole, valid packet.
    Packet {
        /// The packet, borrowing the input.
        packet: PacketRef<'a>,
        /// How many bytes of the input it takes.
        len: usize,
    },
    /// The input ends before the packet does: at least `needed` more bytes are needed (exactly
    /// that many once the length field has been read).
    NeedMore {
        /// How many more bytes are needed at least.
        needed: usize,
    },
}

/// Decodes the packet at the start of `input`.
///
/// `input` must begin with the signature byte; anything after the packet is left alone (the
/// packet's length is in [`Decoded::Packet::len`]).
///
/// # Errors
///
/// A [`DecodeError`] when the bytes cannot be a valid packet. Its
/// [`span`](DecodeError::span) says how many bytes to skip before scanning on.
///
/// # Example
///
/// ```
/// use subunit_parser::decode::{decode, Decoded, Mode};
/// use subunit_emitter::Status;
///
/// // The spec's example: `exists` for `foo`.
/// let bytes = [0xb3, 0x29, 0x01, 0x0c, 0x03, b'f', b'o', b'o', 0x08, 0x55, 0x5f, 0x1b];
/// let Decoded::Packet { packet, len } = decode(&bytes, Mode::Strict)? else { panic!() };
/// assert_eq!((packet.test_id, packet.status, len), (Some("foo"), Status::Exists, 12));
/// assert_eq!(decode(&bytes[..7], Mode::Strict)?, Decoded::NeedMore { needed: 5 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode(input: &[u8], mode: Mode) -> Result<Decoded<'_>, DecodeError> {
    match frame(input, mode)? {
        Framed::Complete(frame) => {
            let packet = fields(&input[..frame.len], frame, mode)?;
            Ok(Decoded::Packet {
                packet,
                len: frame.len,
            })
        }
        Framed::NeedMore(needed) => Ok(Decoded::NeedMore { needed }),
    }
}

/// The error for a packet that `input` (all that is left of a stream) ends inside: what
/// [`decode`] said "need more" to, once no more is coming.
///
/// It covers all of `input` ([`DecodeError::span`] is its length) and records whether the
/// header was complete ([`ErrorKind::Truncated`]).
pub fn truncated(input: &[u8]) -> DecodeError {
    let (length, length_size) = if input.len() >= HEADER_READ {
        match varint::decode(&input[3..]) {
            Some((length, size)) => (Some(length), size as u8),
            None => (None, 0),
        }
    } else {
        (None, 0)
    };
    DecodeError::new(
        ErrorKind::Truncated {
            available: input.len(),
            length,
        },
        input.len(),
        input.len(),
        length_size,
    )
}

/// A packet whose header, length and CRC have been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The packet's whole length.
    pub(crate) len: usize,
    /// The bytes of the length field.
    length_size: u8,
    /// The flags.
    flags: u16,
}

/// The framing step's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    /// The packet is all there and its CRC matches.
    Complete(Frame),
    /// At least this many more bytes are needed.
    NeedMore(usize),
}

/// Step 1: signature, header, length and CRC (see the module doc). Returns nothing borrowed,
/// so a reader can decide to buffer more before it borrows the packet.
pub(crate) fn frame(input: &[u8], mode: Mode) -> Result<Framed, DecodeError> {
    match input.first() {
        None => return Ok(Framed::NeedMore(HEADER_READ)),
        Some(&SIGNATURE) => {}
        Some(&found) => {
            return Err(DecodeError::new(ErrorKind::NotSignature { found }, 0, 1, 0));
        }
    }
    if input.len() < HEADER_READ {
        return Ok(Framed::NeedMore(HEADER_READ - input.len()));
    }
    let flags = u16::from_be_bytes([input[1], input[2]]);
    if mode == Mode::Strict {
        if flags & flags::VERSION_MASK != flags::VERSION_2 {
            let version = (flags >> 12) as u8;
            return Err(DecodeError::new(ErrorKind::BadVersion { version }, 1, 1, 0));
        }
        if flags & flags::RESERVED != 0 {
            return Err(DecodeError::new(ErrorKind::ReservedBit, 2, 1, 0));
        }
    }
    if input[3] >> 6 == 3 {
        return Err(DecodeError::new(
            ErrorKind::FourByteLength,
            3,
            HEADER_READ,
            4,
        ));
    }
    // Six bytes are there, so a length field of up to 3 bytes is complete.
    let Some((length, size)) = varint::decode(&input[3..]) else {
        return Ok(Framed::NeedMore(1));
    };
    let header = 3 + size;
    let minimum = MIN_PACKET_LENGTH.max(header + 4);
    // A 3-byte varint holds at most 4194303, MAX_PACKET_LENGTH: no upper check is needed.
    let len = length as usize;
    if len < minimum {
        return Err(DecodeError::new(
            ErrorKind::LengthTooSmall {
                length,
                minimum: minimum as u32,
            },
            3,
            header,
            size as u8,
        ));
    }
    if input.len() < len {
        return Ok(Framed::NeedMore(len - input.len()));
    }
    let crc_at = len - 4;
    let calculated = crc32fast::hash(&input[..crc_at]);
    let stored = u32::from_be_bytes([
        input[crc_at],
        input[crc_at + 1],
        input[crc_at + 2],
        input[crc_at + 3],
    ]);
    if calculated != stored {
        return Err(DecodeError::new(
            ErrorKind::BadCrc { calculated, stored },
            crc_at,
            len,
            size as u8,
        ));
    }
    Ok(Framed::Complete(Frame {
        len,
        length_size: size as u8,
        flags,
    }))
}

/// Step 2: the fields of a framed packet. `packet` is exactly the packet's bytes.
pub(crate) fn fields(
    packet: &[u8],
    frame: Frame,
    mode: Mode,
) -> Result<PacketRef<'_>, DecodeError> {
    let header = 3 + usize::from(frame.length_size);
    let body_end = packet.len() - 4;
    let body = &packet[header..body_end];
    let error = |at: &[u8], kind: ErrorKind| {
        DecodeError::new(kind, body_end - at.len(), packet.len(), frame.length_size)
    };
    let (rest, packet_ref) = match fields_of(frame.flags).parse(body) {
        Ok(done) => done,
        Err(nom::Err::Error(fault) | nom::Err::Failure(fault)) => {
            return Err(error(fault.at, fault.kind));
        }
        // The field parsers are all complete parsers: none of them asks for more, and if one
        // did, the packet would indeed be too short for its fields.
        Err(nom::Err::Incomplete(_)) => {
            return Err(error(body, ErrorKind::Overrun { part: Part::Fields }));
        }
    };
    if mode == Mode::Strict && !rest.is_empty() {
        return Err(error(rest, ErrorKind::TrailingBytes { count: rest.len() }));
    }
    Ok(packet_ref)
}

/// What went wrong in a field, and the input from the fault to the end of the body (from which
/// the offset follows).
#[derive(Debug)]
struct Fault<'a> {
    at: &'a [u8],
    kind: ErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for Fault<'a> {
    /// An error nom itself raises: inside a complete packet that can only be input running out.
    /// (The parsers here map nom's errors to precise kinds; this is the fallback.)
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        Fault {
            at: input,
            kind: ErrorKind::Overrun { part: Part::Fields },
        }
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<&'a [u8], T, Fault<'a>>;

fn fail<T>(at: &[u8], kind: ErrorKind) -> Res<'_, T> {
    Err(nom::Err::Failure(Fault { at, kind }))
}

/// The optional fields, in wire order, as the flags announce them.
fn fields_of<'a>(bits: u16) -> impl Parser<&'a [u8], Output = PacketRef<'a>, Error = Fault<'a>> {
    move |input: &'a [u8]| {
        let has = |bit: u16| bits & bit != 0;
        let (input, timestamp) = cond(has(flags::TIMESTAMP), timestamp).parse(input)?;
        let (input, test_id) = cond(has(flags::TEST_ID), string(Field::TestId)).parse(input)?;
        let (input, tags) = cond(has(flags::TAGS), tags).parse(input)?;
        let (input, mime_type) =
            cond(has(flags::MIME_TYPE), string(Field::MimeType)).parse(input)?;
        let (input, file) = cond(has(flags::FILE_CONTENT), file).parse(input)?;
        let (input, route_code) =
            cond(has(flags::ROUTE_CODE), string(Field::RouteCode)).parse(input)?;
        Ok((
            input,
            PacketRef {
                status: Status::from_bits(bits),
                test_id,
                route_code,
                timestamp,
                runnable: has(flags::RUNNABLE),
                tags,
                mime_type,
                file,
                eof: has(flags::EOF),
            },
        ))
    }
}

/// A varint (the workspace's one varint routine), bounded by the packet end.
fn number<'a>(part: Part) -> impl Fn(&'a [u8]) -> Res<'a, u32> {
    move |input: &'a [u8]| match varint::decode(input) {
        Some((value, used)) => Ok((&input[used..], value)),
        None => fail(input, ErrorKind::Overrun { part }),
    }
}

/// Takes `len` bytes, or fails with `overrun(available)`.
fn bytes<'a>(
    len: u32,
    input: &'a [u8],
    overrun: impl FnOnce(usize) -> ErrorKind,
) -> Res<'a, &'a [u8]> {
    match take::<u32, &[u8], ()>(len).parse(input) {
        Ok(done) => Ok(done),
        Err(_) => fail(input, overrun(input.len())),
    }
}

fn timestamp(input: &[u8]) -> Res<'_, Timestamp> {
    let Ok((rest, secs)) = be_u32::<&[u8], ()>(input) else {
        return fail(
            input,
            ErrorKind::Overrun {
                part: Part::Timestamp,
            },
        );
    };
    let (rest, nanos) = number(Part::Timestamp)(rest)?;
    Ok((rest, Timestamp::new(secs, nanos)))
}

/// A UTF-8 string: a varint length, then bytes free of NUL that decode as UTF-8. Checked in
/// python's order: overrun, NUL, UTF-8.
fn string<'a>(field: Field) -> impl Fn(&'a [u8]) -> Res<'a, &'a str> {
    move |input: &'a [u8]| {
        let (rest, len) = number(Part::Length(field))(input)?;
        let (after, raw) = bytes(len, rest, |available| ErrorKind::StringOverrun {
            field,
            claimed: len,
            available,
        })?;
        if let Some(s) = plain_ascii(raw) {
            return Ok((after, s));
        }
        if memchr::memchr(0, raw).is_some() {
            return fail(rest, ErrorKind::Nul { field });
        }
        match std::str::from_utf8(raw) {
            Ok(s) => Ok((after, s)),
            Err(e) => {
                let undecoded = match e.error_len() {
                    // Valid up to an unfinished sequence at the end: python decodes with
                    // final=False and reports the leftover bytes.
                    None => Some(raw.len() - e.valid_up_to()),
                    Some(_) => None,
                };
                fail(rest, ErrorKind::InvalidUtf8 { field, undecoded })
            }
        }
    }
}

/// `raw` as a string when every byte is in `0x01..=0x7F` (ASCII without NUL, the common case),
/// settled in one branch-free pass the compiler vectorises.
#[inline]
fn plain_ascii(raw: &[u8]) -> Option<&str> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of 0 wraps to 0xFF, a byte of 0x80 or more has its top bit set already; in a
    // word, a borrow only ever comes from a 0 byte below, flagged already.
    let mut words = raw.chunks_exact(8);
    let mut flags = 0u64;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let v = u64::from_le_bytes(w);
        flags |= v.wrapping_sub(ONES) | v;
    }
    let tail = words
        .remainder()
        .iter()
        .fold(0u8, |acc, &b| acc | b.wrapping_sub(1) | b);
    if flags & HIGH != 0 || tail & 0x80 != 0 {
        return None;
    }
    // SAFETY: every byte is below 0x80, so `raw` is ASCII, which is valid UTF-8.
    #[allow(unsafe_code)]
    Some(unsafe { std::str::from_utf8_unchecked(raw) })
}

/// A tag count, then that many strings; kept as the checked wire bytes.
fn tags(input: &[u8]) -> Res<'_, Tags<'_>> {
    let (start, count) = number(Part::TagCount)(input)?;
    let tag = string(Field::Tag);
    let mut rest = start;
    // Every tag takes at least one byte, so a huge count ends at the packet end.
    for _ in 0..count {
        rest = tag(rest)?.0;
    }
    let bytes = &start[..start.len() - rest.len()];
    Ok((rest, Tags::Encoded { count, bytes }))
}

/// A file name, a content length, the content.
fn file(input: &[u8]) -> Res<'_, FileRef<'_>> {
    let (rest, name) = string(Field::FileName)(input)?;
    let (rest, len) = number(Part::ContentLength)(rest)?;
    let (rest, content) = bytes(len, rest, |available| ErrorKind::ContentOverrun {
        claimed: len,
        available,
    })?;
    Ok((rest, FileRef { name, content }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, to_vec};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Builds a packet with a correct CRC around `body`, the length field `size` bytes long.
    fn raw_packet(flags: u16, body: &[u8], size: usize) -> Vec<u8> {
        let total = (1 + 2 + size + body.len() + 4) as u32;
        let mut out = vec![SIGNATURE];
        out.extend_from_slice(&flags.to_be_bytes());
        match size {
            1 => out.push(total as u8),
            2 => out.extend_from_slice(&(total as u16 | 0x4000).to_be_bytes()),
            _ => out.extend_from_slice(&(total | 0x80_0000).to_be_bytes()[1..]),
        }
        out.extend_from_slice(body);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    fn string_bytes(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint::encode(s.len() as u32, &mut out);
        out.extend_from_slice(s);
        out
    }

    fn packet(input: &[u8], mode: Mode) -> (PacketRef<'_>, usize) {
        match decode(input, mode) {
            Ok(Decoded::Packet { packet, len }) => (packet, len),
            other => panic!("not a packet: {other:?}"),
        }
    }

    fn error(input: &[u8], mode: Mode) -> DecodeError {
        match decode(input, mode) {
            Err(e) => e,
            other => panic!("not an error: {other:?}"),
        }
    }

    const TS: Timestamp = Timestamp::new(1_704_164_645, 678_901_000);

    #[test]
    fn reference_packet_inprogress_with_timestamp() {
        let bytes = hex("b3 2b02 16 65937d25 e8773508 05 612e622e63 a85d3454");
        for mode in [Mode::Lenient, Mode::Strict] {
            let (p, len) = packet(&bytes, mode);
            assert_eq!(len, 22);
            assert_eq!(
                p.to_packet(),
                Packet::status("a.b.c", Status::InProgress).with_timestamp(TS)
            );
        }
    }

    #[test]
    fn reference_packet_success_with_tag() {
        let bytes =
            hex("b3 2b83 20 65937d25 e8773508 05 612e622e63 01 08 776f726b65722d30 d6f29979");
        let (p, len) = packet(&bytes, Mode::Strict);
        assert_eq!(len, 32);
        assert!(matches!(p.tags, Some(Tags::Encoded { count: 1, .. })));
        assert_eq!(p.tags.unwrap().to_vec(), ["worker-0"]);
        assert_eq!(
            p.to_packet(),
            Packet::status("a.b.c", Status::Success)
                .with_timestamp(TS)
                .with_tags(["worker-0"])
        );
    }

    #[test]
    fn reference_packet_file_with_route_code() {
        let bytes = hex(
            "b3 2d70 36 05 612e622e63 17 746578742f706c61696e3b636861727365743d75746638
             06 7374646f7574 06 68656c6c6f0a 01 30 bc98f241",
        );
        let (p, len) = packet(&bytes, Mode::Strict);
        assert_eq!(len, 54);
        assert_eq!(p.test_id, Some("a.b.c"));
        assert_eq!(p.mime_type, Some("text/plain;charset=utf8"));
        assert_eq!(
            p.file,
            Some(FileRef {
                name: "stdout",
                content: b"hello\n"
            })
        );
        assert_eq!(p.route_code, Some("0"));
        assert!(p.eof && p.runnable && p.timestamp.is_none() && p.tags.is_none());
        assert_eq!(p.status, Status::Undefined);
    }

    #[test]
    fn spec_example_and_two_byte_length() {
        let bytes = hex("b3 2901 0c 03 666f6f 08555f1b");
        assert_eq!(packet(&bytes, Mode::Strict).0.test_id, Some("foo"));
        let p = Packet::default().with_runnable(false).with_file(
            "stdout",
            None,
            vec![0xB3; 100],
            false,
        );
        let bytes = to_vec(&p.as_ref()).unwrap();
        assert_eq!(bytes[3], 0x40);
        let (q, len) = packet(&bytes, Mode::Strict);
        assert_eq!((q.to_packet(), len), (p, 118));
    }

    #[test]
    fn trailing_input_is_left_alone() {
        let mut bytes = hex("b3 2901 0c 03 666f6f 08555f1b");
        bytes.extend_from_slice(b"\xb3rest");
        assert_eq!(packet(&bytes, Mode::Lenient).1, 12);
    }

    #[test]
    fn every_prefix_needs_more_and_says_how_much() {
        let bytes =
            hex("b3 2b83 20 65937d25 e8773508 05 612e622e63 01 08 776f726b65722d30 d6f29979");
        for cut in 0..bytes.len() {
            let needed = match decode(&bytes[..cut], Mode::Strict) {
                Ok(Decoded::NeedMore { needed }) => needed,
                other => panic!("prefix {cut}: {other:?}"),
            };
            if cut >= HEADER_READ {
                assert_eq!(needed, bytes.len() - cut, "prefix {cut}");
            } else {
                assert_eq!(needed, HEADER_READ - cut, "prefix {cut}");
            }
        }
    }

    #[test]
    fn not_a_signature() {
        let e = error(b"hello", Mode::Lenient);
        assert_eq!(e.kind(), ErrorKind::NotSignature { found: b'h' });
        assert_eq!((e.offset(), e.span()), (0, 1));
    }

    #[test]
    fn bad_crc_covers_the_declared_length() {
        let bytes = hex("b3 2901 0c 03 666f6f 08555f1a");
        let e = error(&bytes, Mode::Lenient);
        assert_eq!(
            e.kind(),
            ErrorKind::BadCrc {
                calculated: 0x0855_5f1b,
                stored: 0x0855_5f1a
            }
        );
        assert_eq!((e.offset(), e.span()), (8, 12));
        assert_eq!(
            e.python_message().to_string(),
            "Bad checksum - calculated (0x8555f1b), stored (0x8555f1a)"
        );
    }

    #[test]
    fn four_byte_length_is_refused_after_the_python_header() {
        let bytes = hex("b3 2901 c0000010 78797a");
        assert_eq!(
            decode(&bytes[..5], Mode::Lenient),
            Ok(Decoded::NeedMore { needed: 1 })
        );
        let e = error(&bytes, Mode::Lenient);
        assert_eq!(e.kind(), ErrorKind::FourByteLength);
        assert_eq!((e.offset(), e.span()), (3, 6));
        assert_eq!(
            e.python_message().to_string(),
            "3 byte maximum given but 4 byte value found."
        );
        assert_eq!(
            error(&bytes, Mode::Strict).kind(),
            ErrorKind::FourByteLength
        );
    }

    #[test]
    fn length_too_small_covers_the_header_only() {
        for n in 0..8u8 {
            let bytes = [0xB3, 0x29, 0x01, n, b'a', b'b', b'c', b'd'];
            let e = error(&bytes, Mode::Lenient);
            assert_eq!(
                e.kind(),
                ErrorKind::LengthTooSmall {
                    length: u32::from(n),
                    minimum: 8
                }
            );
            assert_eq!((e.offset(), e.span()), (3, 4));
        }
        // A 2-byte length field needs 9 bytes, a 3-byte one 10.
        let e = error(&hex("b3 2001 4008 61626364"), Mode::Lenient);
        assert_eq!(
            (e.kind(), e.span()),
            (
                ErrorKind::LengthTooSmall {
                    length: 8,
                    minimum: 9
                },
                5
            )
        );
        let e = error(&hex("b3 2001 800009 616263"), Mode::Lenient);
        assert_eq!(
            (e.kind(), e.span()),
            (
                ErrorKind::LengthTooSmall {
                    length: 9,
                    minimum: 10
                },
                6
            )
        );
        // The smallest packet of all: no fields.
        let bytes = raw_packet(0x2000, b"", 1);
        assert_eq!(bytes.len(), 8);
        assert_eq!(
            packet(&bytes, Mode::Strict).0,
            PacketRef {
                runnable: false,
                ..PacketRef::default()
            }
        );
    }

    #[test]
    fn strict_checks_version_and_reserved_bit_lenient_does_not() {
        let v1 = raw_packet(0x1801, &string_bytes(b"id"), 1);
        assert_eq!(packet(&v1, Mode::Lenient).0.test_id, Some("id"));
        let e = error(&v1, Mode::Strict);
        assert_eq!(e.kind(), ErrorKind::BadVersion { version: 1 });
        assert_eq!((e.offset(), e.span()), (1, 1));

        let reserved = raw_packet(0x2809, &string_bytes(b"id"), 1);
        assert_eq!(packet(&reserved, Mode::Lenient).0.status, Status::Exists);
        let e = error(&reserved, Mode::Strict);
        assert_eq!(
            (e.kind(), e.offset(), e.span()),
            (ErrorKind::ReservedBit, 2, 1)
        );
    }

    #[test]
    fn strict_refuses_trailing_bytes() {
        let mut body = string_bytes(b"id");
        body.extend_from_slice(b"zzz");
        let bytes = raw_packet(0x2801, &body, 1);
        assert_eq!(packet(&bytes, Mode::Lenient).0.test_id, Some("id"));
        let e = error(&bytes, Mode::Strict);
        assert_eq!(e.kind(), ErrorKind::TrailingBytes { count: 3 });
        assert_eq!((e.offset(), e.span()), (7, 14));
    }

    // The messages below were checked against python-subunit 1.4.6 on the same bytes.

    #[test]
    fn nul_in_a_string_with_python_offsets_for_each_length_size() {
        for (size, offset, python) in [(1, 5, 2), (2, 6, 3), (3, 7, -1)] {
            let bytes = raw_packet(0x2801, &string_bytes(b"a\0b"), size);
            let e = error(&bytes, Mode::Lenient);
            assert_eq!(
                e.kind(),
                ErrorKind::Nul {
                    field: Field::TestId
                }
            );
            assert_eq!((e.offset(), e.span()), (offset, bytes.len()));
            assert_eq!(
                e.python_message().to_string(),
                format!("UTF8 string at offset {python} contains NUL byte")
            );
        }
        let mut body = string_bytes(b"abc");
        body.extend(string_bytes(b"x\0"));
        let e = error(&raw_packet(0x2c01, &body, 1), Mode::Lenient);
        assert_eq!(
            e.python_message().to_string(),
            "UTF8 string at offset 6 contains NUL byte"
        );
    }

    #[test]
    fn invalid_utf8_both_wordings() {
        let e = error(
            &raw_packet(0x2801, &string_bytes(b"a\xffb"), 1),
            Mode::Lenient,
        );
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidUtf8 {
                field: Field::TestId,
                undecoded: None
            }
        );
        assert_eq!(
            e.python_message().to_string(),
            "UTF8 string at offset 2 is not UTF8"
        );
        let e = error(
            &raw_packet(0x2801, &string_bytes(b"\xed\xa0\x80"), 1),
            Mode::Lenient,
        );
        assert_eq!(
            e.python_message().to_string(),
            "UTF8 string at offset 2 is not UTF8"
        );
        let e = error(
            &raw_packet(0x2801, &string_bytes(b"ab\xe2\x82"), 1),
            Mode::Lenient,
        );
        assert_eq!(
            e.python_message().to_string(),
            "Invalid (partially decodable) string at offset 2, 2 undecoded bytes"
        );
    }

    #[test]
    fn string_and_content_overruns() {
        let mut body = vec![10];
        body.extend_from_slice(b"abc");
        for (size, python) in [(1, 2), (3, -1)] {
            let bytes = raw_packet(0x2801, &body, size);
            let e = error(&bytes, Mode::Lenient);
            assert_eq!(
                e.kind(),
                ErrorKind::StringOverrun {
                    field: Field::TestId,
                    claimed: 10,
                    available: 3
                }
            );
            assert_eq!(
                e.python_message().to_string(),
                format!(
                    "UTF8 string at offset {python} extends past end of packet: claimed 10 \
                     bytes, 3 available"
                )
            );
        }
        let mut body = string_bytes(b"f");
        body.extend_from_slice(&[20, b'x', b'y']);
        let e = error(&raw_packet(0x2041, &body, 1), Mode::Lenient);
        assert_eq!(
            e.kind(),
            ErrorKind::ContentOverrun {
                claimed: 20,
                available: 2
            }
        );
        assert_eq!(e.offset(), 7);
        assert_eq!(
            e.python_message().to_string(),
            "File content extends past end of packet: claimed 20 bytes, 2 available"
        );
    }

    #[test]
    fn varints_and_timestamps_overrunning_the_packet() {
        // python-subunit dies with struct.error on these three.
        let e = error(&raw_packet(0x2201, &[0, 1], 1), Mode::Lenient);
        assert_eq!(
            (e.kind(), e.offset()),
            (
                ErrorKind::Overrun {
                    part: Part::Timestamp
                },
                4
            )
        );
        let e = error(&raw_packet(0x2801, &[0x40], 1), Mode::Lenient);
        assert_eq!(
            e.kind(),
            ErrorKind::Overrun {
                part: Part::Length(Field::TestId)
            }
        );
        let mut body = string_bytes(b"id");
        body.push(3);
        body.extend(string_bytes(b"t1"));
        let e = error(&raw_packet(0x2881, &body, 1), Mode::Lenient);
        assert_eq!(
            (e.kind(), e.offset()),
            (
                ErrorKind::Overrun {
                    part: Part::Length(Field::Tag)
                },
                11
            )
        );
        let mut body = string_bytes(b"f");
        body.push(0x80);
        let e = error(&raw_packet(0x2041, &body, 1), Mode::Lenient);
        assert_eq!(
            e.kind(),
            ErrorKind::Overrun {
                part: Part::ContentLength
            }
        );
        let e = error(&raw_packet(0x2081, &[0xC0, 0, 0], 1), Mode::Lenient);
        assert_eq!(
            e.kind(),
            ErrorKind::Overrun {
                part: Part::TagCount
            }
        );
    }

    #[test]
    fn ascii_fast_path_flags_any_nul_or_high_byte_anywhere() {
        for len in 0..40 {
            let good: Vec<u8> = (0..len).map(|i| b'!' + (i % 90) as u8).collect();
            assert_eq!(plain_ascii(&good).map(str::len), Some(len));
            for at in 0..len {
                for bad in [0x00, 0x80, 0xB3, 0xFF] {
                    let mut s = good.clone();
                    s[at] = bad;
                    assert_eq!(plain_ascii(&s), None, "len {len}, {bad:#x} at {at}");
                }
                let mut s = good.clone();
                s[at] = 0x7F;
                assert!(plain_ascii(&s).is_some());
            }
        }
    }

    #[test]
    fn huge_tag_count_ends_at_the_packet_end() {
        let e = error(
            &raw_packet(0x2081, &[0xFF, 0xFF, 0xFF, 0xFF], 1),
            Mode::Lenient,
        );
        assert_eq!(
            e.kind(),
            ErrorKind::Overrun {
                part: Part::Length(Field::Tag)
            }
        );
    }

    #[test]
    fn wire_quirks_python_accepts() {
        // A non-minimal length field, an empty tag set, repeated tags, 2^30-1 nanoseconds.
        let bytes = raw_packet(0x2801, &string_bytes(b"id"), 2);
        assert_eq!(packet(&bytes, Mode::Strict).0.test_id, Some("id"));
        let mut body = string_bytes(b"id");
        body.push(0);
        let bytes = raw_packet(0x2881, &body, 1);
        let (p, _) = packet(&bytes, Mode::Strict);
        assert!(p.tags.unwrap().is_empty());
        let mut body = string_bytes(b"id");
        body.push(2);
        body.extend(string_bytes(b"a"));
        body.extend(string_bytes(b"a"));
        let bytes = raw_packet(0x2881, &body, 1);
        assert_eq!(
            packet(&bytes, Mode::Strict).0.tags.unwrap().to_vec(),
            ["a", "a"]
        );
        let mut body = 5u32.to_be_bytes().to_vec();
        body.extend_from_slice(&[0xFF; 4]);
        body.extend(string_bytes(b"id"));
        let bytes = raw_packet(0x2a01, &body, 1);
        assert_eq!(
            packet(&bytes, Mode::Strict).0.timestamp,
            Some(Timestamp::new(5, (1 << 30) - 1))
        );
    }

    #[test]
    fn truncated_messages_follow_python() {
        let bytes = hex("b3 2901 0c 03 666f6f 08555f1b");
        let e = truncated(&bytes[..10]);
        assert_eq!(
            e.kind(),
            ErrorKind::Truncated {
                available: 10,
                length: Some(12)
            }
        );
        assert_eq!((e.offset(), e.span(), e.python_data_len()), (10, 10, 6));
        assert_eq!(
            e.python_message().to_string(),
            "Short read - got 4 bytes, wanted 6 bytes"
        );
        let e = truncated(&bytes[..3]);
        assert_eq!((e.span(), e.python_data_len()), (3, 1));
        assert_eq!(
            e.python_message().to_string(),
            "Short read - got 2 bytes, wanted 5 bytes"
        );
        assert_eq!(
            truncated(&bytes[..1]).python_message().to_string(),
            "Short read - got 0 bytes, wanted 5 bytes"
        );
    }
}
