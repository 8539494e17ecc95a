//! The trace sink: events in, stestr's output out, a test at a time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read, Write};

use subunit_emitter::{PacketRef, Status};
use subunit_parser::fold::TestRecord;

use super::line::{
    ChunkSizes, LineStyle, Show, cleanup_test_name, find_worker, write_attachments, write_outcome,
};
use super::live::FlushBeforeRead;
use super::progress::{NoProgress, Progress};
use super::summary::{Totals, duration_micros, duration_value};
use super::times::TimesDb;
use crate::pipeline::{Exists, Feed, Pipeline, Sink};
use crate::{Error, Verdict};

/// Which attachments to print under `ok` lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SuccessAttachments {
    /// `stdout` and `stderr` only (stestr's default).
    #[default]
    Output,
    /// None (`--suppress-attachments`).
    Suppress,
    /// Every text attachment (`--all-attachments`).
    All,
}

/// The command line of `subunit-trace`, as values.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// `-n/--no-failure-debug`: no attachments under FAILED (and other-status) lines.
    pub no_failure_debug: bool,
    /// `-f/--fails`: after the stream, print every failure again with its attachments.
    pub post_fails: bool,
    /// `--failonly` (or `TRACE_FAILONLY` set): print only FAILED lines.
    pub failonly: bool,
    /// `-a/--abbreviate`: one character per test.
    pub abbreviate: bool,
    /// `-d/--perc-diff`: show the change from the recorded time on ok lines.
    pub perc_diff: bool,
    /// `-t/--diff-threshold`: show the change only when its size is at least this many
    /// percent (0: always).
    pub threshold: f64,
    /// `--no-summary`: no Totals or Worker Balance.
    pub no_summary: bool,
    /// Colour the status words.
    pub color: bool,
    /// Attachments under ok lines.
    pub success_attachments: SuccessAttachments,
    /// `--show-binary-attachments`: print non-text attachments too (as python's `repr`).
    pub show_binary_attachments: bool,
}

/// `subunit-trace` as a sink: feed it python-subunit's events ([`Trace::event`]) and it
/// writes each test's line the moment the test ends; [`Trace::finish`] writes the rest and
/// gives the verdict.
///
/// It keeps a test's attachments only until the test is printed (with `-f`, the failures'
/// until the end), and per test only what the summary needs: its worker's counts, first and
/// last timestamps, and duration.
///
/// # Example
///
/// ```
/// use subunit_emitter::{Packet, Status, Timestamp};
/// use subunit_sinks::Verdict;
/// use subunit_sinks::trace::{Trace, TraceOptions};
///
/// let mut trace = Trace::new(Vec::new(), TraceOptions::default());
/// let start = Packet::status("t.a", Status::InProgress).with_timestamp(Timestamp::new(10, 0));
/// let end = Packet::status("t.a", Status::Success)
///     .with_timestamp(Timestamp::new(11, 500_000_000))
///     .with_tags(["worker-1"]);
/// trace.event(&start.as_ref())?;
/// trace.event(&end.as_ref())?;
/// let mut stderr = Vec::new();
/// let (code, out) = trace.finish(&mut stderr)?;
/// let out = String::from_utf8(out)?;
/// assert!(out.starts_with("{1} t.a [1.500000s] ... ok\n"));
/// assert!(out.contains(" - WARNING: missing Worker 0!\n"));
/// assert_eq!(code, Verdict::Passed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Trace<W: Write> {
    out: W,
    opts: TraceOptions,
    live: bool,
    /// The fold of the tests in flight (`exists` folded, for the progress display).
    pipeline: Pipeline,
    /// Chunk sizes of the attachments of tests in flight, by test id, then route code.
    chunks: HashMap<String, Vec<(Option<String>, ChunkSizes)>>,
    totals: Totals,
    fails: Vec<(TestRecord, ChunkSizes)>,
    times: Option<TimesDb>,
    progress: Box<dyn Progress>,
    scratch: String,
}

impl<W: Write> Trace<W> {
    /// A trace writing to `out`, flushing only when done (see [`Trace::live`] and
    /// [`Trace::flush`]).
    pub fn new(out: W, opts: TraceOptions) -> Self {
        Trace {
            out,
            opts,
            live: false,
            pipeline: Pipeline::new().exists(Exists::Fold),
            chunks: HashMap::new(),
            totals: Totals::default(),
            fails: Vec::new(),
            times: None,
            progress: Box::new(NoProgress),
            scratch: String::new(),
        }
    }

