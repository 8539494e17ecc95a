//! The runner: concurrency, class affinity, panics, timeouts, partitions.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use subunit::types::teststatus::TestStatus;
use subunit_emitter::{Delivery, StreamWriter};
use tempest_framework::examples::{self, Injected, Journal, Point};
use tempest_framework::{Config, Filters, Partition, RunOptions, Selection, Suite};

fn run_to_events(
    suite: &Suite,
    selection: &Selection,
    opts: &RunOptions,
    config: Config,
) -> (Vec<common::Ev>, tempest_framework::RunSummary) {
    let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
    let summary =
        tempest_framework::run(suite, selection, Arc::new(config), &writer, opts).unwrap();
    (common::decode(&writer.finish().unwrap()), summary)
}

fn is_final(s: TestStatus) -> bool {
    !matches!(
        s,
        TestStatus::Undefined | TestStatus::InProgress | TestStatus::Enumeration
    )
}

#[test]
fn four_workers_over_ten_thousand_tests() {
    // 200 classes of 50 tests; every 7th test of a class fails.
    let suite = examples::synthetic(200, 50, 7).unwrap();
    let all = Selection::all(&suite);
    assert_eq!(all.len(), 10_000);
    let opts = RunOptions {
        concurrency: 4,
        worker_tags: true,
        route_codes: true,
        ..RunOptions::default()
    };
    let (events, summary) = run_to_events(&suite, &all, &opts, Config::new());

    let ids: BTreeSet<&str> = suite.test_ids().collect();
    let mut finals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut worker_of_class: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut exists = 0;
    for e in &events {
        let id = e.id.as_deref().expect("every packet has a test id");
        match e.status {
            TestStatus::Enumeration => exists += 1,
            s if is_final(s) => {
                *finals
                    .entry(ids.get(id).copied().expect("a known id"))
                    .or_default() += 1;
                assert_eq!(e.tags.len(), 1, "{}", e.line);
                let tag = &e.tags[0];
                let route = e.route.as_deref().expect("a route code");
                assert_eq!(tag, &format!("worker-{route}"), "tag and route code agree");
                let class = id.rsplit_once('.').unwrap().0.to_owned();
                worker_of_class
                    .entry(class)
                    .or_default()
                    .insert(tag.clone());
            }
            _ => assert!(e.route.is_some(), "{}", e.line),
        }
    }
    assert_eq!(exists, 10_000);
    assert_eq!(finals.len(), 10_000);
    assert!(
        finals.values().all(|&n| n == 1),
        "exactly one final status each"
    );
    // Classes never split; every worker got work.
    assert!(worker_of_class.values().all(|w| w.len() == 1));
    let used: BTreeSet<String> = worker_of_class.values().flatten().cloned().collect();
    let want: BTreeSet<String> = (0..4).map(|i| format!("worker-{i}")).collect();
    assert_eq!(used, want);
    assert_eq!(summary.results, 10_000);
    assert_eq!(summary.failed.len(), 200 * 7);
}

#[test]
fn a_panicking_test_fails_with_its_message_and_the_run_goes_on() {
    let j = Journal::new();
    let mut suite = Suite::new();
    suite
        .add(Injected::new("APanics", &[Point::Panic], j.clone()))
        .unwrap()
        .add(Injected::new("BClean", &[], j.clone()))
        .unwrap();
    let (events, summary) = run_to_events(
        &suite,
        &Selection::all(&suite),
        &RunOptions::default(),
        Config::new(),
    );
    let tb = events
        .iter()
        .find(|e| e.file.as_ref().is_some_and(|f| f.0 == "traceback"))
        .unwrap();
    let text = String::from_utf8_lossy(&tb.file.as_ref().unwrap().1).into_owned();
    assert!(text.contains("Panic: panicked at"), "{text}");
    assert!(text.contains("boom: the test panicked"), "{text}");
    assert_eq!(
        summary.failed,
        vec!["demo.test_life.APanics.test_one".to_owned()]
    );
    // The panicking test's tear-down and cleanups still ran, and so did the next class.
    assert_eq!(
        j.of("APanics")[6..],
        [
            "tearDown test_one",
            "test_cleanup b",
            "test_cleanup a",
            "resource_cleanup",
            "class_cleanup two",
            "class_cleanup one",
            "clear_credentials"
        ]
    );
    assert!(j.of("BClean").contains(&"test_one".to_owned()));
}

