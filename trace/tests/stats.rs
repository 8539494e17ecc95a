//! `subunit-stats` against python-subunit 1.4.6's, byte for byte, on every sample and on
//! generated runs with many workers; its text as a snapshot; exit codes, missing files and a
//! closed pipe.

use std::io::Read;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use subunit_samples::synthetic::{RunSpec, write_run};
use subunit_samples::{python, v2};

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::cargo_bin("subunit-stats").unwrap();
    cmd.args(args);
    run(cmd, stdin)
}

fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = std::io::Write::write_all(&mut input, stdin);
        });
        child.wait_with_output().unwrap()
    })
}

fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    // python reads a file, not a pipe: on a pipe it batches stray bytes by timing
    // (DIFFERENCES.md, common section), which `-f` would show.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.subunit");
    std::fs::write(&path, stream).unwrap();
    let mut full: Vec<&str> = args.to_vec();
    full.push(path.to_str().unwrap());
    let theirs = python::env().run_tool("subunit-stats", &full, b"");
    assert!(
        theirs.stderr.is_empty(),
        "{what}: python failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
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
    assert!(
        mine.stderr.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&mine.stderr)
    );
}

#[test]
fn every_sample_matches_python() {
    let mut compared = 0;
    for sample in v2() {
        if let Some(error) = &sample.description.python_expected().error {
            // python's reader dies on this stream (see the sample's notes); ours reads on.
            let mine = ours(&[], &sample.bytes());
            assert!(
                mine.status.code().is_some_and(|c| c < 2),
                "{}: {error}",
                sample.name
            );
            continue;
        }
        for args in [
            &[][..],
            &["--no-passthrough"],
            &["-f"],
            &["-f", "--no-passthrough"],
        ] {
            if args.contains(&"-f") && has_tags(&sample.bytes()) {
                // Forwarded packets with several tags come out in python's set order
                // (DIFFERENCES.md); the tag order is all that differs.
                continue;
            }
            assert_same(&sample.name, args, &sample.bytes());
        }
        compared += 1;
    }
    assert!(compared >= 8, "only {compared} samples compared");
}

/// Whether any packet of the stream carries two or more tags (python re-encodes a tag set in
/// its hash order, so forwarded bytes may differ from ours in tag order only).
fn has_tags(stream: &[u8]) -> bool {
    let mut reader = subunit_parser::events::EventReader::new(stream);
    while let Some(e) = reader.next_event().unwrap() {
        if e.tags.is_some_and(|t| t.len() > 1) {
            return true;
        }
    }
    false
}

#[test]
fn generated_runs_with_many_workers_match_python() {
    for (tests, workers, seed) in [(3000, 16, 7), (500, 3, 2)] {
        let (counts, bytes) = write_run(
            RunSpec {
                tests,
                workers,
                seed,
            },
            Vec::new(),
        )
        .unwrap();
        assert!(counts.fail > 0 && counts.uxsuccess > 0);
        assert_same(&format!("run {tests}x{workers}"), &[], &bytes);
    }
}

#[test]
fn report_snapshot() {
    let sample = subunit_samples::get("emitter-all");
    let out = ours(&["--no-passthrough"], &sample.bytes());
    insta::assert_snapshot!("stats_emitter_all", String::from_utf8(out.stdout).unwrap());
    let out = ours(&[], &sample.bytes());
    insta::assert_snapshot!(
        "stats_emitter_all_passthrough",
        String::from_utf8(out.stdout).unwrap()
    );
}

#[test]
fn output_to_a_file_and_files_as_arguments() {
    let sample = subunit_samples::get("emitter-all");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    let out = Command::cargo_bin("subunit-stats")
        .unwrap()
        .arg("-o")
        .arg(&report)
        .arg(&sample.path)
        .output()
        .unwrap();
    // The failures make it exit 1; the passthrough stays on stdout.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"output from no test\nrun-wide log\n");
    let theirs = python::env().run_tool("subunit-stats", ["--no-passthrough"], &sample.bytes());
    assert_eq!(std::fs::read(&report).unwrap(), theirs.stdout);
}

#[test]
fn missing_file_is_one_line_and_status_2() {
    let out = Command::cargo_bin("subunit-stats")
        .unwrap()
        .arg("/nonexistent/stream.subunit")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("subunit-stats: /nonexistent/stream.subunit: "),
        "{err}"
    );
    let bad = ours(&["--no-such-flag"], b"");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    // Passthrough of a large stray text, read by a reader that goes away at once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.txt");
    std::fs::write(&path, vec![b'x'; 4 << 20]).unwrap();
    let mut child = Command::cargo_bin("subunit-stats")
        .unwrap()
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
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
