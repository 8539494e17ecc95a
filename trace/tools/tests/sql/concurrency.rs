//! Many loaders at once into one database: every test run stored once, counts right, no
//! error, no deadlock.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use super::common::{bin, dump, file, ok, ours, records, stream_range, upgrade};
use super::pg;

/// Starts all the loads at once, each `(args, stream)`, and waits for them all.
fn load_all(url: &str, loads: &[(Vec<String>, Vec<u8>)]) {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = loads
        .iter()
        .enumerate()
        .map(|(i, (args, bytes))| {
            let path = file(dir.path(), &format!("{i}.subunit"), bytes);
            Command::new(bin("subunit2sql"))
                .arg(format!("--database-connection={url}"))
                .args(args)
                .arg(path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(
            child.wait_with_output().unwrap(),
            "a concurrent subunit2sql",
        );
    }
}

/// Four partitions of one run (the same run id) and four runs over the same tests.
fn loads() -> Vec<(Vec<String>, Vec<u8>)> {
    let mut loads = Vec::new();
    for k in 0..4 {
        loads.push((
            vec![
                "--run_id=partitioned".to_owned(),
                format!("--run_meta=worker:{k}"),
            ],
            stream_range(k * 400..(k + 1) * 400, 7),
        ));
    }
    for k in 0..4 {
        loads.push((
            vec![format!("--run_id=run-{k}")],
            stream_range(0..800, 10 + k as u64),
        ));
    }
    loads
}

fn check(url: &str, loads: &[(Vec<String>, Vec<u8>)]) {
    let d = dump(url);
    assert_eq!(d["runs"].len(), 8);
    let total: usize = loads.iter().map(|(_, s)| records(s).len()).sum();
    assert_eq!(d["test_runs"].len(), total);
    // Every test once, with counters that add up over all the loads.
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let re = regex::Regex::new(subunit_sql::DEFAULT_ATTR_REGEX).unwrap();
    for (_, s) in loads {
        for (id, status, ..) in records(s) {
            let (name, _) = subunit_sql::load::split_test_id(&re, &id);
            let e = expected.entry(name.into_owned()).or_default();
            match status.as_str() {
                "success" => (e.0, e.1) = (e.0 + 1, e.1 + 1),
                "fail" => (e.0, e.2) = (e.0 + 1, e.2 + 1),
                _ => {}
            }
        }
    }
    let stored: BTreeMap<String, (i64, i64, i64)> = d["tests"]
        .iter()
        .map(|r| {
            (
                r[1].clone(),
                (
                    r[2].parse().unwrap(),
                    r[3].parse().unwrap(),
                    r[4].parse().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(stored.len(), d["tests"].len(), "a test stored twice");
    assert_eq!(stored, expected);
    let conn = format!("--database-connection={url}");
    let partitioned = ok(
        ours("sql2subunit", &[&conn, "partitioned"], b""),
        "sql2subunit",
    );
    assert_eq!(records(&partitioned).len(), 1600);
}

#[test]
fn eight_loaders_at_once_into_postgres() {
    let server = pg::server();
    let url = server.create_db();
    upgrade(&url);
    let loads = loads();
    load_all(&url, &loads);
    check(&url, &loads);
}

#[test]
fn eight_loaders_at_once_into_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("db.sqlite").display());
    upgrade(&url);
    let loads = loads();
    load_all(&url, &loads);
    check(&url, &loads);
}
