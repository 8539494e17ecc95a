//! The store on disk: a restart with the same database file keeps every group, member, plan,
//! placement, project and token; and `valet-suite serve --db PATH` does the same as a process
//! stopped by SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::http::{admin_token, client};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use valet_suite::server::{ServerOptions, start};

/// The admin's token and its project's id.
fn token(c: &Client, identity: &str) -> (String, String) {
    let (t, body) = admin_token(c, identity);
    (
        t,
        body["token"]["project"]["id"].as_str().unwrap().to_string(),
    )
}

fn get(c: &Client, url: &str, tok: &str) -> (u16, Value) {
    let r = c.get(url).header("X-Auth-Token", tok).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

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
            "r1": {"name": "a", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small"},
                   "metadata": {"valet": {"groups": ["kept"]}}},
            "r2": {"name": "b", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small"},
                   "metadata": {"valet": {"groups": ["kept"]}}}}}),
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
            "r1": {"name": "a", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small"},
                   "metadata": {"valet": {"groups": ["kept"]}}},
            "r2": {"name": "b", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small"},
                   "metadata": {"valet": {"groups": ["kept"]}}},
            "r3": {"name": "c", "type": "OS::Nova::Server", "properties": {"flavor": "m1.small"},
                   "metadata": {"valet": {"groups": ["kept"]}}}}}))
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

#[test]
fn serve_runs_until_sigterm_and_keeps_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let run = |expect_group: bool| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut identity = None;
        let mut saw_credentials = false;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("valet-suite: identity (Keystone v3): ") {
                identity = Some(u.to_string());
            }
            if line.contains(
                "admin credentials: username admin password admin project admin domain Default",
            ) {
                saw_credentials = true;
            }
            if line.contains("serving until") {
                break;
            }
        }
        let identity = identity.expect("the identity URL on stderr");
        assert!(saw_credentials);
        let c = client();
        let (tok, _) = token(&c, &identity);
        let valet = identity.replace("/identity/v3", "/placement/v1");
        if expect_group {
            let (status, g) = get(&c, &format!("{valet}/groups/from-serve"), &tok);
            assert_eq!(status, 200);
            assert_eq!(g["group"]["type"], "affinity");
        } else {
            let r = c
                .post(format!("{valet}/groups"))
                .header("X-Auth-Token", &tok)
                .json(&json!({"name": "from-serve", "type": "affinity", "level": "rack"}))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}: {rest:?}");
        assert!(
            rest.iter().any(|l| l.contains("server stopped")),
            "{rest:?}"
        );
    };
    run(false);
    run(true);
}

#[test]
fn serve_reports_a_port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
}
