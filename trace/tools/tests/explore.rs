//! `subunit-explore` driven through stdin (a script of commands, no prompt), its answers
//! snapshotted; what the index keeps in memory; and its CLI contract.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use subunit_runs::explore::Explorer;
use subunit_runs::store::Store;
use subunit_samples::synthetic::{RunSpec, write_run};

const BIN: &str = env!("CARGO_BIN_EXE_subunit-explore");

fn explore(args: &[&str], script: &str, dir: &Path) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(script.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// The output as the snapshots hold it: stdout, then stderr and the exit status.
fn transcript(out: &Output) -> String {
    format!(
        "{}--- stderr\n{}--- status {:?}\n",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    )
}

fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sample = subunit_samples::get("emitter-all");
    std::fs::write(dir.path().join("emitter-all.subunit"), sample.bytes()).unwrap();
    dir
}

#[test]
fn a_script_on_a_stream_file() {
    let dir = sample_dir();
    let script = "\
# comments and blank lines do nothing

summary
failing
show emitter.pass
show emitter.routed
show emitter.chunk
grep (?i)assert|hello
slowest 3
workers
tags
help
";
    let out = explore(&["emitter-all.subunit"], script, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn errors_in_a_script_are_reported_and_the_script_goes_on() {
    let dir = sample_dir();
    let script = "\
bogus
show no.such.test
show emitter.
grep (unclosed
slowest many
summary extra
runs
use 1
diff
diff nope
diff emitter-all.subunit
tags
quit
summary
";
    let out = explore(&["emitter-all.subunit"], script, dir.path());
    insta::assert_snapshot!(transcript(&out));
    // `quit` ends the script: the last `summary` never ran.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tests:"));
    assert_eq!(out.status.code(), Some(2));
}

fn store_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    let sample = subunit_samples::get("emitter-all").bytes();
    store
        .load(
            vec![(dir.path().join("a"), &sample[..])],
            Some("first"),
            |_| Ok(()),
        )
        .unwrap();
    let (_, run) = write_run(
        RunSpec {
            tests: 40,
            workers: 3,
            seed: 5,
        },
        Vec::new(),
    )
    .unwrap();
    store
        .load(vec![(dir.path().join("b"), &run[..])], None, |_| Ok(()))
        .unwrap();
    dir
}

#[test]
fn a_script_on_a_store() {
    let dir = store_dir();
    let script = "\
runs
summary
failing
slowest 5
workers
tags
grep Conflict
use 0
diff 1
summary
show emitter.fail
use 9
";
    let out = explore(&["--store", "."], script, dir.path());
    insta::assert_snapshot!(transcript(&out));
    assert_eq!(out.status.code(), Some(2));
    // --run opens another run first.
    let out = explore(&["--store", ".", "--run", "0"], "summary\n", dir.path());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("run: 0 of ./.stestr\ntests: 10\n"));
}

#[test]
fn the_index_keeps_only_failing_attachments_and_show_reads_the_rest_again() {
    let dir = tempfile::tempdir().unwrap();
    let (counts, run) = write_run(
        RunSpec {
            tests: 2000,
            workers: 8,
            seed: 21,
        },
        Vec::new(),
    )
    .unwrap();
    let path = dir.path().join("run.subunit");
    std::fs::write(&path, &run).unwrap();
    let mut explorer = Explorer::open_file(&path).unwrap();
    let index = explorer.index();
    assert_eq!(index.len(), 2000);
    assert_eq!(index.summary().fail, counts.fail);
    assert_eq!(index.summary().skip, counts.skip);
    // Every failure has a traceback; nothing else is held (skips carry reasons, passes logs).
    assert_eq!(index.attachments_kept(), counts.fail);
    // A pass with a log: its attachment is read again for `show`.
    let mut out = Vec::new();
    explorer.execute("grep Request \\(", &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("success "))
        .expect("a pass with a log")
        .to_owned();
    let mut out = Vec::new();
    explorer.execute(&format!("show {id}"), &mut out).unwrap();
    let shown = String::from_utf8(out).unwrap();
    assert!(
        shown.contains("--- pythonlogging:'' (text/plain"),
        "{shown}"
    );
    assert!(
        shown.contains(" 200 GET http://127.0.0.1:8090/v1/groups"),
        "{shown}"
    );
}

#[test]
fn a_missing_file_or_store_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = explore(&["missing.subunit"], "", dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("subunit-explore: missing.subunit: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let out = explore(&["--store", "."], "", dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "subunit-explore: no repository found in .\n"
    );
    let out = explore(&[], "", dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_closed_pipe_downstream_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, run) = write_run(RunSpec::new(5000), Vec::new()).unwrap();
    std::fs::write(dir.path().join("run.subunit"), &run).unwrap();
    let mut child = Command::new(BIN)
        .arg("run.subunit")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"grep .\nslowest 5000\n").unwrap();
    drop(stdin);
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
