//! `subunit-store` against real stestr 4.2.1: the runs we store are byte for byte the files
//! stestr writes for the same input (run, failing, times), stestr lists and shows them as it
//! shows its own, and we show stestr's runs with stestr's output and exit codes (apart from
//! the differences in DIFFERENCES.md). Also exit codes, errors and snapshots.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use common::{feed as run, generated};
use subunit_samples::{python, v2};

/// `subunit-store ARGS` in `dir`.
pub(crate) fn ours(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::cargo_bin("subunit-store").unwrap();
    cmd.current_dir(dir).args(args);
    run(cmd, stdin)
}

/// `stestr ARGS` (4.2.1) in `dir`.
pub(crate) fn stestr(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = python::env().tool_command("stestr");
    cmd.current_dir(dir).args(args);
    run(cmd, stdin)
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Times that come from the wall clock: python stamps events that carry no time (the
/// parser's pseudo-test for a damaged packet) with the time it reads them.
pub(crate) fn mask_clock(s: &str) -> String {
    let re = regex::Regex::new(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)|[+-]?\d+\.\d{3,6}s|\d+\.\d+ sec|=> .*",
    )
    .unwrap();
    re.replace_all(s, "<time>").into_owned()
}

/// `tags:` lines with their tags sorted: python prints a set in hash order, we sort.
pub(crate) fn sort_tags(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| match l.strip_prefix("tags: ") {
            Some(rest) => {
                let mut t: Vec<&str> = rest.trim_end().split(' ').collect();
                t.sort_unstable();
                format!("tags: {}\n", t.join(" "))
            }
            None => l.to_owned(),
        })
        .collect()
}

/// The same output and exit status (stdout only; stestr's stderr has python noise).
pub(crate) fn assert_same_output(what: &str, a: &Output, b: &Output) {
    let out = |o: &Output| {
        let s = sort_tags(&String::from_utf8_lossy(&o.stdout));
        if what.starts_with("damaged") {
            mask_clock(&s)
        } else {
            s
        }
    };
    assert_eq!(
        (a.status.code(), out(a)),
        (b.status.code(), out(b)),
        "{what}: stestr then ours differ\nstestr stderr: {}\nours stderr: {}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
}

const REPO_FILES: &[&str] = &[
    "format",
    "next-stream",
    "failing",
    "times.dbm.dat",
    "times.dbm.dir",
    "times.dbm.bak",
    "meta.dbm.dat",
    "meta.dbm.dir",
];

/// Streams to store: every v2 sample python reads without an error, and generated runs.
fn streams() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = v2()
        .into_iter()
        .map(|s| (s.name.clone(), std::fs::read(&s.path).unwrap()))
        .collect();
    for (tests, workers, seed) in [(60, 4, 3), (200, 8, 7)] {
        let (_, bytes) = generated(tests, workers, seed);
        out.push((format!("synthetic-{tests}-{workers}-{seed}"), bytes));
    }
    out
}

/// The events of a v2 stream, each with its tags sorted.
fn events_view(bytes: &[u8]) -> Vec<String> {
    events_view_timed(bytes, true)
}

/// The events of a v2 stream, each with its tags sorted, and with their timestamps only when
/// `times` (a damaged run's stored times partly come from the wall clock at load).
fn events_view_timed(bytes: &[u8], times: bool) -> Vec<String> {
    let mut reader = subunit_parser::events::EventReader::new(bytes);
    let mut out = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        let mut tags: Vec<String> = ev.tags.map(|t| t.to_vec()).unwrap_or_default();
        tags.sort();
        out.push(format!(
            "{:?} {:?} {:?} {:?} {:?} {:?}",
            ev.test_id,
            ev.status,
            tags,
            ev.timestamp.filter(|_| times),
            ev.file.map(|f| (f.name, f.content)),
            ev.mime_type
        ));
    }
    out
}

pub(crate) fn same_file(a: &tempfile::TempDir, b: &tempfile::TempDir, f: &str) -> bool {
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(".stestr").join(f)).ok();
    read(a) == read(b)
}

