//! Running a selection: workers on crossbeam, one shared stream writer.
//!
//! Classes are dealt whole to the workers by [`schedule::plan`]: by their recorded times when
//! [`RunOptions::times`] has any (so the workers' expected times even out, as stestr's
//! scheduler does with its times database), else round-robin in selection order (as stestr
//! deals groups it has no timings for); each worker runs its classes' lifecycles and tests in
//! turn, so a class never splits across workers (stestr's `group_regex` for Tempest does the
//! same).
//! Workers write through one [`StreamWriter`], which writes whole packets under a lock, so
//! packets never interleave. A test that panics fails with the panic's message; a test that
//! outlives the timeout fails with a `TimeoutException` traceback and the run goes on without
//! waiting for it. Each test's `inprogress` packet is flushed before the test runs, so a test
//! that aborts the process leaves a stream of whole packets that names it.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use subunit_emitter::{Status, StreamWriter, TestHandle, WriteError};

use crate::config::Config;
use crate::context::Attachment;
use crate::failure::Failure;
use crate::lifecycle::{CLASS_REASON_MIME, ClassCx, ErasedClass, TRACEBACK_MIME, TestOutcome};
use crate::schedule;
use crate::select::Selection;
use crate::suite::Suite;

/// Receives lifecycle messages.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How to run.
pub struct RunOptions {
    /// Worker threads (at least 1).
    pub concurrency: usize,
    /// Tag every final status with `worker-N`, as stestr does.
    pub worker_tags: bool,
    /// Give every packet of a test the route code `N` of its worker.
    pub route_codes: bool,
    /// Announce every selected test with an `exists` event before running.
    pub announce: bool,
    /// The per-test timeout (`OS_TEST_TIMEOUT`), none for no limit.
    pub timeout: Option<Duration>,
    /// Where lifecycle messages go.
    pub log: LogSink,
    /// Recorded test times (seconds, by test id without `[...]` attributes: a store's times
    /// database), to deal classes to workers by; empty for round-robin.
    pub times: std::collections::HashMap<String, f64>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("concurrency", &self.concurrency)
            .field("worker_tags", &self.worker_tags)
            .field("route_codes", &self.route_codes)
            .field("announce", &self.announce)
            .field("timeout", &self.timeout)
            .field("times", &self.times.len())
            .finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 1,
            worker_tags: false,
            route_codes: false,
            announce: true,
            timeout: None,
            log: Arc::new(|_| {}),
            times: std::collections::HashMap::new(),
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Final statuses by kind.
    pub counts: BTreeMap<Status, usize>,
    /// The ids that failed (tests and class pseudo-tests).
    pub failed: Vec<String>,
    /// How many results were written (tests and class pseudo-tests).
    pub results: usize,
}

impl RunSummary {
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.failed.is_empty()
    }

    fn merge(&mut self, other: RunSummary) {
        for (s, n) in other.counts {
            *self.counts.entry(s).or_default() += n;
        }
        self.failed.extend(other.failed);
        self.results += other.results;
    }

    fn record(&mut self, id: &str, status: Status) {
        *self.counts.entry(status).or_default() += 1;
        self.results += 1;
        if matches!(status, Status::Fail | Status::UxSuccess) {
            self.failed.push(id.to_owned());
        }
    }
}

/// A run that could not deliver its results.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The stream could not be written.
    #[error("writing the subunit stream: {0}")]
    Write(#[from] WriteError),
    /// A worker thread died (a panic outside any test).
    #[error("a worker thread died: {0}")]
    Worker(String),
}

struct Worker<'w, W: Write> {
    writer: &'w StreamWriter<W>,
    tag: String,
    route: String,
    opts: &'w RunOptions,
    config: &'w Arc<Config>,
    summary: RunSummary,
}

