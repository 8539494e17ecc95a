//! The stream tools: `subunit-trace` and python-subunit's filters and converters, as a library
//! of sinks over the parser's events and records, and thin binaries on top.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod compare;
pub mod convert;
pub mod csv;
pub mod explore;
pub mod filter;
pub mod junit;
pub mod ls;
pub mod output;
pub mod replay;
pub mod stats;
pub mod store;
pub mod tags;
pub mod trace;
pub mod v1_writer;
