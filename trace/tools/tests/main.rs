//! The integration tests of the tools, as one test binary: each former test file is a module
//! here, so the crate's dependency tree is linked once.
//!
//! `common` and `compare_common` are the shared helpers; the other modules are the tests of
//! one tool or contract each. The tests that run a binary live here; insta keeps their
//! snapshots in `snapshots/` as `tools__<module>__<name>.snap`.

mod common;
mod compare_common;

mod compare_diff;
mod convert;
mod csv;
mod explore;
mod explore_pty;
mod filter;
mod full_disk;
mod html;
mod junit;
mod ls;
mod mime_python;
mod output;
mod replay;
mod sql;
mod stats;
mod store_gaps;
mod store_kill;
mod store_stestr;
mod tags;
mod trace_cli;
mod trace_differences;
mod trace_golden;
mod trace_snapshots;
mod truncated;
