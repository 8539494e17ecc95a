//! The store on disk: a restart with the same database file keeps every group, member, plan,
//! placement, project and token (`valet-suite serve --db PATH`, the same as a process stopped
//! by SIGTERM, is tested with the command, in the suite's `serve` tests).

use serde_json::{Value, json};
use valet_cloud::{ServerOptions, start};

use crate::common::http::{client, get, token};

#[test]
fn a_restart_on_the_same_file_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("valet.sqlite");
    let c = client();
    let opts = || ServerOptions {
        db: Some(db.clone()),
        ..ServerOptions::default()
    };

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