    /// Have [`Trace::run`] flush `out` whenever it is about to wait for more input, for a
    /// reader watching live: each test's line reaches the reader as soon as the test's final
    /// status has arrived and no more input is at hand, while a stream that arrives faster
    /// than it is printed is written in blocks of `out`'s buffer size. (Callers feeding
    /// [`Trace::event`] themselves call [`Trace::flush`] before they wait.)
    pub fn live(mut self, live: bool) -> Self {
        self.live = live;
        self
    }

    /// The earlier run's times `--perc-diff` compares with.
    pub fn with_times(mut self, times: Option<TimesDb>) -> Self {
        self.times = times;
        self
    }

    /// Where to show progress (nowhere unless given).
    pub fn with_progress(mut self, progress: Box<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Reads the whole of `input` as one stream, then finishes; returns the verdict. When
    /// [live](Trace::live), `out` is flushed before each read of `input`.
    pub fn run(mut self, input: impl Read, err: &mut impl Write) -> Result<Verdict, Error> {
        let pipeline = std::mem::take(&mut self.pipeline);
        if !self.live {
            pipeline.run::<_, Error>(input, &mut self)?;
            return Ok(self.summarize(err)?.0);
        }
        // The reader only reads when it has handled everything it holds, so the trace is never
        // borrowed by the flush and by an event at once.
        let cell = RefCell::new(self);
        let flush = || match cell.try_borrow_mut() {
            Ok(mut trace) => trace.flush(),
            Err(_) => Ok(()),
        };
        pipeline.run::<_, Error>(FlushBeforeRead::new(input, flush), &mut Shared(&cell))?;
        Ok(cell.into_inner().summarize(err)?.0)
    }

    /// Writes out everything printed so far (with the progress bar cleared meanwhile).
    pub fn flush(&mut self) -> io::Result<()> {
        let out = &mut self.out;
        self.progress.suspend(&mut || out.flush())
    }

    /// Takes one event: output outside any test (no test id) is copied to `out` as it
    /// comes, as python's `CatFiles` does; test events go to the fold, and a test that ends
    /// is printed at once.
    pub fn event(&mut self, event: &PacketRef<'_>) -> io::Result<()> {
        self.feed(event)
    }

    fn note_chunk(&mut self, id: &str, route: Option<&str>, name: &str, len: usize) {
        let routes = match self.chunks.get_mut(id) {
            Some(r) => r,
            None => self.chunks.entry(id.to_owned()).or_default(),
        };
        let files = match routes.iter().position(|(r, _)| r.as_deref() == route) {
            Some(i) => &mut routes[i].1,
            None => {
                routes.push((route.map(str::to_owned), Vec::new()));
                &mut routes.last_mut().expect("just pushed").1
            }
        };
        match files.iter().rposition(|(n, _)| n == name) {
            Some(i) => files[i].1.push(len),
            None => files.push((name.to_owned(), vec![len])),
        }
    }

    fn take_chunks(&mut self, id: &str, route: Option<&str>) -> ChunkSizes {
        if self.chunks.is_empty() {
            return Vec::new();
        }
        let Some(routes) = self.chunks.get_mut(id) else {
            return Vec::new();
        };
        let taken = routes
            .iter()
            .position(|(r, _)| r.as_deref() == route)
            .map(|i| routes.swap_remove(i).1)
            .unwrap_or_default();
        if routes.is_empty() {
            self.chunks.remove(id);
        }
        taken
    }

    /// stestr's `show_outcome`, for one finished (or abandoned) test.
    fn show(&mut self, record: TestRecord, chunks: ChunkSizes) -> io::Result<()> {
        if record.status == Some(Status::Exists) {
            self.progress.announce();
            return Ok(());
        }
        self.progress.done();
        let worker = find_worker(&record.tags);
        self.totals.add(worker, &record);
        // stestr counts a worker's return code but never prints it.
        if cleanup_test_name(&record.id) == "process-returncode" {
            return Ok(());
        }
        let style = LineStyle {
            abbreviate: self.opts.abbreviate,
            color: self.opts.color,
            failonly: self.opts.failonly,
            no_failure_debug: self.opts.no_failure_debug,
            suppress_attachments: self.opts.success_attachments == SuccessAttachments::Suppress,
            all_attachments: self.opts.success_attachments == SuccessAttachments::All,
            show_binary: self.opts.show_binary_attachments,
        };
        let perc = self.perc_diff(&record);
        let Trace {
            out,
            progress,
            scratch,
            ..
        } = self;
        progress
            .suspend(&mut || write_outcome(out, style, worker, &record, &chunks, perc, scratch))?;
        if self.opts.post_fails && matches!(record.status, Some(Status::Fail | Status::UxSuccess)) {
            self.fails.push((record, chunks));
        }
        Ok(())
    }

    /// The change from the recorded time, when `-d` asks for it and it is at least the
    /// threshold: only for passed and expected-failure tests with both timestamps and a
    /// positive recorded time, and never 0 (python's falsy `0.0`).
    fn perc_diff(&self, record: &TestRecord) -> Option<f64> {
        if !self.opts.perc_diff
            || self.opts.abbreviate
            || !matches!(record.status, Some(Status::Success | Status::XFail))
        {
            return None;
        }
        let old = self.times.as_ref()?.get(&record.id)?;
        // Python's `if avg_runtime and avg_runtime > 0`: NaN and non-positive times are out.
        if old.is_nan() || old <= 0.0 {
            return None;
        }
        let now = duration_value(duration_micros(record)?);
        let perc = (now - old) / old * 100.0;
        (perc != 0.0 && perc.abs() >= self.opts.threshold.abs()).then_some(perc)
    }

    /// Ends the stream: prints the tests left open (newest first, as testtools reports them),
    /// then the failures again (`-f`) and the summary, writes stestr's messages to `err`, and
    /// returns the verdict and `out`.
    pub fn finish(mut self, err: &mut impl Write) -> io::Result<(Verdict, W)> {
        self.feed_end()?;
        self.summarize(err)
    }

    /// The end, once the fold is flushed: the failures again, the summary and the verdict.
    fn summarize(mut self, err: &mut impl Write) -> io::Result<(Verdict, W)> {
        self.progress.clear();
        if self.totals.ran() > 0 {
            if self.opts.post_fails {
                self.write_fails()?;
            }
            if !self.opts.no_summary {
                self.totals.write_summary(&mut self.out)?;
            }
        }
        self.out.flush()?;
        let code = self.totals.verdict(err)?;
        err.flush()?;
        Ok((code, self.out))
    }

    /// stestr's `print_fails`.
    fn write_fails(&mut self) -> io::Result<()> {
        if self.fails.is_empty() {
            return Ok(());
        }
        let out = &mut self.out;
        write!(
            out,
            "\n==============================\nFailed {} tests - output below:\n==============================\n",
            self.fails.len()
        )?;
        let show = Show {
            all: true,
            binary: false,
        };
        for (record, chunks) in &self.fails {
            let underline = "-".repeat(record.id.chars().count());
            write!(out, "\n{}\n{underline}\n", record.id)?;
            write_attachments(out, record, chunks, show, &mut self.scratch)?;
        }
        out.write_all(b"\n")
    }
}

impl<W: Write> Feed for Trace<W> {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }
}

