//! The errors of the v2 decoder and the readers built on it.
//!
//! There are two layers, cut along the same line as the code. A [`DecodeError`] is what the
//! sans-I/O decoder says about one packet: what is wrong ([`ErrorKind`]), where inside the packet
//! ([`DecodeError::offset`]) and how many bytes the damaged packet covers
//! ([`DecodeError::span`], where a reader resumes scanning). A [`ReadError`] is what a reader
//! over a stream returns: an I/O failure, or (in strict mode) the first damaged packet with its
//! offset in the stream.
//!
//! Every kind also knows the message python-subunit 1.4.6 puts in its `Parser Error` attachment
//! ([`DecodeError::python_message`]), so the event view can report damage exactly as python does.

use std::fmt;

use subunit_emitter::Field;

/// A part of a packet that is not a string body: a fixed-size field or a varint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The timestamp (seconds and the nanosecond varint).
    Timestamp,
    /// The varint counting the tags.
    TagCount,
    /// The varint giving the byte length of a string field.
    Length(Field),
    /// The varint giving the length of the file content.
    ContentLength,
    /// The fields as a whole, when no single part is to blame.
    Fields,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Timestamp => f.write_str("timestamp"),
            Part::TagCount => f.write_str("tag count"),
            Part::Length(field) => write!(f, "length of the {field}"),
            Part::ContentLength => f.write_str("file content length"),
            Part::Fields => f.write_str("fields"),
        }
    }
}

/// What is wrong with a packet.
///
/// The kinds marked *strict* are only reported by [`Mode::Strict`](crate::decode::Mode);
/// python-subunit (and [`Mode::Lenient`](crate::decode::Mode)) does not check them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input does not start with the signature byte `0xB3`.
    NotSignature {
        /// The byte found instead.
        found: u8,
    },
    /// *Strict:* the version nibble of the flags is not 2.
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// *Strict:* the reserved flag bit `0x0008` is set.
    ReservedBit,
    /// The length field is a 4-byte varint; a packet length takes at most 3 bytes.
    FourByteLength,
    /// The declared length cannot hold the packet's own header and CRC (8 bytes at least; 9 or
    /// 10 with a 2- or 3-byte length field).
    LengthTooSmall {
        /// The declared length.
        length: u32,
        /// The least this packet's header and CRC need.
        minimum: u32,
    },
    /// The stream ends inside the packet.
    Truncated {
        /// How many bytes of the packet there are, the signature included.
        available: usize,
        /// The declared length, when the header was complete.
        length: Option<u32>,
    },
    /// The CRC32 does not match.
    BadCrc {
        /// The CRC of the bytes.
        calculated: u32,
        /// The CRC the packet carries.
        stored: u32,
    },
    /// A fixed-size field or a varint runs past the end of the packet.
    Overrun {
        /// The part that does not fit.
        part: Part,
    },
    /// A string claims more bytes than the packet has left.
    StringOverrun {
        /// The string field.
        field: Field,
        /// The length it claims.
        claimed: u32,
        /// The bytes left before the CRC.
        available: usize,
    },
    /// The file content claims more bytes than the packet has left.
    ContentOverrun {
        /// The length it claims.
        claimed: u32,
        /// The bytes left before the CRC.
        available: usize,
    },
    /// A string contains a NUL byte.
    Nul {
        /// The string field.
        field: Field,
    },
    /// A string is not valid UTF-8.
    InvalidUtf8 {
        /// The string field.
        field: Field,
        /// When the string is valid but ends inside a UTF-8 sequence: how many bytes are left
        /// undecoded (python words this case differently).
        undecoded: Option<usize>,
    },
    /// *Strict:* bytes are left between the last field and the CRC.
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::NotSignature { found } => {
                write!(f, "expected the signature 0xb3, found {found:#04x}")
            }
            ErrorKind::BadVersion { version } => {
                write!(f, "version {version} where 2 was expected")
            }
            ErrorKind::ReservedBit => f.write_str("the reserved flag bit 0x0008 is set"),
            ErrorKind::FourByteLength => {
                f.write_str("the length field takes 4 bytes where at most 3 are allowed")
            }
            ErrorKind::LengthTooSmall { length, minimum } => write!(
                f,
                "declared length {length} is below the {minimum} bytes of the header and CRC"
            ),
            ErrorKind::Truncated {
                available,
                length: Some(length),
            } => write!(
                f,
                "the stream ends {available} bytes into a packet of {length} bytes"
            ),
            ErrorKind::Truncated {
                available,
                length: None,
            } => write!(
                f,
                "the stream ends {available} bytes into a packet, inside its header"
            ),
            ErrorKind::BadCrc { calculated, stored } => write!(
                f,
                "bad CRC32: calculated {calculated:#010x}, stored {stored:#010x}"
            ),
            ErrorKind::Overrun { part } => {
                write!(f, "the {part} runs past the end of the packet")
            }
            ErrorKind::StringOverrun {
                field,
                claimed,
                available,
            } => write!(
                f,
                "the {field} claims {claimed} bytes where the packet has {available} left"
            ),
            ErrorKind::ContentOverrun { claimed, available } => write!(
                f,
                "the file content claims {claimed} bytes where the packet has {available} left"
            ),
            ErrorKind::Nul { field } => write!(f, "the {field} contains a NUL byte"),
            ErrorKind::InvalidUtf8 {
                field,
                undecoded: None,
            } => write!(f, "the {field} is not valid UTF-8"),
            ErrorKind::InvalidUtf8 {
                field,
                undecoded: Some(n),
            } => write!(
                f,
                "the {field} ends inside a UTF-8 sequence ({n} undecoded bytes)"
            ),
            ErrorKind::TrailingBytes { count } => {
                write!(f, "{count} unused bytes between the last field and the CRC")
            }
        }
    }
}

