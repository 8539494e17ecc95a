//! `subunit-ls` against python-subunit 1.4.6's, byte for byte, on every sample and on generated
//! runs with many workers, for every flag; `--times` where python crashes against python with
//! its crash mended; snapshots; exit codes, missing files and a closed pipe.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{Feed, assert_missing_file, generated, lossy};
use subunit_samples::v2;

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    common::ours("subunit-ls", args, stdin)
}

/// python's `subunit-ls` with its `--times` crash mended the way its code means: an unknown
/// duration (its `0` fallback, an `int`) is printed as a zero `timedelta`.
const MENDED_LS: &str = r#"
import datetime
from subunit.test_results import TestIdPrintingResult
_report = TestIdPrintingResult.reportTest
def reportTest(self, test_id, duration):
    if isinstance(duration, int):
        duration = datetime.timedelta(seconds=duration)
    return _report(self, test_id, duration)
TestIdPrintingResult.reportTest = reportTest
"#;

/// The crash [`MENDED_LS`] mends.
const CRASH: &str = "'int' object has no attribute 'seconds'";

fn python_ls(args: &[&str], stream: &[u8], mended: bool) -> Output {
    let mend = mended.then_some(MENDED_LS);
    common::python_tool("subunit-ls", args, stream, Feed::Pipe, mend)
}

pub(crate) fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    let how = Feed::Pipe;
    let (theirs, crashed) =
        common::python_mended(what, "subunit-ls", args, stream, how, (CRASH, MENDED_LS));
    if crashed {
        assert!(
            args.contains(&"--times"),
            "{what}: python crashed without --times"
        );
    }
    let mine = ours(args, stream);
    common::assert_same_as_python(what, args, &mine, &theirs, lossy);
    assert_eq!(mine.stdout, theirs.stdout, "{what} {args:?}: bytes differ");
}

const FLAGS: [&[&str]; 6] = [
    &[],
    &["--exists"],
    &["--no-passthrough"],
    &["--times"],
    &["--times", "--exists"],
    &["--times", "--exists", "--no-passthrough"],
];

#[test]
fn every_sample_matches_python() {
    let mut compared = 0;
    for sample in v2() {
        if sample.description.python_expected().error.is_some() {
            // python's reader dies on this stream (see the sample's notes); ours reads on.
            let mine = ours(&[], &sample.bytes());
            assert!(mine.status.code().is_some_and(|c| c < 2), "{}", sample.name);
            continue;
        }
        for args in FLAGS {
            assert_same(&sample.name, args, &sample.bytes());
        }
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} samples compared");
}

#[test]
fn generated_runs_with_many_workers_match_python() {
    for (tests, workers, seed) in [(3000, 16, 3), (400, 4, 9)] {
        let (_, bytes) = generated(tests, workers, seed);
        for args in FLAGS {
            assert_same(&format!("run {tests}x{workers}"), args, &bytes);
        }
    }
}

#[test]
fn python_crashes_on_times_where_ours_prints_zero() {
    // The crash this tool mends, shown on a sample: a test with no inprogress start.
    let sample = subunit_samples::get("python-direct");
    let plain = python_ls(&["--times"], &sample.bytes(), false);
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("AttributeError"));
    let mine = ours(&["--times"], &sample.bytes());
    assert!(mine.stderr.is_empty());
    assert!(String::from_utf8_lossy(&mine.stdout).contains("\ndirect.routed 0.000\n"));
}

#[test]
fn snapshots() {
    let sample = subunit_samples::get("emitter-all");
    for (name, args) in [
        ("ls_emitter_all", &[][..]),
        (
            "ls_emitter_all_times_exists",
            &["--times", "--exists", "--no-passthrough"],
        ),
    ] {
        let out = ours(args, &sample.bytes());
        insta::assert_snapshot!(name, String::from_utf8(out.stdout).unwrap());
    }
}

#[test]
fn missing_file_is_one_line_and_status_2() {
    assert_missing_file("subunit-ls", Path::new("/nonexistent/stream.subunit"));
    assert_eq!(ours(&["--bogus"], b"").status.code(), Some(2));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    common::assert_closed_pipe_on_run("subunit-ls", 50_000);
}

#[test]
fn every_corpus_run_matches_python() {
    for (name, bytes) in common::corpus_v2() {
        for args in FLAGS {
            assert_same(&name, args, &bytes);
        }
    }
}