/// The trace as a [`Sink`]: output outside tests as it comes, each test as it ends.
impl<W: Write> Sink for Trace<W> {
    type Error = io::Error;

    fn event(&mut self, event: &PacketRef<'_>) -> io::Result<()> {
        let Some(id) = event.test_id else {
            if let Some(file) = event.file {
                let out = &mut self.out;
                self.progress.suspend(&mut || out.write_all(file.content))?;
            }
            return Ok(());
        };
        if let Some(file) = event.file
            && !file.content.is_empty()
        {
            self.note_chunk(id, event.route_code, file.name, file.content.len());
        }
        Ok(())
    }

    fn record(&mut self, record: TestRecord) -> io::Result<()> {
        let chunks = self.take_chunks(&record.id, record.route_code.as_deref());
        self.show(record, chunks)
    }
}

/// A trace shared with the flush before each read, for [`Trace::run`] when live.
struct Shared<'a, W: Write>(&'a RefCell<Trace<W>>);

impl<W: Write> Shared<'_, W> {
    fn trace(&self) -> Result<std::cell::RefMut<'_, Trace<W>>, Error> {
        self.0
            .try_borrow_mut()
            .map_err(|e| Error::Io(io::Error::other(e)))
    }
}

impl<W: Write> Sink for Shared<'_, W> {
    type Error = Error;

    fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Error> {
        Ok(Sink::event(&mut *self.trace()?, event)?)
    }

    fn record(&mut self, record: TestRecord) -> Result<(), Error> {
        Ok(Sink::record(&mut *self.trace()?, record)?)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use subunit_emitter::{Packet, Timestamp, to_vec};

    use super::*;

    /// What a watcher of the output has seen (`shown`), and how many writes reached it.
    #[derive(Default)]
    struct Screen {
        pending: Vec<u8>,
        shown: Vec<u8>,
        flushes_with_data: usize,
    }

    /// A buffered writer onto a shared [`Screen`]: bytes show only when flushed.
    struct Buffered(Rc<RefCell<Screen>>);

    impl Write for Buffered {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().pending.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            let mut s = self.0.borrow_mut();
            if !s.pending.is_empty() {
                let pending = std::mem::take(&mut s.pending);
                s.shown.extend(pending);
                s.flushes_with_data += 1;
            }
            Ok(())
        }
    }

    /// Input arriving in pieces; at each read after the first, it checks that the lines
    /// of every test whose end came in an earlier piece are on the screen.
    struct Pieces {
        pieces: Vec<(Vec<u8>, Vec<String>)>,
        next: usize,
        screen: Rc<RefCell<Screen>>,
        seen: Vec<String>,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let shown = String::from_utf8_lossy(&self.screen.borrow().shown).into_owned();
            for line in &self.seen {
                assert!(
                    shown.contains(line.as_str()),
                    "{line:?} not shown before a read"
                );
            }
            let Some((bytes, lines)) = self.pieces.get(self.next) else {
                return Ok(0);
            };
            self.next += 1;
            assert!(bytes.len() <= buf.len());
            buf[..bytes.len()].copy_from_slice(bytes);
            self.seen.extend(lines.iter().cloned());
            Ok(bytes.len())
        }
    }

    fn test_bytes(id: &str) -> Vec<u8> {
        let mut v = to_vec(
            &Packet::status(id, Status::InProgress)
                .with_timestamp(Timestamp::new(1, 0))
                .as_ref(),
        )
        .unwrap();
        v.extend(
            to_vec(
                &Packet::status(id, Status::Success)
                    .with_timestamp(Timestamp::new(2, 0))
                    .as_ref(),
            )
            .unwrap(),
        );
        v
    }

    fn run(live: bool, pieces: Vec<(Vec<u8>, Vec<String>)>) -> Rc<RefCell<Screen>> {
        let screen = Rc::new(RefCell::new(Screen::default()));
        let input = Pieces {
            pieces,
            next: 0,
            screen: screen.clone(),
            seen: Vec::new(),
        };
        let trace = Trace::new(Buffered(screen.clone()), TraceOptions::default()).live(live);
        let code = trace.run(input, &mut Vec::new()).unwrap();
        assert_eq!(code, Verdict::Passed);
        screen
    }

    #[test]
    fn live_run_shows_each_ended_test_before_waiting_for_more_input() {
        // One test per piece, stray output in one piece: each line is on the screen
        // before the next read.
        let pieces = (0..5)
            .map(|i| {
                let id = format!("t.{i}");
                let mut bytes = test_bytes(&id);
                if i == 2 {
                    bytes.extend_from_slice(b"stray\n");
                }
                let mut lines = vec![format!("{{0}} {id} [1.000000s] ... ok\n")];
                if i == 2 {
                    lines.push("ok\nstray\n".into());
                }
                (bytes, lines)
            })
            .collect();
        let screen = run(true, pieces);
        assert!(String::from_utf8_lossy(&screen.borrow().shown).contains("Totals"));
    }

    #[test]
    fn live_run_writes_a_stream_at_hand_in_one_block() {
        // 200 tests in one piece: one write for all of them, then one for the summary.
        let mut bytes = Vec::new();
        let mut lines = Vec::new();
        for i in 0..200 {
            let id = format!("t.{i}");
            bytes.extend(test_bytes(&id));
            lines.push(format!("{{0}} {id} [1.000000s] ... ok\n"));
        }
        let screen = run(true, vec![(bytes, lines)]);
        assert_eq!(screen.borrow().flushes_with_data, 2);
    }

    #[test]
    #[should_panic(expected = "not shown before a read")]
    fn a_trace_that_is_not_live_holds_its_lines_back() {
        // Guards the check above: without `live` the first line is still buffered at the
        // second read.
        let pieces = (0..2)
            .map(|i| {
                let id = format!("t.{i}");
                (
                    test_bytes(&id),
                    vec![format!("{{0}} {id} [1.000000s] ... ok\n")],
                )
            })
            .collect();
        run(false, pieces);
    }
}
