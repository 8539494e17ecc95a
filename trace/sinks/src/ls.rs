//! `subunit-ls`: the test ids of a stream, one a line, each printed the moment its final status
//! arrives, with `--times` durations and `--exists` listings.
//!
//! # The rules (python-subunit 1.4.6's `TestIdPrintingResult` and `StreamSummary`)
//!
//! - Events without a test id (or with an empty one) print nothing; with passthrough (the
//!   default) their file bytes are written raw, in stream order.
//! - Tests are keyed by id alone (not route code): an `inprogress` or status-less event marks
//!   the test started *now*, where now is the latest timestamp seen on any test's event; a
//!   final status prints the id (with `--times`, the time since that start).
//! - `exists` prints the id only with `--exists` (duration 0).
//! - At the end, tests still started are printed in the order they were first started, with
//!   the time from their start to the last timestamp of the stream.
//! - The verdict is testtools' `StreamSummary.wasSuccessful()`: failed when a test failed or
//!   never finished; an unexpected success does not fail the run.
//!
//! python crashes (`'int' object has no attribute 'seconds'`) under `--times` whenever the
//! duration is unknown: a test with no start, a start before any timestamp, an `exists`
//! listing. What it means is its own fallback value, a duration of 0, so that is printed:
//! `id 0.000`.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, Timestamp, to_stream};
//! use subunit_sinks::Verdict;
//! use subunit_sinks::ls::{LsOptions, run};
//!
//! let stream = to_stream(&[
//!     Packet::status("t.a", Status::InProgress).with_timestamp(Timestamp::new(10, 0)),
//!     Packet::status("t.a", Status::Success).with_timestamp(Timestamp::new(11, 250_000_000)),
//! ])?;
//! let mut out = Vec::new();
//! let code = run(&stream[..], &mut out, LsOptions { times: true, ..LsOptions::default() })?;
//! assert_eq!(String::from_utf8(out)?, "t.a 1.250\n");
//! assert_eq!(code, Verdict::Passed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::io::{Read, Write};

use subunit_emitter::{PacketRef, Status};
use subunit_parser::fold::{Summary, TestRecord};

use crate::pipeline::{Exists, Pipeline, Sink};
use crate::{Error, Verdict};

/// What `subunit-ls` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LsOptions {
    /// `--times`: append each test's duration in seconds, to the millisecond.
    pub times: bool,
    /// `--exists`: also list tests only reported as existing.
    pub exists: bool,
    /// Write non-subunit input and run-wide attachments through (off with `--no-passthrough`).
    pub passthrough: bool,
}

impl Default for LsOptions {
    fn default() -> Self {
        LsOptions {
            times: false,
            exists: false,
            passthrough: true,
        }
    }
}

/// Formats a duration in microseconds as python's `"%0.3f"` of
/// `seconds + days * 86400 + microseconds / 1e6` (a `timedelta` taken apart).
pub fn format_seconds(micros: i64) -> String {
    let whole = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let seconds = whole as f64 + frac as f64 / 1_000_000.0;
    format!("{seconds:.3}")
}

/// The printer: python's `TestIdPrintingResult` as a stream sink.
#[derive(Debug, Default)]
struct Printer {
    /// The latest timestamp seen on a test's event, in microseconds.
    now: Option<i64>,
    /// Started tests: id -> (first-start order, start time).
    active: HashMap<String, (u64, Option<i64>)>,
    seq: u64,
    times: bool,
    exists: bool,
}

impl Printer {
    fn report(&self, out: &mut dyn Write, id: &str, micros: i64) -> std::io::Result<()> {
        if self.times {
            writeln!(out, "{id} {}", format_seconds(micros))
        } else {
            writeln!(out, "{id}")
        }
    }

    fn end(
        &self,
        out: &mut dyn Write,
        id: &str,
        start: Option<Option<i64>>,
    ) -> std::io::Result<()> {
        let duration = match (start.flatten(), self.now) {
            (Some(start), Some(now)) => now - start,
            _ => 0,
        };
        self.report(out, id, duration)
    }
}

/// `subunit-ls` as a [`Sink`]: the printer over the events, testtools' summary over the records.
struct Ls<'a> {
    out: &'a mut dyn Write,
    passthrough: bool,
    printer: Printer,
    summary: Summary,
}

