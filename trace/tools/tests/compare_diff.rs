//! `subunit-diff` on pairs of generated runs with known changes: every change reported and
//! nothing else, the JSON document's shape, the human report, exit codes and errors, and
//! stored runs; `subunit-store flaky` and `history test` over stored runs.

use crate::compare_common;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use compare_common::{Edit, apply, base, records};
use serde_json::Value;
use subunit_emitter::Status;
use subunit_parser::fold::TestRecord;
use subunit_runs::compare::{Baseline, Class, Comparison, Kind, Options};
use subunit_runs::store::Store;

fn secs(r: &TestRecord) -> f64 {
    r.duration().unwrap().as_secs_f64()
}

fn class(r: &TestRecord) -> Class {
    Class::of(r.status).unwrap()
}

/// A base run, edits of every kind picked from its records, and what the diff must say.
struct Case {
    old: Vec<u8>,
    new: Vec<u8>,
    expected: BTreeSet<(Kind, String)>,
}

fn pick<'a>(
    used: &mut BTreeSet<String>,
    it: impl Iterator<Item = &'a TestRecord>,
    n: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for r in it {
        if out.len() == n {
            break;
        }
        if used.insert(r.id.clone()) {
            out.push(r.id.clone());
        }
    }
    assert_eq!(out.len(), n, "the base run is too small");
    out
}

fn case(tests: usize, seed: u64) -> Case {
    let old = base(tests, seed);
    let recs = records(&old[..]);
    let with = |s: Status| recs.iter().filter(move |r| r.status == Some(s));
    let mut used = BTreeSet::new();
    let mut edits = Vec::new();
    let mut expected = BTreeSet::new();
    for id in pick(&mut used, with(Status::Success), 5) {
        edits.push(Edit::Status(id.clone(), Status::Fail));
        expected.insert((Kind::NewlyFailing, id));
    }
    for id in pick(&mut used, with(Status::Skip), 1) {
        edits.push(Edit::Status(id.clone(), Status::UxSuccess));
        expected.insert((Kind::NewlyFailing, id));
    }
    for id in pick(&mut used, with(Status::Fail), 3) {
        edits.push(Edit::Status(id.clone(), Status::Success));
        expected.insert((Kind::Fixed, id));
    }
    for id in pick(&mut used, with(Status::Fail), 2) {
        edits.push(Edit::FailText(
            id.clone(),
            "Traceback (most recent call last):\n  File \"x.py\", line 2\nValueError: changed\n"
                .into(),
        ));
        expected.insert((Kind::StillFailing, id));
    }
    for id in pick(&mut used, with(Status::Success), 3) {
        edits.push(Edit::Status(id.clone(), Status::Skip));
        expected.insert((Kind::NewlySkipped, id));
    }
    for id in pick(&mut used, with(Status::Skip), 2) {
        edits.push(Edit::Status(id.clone(), Status::Success));
        expected.insert((Kind::NoLongerSkipped, id));
    }
    for id in pick(&mut used, with(Status::Success), 2) {
        edits.push(Edit::Status(id.clone(), Status::XFail));
        expected.insert((Kind::StatusChanged, id));
    }
    for id in pick(
        &mut used,
        recs.iter().filter(|r| r.status != Some(Status::Fail)),
        4,
    ) {
        edits.push(Edit::Remove(id.clone()));
        expected.insert((Kind::Removed, id));
    }
    for (i, s) in [Status::Success, Status::Fail, Status::Skip]
        .into_iter()
        .enumerate()
    {
        let id = format!("pkg.added.Test.test_{i}");
        edits.push(Edit::Add(id.clone(), s, 0.25));
        expected.insert((Kind::Added, id));
    }
    let secs_of = |id: &str| secs(recs.iter().find(|r| r.id == id).unwrap());
    for id in pick(&mut used, with(Status::Success), 3) {
        edits.push(Edit::Seconds(id.clone(), secs_of(&id) + 2.0));
        expected.insert((Kind::Slower, id));
    }
    for id in pick(
        &mut used,
        with(Status::Success).filter(|r| secs(r) >= 0.6),
        2,
    ) {
        edits.push(Edit::Seconds(id.clone(), 0.0));
        expected.insert((Kind::Faster, id));
    }
    // A small time change, under the floor: not reported.
    for id in pick(&mut used, with(Status::Success), 1) {
        edits.push(Edit::Seconds(id.clone(), secs_of(&id) + 0.1));
    }
    // The failing tests left alone are still failing, unchanged.
    for r in recs
        .iter()
        .filter(|r| class(r) == Class::Fail && !used.contains(&r.id))
    {
        expected.insert((Kind::StillFailing, r.id.clone()));
    }
    let new = apply(&old[..], &edits, Vec::new());
    Case { old, new, expected }
}

