//! python-subunit 1.4.6's own tools read the streams we write: `subunit-ls` lists the ids we
//! wrote, `subunit-stats` counts what we wrote, testtools folds every record as we wrote it,
//! and none of them reports a `subunit.parser` error.
//!
//! The streams: the committed emitter sample, and streams written through one shared
//! `StreamWriter` by many threads with the runner API (`TestHandle`), both buffered into a file
//! and live into a pipe while `subunit-stats` reads the other end.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::Stdio;

use subunit_emitter::{Delivery, Status, StreamWriter, Timestamp};
use subunit_samples::{Expected, FileDesc, Sample, TestDesc, python};

/// subunit-ls's lines, sorted.
fn ls(stream: &std::path::Path, args: &[&str]) -> (Vec<String>, i32) {
    let mut argv: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    argv.push(stream.into());
    let out = python::env().run_tool("subunit-ls", argv, b"");
    assert!(
        out.stderr.is_empty(),
        "subunit-ls complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    (lines, out.status.code().unwrap())
}

/// subunit-stats's report for a stream, and its exit code.
fn stats_of(stdin: &[u8]) -> (String, i32) {
    let out = python::env().run_tool("subunit-stats", ["--no-passthrough"], stdin);
    assert!(
        out.stderr.is_empty(),
        "subunit-stats complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

/// The report subunit-stats prints for these records (its rules: `exists` is not a test;
/// failed = fail + unfinished; passed = total - failed - skipped; seen tags = every final
/// record's tags).
fn expected_stats(e: &Expected) -> String {
    let tests: Vec<&TestDesc> = e.tests.iter().filter(|t| t.status != "exists").collect();
    let count = |f: &dyn Fn(&str) -> bool| tests.iter().filter(|t| f(&t.status)).count();
    let total = tests.len();
    let failed = count(&|s| matches!(s, "fail" | "inprogress" | "unknown"));
    let skipped = count(&|s| s == "skip");
    let tags: BTreeSet<&str> = tests
        .iter()
        .flat_map(|t| t.tags.iter().map(String::as_str))
        .collect();
    let tags: Vec<&str> = tags.into_iter().collect();
    format!(
        "Total tests:   {total:>5}\nPassed tests:  {:>5}\nFailed tests:  {failed:>5}\n\
         Skipped tests: {skipped:>5}\nSeen tags: {}\n",
        total - failed - skipped,
        tags.join(", ")
    )
}

fn ids(e: &Expected, with_exists: bool) -> Vec<String> {
    let mut v: Vec<String> = e
        .tests
        .iter()
        .filter(|t| with_exists || t.status != "exists")
        .map(|t| t.id.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn subunit_ls_and_stats_read_the_emitter_sample() {
    let s: Sample = subunit_samples::get("emitter-all");
    let e = &s.description.expected;
    let (listed, code) = ls(&s.path, &["--no-passthrough"]);
    assert_eq!(listed, ids(e, false));
    assert_eq!(code, 1, "the sample has failures");
    let (listed, _) = ls(&s.path, &["--no-passthrough", "--exists"]);
    assert_eq!(listed, ids(e, true));
    assert!(!listed.iter().any(|l| l.contains("subunit.parser")));

    let (report, code) = stats_of(&s.bytes());
    assert_eq!(report, expected_stats(e));
    assert_eq!(
        report,
        "Total tests:      10\nPassed tests:      5\nFailed tests:      4\n\
         Skipped tests:     1\nSeen tags: worker-0, worker-1\n"
    );
    assert_eq!(code, 1);
}

const THREADS: usize = 8;
const PER_THREAD: usize = 40;
const OUTCOMES: [Status; 5] = [
    Status::Success,
    Status::Fail,
    Status::Skip,
    Status::XFail,
    Status::UxSuccess,
];

fn clock() -> Timestamp {
    Timestamp::now()
}

/// Writes the threaded run into `w`: each thread reports its tests on its own route code with
/// its worker tag; each test starts, attaches its stdout (every tenth a 70 KiB one, so packets
/// cross buffer boundaries), and ends with an outcome (fails with a traceback, skips through
/// `skip`). Returns what a reader must find.
fn threaded_run<W: std::io::Write + Send>(w: &StreamWriter<W>) -> Expected {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                let route = t.to_string();
                let tag = format!("worker-{t}");
                for i in 0..PER_THREAD {
                    let id = format!("threads.worker{t}.test_{i:02}");
                    let h = w.test(&id).route_code(&route);
                    h.start().unwrap();
                    h.attach("stdout", "text/plain;charset=utf8", &stdout_of(t, i))
                        .unwrap();
                    match OUTCOMES[i % OUTCOMES.len()] {
                        Status::Skip => h.skip("skipped on purpose", &[tag.as_str()]).unwrap(),
                        Status::Fail => {
                            h.attach("traceback", "text/x-traceback", b"AssertionError\n")
                                .unwrap();
                            h.finish(Status::Fail, &[tag.as_str()]).unwrap();
                        }
                        s => h.finish(s, &[tag.as_str()]).unwrap(),
                    }
                }
            });
        }
    });
    let mut e = Expected::default();
    for t in 0..THREADS {
        for i in 0..PER_THREAD {
            let status = OUTCOMES[i % OUTCOMES.len()];
            let mut attachments = vec![FileDesc {
                name: "stdout".into(),
                mime_type: Some("text/plain;charset=utf8".into()),
                len: Some(stdout_of(t, i).len() as u64),
                crc32: Some(subunit_samples::digest(&stdout_of(t, i))),
                ..FileDesc::default()
            }];
            match status {
                Status::Skip => attachments.push(FileDesc {
                    name: "reason".into(),
                    mime_type: Some(subunit_emitter::mime::TESTTOOLS_TEXT.into()),
                    text: Some("skipped on purpose".into()),
                    ..FileDesc::default()
                }),
                Status::Fail => attachments.push(FileDesc {
                    name: "traceback".into(),
                    mime_type: Some("text/x-traceback".into()),
                    text: Some("AssertionError\n".into()),
                    ..FileDesc::default()
                }),
                _ => {}
            }
            e.tests.push(TestDesc {
                id: format!("threads.worker{t}.test_{i:02}"),
                route_code: Some(t.to_string()),
                status: status.as_str().into(),
                tags: vec![format!("worker-{t}")],
                attachments,
            });
            *e.counts.entry(status.as_str().into()).or_default() += 1;
        }
    }
    e
}