impl<W: Write> Worker<'_, W> {
    fn handle<'s>(&'s self, id: &'s str) -> TestHandle<'s, 's, W> {
        let h = self.writer.test(id);
        if self.opts.route_codes {
            h.route_code(&self.route)
        } else {
            h
        }
    }

    fn tags(&self) -> Vec<&str> {
        if self.opts.worker_tags {
            vec![self.tag.as_str()]
        } else {
            Vec::new()
        }
    }

    /// One attachment, timestamped as testtools stamps it (a class pseudo-test has no
    /// `inprogress`, so its first attachment is its start time).
    fn attach(&self, id: &str, a: &Attachment) -> Result<(), WriteError> {
        self.handle(id).attach(&a.name, &a.mime, &a.content)
    }

    fn finish(
        &mut self,
        id: &str,
        status: Status,
        attachments: &[Attachment],
    ) -> Result<(), WriteError> {
        for a in attachments {
            self.attach(id, a)?;
        }
        self.handle(id).finish(status, &self.tags())?;
        self.summary.record(id, status);
        Ok(())
    }

    fn run_class(
        &mut self,
        class: &Arc<dyn ErasedClass>,
        tests: &[usize],
    ) -> Result<(), WriteError> {
        let log = &*self.opts.log;
        let log = |m: &str| log(m);
        let mut cx = ClassCx::new(
            class.module(),
            class.name(),
            class.credentials(),
            class.credential_provider(),
            self.config,
            &log,
        );
        if let Err(e) = class.set_up_class(&mut cx) {
            let id = format!("setUpClass ({})", class.class_id());
            let attachment = match &e {
                Failure::Skip(reason) => Attachment {
                    name: "reason".to_owned(),
                    mime: CLASS_REASON_MIME.to_owned(),
                    content: reason.clone().into_bytes(),
                },
                other => Attachment {
                    name: "traceback".to_owned(),
                    mime: TRACEBACK_MIME.to_owned(),
                    content: other
                        .traceback(&format!("in setUpClass of {}", class.class_id()))
                        .into_bytes(),
                },
            };
            let status = if e.is_skip() {
                Status::Skip
            } else {
                Status::Fail
            };
            return self.finish(&id, status, &[attachment]);
        }
        for &t in tests {
            let id = class.tests()[t].id.as_str();
            self.handle(id).start()?;
            // Out before the test runs: a test that takes the process down (an abort) leaves
            // a stream of whole packets naming it as in progress.
            self.writer.flush()?;
            let outcome = run_one(class, t, self.config, self.opts.timeout);
            self.finish(id, outcome.status, &outcome.attachments)?;
        }
        if let Err(e) = class.tear_down_class(&mut cx, false) {
            let id = format!("tearDownClass ({})", class.class_id());
            let attachment = Attachment {
                name: "traceback".to_owned(),
                mime: TRACEBACK_MIME.to_owned(),
                content: e
                    .traceback(&format!("in tearDownClass of {}", class.class_id()))
                    .into_bytes(),
            };
            self.finish(&id, Status::Fail, &[attachment])?;
        }
        Ok(())
    }
}

/// Runs one test: inline when there is no timeout, else on its own thread, abandoned (and failed)
/// when it outlives the timeout.
fn run_one(
    class: &Arc<dyn ErasedClass>,
    index: usize,
    config: &Arc<Config>,
    timeout: Option<Duration>,
) -> TestOutcome {
    let Some(limit) = timeout else {
        return class.run_test(index, Arc::clone(config));
    };
    let (tx, rx) = crossbeam::channel::bounded(1);
    let (c, cfg) = (Arc::clone(class), Arc::clone(config));
    let spawned = std::thread::Builder::new()
        .name("valet-test".to_owned())
        .spawn(move || {
            let _ = tx.send(c.run_test(index, cfg));
        });
    if let Err(e) = spawned {
        return TestOutcome::failed(format!(
            "Traceback (most recent call last):\n  starting the test thread\nOSError: {e}\n"
        ));
    }
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(crossbeam::channel::RecvTimeoutError::Timeout) => TestOutcome::failed(format!(
            "Traceback (most recent call last):\n  in {}\n\
             fixtures._fixtures.timeout.TimeoutException: the test ran longer than its \
             timeout of {}s (OS_TEST_TIMEOUT) and was abandoned\n",
            class.tests()[index].id,
            limit.as_secs_f64()
        )),
        Err(crossbeam::channel::RecvTimeoutError::Disconnected) => TestOutcome::failed(
            "Traceback (most recent call last):\n  in the test thread\n\
             Error: the test thread ended without a result\n"
                .to_owned(),
        ),
    }
}

/// Announces and runs `selection` of `suite`, writing the stream to `writer`. Returns the
/// summary; an error only when the stream could not be written (every test result that is in
/// the stream, failures included, is a normal outcome).
pub fn run<W: Write + Send>(
    suite: &Suite,
    selection: &Selection,
    config: Arc<Config>,
    writer: &StreamWriter<W>,
    opts: &RunOptions,
) -> Result<RunSummary, RunError> {
    if opts.announce {
        for id in selection.test_ids(suite) {
            writer.test(id).exists()?;
        }
    }
    let plan = schedule::plan(suite, selection, opts.concurrency, &opts.times);
    let queues: Vec<_> = plan
        .workers
        .iter()
        .map(|groups| {
            let (tx, rx) = crossbeam::channel::unbounded();
            for &g in groups {
                let g = &selection.groups[g];
                // The receiver is alive here; a send cannot fail.
                let _ = tx.send((Arc::clone(&suite.classes[g.class]), g.tests.clone()));
            }
            rx
        })
        .collect();
    let stop = AtomicBool::new(false);
    let results: Vec<Result<RunSummary, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = queues
            .into_iter()
            .enumerate()
            .map(|(index, rx)| {
                let (stop, config) = (&stop, &config);
                s.spawn(move || {
                    let mut w = Worker {
                        writer,
                        tag: format!("worker-{index}"),
                        route: index.to_string(),
                        opts,
                        config,
                        summary: RunSummary::default(),
                    };
                    while let Ok((class, tests)) = rx.recv() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = w.run_class(&class, &tests) {
                            stop.store(true, Ordering::Relaxed);
                            return Err(RunError::Write(e));
                        }
                    }
                    Ok(w.summary)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(RunError::Worker(msg))
                })
            })
            .collect()
    });
    let mut summary = RunSummary::default();
    for r in results {
        summary.merge(r?);
    }
    writer.flush()?;
    Ok(summary)
}
