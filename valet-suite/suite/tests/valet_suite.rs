//! The Valet suite as the issue asks for it: `valet-suite list` prints exactly the ids of Valet's
//! Tempest plugin (reference section 1.8) plus ours; with no configuration, `discover` tests the
//! embedded server (with Heat and Nova), every test passes, the scenario tests too, and each
//! test's log attachment holds its HTTP exchanges; python-subunit and `stestr load`
//! count what our live trace (subunit-trace's sink) prints.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output, Stdio};

use subunit::types::teststatus::TestStatus;
use subunit_samples::python::env;

/// The 80 ids of the reference list (`testr list-tests` over the plugin), verbatim.
const REFERENCE_IDS: &str = "\
valet.tests.tempest.api.test_groups.ValetGroupsTest.test_create_group[id-2ab0337e-6472-11e6-b6c6-080027824017]
valet.tests.tempest.api.test_groups.ValetGroupsTest.test_delete_group[id-35f0aa20-6472-11e6-b6c6-080027824017]
valet.tests.tempest.api.test_groups.ValetGroupsTest.test_list_groups[id-b2655098-5a0d-11e6-9efd-525400af9658]
valet.tests.tempest.api.test_groups.ValetGroupsTest.test_show_group[id-4f660e50-6472-11e6-b6c6-080027824017]
valet.tests.tempest.api.test_groups.ValetGroupsTest.test_update_group[id-460d86e4-6472-11e6-b6c6-080027824017,smoke]
valet.tests.tempest.api.test_members.ValetGroupsMembersTest.test_add_multiple_members_to_a_group[id-5aeec6f4-65d5-11e6-8b77-86f30ca893d3]
valet.tests.tempest.api.test_members.ValetGroupsMembersTest.test_add_single_member_to_a_group[id-5aeec320-65d5-11e6-8b77-86f30ca893d3]
valet.tests.tempest.api.test_members.ValetGroupsMembersTest.test_add_single_member_to_a_group_and_verify_membership[id-5aeec8b6-65d5-11e6-8b77-86f30ca893d3]
valet.tests.tempest.api.test_members.ValetGroupsMembersTest.test_delete_all_members_from_group[id-5aeecb68-65d5-11e6-8b77-86f30ca893d3]
valet.tests.tempest.api.test_members.ValetGroupsMembersTest.test_delete_member_from_group[id-5aeec99c-65d5-11e6-8b77-86f30ca893d3]
valet.tests.tempest.scenario.tests.test_affinity.TestAffinity.test_affinity
valet.tests.tempest.scenario.tests.test_diversity.TestDiversity.test_diversity
valet.tests.tempest.scenario.tests.test_exclusivity.TestExclusivity.test_exclusivity
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_nested_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000b]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_nested_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000c]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_nested_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00000]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_nested_three_instances[id-f61b522b-b84d-458d-b45b-f07f19a00006]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00003]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_affinity_one_instance_nested_one_instance[id-f61b522b-b84d-458d-b45b-f07f19a0002c]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_diversity_nested_exclusivity_and_affinity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000e]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_diversity_nested_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00001]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_diversity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00004]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_diversity_one_instance_nested_one_instance[id-f61b522b-b84d-458d-b45b-f07f19a0002d]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_affinity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000a]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_diversity_and_affinity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000d]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00008]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_diversity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00009]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00002]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_three_instances[id-f61b522b-b84d-458d-b45b-f07f19a00007]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_exclusivity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00005]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_host_affinity_multiple_resource_types[id-f61b522b-b84d-458d-b45b-f07f19a0001e]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_host_diversity_multiple_resource_types[id-f61b522b-b84d-458d-b45b-f07f19a0001f]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_host_exclusivity_multiple_resource_types[id-f61b522b-b84d-458d-b45b-f07f19a0001d]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_nested_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00017]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_nested_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00018]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_nested_three_instances[id-f61b522b-b84d-458d-b45b-f07f19a00012]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a0000f]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_rack_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00027]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_rack_diversity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a0002a]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_rack_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00028]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_affinity_rack_exclusivity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a0002b]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_diversity_nested_affinity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00019]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_diversity_nested_exclusivity_and_affinity_one_instance[id-f61b522b-b84d-458d-b45b-f07f19a0001c]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_diversity_nested_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a0001a]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_diversity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00010]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_diversity_rack_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00029]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_affinity_multiple_resource_types[id-f61b522b-b84d-458d-b45b-f07f19a00020]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_affinity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00015]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_affinity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00016]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_diversity_and_affinity_one_instance[id-f61b522b-b84d-458d-b45b-f07f19a0001b]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_diversity_multiple_resource_types[id-f61b522b-b84d-458d-b45b-f07f19a00021]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00013]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_diversity_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00014]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_exclusivity_nested_two_instances[id-f61b522b-b84d-458d-b45b-f07f19a00011]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_rack_affinity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00024]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_rack_diversity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00025]
valet.tests.tempest.scenario.tests.test_nested_templates.TestNestedStackTemplates.test_rack_rack_exclusivity_one_instances[id-f61b522b-b84d-458d-b45b-f07f19a00026]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_multiple_resources_remove_network[id-f323b3ba-82f8-4db7-8ea6-00005869e00e]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_multiple_resources_upd_security_rule[id-f323b3ba-82f8-4db7-8ea6-00005869e00d]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_add_server[id-f323b3ba-82f8-4db7-8ea6-00005869e011]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_decrease_inner_instance_count[id-f323b3ba-82f8-4db7-8ea6-00005869e014]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_increase_inner_instance_count[id-f323b3ba-82f8-4db7-8ea6-00005869e013]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_nova_group_add_server[id-f323b3ba-82f8-4db7-8ea6-00005869e016]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_nova_group_remove_server[id-f323b3ba-82f8-4db7-8ea6-00005869e017]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_nova_group_upd_flavor[id-f323b3ba-82f8-4db7-8ea6-00005869e015]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_remove_server[id-f323b3ba-82f8-4db7-8ea6-00005869e012]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_upd_desc[id-f323b3ba-82f8-4db7-8ea6-00005869e00f]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nested_upd_flavor[id-f323b3ba-82f8-4db7-8ea6-00005869e010]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_no_groups_add_server[id-f323b3ba-82f8-4db7-8ea6-00005869e003]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_no_groups_remove_server[id-f323b3ba-82f8-4db7-8ea6-00005869e004]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_no_groups_upd_desc[id-f323b3ba-82f8-4db7-8ea6-00005869e001]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_no_groups_upd_flavor[id-f323b3ba-82f8-4db7-8ea6-00005869e002]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_add_group[id-f323b3ba-82f8-4db7-8ea6-00005869e008]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_add_server[id-f323b3ba-82f8-4db7-8ea6-00005869e006]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_move_server[id-f323b3ba-82f8-4db7-8ea6-00005869e00b]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_remove_group[id-f323b3ba-82f8-4db7-8ea6-00005869e009]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_remove_group_assignment[id-f323b3ba-82f8-4db7-8ea6-00005869e00c]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_remove_server[id-f323b3ba-82f8-4db7-8ea6-00005869e005]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_upd_flavor[id-f323b3ba-82f8-4db7-8ea6-00005869e007]
valet.tests.tempest.scenario.tests.test_stack_updates_non_valet.TestStackUpdatesNonValet.test_updates_nova_group_upd_group_policy[id-f323b3ba-82f8-4db7-8ea6-00005869e00a]
";

