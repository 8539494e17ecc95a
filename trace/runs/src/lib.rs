//! Keeping runs: the `.stestr` run store, comparing runs, history and flaky tests, replay, and
//! the interactive explorer.
//!
//! # Brief overview
//!
//! - [`store`]: a run store in stestr's `.stestr/` layout (runs as subunit v1 files, the
//!   failing run, `times.dbm`), and stestr's human reports over it ([`store::report`]).
//! - [`compare`]: two runs test by test (`subunit-diff`), and many stored runs for flaky tests
//!   and per-test histories ([`compare::history`]).
//! - [`page`]: a stored run as an HTML page with the store's history (`subunit-store
//!   report`), and two runs side by side (`subunit-diff --html`), on [`subunit_sinks::html`].
//! - [`replay`]: a stored run or a stream re-emitted with its original pacing.
//! - [`explore`]: the interactive explorer's commands over one run (its line editor's helper
//!   in [`explore::complete`]).
//!
//! # Why it is cut this way
//!
//! Everything that keeps or revisits runs, and only that, lives here, on top of the sinks of
//! `subunit-sinks`: every reading of a run goes through its one
//! [`Pipeline`](subunit_sinks::pipeline::Pipeline), and each report is a
//! [`Sink`](subunit_sinks::pipeline::Sink). The heavier dependencies of these tools (rustyline,
//! similar, serde) stay out of the sink library, and the command lines stay out of here: the
//! functions take plain option structs, return typed errors and report facts
//! ([`Verdict`](subunit_sinks::Verdict)); `subunit-tools` parses arguments and chooses exit
//! codes.
//!
//! # Module graph
//!
//! ```text
//! store (leaf here; uses subunit-sinks)     store::report -> store
//! compare -> store::report, compare::source; compare::source -> store
//! compare::render -> compare, store::report  compare::history -> compare, store, store::report
//! compare::store_cmds -> compare::history, store
//! replay -> store      explore -> compare, compare::render, store, store::report
//! explore::complete -> explore       page -> compare, compare::history, store, store::report
//! ```
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_runs::store::Store;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::init(dir.path())?;
//! let stream = to_vec(&Packet::status("t.a", Status::Fail).as_ref())?;
//! let mut seen = 0;
//! store.load(vec![("-".into(), &stream[..])], None, |_| {
//!     seen += 1;
//!     Ok(())
//! })?;
//! assert_eq!(seen, 1);
//! assert_eq!(store.run_ids()?, [0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod compare;
pub mod explore;
pub mod page;
pub mod replay;
pub mod store;
