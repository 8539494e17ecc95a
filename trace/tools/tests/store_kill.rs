//! A `subunit-store load` killed (SIGKILL) at different moments of storing a large run leaves
//! the store readable: every run it lists is whole, `next-stream` is above every stored id,
//! the times database opens, and a later load works.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use subunit_runs::store::Store;
use subunit_samples::synthetic::{RunSpec, write_run};
use subunit_sinks::dumb::DumbDb;

use crate::common::whole_tests;

const TESTS: usize = 30_000;

fn check(store: &Store, complete: &mut Vec<u64>) {
    let ids = store.run_ids().unwrap();
    let next = store.next_stream().unwrap();
    assert!(
        ids.iter().all(|&id| id < next),
        "next-stream {next} not above {ids:?}"
    );
    for &id in &ids {
        assert_eq!(whole_tests(store, id), TESTS, "run {id} is not whole");
    }
    for id in complete.iter() {
        assert!(ids.contains(id), "complete run {id} lost");
    }
    *complete = ids;
    DumbDb::open(&store.base().join("times.dbm")).unwrap();
    // No half-written next-stream or stray `.new` left readable as a run.
    assert!(!store.base().join(next.to_string()).exists());
}

#[test]
fn a_kill_during_a_load_leaves_every_complete_run_and_a_correct_next_stream() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("run.subunit");
    let spec = RunSpec {
        tests: TESTS,
        workers: 4,
        seed: 11,
    };
    let (_, file) = write_run(spec, std::fs::File::create(&input).unwrap()).unwrap();
    drop(file);
    let store = Store::init(dir.path()).unwrap();
    let load = || {
        let mut cmd = Command::cargo_bin("subunit-store").unwrap();
        cmd.current_dir(dir.path())
            .args(["load", "-m", "kill test"])
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    // A full load first, to know how long one takes.
    let started = Instant::now();
    let status = load().status().unwrap();
    assert_eq!(status.code(), Some(1), "the generated run has failures");
    let full = started.elapsed();
    let mut complete = Vec::new();
    check(&store, &mut complete);
    assert_eq!(complete, [0]);
    let mut killed = 0;
    for step in 1..=8u32 {
        // From very early to right at the end (the rename and the times update).
        let after = full * step / 8;
        let mut child = load().spawn().unwrap();
        std::thread::sleep(after.saturating_sub(Duration::from_millis(5)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        check(&store, &mut complete);
    }
    assert!(killed >= 4, "only {killed} loads were killed mid-way");
    // The store still takes runs.
    let before = complete.len();
    assert_eq!(load().status().unwrap().code(), Some(1));
    check(&store, &mut complete);
    assert_eq!(complete.len(), before + 1);
    assert_eq!(
        store
            .metadata(*complete.last().unwrap())
            .unwrap()
            .as_deref(),
        Some("kill test")
    );
}
