//! `subunit-sql`'s answers, checked against what the streams hold, and equal on SQLite, on
//! PostgreSQL and on a database subunit2sql itself wrote.

use std::collections::BTreeMap;

use serde_json::Value;
use subunit_sql::load::split_test_id;
use subunit_sql::{DEFAULT_ATTR_REGEX, DbTime};

use super::common::{file, ok, ours, records, stream, their_upgrade, theirs, upgrade};
use super::pg;

/// One result of a test: (run uuid, status, duration).
type RunResult = (&'static str, String, Option<f64>);

/// Three runs: (uuid, run_at, build_name, stream).
fn runs() -> Vec<(&'static str, &'static str, &'static str, Vec<u8>)> {
    vec![
        ("r1", "2026-03-01 10:00:00", "gate", stream(60, 21)),
        ("r2", "2026-03-02 10:00:00", "check", stream(60, 22)),
        ("r3", "2026-03-03 10:00:00", "gate", stream(60, 23)),
    ]
}

fn load(url: &str, python: bool) {
    let dir = tempfile::tempdir().unwrap();
    for (uuid, at, build, bytes) in runs() {
        let path = file(dir.path(), "s.subunit", &bytes).display().to_string();
        let meta = format!("build_name:{build}");
        let args = [
            "--database-connection",
            url,
            "--run_id",
            uuid,
            "--run_at",
            at,
            "-r",
            &meta,
            &path,
        ];
        if python {
            ok(theirs("subunit2sql", &args, b""), "subunit2sql");
        } else {
            ok(ours("subunit2sql", &args, b""), "our subunit2sql");
        }
    }
}

fn ask(url: &str, args: &[&str]) -> Value {
    let mut a = vec!["--database-connection", url, "--json"];
    a.extend_from_slice(args);
    serde_json::from_slice(&ok(ours("subunit-sql", &a, b""), "subunit-sql")).unwrap()
}

const QUESTIONS: &[&[&str]] = &[
    &["runs"],
    &["runs", "--meta", "build_name=gate", "--limit", "1"],
    &["runs", "--since", "2026-03-02", "--until", "2026-03-03"],
    &["failure-rate", "--limit", "1000"],
    &[
        "failure-rate",
        "--meta",
        "build_name=gate",
        "--min-runs",
        "2",
    ],
    &["history", "pkg.mod1.Class.test_1"],
    &["failing", "pkg.mod0.Class.test_14"],
    &["slowest", "--run", "r2", "--limit", "5"],
    &["slowest", "--limit", "3"],
    &["report", "--runs", "2"],
];

fn answers(url: &str) -> Vec<Value> {
    QUESTIONS.iter().map(|q| ask(url, q)).collect()
}

#[test]
fn answers_follow_from_the_streams() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("q.db").display());
    upgrade(&url);
    load(&url, false);
    let re = regex::Regex::new(DEFAULT_ATTR_REGEX).unwrap();
    // name -> per run (uuid, status, duration)
    let mut by_test: BTreeMap<String, Vec<RunResult>> = BTreeMap::new();
    for (uuid, _, _, bytes) in runs() {
        for (id, status, _, start, end) in records(&bytes) {
            let d = DbTime::duration(
                start.map(DbTime::from_timestamp),
                end.map(DbTime::from_timestamp),
            );
            let (name, _) = split_test_id(&re, &id);
            by_test
                .entry(name.into_owned())
                .or_default()
                .push((uuid, status, d));
        }
    }

    let recent = ask(&url, &["runs"]);
    let uuids: Vec<&str> = recent
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, ["r3", "r2", "r1"]);
    assert_eq!(recent[0]["metadata"]["build_name"], "gate");
    let gate = ask(&url, &["runs", "--meta", "build_name=gate"]);
    assert_eq!(gate.as_array().unwrap().len(), 2);
    let window = ask(
        &url,
        &["runs", "--since", "2026-03-02", "--until", "2026-03-03"],
    );
    assert_eq!(window[0]["uuid"], "r2");
    assert_eq!(window.as_array().unwrap().len(), 1);

    // Failure rates: failures over passes and failures, per test.
    let rates = ask(&url, &["failure-rate", "--limit", "100000"]);
    let mut got: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rates.as_array().unwrap() {
        got.insert(
            r["test_id"].as_str().unwrap().to_owned(),
            (r["runs"].as_i64().unwrap(), r["failures"].as_i64().unwrap()),
        );
    }
    let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (name, results) in &by_test {
        let counted: Vec<_> = results
            .iter()
            .filter(|r| r.1 == "success" || r.1 == "fail")
            .collect();
        if !counted.is_empty() {
            let fails = counted.iter().filter(|r| r.1 == "fail").count() as i64;
            expected.insert(name.clone(), (counted.len() as i64, fails));
        }
    }
    assert_eq!(got, expected);
    let rates = rates.as_array().unwrap();
    assert!(
        rates
            .windows(2)
            .all(|w| w[0]["rate"].as_f64() >= w[1]["rate"].as_f64())
    );

    // A test's history, and the runs that failed a test.
    let (name, results) = by_test
        .iter()
        .find(|(_, r)| r.iter().any(|x| x.1 == "fail"))
        .unwrap();
    let history = ask(&url, &["history", name]);
    let statuses: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["run"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = results.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(statuses, expected);
    assert_eq!(history[0]["duration"].as_f64(), results[0].2);
    let failing = ask(&url, &["failing", name]);
    let mut failed_in: Vec<&str> = results
        .iter()
        .filter(|r| r.1 == "fail")
        .map(|r| r.0)
        .collect();
    failed_in.reverse();
    let got: Vec<&str> = failing
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["run"].as_str().unwrap())
        .collect();
    assert_eq!(got, failed_in);

    // The slowest passing tests of a run.
    let mut passing: Vec<(f64, &str)> = by_test
        .iter()
        .flat_map(|(n, rs)| {
            rs.iter()
                .filter(|r| r.0 == "r2" && r.1 == "success")
                .map(move |r| (r.2.unwrap(), n.as_str()))
        })
        .collect();
    passing.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slowest = ask(&url, &["slowest", "--run", "r2", "--limit", "5"]);
    let got: Vec<(f64, &str)> = slowest
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["duration"].as_f64().unwrap(),
                e["test_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, passing[..5]);

    // The report: two runs, every test of them, statuses aligned with the runs.
    let report = ask(&url, &["report", "--runs", "2"]);
    assert_eq!(report["runs"].as_array().unwrap().len(), 2);
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), by_test.len());
    let t = tests
        .iter()
        .find(|t| t["test_id"] == name.as_str())
        .unwrap();
    let r3 = results.iter().find(|r| r.0 == "r3").map(|r| r.1.as_str());
    assert_eq!(t["statuses"][0].as_str(), r3);

    // The human form prints a line per run.
    let text = ok(
        ours("subunit-sql", &["--database-connection", &url, "runs"], b""),
        "runs",
    );
    assert_eq!(String::from_utf8(text).unwrap().lines().count(), 3);
}

#[test]
fn same_answers_on_postgres_and_on_subunit2sqls_own_database() {
    let dir = tempfile::tempdir().unwrap();
    let ours_sqlite = format!("sqlite:///{}", dir.path().join("ours.db").display());
    let theirs_sqlite = format!("sqlite:///{}", dir.path().join("theirs.db").display());
    upgrade(&ours_sqlite);
    load(&ours_sqlite, false);
    their_upgrade(&theirs_sqlite);
    load(&theirs_sqlite, true);
    let server = pg::server();
    let ours_pg = server.create_db();
    upgrade(&ours_pg);
    load(&ours_pg, false);
    let expected = answers(&ours_sqlite);
    assert_eq!(answers(&theirs_sqlite), expected);
    assert_eq!(answers(&ours_pg), expected);
}
