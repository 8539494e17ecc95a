//! Bad input and bad databases: damaged streams store what python-subunit reads; an
//! unreachable database, refused credentials, a missing schema or one at another revision
//! give one clear line and exit code 2; a run that fails partway stores nothing.

use std::collections::BTreeMap;

use regex::Regex;
use subunit_sql::DEFAULT_ATTR_REGEX;
use subunit_sql::load::split_test_id;

use super::common::{dump, failure, file, ok, ours, stream, their_upgrade, theirs, upgrade};
use super::pg;

/// Test name -> (status, [(attachment label, content)]).
type Stored = BTreeMap<String, (String, Vec<(String, Vec<u8>)>)>;

fn sqlite_db(dir: &std::path::Path) -> String {
    let url = format!("sqlite:///{}", dir.join("db.sqlite").display());
    upgrade(&url);
    url
}

fn count(url: &str, table: &str) -> usize {
    dump(url)[table].len()
}

#[test]
fn damaged_streams_store_what_python_subunit_reads() {
    let re = Regex::new(DEFAULT_ATTR_REGEX).unwrap();
    let mut checked = 0;
    for sample in subunit_samples::v2() {
        if !sample.name.starts_with("damaged-") {
            continue;
        }
        let found = subunit_samples::python::env().fold(&sample.path);
        if found.error.is_some() {
            // python-subunit dies on this one (see the parser's documented differences).
            continue;
        }
        // subunit2sql's view: exists dropped, names cleaned, the last record of a name wins.
        let mut expected: Stored = BTreeMap::new();
        for t in &found.tests {
            if t.status == "exists" {
                continue;
            }
            let (name, _) = split_test_id(&re, &t.id);
            let mut files: Vec<(String, Vec<u8>)> = Vec::new();
            for f in &t.attachments {
                let label = f.name.split(':').next().unwrap().to_owned();
                match files.iter_mut().find(|(l, _)| *l == label) {
                    Some(slot) => slot.1 = f.content.clone(),
                    None => files.push((label, f.content.clone())),
                }
            }
            expected.insert(name.into_owned(), (t.status.clone(), files));
        }
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_db(dir.path());
        let path = sample.path.display().to_string();
        ok(
            ours(
                "subunit2sql",
                &[
                    "--database-connection",
                    &url,
                    "--non_subunit_name",
                    "stdout",
                    "-s",
                    &path,
                ],
                b"",
            ),
            &format!("subunit2sql {}", sample.name),
        );
        let d = dump(&url);
        let tests: BTreeMap<&str, &str> = d["tests"]
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        let mut stored: Stored = BTreeMap::new();
        for tr in &d["test_runs"] {
            let files = d["attachments"]
                .iter()
                .filter(|a| a[1] == tr[0])
                .map(|a| (a[2].clone(), unhex(&a[3])))
                .collect();
            stored.insert(tests[tr[1].as_str()].to_owned(), (tr[3].clone(), files));
        }
        assert_eq!(stored, expected, "{}", sample.name);
        checked += 1;
        if expected.contains_key("subunit.parser") {
            assert_eq!(stored["subunit.parser"].0, "fail");
        }
    }
    assert!(checked >= 4, "only {checked} damaged samples checked");
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("\\x").unwrap_or(s);
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn non_subunit_content_needs_non_subunit_name_as_in_subunit2sql() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_db(dir.path());
    let mut bytes = b"collecting tests...\n".to_vec();
    bytes.extend(stream(5, 3));
    let path = file(dir.path(), "mixed.subunit", &bytes);
    let path = path.display().to_string();
    let out = ours("subunit2sql", &["--database-connection", &url, &path], b"");
    let (code, err) = failure(&out);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("non-subunit content") && err.contains("--non_subunit_name"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(count(&url, "runs"), 0);
    // subunit2sql refuses it too.
    let their = theirs("subunit2sql", &["--database-connection", &url, &path], b"");
    assert!(!their.status.success());
    assert!(String::from_utf8_lossy(&their.stderr).contains("Non subunit content"));
    // With a name for it, the tests are stored.
    ok(
        ours(
            "subunit2sql",
            &[
                "--database-connection",
                &url,
                "--non_subunit_name",
                "out",
                &path,
            ],
            b"",
        ),
        "with --non_subunit_name",
    );
    assert_eq!(count(&url, "test_runs"), 5);
}

#[test]
fn missing_sqlite_file_or_schema_is_a_clear_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:///{}", dir.path().join("nope.db").display());
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &missing],
        b"",
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot reach the database") && err.contains("no such file"),
        "{err}"
    );
    assert!(
        !dir.path().join("nope.db").exists(),
        "a loader must not create the file"
    );

    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    let url = format!("sqlite:///{}", empty.display());
    let (code, err) = failure(&ours(
        "sql2subunit",
        &["--database-connection", &url, "r"],
        b"",
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("no subunit2sql schema") && err.contains("upgrade head"),
        "{err}"
    );

    let (code, err) = failure(&ours("subunit2sql", &[], b""));
    assert_eq!(code, 2);
    assert!(err.contains("--database-connection"), "{err}");
}

