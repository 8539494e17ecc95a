//! The binaries of the toolkit (`subunit-trace`, python-subunit's tools, and the tools that
//! keep runs), and the little they share.
//!
//! # Brief overview
//!
//! - [`cli`]: opening the inputs, the flags the `run_filter_script` tools share, and the ONE
//!   mapping from errors and facts to exit codes ([`cli::run`], [`cli::Fact`]): 0 success, 1
//!   the run failed (by the tool's own rule), 2 the tool could not do its work; a reader
//!   downstream going away is a quiet 0.
//! - [`sql`]: the database options the results-database binaries share (`subunit2sql`,
//!   `sql2subunit`, `subunit2sql-db-manage`, `subunit-sql`, over the `subunit-sql` library).
//! - `subunit-trace`'s progress bar is the `subunit-progress` crate (indicatif), shared with
//!   `valet-suite run` and shown through the sink library's
//!   [`Progress`](subunit_sinks::trace::Progress) hook.
//! - `src/bin/`: one file per tool, each parsing its arguments with clap into the plain option
//!   structs of `subunit-sinks` and `subunit-runs`.
//!
//! # Why it is cut this way
//!
//! The libraries report facts and return typed errors; only the binaries know about processes:
//! arguments, terminals, exit statuses. So clap lives here (and indicatif beside it, in `subunit-progress`), and the mapping to exit
//! codes is written once, in [`cli`]. The integration tests (which run the binaries) are one
//! test binary, `tests/main.rs`.
//!
//! # Module graph
//!
//! Two modules, `cli` and `sql` (which uses `cli`'s error); each binary uses them and the
//! libraries.
//!
//! # Example
//!
//! ```
//! use subunit_sinks::Verdict;
//! use subunit_tools::cli::{self, Fact};
//!
//! assert_eq!(Verdict::Failed.exit_code(), cli::EXIT_TESTS_FAILED);
//! assert_eq!(().exit_code(), cli::EXIT_SUCCESS);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod sql;