fn stdout_of(t: usize, i: usize) -> Vec<u8> {
    let line = format!("worker {t} test {i}: some output \u{f3}\n");
    let n = if i.is_multiple_of(10) {
        70 * 1024 / line.len()
    } else {
        1
    };
    line.repeat(n).into_bytes()
}

#[test]
fn many_threads_buffered_into_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.subunit");
    let file = std::fs::File::create(&path).unwrap();
    let w = StreamWriter::new(file, Delivery::Buffered).with_clock(clock);
    let expected = threaded_run(&w);
    w.finish().unwrap();

    let (listed, code) = ls(&path, &["--no-passthrough"]);
    assert_eq!(listed, ids(&expected, false));
    assert_eq!(code, 1, "the run has failures");
    let bytes = std::fs::read(&path).unwrap();
    let (report, code) = stats_of(&bytes);
    assert_eq!(report, expected_stats(&expected));
    assert_eq!(code, 1);

    // testtools' fold finds every record exactly as written, and no parser failure.
    let found = python::env().fold(&path);
    if let Err(m) = expected.check(&found) {
        panic!("python's fold of our threaded stream:\n{m}");
    }
}

#[test]
fn many_threads_live_into_a_pipe_read_by_subunit_stats() {
    let env = python::env();
    let mut child = env
        .tool_command("subunit-stats")
        .arg("--no-passthrough")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Drain the report while we write, so neither side can block the other.
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let w = StreamWriter::new(stdin, Delivery::Live).with_clock(clock);
    let expected = threaded_run(&w);
    drop(w.finish().unwrap()); // closes the pipe: end of stream
    let status = child.wait().unwrap();
    let report = reader.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty(), "subunit-stats complained: {err}");
    assert_eq!(report, expected_stats(&expected));
    assert_eq!(
        report.lines().next().unwrap(),
        format!("Total tests:   {:>5}", THREADS * PER_THREAD)
    );
    assert_eq!(status.code(), Some(1));
}