/// A damaged packet, as the decoder finds it.
///
/// Offsets count from the packet's signature byte (offset 0). A reader adds the offset of the
/// packet in its stream (see [`ReadError::offset`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset} of the packet)")]
pub struct DecodeError {
    kind: ErrorKind,
    offset: usize,
    span: usize,
    length_size: u8,
}

impl DecodeError {
    /// An error of `kind` at `offset`, the damaged packet covering `span` bytes, its length
    /// field taking `length_size` bytes (0 when it was not read).
    pub(crate) const fn new(kind: ErrorKind, offset: usize, span: usize, length_size: u8) -> Self {
        DecodeError {
            kind,
            offset,
            span,
            length_size,
        }
    }

    /// What is wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where, counted from the packet's signature: the start of the field at fault (for a
    /// string, the first byte after its length), the CRC for a bad CRC, the length field for a
    /// bad length, the end of the input for a truncated packet.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes, from the signature, the damaged packet covers: where scanning resumes.
    ///
    /// This is what python-subunit consumes: the whole declared length once the length was
    /// read and the bytes are there (a bad CRC, a bad field); the signature and the 5 header
    /// bytes it reads first for a 4-byte length field. Two cases are ours: a length too small
    /// for its own header covers the signature, flags and length field only (python reads
    /// `length - 6` bytes there: a negative count for lengths under 6); a bad version or a set
    /// reserved bit (strict mode) covers the signature byte only, as the spec asks ("treat the
    /// 0xB3 as an opaque byte and rescan").
    pub const fn span(&self) -> usize {
        self.span
    }

    /// The text python-subunit 1.4.6 puts in the `Parser Error` attachment for this damage,
    /// byte for byte (`Bad checksum - calculated (0x8555f1b), stored (0x8555f1a)`, `Short read
    /// - got 4 bytes, wanted 16 bytes`, ...).
    ///
    /// String offsets in those messages are python's own: counted from the flags for a 1- or
    /// 2-byte length field, from the first field for a 3-byte one, minus 2 (so they can be
    /// negative). Three kinds have no python message, and get one in python's style: a length
    /// too small for the header (python swallows or crashes there), a varint or timestamp
    /// running past the packet end (python dies with `struct.error`), and the strict-only kinds.
    pub fn python_message(&self) -> PythonMessage<'_> {
        PythonMessage(self)
    }

    /// How many bytes of the damaged packet python-subunit puts in its `Packet data` attachment:
    /// the span, except for a truncated packet, where python keeps only the bytes of the reads
    /// that succeeded (the signature, plus the 5 header bytes once they were all there).
    pub(crate) fn python_data_len(&self) -> usize {
        match self.kind {
            ErrorKind::Truncated { length: None, .. } => 1,
            ErrorKind::Truncated {
                length: Some(_), ..
            } => 6,
            _ => self.span,
        }
    }

    /// `offset` (the first byte of a string) in python's frame: the offset python reports.
    fn python_offset(&self) -> i64 {
        let frame_start = if self.length_size >= 3 { 6 } else { 1 };
        self.offset as i64 - frame_start - 2
    }
}

