//! The Totals and Worker Balance blocks, the figures behind them, and the verdict's rules, as
//! stestr's `subunit_trace` computes them; and the time formats they print in.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use subunit_emitter::Status;
use subunit_parser::fold::TestRecord;

use crate::Verdict;

const MICROS: i64 = 1_000_000;
const DAY_MICROS: i64 = 86_400 * MICROS;

/// A record's duration in microseconds, when both of its timestamps are there; negative when
/// the stream's clock went backwards (python does not check either).
pub(crate) fn duration_micros(record: &TestRecord) -> Option<i64> {
    Some(record.end?.python_micros() as i64 - record.start?.python_micros() as i64)
}

/// stestr's `get_duration`: `%d.%06ds` of `days * 86400 + seconds` and `microseconds` of the
/// `timedelta`, so `-0.5 s` prints as `-1.500000s`.
pub(crate) fn write_duration(out: &mut String, d: i64) {
    let _ = write!(out, "{}.{:06}s", d.div_euclid(MICROS), d.rem_euclid(MICROS));
}

/// The number python's `float()` reads back from [`write_duration`]'s text.
pub(crate) fn duration_value(d: i64) -> f64 {
    let (secs, us) = (d.div_euclid(MICROS), d.rem_euclid(MICROS));
    let magnitude = (secs.unsigned_abs() * 1_000_000 + us.unsigned_abs()) as f64 / 1e6;
    if secs < 0 { -magnitude } else { magnitude }
}

/// Python's `str(timedelta)`: `H:MM:SS[.ffffff]`, after `N day(s), ` when there are days.
pub(crate) fn timedelta_str(d: i64) -> String {
    let days = d.div_euclid(DAY_MICROS);
    let rem = d.rem_euclid(DAY_MICROS);
    let (secs, us) = (rem / MICROS, rem % MICROS);
    let mut s = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        let _ = write!(s, "{days} day{plural}, ");
    }
    let _ = write!(
        s,
        "{}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    if us != 0 {
        let _ = write!(s, ".{us:06}");
    }
    s
}

/// One worker's share: how many tests, the first test's start, the last test's end, and the
/// durations in arrival order (python sums them worker by worker, and float addition is not
/// associative, so the order is kept to print the same last digit).
#[derive(Debug, Default)]
struct Worker {
    tests: usize,
    first_start: Option<Option<i64>>,
    last_end: Option<i64>,
    durations: Vec<f64>,
    stuck: Vec<String>,
}

/// What the summary and the verdict need from the tests seen: counts by status, per-worker
/// figures, and the ids of tests left `inprogress`. It never holds attachments.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    ran: usize,
    success: usize,
    skip: usize,
    xfail: usize,
    uxsuccess: usize,
    fail: usize,
    /// `inprogress` or *unknown*: python's `StreamSummary` counts them as errors.
    incomplete: usize,
    /// Workers by number, and their numbers in order of first appearance.
    workers: HashMap<i64, Worker>,
    order: Vec<i64>,
    min_start: Option<i64>,
    max_end: Option<i64>,
}

impl Totals {
    /// Counts one test (never an `exists` one) that ran on `worker`.
    pub(crate) fn add(&mut self, worker: i64, record: &TestRecord) {
        self.ran += 1;
        match record.status {
            Some(Status::Success) => self.success += 1,
            Some(Status::Skip) => self.skip += 1,
            Some(Status::XFail) => self.xfail += 1,
            Some(Status::UxSuccess) => self.uxsuccess += 1,
            Some(Status::Fail) => self.fail += 1,
            _ => self.incomplete += 1,
        }
        let start = record.start.map(|t| t.python_micros() as i64);
        let end = record.end.map(|t| t.python_micros() as i64);
        if let Some(s) = start {
            self.min_start = Some(self.min_start.map_or(s, |m| m.min(s)));
        }
        if let Some(e) = end {
            self.max_end = Some(self.max_end.map_or(e, |m| m.max(e)));
        }
        let w = self.workers.entry(worker).or_insert_with(|| {
            self.order.push(worker);
            Worker::default()
        });
        w.tests += 1;
        w.first_start.get_or_insert(start);
        w.last_end = end;
        if let (Some(s), Some(e)) = (start, end) {
            w.durations.push(duration_value(e - s));
        }
        if record.status == Some(Status::InProgress) {
            w.stuck.push(record.id.clone());
        }
    }

    /// How many tests ran (python's "Ran").
    pub(crate) fn ran(&self) -> usize {
        self.ran
    }

    /// stestr's `run_time()`: the durations summed worker by worker, workers in order of
    /// first appearance.
    fn execute_time(&self) -> f64 {
        let mut sum = 0.0;
        for w in &self.order {
            for d in &self.workers[w].durations {
                sum += d;
            }
        }
        sum
    }

