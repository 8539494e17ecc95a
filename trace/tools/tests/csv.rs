//! `subunit2csv` against python-subunit 1.4.6's, byte for byte, on every sample and on generated
//! runs with many workers. python crashes on any failure or expected failure without an
//! attachment; there the comparison is with python with that crash mended the way its code
//! means. Also a snapshot, exit codes, `-o`, missing files and a closed pipe.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{Feed, assert_missing_file, generated, output_to, python_tool};
use subunit_samples::v2;

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    common::ours("subunit2csv", args, stdin)
}

/// python's `subunit2csv` with the `Either err or details must be provided` crash mended: an
/// outcome without details is recorded with no details instead of asserting.
const MENDED_CSV: &str = r#"
from testtools.testresult.real import TestByTestResult
_to_details = TestByTestResult._err_to_details
def _err_to_details(self, test, err, details):
    if not details and err is None:
        return {}
    return _to_details(self, test, err, details)
TestByTestResult._err_to_details = _err_to_details
"#;

/// The crash [`MENDED_CSV`] mends.
const CRASH: &str = "AssertionError: Either err or details must be provided";

/// python's tool on a file holding `stream` (see [`Feed::File`]), mended when `mended`.
fn python_csv(args: &[&str], stream: &[u8], mended: bool) -> Output {
    let mend = mended.then_some(MENDED_CSV);
    python_tool("subunit2csv", args, stream, Feed::File, mend)
}

pub(crate) fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    let how = Feed::File;
    let (theirs, _) =
        common::python_mended(what, "subunit2csv", args, stream, how, (CRASH, MENDED_CSV));
    let mine = ours(args, stream);
    common::assert_same_as_python(what, args, &mine, &theirs, |out| {
        mask_wall_clock(out, stream)
    });
}

/// `out` with every time that is not one of the stream's timestamps replaced by `<now>`:
/// before the stream gives a timestamp, python (and we) print the wall clock, which two
/// processes cannot agree on; that both print *a* wall-clock time there is still checked.
fn mask_wall_clock(out: &[u8], stream: &[u8]) -> String {
    let mut known = std::collections::HashSet::new();
    let mut reader = subunit_parser::events::EventReader::new(stream);
    while let Some(e) = reader.next_event().unwrap() {
        if let Some(ts) = e.timestamp {
            known.insert(subunit_sinks::python::python_datetime(
                ts.python_micros() as i64
            ));
        }
    }
    let re = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00").unwrap();
    re.replace_all(&String::from_utf8_lossy(out), |c: &regex::Captures<'_>| {
        if known.contains(&c[0]) {
            c[0].to_owned()
        } else {
            "<now>".to_owned()
        }
    })
    .into_owned()
}

#[test]
fn every_sample_matches_python() {
    let mut compared = 0;
    for sample in v2() {
        let bytes = sample.bytes();
        if sample.description.python_expected().error.is_some() {
            // python's reader dies on this stream (see the sample's notes); ours reads on.
            let mine = ours(&[], &bytes);
            assert!(mine.status.code().is_some_and(|c| c < 2), "{}", sample.name);
            continue;
        }
        for args in [&[][..], &["--no-passthrough"]] {
            assert_same(&sample.name, args, &bytes);
        }
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} samples compared");
}

#[test]
fn generated_runs_with_many_workers_match_python() {
    for (tests, workers, seed) in [(3000, 16, 5), (300, 2, 11)] {
        let (_, bytes) = generated(tests, workers, seed);
        assert_same(&format!("run {tests}x{workers}"), &[], &bytes);
    }
}

#[test]
fn python_crashes_on_an_xfail_without_details_and_we_write_the_row() {
    use subunit_emitter::{Packet, Status, Timestamp, to_vec};
    let stream = to_vec(
        &Packet::status("t.x", Status::XFail)
            .with_timestamp(Timestamp::new(1_700_000_000, 0))
            .as_ref(),
    )
    .unwrap();
    let plain = python_csv(&[], &stream, false);
    assert!(String::from_utf8_lossy(&plain.stderr).contains("AssertionError"));
    let mine = ours(&[], &stream);
    assert_eq!(mine.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(mine.stdout).unwrap(),
        "test,status,start_time,stop_time\r\n\
         t.x,xfail,2023-11-14 22:13:20+00:00,2023-11-14 22:13:20+00:00\r\n"
    );
}

#[test]
fn snapshot_and_output_to() {
    let sample = subunit_samples::get("emitter-all");
    let out = ours(&["--no-passthrough"], &sample.bytes());
    insta::assert_snapshot!(
        "csv_emitter_all",
        String::from_utf8(out.stdout.clone()).unwrap()
    );
    let (to_file, written) = output_to("subunit2csv", &["--no-passthrough"], &sample.path);
    assert_eq!(to_file.status.code(), out.status.code());
    assert!(to_file.stdout.is_empty());
    assert_eq!(written, out.stdout);
}

#[test]
fn missing_file_is_one_line_and_status_2() {
    assert_missing_file("subunit2csv", Path::new("/nonexistent/stream.subunit"));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    common::assert_closed_pipe_on_run("subunit2csv", 50_000);
}

#[test]
fn every_corpus_run_matches_python() {
    for (name, bytes) in common::corpus_v2() {
        for args in [&[][..], &["--no-passthrough"]] {
            assert_same(&name, args, &bytes);
        }
    }
}