#[test]
fn a_test_over_its_timeout_fails_and_the_run_goes_on() {
    let j = Journal::new();
    let mut suite = Suite::new();
    suite
        .add(Injected::new("AHangs", &[Point::Hang], j.clone()))
        .unwrap()
        .add(Injected::new("BClean", &[], j.clone()))
        .unwrap();
    let opts = RunOptions {
        timeout: Some(Duration::from_millis(300)),
        ..RunOptions::default()
    };
    let started = Instant::now();
    let (events, summary) = run_to_events(&suite, &Selection::all(&suite), &opts, Config::new());
    // The hanging test sleeps 2 s; the run does not wait for it.
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        summary.failed,
        vec!["demo.test_life.AHangs.test_one".to_owned()]
    );
    let tb = events
        .iter()
        .find(|e| e.file.as_ref().is_some_and(|f| f.0 == "traceback"))
        .unwrap();
    let text = String::from_utf8_lossy(&tb.file.as_ref().unwrap().1).into_owned();
    assert!(text.contains("TimeoutException"), "{text}");
    assert!(j.of("BClean").contains(&"test_one".to_owned()));
    // A test within its timeout passes on its own thread.
    let quick = RunOptions {
        timeout: Some(Duration::from_secs(5)),
        ..RunOptions::default()
    };
    let mut ok = Suite::new();
    ok.add(Injected::new("Quick", &[], Journal::new())).unwrap();
    let (_, s) = run_to_events(&ok, &Selection::all(&ok), &quick, Config::new());
    assert!(s.passed() && s.results == 1);
}

#[test]
fn partitions_cover_every_class_once() {
    let suite = examples::synthetic(37, 3, 0).unwrap();
    for kind in ["hash", "slice"] {
        let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
        for m in 1..=4 {
            let p: Partition = format!("{kind}:{m}/4").parse().unwrap();
            let shard = p.apply(&suite, Selection::all(&suite));
            for g in &shard.groups {
                assert_eq!(g.tests.len(), 3, "a shard holds whole classes");
                *seen.entry(g.class).or_default() += 1;
            }
            if kind == "slice" {
                assert!((9..=10).contains(&shard.groups.len()), "slices are even");
            }
        }
        assert_eq!(seen.len(), 37, "{kind}");
        assert!(seen.values().all(|&n| n == 1), "{kind}");
    }
}

#[test]
fn concatenated_shards_form_one_run() {
    let suite = examples::synthetic(12, 4, 0).unwrap();
    let mut all = Vec::new();
    for m in 1..=3 {
        let p: Partition = format!("hash:{m}/3").parse().unwrap();
        let shard = p.apply(&suite, Selection::all(&suite));
        let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
        tempest_framework::run(
            &suite,
            &shard,
            Arc::new(Config::new()),
            &writer,
            &RunOptions::default(),
        )
        .unwrap();
        all.extend(writer.finish().unwrap());
    }
    let events = common::decode(&all);
    let done: BTreeSet<String> = events
        .iter()
        .filter(|e| e.status == TestStatus::Success)
        .map(|e| e.id.clone().unwrap())
        .collect();
    assert_eq!(done.len(), 48);
}

#[test]
fn filters_select_by_search_and_exclusions_win() {
    let suite = examples::suite(&Journal::new()).unwrap();
    let pick = |f: Filters| -> Vec<String> {
        f.select(&suite)
            .test_ids(&suite)
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        pick(Filters::new().smoke()),
        ["demo.test_attrs.Attrs.test_smoke[id-460d86e4-6472-11e6-b6c6-080027824017,smoke]"]
    );
    let errs = pick(
        Filters::new()
            .regex("ErrSet")
            .unwrap()
            .exclude_regex("Clients")
            .unwrap(),
    );
    assert_eq!(
        errs,
        [
            "demo.test_life.ErrSetUp.test_one",
            "demo.test_life.ErrSetupAndCleanup.test_one",
            "demo.test_life.ErrSetupCredentials.test_one",
        ]
    );
    let loaded =
        pick(Filters::new().load_list("demo.test_life.Clean.test_one\nno.such.Test.test_x\n"));
    assert_eq!(loaded, ["demo.test_life.Clean.test_one"]);
}

