//! Reading subunit streams: a sans-I/O v2 decoder built on nom, a streaming reader with
//! bounded memory, python-subunit's event view (stray bytes as `stdout`, damaged packets as the
//! `subunit.parser` pseudo-test), the v1 text protocol, and the fold of events into per-test
//! records with testtools' semantics.
//!
//! # Brief overview
//!
//! - [`decode`]: bytes in, a [`PacketRef`](subunit_emitter::PacketRef) borrowing them out (or
//!   "need more", or a [`DecodeError`](error::DecodeError) with its byte offset). No I/O, no
//!   allocation, never blocks: the caller feeds it any split of the stream.
//! - [`reader`]: [`PacketReader`](reader::PacketReader) owns the buffering over any
//!   [`std::io::Read`], memory bounded by the largest packet plus 64 KiB, and hands out every
//!   byte of the stream exactly once: as a packet, as stray bytes, or as a damaged packet.
//! - [`events`]: [`EventReader`](events::EventReader) gives the events python-subunit's
//!   `ByteStreamToStreamResult` gives, or stops at the first damage in strict mode.
//! - [`fold`]: [`Fold`](fold::Fold) turns events into [`TestRecord`](fold::TestRecord)s the moment
//!   each test ends, so memory follows the tests in flight, not the stream.
//! - [`v1`]: the v1 text protocol, read into the same events `subunit-1to2` writes.
//!
//! # Why it is cut this way
//!
//! Each layer answers one question and knows nothing above it. The decoder decides what a
//! packet is; the reader decides where bytes come from and what to do with bytes that are not
//! a packet; the event view decides how a damaged stream looks to a consumer (python's way, so
//! existing tools react the same); the fold decides what a test's result is. A tool that passes
//! bytes through untouched (a filter) stops at the reader; a tool that reports on tests reads
//! records. The packet model itself lives in `subunit-emitter`, so writers never depend on
//! this crate.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Delivery, Status, StreamWriter};
//! use subunit_parser::events::EventReader;
//! use subunit_parser::fold::{Fold, Summary};
//!
//! let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
//! let test = writer.test("pkg.Class.test_one");
//! test.start()?;
//! test.finish(Status::Fail, &["worker-0"])?;
//! let bytes = writer.finish()?;
//!
//! let mut events = EventReader::new(&bytes[..]);
//! let mut fold = Fold::new();
//! let mut summary = Summary::new();
//! while let Some(event) = events.next_event()? {
//!     if let Some(record) = fold.push(&event) {
//!         assert_eq!(record.id, "pkg.Class.test_one");
//!         summary.add(&record);
//!     }
//! }
//! assert_eq!((summary.tests_run, summary.fail), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod decode;
pub mod error;
pub mod events;
pub mod fold;
pub mod reader;
pub mod v1;
