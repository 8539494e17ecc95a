//! What the tests share: the binaries, the Python tools, streams, and table dumps.

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use subunit_emitter::{FileRef, PacketRef, Status, Tags, Timestamp, encode};
use subunit_sql::DbTime;

/// The path of one of our binaries.
pub fn bin(tool: &str) -> PathBuf {
    PathBuf::from(match tool {
        "subunit2sql" => env!("CARGO_BIN_EXE_subunit2sql"),
        "sql2subunit" => env!("CARGO_BIN_EXE_sql2subunit"),
        "subunit2sql-db-manage" => env!("CARGO_BIN_EXE_subunit2sql-db-manage"),
        "subunit-sql" => env!("CARGO_BIN_EXE_subunit-sql"),
        other => panic!("no binary {other}"),
    })
}

fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    // Standard input from a file: no feeding thread, and a child that does not read it cannot
    // block on it.
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(stdin).unwrap();
    input.rewind().unwrap();
    cmd.stdin(input)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
}

/// Runs our `tool` with `args`.
pub fn ours(tool: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(bin(tool));
    cmd.args(args);
    run(cmd, stdin)
}

/// Makes the schema with our `subunit2sql-db-manage upgrade head`.
pub fn upgrade(url: &str) {
    ok(
        ours(
            "subunit2sql-db-manage",
            &["--database-connection", url, "upgrade", "head"],
            b"",
        ),
        "our subunit2sql-db-manage upgrade head",
    );
}

/// Makes the schema with subunit2sql's own `subunit2sql-db-manage upgrade head`.
pub fn their_upgrade(url: &str) {
    ok(
        theirs(
            "subunit2sql-db-manage",
            &["--database-connection", url, "upgrade", "head"],
            b"",
        ),
        "subunit2sql-db-manage upgrade head",
    );
}

/// Runs subunit2sql 1.10.0's `tool` with `args`.
pub fn theirs(tool: &str, args: &[&str], stdin: &[u8]) -> Output {
    subunit_samples::python::subunit2sql_env().run_tool(tool, args, stdin)
}

