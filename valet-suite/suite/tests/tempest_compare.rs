//! Our event sequence for the failure table equals real Tempest's: the same classes, written in
//! Python on `tempest.test.BaseTestCase` (`tests/python/demo`), run under
//! `python -m subunit.run discover`, and both streams are read by python-subunit and printed as
//! (id, status, attachment name, MIME type) lines in order.
//!
//! Tempest 47.0.0, python-subunit 1.4.6 and testtools 2.9.1 come from the pinned environment
//! of the samples crate (`subunit_samples::python::tempest_env`), made on first use under the
//! build directory; when it cannot be made the test fails, saying why.

use std::path::Path;
use std::process::{Command, Stdio};

use subunit_samples::python::{PythonEnv, tempest_env};

/// The stream as `normalize.py` prints it (python-subunit reading it).
fn normalize(env: &PythonEnv, stream: &[u8], args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/normalize.py");
    let mut child = env
        .command()
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = stream.to_vec();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&data).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(
        out.status.success(),
        "normalize.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Tempest's stream for the demo classes, run as `tempest run` runs them (minus stestr).
fn tempests_stream(env: &PythonEnv) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tempest.conf"), "").unwrap();
    let pydir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let theirs = env
        .command()
        .args(["-m", "subunit.run", "discover", "-s", "demo", "-t", "."])
        .current_dir(&pydir)
        .env("TEMPEST_CONFIG_DIR", dir.path())
        .env_remove("TEMPEST_CONFIG")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    // subunit.run exits 0 whatever its tests did (the results are in the stream); anything
    // else (an import error, a crash) is not a run of the table.
    assert!(
        theirs.status.success() && !theirs.stdout.is_empty(),
        "python -m subunit.run: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    theirs.stdout
}

fn ours() -> Vec<u8> {
    let ours = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["--suite", "examples", "discover"])
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    // 1: a test failed, the results are all in the stream (`python -m subunit.run` says 0;
    // DIFFERENCES.md).
    assert_eq!(ours.status.code(), Some(1));
    ours.stdout
}

#[test]
fn failure_table_events_equal_tempests() {
    let env = tempest_env();
    let (theirs, ours) = (
        normalize(env, &tempests_stream(env), &[]),
        normalize(env, &ours(), &[]),
    );
    assert!(ours.lines().count() > 100, "{ours}");
    assert_same_lines(&ours, &theirs);
}

/// Equal texts, or a panic showing the first line that differs with a little context.
fn assert_same_lines(ours: &str, theirs: &str) {
    let (o, t): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    if let Some(i) = (0..o.len().max(t.len())).find(|&i| o.get(i) != t.get(i)) {
        let from = i.saturating_sub(3);
        panic!(
            "the streams differ at event {i}:\n  ours:   {:?}\n  theirs: {:?}",
            &o[from.min(o.len())..(i + 2).min(o.len())],
            &t[from.min(t.len())..(i + 2).min(t.len())],
        );
    }
}

/// Tempest (testtools' `TracebackContent`) writes a traceback in several chunks; we write each
/// attachment as one packet (chunked only past the emitter's chunk size). Readers join chunks, so
/// the content is the same file; DIFFERENCES.md.
#[test]
fn tracebacks_come_in_chunks_from_tempest_and_whole_from_us() {
    let env = tempest_env();
    let args = ["--chunks"];
    let (theirs, ours) = (
        normalize(env, &tempests_stream(env), &args),
        normalize(env, &ours(), &args),
    );
    let files = |text: &str| -> Vec<(String, u32)> {
        text.lines()
            .filter(|l| l.starts_with("file "))
            .map(|l| {
                let (line, n) = l.rsplit_once(" x").unwrap();
                (line.to_owned(), n.parse().unwrap())
            })
            .collect()
    };
    let (theirs, ours) = (files(&theirs), files(&ours));
    assert_eq!(
        ours.iter().map(|f| &f.0).collect::<Vec<_>>(),
        theirs.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(ours.iter().all(|(_, n)| *n == 1), "{ours:?}");
    let chunked = theirs
        .iter()
        .filter(|(line, n)| line.contains(" traceback") && *n > 1)
        .count();
    let tracebacks = theirs
        .iter()
        .filter(|(l, _)| l.contains(" traceback"))
        .count();
    assert_eq!(chunked, tracebacks, "{theirs:?}");
    assert!(tracebacks > 15);
}

/// Timestamps sit where testtools puts them: on `inprogress`, on every attachment packet and on
/// the final status. The one difference (DIFFERENCES.md): our `exists` announcements carry a
/// timestamp, python-subunit's (written by `subunit.run` before running) do not.
#[test]
fn timestamps_sit_where_tempests_do() {
    let env = tempest_env();
    let args = ["--timestamps"];
    let (theirs, ours) = (
        normalize(env, &tempests_stream(env), &args),
        normalize(env, &ours(), &args),
    );
    let (theirs, ours): (Vec<&str>, Vec<&str>) = (theirs.lines().collect(), ours.lines().collect());
    assert_eq!(ours.len(), theirs.len());
    let mut exists = 0;
    for (o, t) in ours.iter().zip(&theirs) {
        if t.starts_with("exists ") {
            exists += 1;
            assert!(!t.ends_with(" @"), "{t}");
            assert_eq!(o.strip_suffix(" @"), Some(*t));
        } else {
            assert!(
                t.ends_with(" @"),
                "every other event of Tempest's is timestamped: {t}"
            );
            assert_eq!(o, t);
        }
    }
    assert!(exists > 20, "{exists}");
}
