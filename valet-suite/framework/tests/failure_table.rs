//! The failure-injection table of issue 4: for each example class, which stages and tear-downs
//! ran, in what order, and the exact events in the stream (read back with an independent
//! decoder). The expected event shapes are those observed from Tempest 47.0.0 under
//! `python -m subunit.run` with testtools 2.9.1 on the same classes written in Python.

use crate::common;

use std::sync::Arc;

use subunit_emitter::{Delivery, StreamWriter};
use tempest_framework::examples::{self, Journal};
use tempest_framework::lifecycle::{CLASS_REASON_MIME, TEXT_MIME, TRACEBACK_MIME};
use tempest_framework::{Config, RunOptions, Selection};

const M: &str = "demo.test_life";
const LOG: &str = "pythonlogging:''";

/// Every stage of a class that sets up and tears down without trouble.
const FULL_SETUP: &[&str] = &[
    "skip_checks",
    "setup_credentials",
    "setup_clients",
    "resource_setup",
];
const TEST: &[&str] = &[
    "setUp test_one",
    "test_one",
    "tearDown test_one",
    "test_cleanup b",
    "test_cleanup a",
];
const FULL_TEARDOWN: &[&str] = &[
    "resource_cleanup",
    "class_cleanup two",
    "class_cleanup one",
    "clear_credentials",
];

fn cat(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.iter().map(|s| s.to_string()))
        .collect()
}

fn test_id(class: &str) -> String {
    format!("{M}.{class}.test_one")
}

/// A test's events: inprogress, its attachments, its final status.
fn test_events(class: &str, files: &[(&str, &str)], status: &str) -> Vec<String> {
    let id = test_id(class);
    let mut v = vec![format!("inprogress {id}")];
    v.extend(files.iter().map(|(n, m)| format!("file {id} {n} {m}")));
    v.push(format!("{status} {id}"));
    v
}

fn pseudo(kind: &str, class: &str, status: &str) -> Vec<String> {
    let id = format!("{kind} ({M}.{class})");
    let (name, mime) = if status == "skip" {
        ("reason", CLASS_REASON_MIME)
    } else {
        ("traceback", TRACEBACK_MIME)
    };
    vec![format!("file {id} {name} {mime}"), format!("{status} {id}")]
}

struct Row {
    class: &'static str,
    journal: Vec<String>,
    events: Vec<String>,
    /// A text the class pseudo-test's attachment must hold (which error won).
    message: Option<&'static str>,
}

