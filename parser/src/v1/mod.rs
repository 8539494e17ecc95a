//! The subunit v1 text protocol, read into the v2 events python-subunit's `subunit-1to2`
//! writes for it.
//!
//! # Brief overview
//!
//! - [`V1Reader`]: an iterator over a [`BufRead`](std::io::BufRead) that yields owned
//!   [`Packet`](subunit_emitter::Packet)s — the same events, in the same order and with the same
//!   fields, as python-subunit 1.4.6's `subunit-1to2` (its `TestProtocolServer` feeding
//!   testtools' `ExtendedToStreamDecorator`).
//! - [`v1_to_v2`]: the whole conversion, encoded with the emitter; [`PlainLines`] chooses
//!   whether lines outside tests are written raw (`subunit-1to2`'s bytes) or in `stdout`
//!   packets (a clean v2 stream whatever the lines hold).
//! - [`V1Error`]: I/O, plus the inputs on which python itself stops with an exception.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Status, Timestamp};
//! use subunit_parser::v1::V1Reader;
//!
//! let v1 = b"time: 2024-01-02 03:04:05Z\ntest: pkg.test_one\nfailure: pkg.test_one [\nboom\n]\n";
//! let packets = V1Reader::new(&v1[..]).collect::<Result<Vec<_>, _>>()?;
//! let statuses: Vec<Status> = packets.iter().map(|p| p.status).collect();
//! assert_eq!(statuses, [Status::InProgress, Status::Undefined, Status::Fail]);
//! let traceback = packets[1].file.as_ref().unwrap();
//! assert_eq!((traceback.name.as_str(), &traceback.content[..]), ("traceback", &b"boom\n"[..]));
//! assert_eq!(packets[2].timestamp, Some(Timestamp::new(1_704_164_645, 0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why it copies python's quirks
//!
//! v1 has no formal grammar that tools agree on; in practice "v1" means what python-subunit
//! parses. So the reader follows python's line handling byte for byte, quirks included: the
//! argument of a directive starts one byte after its keyword and loses the line's last byte,
//! `skip` is matched as a substring (`p: x` skips `x`), the chunked decoder of multipart
//! details keeps python's buffering, and `time:` values go through a port of the `iso8601`
//! pattern. A cleaner reader would produce different tests from the same old logs than the
//! tool people have been using, and the differences would show up exactly on the damaged
//! streams where nobody looks closely.

mod chunked;
mod error;
mod line;
mod reader;
mod summary;
mod time;

pub use error::{AttachmentProblem, ChunkError, Text, V1Error};
pub use reader::{
    Clock, LOST_CONNECTION_MIME, PlainLines, TEXT_MIME, TRACEBACK_MIME, V1Reader, v1_to_v2,
};

#[cfg(test)]
mod tests;
