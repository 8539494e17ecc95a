//! The live view of a run: the stream the run writes, shown by subunit-trace's sink.
//!
//! There is one renderer, not two. The run writes its subunit v2 stream into a pipe, exactly as
//! `valet-suite run --subunit` writes it to stdout, and a reader thread feeds those bytes to
//! [`Trace`], the sink `subunit-trace` is made of. So `valet-suite run` prints what
//! `valet-suite run --subunit | subunit-trace` prints, and each test's line appears as the test
//! ends.
//!
//! This module is the only place the framework (and the suite above it) reaches the sink
//! library: the sink and its options are re-exported here.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use subunit_emitter::{Delivery, StreamWriter};
pub use subunit_sinks::trace::{ColorWhen, Trace, TraceOptions};

use crate::config::Config;
use crate::runner::{self, RunError, RunOptions, RunSummary};
use crate::select::Selection;
use crate::suite::Suite;

/// The live trace on stdout: `subunit-trace`'s sink with its defaults, the colour as asked,
/// and progress on stderr when stderr is a terminal.
///
/// # Errors
///
/// Duplicating the stdout descriptor failed.
pub fn stdout_trace(color: ColorWhen) -> io::Result<Trace<BufWriter<File>>> {
    subunit_sinks::trace::stdout_trace(TraceOptions {
        color: color.resolve_for_stdout(),
        ..TraceOptions::default()
    })
}

/// Why a traced run could not deliver its results.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The pipe between the run and the view could not be made.
    #[error("making the pipe to the live view")]
    Pipe(#[source] io::Error),
    /// The view failed: writing its output, or reading the stream.
    #[error("showing the live trace")]
    Trace(#[source] subunit_sinks::Error),
    /// The view's thread panicked.
    #[error("the live view's thread died: {0}")]
    TraceThread(String),
    /// The run failed (see [`RunError`]).
    #[error(transparent)]
    Run(#[from] RunError),
}

/// What a traced run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    /// The run's own account of its results (the command's exit code comes from it).
    pub summary: RunSummary,
    /// The exit code subunit-trace gives the stream (stestr's rules: 1 also when no test
    /// passed, e.g. every test skipped).
    pub trace_code: u8,
}

/// Runs `selection` of `suite` as [`runner::run`] does, showing the stream through `trace` as it
/// is written; `trace`'s closing messages (stestr's verdict) go to `err`.
///
/// When the view fails (its output went away or cannot be written), the run stops at its next
/// write and the view's error is returned; a failure of the run itself comes second.
pub fn run_traced<O, E>(
    suite: &Suite,
    selection: &Selection,
    config: Arc<Config>,
    opts: &RunOptions,
    trace: Trace<O>,
    err: E,
) -> Result<Traced, LiveError>
where
    O: Write + Send,
    E: Write + Send,
{
    run_traced_copy(suite, selection, config, opts, trace, err, io::sink())
}

/// [`run_traced`], with every byte of the stream also written to `copy` as the view gets it
/// (a [`Tee`]'s second writer: its errors do not stop the run). `copy` is dropped when the run
/// ends, so a pipe's reader sees the end of the stream.
pub fn run_traced_copy<O, E, C>(
    suite: &Suite,
    selection: &Selection,
    config: Arc<Config>,
    opts: &RunOptions,
    trace: Trace<O>,
    mut err: E,
    copy: C,
) -> Result<Traced, LiveError>
where
    O: Write + Send,
    E: Write + Send,
    C: Write + Send,
{
    let (reader, pipe) = io::pipe().map_err(LiveError::Pipe)?;
    std::thread::scope(|s| {
        let view = std::thread::Builder::new()
            .name("valet-trace".to_owned())
            .spawn_scoped(s, move || trace.run(reader, &mut err))
            .map_err(LiveError::Pipe)?;
        let writer = StreamWriter::new(Tee::new(pipe, copy), Delivery::Live);
        let ran = runner::run(suite, selection, config, &writer, opts);
        // Closing the pipe ends the view's stream.
        let closed = writer.finish().map(|tee| drop(tee.into_first()));
        let shown = view.join().map_err(|p| {
            LiveError::TraceThread(
                p.downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default(),
            )
        })?;
        let trace_code = u8::from(!shown.map_err(LiveError::Trace)?.is_passed());
        let summary = ran?;
        closed.map_err(RunError::Write)?;
        Ok(Traced {
            summary,
            trace_code,
        })
    })
}

/// A writer that writes everything to `first` and a copy to `second`. Errors of `first` are
/// the writer's; the first error of `second` is kept ([`Tee::second_error`]) and `second` is
/// then dropped, so a failing copy (a store that could not keep the run) does not stop what
/// writes to `first`.
#[derive(Debug)]
pub struct Tee<A, B> {
    first: A,
    second: Option<B>,
    second_error: Option<io::Error>,
}

impl<A: Write, B: Write> Tee<A, B> {
    /// Both writers.
    pub fn new(first: A, second: B) -> Self {
        Tee {
            first,
            second: Some(second),
            second_error: None,
        }
    }

    /// The error that stopped the copy, if any.
    pub fn second_error(&self) -> Option<&io::Error> {
        self.second_error.as_ref()
    }

    /// The first writer; the second is dropped (closing a pipe).
    pub fn into_first(self) -> A {
        self.first
    }

    fn copy_to_second(&mut self, f: impl FnOnce(&mut B) -> io::Result<()>) {
        if let Some(w) = self.second.as_mut()
            && let Err(e) = f(w)
        {
            self.second_error = Some(e);
            self.second = None;
        }
    }
}

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.first.write(buf)?;
        self.copy_to_second(|w| w.write_all(&buf[..n]));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.first.flush()?;
        self.copy_to_second(|w| w.flush());
        Ok(())
    }
}