pub(crate) fn assert_times_subset(
    name: &str,
    theirs: &tempfile::TempDir,
    mine: &tempfile::TempDir,
) {
    use subunit_sinks::dumb::DumbDb;
    let open = |d: &tempfile::TempDir| {
        let db = DumbDb::open(&d.path().join(".stestr/times.dbm")).unwrap();
        db.items()
            .unwrap()
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>()
    };
    let (a, b) = (open(theirs), open(mine));
    for (k, v) in &b {
        assert_eq!(
            a.get(k),
            Some(v),
            "{name}: time of {}",
            String::from_utf8_lossy(k)
        );
    }
    assert!(
        b.len() + 2 >= a.len(),
        "{name}: stestr records many more times than we do"
    );
}

/// Commands whose output must be the same on the two stores.
const SHOWN: &[&[&str]] = &[
    &["last"],
    &["last", "--no-subunit-trace"],
    &["last", "--subunit"],
    &["failing"],
    &["failing", "--list"],
    &["history", "list"],
    &["history", "show", "0"],
    &["history", "show", "0", "--subunit"],
];

#[test]
fn stored_runs_match_stestrs_files_and_outputs_both_ways() {
    for (name, bytes) in streams() {
        let theirs = tempfile::tempdir().unwrap();
        let mine = tempfile::tempdir().unwrap();
        assert!(stestr(theirs.path(), &["init"], b"").status.success());
        assert!(ours(mine.path(), &["init"], b"").status.success());
        // Two runs each, so the second shows deltas against the first.
        let mut loaded = true;
        for _ in 0..2 {
            let a = stestr(theirs.path(), &["load"], &bytes);
            let b = ours(mine.path(), &["load"], &bytes);
            if !a.status.success() {
                // python could not load it (a damaged stream it stops at): nothing to compare.
                eprintln!("{name}: stestr load failed, skipped:\n{}", text(&a));
                loaded = false;
                break;
            }
            // The summary is the same; the exit code is ours on purpose (stestr: always 0).
            let a = sort_tags(&String::from_utf8_lossy(&a.stdout));
            let b = sort_tags(&String::from_utf8_lossy(&b.stdout));
            if name.starts_with("damaged") {
                assert_eq!(mask_clock(&a), mask_clock(&b), "{name}: load output");
            } else {
                assert_eq!(a, b, "{name}: load output");
            }
        }
        if !loaded {
            continue;
        }
        for f in REPO_FILES.iter().chain(&["0", "1"]) {
            if f.starts_with("times") && !same_file(&theirs, &mine, f) {
                // stestr stamps events that carry no time with its wall clock (testtools'
                // TimestampingStreamResult) and so records a time for tests that have none;
                // every time we record, it records the same (DIFFERENCES.md).
                assert_times_subset(&name, &theirs, &mine);
                continue;
            }
            let a = std::fs::read(theirs.path().join(".stestr").join(f)).unwrap();
            let b = std::fs::read(mine.path().join(".stestr").join(f))
                .unwrap_or_else(|e| panic!("{name}: our {f}: {e}"));
            if name.starts_with("damaged") {
                let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                assert_eq!(
                    sort_tags(&mask_clock(&a)),
                    sort_tags(&mask_clock(&b)),
                    "{name}: .stestr/{f} differs"
                );
            } else if a != b {
                // python writes a test's tags in its set's hash order, we sort them.
                let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
                assert_eq!(sort_tags(&a), sort_tags(&b), "{name}: .stestr/{f} differs");
            }
        }
        for args in SHOWN {
            let what = format!("{name}: {}", args.join(" "));
            if name.starts_with("damaged") && args.contains(&"--subunit") {
                // v2 with wall-clock timestamps inside (whose varints even differ in
                // length from one run to the next): the same events, times aside.
                let a = stestr(theirs.path(), args, b"");
                let b = ours(mine.path(), args, b"");
                assert_eq!(a.status.code(), b.status.code(), "{what}");
                assert_eq!(
                    events_view_timed(&a.stdout, false),
                    events_view_timed(&b.stdout, false),
                    "{what}"
                );
                continue;
            }
            if args.contains(&"--subunit") {
                // The same events; the bytes too, but for the order of each packet's tags
                // (python's set order, which our v1 reader sorts).
                let reference = stestr(theirs.path(), args, b"");
                for (who, o) in [
                    ("stestr on our store", stestr(mine.path(), args, b"")),
                    ("ours on stestr's", ours(theirs.path(), args, b"")),
                ] {
                    assert_eq!(reference.status.code(), o.status.code(), "{what} ({who})");
                    assert_eq!(
                        events_view(&reference.stdout),
                        events_view(&o.stdout),
                        "{what} ({who})"
                    );
                }
                continue;
            }
            // stestr on our store, and we on stestr's, against stestr on its own.
            let reference = stestr(theirs.path(), args, b"");
            let stestr_on_ours = stestr(mine.path(), args, b"");
            let ours_on_theirs = ours(theirs.path(), args, b"");
            assert_same_output(
                &format!("{what} (stestr on our store)"),
                &reference,
                &stestr_on_ours,
            );
            assert_same_output(
                &format!("{what} (ours on stestr's)"),
                &reference,
                &ours_on_theirs,
            );
        }
    }
}