    /// Writes the Totals and Worker Balance blocks (`print_summary`).
    pub(crate) fn write_summary(&self, out: &mut impl Write) -> io::Result<()> {
        // Python takes min/max over the tests that have the timestamps, and crashes when no
        // test has an end; here the run then lasted 0 seconds.
        let elapsed = match (self.min_start, self.max_end) {
            (Some(s), Some(e)) => e - s,
            _ => 0,
        };
        write!(out, "\n======\nTotals\n======\n")?;
        writeln!(
            out,
            "Ran: {} tests in {:.4} sec.",
            self.ran,
            elapsed as f64 / 1e6
        )?;
        writeln!(out, " - Passed: {}", self.success)?;
        writeln!(out, " - Skipped: {}", self.skip)?;
        writeln!(out, " - Expected Fail: {}", self.xfail)?;
        writeln!(out, " - Unexpected Success: {}", self.uxsuccess)?;
        writeln!(out, " - Failed: {}", self.fail)?;
        writeln!(
            out,
            "Sum of execute time for each test: {:.4} sec.",
            self.execute_time()
        )?;
        let Some(&max) = self.workers.keys().max() else {
            return Ok(());
        };
        write!(out, "\n==============\nWorker Balance\n==============\n")?;
        for n in 0..=max {
            match self.workers.get(&n) {
                None => writeln!(out, " - WARNING: missing Worker {n}!")?,
                Some(w) => {
                    let time = match (w.first_start.flatten(), w.last_end) {
                        (Some(s), Some(e)) => timedelta_str(e - s),
                        _ => "N/A".to_owned(),
                    };
                    writeln!(out, " - Worker {n} ({} tests) => {time}", w.tests)?;
                }
            }
        }
        Ok(())
    }

    /// The verdict and the message for stderr, by stestr's rules in its order: no tests;
    /// no test passed; tests left `inprogress`; any failure, unexpected success or unfinished
    /// test.
    pub(crate) fn verdict(&self, err: &mut impl Write) -> io::Result<Verdict> {
        if self.ran == 0 {
            writeln!(err, "The test run didn't actually run any tests")?;
            return Ok(Verdict::Failed);
        }
        if self.success + self.xfail == 0 {
            write!(err, "\nNo tests were successful during the run\n")?;
            return Ok(Verdict::Failed);
        }
        let mut stuck = self
            .order
            .iter()
            .flat_map(|w| &self.workers[w].stuck)
            .peekable();
        if stuck.peek().is_some() {
            write!(
                err,
                "\nThe following tests exited without returning a status\n\
                 and likely segfaulted or crashed Python:\n"
            )?;
            for id in stuck {
                write!(err, "\n\t* {id}\n")?;
            }
            return Ok(Verdict::Failed);
        }
        Ok(Verdict::passed_if(
            self.fail + self.uxsuccess + self.incomplete == 0,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::Timestamp;

    #[test]
    fn timestamps_round_half_to_even_as_python_reads_them() {
        assert_eq!(Timestamp::new(1, 1500).python_micros(), 1_000_002);
        assert_eq!(Timestamp::new(1, 2500).python_micros(), 1_000_002);
        assert_eq!(Timestamp::new(1, 2501).python_micros(), 1_000_003);
        assert_eq!(Timestamp::new(1, 999_999_600).python_micros(), 2_000_000);
    }

    #[test]
    fn durations_print_as_stestr_prints_them() {
        let d = |m| {
            let mut s = String::new();
            write_duration(&mut s, m);
            s
        };
        assert_eq!(d(1_250_000), "1.250000s");
        assert_eq!(d(39), "0.000039s");
        assert_eq!(d(-500_000), "-1.500000s");
        assert_eq!(duration_value(-500_000), -1.5);
        assert_eq!(duration_value(1_250_000), 1.25);
        assert_eq!(duration_value(300_000), "0.300000".parse::<f64>().unwrap());
    }

    #[test]
    fn timedeltas_print_as_python_prints_them() {
        assert_eq!(timedelta_str(1_650_000), "0:00:01.650000");
        assert_eq!(timedelta_str(3_600 * MICROS), "1:00:00");
        assert_eq!(timedelta_str(DAY_MICROS + 61 * MICROS), "1 day, 0:01:01");
        assert_eq!(timedelta_str(2 * DAY_MICROS), "2 days, 0:00:00");
        assert_eq!(timedelta_str(-500_000), "-1 day, 23:59:59.500000");
        assert_eq!(timedelta_str(0), "0:00:00");
    }
}
