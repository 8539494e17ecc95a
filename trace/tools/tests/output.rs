//! `subunit-output` against python-subunit 1.4.6's: the same packets, byte for byte, apart
//! from the timestamp both stamp with the wall clock (compared by presence) and the order of
//! two or more tags; plus its errors and the differences python's crash forces.

use crate::common;

use std::collections::HashSet;
use std::path::Path;

use common::ours;
use common::stream::{dump, normalise, python};

fn both(args: &[&str], stdin_file: Option<&Path>) {
    let stdin = stdin_file
        .map(|p| std::fs::read(p).unwrap())
        .unwrap_or_default();
    let py = python("subunit-output", args, stdin_file);
    let us = ours("subunit-output", args, &stdin);
    assert_eq!(
        py.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(
        us.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&us.stderr)
    );
    // Every timestamp is made up (now); normalise them all.
    let none = HashSet::new();
    let (p, o) = (normalise(&py.stdout, &none), normalise(&us.stdout, &none));
    assert!(
        p == o,
        "{args:?}\n--- python\n{}--- ours\n{}",
        dump(&p),
        dump(&o)
    );
    // And each stamp is now: within a minute of this test's clock.
    let mut r = subunit_parser::events::EventReader::new(&us.stdout[..]);
    let now = subunit_emitter::Timestamp::now().secs;
    while let Some(e) = r.next_event().unwrap() {
        if let Some(t) = e.timestamp {
            assert!(now.abs_diff(t.secs) < 60, "{t:?}");
            assert_eq!(t.nanos % 1000, 0, "microseconds, as python");
        }
    }
}

#[test]
fn every_status_alone() {
    for status in [
        "exists",
        "inprogress",
        "success",
        "fail",
        "skip",
        "xfail",
        "uxsuccess",
    ] {
        both(&[&format!("--{status}"), "pkg.test_one"], None);
    }
}

#[test]
fn tags_files_and_mime_types() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "line one\nline two\n").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let log = log.to_str().unwrap();
    let empty = empty.to_str().unwrap();
    both(&["--inprogress", "t", "--tag", "a"], None);
    both(
        &[
            "--fail",
            "t",
            "--attach-file",
            log,
            "--mimetype",
            "text/plain",
            "--tag",
            "t1",
            "--tag",
            "t2",
        ],
        None,
    );
    both(&["--attach-file", log], None);
    both(
        &["--attach-file", log, "--file-name", "renamed", "--tag", "x"],
        None,
    );
    both(&["--skip", "t", "--attach-file", empty], None);
    both(&["--tag", "only"], None);
    both(&[], None);
    // optparse's abbreviations
    both(&["--succ", "t", "--attach", log, "--mime", "text/x"], None);
}

#[test]
fn standard_input_in_chunks_of_three_and_a_half_mib() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    let data: Vec<u8> = (0..subunit_emitter::FILE_CHUNK_SIZE * 2 + 1000)
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(&big, &data).unwrap();
    both(&["--uxsuccess", "t", "--attach-file", "-"], Some(&big));
    both(
        &[
            "--attach-file",
            big.to_str().unwrap(),
            "--mimetype",
            "application/octet-stream",
        ],
        None,
    );
}

#[test]
fn stdin_with_a_file_name_works_where_python_crashes() {
    let out = python(
        "subunit-output",
        &["--success", "t", "--attach-file", "-", "--file-name", "X"],
        None,
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'str' object has no attribute 'read'"));
    let us = ours(
        "subunit-output",
        &["--success", "t", "--attach-file", "-", "--file-name", "X"],
        b"from stdin",
    );
    assert_eq!(us.status.code(), Some(0));
    let mut r = subunit_parser::events::EventReader::new(&us.stdout[..]);
    let e = r.next_event().unwrap().unwrap();
    let f = e.file.unwrap();
    assert_eq!((f.name, f.content, e.eof), ("X", &b"from stdin"[..], true));
    assert_eq!(e.status, subunit_emitter::Status::Success);
}

#[test]
fn route_codes_go_on_every_packet() {
    let data = vec![b'x'; subunit_emitter::FILE_CHUNK_SIZE + 1];
    let us = ours(
        "subunit-output",
        &["--fail", "t", "--attach-file", "-", "--route-code", "0/3"],
        &data,
    );
    assert_eq!(us.status.code(), Some(0));
    let mut r = subunit_parser::events::EventReader::new(&us.stdout[..]);
    let mut n = 0;
    while let Some(e) = r.next_event().unwrap() {
        assert_eq!(e.route_code, Some("0/3"));
        n += 1;
    }
    assert_eq!(n, 2);
}

#[test]
fn bad_options_are_status_2_as_in_python() {
    for args in [
        &["--mimetype", "text/plain"][..],
        &["--file-name", "x"],
        &["--success", "a", "--fail", "b"],
        &["--success"],
        &["--attach-file", "/nonexistent/file"],
    ] {
        let py = python("subunit-output", args, None);
        let us = ours("subunit-output", args, b"");
        assert_eq!(py.status.code(), Some(2), "{args:?}");
        assert_eq!(us.status.code(), Some(2), "{args:?}");
        assert!(us.stdout.is_empty() && !us.stderr.is_empty(), "{args:?}");
    }
    let missing = ours(
        "subunit-output",
        &["--attach-file", "/nonexistent/file"],
        b"",
    );
    let err = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn help_snapshot() {
    let help = ours("subunit-output", &["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(help.stdout).unwrap());
}