/// Our own tests: the enabled plan tests and the API tests the plugin never had.
const OUR_IDS: &[&str] = &[
    "valet.tests.tempest.api.test_plan.ValetPlanTest.test_create_plan[id-f25ea766-c91e-40ca-b96c-dff42129803d]",
    "valet.tests.tempest.api.test_plan.ValetPlanTest.test_update_plan_action_migrate[id-973635f4-b5c9-4b78-81e7-d273e1782afc]",
];
const OUR_CLASSES: &[(&str, usize)] = &[
    ("valet.tests.tempest.api.test_errors.ValetErrorsTest.", 10),
    (
        "valet.tests.tempest.api.test_placements.ValetPlacementsTest.",
        5,
    ),
    ("valet.tests.tempest.api.test_status.ValetStatusTest.", 5),
];

fn valet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG")
        .env_remove("NO_COLOR")
        // No tempest.conf is found here: the run must use the embedded server.
        .env("TEMPEST_CONFIG_DIR", "/nonexistent-valet-suite-config")
        .stdin(Stdio::null())
        .output()
        .expect("valet-suite runs")
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn list_prints_the_reference_ids_plus_ours() {
    let o = valet(&["list"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let listed = lines(&o);
    let unique: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), listed.len(), "an id listed twice");
    let reference: BTreeSet<&str> = REFERENCE_IDS.lines().collect();
    assert_eq!(reference.len(), 80);
    let missing: Vec<&&str> = reference.difference(&unique).collect();
    assert!(missing.is_empty(), "reference ids not listed: {missing:#?}");
    let extra: BTreeSet<&str> = unique.difference(&reference).copied().collect();
    for id in OUR_IDS {
        assert!(extra.contains(id), "{id} not listed");
    }
    for (class, n) in OUR_CLASSES {
        let ours: Vec<&&str> = extra.iter().filter(|id| id.starts_with(class)).collect();
        assert_eq!(ours.len(), *n, "{class}: {ours:#?}");
        // Each with an idempotent id.
        assert!(ours.iter().all(|id| id.contains("[id-")), "{ours:#?}");
    }
    let counted: usize = OUR_IDS.len() + OUR_CLASSES.iter().map(|(_, n)| n).sum::<usize>();
    assert_eq!(extra.len(), counted, "{extra:#?}");
    // The example suite is still there.
    let o = valet(&["--suite", "examples", "list"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(lines(&o).iter().all(|id| id.starts_with("demo.")));
}

fn is_scenario(id: &str) -> bool {
    id.contains(".scenario.")
}

#[test]
fn discover_tests_the_embedded_server_and_python_tools_count_what_we_print() {
    let o = valet(&["discover"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("no identity endpoint configured ([identity] uri_v3): testing the embedded Valet server at http://127.0.0.1:"),
        "{stderr}"
    );
    let events = common::decode(&o.stdout);
    let listed = lines(&valet(&["list"]));
    let mut finals: BTreeMap<String, TestStatus> = BTreeMap::new();
    let mut logs: BTreeMap<String, String> = BTreeMap::new();
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    for e in &events {
        let id = e.id.clone().unwrap_or_default();
        if let Some((name, content)) = &e.file {
            let text = String::from_utf8_lossy(content).into_owned();
            match name.as_str() {
                "pythonlogging:''" => {
                    logs.entry(id).or_default().push_str(&text);
                }
                "reason" => {
                    reasons.entry(id).or_default().push_str(&text);
                }
                _ => {}
            }
        } else if !matches!(e.status, TestStatus::Enumeration | TestStatus::InProgress) {
            assert!(finals.insert(id.clone(), e.status).is_none(), "{id} twice");
        }
    }
    // Every test passed, the scenario tests too, with its exchanges in its log.
    for id in &listed {
        assert_eq!(
            finals.get(id),
            Some(&TestStatus::Success),
            "{id}: {events:#?}"
        );
        let log = &logs[id];
        let method = id.rsplit('.').next().unwrap().split('[').next().unwrap();
        assert!(
            log.contains(&format!(
                "tempest.lib.common.rest_client [-] Request ({method}): "
            )),
            "{id}: {log}"
        );
        // Each exchange: status, method, URL and time, as Tempest's rest client logs it.
        let exchange = regex::Regex::new(&format!(
            concat!(
                r"^(INFO|WARNING) tempest\.lib\.common\.rest_client \[-\] Request \({method}\): ",
                r"[1-5][0-9][0-9] (GET|POST|PUT|DELETE|HEAD|OPTIONS) ",
                r"http://127\.0\.0\.1:[0-9]+/\S* [0-9]+\.[0-9]{{3}}s$",
            ),
            method = method
        ))
        .unwrap();
        let requests: Vec<&str> = log.lines().filter(|l| l.contains(" Request (")).collect();
        assert!(!requests.is_empty(), "{id}: {log}");
        for l in requests {
            assert!(exchange.is_match(l), "{id}: {l:?}");
        }
    }
    // The scenario tests ran: 70 of them, none skipped.
    assert_eq!(listed.iter().filter(|id| is_scenario(id)).count(), 70);
    let skipped = 0;
    let passed = listed.len();
    assert_eq!(finals.len(), passed);

    // python-subunit reads the same results.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("discover.subunit");
    std::fs::write(&path, &o.stdout).unwrap();
    let mut py: BTreeMap<String, usize> = BTreeMap::new();
    for e in env().events(&path) {
        assert!(e.get("error").is_none(), "python-subunit died: {e}");
        assert!(!subunit_samples::is_stray_stdout(&e), "stray bytes: {e}");
        match e["test_status"].as_str() {
            Some("exists" | "inprogress") | None => {}
            Some(s) => *py.entry(s.to_owned()).or_default() += 1,
        }
    }
    assert_eq!(py, BTreeMap::from([("success".to_owned(), passed)]));

    // `stestr load` counts them too.
    let repo = tempfile::tempdir().unwrap();
    let stestr = |args: &[&str], stdin: Stdio| {
        env()
            .tool_command("stestr")
            .args(args)
            .current_dir(repo.path())
            .stdin(stdin)
            .output()
            .unwrap()
    };
    assert!(stestr(&["init"], Stdio::null()).status.success());
    let load = stestr(&["load"], Stdio::from(std::fs::File::open(&path).unwrap()));
    let out = String::from_utf8_lossy(&load.stdout);
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let total = passed + skipped;
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("Ran {total} tests in "))),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "PASSED (id=0)"), "{out}");

    // Our live trace (subunit-trace's sink, behind `valet-suite run`) prints the same counts.
    let run = valet(&["run", "-w", "1", "--color=never"]);
    let trace = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{trace}");
    for want in [
        format!("Ran: {total} tests in "),
        format!(" - Passed: {passed}"),
        format!(" - Skipped: {skipped}"),
        " - Failed: 0".to_owned(),
    ] {
        assert!(
            trace.lines().any(|l| l.starts_with(&want)),
            "{want:?} not in:\n{trace}"
        );
    }
}