#[test]
fn load_exits_1_when_the_run_failed_and_0_when_it_passed() {
    let dir = tempfile::tempdir().unwrap();
    let failing = std::fs::read(subunit_samples::find("emitter-all").unwrap().path).unwrap();
    let out = ours(dir.path(), &["load", "--force-init"], &failing);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // stestr loads the same run and exits 0.
    let theirs = tempfile::tempdir().unwrap();
    stestr(theirs.path(), &["init"], b"");
    assert_eq!(
        stestr(theirs.path(), &["load"], &failing).status.code(),
        Some(0)
    );
    let passing = passing_run();
    let out = ours(dir.path(), &["load"], &passing);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ours(dir.path(), &["failing", "--list"], b"");
    assert_eq!((out.status.code(), out.stdout.len()), (Some(0), 0));
    let out = ours(dir.path(), &["failing"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn passing_run() -> Vec<u8> {
    use subunit_emitter::{Packet, Status, Timestamp, to_vec};
    let mut v = Vec::new();
    for (i, id) in ["pkg.t.a", "pkg.t.b[smoke]"].iter().enumerate() {
        let t = 1_700_000_000 + i as u32;
        v.extend(
            to_vec(
                &Packet::status(*id, Status::InProgress)
                    .with_timestamp(Timestamp::new(t, 0))
                    .as_ref(),
            )
            .unwrap(),
        );
        v.extend(
            to_vec(
                &Packet::status(*id, Status::Success)
                    .with_timestamp(Timestamp::new(t, 250_000_000))
                    .with_tags(["worker-0"])
                    .as_ref(),
            )
            .unwrap(),
        );
    }
    v
}

#[test]
fn history_show_no_subunit_trace_works_where_stestr_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(subunit_samples::find("emitter-all").unwrap().path).unwrap();
    assert!(stestr(dir.path(), &["init"], b"").status.success());
    stestr(dir.path(), &["load"], &passing_run());
    stestr(dir.path(), &["load"], &bytes);
    let crashed = stestr(
        dir.path(),
        &["history", "show", "1", "--no-subunit-trace"],
        b"",
    );
    assert!(
        String::from_utf8_lossy(&crashed.stderr).contains("AttributeError"),
        "stestr no longer crashes: {}",
        text(&crashed)
    );
    let last = stestr(dir.path(), &["last", "--no-subunit-trace"], b"");
    let show = ours(
        dir.path(),
        &["history", "show", "1", "--no-subunit-trace"],
        b"",
    );
    assert_same_output(
        "history show 1 --no-subunit-trace vs stestr last",
        &last,
        &show,
    );
    assert!(String::from_utf8_lossy(&show.stdout).contains("Ran 10 (+8) tests"));
}

#[test]
fn metadata_slowest_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(subunit_samples::find("emitter-all").unwrap().path).unwrap();
    ours(dir.path(), &["init"], b"");
    ours(dir.path(), &["load", "-m", "commit abc"], &passing_run());
    ours(dir.path(), &["load"], &bytes);
    // stestr finds the metadata we stored (it prints it as python bytes).
    let theirs = stestr(dir.path(), &["history", "list", "--show-metadata"], b"");
    assert!(
        String::from_utf8_lossy(&theirs.stdout).contains("| b'commit abc' |"),
        "{}",
        text(&theirs)
    );
    let list = ours(dir.path(), &["history", "list", "--show-metadata"], b"");
    insta::assert_snapshot!("store_history_metadata", text(&list));
    // slowest: the same rows as stestr's (ties aside, whose order is python's hash order).
    let a = stestr(dir.path(), &["slowest", "--all"], b"");
    let b = ours(dir.path(), &["slowest", "--all"], b"");
    let sorted = |o: &Output| {
        let mut l: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        l.sort();
        l
    };
    assert_eq!(sorted(&a), sorted(&b));
    insta::assert_snapshot!("store_slowest", text(&b));
    // Remove the first: ids keep their gap, stestr agrees.
    assert!(
        ours(dir.path(), &["history", "remove", "0"], b"")
            .status
            .success()
    );
    assert_same_output(
        "history list after remove",
        &stestr(dir.path(), &["history", "list"], b""),
        &ours(dir.path(), &["history", "list"], b""),
    );
    let gone = ours(dir.path(), &["history", "remove", "0"], b"");
    assert_eq!(gone.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr),
        "subunit-store: no run 0 in the repository\n"
    );
    assert!(
        ours(dir.path(), &["history", "remove", "all"], b"")
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".stestr/next-stream")).unwrap(),
        "2\n"
    );
}