fn table() -> Vec<Row> {
    let pass = |c| test_events(c, &[(LOG, TEXT_MIME)], "success");
    let failed = |c, n: usize| {
        let names = ["traceback", "traceback-1", "traceback-2", "traceback-3"];
        let mut files: Vec<(&str, &str)> =
            names[..n].iter().map(|n| (*n, TRACEBACK_MIME)).collect();
        files.push((LOG, TEXT_MIME));
        test_events(c, &files, "fail")
    };
    let full = cat(&[FULL_SETUP, TEST, FULL_TEARDOWN]);
    let row = |class, journal, events, message| Row {
        class,
        journal,
        events,
        message,
    };
    vec![
        row("Clean", full.clone(), pass("Clean"), None),
        row(
            "Skipped",
            cat(&[&["skip_checks"]]),
            pseudo("setUpClass", "Skipped", "skip"),
            Some("not configured"),
        ),
        row(
            "ErrSkipChecks",
            cat(&[&["skip_checks"]]),
            pseudo("setUpClass", "ErrSkipChecks", "fail"),
            Some("RuntimeError: boom in skip_checks"),
        ),
        row(
            "ErrSetupCredentials",
            cat(&[&["skip_checks", "setup_credentials", "clear_credentials"]]),
            pseudo("setUpClass", "ErrSetupCredentials", "fail"),
            Some("boom in setup_credentials"),
        ),
        row(
            "ErrSetupClients",
            cat(&[&[
                "skip_checks",
                "setup_credentials",
                "setup_clients",
                "clear_credentials",
            ]]),
            pseudo("setUpClass", "ErrSetupClients", "fail"),
            Some("boom in setup_clients"),
        ),
        row(
            "ErrResourceSetup",
            cat(&[FULL_SETUP, FULL_TEARDOWN]),
            pseudo("setUpClass", "ErrResourceSetup", "fail"),
            Some("boom in resource_setup"),
        ),
        row(
            "ErrSetUp",
            cat(&[
                FULL_SETUP,
                &["setUp test_one", "test_cleanup b", "test_cleanup a"],
                FULL_TEARDOWN,
            ]),
            failed("ErrSetUp", 1),
            None,
        ),
        row("ErrTest", full.clone(), failed("ErrTest", 1), None),
        row("ErrAssert", full.clone(), failed("ErrAssert", 1), None),
        row(
            "SkipInTest",
            full.clone(),
            test_events(
                "SkipInTest",
                &[(LOG, TEXT_MIME), ("reason", TEXT_MIME)],
                "skip",
            ),
            None,
        ),
        row("ErrTearDown", full.clone(), failed("ErrTearDown", 1), None),
        row(
            "ErrTestCleanup",
            full.clone(),
            failed("ErrTestCleanup", 2),
            None,
        ),
        row(
            "ErrTestAndCleanup",
            full.clone(),
            failed("ErrTestAndCleanup", 4),
            None,
        ),
        row(
            "ErrResourceCleanup",
            full.clone(),
            [
                pass("ErrResourceCleanup"),
                pseudo("tearDownClass", "ErrResourceCleanup", "fail"),
            ]
            .concat(),
            Some("boom in resource_cleanup"),
        ),
        row(
            "ErrClassCleanup",
            full.clone(),
            [
                pass("ErrClassCleanup"),
                pseudo("tearDownClass", "ErrClassCleanup", "fail"),
            ]
            .concat(),
            // Both cleanups ran; both errors are reported, the later-registered first.
            Some(
                "[0] RuntimeError: boom in class cleanup two\n  [1] RuntimeError: boom in class cleanup one",
            ),
        ),
        row(
            "ErrClearCredentials",
            full.clone(),
            [
                pass("ErrClearCredentials"),
                pseudo("tearDownClass", "ErrClearCredentials", "fail"),
            ]
            .concat(),
            Some("boom in clear_credentials"),
        ),
        // Two errors at once: the set-up error wins over the tear-down error.
        row(
            "ErrSetupAndCleanup",
            cat(&[FULL_SETUP, FULL_TEARDOWN]),
            pseudo("setUpClass", "ErrSetupAndCleanup", "fail"),
            Some("RuntimeError: boom in resource_setup"),
        ),
        // Two tear-down errors: the first one (popped first: resources) is reported.
        row(
            "ErrTwoTeardowns",
            full.clone(),
            [
                pass("ErrTwoTeardowns"),
                pseudo("tearDownClass", "ErrTwoTeardowns", "fail"),
            ]
            .concat(),
            Some("RuntimeError: boom in resource_cleanup"),
        ),
        row(
            "ErrSetupClientsAndClear",
            cat(&[&[
                "skip_checks",
                "setup_credentials",
                "setup_clients",
                "clear_credentials",
            ]]),
            pseudo("setUpClass", "ErrSetupClientsAndClear", "fail"),
            Some("RuntimeError: boom in setup_clients"),
        ),
        row(
            "NoSuperSkip",
            vec![],
            pseudo("setUpClass", "NoSuperSkip", "fail"),
            Some("RuntimeError: skip_checks for NoSuperSkip did not call the super's skip_checks"),
        ),
        row(
            "NoSuperCleanup",
            vec![],
            [
                pass("NoSuperCleanup"),
                pseudo("tearDownClass", "NoSuperCleanup", "fail"),
            ]
            .concat(),
            Some(
                "RuntimeError: resource_cleanup for NoSuperCleanup did not call the super's \
                 resource_cleanup",
            ),
        ),
    ]
}

fn run_examples() -> (
    Journal,
    Vec<common::Ev>,
    tempest_framework::RunSummary,
    Vec<String>,
) {
    let journal = Journal::new();
    let suite = examples::suite(&journal).unwrap();
    let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
    let log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = log.clone();
    let opts = RunOptions {
        log: Arc::new(move |m| sink.lock().unwrap().push(m.to_owned())),
        ..RunOptions::default()
    };
    let summary = tempest_framework::run(
        &suite,
        &Selection::all(&suite),
        Arc::new(Config::new()),
        &writer,
        &opts,
    )
    .unwrap();
    let events = common::decode(&writer.finish().unwrap());
    let log = log.lock().unwrap().clone();
    (journal, events, summary, log)
}

fn belongs(ev: &common::Ev, class: &str) -> bool {
    let Some(id) = &ev.id else { return false };
    id.starts_with(&format!("{M}.{class}.")) || id.ends_with(&format!("({M}.{class})"))
}

