//! `subunit-stats`: the totals of a run.
//!
//! # Brief overview
//!
//! - It runs under python-subunit's `run_filter_script`
//!   ([`run_filter`]), as `subunit2csv` and `subunit2junitxml` do.
//! - [`Stats`] is `subunit.TestResultStats`: the sink behind `subunit-stats`, with its exact
//!   text ([`Stats::write_report`]) and its verdict ([`Stats::was_successful`]).
//!
//! # The rules (python-subunit 1.4.6, testtools 2.9.1)
//!
//! - Total counts every test but `exists` listings; Failed counts `fail` and the tests that
//!   never finished; Skipped counts `skip`; Passed is what is left, so `xfail` **and**
//!   `uxsuccess` count as passed.
//! - The run failed when Failed is not zero; a run whose only problem is an unexpected success
//!   passed.
//! - "Seen tags" is the union of every counted test's tags, sorted.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_stream};
//! use subunit_sinks::script::{FilterOptions, Passthrough, run_filter};
//! use subunit_sinks::stats::Stats;
//!
//! let stream = to_stream(&[
//!     Packet::status("t.a", Status::Success).with_tags(["w"]),
//!     Packet::status("t.b", Status::Fail),
//! ])?;
//! let mut stats = Stats::new();
//! let mut out = Vec::new();
//! run_filter(&stream[..], &mut out, FilterOptions::default(), Passthrough::Raw, |_, r| {
//!     stats.add(&r);
//!     Ok(())
//! })?;
//! stats.write_report(&mut out)?;
//! assert_eq!(
//!     String::from_utf8(out)?,
//!     "Total tests:       2\nPassed tests:      1\nFailed tests:      1\nSkipped tests:     0\nSeen tags: w\n"
//! );
//! assert!(!stats.was_successful());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::io::{Read, Write};

use subunit_emitter::Status;
use subunit_parser::fold::TestRecord;

use crate::script::{FilterOptions, Passthrough, run_filter};
use crate::{Error, Verdict};

/// The totals `subunit-stats` prints (python-subunit's `TestResultStats`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tests counted (all but `exists` listings).
    pub total: usize,
    /// `fail` and unfinished tests.
    pub failed: usize,
    /// `skip` tests.
    pub skipped: usize,
    /// Every tag seen on a counted test.
    pub tags: BTreeSet<String>,
}

impl Stats {
    /// No tests yet.
    pub fn new() -> Self {
        Stats::default()
    }

    /// Counts one record; `exists` listings are not counted (python never sees them).
    pub fn add(&mut self, record: &TestRecord) {
        if record.status == Some(Status::Exists) {
            return;
        }
        self.total += 1;
        match record.status {
            Some(Status::Skip) => self.skipped += 1,
            Some(Status::Success | Status::XFail | Status::UxSuccess | Status::Exists) => {}
            Some(Status::Fail | Status::InProgress | Status::Undefined) | None => self.failed += 1,
        }
        for tag in &record.tags {
            if !self.tags.contains(tag) {
                self.tags.insert(tag.clone());
            }
        }
    }

    /// Tests that count as passed: everything neither failed nor skipped.
    pub fn passed(&self) -> usize {
        self.total - self.failed - self.skipped
    }

    /// python's verdict: no failed tests.
    pub fn was_successful(&self) -> bool {
        self.failed == 0
    }

    /// Writes the report, byte for byte as python's `formatStats`.
    pub fn write_report(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write!(
            out,
            "Total tests:   {:5}\nPassed tests:  {:5}\nFailed tests:  {:5}\nSkipped tests: {:5}\nSeen tags: ",
            self.total,
            self.passed(),
            self.failed,
            self.skipped
        )?;
        for (i, tag) in self.tags.iter().enumerate() {
            if i > 0 {
                out.write_all(b", ")?;
            }
            out.write_all(tag.as_bytes())?;
        }
        out.write_all(b"\n")
    }
}