/// The `Parser Error` text python-subunit writes for a [`DecodeError`]; see
/// [`DecodeError::python_message`].
#[derive(Clone, Copy, Debug)]
pub struct PythonMessage<'a>(&'a DecodeError);

impl fmt::Display for PythonMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        let at = e.python_offset();
        match e.kind {
            ErrorKind::Truncated {
                available,
                length: None,
            } => write!(
                f,
                "Short read - got {} bytes, wanted 5 bytes",
                available.saturating_sub(1)
            ),
            ErrorKind::Truncated {
                available,
                length: Some(length),
            } => write!(
                f,
                "Short read - got {} bytes, wanted {} bytes",
                available.saturating_sub(6),
                length.saturating_sub(6)
            ),
            ErrorKind::FourByteLength => {
                f.write_str("3 byte maximum given but 4 byte value found.")
            }
            ErrorKind::LengthTooSmall { length, minimum } => write!(
                f,
                "Length too small - claimed {length} bytes, the header and CRC need {minimum}"
            ),
            ErrorKind::BadCrc { calculated, stored } => write!(
                f,
                "Bad checksum - calculated (0x{calculated:x}), stored (0x{stored:x})"
            ),
            ErrorKind::StringOverrun {
                claimed, available, ..
            } => write!(
                f,
                "UTF8 string at offset {at} extends past end of packet: claimed {claimed} \
                 bytes, {available} available"
            ),
            ErrorKind::ContentOverrun { claimed, available } => write!(
                f,
                "File content extends past end of packet: claimed {claimed} bytes, \
                 {available} available"
            ),
            ErrorKind::Nul { .. } => write!(f, "UTF8 string at offset {at} contains NUL byte"),
            ErrorKind::InvalidUtf8 {
                undecoded: None, ..
            } => write!(f, "UTF8 string at offset {at} is not UTF8"),
            ErrorKind::InvalidUtf8 {
                undecoded: Some(n), ..
            } => write!(
                f,
                "Invalid (partially decodable) string at offset {at}, {n} undecoded bytes"
            ),
            ErrorKind::Overrun { part } => write!(
                f,
                "Field ({part}) at byte {} of the packet extends past end of packet",
                e.offset
            ),
            ErrorKind::NotSignature { .. }
            | ErrorKind::BadVersion { .. }
            | ErrorKind::ReservedBit
            | ErrorKind::TrailingBytes { .. } => write!(f, "{}", e.kind),
        }
    }
}

/// Why reading a stream stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The underlying reader failed. The reader keeps its state: after a transient error
    /// (`WouldBlock`, say) the next call carries on where this one stopped.
    #[error("cannot read the stream: {0}")]
    Io(#[from] std::io::Error),
    /// Strict mode: a damaged packet.
    #[error("damaged packet at byte {start} of the stream: {error}")]
    Damaged {
        /// The offset of the packet's signature in the stream.
        start: u64,
        /// What is wrong with it.
        error: DecodeError,
    },
}

impl ReadError {
    /// For a damaged packet, the offset of the fault in the stream (the packet's start plus
    /// [`DecodeError::offset`]).
    pub fn offset(&self) -> Option<u64> {
        match self {
            ReadError::Io(_) => None,
            ReadError::Damaged { start, error } => Some(start + error.offset() as u64),
        }
    }

    /// For a damaged packet, the decoder's error.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match self {
            ReadError::Io(_) => None,
            ReadError::Damaged { error, .. } => Some(error),
        }
    }
}
