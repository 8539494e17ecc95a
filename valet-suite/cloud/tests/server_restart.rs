//! The store on disk: a restart with the same database file keeps every group, member, plan,
//! placement, project and token (`valet-suite serve --db PATH`, the same as a process stopped
//! by SIGTERM, is tested with the command, in the suite's `serve` tests).

use serde_json::{Value, json};
use valet_cloud::start;

use crate::common::http::{client, get, server_hosts, token};
use crate::common::on_file;

#[test]
fn a_restart_on_the_same_file_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("valet.sqlite");
    let c = client();
    let opts = || on_file(&db);

    let server = start(opts()).unwrap();
    let (tok, tenant) = token(&c, &server.identity_url());
    let valet = server.valet_url();
    let r = c
        .post(format!("{valet}/groups"))
        .header("X-Auth-Token", &tok)
        .json(&json!({"name": "kept", "type": "diversity", "level": "host"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = c
        .put(format!("{valet}/groups/kept/members"))
        .header("X-Auth-Token", &tok)
        .json(&json!({"members": [tenant]}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = c
        .post(format!("{valet}/plans"))
        .header("X-Auth-Token", &tok)
        .json(
            &json!({"plan_name": "p", "stack_id": "stack-1", "resources": {
            "r1": {"name": "a", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small",
                   "metadata": {"valet": {"groups": ["kept"]}}}},
            "r2": {"name": "b", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small",
                   "metadata": {"valet": {"groups": ["kept"]}}}}}}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let before = get(&c, &format!("{valet}/plans/stack-1"), &tok).1;
    let groups_before = get(&c, &format!("{valet}/groups"), &tok).1;
    server.shutdown();

    // A new server on the same file (a new port): the same data, and the old token still
    // holds because tokens are stored too.
    let server = start(opts()).unwrap();
    let valet = server.valet_url();
    assert_eq!(
        get(&c, &format!("{valet}/groups"), &tok),
        (200, groups_before)
    );
    assert_eq!(
        get(&c, &format!("{valet}/plans/stack-1"), &tok),
        (200, before.clone())
    );
    let (status, placements) = get(&c, &format!("{valet}/placements"), &tok);
    assert_eq!(status, 200);
    assert_eq!(placements["placements"].as_array().unwrap().len(), 2);
    // The engine still sees the stored placements: a third member must avoid both hosts.
    let r = c
        .put(format!("{valet}/plans/stack-1"))
        .header("X-Auth-Token", &tok)
        .json(&json!({"action": "update", "resources": {
            "r1": {"name": "a", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small",
                   "metadata": {"valet": {"groups": ["kept"]}}}},
            "r2": {"name": "b", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small",
                   "metadata": {"valet": {"groups": ["kept"]}}}},
            "r3": {"name": "c", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small",
                   "metadata": {"valet": {"groups": ["kept"]}}}}}}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let plan: Value = r.json().unwrap();
    let p = &plan["plan"]["placements"];
    let hosts: std::collections::HashSet<&str> = ["r1", "r2", "r3"]
        .iter()
        .map(|k| p[*k]["location"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 3);
    assert_eq!(p["r1"], before["plan"]["placements"]["r1"]);
    // The admin password is reset to the configured one at start; the account is the same.
    let (_, tenant_again) = token(&c, &server.identity_url());
    assert_eq!(tenant_again, tenant);
}

const STACK: &str = r#"
heat_template_version: 2015-04-30
parameters:
  count: {type: number, default: 2}
resources:
  apart:
    type: OS::Nova::ServerGroup
    properties: {policies: [anti-affinity]}
  pair:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Nova::Server
        properties:
          name: srv-%index%
          image: TestVM
          flavor: m1.tiny
          scheduler_hints: {group: {get_resource: apart}}
"#;

/// `(name, host)` of every server Nova shows, sorted.
fn servers(c: &reqwest::blocking::Client, nova: &str, tok: &str) -> Vec<(String, String)> {
    let mut v = server_hosts(c, nova, tok);
    v.sort();
    v
}

/// Polls a stack until it is no longer in progress; its body.
fn settled(c: &reqwest::blocking::Client, url: &str, tok: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = get(c, url, tok);
        assert_eq!(status, 200, "{body}");
        if !body["stack"]["stack_status"]
            .as_str()
            .unwrap()
            .ends_with("_IN_PROGRESS")
        {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_restart_on_the_same_file_keeps_stacks_servers_and_server_groups() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cloud.sqlite");
    let c = client();
    let opts = || on_file(&db);
    let server = start(opts()).unwrap();
    let (tok, tenant) = token(&c, &server.identity_url());
    let urls = |s: &valet_cloud::ServerHandle| {
        (
            format!("{}/orchestration/v1/{tenant}", s.base_url()),
            format!("{}/compute/v2.1", s.base_url()),
        )
    };
    let (heat, nova) = urls(&server);
    let r = c
        .post(format!("{heat}/stacks"))
        .header("X-Auth-Token", &tok)
        .json(&json!({"stack_name": "kept", "template": STACK}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().unwrap()["stack"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stack_url = |heat: &str| format!("{heat}/stacks/kept/{id}");
    let stack = settled(&c, &stack_url(&heat), &tok);
    assert_eq!(stack["stack"]["stack_status"], "CREATE_COMPLETE", "{stack}");
    let events = get(&c, &format!("{}/events", stack_url(&heat)), &tok);
    let list = get(&c, &format!("{heat}/stacks"), &tok);
    let before = servers(&c, &nova, &tok);
    assert_eq!(before.len(), 2);
    let old_base = server.base_url();
    server.shutdown();

    let server = start(opts()).unwrap();
    let (heat, nova) = urls(&server);
    // The same stack (status, times, parameters), its events, the stack list and the servers
    // on the same hosts (links name the new port, so they are compared without it).
    let strip = |v: &Value, from: &str| Value::from(v.to_string().replace(from, "BASE"));
    let after = settled(&c, &stack_url(&heat), &tok);
    assert_eq!(strip(&after, &server.base_url()), strip(&stack, &old_base));
    let events_after = get(&c, &format!("{}/events", stack_url(&heat)), &tok);
    assert_eq!(events_after.0, 200);
    assert_eq!(
        events_after.1["events"].as_array().unwrap().len(),
        events.1["events"].as_array().unwrap().len()
    );
    let list_after = get(&c, &format!("{heat}/stacks"), &tok);
    assert_eq!(
        list_after.1["stacks"].as_array().unwrap().len(),
        list.1["stacks"].as_array().unwrap().len()
    );
    assert_eq!(servers(&c, &nova, &tok), before);

    // An update after the restart builds on the stored stack: the two servers stay where they
    // are, and the third keeps the stored server group's anti-affinity.
    let r = c
        .put(stack_url(&heat))
        .header("X-Auth-Token", &tok)
        .json(&json!({"template": STACK, "parameters": {"count": 3}}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let updated = settled(&c, &stack_url(&heat), &tok);
    assert_eq!(
        updated["stack"]["stack_status"], "UPDATE_COMPLETE",
        "{updated}"
    );
    let three = servers(&c, &nova, &tok);
    assert_eq!(three.len(), 3, "{three:?}");
    for kept in &before {
        assert!(three.contains(kept), "{kept:?} moved: {three:?}");
    }
    let hosts: std::collections::HashSet<&String> = three.iter().map(|(_, h)| h).collect();
    assert_eq!(
        hosts.len(),
        3,
        "anti-affinity lost across the restart: {three:?}"
    );
    server.shutdown();

    // A delete survives a restart too: no stack listed, no server, no plan.
    let server = start(opts()).unwrap();
    let (heat, nova) = urls(&server);
    assert_eq!(servers(&c, &nova, &tok).len(), 3);
    let r = c
        .delete(stack_url(&heat))
        .header("X-Auth-Token", &tok)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    server.shutdown();
    let server = start(opts()).unwrap();
    let (heat, nova) = urls(&server);
    assert!(servers(&c, &nova, &tok).is_empty());
    let list = get(&c, &format!("{heat}/stacks"), &tok).1;
    assert_eq!(list["stacks"], json!([]), "{list}");
    let plans = get(&c, &format!("{}/plans", server.valet_url()), &tok).1;
    assert_eq!(plans["plans"], json!([]), "{plans}");
}

/// A write the store refuses mid-request (a trigger added by another connection makes every
/// new stack's row fail): Heat answers its 500, the request is rolled back whole (no stack,
/// server or plan left, in memory or in the file), and once the store accepts writes again
/// the same stack is made as if nothing had happened.
#[test]
fn a_write_the_store_refuses_leaves_nothing_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("refusing.sqlite");
    let server = start(on_file(&db)).unwrap();
    let c = client();
    let (tok, tenant) = token(&c, &server.identity_url());
    let heat = format!("{}/orchestration/v1/{tenant}", server.base_url());
    let nova = format!("{}/compute/v2.1", server.base_url());
    let create = || {
        c.post(format!("{heat}/stacks"))
            .header("X-Auth-Token", &tok)
            .json(&json!({"stack_name": "refused", "template": STACK}))
            .send()
            .unwrap()
    };
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON heat_stacks \
             BEGIN SELECT RAISE(ABORT, 'injected: the disk refuses'); END;",
        )
        .unwrap();
    let r = create();
    assert_eq!(r.status().as_u16(), 500);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["type"], "DBError", "{body}");
    let list = get(&c, &format!("{heat}/stacks"), &tok).1;
    assert_eq!(list["stacks"], json!([]), "{list}");
    assert!(servers(&c, &nova, &tok).is_empty());
    let plans = get(&c, &format!("{}/plans", server.valet_url()), &tok).1;
    assert_eq!(plans["plans"], json!([]), "{plans}");
    let rows: i64 = other
        .query_row(
            "SELECT (SELECT count(*) FROM heat_stacks) + (SELECT count(*) FROM nova_servers) \
             + (SELECT count(*) FROM plans) + (SELECT count(*) FROM nova_server_groups)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 0);

    other.execute_batch("DROP TRIGGER refuse").unwrap();
    let r = create();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().unwrap()["stack"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stack = settled(&c, &format!("{heat}/stacks/refused/{id}"), &tok);
    assert_eq!(stack["stack"]["stack_status"], "CREATE_COMPLETE", "{stack}");
    assert_eq!(servers(&c, &nova, &tok).len(), 2);
}
