//! Our event sequence for the failure table equals real Tempest's: the same classes, written in
//! Python on `tempest.test.BaseTestCase` (`tests/python/demo`), run under
//! `python -m subunit.run discover`, and both streams are read by python-subunit and printed as
//! (id, status, attachment name, MIME type) lines in order.
//!
//! Needs a Python with `tempest==47.0.0`, `python-subunit==1.4.6` and `testtools==2.9.1`: set
//! `VALET_TEMPEST_PYTHON` to it.

use std::path::Path;
use std::process::{Command, Stdio};

fn normalize(python: &str, stream: &[u8]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/normalize.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs VALET_TEMPEST_PYTHON: a python with tempest 47.0.0, python-subunit 1.4.6, testtools 2.9.1"]
fn failure_table_events_equal_tempests() {
    let python = std::env::var("VALET_TEMPEST_PYTHON").expect("VALET_TEMPEST_PYTHON");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tempest.conf"), "").unwrap();
    let pydir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let theirs = Command::new(&python)
        .args(["-m", "subunit.run", "discover", "-s", "demo", "-t", "."])
        .current_dir(&pydir)
        .env("TEMPEST_CONFIG_DIR", dir.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let ours = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .arg("discover")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(ours.status.code(), Some(1));
    let (theirs, ours) = (
        normalize(&python, &theirs.stdout),
        normalize(&python, &ours.stdout),
    );
    assert!(ours.lines().count() > 100, "{ours}");
    assert_eq!(ours, theirs);
}
