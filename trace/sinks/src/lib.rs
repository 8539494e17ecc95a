//! The stream sinks: `subunit-trace`'s renderer and python-subunit's filters and converters, as
//! one [`Sink`] trait, one pipeline that feeds it, and a sink per tool.
//!
//! # Brief overview
//!
//! - [`pipeline`]: the [`Sink`] trait and the one
//!   [`Pipeline`] (read -> python's event view -> fold -> flush of the tests
//!   left open). It owns testtools' rules (`exists` dropped or folded, events without a test id
//!   kept out of the fold, open tests flushed newest first); a sink only says what to do with
//!   an event as read and with a test once it ended.
//! - The sinks, one module each: [`trace`] (stestr's `subunit-trace`), [`stats`]
//!   (`subunit-stats`), [`ls`], [`csv`], [`junit`] (the three under python's
//!   `run_filter_script`, [`script`]),
//!   [`filter`], [`tags`], [`output`] (`subunit-output`, a writer), [`convert`]
//!   (`subunit-1to2`, `subunit-2to1`), [`v1_writer`] (the v1 text protocol) and [`html`] (a run
//!   as one self-contained HTML page: `subunit2html`, `subunit-store report`).
//! - [`python`]: python's rendering rules in one place (`repr`s, testtools' MIME types and
//!   decoding, `datetime` texts, python's re-encoding of events).
//! - [`dumb`]: python's `dbm.dumb` files, where stestr keeps test times (read by `--perc-diff`).
//! - [`Error`] and [`Verdict`]: what a sink fails with, and the fact it reports about the run.
//!   Sinks never choose exit codes; the binaries (`subunit-tools`) turn verdicts and errors
//!   into them.
//!
//! # Why it is cut this way
//!
//! As ripgrep's searcher reports to a `Sink` and its printers implement it, the pipeline here
//! reads and folds once and every output format is a sink: a new format is one file with one
//! `impl Sink`, and touches nothing upstream. The crate holds everything a program needs to
//! *show* a stream (the live view of `valet-suite run` links only this crate), and nothing to
//! parse command lines, draw progress bars or keep runs: no clap, no rustyline, no indicatif.
//! The run store, comparisons and the explorer are `subunit-runs`; the binaries are
//! `subunit-tools`.
//!
//! # Module graph
//!
//! Arrows point one way (`a -> b`: `a` uses `b`); nothing imports in a circle.
//!
//! ```text
//! error   pipeline   dumb   python::text          (leaves)
//! python -> error
//! v1_writer -> python            convert -> pipeline, v1_writer, error
//! script -> pipeline, python     stats, csv, junit -> script, python, error
//! ls, tags -> pipeline, error    filter -> pipeline, python       output -> error
//! trace: sink -> pipeline, line, live, progress, summary, times; stdout -> sink;
//!        line -> color, summary, python; times -> line, dumb; summary -> error
//! html -> pipeline, python, stats, trace::line, convert, error
//! ```
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_sinks::Verdict;
//! use subunit_sinks::trace::{Trace, TraceOptions};
//!
//! let mut stream = to_vec(&Packet::status("t.a", Status::Success).as_ref())?;
//! stream.extend(to_vec(&Packet::status("t.b", Status::Fail).as_ref())?);
//! let mut out = Vec::new();
//! let mut err = Vec::new();
//! let verdict = Trace::new(&mut out, TraceOptions::default()).run(&stream[..], &mut err)?;
//! assert_eq!(verdict, Verdict::Failed);
//! // No timestamps: stestr prints an empty duration.
//! assert!(String::from_utf8(out)?.starts_with("{0} t.a [] ... ok\n{0} t.b [] ... FAILED\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod convert;
pub mod csv;
pub mod dumb;
mod error;
pub mod filter;
pub mod html;
pub mod junit;
pub mod ls;
pub mod output;
pub mod pipeline;
pub mod python;
pub mod script;
pub mod stats;
pub mod tags;
pub mod trace;
pub mod v1_writer;

pub use error::{Error, Verdict};
pub use pipeline::{Exists, Feed, Open, Pipeline, Records, Sink, View};
