//! The scenario tests against the embedded cloud with their checks put to the test: a server
//! built off the host Valet reserved (the cloud's test-only misplacement) makes the matching
//! test fail naming the group, its rule and the hosts; without `[service_available] heat` the
//! classes skip, saying why; a stack that never completes fails the test within
//! `[orchestration] build_timeout`, its clean-ups run, and the stream stays valid; Heat
//! answering 500 mid-stack, Nova hanging and Valet answering 500 each fail the test where
//! they happen, within the timeouts, with the clean-ups run.

use crate::common;

use std::time::Duration;

use subunit::types::teststatus::TestStatus;
use tempest_framework::Config;
use valet_cloud::{Fault, FaultKind, HeatOptions, ServerHandle, ServerOptions, Service, start};
use valet_suite::valet_tests::target;

fn pointed(server: &ServerHandle) -> Config {
    target::point_at(
        valet_suite::options::config(),
        &server.identity_url(),
        &valet_cloud::AdminAccount::default(),
    )
    .unwrap()
}

/// Runs the tests matching `regex` against `config`: the decoded events and the time taken.
fn run(config: Config, regex: &str) -> (Vec<common::Ev>, Duration) {
    let (_, events, took) = crate::valet_faults::run_matching(config, regex);
    (events, took)
}

/// The final status and traceback of the test whose id starts with `prefix`.
fn outcome(events: &[common::Ev], prefix: &str) -> (TestStatus, String) {
    let mine = |e: &&common::Ev| e.id.as_deref().is_some_and(|i| i.starts_with(prefix));
    let status = events
        .iter()
        .filter(mine)
        .filter(|e| e.file.is_none())
        .map(|e| e.status)
        .rfind(|s| !matches!(s, TestStatus::InProgress | TestStatus::Enumeration))
        .unwrap_or_else(|| panic!("{prefix}: no outcome in {events:#?}"));
    let tb = events
        .iter()
        .filter(mine)
        .filter_map(|e| e.file.as_ref().filter(|(n, _)| n == "traceback"))
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .collect();
    (status, tb)
}

const SCENARIO: &str = "valet.tests.tempest.scenario.tests.";

fn misplacing(marker: &str) -> ServerHandle {
    start(ServerOptions {
        heat: HeatOptions {
            misplace: Some(marker.into()),
            ..HeatOptions::default()
        },
        ..ServerOptions::default()
    })
    .unwrap()
}

#[test]
fn a_misplaced_server_fails_the_matching_test_naming_group_rule_and_hosts() {
    // The second top-level server of TestAffinity is built in another rack.
    let server = misplacing("-top-1");
    let (events, _) = run(pointed(&server), r"\.TestAffinity\.");
    let (status, tb) = outcome(
        &events,
        &format!("{SCENARIO}test_affinity.TestAffinity.test_affinity"),
    );
    assert_eq!(status, TestStatus::Failed, "{tb}");
    let re = regex::Regex::new(
        r"AssertionError: group valet\d+-host-affinity-0 \(affinity at level host\): members are not on one host: valet\d+-top-0 on (Region1r\d{3}c\d{3}), valet\d+-top-1 on (Region1r\d{3}c\d{3})",
    )
    .unwrap();
    let caps = re.captures(&tb).unwrap_or_else(|| panic!("{tb}"));
    assert_ne!(&caps[1], &caps[2]);
    // The clean-ups ran: no stack, server, plan or group is left.
    nothing_left(&server);

    // A rack-level group: a server misplaced within its nested stack's rack-affinity group.
    let server = misplacing("-n1-0");
    let (events, _) = run(
        pointed(&server),
        r"\.test_rack_affinity_nested_two_instances\b",
    );
    let (status, tb) = outcome(
        &events,
        &format!(
            "{SCENARIO}test_nested_templates.TestNestedStackTemplates.test_rack_affinity_nested_two_instances"
        ),
    );
    assert_eq!(status, TestStatus::Failed, "{tb}");
    assert!(
        tb.contains("(affinity at level rack): members are not on one rack")
            && tb.contains("(rack Region1r"),
        "{tb}"
    );
}

#[test]
fn without_heat_the_scenario_classes_skip_saying_why() {
    let server = start(ServerOptions::default()).unwrap();
    let config = pointed(&server)
        .with("service_available", "heat", "false")
        .unwrap();
    let (events, _) = run(config, r"\.scenario\.");
    let skipped: Vec<&common::Ev> = events
        .iter()
        .filter(|e| e.status == TestStatus::Skipped)
        .collect();
    assert_eq!(skipped.len(), 5, "{events:#?}");
    for e in skipped {
        assert!(
            e.id.as_deref().unwrap().starts_with("setUpClass ("),
            "{e:?}"
        );
    }
    let reasons: String = events
        .iter()
        .filter_map(|e| e.file.as_ref().filter(|(n, _)| n == "reason"))
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(
        reasons.contains("skipped as orchestration is not available"),
        "{reasons}"
    );
}

