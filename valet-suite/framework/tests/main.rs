//! The framework's integration tests, one binary: the runner's streams and the failure table,
//! over the lifecycle examples.

mod common;

mod balance;
mod credentials;
mod failure_table;
mod runner;
