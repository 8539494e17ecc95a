//! `subunit-filter` against python-subunit 1.4.6's, on every sample stream and on generated
//! many-worker streams, for every kind of option; plus the CLI contract (exit codes, missing
//! files, a closed pipe) and a snapshot of one filtered stream's events.

use crate::common;

use std::path::{Path, PathBuf};

use common::stream::{assert_like_python, assert_same_stream, dump, python, synthetic};
use common::{assert_closed_pipe_on_file, assert_missing_file, ours};

/// The inputs: every v2 sample, and two generated runs (written into `dir`).
fn inputs(dir: &Path) -> Vec<(String, PathBuf, Option<String>)> {
    common::stream::inputs(dir, &[(8, 300, 7), (32, 1000, 99)])
}

/// Runs both tools with `args` on every input and compares output and exit status.
fn golden(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, path, python_crash) in inputs(dir.path()) {
        let input = std::fs::read(&path).unwrap();
        let file = path.to_str().unwrap();
        let mut with_file: Vec<&str> = args.to_vec();
        with_file.push(file);
        let py = python("subunit-filter", &with_file, None);
        let us = ours("subunit-filter", &with_file, b"");
        let what = format!("{name} with {args:?}");
        assert_like_python(&what, &py, &us, &input, python_crash.as_deref());
    }
}

#[test]
fn defaults() {
    golden(&[]);
}

#[test]
fn including_everything() {
    golden(&["-s", "--xfail"]);
}

#[test]
fn only_genuine_failures_and_what_follows_it() {
    golden(&["-F"]);
    golden(&["-F", "-s", "--passthrough"]);
    golden(&["--xfail", "-F"]);
}

#[test]
fn excluding_by_status() {
    golden(&["--no-passthrough", "-s", "--no-skip"]);
    golden(&["-f", "-e", "--success", "--no-xfail"]);
    golden(&["--no-failure", "--failure", "--no-success"]);
}

#[test]
fn regular_expressions_over_ids_outcomes_and_details() {
    golden(&["-s", "--xfail", "--with", "mod[12]", "-m", "skip"]);
    golden(&[
        "-s",
        "--without",
        "AssertionError",
        "--without",
        "Class\\.test_1",
    ]);
    golden(&["-s", "--xfail", "--with", "value=b'more\\\\n'"]);
    golden(&["--with=(?i)TRACEBACK", "-s"]);
}

#[test]
fn tags() {
    golden(&["-s", "--with-tag", "worker-0"]);
    golden(&[
        "-s",
        "--xfail",
        "--with-tag",
        "worker-1",
        "--with-tag",
        "slow",
    ]);
    golden(&["-s", "--without-tag", "slow", "--without-tag", "worker-3"]);
}

#[test]
fn fixups() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("expected");
    std::fs::write(
        &list,
        "pkg.mod1.Class.test_1  # flaky\n# comment\npkg.mod3.Class.test_3\npkg.mod4.Class.test_4\n",
    )
    .unwrap();
    let list = list.to_str().unwrap();
    golden(&["-s", "--no-skip", "--fixup-expected-failures", list]);
}

#[test]
fn renaming_covers_every_outcome() {
    // python renames only failures and successes; the option means every test.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.subunit");
    std::fs::write(&path, synthetic(4, 60, 3)).unwrap();
    let list = dir.path().join("expected");
    // Fixups look up the renamed id.
    std::fs::write(&list, "new.mod1.Class.test_1\nnew.mod3.Class.test_3\n").unwrap();
    let file = path.to_str().unwrap();
    let list = list.to_str().unwrap();
    let args = [
        "-s",
        "--xfail",
        "--rename",
        "^pkg",
        "new",
        "--fixup-expected-failures",
        list,
        file,
    ];
    let py = python("subunit-filter", &args, None);
    let us = ours("subunit-filter", &args, b"");
    // Every event equal once python's forgotten renames are applied to its output.
    let events = |bytes: &[u8], rename: bool| -> Vec<String> {
        let mut r = subunit_parser::events::EventReader::new(bytes);
        let mut v = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            let renamed = e.test_id.map(|id| id.replacen("pkg", "new", 1));
            let e = subunit_emitter::PacketRef {
                test_id: if rename {
                    renamed.as_deref()
                } else {
                    e.test_id
                },
                ..e
            };
            v.push(subunit_samples::event_json(&e).to_string());
        }
        v
    };
    let (p, o) = (events(&py.stdout, false), events(&us.stdout, false));
    assert_eq!(p.len(), o.len());
    assert_eq!(events(&py.stdout, true), o);
    let differ = p.iter().zip(&o).filter(|(p, o)| p != o).count();
    for (p, o) in p.iter().zip(&o).filter(|(p, o)| p != o) {
        assert!(p.contains("\"test_id\":\"pkg."), "{p}");
        assert!(!p.contains("\"test_status\":\"fail\""), "{p}");
        assert!(!p.contains("\"test_status\":\"success\""), "{p}");
        assert!(o.contains("\"test_id\":\"new."), "{o}");
    }
    assert!(differ > 0, "the run has skips, xfails or uxsuccesses");
}

#[test]
fn standard_input_is_read_as_python_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path, crash) in inputs(dir.path()) {
        if crash.is_some() {
            continue;
        }
        let input = std::fs::read(&path).unwrap();
        let py = python("subunit-filter", &["-s"], Some(&path));
        let us = ours("subunit-filter", &["-s"], &input);
        assert_eq!(
            (py.status.code(), us.status.code()),
            (Some(0), Some(0)),
            "{name}"
        );
        assert_same_stream(&name, &py.stdout, &us.stdout, &input);
    }
}

#[test]
fn filtered_events_snapshot() {
    // A small generated run (not a sample, whose bytes the samples crate may regenerate).
    let out = ours("subunit-filter", &["-s", "--xfail"], &synthetic(3, 12, 4));
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(dump(&out.stdout));
}

#[test]
fn a_missing_file_is_one_line_and_status_2() {
    assert_missing_file("subunit-filter", Path::new("/nonexistent/stream"));
}

#[test]
fn bad_patterns_and_options_are_status_2() {
    for args in [
        &["--with", "("][..],
        &["--rename", "a", "\\q"],
        &["--fixup-expected-failures", "/nonexistent/list"],
        &["--no-such-option"],
        &["--rename", "only-one"],
    ] {
        let out = ours("subunit-filter", args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn abbreviated_long_options_work_as_in_optparse() {
    let sample = subunit_samples::get("emitter-all");
    let file = sample.path.to_str().unwrap();
    let long = ours(
        "subunit-filter",
        &["--no-passthrough", "--success", file],
        b"",
    );
    let short = ours("subunit-filter", &["--no-pass", "--succ", file], b"");
    assert_eq!(long.status.code(), Some(0));
    assert_eq!(long.stdout, short.stdout);
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    let big = synthetic(16, 20_000, 5);
    assert_closed_pipe_on_file("subunit-filter", &["-s", "--xfail"], &big, 16);
}

#[test]
fn every_corpus_run_matches_python() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path, _) in common::stream::corpus_inputs(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        let file = path.to_str().unwrap();
        for args in [&[][..], &["--no-passthrough"], &["-s", "--no-skip"]] {
            let mut with_file: Vec<&str> = args.to_vec();
            with_file.push(file);
            let py = python("subunit-filter", &with_file, None);
            let us = ours("subunit-filter", &with_file, b"");
            assert_like_python(&format!("{name} with {args:?}"), &py, &us, &bytes, None);
        }
    }
}