#[test]
fn a_stack_that_never_completes_fails_within_build_timeout_and_its_cleanups_run() {
    let server = start(ServerOptions {
        heat: HeatOptions {
            action_time: Duration::from_secs(3600),
            ..HeatOptions::default()
        },
        ..ServerOptions::default()
    })
    .unwrap();
    let config = pointed(&server)
        .with("orchestration", "build_timeout", "1")
        .unwrap();
    let (events, took) = run(config, r"\.TestAffinity\.");
    let (status, tb) = outcome(
        &events,
        &format!("{SCENARIO}test_affinity.TestAffinity.test_affinity"),
    );
    assert_eq!(status, TestStatus::Failed);
    assert!(tb.contains("TimeoutException"), "{tb}");
    assert!(tb.contains("failed to reach CREATE_COMPLETE status (current CREATE_IN_PROGRESS) within the required time (1 s)"), "{tb}");
    // The stack's clean-up ran (its delete cannot complete either, so it waits out its
    // timeout too), then the groups' clean-ups ran.
    nothing_left(&server);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

fn faulty(fault: Fault) -> ServerHandle {
    start(ServerOptions {
        faults: vec![fault],
        ..ServerOptions::default()
    })
    .unwrap()
}

/// Nothing left behind: no live stack, no server, no plan, no group.
fn nothing_left(server: &ServerHandle) {
    let c = crate::http::client();
    let (tok, project) = crate::http::token(&c, &server.identity_url());
    let base = server.base_url();
    let (_, stacks) = crate::http::get(
        &c,
        &format!("{base}/orchestration/v1/{project}/stacks"),
        &tok,
    );
    assert_eq!(stacks["stacks"], serde_json::json!([]));
    let (_, servers) = crate::http::get(
        &c,
        &format!("{base}/compute/v2.1/servers?all_tenants=1"),
        &tok,
    );
    assert_eq!(servers["servers"], serde_json::json!([]));
    let (_, plans) = crate::http::get(&c, &format!("{}/plans", server.valet_url()), &tok);
    assert_eq!(plans["plans"], serde_json::json!([]));
    let (_, groups) = crate::http::get(&c, &format!("{}/groups", server.valet_url()), &tok);
    assert_eq!(groups["groups"], serde_json::json!([]));
}

const AFFINITY: &str =
    "valet.tests.tempest.scenario.tests.test_affinity.TestAffinity.test_affinity";

#[test]
fn heat_answering_500_mid_stack_fails_the_wait_and_the_cleanups_still_run() {
    // The create goes through; the first poll of the stack meets a 500.
    let server = faulty(Fault {
        service: Service::Heat,
        after: 1,
        times: 1,
        kind: FaultKind::Error500,
    });
    let (events, took) = run(pointed(&server), r"\.TestAffinity\.");
    let (status, tb) = outcome(&events, AFFINITY);
    assert_eq!(status, TestStatus::Failed);
    assert!(tb.contains("in test_affinity of"), "{tb}");
    assert!(
        tb.contains("showing stack valet") && tb.contains(": 500 "),
        "{tb}"
    );
    nothing_left(&server);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn nova_hanging_fails_the_check_within_the_http_timeout_and_the_cleanups_still_run() {
    let server = faulty(Fault {
        service: Service::Nova,
        after: 0,
        times: 1,
        kind: FaultKind::Hang(Duration::from_secs(3)),
    });
    let config = pointed(&server)
        .with("service-clients", "http_timeout", "1")
        .unwrap();
    let (events, took) = run(config, r"\.TestAffinity\.");
    let (status, tb) = outcome(&events, AFFINITY);
    assert_eq!(status, TestStatus::Failed);
    assert!(tb.contains("/compute/v2.1/servers/detail"), "{tb}");
    nothing_left(&server);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn valet_answering_500_fails_the_group_creation_before_any_stack() {
    let server = faulty(Fault {
        service: Service::Valet,
        after: 0,
        times: 1,
        kind: FaultKind::Error500,
    });
    let (events, _) = run(pointed(&server), r"\.TestAffinity\.");
    let (status, tb) = outcome(&events, AFFINITY);
    assert_eq!(status, TestStatus::Failed);
    assert!(
        tb.contains("POST http://") && tb.contains("/placement/v1/groups answered 500"),
        "{tb}"
    );
    nothing_left(&server);
}
