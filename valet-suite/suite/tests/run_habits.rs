//! `valet-suite run`'s stestr habits: runs kept in the store as they happen (read by stestr
//! 4.2.1 as its own), `--failing`, `--partial`, `--until-failure`, `--random`/`--seed`.

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use subunit::types::teststatus::TestStatus;
use subunit_runs::store::Store;
use subunit_samples::python;

fn valet(dir: &Path, suite: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .current_dir(dir)
        .args(["--suite", suite])
        .args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("valet-suite runs")
}

/// stestr 4.2.1 (or a helper script of `samples/python/` run by its python) in `dir`.
fn stestr_in(dir: &Path, script: Option<&str>, args: &[&str], stdin: &[u8]) -> Output {
    let env = python::env();
    let mut cmd = match script {
        Some(s) => {
            let mut c = env.command();
            c.arg(python::scripts_dir().join(s));
            c
        }
        None => env.tool_command("stestr"),
    };
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("python starts");
    let mut input = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = std::io::Write::write_all(&mut input, stdin);
        });
        child.wait_with_output().unwrap()
    })
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

const BROKEN: &str = "demo.test_fails_on.FailsOn.test_broken";
const NTH: &str = "demo.test_fails_on.FailsOn.test_nth";

#[test]
fn runs_kept_as_they_happen_agree_with_stestr() {
    let work = tempfile::tempdir().unwrap();
    let (mine, theirs) = (work.path().join("mine"), work.path().join("theirs"));
    std::fs::create_dir_all(&theirs).unwrap();
    assert!(stestr_in(&theirs, None, &["init"], b"").status.success());
    let suite = format!("fails-on:1:{}", work.path().join("counter").display());
    let mine_arg = mine.to_str().unwrap();
    let check = |what: &str, expected: &[&str]| {
        let theirs_on_mine = stestr_in(&mine, None, &["failing", "--list"], b"");
        assert_eq!(
            lines(&theirs_on_mine),
            expected,
            "{what}: stestr failing --list on ours"
        );
        let mine_on_theirs = Store::open(&theirs).unwrap().failing_ids().unwrap();
        assert_eq!(
            mine_on_theirs, expected,
            "{what}: our failing list of stestr's store"
        );
        // stestr shows our recorded run as it shows its own of the same stream.
        let a = stestr_in(&mine, None, &["last"], b"");
        let b = stestr_in(&theirs, None, &["last"], b"");
        assert_eq!(
            (a.status.code(), String::from_utf8_lossy(&a.stdout)),
            (b.status.code(), String::from_utf8_lossy(&b.stdout)),
            "{what}: stestr last"
        );
        assert_eq!(a.status.code(), Some(1), "{what}: {}", text(&a));
    };

    // 1. A failing run, recorded in a store `--store` creates; the same stream into stestr's.
    let run = valet(
        work.path(),
        &suite,
        &["run", "--store", mine_arg, "--subunit"],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("stored as run 0"));
    assert!(
        stestr_in(&theirs, None, &["load"], &run.stdout)
            .status
            .success()
    );
    check("the failing run", &[BROKEN, NTH]);

    // 2. `--failing` (with the live trace; stestr gets the stream we stored): test_nth is fixed.
    let run = valet(
        work.path(),
        &suite,
        &["run", "--store", mine_arg, "--failing"],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("Ran: 2 tests"), "{out}");
    assert!(!out.contains("test_steady"), "{out}");
    let stored = stestr_in(&mine, None, &["last", "--subunit"], b"");
    assert_eq!(stored.status.code(), Some(0));
    assert!(
        stestr_in(&theirs, None, &["load"], &stored.stdout)
            .status
            .success()
    );
    check("the --failing rerun", &[BROKEN]);

    // 3. `--partial` over tests that pass: test_broken did not run and stays failing (a plain
    // load would leave the list empty).
    let run = valet(
        work.path(),
        &suite,
        &[
            "run",
            "--store",
            mine_arg,
            "--partial",
            "-r",
            "steady|nth",
            "--subunit",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let o = stestr_in(
        &theirs,
        Some("stestr_insert.py"),
        &["--partial"],
        &run.stdout,
    );
    assert!(o.status.success(), "{}", text(&o));
    let check_last = stestr_in(&mine, None, &["failing", "--list"], b"");
    assert_eq!(lines(&check_last), [BROKEN]);
    let mine_on_theirs = Store::open(&theirs).unwrap().failing_ids().unwrap();
    assert_eq!(mine_on_theirs, [BROKEN]);
    // The runs stestr loaded from our streams are ours byte for byte (run 1 it loaded from
    // its own `last --subunit` of our run, which drops the traceback's `language` parameter).
    for f in ["0", "2", "next-stream"] {
        assert_eq!(
            std::fs::read(mine.join(".stestr").join(f)).ok(),
            std::fs::read(theirs.join(".stestr").join(f)).ok(),
            ".stestr/{f}"
        );
    }
    let history = stestr_in(&mine, None, &["history", "list"], b"");
    let h = String::from_utf8_lossy(&history.stdout);
    assert_eq!(h.matches("| False").count(), 2, "{h}");
    assert_eq!(h.matches("| True").count(), 1, "{h}");
}

#[test]
fn no_store_no_record_and_failing_needs_a_store() {
    let work = tempfile::tempdir().unwrap();
    // No .stestr here: nothing is recorded, nothing created.
    let run = valet(work.path(), "fails-on:0", &["run", "--subunit"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(!work.path().join(".stestr").exists());
    for args in [&["run", "--failing"][..], &["run", "--partial"]] {
        let o = valet(work.path(), "fails-on:0", args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("needs a run store"),
            "{}",
            text(&o)
        );
    }
    // A store in the working directory is used; --no-store skips it.
    assert!(
        stestr_in(work.path(), None, &["init"], b"")
            .status
            .success()
    );
    let o = valet(
        work.path(),
        "fails-on:0",
        &["run", "--no-store", "-r", "steady"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(work.path().join(".stestr/next-stream")).unwrap(),
        b"0\n"
    );
    let o = valet(work.path(), "fails-on:0", &["run", "-r", "steady"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(work.path().join(".stestr/next-stream")).unwrap(),
        b"1\n"
    );
    // Nothing failing: --failing selects nothing (exit 1, as stestr).
    let o = valet(work.path(), "fails-on:0", &["run", "--failing"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no failing tests"));
}

#[test]
fn until_failure_stops_at_the_run_that_fails() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().to_str().unwrap();
    let o = valet(
        work.path(),
        "fails-on:3",
        &[
            "run",
            "--until-failure",
            "-r",
            "steady|nth",
            "--store",
            store,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for n in 1..=3 {
        assert!(
            err.contains(&format!("--until-failure: run {n}\n")),
            "{err}"
        );
    }
    assert!(!err.contains("run 4"), "{err}");
    // Each run's summary is its own: 2 tests each (stestr's counts grow run by run).
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("Ran: 2 tests").count(), 3, "{out}");
    assert_eq!(out.matches(" - Failed: 0").count(), 2, "{out}");
    assert_eq!(out.matches(" - Failed: 1").count(), 1, "{out}");
    assert!(
        out.contains("run 3 of this test, the one it fails on"),
        "{out}"
    );
    // Every run stored.
    let history = stestr_in(work.path(), None, &["history", "list"], b"");
    let h = String::from_utf8_lossy(&history.stdout);
    assert_eq!(h.matches("| True").count(), 2, "{h}");
    assert_eq!(h.matches("| False").count(), 1, "{h}");
}

/// The order of the tests that started, in the stream.
fn started(o: &Output) -> Vec<String> {
    common::decode(&o.stdout)
        .into_iter()
        .filter(|e| e.status == TestStatus::InProgress)
        .filter_map(|e| e.id)
        .collect()
}

#[test]
fn random_order_prints_its_seed_and_the_seed_replays_it() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--subunit", "--serial"];
        all.extend_from_slice(args);
        valet(work.path(), "synthetic:8:5", &all)
    };
    let plain = started(&run(&[]));
    let shuffled = run(&["--random"]);
    assert_eq!(shuffled.status.code(), Some(0), "{}", text(&shuffled));
    let err = String::from_utf8_lossy(&shuffled.stderr);
    let seed = regex::Regex::new(r"random order, seed (\d+) \(--seed \d+ replays it\)")
        .unwrap()
        .captures(&err)
        .unwrap_or_else(|| panic!("no seed in {err}"))[1]
        .to_owned();
    let order = started(&shuffled);
    assert_ne!(order, plain, "shuffled");
    let mut sorted = order.clone();
    sorted.sort();
    let mut expected = plain.clone();
    expected.sort();
    assert_eq!(sorted, expected, "the same tests");
    assert_eq!(started(&run(&["--seed", &seed])), order, "replayed");
    let other = (seed.parse::<u64>().unwrap() + 1).to_string();
    assert_ne!(started(&run(&["--seed", &other])), order);
}

/// Each worker's time from the live trace's "Worker Balance" section, in seconds.
fn worker_balance(o: &Output) -> Vec<f64> {
    let re =
        regex::Regex::new(r"(?m)^ - Worker \d+ \(\d+ tests\) => (\d+):(\d+):([\d.]+)$").unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let times: Vec<f64> = re
        .captures_iter(&out)
        .map(|c| {
            let n = |i: usize| c[i].parse::<f64>().unwrap();
            n(1) * 3600.0 + n(2) * 60.0 + n(3)
        })
        .collect();
    assert!(!times.is_empty(), "no worker balance in\n{out}");
    times
}

/// A real run, twice, on a suite whose classes sleep for times that differ by class: the first
/// has no history (round-robin), the second deals by the times the first stored. The spread
/// of the trace's worker-balance section falls well below the first's.
#[test]
fn history_evens_the_worker_balance_out() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().to_str().unwrap();
    let args = ["run", "-w", "4", "--store", store];
    let suite = "weighted:16:4:150";
    let blind = valet(work.path(), suite, &args);
    assert_eq!(blind.status.code(), Some(0), "{}", text(&blind));
    let timed = valet(work.path(), suite, &args);
    assert_eq!(timed.status.code(), Some(0), "{}", text(&timed));
    let spread = |v: &[f64]| {
        v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min)
    };
    let (a, b) = (worker_balance(&blind), worker_balance(&timed));
    eprintln!(
        "worker balance: without history {a:.3?} (spread {:.3} s), with history {b:.3?} \
         (spread {:.3} s)",
        spread(&a),
        spread(&b)
    );
    assert!(
        spread(&b) * 3.0 < spread(&a),
        "with history {b:?}, without {a:?}"
    );
}
