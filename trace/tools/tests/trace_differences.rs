//! Each difference from stestr's `subunit_trace` that `trace/DIFFERENCES.md` lists, shown on
//! both tools: what stestr does (so the list stays true) and what we do instead.

use crate::common;

use common::trace::*;
use common::write;
use subunit_emitter::{Packet, Status};

fn both(name: &str, bytes: &[u8], flags: &[&str]) -> (std::process::Output, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    (
        stestr(&path, flags, dir.path()),
        ours(&path, flags, dir.path()),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn python_crashed(py: &std::process::Output, error: &str) {
    let err = text(&py.stderr);
    assert!(
        py.status.code() == Some(1) && err.contains("Traceback") && err.contains(error),
        "expected stestr to crash with {error}:\n{}",
        show(py)
    );
}

#[test]
fn tests_without_timestamps_still_ran() {
    let run = Stream::new()
        .packet(Packet::status("n.a", Status::InProgress))
        .packet(Packet::status("n.a", Status::Success))
        .packet(Packet::status("n.b", Status::Success))
        .build();
    let (py, ours) = both("no-times", &run, &[]);
    assert_eq!(py.status.code(), Some(1));
    assert_eq!(
        text(&py.stderr),
        "The test run didn't actually run any tests\n"
    );
    assert!(!text(&py.stdout).contains("Totals"));
    assert_eq!(ours.status.code(), Some(0), "{}", show(&ours));
    let out = text(&ours.stdout);
    assert!(
        out.starts_with("{0} n.a [] ... ok\n{0} n.b [] ... ok\n"),
        "{out}"
    );
    assert!(out.contains("Ran: 2 tests in 0.0000 sec.\n"), "{out}");
    assert!(out.contains(" - Worker 0 (2 tests) => N/A\n"), "{out}");
}

#[test]
fn a_run_where_no_test_ended_is_summarised() {
    let run = Stream::new().start("h.hung", 0).build();
    let (py, ours) = both("hung", &run, &[]);
    python_crashed(&py, "max() arg is an empty sequence");
    assert_eq!(ours.status.code(), Some(1));
    let out = text(&ours.stdout);
    assert!(out.starts_with("{0} h.hung [] ... inprogress\n"), "{out}");
    assert!(out.contains("Ran: 1 tests in 0.0000 sec."), "{out}");
    // Nothing passed: that rule comes first, as in stestr.
    assert_eq!(
        text(&ours.stderr),
        "\nNo tests were successful during the run\n"
    );
}

#[test]
fn undecodable_text_is_replaced_not_fatal() {
    let run = Stream::new()
        .test("u.ok", Status::Success, (0, 1), 0, &[])
        .test(
            "u.bad",
            Status::Fail,
            (1, 2),
            0,
            &[("traceback", Some(TEXT), &[b"bad \xff byte\n"])],
        )
        .test(
            "u.cut",
            Status::Fail,
            (2, 3),
            0,
            &[("traceback", Some(TEXT), &[b"cut \xc3"])],
        )
        .test(
            "u.charset",
            Status::Fail,
            (3, 4),
            0,
            &[("log", Some("text/plain;charset=klingon"), &[b"qapla'\n"])],
        )
        .build();
    let (py, ours) = both("bad-utf8", &run, &[]);
    python_crashed(&py, "UnicodeDecodeError");
    assert_eq!(ours.status.code(), Some(1));
    let out = text(&ours.stdout);
    assert!(out.contains("    bad \u{fffd} byte\n\n"), "{out}");
    assert!(out.contains("    cut \n    \u{fffd}\n"), "{out}");
    assert!(
        out.contains("Captured log:\n~~~~~~~~~~~~~\n    qapla'\n\n"),
        "{out}"
    );
}

#[test]
fn a_binary_skip_reason_is_read_as_utf8() {
    let run = Stream::new()
        .test("b.ok", Status::Success, (0, 1), 0, &[])
        .test(
            "b.skip",
            Status::Skip,
            (1, 2),
            0,
            &[("reason", None, &[b"no network"])],
        )
        .build();
    let (py, ours) = both("binary-reason", &run, &[]);
    python_crashed(&py, "Not a text type");
    assert_eq!(ours.status.code(), Some(0));
    assert!(text(&ours.stdout).contains("{0} b.skip ... SKIPPED: no network\n"));
}

#[test]
fn a_worker_tag_without_a_number_is_passed_over() {
    let run = Stream::new()
        .start("w.a", 0)
        .packet(
            Packet::status("w.a", Status::Success)
                .with_timestamp(at(1))
                .with_tags(["worker-main", "worker-2"]),
        )
        .build();
    let (py, ours) = both("worker-tag", &run, &[]);
    python_crashed(&py, "invalid literal for int()");
    assert_eq!(ours.status.code(), Some(0));
    let out = text(&ours.stdout);
    assert!(out.starts_with("{2} w.a [0.001000s] ... ok\n"), "{out}");
    assert!(
        out.contains(" - WARNING: missing Worker 1!\n - Worker 2 (1 tests)"),
        "{out}"
    );
}

#[test]
fn binary_attachments_print_their_bytes_not_a_memoryview_address() {
    let run = Stream::new()
        .test(
            "x.bin",
            Status::Fail,
            (0, 1),
            0,
            &[("core", None, &[b"\x7fELF\x00'"])],
        )
        .build();
    let (py, ours) = both("binary", &run, &["--show-binary-attachments"]);
    let py_out = text(&py.stdout);
    assert!(
        regex::Regex::new(r"\n    <memory at 0x[0-9a-f]+>\n")
            .unwrap()
            .is_match(&py_out),
        "{py_out}"
    );
    assert!(
        text(&ours.stdout).contains("Captured core:\n~~~~~~~~~~~~~~\n    b\"\\x7fELF\\x00'\"\n")
    );
}

#[test]
fn a_declared_length_under_8_is_a_parser_failure_not_a_crash() {
    let sample = subunit_samples::get("damaged-length-under-8");
    let (py, ours) = both("short", &sample.bytes(), &[]);
    python_crashed(&py, "ValueError");
    assert_eq!(ours.status.code(), Some(1));
    let out = text(&ours.stdout);
    assert!(out.contains("{0} subunit.parser [] ... FAILED\n"), "{out}");
    assert!(out.contains("damaged.after_short_length"), "{out}");
    assert!(out.contains("damaged.last"), "{out}");
}

#[test]
fn the_threshold_applies() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join(".testrepository");
    std::fs::create_dir(&repo).unwrap();
    // dbm.dumb's files as python writes them, plus the empty file python's isfile() needs.
    std::fs::write(repo.join("times.dbm.dat"), b"1.0").unwrap();
    std::fs::write(
        repo.join("times.dbm.dir"),
        b"'pkg.tests.test_api.TestApi.test_create[id-1a2b3c,smoke]', (0, 3)\n",
    )
    .unwrap();
    std::fs::write(repo.join("times.dbm"), b"").unwrap();
    let stream = write(dir.path(), "run", &reference_run());
    let py = stestr(&stream, &["-d", "-t", "50"], dir.path());
    assert!(text(&py.stdout).contains("test_create [1.250000s +25.00%] ... ok"));
    let ours = ours(&stream, &["-d", "-t", "50"], dir.path());
    assert!(
        text(&ours.stdout).contains("test_create [1.250000s] ... ok"),
        "{}",
        show(&ours)
    );
    let ours = crate::common::trace::ours(&stream, &["-d", "-t", "25"], dir.path());
    assert!(text(&ours.stdout).contains("test_create [1.250000s +25.00%] ... ok"));
}

#[test]
fn times_are_found_without_the_placeholder_and_in_a_stestr_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join(".stestr");
    std::fs::create_dir(&repo).unwrap();
    // stestr stores the id without its attributes.
    std::fs::write(repo.join("times.dbm.dat"), b"1.0").unwrap();
    std::fs::write(
        repo.join("times.dbm.dir"),
        b"'pkg.tests.test_api.TestApi.test_create', (0, 3)\n",
    )
    .unwrap();
    let stream = write(dir.path(), "run", &reference_run());
    let py = stestr(&stream, &["-d"], dir.path());
    assert!(!text(&py.stdout).contains('%'));
    let ours = ours(&stream, &["-d"], dir.path());
    assert!(
        text(&ours.stdout).contains("test_create [1.250000s +25.00%] ... ok"),
        "{}",
        show(&ours)
    );
}