fn compare(old: &[u8], new: &[u8], opts: Options) -> subunit_runs::compare::Diff {
    let mut base = Baseline::new();
    for r in [old] {
        let mut reader = subunit_parser::events::EventReader::new(r);
        while let Some(ev) = reader.next_event().unwrap() {
            base.event(&ev);
        }
    }
    let mut cmp = Comparison::new(base.finish(), opts);
    let mut reader = subunit_parser::events::EventReader::new(new);
    while let Some(ev) = reader.next_event().unwrap() {
        cmp.event(&ev);
    }
    cmp.finish()
}

#[test]
fn every_change_is_reported_and_nothing_else() {
    for (tests, seed) in [(400, 3), (3000, 11)] {
        let c = case(tests, seed);
        let d = compare(&c.old, &c.new, Options::default());
        let got: BTreeSet<(Kind, String)> =
            d.changes.iter().map(|c| (c.kind, c.id.clone())).collect();
        assert_eq!(
            got.len(),
            d.changes.len(),
            "a test reported twice in one kind"
        );
        let missing: Vec<_> = c.expected.difference(&got).collect();
        let extra: Vec<_> = got.difference(&c.expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}\nextra {extra:?}"
        );
        // Exactly the edited traces changed.
        let changed: Vec<_> = d
            .of_kind(Kind::StillFailing)
            .filter(|c| c.failure_changed == Some(true))
            .collect();
        assert_eq!(changed.len(), 2);
        assert!(changed.iter().all(|c| {
            let diff = c.failure_diff.as_deref().unwrap();
            diff.starts_with("--- old\n+++ new\n") && diff.contains("\n+ValueError: changed\n")
        }));
        assert!(d.regressed);
        // The same run against itself: nothing but the still failing tests.
        let same = compare(&c.old, &c.old, Options::default());
        assert!(
            same.changes
                .iter()
                .all(|c| c.kind == Kind::StillFailing && c.failure_changed == Some(false))
        );
        assert!(!same.regressed);
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn diff_cmd() -> Command {
    Command::cargo_bin("subunit-diff").unwrap()
}

#[test]
fn json_document_has_every_list_and_the_changes() {
    let c = case(400, 3);
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        write(dir.path(), "old", &c.old),
        write(dir.path(), "new", &c.new),
    );
    let out = diff_cmd().args([&old, &new, "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format"], 1);
    assert_eq!(doc["regressed"], true);
    for side in ["old", "new"] {
        assert!(doc[side]["source"].is_string());
        assert!(doc[side]["run_id"].is_null());
        for k in ["tests_run", "failures", "skips", "uxsuccess"] {
            assert!(doc[side]["totals"][k].is_u64(), "{side}.totals.{k}");
        }
        assert!(doc[side]["totals"]["seconds"].is_f64());
    }
    assert_eq!(doc["options"]["threshold_percent"], 50.0);
    assert_eq!(doc["options"]["min_seconds"], 0.5);
    let mut got = BTreeSet::new();
    for kind in Kind::ALL {
        let list = doc[kind.key()]
            .as_array()
            .unwrap_or_else(|| panic!("{}", kind.key()));
        for c in list {
            let obj = c.as_object().unwrap();
            for k in [
                "id",
                "old_status",
                "new_status",
                "old_seconds",
                "new_seconds",
            ] {
                assert!(obj.contains_key(k), "{}: {k}", kind.key());
            }
            match kind {
                Kind::Added => assert!(c["old_status"].is_null() && c["new_status"].is_string()),
                Kind::Removed => assert!(c["new_status"].is_null() && c["old_status"].is_string()),
                Kind::StillFailing => assert!(c["failure_changed"].is_boolean()),
                _ => assert!(c["old_status"].is_string() && c["new_status"].is_string()),
            }
            got.insert((kind, c["id"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(got, c.expected);
}

#[test]
fn human_report_snapshot() {
    let c = case(300, 5);
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        write(dir.path(), "old", &c.old),
        write(dir.path(), "new", &c.new),
    );
    let out = diff_cmd().args([&old, &new]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty());
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    let out = diff_cmd().args([&old, &old]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("same_run", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn exit_codes_follow_the_regressions() {
    let old = base(200, 9);
    let recs = records(&old[..]);
    let fail = recs
        .iter()
        .find(|r| r.status == Some(Status::Fail))
        .unwrap()
        .id
        .clone();
    let pass = recs
        .iter()
        .find(|r| r.status == Some(Status::Success))
        .unwrap()
        .id
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let o = write(dir.path(), "old", &old);
    let run = |name: &str, edits: &[Edit], extra: &[&str]| {
        let n = write(dir.path(), name, &apply(&old[..], edits, Vec::new()));
        diff_cmd()
            .args([&o, &n])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(
        run("fixed", &[Edit::Status(fail, Status::Success)], &[]),
        Some(0)
    );
    assert_eq!(
        run("broken", &[Edit::Status(pass.clone(), Status::Fail)], &[]),
        Some(1)
    );
    let slower = [Edit::Seconds(pass.clone(), 5.0)];
    assert_eq!(run("slower", &slower, &[]), Some(0));
    assert_eq!(run("slower", &slower, &["--fail-on-slower"]), Some(1));
    assert_eq!(
        run(
            "slower",
            &slower,
            &["--fail-on-slower", "--min-seconds", "10"]
        ),
        Some(0)
    );
    let added = [Edit::Add("pkg.new.test".into(), Status::Fail, 0.1)];
    assert_eq!(run("added", &added, &[]), Some(1));
    let removed = [Edit::Remove(pass)];
    assert_eq!(run("removed", &removed, &[]), Some(0));
}

#[test]
fn errors_are_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old", &base(10, 1));
    let missing = dir.path().join("missing").display().to_string();
    for (args, needle) in [
        (
            vec![old.clone(), missing.clone()],
            "missing: no such file, and not a run id".to_owned(),
        ),
        (
            vec![old.clone(), "7".into(), "--store".into(), missing.clone()],
            format!("7: no such file, and no repository at {missing}"),
        ),
        (
            vec![old.clone(), old.clone(), "--threshold=-1".into()],
            "--threshold must be a number".to_owned(),
        ),
        (
            vec![dir.path().display().to_string(), old.clone()],
            "is a directory".to_owned(),
        ),
    ] {
        let out = diff_cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("subunit-diff: ") && err.contains(&needle),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    // An unknown id in a real store.
    Store::init(dir.path()).unwrap();
    let out = diff_cmd()
        .current_dir(dir.path())
        .args([&old, "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(
        err.contains("3: no such file, and no run 3 in ") && err.ends_with(".stestr\n"),
        "{err}"
    );
}

/// Loads `runs` into a fresh store with their metadata.
fn store_with(runs: &[(&[u8], Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    for (bytes, meta) in runs {
        store
            .load(vec![("-".into(), *bytes)], *meta, |_| Ok(()))
            .unwrap();
    }
    dir
}

#[test]
fn stored_runs_compare_as_their_files_do() {
    let c = case(400, 3);
    let dir = store_with(&[(&c.old, None), (&c.new, None)]);
    let files = tempfile::tempdir().unwrap();
    let (old, new) = (
        write(files.path(), "old", &c.old),
        write(files.path(), "new", &c.new),
    );
    let stored = diff_cmd()
        .current_dir(dir.path())
        .args(["0", "1", "--json"])
        .output()
        .unwrap();
    let direct = diff_cmd().args([&old, &new, "--json"]).output().unwrap();
    assert_eq!(stored.status.code(), Some(1));
    let (mut a, mut b): (Value, Value) = (
        serde_json::from_slice(&stored.stdout).unwrap(),
        serde_json::from_slice(&direct.stdout).unwrap(),
    );
    assert_eq!(a["new"]["run_id"], 1);
    for doc in [&mut a, &mut b] {
        doc["old"]["source"] = Value::Null;
        doc["new"]["source"] = Value::Null;
        doc["old"]["run_id"] = Value::Null;
        doc["new"]["run_id"] = Value::Null;
    }
    // The stored run is v1 text (microseconds), the file v2 (nanoseconds): the lists of
    // changes are the same tests.
    for kind in Kind::ALL {
        let ids = |d: &Value| -> Vec<String> {
            d[kind.key()]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&a), ids(&b), "{}", kind.key());
    }
    assert_eq!(
        a["new"]["totals"]["tests_run"],
        b["new"]["totals"]["tests_run"]
    );
    // --store names the repository directory itself too, and a file and a run mix.
    let mixed = diff_cmd()
        .args([old.as_str(), "1", "--store"])
        .arg(dir.path().join(".stestr"))
        .output()
        .unwrap();
    assert_eq!(mixed.status.code(), Some(1));
    let text = String::from_utf8(mixed.stdout).unwrap();
    assert!(text.contains("Newly failing (6):"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("FAILED (id=1, failures="),
        "{text}"
    );
}

#[test]
fn flaky_tests_and_a_test_history_across_stored_runs() {
    let old = base(60, 4);
    let recs = records(&old[..]);
    let ok: Vec<String> = recs
        .iter()
        .filter(|r| r.status == Some(Status::Success))
        .map(|r| r.id.clone())
        .take(2)
        .collect();
    let (x, y) = (ok[0].clone(), ok[1].clone());
    let x_fails = apply(
        &old[..],
        &[Edit::Status(x.clone(), Status::Fail)],
        Vec::new(),
    );
    let y_fails = apply(
        &old[..],
        &[Edit::Status(y.clone(), Status::Fail)],
        Vec::new(),
    );
    let dir = store_with(&[
        (&old, Some("commit=abc123")),
        (&x_fails, Some("commit=abc123")),
        (&old, Some("commit=abc123")),
        (&y_fails, Some("commit=def456")),
    ]);
    let store = |args: &[&str]| {
        Command::cargo_bin("subunit-store")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    // y failed only on def456, where it never passed: not flaky. x passed and failed on abc123.
    let out = store(&["flaky"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("| {x} | abc123 | 0 2       | 1         |")),
        "{text}"
    );
    assert!(!text.contains(&y), "{text}");
    // The runs without y's failure's commit: nothing flaky.
    let out = store(&["flaky", "0", "2", "3"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "No flaky tests.\n");
    let out = store(&["history", "test", &x]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Sequence: .F..\n"), "{text}");
    assert!(
        text.contains("Passed 3, failed 1, skipped 0, absent 0 of 4 runs\n"),
        "{text}"
    );
    assert!(text.contains("| 1      | fail    |"), "{text}");
    let out = store(&["history", "test", "no.such.test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("no test no.such.test in the stored runs")
    );
}
