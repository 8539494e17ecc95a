//! The results-database tools (`subunit2sql`, `sql2subunit`, `subunit2sql-db-manage`,
//! `subunit-sql`): against the real subunit2sql 1.10.0 (from the pinned Python environment) on
//! SQLite and on a real PostgreSQL server the harness starts (`pg`).

mod bad_input;
mod cli;
pub mod common;
mod concurrency;
mod interop;
mod migrate;
mod pg;
mod query;