impl Sink for Ls<'_> {
    type Error = Error;

    fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Error> {
        let (out, printer) = (&mut *self.out, &mut self.printer);
        let id = match event.test_id {
            Some(id) if !id.is_empty() => id,
            Some(_) => return Ok(()),
            None => {
                if self.passthrough
                    && let Some(file) = event.file
                {
                    out.write_all(file.content)?;
                }
                return Ok(());
            }
        };
        if let Some(ts) = event.timestamp {
            printer.now = Some(ts.python_micros() as i64);
        }
        match event.status {
            Status::Exists => {
                if printer.exists {
                    printer.report(out, id, 0)?;
                }
            }
            Status::InProgress | Status::Undefined => {
                let now = printer.now;
                match printer.active.get_mut(id) {
                    Some(entry) => entry.1 = now,
                    None => {
                        printer.active.insert(id.to_owned(), (printer.seq, now));
                        printer.seq += 1;
                    }
                }
            }
            _ => {
                let start = printer.active.remove(id).map(|(_, start)| start);
                printer.end(out, id, start)?;
            }
        }
        Ok(())
    }

    fn record(&mut self, record: TestRecord) -> Result<(), Error> {
        self.summary.add(&record);
        Ok(())
    }
}

/// Runs `subunit-ls` over `input`, writing to `out`. Returns the verdict.
pub fn run<R: Read>(input: R, out: &mut dyn Write, options: LsOptions) -> Result<Verdict, Error> {
    let mut ls = Ls {
        out,
        passthrough: options.passthrough,
        printer: Printer {
            times: options.times,
            exists: options.exists,
            ..Printer::default()
        },
        summary: Summary::new(),
    };
    Pipeline::new()
        .exists(Exists::Fold)
        .run::<_, Error>(input, &mut ls)?;
    let Ls {
        out,
        mut printer,
        summary,
        ..
    } = ls;
    let mut open: Vec<(String, (u64, Option<i64>))> = printer.active.drain().collect();
    open.sort_unstable_by_key(|(_, (seq, _))| *seq);
    for (id, (_, start)) in open {
        printer.end(out, &id, Some(start))?;
    }
    out.flush()?;
    Ok(Verdict::passed_if(summary.is_successful()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, Timestamp, to_stream};

    fn stream(packets: &[Packet]) -> Vec<u8> {
        to_stream(packets).unwrap()
    }

    #[test]
    fn seconds_format_like_python() {
        assert_eq!(format_seconds(0), "0.000");
        assert_eq!(format_seconds(1_250_000), "1.250");
        assert_eq!(format_seconds(-4_250_000), "-4.250");
        assert_eq!(format_seconds(62_500), "0.062");
        assert_eq!(format_seconds(187_500), "0.188");
        assert_eq!(format_seconds(86_400_000_001), "86400.000");
    }

    #[test]
    fn times_without_a_start_are_zero_and_the_clock_is_global() {
        let ts = |s| Timestamp::new(s, 0);
        let s = stream(&[
            Packet::status("no.start", Status::Success).with_timestamp(ts(5)),
            Packet::status("a", Status::InProgress).with_timestamp(ts(10)),
            Packet::status("listed", Status::Exists),
            // A status-less event restarts `a` at the global now (12, from `b`); `b` on another
            // route is the same test to ls, restarted at 15.
            Packet::status("b", Status::InProgress).with_timestamp(ts(12)),
            Packet::status("a", Status::Undefined).with_file("log", None, "x", true),
            Packet::status("a", Status::Fail).with_timestamp(ts(15)),
            Packet::status("b", Status::InProgress).with_route_code("0"),
        ]);
        let mut out = Vec::new();
        let options = LsOptions {
            times: true,
            exists: true,
            passthrough: true,
        };
        let code = run(&s[..], &mut out, options).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "no.start 0.000\nlisted 0.000\na 3.000\nb 0.000\n"
        );
        assert_eq!(code, Verdict::Failed);
    }

    #[test]
    fn uxsuccess_does_not_fail_and_passthrough_is_raw() {
        let mut s = b"noise\n".to_vec();
        s.extend(stream(&[Packet::status("u", Status::UxSuccess)]));
        let mut out = Vec::new();
        assert_eq!(
            run(&s[..], &mut out, LsOptions::default()).unwrap(),
            Verdict::Passed
        );
        assert_eq!(out, b"noise\nu\n");
        let mut out = Vec::new();
        let quiet = LsOptions {
            passthrough: false,
            ..LsOptions::default()
        };
        run(&s[..], &mut out, quiet).unwrap();
        assert_eq!(out, b"u\n");
    }
}