#[test]
fn every_injection_runs_the_right_teardowns_and_emits_the_right_events() {
    let (journal, events, _, _) = run_examples();
    for row in table() {
        assert_eq!(
            journal.of(row.class),
            row.journal,
            "stages and tear-downs of {}",
            row.class
        );
        let got: Vec<String> = events
            .iter()
            .filter(|e| belongs(e, row.class) && status_of(e) != "exists")
            .map(|e| e.line.clone())
            .collect();
        assert_eq!(got, row.events, "events of {}", row.class);
        if let Some(message) = row.message {
            let pseudo = events
                .iter()
                .find(|e| {
                    belongs(e, row.class)
                        && e.file.is_some()
                        && e.id.as_ref().unwrap().contains(" (")
                })
                .unwrap_or_else(|| panic!("{} has no class pseudo-test", row.class));
            let text = String::from_utf8_lossy(&pseudo.file.as_ref().unwrap().1).into_owned();
            assert!(
                text.contains(message),
                "{}: {text:?} lacks {message:?}",
                row.class
            );
        }
    }
}

fn status_of(e: &common::Ev) -> &'static str {
    common::status_name(e.status)
}

#[test]
fn tests_of_a_failed_class_are_announced_but_emit_nothing_else() {
    let (_, events, summary, _) = run_examples();
    let id = test_id("ErrResourceSetup");
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e.id.as_deref() == Some(&id))
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].line, format!("exists {id}"));
    // Every announcement comes before the first test starts.
    let first_start = events
        .iter()
        .position(|e| status_of(e) != "exists")
        .unwrap();
    assert!(
        events[first_start..]
            .iter()
            .all(|e| status_of(e) != "exists")
    );
    // 19 table classes, the proof donor and two replayers with one test each, and 4 in Attrs.
    assert_eq!(first_start, 26);
    // A class whose set-up failed is one result; its test is not.
    assert!(
        summary
            .failed
            .contains(&format!("setUpClass ({M}.ErrResourceSetup)"))
    );
    assert!(!summary.failed.contains(&id));
}

#[test]
fn the_summary_counts_pseudo_tests_and_the_log_says_what_tempest_logs() {
    let (_, _, summary, log) = run_examples();
    assert!(!summary.passed());
    assert!(
        summary
            .failed
            .contains(&format!("setUpClass ({M}.ErrResourceSetup)"))
    );
    assert!(
        summary
            .failed
            .contains(&format!("tearDownClass ({M}.ErrClearCredentials)"))
    );
    assert!(summary.failed.contains(&test_id("ErrTest")));
    assert!(!summary.failed.contains(&test_id("Clean")));
    assert!(
        log.iter().any(|l| l
            == "INFO tempest.test [-] <class 'RuntimeError'> raised in ErrResourceSetup.setUpClass. Invoking tearDownClass."),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l
                .contains("teardown of resources failed: RuntimeError: boom in resource_cleanup")),
        "{log:#?}"
    );
}

#[test]
fn decorators_give_tempest_ids_and_skips() {
    let (_, events, _, _) = run_examples();
    let lines: Vec<&str> = events
        .iter()
        .filter(|e| {
            e.id.as_deref()
                .is_some_and(|i| i.starts_with("demo.test_attrs."))
        })
        .filter(|e| status_of(e) != "exists")
        .map(|e| e.line.as_str())
        .collect();
    let a = "demo.test_attrs.Attrs";
    let want = vec![
        format!("inprogress {a}.test_multi[gate,slow]"),
        format!("file {a}.test_multi[gate,slow] {LOG} {TEXT_MIME}"),
        format!("success {a}.test_multi[gate,slow]"),
        format!(
            "inprogress {a}.test_services[compute,id-2ab0337e-6472-11e6-b6c6-080027824017,network]"
        ),
        format!(
            "file {a}.test_services[compute,id-2ab0337e-6472-11e6-b6c6-080027824017,network] {LOG} {TEXT_MIME}"
        ),
        format!(
            "success {a}.test_services[compute,id-2ab0337e-6472-11e6-b6c6-080027824017,network]"
        ),
        format!("inprogress {a}.test_skipbug"),
        format!("file {a}.test_skipbug {LOG} {TEXT_MIME}"),
        format!("file {a}.test_skipbug reason {TEXT_MIME}"),
        format!("skip {a}.test_skipbug"),
        format!("inprogress {a}.test_smoke[id-460d86e4-6472-11e6-b6c6-080027824017,smoke]"),
        format!(
            "file {a}.test_smoke[id-460d86e4-6472-11e6-b6c6-080027824017,smoke] {LOG} {TEXT_MIME}"
        ),
        format!("success {a}.test_smoke[id-460d86e4-6472-11e6-b6c6-080027824017,smoke]"),
    ];
    assert_eq!(lines, want);
    let reason = events
        .iter()
        .find(|e| {
            e.file.as_ref().is_some_and(|f| f.0 == "reason")
                && e.id.as_deref() == Some(&format!("{a}.test_skipbug"))
        })
        .unwrap();
    assert_eq!(
        reason.file.as_ref().unwrap().1,
        b"Skipped until bug: https://launchpad.net/bugs/12345 is resolved."
    );
}