#[test]
fn human_outputs_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(subunit_samples::find("emitter-all").unwrap().path).unwrap();
    ours(dir.path(), &["init"], b"");
    let first = ours(dir.path(), &["load"], &passing_run());
    insta::assert_snapshot!("store_load_passing", text(&first));
    let second = ours(dir.path(), &["load"], &bytes);
    insta::assert_snapshot!("store_load_with_deltas", text(&second));
    insta::assert_snapshot!(
        "store_last_testr",
        text(&ours(dir.path(), &["last", "--no-subunit-trace"], b""))
    );
    insta::assert_snapshot!("store_last_trace", text(&ours(dir.path(), &["last"], b"")));
    insta::assert_snapshot!("store_failing", text(&ours(dir.path(), &["failing"], b"")));
    insta::assert_snapshot!(
        "store_failing_list",
        text(&ours(dir.path(), &["failing", "--list"], b""))
    );
    insta::assert_snapshot!(
        "store_history_list",
        text(&ours(dir.path(), &["history", "list"], b""))
    );
}

#[test]
fn missing_or_corrupt_store_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["last"][..],
        &["failing"],
        &["slowest"],
        &["history", "list"],
        &["load"],
    ] {
        let out = ours(dir.path(), args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("subunit-store: no repository found in"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    ours(dir.path(), &["init"], b"");
    let out = ours(dir.path(), &["last"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "subunit-store: no test runs in the repository\n"
    );
    let again = ours(dir.path(), &["init"], b"");
    assert_eq!(again.status.code(), Some(2));
    std::fs::write(dir.path().join(".stestr/next-stream"), "x\n").unwrap();
    let out = ours(dir.path(), &["history", "list"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.ends_with("next-stream: corrupt next-stream file: \"x\\n\"\n"),
        "{err}"
    );
    std::fs::write(dir.path().join(".stestr/next-stream"), "1\n").unwrap();
    std::fs::write(dir.path().join(".stestr/times.dbm.dir"), "garbage\n").unwrap();
    std::fs::write(dir.path().join(".stestr/0"), b"").unwrap();
    let out = ours(dir.path(), &["slowest"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .ends_with("times.dbm.dir: line 1: not a dbm.dumb index entry\n")
    );
    std::fs::write(dir.path().join(".stestr/format"), "2\n").unwrap();
    let out = ours(dir.path(), &["last"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("format: unknown repository format\n"));
    let missing = ours(dir.path(), &["load", "no-such-file"], b"");
    assert_eq!(missing.status.code(), Some(2));
}

/// Keys and values that stress the index format: quotes of both kinds, backslashes, control
/// characters, non-ASCII (UTF-8 bytes shown as Latin-1), a value that grows past its block.
const DBM_OPS: &[(&str, &str)] = &[
    ("pkg.test_a", "1.5"),
    ("it's \"both\"", "0.25"),
    ("it's", "2"),
    ("back\\slash\ttab\nnl\u{1}", "3"),
    ("unicodé_ó\u{a0}\u{ad}", "0.000123"),
    ("pkg.test_a", "0.5"),
    ("it's", "BIGVALUE"),
];

#[test]
fn dumb_dbm_files_are_pythons_both_ways() {
    use subunit_sinks::dumb::DumbDb;
    let dir = tempfile::tempdir().unwrap();
    // python writes one database, we write the same operations to another.
    let script = format!(
        "import dbm.dumb, sys\nops = {}\nbig = 'x' * 700\ndb = dbm.dumb.open(sys.argv[1], 'c')\n\
         for k, v in ops:\n    db[k] = big if v == 'BIGVALUE' else v\ndb.close()\n\
         db = dbm.dumb.open(sys.argv[1], 'c')\ndb['late'] = '9'\ndb.close()\n",
        python_ops()
    );
    let py = dir.path().join("w.py");
    std::fs::write(&py, script).unwrap();
    let theirs = dir.path().join("theirs.dbm");
    let mut cmd = python::env().command();
    cmd.arg(&py).arg(&theirs);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mine = dir.path().join("mine.dbm");
    let mut db = DumbDb::open(&mine).unwrap();
    for (k, v) in DBM_OPS {
        let big = "x".repeat(700);
        let v = if *v == "BIGVALUE" { big.as_str() } else { v };
        db.set(k.as_bytes(), v.as_bytes()).unwrap();
    }
    db.commit().unwrap();
    let mut db = DumbDb::open(&mine).unwrap();
    db.set(b"late", b"9").unwrap();
    db.commit().unwrap();
    for ext in [".dat", ".dir", ".bak"] {
        let read = |p: &std::path::Path| std::fs::read(format!("{}{ext}", p.display())).unwrap();
        assert!(read(&theirs) == read(&mine), "{ext} differs from python's");
    }
    // We read python's, python reads ours.
    let db = DumbDb::open(&theirs).unwrap();
    assert_eq!(
        db.get("unicodé_ó\u{a0}\u{ad}".as_bytes()).unwrap().unwrap(),
        b"0.000123"
    );
    assert_eq!(db.get(b"pkg.test_a").unwrap().unwrap(), b"0.5");
    let check = dir.path().join("r.py");
    std::fs::write(
        &check,
        "import dbm.dumb, sys\ndb = dbm.dumb.open(sys.argv[1], 'r')\n\
         print(sorted((k.decode('utf-8'), len(v)) for k, v in db.items()))\n",
    )
    .unwrap();
    let read = |p: &std::path::Path| {
        let mut cmd = python::env().command();
        cmd.arg(&check).arg(p);
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    assert_eq!(read(&theirs), read(&mine));
}

fn python_ops() -> String {
    let items: Vec<String> = DBM_OPS
        .iter()
        .map(|(k, v)| {
            let esc = |s: &str| {
                s.chars()
                    .map(|c| format!("\\U{:08x}", c as u32))
                    .collect::<String>()
            };
            format!("('{}', '{}')", esc(k), esc(v))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

#[test]
fn every_corpus_run_is_stored_as_stestr_stores_it() {
    for (name, bytes) in crate::common::corpus_v2() {
        let theirs = tempfile::tempdir().unwrap();
        let mine = tempfile::tempdir().unwrap();
        assert!(stestr(theirs.path(), &["init"], b"").status.success());
        assert!(ours(mine.path(), &["init"], b"").status.success());
        let a = stestr(theirs.path(), &["load"], &bytes);
        assert!(a.status.success(), "{name}: {}", text(&a));
        ours(mine.path(), &["load"], &bytes);
        let mut files: Vec<String> = std::fs::read_dir(theirs.path().join(".stestr"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        // Ours has one more: `lock`, which serialises concurrent loads (stestr does not lock).
        let mut our_files: Vec<String> = std::fs::read_dir(mine.path().join(".stestr"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f != "lock")
            .collect();
        our_files.sort();
        assert_eq!(our_files, files, "{name}: the files of the store");
        for f in ["0", "failing", "meta.dbm.dat", "meta.dbm.dir"] {
            let a = std::fs::read(theirs.path().join(".stestr").join(f)).unwrap();
            let b = std::fs::read(mine.path().join(".stestr").join(f)).unwrap();
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            assert_eq!(sort_tags(&b), sort_tags(&a), "{name}: .stestr/{f} differs");
        }
    }
}
