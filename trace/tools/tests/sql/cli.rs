//! The command lines themselves: stdin, `--config-file`, `-o`, `--average`, `current`, and the
//! exit codes of the usage errors subunit2sql also has.

use super::common::{dump, failure, file, ok, ours, records, stream, upgrade};

#[test]
fn stdin_config_file_out_path_and_current() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("db.sqlite").display());
    let conf = file(
        dir.path(),
        "subunit2sql.conf",
        format!("[DEFAULT]\nverbose = true\n\n[database]\nconnection = {url}\n").as_bytes(),
    );
    let conf = conf.display().to_string();
    let current = ok(
        ours(
            "subunit2sql-db-manage",
            &["--config-file", &conf, "current"],
            b"",
        ),
        "current",
    );
    assert_eq!(current, b"");
    ok(
        ours(
            "subunit2sql-db-manage",
            &["--config-file", &conf, "upgrade", "head"],
            b"",
        ),
        "upgrade",
    );
    let current = ok(
        ours(
            "subunit2sql-db-manage",
            &["current", "--config-file", &conf],
            b"",
        ),
        "current",
    );
    assert_eq!(String::from_utf8(current).unwrap(), "10a2b6d4b06e (head)\n");

    let input = stream(25, 9);
    ok(
        ours(
            "subunit2sql",
            &["--config-file", &conf, "--run_id", "from-stdin"],
            &input,
        ),
        "stdin",
    );
    let out = dir.path().join("out.subunit");
    let out_s = out.display().to_string();
    ok(
        ours(
            "sql2subunit",
            &["--config-file", &conf, "-o", &out_s, "from-stdin"],
            b"",
        ),
        "-o",
    );
    assert_eq!(records(&std::fs::read(&out).unwrap()), records(&input));
}

#[test]
fn average_stream_has_each_tests_mean_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("db.sqlite").display());
    upgrade(&url);
    let a = file(dir.path(), "a", &stream(30, 1)).display().to_string();
    let b = file(dir.path(), "b", &stream(30, 2)).display().to_string();
    ok(
        ours("subunit2sql", &["--database-connection", &url, &a, &b], b""),
        "two streams",
    );
    let d = dump(&url);
    assert_eq!(d["runs"].len(), 2);
    let stream = ok(
        ours(
            "sql2subunit",
            &["--database-connection", &url, "--average"],
            b"",
        ),
        "--average",
    );
    let mut got: Vec<(String, i64)> = records(&stream)
        .into_iter()
        .map(|(id, status, _, start, end)| {
            assert_eq!(status, "success");
            let micros = |t: subunit_emitter::Timestamp| t.python_micros() as i64;
            (id, micros(end.unwrap()) - micros(start.unwrap()))
        })
        .collect();
    got.sort();
    let mut expected: Vec<(String, i64)> = d["tests"]
        .iter()
        .filter_map(|t| {
            let secs: f64 = t[5].parse().ok()?;
            (secs != 0.0).then(|| (t[1].clone(), (secs * 1e6).round() as i64))
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn usage_errors_and_unknown_runs() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("db.sqlite").display());
    upgrade(&url);
    let conn = format!("--database-connection={url}");
    let (code, err) = failure(&ours("sql2subunit", &[&conn], b""));
    assert_eq!(
        (code, err.trim_end()),
        (
            1,
            "sql2subunit: You must specify either a run_id or generate an average run stream"
        )
    );
    let (code, err) = failure(&ours("sql2subunit", &[&conn, "--average", "x"], b""));
    assert_eq!(code, 1, "{err}");
    let (code, err) = failure(&ours("sql2subunit", &[&conn, "no-such-run"], b""));
    assert_eq!(
        (code, err.trim_end()),
        (
            1,
            "sql2subunit: no run with id \"no-such-run\" in the database"
        )
    );
    let (code, err) = failure(&ours(
        "subunit2sql",
        &[&conn, "--run_id", "x", "a", "b"],
        b"",
    ));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("You can not specify a run id for adding more than 1 stream"),
        "{err}"
    );
    let (code, err) = failure(&ours("subunit2sql", &[&conn, "--run_at", "soon"], b""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad --run_at"), "{err}");
    let (code, err) = failure(&ours("subunit2sql", &[&conn, "--attr_regex", "("], b""));
    assert_eq!(code, 2, "{err}");
    let (code, err) = failure(&ours("subunit2sql", &[&conn, "/no/such/file.subunit"], b""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/no/such/file.subunit: No such file"), "{err}");
    let (code, err) = failure(&ours(
        "subunit2sql",
        &["--database-connection", "mysql://x/y"],
        b"",
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("MySQL is not supported"), "{err}");
    assert_eq!(dump(&url)["runs"].len(), 0);
}
