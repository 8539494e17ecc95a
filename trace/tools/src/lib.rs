//! The binaries' shared part: argument parsing helpers, the progress bar, and the one mapping
//! from errors and verdicts to exit codes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod progress;
