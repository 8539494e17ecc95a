//! `subunit-stats` against python-subunit 1.4.6's, byte for byte, on every sample and on
//! generated runs with many workers; its text as a snapshot; exit codes, missing files and a
//! closed pipe.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{
    Feed, assert_closed_pipe_on_file, assert_missing_file, generated, has_tags, lossy, output_to,
};
use subunit_samples::{python, v2};

fn ours(args: &[&str], stdin: &[u8]) -> Output {
    common::ours("subunit-stats", args, stdin)
}

pub(crate) fn assert_same(what: &str, args: &[&str], stream: &[u8]) {
    // python reads a file, not a pipe: on a pipe it batches stray bytes by timing
    // (DIFFERENCES.md, common section), which `-f` would show.
    let theirs = common::python_tool("subunit-stats", args, stream, Feed::File, None);
    assert!(
        theirs.stderr.is_empty(),
        "{what}: python failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let mine = ours(args, stream);
    common::assert_same_as_python(what, args, &mine, &theirs, lossy);
    assert_eq!(mine.stdout, theirs.stdout, "{what} {args:?}: bytes differ");
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
        for args in common::FILTER_FLAGS {
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

#[test]
fn generated_runs_with_many_workers_match_python() {
    for (tests, workers, seed) in [(3000, 16, 7), (500, 3, 2)] {
        let (counts, bytes) = generated(tests, workers, seed);
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
    let (out, report) = output_to("subunit-stats", &[], &sample.path);
    // The failures make it exit 1; the passthrough stays on stdout.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"output from no test\nrun-wide log\n");
    let theirs = python::env().run_tool("subunit-stats", ["--no-passthrough"], &sample.bytes());
    assert_eq!(report, theirs.stdout);
}

#[test]
fn missing_file_is_one_line_and_status_2() {
    assert_missing_file("subunit-stats", Path::new("/nonexistent/stream.subunit"));
    let bad = ours(&["--no-such-flag"], b"");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn closed_pipe_downstream_is_quiet() {
    // Passthrough of a large stray text, read by a reader that goes away at once.
    assert_closed_pipe_on_file("subunit-stats", &[], &vec![b'x'; 4 << 20], 16);
}

#[test]
fn every_corpus_run_matches_python() {
    common::on_corpus_with_filter_flags(assert_same);
}

#[test]
fn python_crashes_on_undecodable_failure_text_and_we_count_it() {
    use subunit_emitter::{Packet, Status, to_vec};
    let mut stream = to_vec(&Packet::status("t.ok", Status::Success).as_ref()).unwrap();
    stream.extend(
        to_vec(
            &Packet::status("t.bad", Status::Fail)
                .with_file(
                    "traceback",
                    Some("text/plain;charset=utf8"),
                    b"caf\xe9 boom".to_vec(),
                    true,
                )
                .as_ref(),
        )
        .unwrap(),
    );
    let theirs = common::python_tool("subunit-stats", &[], &stream, Feed::File, None);
    let err = String::from_utf8_lossy(&theirs.stderr);
    assert!(err.contains("UnicodeDecodeError"), "{err}");
    assert_eq!(theirs.status.code(), Some(1));
    let mine = ours(&[], &stream);
    assert_eq!(mine.status.code(), Some(1), "the run failed");
    assert!(mine.stderr.is_empty());
    let text = String::from_utf8(mine.stdout).unwrap();
    assert!(text.contains("Total tests:       2\n"), "{text}");
    assert!(text.contains("Failed tests:      1\n"), "{text}");
}
