//! The one error type of the v1 reader.

use std::io;

use subunit_emitter::EncodeError;

pub use super::chunked::ChunkError;

/// Which text of a v1 line had to be UTF-8 and was not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Text {
    /// The label of a `test:` line, or of an outcome line inside a test.
    TestName,
    /// The tags of a `tags:` line.
    Tags,
    /// The value of a `time:` line.
    Time,
    /// A multipart `Content-Type:` line.
    ContentType,
    /// The name line of a multipart part.
    PartName,
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Text::TestName => "test name",
            Text::Tags => "tags",
            Text::Time => "time",
            Text::ContentType => "content type line",
            Text::PartName => "part name",
        })
    }
}

/// Why testtools' result summary, which `subunit-1to2` runs before writing each event, could
/// not read an attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachmentProblem {
    /// The MIME type has a line break inside it, which the `email` package refuses in a header
    /// (python: `ValueError`, raised before the attachment is written).
    LineBreakInType,
    /// A skip's `reason` attachment is not `text/*` (python: `ValueError: Not a text type`,
    /// raised before the skip status is written).
    NotText,
    /// The charset names no codec (python: `LookupError`, before the status is written).
    UnknownCharset {
        /// The charset.
        charset: String,
    },
    /// The bytes are not valid in the attachment's charset (python: `UnicodeDecodeError`,
    /// raised before the `fail`, `xfail` or `skip` status is written).
    Undecodable {
        /// The charset.
        charset: String,
    },
}

impl std::fmt::Display for AttachmentProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachmentProblem::LineBreakInType => f.write_str("its content type has a line break"),
            AttachmentProblem::NotText => f.write_str("a skip reason must be text"),
            AttachmentProblem::UnknownCharset { charset } => {
                write!(f, "charset {charset:?} is unknown")
            }
            AttachmentProblem::Undecodable { charset } => {
                write!(f, "it is not valid {charset}")
            }
        }
    }
}

/// Why reading a v1 stream stopped.
///
/// Damaged v1 text is mostly not an error: python-subunit turns it into plain output, and so
/// does [`V1Reader`](super::V1Reader). The variants after the I/O ones are the places where
/// python-subunit 1.4.6's `subunit-1to2` itself gives up with an exception (and exits 1) — the
/// stream cannot be represented the way python would represent it, so the reader stops there
/// too, after yielding every event python writes before that point. Line numbers count from 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum V1Error {
    /// Reading the input failed.
    #[error("reading the v1 stream failed")]
    Read(#[source] io::Error),
    /// Writing the v2 output failed ([`v1_to_v2`](super::v1_to_v2) only).
    #[error("writing the v2 stream failed")]
    Write(#[source] io::Error),
    /// A converted packet cannot be encoded, for instance a test name with a NUL in it
    /// ([`v1_to_v2`](super::v1_to_v2) only; python writes such a packet and its own reader
    /// then rejects it).
    #[error("a converted packet cannot be encoded")]
    Encode(#[from] EncodeError),
    /// Text python decodes as UTF-8 is not UTF-8 (python: `UnicodeDecodeError`).
    #[error("line {line}: the {what} is not valid UTF-8")]
    NotUtf8 {
        /// The line.
        line: u64,
        /// Which text.
        what: Text,
    },
    /// A `time:` value `iso8601.parse_date` rejects (python: `ParseError`).
    #[error("line {line}: cannot parse time {text:?}")]
    BadTime {
        /// The line.
        line: u64,
        /// The value, without the line end.
        text: String,
    },
    /// A `time:` value before 1970 or after 2106 reached a packet, whose timestamp is 32-bit
    /// unsigned seconds (python: `struct.error`). Reported when the first packet needs it.
    #[error("line {line}: time {text:?} does not fit a packet timestamp (1970 to 2106)")]
    TimeOutOfRange {
        /// The line of the `time:` directive.
        line: u64,
        /// Its value.
        text: String,
    },
    /// A `progress:` value that is not `push`, `pop` or an integer (python: `ValueError`).
    #[error("line {line}: bad progress value {text:?}")]
    BadProgress {
        /// The line.
        line: u64,
        /// The value, stripped, lossily decoded.
        text: String,
    },
    /// A `uxsuccess:` line outside any test: python-subunit's parser has no handler for it
    /// there and stops with `AttributeError` (other outcomes outside a test are plain output).
    #[error("line {line}: uxsuccess outside a test")]
    UxSuccessOutsideTest {
        /// The line.
        line: u64,
    },
    /// An attachment python's result summary cannot read; python stops there (see
    /// [`AttachmentProblem`] for which events it writes first).
    #[error("line {line}: attachment {name:?} cannot be read: {problem}")]
    Attachment {
        /// The line that ended the test.
        line: u64,
        /// The attachment's name.
        name: String,
        /// What is wrong with it.
        problem: AttachmentProblem,
    },
    /// A multipart part header that is not `FIELD TYPE/SUBTYPE` (python: `ValueError`).
    #[error("line {line}: bad multipart content type line {text:?}")]
    BadContentType {
        /// The line.
        line: u64,
        /// The line, without its end.
        text: String,
    },
    /// A multipart part body the chunked decoder rejects (python: `ValueError` or an
    /// assertion).
    #[error("line {line}: bad multipart chunk: {reason}")]
    BadChunk {
        /// The line.
        line: u64,
        /// What was wrong.
        reason: ChunkError,
    },
}
