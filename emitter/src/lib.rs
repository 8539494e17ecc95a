//! The subunit v2 packet model and its encoder.
//!
//! This crate is the vocabulary of the workspace: [`Packet`] and [`PacketRef`] (the same packet,
//! owned or borrowed), [`Status`], [`Timestamp`], the flag bits and the size limits are defined
//! here once and used by the parser, the stream tools and the test suite alike.
//!
//! # Brief overview
//!
//! - [`model`]: the packet, its fields and the protocol's constants.
//! - [`encode()`]: a packet into bytes, checked (a NUL in a string, an over-long field or an
//!   over-size packet is an [`EncodeError`], never a panic), with the shortest varints and the
//!   length field python-subunit would choose, so our bytes equal its bytes.
//! - [`chunk`]: a large attachment split into packets that fit, as `subunit-output` splits it.
//! - [`StreamWriter`]: one stream shared by many threads, a whole packet per write, live for
//!   pipes and terminals, buffered for files, with errors reported on write, flush and finish.
//! - [`TestHandle`]: start, attach, finish: what a test runner needs.
//!
//! # Why it is cut this way
//!
//! The model sits with the encoder, not the decoder, because everything that writes a stream
//! (the test suite, the filters) needs the model and the encoder but never the decoder; the
//! parser depends on this crate for the model, and nothing here knows about reading. The
//! borrowed [`PacketRef`] exists so the decoder can return packets that point into its buffer:
//! decoding then costs no allocation at all.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Delivery, Status, StreamWriter};
//!
//! let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
//! let test = writer.test("pkg.module.Class.test_one");
//! test.start()?;
//! test.attach("stdout", "text/plain;charset=utf8", b"hello\n")?;
//! test.finish(Status::Success, &["worker-0"])?;
//! let bytes = writer.finish()?;
//! assert_eq!(bytes[0], 0xB3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod encode;
pub mod mime;
pub mod model;
pub mod report;
pub mod varint;
pub mod writer;

pub use encode::{Chunks, EncodeError, Field, chunk, encode, encoded_len, to_stream, to_vec};
pub use model::{
    FILE_CHUNK_SIZE, File, FileRef, MAX_PACKET_LENGTH, MAX_VARINT, MIN_PACKET_LENGTH, Packet,
    PacketRef, SIGNATURE, Status, TagIter, Tags, Timestamp, UtcDateTime, flags,
};
pub use report::TestHandle;
pub use writer::{Delivery, StreamWriter, WriteError, delivery_for};
