//! `subunit2csv`: one CSV row per test, `test,status,start_time,stop_time`.
//!
//! # The rules (python-subunit 1.4.6's `CsvResult`, a testtools `TestByTestResult`)
//!
//! - The header row comes first, then a row the moment each test ends (tests left open at the
//!   end follow, newest first), in the `excel` dialect: `\r\n` line ends, fields quoted only
//!   when they hold a comma, a quote or a line break.
//! - The status is testtools' outcome name: `success`, `failure` (a `fail` and a test that
//!   never finished), `skip`, `xfail`, and `success` again for an unexpected success.
//! - Times are python's `str(datetime)`: `2024-01-02 03:04:05.000123+00:00`, the fraction
//!   left out when it is zero. testtools keeps one clock for the whole run: a test's first
//!   timestamp sets it before its start is read, its last one before its stop is read, and a
//!   test without timestamps takes whatever the clock last said. Before the stream has given
//!   any timestamp, the clock is the wall clock (as in python).
//! - Passthrough re-encodes events without a test id as subunit packets into the output;
//!   `--no-passthrough` drops them, `-f` forwards the stream, `-o` writes the CSV to a file.
//! - Exit 1 when a test failed, never finished, or succeeded unexpectedly.
//!
//! python crashes (`AssertionError: Either err or details must be provided`) on any failure or
//! expected failure that carries no attachment; what it means is the row, so the row is
//! written.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, Timestamp, to_vec};
//! use subunit_sinks::{Verdict, csv, script::FilterOptions};
//!
//! let stream = to_vec(&Packet::status("t.a", Status::XFail)
//!     .with_timestamp(Timestamp::new(1_700_000_000, 5_000)).as_ref())?;
//! let mut out = Vec::new();
//! let options = FilterOptions::default();
//! assert_eq!(csv::run(&stream[..], &mut out, None, options)?, Verdict::Passed);
//! assert_eq!(
//!     String::from_utf8(out)?,
//!     "test,status,start_time,stop_time\r\n\
//!      t.a,xfail,2023-11-14 22:13:20.000005+00:00,2023-11-14 22:13:20.000005+00:00\r\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{Read, Write};

use subunit_emitter::{Status, Timestamp};
use subunit_parser::fold::TestRecord;

use crate::python::python_datetime;
use crate::script::{FilterOptions, Passthrough, run_filter};
use crate::{Error, Verdict};

/// The header row.
pub const HEADER: &str = "test,status,start_time,stop_time\r\n";

/// testtools' outcome name for a record, as `TestByTestResult` reports it.
pub fn outcome(record: &TestRecord) -> &'static str {
    match record.status {
        Some(Status::Success | Status::UxSuccess) => "success",
        Some(Status::Skip | Status::Exists) => "skip",
        Some(Status::XFail) => "xfail",
        Some(Status::Fail | Status::InProgress | Status::Undefined) | None => "failure",
    }
}

/// Writes one field, quoted as python's `csv` module quotes in the `excel` dialect.
fn write_field(out: &mut dyn Write, field: &str) -> std::io::Result<()> {
    if field.contains([',', '"', '\r', '\n']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}

/// The CSV writer: the run's one clock and the verdict.
#[derive(Debug, Default)]
pub struct CsvSink {
    clock: Option<i64>,
    failed: bool,
}

impl CsvSink {
    /// A writer whose clock has not been set.
    pub fn new() -> Self {
        CsvSink::default()
    }

    fn now(&self) -> i64 {
        self.clock
            .unwrap_or_else(|| Timestamp::now().python_micros() as i64)
    }

    /// Writes the row for one record.
    pub fn write_row(&mut self, out: &mut dyn Write, record: &TestRecord) -> std::io::Result<()> {
        if let Some(ts) = record.start {
            self.clock = Some(ts.python_micros() as i64);
        }
        let start = self.now();
        if let Some(ts) = record.end {
            self.clock = Some(ts.python_micros() as i64);
        }
        let stop = self.now();
        if matches!(
            record.status,
            Some(Status::Fail | Status::UxSuccess | Status::InProgress | Status::Undefined) | None
        ) {
            self.failed = true;
        }
        write_field(out, &record.id)?;
        write!(
            out,
            ",{},{},{}\r\n",
            outcome(record),
            python_datetime(start),
            python_datetime(stop)
        )
    }

    /// testtools' `wasSuccessful()`: no failure, unfinished test or unexpected success.
    pub fn was_successful(&self) -> bool {
        !self.failed
    }
}

/// Runs `subunit2csv` over `input`: passthrough and forwarding to `out`, the CSV to `csv_out`
/// when given (`-o`) or else to `out`. Returns the verdict.
pub fn run<R: Read>(
    input: R,
    out: &mut dyn Write,
    mut csv_out: Option<&mut dyn Write>,
    options: FilterOptions,
) -> Result<Verdict, Error> {
    let mut sink = CsvSink::new();
    match csv_out.as_deref_mut() {
        Some(w) => w.write_all(HEADER.as_bytes())?,
        None => out.write_all(HEADER.as_bytes())?,
    }
    run_filter(input, out, options, Passthrough::Subunit, |out, record| {
        match csv_out.as_deref_mut() {
            Some(w) => sink.write_row(w, &record)?,
            None => sink.write_row(out, &record)?,
        }
        Ok(())
    })?;
    if let Some(w) = csv_out {
        w.flush()?;
    }
    out.flush()?;
    Ok(Verdict::passed_if(sink.was_successful()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, to_stream};

    #[test]
    fn quoting_clock_and_verdict() {
        let ts = |s| Timestamp::new(s, 0);
        let packets = [
            Packet::status("a,\"b\"", Status::Fail).with_timestamp(ts(100)),
            Packet::status("u", Status::InProgress).with_timestamp(ts(101)),
            Packet::status("u", Status::UxSuccess).with_timestamp(ts(102)),
            // No timestamps: the clock still says 102.
            Packet::status("x", Status::XFail),
        ];
        let s = to_stream(&packets).unwrap();
        let mut out = Vec::new();
        let code = run(&s[..], &mut out, None, FilterOptions::default()).unwrap();
        assert_eq!(code, Verdict::Failed);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "test,status,start_time,stop_time\r\n\
             \"a,\"\"b\"\"\",failure,1970-01-01 00:01:40+00:00,1970-01-01 00:01:40+00:00\r\n\
             u,success,1970-01-01 00:01:41+00:00,1970-01-01 00:01:42+00:00\r\n\
             x,xfail,1970-01-01 00:01:42+00:00,1970-01-01 00:01:42+00:00\r\n"
        );
    }
}
