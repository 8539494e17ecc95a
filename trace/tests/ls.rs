//! `subunit-ls` against python-subunit 1.4.6's, byte for byte, on every sample and on generated
//! runs with many workers, for every flag; `--times` where python crashes against python with
//! its crash mended; snapshots; exit codes, missing files and a closed pipe.

use std::io::Read;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use subunit_samples::synthetic::{RunSpec, write_run};
use subunit_samples::{python, v2};

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::cargo_bin("subunit-ls").unwrap();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = std::io::Write::write_all(&mut input, stdin);
        });
        child.wait_with_output().unwrap()
    })
}

/// python's `subunit-ls` with its `--times` crash mended the way its code means: an unknown
/// duration (its `0` fallback, an `int`) is printed as a zero `timedelta`.
const MENDED_LS: &str = r#"
import datetime, runpy, sys
from subunit.test_results import TestIdPrintingResult
_report = TestIdPrintingResult.reportTest
def reportTest(self, test_id, duration):
    if isinstance(duration, int):
        duration = datetime.timedelta(seconds=duration)
    return _report(self, test_id, duration)
TestIdPrintingResult.reportTest = reportTest
tool = sys.argv[1]
sys.argv = [tool] + sys.argv[2:]
runpy.run_path(tool, run_name="__main__")
"#;

fn python_ls(args: &[&str], stream: &[u8], mended: bool) -> Output {
    let env = python::env();
    if mended {
        let bin = env.bin("subunit-ls");
        let mut full = vec!["-c", MENDED_LS, bin.to_str().unwrap()];
        full.extend_from_slice(args);
        let mut cmd = env.command();
        cmd.args(&full)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        std::thread::scope(|s| {
            s.spawn(move || {
                let _ = std::io::Write::write_all(&mut input, stream);
            });
            child.wait_with_output().unwrap()
        })
    } else {
        env.run_tool("subunit-ls", args, stream)
    }
}

fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    let plain = python_ls(args, stream, false);
    let crashed =
        String::from_utf8_lossy(&plain.stderr).contains("'int' object has no attribute 'seconds'");
    assert!(
        plain.stderr.is_empty() || crashed,
        "{what} {args:?}: python failed: {}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let theirs = if crashed {
        assert!(
            args.contains(&"--times"),
            "{what}: python crashed without --times"
        );
        let mended = python_ls(args, stream, true);
        assert!(
            mended.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&mended.stderr)
        );
        mended
    } else {
        plain
    };
    let mine = ours(args, stream);
    assert_eq!(
        String::from_utf8_lossy(&mine.stdout),
        String::from_utf8_lossy(&theirs.stdout),
        "{what} {args:?}: output differs"
    );
    assert_eq!(mine.stdout, theirs.stdout, "{what} {args:?}: bytes differ");
    assert_eq!(
        mine.status.code(),
        theirs.status.code(),
        "{what} {args:?}: exit code"
    );
    assert!(mine.stderr.is_empty());
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
        let (_, bytes) = write_run(
            RunSpec {
                tests,
                workers,
                seed,
            },
            Vec::new(),
        )
        .unwrap();
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
    let out = Command::cargo_bin("subunit-ls")
        .unwrap()
        .arg("/nonexistent/stream.subunit")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("subunit-ls: /nonexistent/stream.subunit: "),
        "{err}"
    );
    assert_eq!(ours(&["--bogus"], b"").status.code(), Some(2));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    let (_, bytes) = write_run(RunSpec::new(50_000), Vec::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.subunit");
    std::fs::write(&path, &bytes).unwrap();
    let mut child = Command::cargo_bin("subunit-ls")
        .unwrap()
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
