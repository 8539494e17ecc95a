//! The suite's integration tests, one binary: the `valet-suite` command (selection, exit codes,
//! configuration, the live view, `serve`), its stream against Tempest's and the Python readers,
//! and the Valet tests against the embedded cloud and faulty ones.

// The stream decoder the framework's tests use, and the cloud tests' HTTP helpers: one copy
// each.
#[path = "../../framework/tests/common/mod.rs"]
mod common;
#[path = "../../cloud/tests/common/http.rs"]
#[allow(dead_code)]
mod http;

mod cli;
mod config;
mod live;
mod python_readers;
mod run_habits;
mod scenario;
mod serve;
mod tempest_compare;
mod tls;
mod valet_faults;
mod valet_suite;
