//! The must-show for the runner: `valet-suite run --concurrency 4 --subunit` over a
//! synthetic suite of 10,000 tests, read by the real Python tools. python-subunit 1.4.6 (through
//! the samples harness's `dump_events.py`) reads it without a parser error or a stray byte and
//! finds every test with exactly one final status, tagged `worker-0`..`worker-3`, its packets
//! routed to its worker, no class split across workers; `stestr load` (4.2.1) stores it and
//! counts the same results.
//!
//! Both tools come from the pinned reference environment of the samples crate, made on first use
//! under the build directory; when it cannot be made the test fails, saying why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use subunit_samples::python::env;

/// 200 classes of 50 tests over ten modules; every 7th test of a class fails.
const SUITE: &str = "synthetic:200:50:7";
const TESTS: usize = 10_000;
const FAILING: usize = 200 * 7;
const WORKERS: usize = 4;

fn valet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["--suite", SUITE])
        .args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .stderr(Stdio::piped())
        .output()
        .expect("valet-suite runs")
}

/// The ids `valet-suite list` prints for the suite.
fn listed() -> BTreeSet<String> {
    let o = valet(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let ids: BTreeSet<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), TESTS);
    ids
}

/// The class of a test id: everything before the last dot.
fn class_of(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(class, _)| class)
}

fn str_field<'v>(e: &'v Value, key: &str) -> Option<&'v str> {
    e[key].as_str()
}

/// Checks python-subunit's reading of the stream at `path` and returns the ids it saw fail.
fn check_python_subunit(path: &Path, ids: &BTreeSet<String>) -> BTreeSet<String> {
    let events = env().events(path);
    assert!(events.len() > 3 * TESTS, "{} events", events.len());
    let mut exists = BTreeSet::new();
    let mut finals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut worker_of_class: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut route_of_test: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
    let mut worker_tags = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for e in &events {
        assert!(e.get("error").is_none(), "python-subunit died: {e}");
        assert!(
            !subunit_samples::is_stray_stdout(e),
            "bytes python-subunit could not read as packets: {e}"
        );
        let id = str_field(e, "test_id").unwrap_or_else(|| panic!("an event without id: {e}"));
        assert_ne!(id, "subunit.parser", "a parser error: {e}");
        assert!(ids.contains(id), "an id not in the suite: {e}");
        let status = str_field(e, "test_status");
        if status == Some("exists") {
            assert!(exists.insert(id.to_owned()), "announced twice: {id}");
            continue;
        }
        route_of_test
            .entry(id.to_owned())
            .or_default()
            .insert(str_field(e, "route_code").map(str::to_owned));
        let Some(status) = status.filter(|s| *s != "inprogress") else {
            continue;
        };
        finals
            .entry(id.to_owned())
            .or_default()
            .push(status.to_owned());
        let tags: Vec<&str> = e["test_tags"]
            .as_array()
            .unwrap_or_else(|| panic!("a final status without tags: {e}"))
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let [tag] = tags[..] else {
            panic!("one worker tag expected: {e}")
        };
        assert!(tag.starts_with("worker-"), "{e}");
        // Every packet of the test carries its worker's route code.
        assert_eq!(
            route_of_test[id],
            BTreeSet::from([Some(tag["worker-".len()..].to_owned())]),
            "{id}"
        );
        worker_tags.insert(tag.to_owned());
        worker_of_class
            .entry(class_of(id).to_owned())
            .or_default()
            .insert(tag.to_owned());
        match status {
            "success" => assert!(id.contains(".test_ok_"), "{id}"),
            "fail" => {
                assert!(id.contains(".test_fail_"), "{id}");
                failed.insert(id.to_owned());
            }
            other => panic!("{id}: unexpected status {other}"),
        }
    }
    assert_eq!(&exists, ids, "every test announced once");
    assert_eq!(finals.len(), TESTS, "every test has a final status");
    for (id, statuses) in &finals {
        assert_eq!(statuses.len(), 1, "{id}: {statuses:?}");
    }
    let want: BTreeSet<String> = (0..WORKERS).map(|k| format!("worker-{k}")).collect();
    assert_eq!(worker_tags, want);
    assert_eq!(worker_of_class.len(), 200);
    for (class, workers) in &worker_of_class {
        assert_eq!(workers.len(), 1, "{class} split over {workers:?}");
    }
    assert_eq!(failed.len(), FAILING);
    failed
}

/// `stestr init` then `stestr load < stream` in a fresh directory: it stores the run and
/// counts what we count; `stestr failing --list` names the tests python-subunit saw fail.
fn check_stestr_load(path: &Path, failed: &BTreeSet<String>) {
    let repo = tempfile::tempdir().unwrap();
    let stestr = |args: &[&str], stdin: Stdio| {
        env()
            .tool_command("stestr")
            .args(args)
            .current_dir(repo.path())
            .stdin(stdin)
            .output()
            .unwrap()
    };
    let o = stestr(&["init"], Stdio::null());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = stestr(&["load"], Stdio::from(std::fs::File::open(path).unwrap()));
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    // `stestr load` 4.2.1 exits 0 even for a failed run (its command drops `load()`'s return
    // code), so the counts are what tell.
    assert!(o.status.success(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("Ran {TESTS} tests in "))),
        "{err}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("FAILED (id=0, failures={FAILING})").as_str()),
        "{err}"
    );
    let o = stestr(&["failing", "--list"], Stdio::null());
    let listed: BTreeSet<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(&listed, failed);
}

#[test]
fn four_workers_over_ten_thousand_tests_read_by_python_subunit_and_stestr() {
    let ids = listed();
    let o = valet(&["run", "--concurrency", "4", "--subunit"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.subunit");
    std::fs::write(&path, &o.stdout).unwrap();
    let failed = check_python_subunit(&path, &ids);
    check_stestr_load(&path, &failed);
}