#[test]
fn schema_at_another_revision_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_db(dir.path());
    let path = url.strip_prefix("sqlite:///").unwrap();
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch("UPDATE alembic_version SET version_num = '35cd45895e56'")
        .unwrap();
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &url],
        &stream(4, 1),
    ));
    assert_eq!(code, 2);
    assert!(err.contains("\"35cd45895e56\", not 10a2b6d4b06e"), "{err}");
    assert_eq!(count(&url, "runs"), 0);
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch("UPDATE alembic_version SET version_num = '2fb76f1a1393'")
        .unwrap();
    let (code, err) = failure(&ours(
        "subunit2sql-db-manage",
        &["--database-connection", &url, "upgrade", "head"],
        b"",
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2fb76f1a1393"), "{err}");
}

#[test]
fn postgres_unreachable_or_wrong_credentials_or_revision() {
    let server = pg::server();
    let url = server.create_db();
    upgrade(&url);
    let input = stream(4, 1);

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!(
        "postgresql://{}:{}@127.0.0.1:{closed}/x",
        pg::USER,
        pg::PASSWORD
    );
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &nowhere],
        &input,
    ));
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach the database"), "{err}");
    assert!(!err.contains(pg::PASSWORD), "the password leaked: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let wrong = url.replace(pg::PASSWORD, "not-the-password");
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &wrong],
        &input,
    ));
    assert_eq!(code, 2);
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(
        !err.contains("not-the-password"),
        "the password leaked: {err}"
    );

    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE alembic_version SET version_num = '2822a408bdd0'")
        .unwrap();
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &url],
        &input,
    ));
    assert_eq!(code, 2);
    assert!(err.contains("schema revision \"2822a408bdd0\""), "{err}");
    c.batch_execute("UPDATE alembic_version SET version_num = '10a2b6d4b06e'")
        .unwrap();
    assert_eq!(count(&url, "runs"), 0);
}

#[test]
fn a_run_that_fails_partway_stores_nothing() {
    // A run_metadata value longer than its VARCHAR(255) fails after the runs row is written.
    let server = pg::server();
    let long = format!("k:{}", "v".repeat(300));
    let input = stream(20, 5);
    let ours_url = server.create_db();
    upgrade(&ours_url);
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", &ours_url, "-r", &long],
        &input,
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("database error"), "{err}");
    for (table, rows) in dump(&ours_url) {
        if table != "alembic_version" {
            assert!(rows.is_empty(), "{table} holds {rows:?}");
        }
    }
    // subunit2sql commits statement by statement and leaves the run behind.
    let theirs_url = server.create_db();
    their_upgrade(&theirs_url);
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "s.subunit", &input).display().to_string();
    let out = theirs(
        "subunit2sql",
        &["--database-connection", &theirs_url, "-r", &long, &path],
        b"",
    );
    assert!(!out.status.success());
    assert_eq!(count(&theirs_url, "runs"), 1);
}
