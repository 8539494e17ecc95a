//! `subunit-store load --id`, `--partial` and `--subunit` against stestr 4.2.1, and concurrent
//! loads.
//!
//! The same sequence of loads goes into a store of ours (`subunit-store`) and one of stestr's
//! (`stestr load`, and stestr's own inserter through `samples/python/stestr_insert.py` for
//! `--partial`, which stestr 4.2.1's command line no longer offers): after every step the two
//! stores hold the same run and failing files byte for byte, and each tool lists the same
//! failing ids on the other's store.

use std::path::Path;
use std::process::Output;

use subunit_emitter::{Packet, Status, Timestamp};
use subunit_samples::python;

use crate::common::feed;
use crate::store_stestr::{ours, stestr};

fn stestr_insert(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = python::env().command();
    cmd.current_dir(dir)
        .arg(python::scripts_dir().join("stestr_insert.py"))
        .args(args);
    feed(cmd, stdin)
}

fn ok(what: &str, o: Output) -> Output {
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{what}: {:?}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A run: each test starts at `t0 + 2i` s and ends 1.5 s later; failures carry a traceback.
fn stream(t0: u32, results: &[(&str, Status)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (id, status)) in results.iter().enumerate() {
        let start = Timestamp::new(t0 + 2 * i as u32, 0);
        let end = Timestamp::new(t0 + 2 * i as u32 + 1, 500_000_000);
        let mut packets = vec![Packet::status(*id, Status::InProgress).with_timestamp(start)];
        if *status == Status::Fail {
            packets.push(
                Packet::status(*id, Status::Undefined)
                    .with_timestamp(end)
                    .with_file(
                        "traceback",
                        Some("text/x-traceback; charset=\"utf8\"; language=\"python\""),
                        format!("Traceback (most recent call last):\nAssertionError: {id}\n"),
                        true,
                    ),
            );
        }
        packets.push(Packet::status(*id, *status).with_timestamp(end));
        for p in packets {
            out.extend(subunit_emitter::to_vec(&p.as_ref()).unwrap());
        }
    }
    out
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn file(dir: &Path, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(".stestr").join(name)).ok()
}

#[test]
fn append_partial_and_echo_agree_with_stestr() {
    use Status::{Fail, Skip, Success};
    let theirs = tempfile::tempdir().unwrap();
    let mine = tempfile::tempdir().unwrap();
    ok("stestr init", stestr(theirs.path(), &["init"], b""));
    ok("init", ours(mine.path(), &["init"], b""));
    // (our arguments, whether stestr needs its inserter for them, the stream, the failing
    // list after it). stestr 4.2.1's `load --id N` is parsed and then ignored (the command
    // never passes it on; the stream becomes a new run), so appends go through its inserter
    // with `run_id`, which is what the option's help promises.
    type Step<'a> = (&'a [&'a str], bool, Vec<u8>, &'a [&'a str]);
    let steps: Vec<Step<'_>> = vec![
        (
            &["load"],
            false,
            stream(
                100,
                &[
                    ("t.a", Fail),
                    ("t.b", Fail),
                    ("t.c", Success),
                    ("t.d", Fail),
                    ("t.e", Skip),
                ],
            ),
            &["t.a", "t.b", "t.d"],
        ),
        // Appended to run 0: the failing list is run 0's failures, old and new.
        (
            &["load", "--id", "0"],
            true,
            stream(200, &[("t.f", Fail), ("t.a", Success)]),
            &["t.b", "t.d", "t.f"],
        ),
        // Merged: b now passes and leaves, d fails again (in its place), f did not run and
        // stays.
        (
            &["load", "--partial"],
            true,
            stream(300, &[("t.b", Success), ("t.d", Fail)]),
            &["t.d", "t.f"],
        ),
        // Replaced: only this run's failures.
        (&["load"], false, stream(400, &[("t.c", Fail)]), &["t.c"]),
        (
            &["load", "--partial"],
            true,
            stream(500, &[("t.c", Success), ("t.g", Fail), ("t.h", Success)]),
            &["t.g"],
        ),
    ];
    for (step, (args, partial, bytes, expected)) in steps.iter().enumerate() {
        let what = format!("step {step} {args:?}");
        ok(&what, ours(mine.path(), args, bytes));
        let o = if *partial {
            stestr_insert(theirs.path(), &args[1..], bytes)
        } else {
            stestr(theirs.path(), args, bytes)
        };
        ok(&format!("stestr {what}"), o);
        for f in [
            "0",
            "1",
            "2",
            "3",
            "next-stream",
            "failing",
            "times.dbm.dat",
        ] {
            let text = |d: &Path| file(d, f).map(|b| String::from_utf8_lossy(&b).into_owned());
            assert_eq!(
                text(mine.path()),
                text(theirs.path()),
                "{what}: .stestr/{f} differs from stestr's"
            );
        }
        let theirs_on_mine = lines(&stestr(mine.path(), &["failing", "--list"], b""));
        let mine_on_theirs = lines(&ours(theirs.path(), &["failing", "--list"], b""));
        assert_eq!(theirs_on_mine, *expected, "{what}: stestr on our store");
        assert_eq!(mine_on_theirs, *expected, "{what}: ours on stestr's store");
        let last = |o: Output| {
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
            )
        };
        assert_eq!(
            last(stestr(mine.path(), &["last"], b"")),
            last(stestr(theirs.path(), &["last"], b"")),
            "{what}: stestr last"
        );
    }
    // `load --subunit` echoes the stream as python read it: stestr's bytes, exit 0.
    let bytes = stream(600, &[("t.x", Fail), ("t.y", Success)]);
    let a = stestr(theirs.path(), &["load", "--subunit"], &bytes);
    let b = ours(mine.path(), &["load", "--subunit"], &bytes);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert_eq!(a.stdout, b.stdout, "load --subunit output");
    assert_eq!(file(mine.path(), "4"), file(theirs.path(), "4"));
}

#[test]
fn load_id_of_a_missing_run_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    ok("init", ours(dir.path(), &["init"], b""));
    let o = ours(
        dir.path(),
        &["load", "--id", "3"],
        &stream(1, &[("t.a", Status::Success)]),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no run 3"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(file(dir.path(), "next-stream").unwrap(), b"0\n");
}

/// Loads started at once in separate processes all land: distinct ids, `next-stream` above
/// them all, each run whole.
#[test]
fn concurrent_loads_get_distinct_ids() {
    const LOADS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    ok("init", ours(dir.path(), &["init"], b""));
    let runs: Vec<Vec<u8>> = (0..LOADS)
        .map(|k| {
            let ids: Vec<String> = (0..200).map(|i| format!("c{k}.t{i:03}")).collect();
            let results: Vec<(&str, Status)> =
                ids.iter().map(|i| (i.as_str(), Status::Success)).collect();
            stream(k as u32 * 1000, &results)
        })
        .collect();
    let barrier = std::sync::Barrier::new(LOADS);
    let outs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .map(|bytes| {
                let (barrier, dir) = (&barrier, dir.path());
                s.spawn(move || {
                    barrier.wait();
                    ours(dir, &["load"], bytes)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids = Vec::new();
    let id_re = regex::Regex::new(r"id=(\d+)").unwrap();
    for o in &outs {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8_lossy(&o.stdout);
        let id = id_re
            .captures(&text)
            .unwrap_or_else(|| panic!("no id in {text}"))[1]
            .parse::<usize>()
            .unwrap();
        ids.push(id);
    }
    ids.sort_unstable();
    assert_eq!(ids, (0..LOADS).collect::<Vec<_>>());
    assert_eq!(
        file(dir.path(), "next-stream").unwrap(),
        format!("{LOADS}\n").into_bytes()
    );
    // Every run is one load whole, as stestr reads it: passed, its 200 tests' 399.5 s, and
    // its own start (load k starts at 1000k s).
    let list = stestr(dir.path(), &["history", "list"], b"");
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8_lossy(&list.stdout);
    let row =
        regex::Regex::new(r"(?m)^\| (\d+) +\| True +\| 399\.500000s \| (\S+ \S+) +\|$").unwrap();
    let dates: std::collections::BTreeSet<&str> = row
        .captures_iter(&text)
        .map(|c| c.get(2).unwrap().as_str())
        .collect();
    assert_eq!(dates.len(), LOADS, "{text}");
}