#[test]
fn a_test_that_never_returns_fails_at_its_timeout_and_the_stream_names_it() {
    let mut suite = Suite::new();
    suite
        .add(Injected::new("ALoops", &[Point::Forever], Journal::new()))
        .unwrap()
        .add(Injected::new("BClean", &[], Journal::new()))
        .unwrap();
    let opts = RunOptions {
        timeout: Some(Duration::from_millis(200)),
        ..RunOptions::default()
    };
    let (events, summary) = run_to_events(&suite, &Selection::all(&suite), &opts, Config::new());
    let looping = "demo.test_life.ALoops.test_one";
    assert_eq!(summary.failed, vec![looping.to_owned()]);
    let names: Vec<String> = events
        .iter()
        .filter(|e| e.id.as_deref() == Some(looping) && e.file.is_none())
        .map(|e| common::status_name(e.status).to_owned())
        .collect();
    assert_eq!(names, ["exists", "inprogress", "fail"]);
    assert!(summary.counts.values().sum::<usize>() == 2);
}

/// Set in the child process of the abort test: the file its stream goes to.
const ABORT_CHILD: &str = "FRAMEWORK_TEST_ABORT_STREAM";

#[test]
fn a_test_that_aborts_the_process_leaves_a_whole_stream_naming_it() {
    let suite = || {
        let mut suite = Suite::new();
        suite
            .add(Injected::new("AClean", &[], Journal::new()))
            .unwrap()
            .add(Injected::new("BAborts", &[Point::Abort], Journal::new()))
            .unwrap()
            .add(Injected::new("CNeverRuns", &[], Journal::new()))
            .unwrap();
        suite
    };
    if let Some(path) = std::env::var_os(ABORT_CHILD) {
        // The child: a file stream (buffered, as `valet-suite run > FILE` writes it), then the
        // abort.
        let suite = suite();
        let file = std::fs::File::create(path).unwrap();
        let writer = StreamWriter::new(file, Delivery::Buffered);
        let opts = RunOptions {
            timeout: Some(Duration::from_secs(30)),
            ..RunOptions::default()
        };
        let _ = tempest_framework::run(
            &suite,
            &Selection::all(&suite),
            Arc::new(Config::new()),
            &writer,
            &opts,
        );
        unreachable!("the suite aborts the process");
    }
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("run.subunit");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "runner::a_test_that_aborts_the_process_leaves_a_whole_stream_naming_it",
            "--test-threads=1",
        ])
        .env(ABORT_CHILD, &stream)
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(6),
        "the child aborted: {:?}",
        out.status
    );
    let bytes = std::fs::read(&stream).unwrap();
    // Whole packets only, strictly decoded.
    let mut reader = subunit_parser::reader::PacketReader::with_mode(
        &bytes[..],
        subunit_parser::decode::Mode::Strict,
    );
    let mut packets = 0;
    while let Some(item) = reader.next_item().unwrap() {
        assert!(
            matches!(item, subunit_parser::reader::Item::Packet { .. }),
            "not a whole packet: {item:?}"
        );
        packets += 1;
    }
    assert!(packets >= 6, "{packets} packets");
    let events = common::decode(&bytes);
    let last: Vec<String> = events
        .iter()
        .filter(|e| e.file.is_none() && e.status != TestStatus::Enumeration)
        .map(|e| {
            format!(
                "{} {}",
                common::status_name(e.status),
                e.id.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        last,
        [
            "inprogress demo.test_life.AClean.test_one",
            "success demo.test_life.AClean.test_one",
            "inprogress demo.test_life.BAborts.test_one",
        ]
    );
}
