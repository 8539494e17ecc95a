//! The stream sinks: `subunit-trace`'s renderer and python-subunit's filters and converters,
//! as a library of sinks over the parser's events and records.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod convert;
pub mod csv;
pub mod dumb;
mod error;
pub mod filter;
pub mod junit;
pub mod ls;
pub mod output;
pub mod python;
pub mod stats;
pub mod tags;
pub mod trace;
pub mod v1_writer;

pub use error::{Error, Verdict};
