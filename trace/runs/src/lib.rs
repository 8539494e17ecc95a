//! Keeping runs: the `.stestr` run store, comparing runs, history and flaky tests, replay, and
//! the interactive explorer.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod compare;
pub mod explore;
pub mod replay;
pub mod store;
