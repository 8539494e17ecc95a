//! `subunit-tags` against python-subunit 1.4.6's on every sample stream and on generated
//! many-worker streams, and its CLI contract.

use crate::common;

use common::stream::{assert_like_python, inputs, python, synthetic};
use common::{assert_closed_pipe_is_quiet, ours};

fn golden(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, path, crash) in inputs(dir.path(), &[(8, 300, 11), (24, 800, 12)]) {
        let input = std::fs::read(&path).unwrap();
        // python-subunit's subunit-tags reads standard input only: every argument is a tag.
        let py = python("subunit-tags", args, Some(&path));
        let us = ours("subunit-tags", args, &input);
        let what = format!("{name} with {args:?}");
        assert_like_python(&what, &py, &us, &input, crash.as_deref());
    }
}

#[test]
fn no_change_rewrites_every_packet_as_python_does() {
    golden(&[]);
}

#[test]
fn adding() {
    golden(&["foo"]);
    golden(&["worker-0", "extra"]);
}

#[test]
fn removing_and_both() {
    golden(&["-worker-0"]);
    golden(&["a", "-b", "worker-1", "-slow"]);
    golden(&["-worker-0", "-worker-1", "-worker-2", "-slow"]);
}

#[test]
fn an_empty_tag_is_status_2_and_help_documents_the_codes() {
    let out = ours("subunit-tags", &[""], b"");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    let help = ours("subunit-tags", &["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Exit status"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_short_dash_h_is_a_tag_to_remove_as_in_python() {
    let input = subunit_emitter::to_vec(
        &subunit_emitter::Packet::status("t", subunit_emitter::Status::Success)
            .with_tags(["h", "k"])
            .as_ref(),
    )
    .unwrap();
    let out = ours("subunit-tags", &["-h"], &input);
    assert_eq!(out.status.code(), Some(0));
    let mut r = subunit_parser::events::EventReader::new(&out.stdout[..]);
    let e = r.next_event().unwrap().unwrap();
    assert_eq!(e.tags.unwrap().to_vec(), ["k"]);
}

#[test]
fn a_closed_pipe_downstream_ends_quietly_with_status_0() {
    // python-subunit's subunit-tags reads standard input only.
    assert_closed_pipe_is_quiet("subunit-tags", &["x"], synthetic(16, 20_000, 5), 16);
}

#[test]
fn every_corpus_run_matches_python() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path, _) in common::stream::corpus_inputs(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        for args in [&["worker-9"][..], &["-", "worker-0"]] {
            let py = python("subunit-tags", args, Some(&path));
            let us = ours("subunit-tags", args, &bytes);
            assert_like_python(&format!("{name} with {args:?}"), &py, &us, &bytes, None);
        }
    }
}