/// Panics with the output unless the command exited 0.
#[track_caller]
pub fn ok(out: Output, what: &str) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The exit code and the standard error.
pub fn failure(out: &Output) -> (i32, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A stream subunit2sql 1.10.0 can load: every test has timestamps, skips have a text
/// reason, statuses are success, fail and skip (a known test with any other status crashes
/// it), some ids carry `[attributes]`, some tests carry tags and attachments.
pub fn stream(tests: usize, seed: u64) -> Vec<u8> {
    stream_range(0..tests, seed)
}

/// The tests `range` of [`stream`]'s run (a partition of it, for a range within it).
pub fn stream_range(range: std::ops::Range<usize>, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut clock: u64 = 1_767_225_600_000_000; // 2026-01-01, in microseconds
    let mut ts = |step: u64| {
        clock += step;
        Timestamp::from_micros(clock)
    };
    for i in range {
        let roll = next() % 10;
        let id = match i % 3 {
            0 => format!(
                "pkg.mod{}.Class.test_{i}[id-{:x},smoke,gate-{}]",
                i % 7,
                next() % 4096,
                i % 2
            ),
            1 => format!("pkg.mod{}.Class.test_{i}[id-{:x}]", i % 7, next() % 4096),
            _ => format!("pkg.mod{}.Class.test_{i}", i % 7),
        };
        let mut buf = Vec::new();
        let start = ts(1 + next() % 2_000_000);
        encode(
            &PacketRef {
                test_id: Some(&id),
                status: Status::InProgress,
                timestamp: Some(start),
                ..PacketRef::default()
            },
            &mut buf,
        )
        .unwrap();
        let (status, file): (Status, Option<(&str, &[u8])>) = match roll {
            0 => (Status::Fail, Some(("traceback", b"Traceback: boom\n"))),
            1 => (Status::Skip, Some(("reason", b"not today"))),
            2 => (Status::Success, Some(("pythonlogging:''", b"log line\n"))),
            _ => (Status::Success, None),
        };
        if let Some((name, content)) = file {
            encode(
                &PacketRef {
                    test_id: Some(&id),
                    timestamp: Some(ts(1 + next() % 1000)),
                    mime_type: Some("text/plain;charset=utf8"),
                    file: Some(FileRef { name, content }),
                    eof: true,
                    ..PacketRef::default()
                },
                &mut buf,
            )
            .unwrap();
        }
        let worker = format!("worker-{}", i % 4);
        let tags = [worker.as_str(), "extra"];
        encode(
            &PacketRef {
                test_id: Some(&id),
                status,
                timestamp: Some(ts(1 + next() % 3_000_000)),
                tags: (i % 5 != 4).then_some(Tags::Strs(if i % 2 == 0 {
                    &tags[..1]
                } else {
                    &tags
                })),
                ..PacketRef::default()
            },
            &mut buf,
        )
        .unwrap();
        out.extend_from_slice(&buf);
    }
    out
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The tables compared, and their columns in a fixed order.
pub const TABLES: &[(&str, &str)] = &[
    (
        "runs",
        "id, uuid, skips, fails, passes, run_time, artifacts, run_at",
    ),
    (
        "tests",
        "id, test_id, run_count, success, failure, run_time",
    ),
    (
        "test_runs",
        "id, test_id, run_id, status, start_time, stop_time, start_time_microsecond, stop_time_microsecond",
    ),
    ("run_metadata", "id, key, value, run_id"),
    ("test_run_metadata", "id, key, value, test_run_id"),
    ("test_metadata", "id, key, value, test_id"),
    ("attachments", "id, test_run_id, label, attachment"),
    ("alembic_version", "version_num"),
];

const TIME_COLUMNS: [&str; 3] = ["start_time", "stop_time", "run_at"];

/// Every row of every table, each value as text (times normalised to
/// `YYYY-MM-DD HH:MM:SS.ffffff`, bytes as `\x` hex, NULL as `NULL`), rows in id order.
pub type Dump = BTreeMap<String, Vec<Vec<String>>>;

fn norm(column: &str, text: String) -> String {
    match DbTime::parse(&text) {
        Some(t) if TIME_COLUMNS.contains(&column) => t.to_string(),
        _ => text,
    }
}

/// Dumps a database by URL (SQLite or PostgreSQL).
pub fn dump(url: &str) -> Dump {
    let mut out = Dump::new();
    if let Some(path) = url.strip_prefix("sqlite:///") {
        let conn = rusqlite::Connection::open(path).unwrap();
        for (table, columns) in TABLES {
            let order = if *table == "alembic_version" {
                "version_num"
            } else {
                "id"
            };
            let mut stmt = conn
                .prepare(&format!("SELECT {columns} FROM {table} ORDER BY {order}"))
                .unwrap();
            let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
            let rows = stmt
                .query_map([], |row| {
                    let mut v = Vec::new();
                    for (i, name) in names.iter().enumerate() {
                        use rusqlite::types::ValueRef;
                        let text = match row.get_ref(i)? {
                            ValueRef::Null => "NULL".to_owned(),
                            ValueRef::Integer(n) => n.to_string(),
                            ValueRef::Real(f) => f.to_string(),
                            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                            ValueRef::Blob(b) => format!("\\x{}", hex(b)),
                        };
                        v.push(norm(name, text));
                    }
                    Ok(v)
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            out.insert((*table).to_owned(), rows);
        }
    } else {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        for (table, columns) in TABLES {
            let order = if *table == "alembic_version" {
                "version_num"
            } else {
                "id"
            };
            let names: Vec<&str> = columns.split(", ").collect();
            let select: Vec<String> = names.iter().map(|c| format!("CAST({c} AS text)")).collect();
            let rows = client
                .query(
                    &format!(
                        "SELECT {} FROM {table} ORDER BY {table}.{order}",
                        select.join(", ")
                    ),
                    &[],
                )
                .unwrap();
            let rows = rows
                .iter()
                .map(|row| {
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, name)| {
                            let v: Option<String> = row.get(i);
                            norm(name, v.unwrap_or_else(|| "NULL".to_owned()))
                        })
                        .collect()
                })
                .collect();
            out.insert((*table).to_owned(), rows);
        }
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Asserts two dumps equal, table by table (so a failure names the table).
#[track_caller]
pub fn assert_same_tables(ours: &Dump, theirs: &Dump) {
    for (table, _) in TABLES {
        assert_eq!(
            ours.get(*table),
            theirs.get(*table),
            "table {table} differs (left: ours, right: subunit2sql's)"
        );
    }
}

/// A test as a stream gives it: (id, status, sorted tags, start, end), times rounded as
/// python-subunit rounds them.
pub type Rec = (
    String,
    String,
    Vec<String>,
    Option<Timestamp>,
    Option<Timestamp>,
);

/// The tests of a v2 stream as our fold reads them: (id, status, tags, start, end), sorted.
pub fn records(stream: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    subunit_sinks::Pipeline::new()
        .exists(subunit_sinks::Exists::Fold)
        .open(subunit_sinks::Open::OldestFirst)
        .run::<_, subunit_sinks::Error>(stream, &mut subunit_sinks::Records(|r| out.push(r)))
        .unwrap();
    let mut out: Vec<_> = out
        .into_iter()
        .map(|r| {
            (
                r.id.clone(),
                r.status_name().to_owned(),
                r.tags.iter().cloned().collect(),
                r.start.map(Timestamp::python_rounded),
                r.end.map(Timestamp::python_rounded),
            )
        })
        .collect();
    out.sort();
    out
}

/// An SQLite database's schema: every `sqlite_master` row (type, name, table, SQL) by type and name.
pub fn sqlite_schema(url: &str) -> Vec<(String, String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(url.strip_prefix("sqlite:///").unwrap()).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A PostgreSQL database's schema as its catalog shows it: columns, indexes, constraints,
/// sequences, and the alembic revision.
pub fn pg_catalog(url: &str) -> Vec<Vec<String>> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out = Vec::new();
    for sql in [
        // Columns in order; not their attribute numbers, which keep the gaps of the columns
        // subunit2sql's migrations dropped.
        "SELECT table_name::text, column_name::text, \
         (row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position))::text, \
         data_type::text, coalesce(character_maximum_length::text, ''), is_nullable::text, \
         coalesce(column_default::text, '') FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
        "SELECT tablename::text, indexname::text, indexdef::text FROM pg_indexes \
         WHERE schemaname = 'public' ORDER BY 1, 2",
        "SELECT conrelid::regclass::text, conname::text, contype::text, \
         pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
        "SELECT sequence_name::text, data_type::text, start_value::text, increment::text \
         FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1",
        "SELECT version_num::text FROM alembic_version",
    ] {
        for row in c.query(sql, &[]).unwrap() {
            out.push((0..row.len()).map(|i| row.get::<_, String>(i)).collect());
        }
        out.push(vec!["--".to_owned()]);
    }
    out
}
