//! `subunit-1to2` and `subunit-2to1` against python-subunit 1.4.6's, on every sample stream
//! (v1 samples for one, v2 samples, damaged ones included, and generated many-worker runs for
//! the other), plus their CLI contract and a snapshot of the v1 text.

use crate::common;

use std::path::Path;

use common::stream::{assert_same_stream, inputs, python, synthetic, timestamps};
use common::{assert_closed_pipe_on_file, assert_missing_file, ours};

/// v1 text with the words of each `tags:` line sorted (python writes a set's order).
pub(crate) fn sort_tag_lines(v1: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in v1.split_inclusive(|&b| b == b'\n') {
        match line
            .strip_prefix(b"tags: ")
            .and_then(|l| l.strip_suffix(b"\n"))
        {
            Some(rest) => {
                let mut words: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
                words.sort_unstable();
                out.extend_from_slice(b"tags: ");
                out.extend_from_slice(&words.join(&b' '));
                out.push(b'\n');
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

#[test]
fn two_to_one_on_every_sample_corpus_run_and_generated_run() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::stream::corpus_inputs(dir.path());
    for (name, path, crash) in inputs(dir.path(), &[(8, 300, 21), (32, 1000, 22)])
        .into_iter()
        .chain(corpus)
    {
        let file = path.to_str().unwrap();
        let py = python("subunit-2to1", &[file], None);
        let us = ours("subunit-2to1", &[file], b"");
        assert_eq!(
            us.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&us.stderr)
        );
        let (p, o) = (sort_tag_lines(&py.stdout), sort_tag_lines(&us.stdout));
        if let Some(error) = crash {
            assert_eq!(py.status.code(), Some(1), "{name}");
            assert!(
                String::from_utf8_lossy(&py.stderr).contains(&error),
                "{name}"
            );
            assert!(o.starts_with(&p), "{name}");
            continue;
        }
        assert_eq!(py.status.code(), Some(0), "{name}");
        assert!(
            p == o,
            "{name}\n--- python\n{}\n--- ours\n{}",
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&o)
        );
        // From standard input too (python reading a file on its stdin).
        let input = std::fs::read(&path).unwrap();
        let us = ours("subunit-2to1", &[], &input);
        assert_eq!(sort_tag_lines(&us.stdout), p, "{name} from stdin");
    }
}

#[test]
fn two_to_one_snapshot() {
    // A small generated run (not a sample, whose bytes the samples crate may regenerate).
    let us = ours("subunit-2to1", &[], &synthetic(3, 12, 4));
    assert_eq!(us.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&us.stdout));
}

#[test]
fn one_to_two_on_every_v1_sample() {
    let v1: Vec<_> = subunit_samples::all()
        .into_iter()
        .filter(|s| s.format == subunit_samples::Format::V1)
        .collect();
    assert!(!v1.is_empty());
    for s in v1 {
        let file = s.path.to_str().unwrap();
        let input = std::fs::read(&s.path).unwrap();
        let py = python("subunit-1to2", &[file], None);
        let again = python("subunit-1to2", &[], Some(&s.path));
        assert_eq!(
            (py.status.code(), again.status.code()),
            (Some(0), Some(0)),
            "{}",
            s.name
        );
        // Timestamps python makes up (packets before the first `time:`) differ between its own
        // runs; the ones both runs agree on are the stream's.
        let stable: std::collections::HashSet<u64> = timestamps(&py.stdout)
            .intersection(&timestamps(&again.stdout))
            .copied()
            .collect();
        for us in [
            ours("subunit-1to2", &[file], b""),
            ours("subunit-1to2", &[], &input),
        ] {
            assert_eq!(us.status.code(), Some(0), "{}", s.name);
            let known_only = |b: &[u8]| common::stream::normalise(b, &stable);
            assert!(
                known_only(&py.stdout) == known_only(&us.stdout),
                "{}\n--- python\n{}--- ours\n{}",
                s.name,
                common::stream::dump(&py.stdout),
                common::stream::dump(&us.stdout)
            );
        }
    }
}

#[test]
fn one_to_two_writes_plain_lines_raw_and_round_trips_through_two_to_one() {
    let v1 = b"hello\ntime: 2024-01-02 03:04:05Z\ntest: a\nfailure: a [\nboom\n]\ntags: x\ntest: b\nsuccess: b\n";
    let us = ours("subunit-1to2", &[], v1);
    assert!(us.stdout.starts_with(b"hello\n\xb3"));
    let py = python_stdin("subunit-1to2", v1);
    assert_same_stream("1to2", &py, &us.stdout, &[]);
    let back = ours("subunit-2to1", &[], &us.stdout);
    let text = String::from_utf8(back.stdout).unwrap();
    assert!(
        text.starts_with("hello\ntime: 2024-01-02 03:04:05.000000Z\n"),
        "{text}"
    );
    assert!(text.contains("failure: a [ multipart\n"), "{text}");
    assert!(text.contains("tags: x\ntest: b\n"), "{text}");
}

fn python_stdin(tool: &str, input: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in");
    std::fs::write(&p, input).unwrap();
    let out = python(tool, &[], Some(&p));
    assert_eq!(out.status.code(), Some(0));
    out.stdout
}

#[test]
fn missing_files_are_one_line_and_status_2() {
    for tool in ["subunit-1to2", "subunit-2to1"] {
        assert_missing_file(tool, Path::new("/nonexistent/stream"));
    }
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    assert_closed_pipe_on_file("subunit-2to1", &[], &synthetic(16, 20_000, 5), 16);
}
