//! Reading subunit streams: a sans-I/O v2 decoder built on nom, a streaming reader with
//! bounded memory, python-subunit's event view (stray bytes as `stdout`, damaged packets as the
//! `subunit.parser` pseudo-test), the v1 text protocol, and the fold of events into per-test
//! records with testtools' semantics.
#![deny(missing_docs)]

pub mod decode;
pub mod error;
pub mod events;
pub mod fold;
pub mod reader;
pub mod v1;