/// Runs `subunit-stats` over `input`: passthrough (raw) and forwarding to `out`, the report to
/// `report` when given (`-o`) or else to `out`. Returns the verdict.
pub fn run<R: Read>(
    input: R,
    out: &mut dyn Write,
    report: Option<&mut dyn Write>,
    options: FilterOptions,
) -> Result<Verdict, Error> {
    let mut stats = Stats::new();
    run_filter(input, out, options, Passthrough::Raw, |_, record| {
        stats.add(&record);
        Ok(())
    })?;
    match report {
        Some(w) => {
            stats.write_report(w)?;
            w.flush()?;
        }
        None => stats.write_report(out)?,
    }
    out.flush()?;
    Ok(Verdict::passed_if(stats.was_successful()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Packet, PacketRef, Timestamp, to_stream};

    fn stream(packets: &[Packet]) -> Vec<u8> {
        to_stream(packets).unwrap()
    }

    #[test]
    fn python_rounds_to_micros_half_to_even() {
        assert_eq!(Timestamp::new(1, 1_500).python_rounded().nanos, 2_000);
        assert_eq!(Timestamp::new(1, 2_500).python_rounded().nanos, 2_000);
        assert_eq!(Timestamp::new(1, 2_501).python_rounded().nanos, 3_000);
        assert_eq!(
            Timestamp::new(1, 999_999_600).python_rounded(),
            Timestamp::new(2, 0)
        );
        assert_eq!(Timestamp::new(2, 3_000).python_micros(), 2_000_003);
    }

    #[test]
    fn uxsuccess_and_xfail_pass_unfinished_fails_exists_is_not_counted() {
        let s = stream(&[
            Packet::status("a", Status::UxSuccess).with_tags(["z", "a"]),
            Packet::status("b", Status::XFail),
            Packet::status("c", Status::Exists).with_tags(["hidden"]),
            Packet::status("d", Status::InProgress),
            Packet::status("e", Status::Skip),
        ]);
        let mut out = Vec::new();
        let code = run(&s[..], &mut out, None, FilterOptions::default()).unwrap();
        assert_eq!(code, Verdict::Failed);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Total tests:       4\nPassed tests:      2\nFailed tests:      1\n\
             Skipped tests:     1\nSeen tags: a, z\n"
        );
    }

    #[test]
    fn exists_events_do_not_end_an_open_test() {
        // The decorator drops `exists` before folding, so the inprogress..fail test is one.
        let s = stream(&[
            Packet::status("a", Status::InProgress),
            Packet::status("a", Status::Exists),
            Packet::status("a", Status::Fail),
        ]);
        let mut ids = Vec::new();
        run_filter(
            &s[..],
            &mut Vec::new(),
            FilterOptions::default(),
            Passthrough::Raw,
            |_, r| {
                ids.push((r.id, r.status));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ids, [("a".to_owned(), Some(Status::Fail))]);
    }

    #[test]
    fn passthrough_raw_subunit_and_forward() {
        let mut s = b"stray\n".to_vec();
        s.extend(stream(&[Packet::status("t", Status::Success)]));
        let mut out = Vec::new();
        run_filter(
            &s[..],
            &mut out,
            FilterOptions::default(),
            Passthrough::Raw,
            |_, _| Ok(()),
        )
        .unwrap();
        assert_eq!(out, b"stray\n");
        let mut out = Vec::new();
        run_filter(
            &s[..],
            &mut out,
            FilterOptions::default(),
            Passthrough::Subunit,
            |_, _| Ok(()),
        )
        .unwrap();
        let mut expected = Vec::new();
        let stray = PacketRef {
            file: Some(subunit_emitter::FileRef {
                name: "stdout",
                content: b"stray\n",
            }),
            ..PacketRef::default()
        };
        subunit_emitter::encode(&stray, &mut expected).unwrap();
        assert_eq!(out, expected);
        let quiet = FilterOptions {
            passthrough: false,
            forward: true,
        };
        let mut out = Vec::new();
        run_filter(&s[..], &mut out, quiet, Passthrough::Raw, |_, _| Ok(())).unwrap();
        assert_eq!(out, stream(&[Packet::status("t", Status::Success)]));
        let mut out = Vec::new();
        let all = FilterOptions {
            passthrough: true,
            forward: true,
        };
        run_filter(&s[..], &mut out, all, Passthrough::Raw, |_, _| Ok(())).unwrap();
        expected.extend(stream(&[Packet::status("t", Status::Success)]));
        assert_eq!(out, expected);
    }
}
