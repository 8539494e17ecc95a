//! Real OpenStack clients drive the cloud: python-openstackclient with python-heatclient
//! (pinned, installed by the test harness) create a stack whose servers are in affinity,
//! diversity and exclusivity groups at host and rack level, wait for it, and `openstack server
//! show` gives hosts that honour every group; an impossible stack ends `CREATE_FAILED` with
//! Valet's reason; `openstack stack delete` removes its plans.

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use subunit_samples::python::openstack_env;
use valet_cloud::{ServerHandle, ServerOptions, start};

use crate::common::http::{Resp, client, get, token};

/// `openstack ARGS` against `server`, as the admin, in `dir`.
fn openstack(server: &ServerHandle, dir: &Path, args: &[&str]) -> Output {
    openstack_env()
        .tool_command("openstack")
        .args(args)
        .current_dir(dir)
        .env("OS_AUTH_URL", server.identity_url())
        .env("OS_USERNAME", "admin")
        .env("OS_PASSWORD", "admin")
        .env("OS_PROJECT_NAME", "admin")
        .env("OS_USER_DOMAIN_NAME", "Default")
        .env("OS_PROJECT_DOMAIN_NAME", "Default")
        .env("OS_IDENTITY_API_VERSION", "3")
        .env("OS_REGION_NAME", "RegionOne")
        .env_remove("OS_CLOUD")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "openstack failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `openstack stack show NAME -f json`, polled until the stack's action is no longer in
/// progress.
fn wait(server: &ServerHandle, dir: &Path, name: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = ok(&openstack(
            server,
            dir,
            &["stack", "show", name, "-f", "json"],
        ));
        let v: Value = serde_json::from_str(&out).unwrap();
        let status = v["stack_status"].as_str().unwrap().to_string();
        if !status.ends_with("_IN_PROGRESS") {
            return v;
        }
        assert!(Instant::now() < deadline, "{name} stuck in {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const TOP: &str = r#"
heat_template_version: 2015-04-30
parameters:
  aff_host: {type: string}
  div_rack: {type: string}
  excl_host: {type: string}
  aff_rack: {type: string}
  div_host: {type: string}
  excl_rack: {type: string}
resources:
  a1:
    type: OS::Nova::Server
    properties:
      name: a1
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [{get_param: aff_host}, {get_param: div_rack}]}}
  a2:
    type: OS::Nova::Server
    properties:
      name: a2
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [{get_param: aff_host}]}}
  d1:
    type: OS::Nova::Server
    properties:
      name: d1
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [{get_param: div_rack}]}}
  d2:
    type: OS::Nova::Server
    properties:
      name: d2
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [{get_param: div_rack}]}}
  pair:
    type: pair.yaml
    properties:
      groups: [{get_param: excl_host}, {get_param: aff_rack}, {get_param: div_host}]
  x1:
    type: OS::Nova::Server
    properties:
      name: x1
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [{get_param: excl_rack}]}}
"#;

const PAIR: &str = r#"
heat_template_version: 2015-04-30
parameters:
  groups: {type: json}
resources:
  e1:
    type: OS::Nova::Server
    properties:
      name: e1
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: {get_param: groups}}}
  e2:
    type: OS::Nova::Server
    properties:
      name: e2
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: {get_param: groups}}}
"#;

#[test]
fn openstackclient_creates_a_stack_placed_by_every_group_and_deletes_its_plans() {
    let server = start(ServerOptions::default()).unwrap();
    let c = client();
    let (tok, project) = token(&c, &server.identity_url());
    let valet = server.valet_url();
    // The groups, with the admin project a member.
    let groups = [
        ("aff_host", "affinity", "host", vec!["a1", "a2"]),
        ("div_rack", "diversity", "rack", vec!["a1", "d1", "d2"]),
        ("excl_host", "exclusivity", "host", vec!["e1", "e2"]),
        ("aff_rack", "affinity", "rack", vec!["e1", "e2"]),
        ("div_host", "diversity", "host", vec!["e1", "e2"]),
        ("excl_rack", "exclusivity", "rack", vec!["x1"]),
    ];
    let mut env = String::from("parameters:\n");
    for (param, kind, level, _) in &groups {
        let name = format!("osc-{param}").replace('_', "-");
        let r = Resp::send(
            c.post(format!("{valet}/groups"))
                .header("X-Auth-Token", &tok)
                .json(&json!({"name": name, "type": kind, "level": level, "description": "osc"})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = Resp::send(
            c.put(format!("{valet}/groups/{id}/members"))
                .header("X-Auth-Token", &tok)
                .json(&json!({"members": [project]})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        env.push_str(&format!("  {param}: {name}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("top.yaml"), TOP).unwrap();
    std::fs::write(dir.path().join("pair.yaml"), PAIR).unwrap();
    std::fs::write(dir.path().join("groups.env"), env).unwrap();
    // `--wait` follows the stack's events until it completes.
    let args = "stack create --wait -t top.yaml -e groups.env placed";
    let args: Vec<&str> = args.split(' ').collect();
    let out = ok(&openstack(&server, dir.path(), &args));
    assert!(out.contains("[placed]: CREATE_COMPLETE"), "{out}");
    let stack = wait(&server, dir.path(), "placed");
    assert_eq!(stack["stack_status"], "CREATE_COMPLETE", "{stack}");

    // Hosts as `openstack server show` gives them; racks from Nova's aggregates.
    let mut hosts: HashMap<&str, String> = HashMap::new();
    for s in ["a1", "a2", "d1", "d2", "e1", "e2", "x1"] {
        let out = ok(&openstack(
            &server,
            dir.path(),
            &["server", "show", s, "-f", "json"],
        ));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["status"], "ACTIVE");
        hosts.insert(s, v["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string());
    }
    let (_, aggs) = get(
        &c,
        &format!("{}/compute/v2.1/os-aggregates", server.base_url()),
        &tok,
    );
    let mut rack_of: HashMap<String, String> = HashMap::new();
    for a in aggs["aggregates"].as_array().unwrap() {
        for h in a["hosts"].as_array().unwrap() {
            rack_of.insert(
                h.as_str().unwrap().into(),
                a["metadata"]["rack"].as_str().unwrap().into(),
            );
        }
    }
    let unit = |s: &str, level: &str| {
        if level == "rack" {
            rack_of[&hosts[s]].clone()
        } else {
            hosts[s].clone()
        }
    };
    for (param, kind, level, members) in &groups {
        let units: Vec<String> = members.iter().map(|m| unit(m, level)).collect();
        let distinct: std::collections::HashSet<&String> = units.iter().collect();
        match *kind {
            "affinity" => assert_eq!(distinct.len(), 1, "{param}: {hosts:?}"),
            "diversity" => assert_eq!(distinct.len(), members.len(), "{param}: {hosts:?}"),
            _ => {
                for (other, _) in hosts.iter().filter(|(o, _)| !members.contains(o)) {
                    assert!(
                        !distinct.contains(&unit(other, level)),
                        "{param}: {other} shares a {level} with a member: {hosts:?}"
                    );
                }
            }
        }
    }

    // An impossible stack: three servers of 8 vCPUs on one 16-vCPU host.
    let r = Resp::send(
        c.post(format!("{valet}/groups"))
            .header("X-Auth-Token", &tok)
            .json(&json!({"name": "osc-too-tight", "type": "affinity", "level": "host"})),
    );
    let id = r.json()["id"].as_str().unwrap().to_string();
    Resp::send(
        c.put(format!("{valet}/groups/{id}/members"))
            .header("X-Auth-Token", &tok)
            .json(&json!({"members": [project]})),
    );
    let mut big = String::from("heat_template_version: 2015-04-30\nresources:\n");
    for n in ["b1", "b2", "b3"] {
        big.push_str(&format!(
            "  {n}:\n    type: OS::Nova::Server\n    properties:\n      name: {n}\n      image: TestVM\n      flavor: m1.xlarge\n      metadata: {{valet: {{groups: [osc-too-tight]}}}}\n"
        ));
    }
    std::fs::write(dir.path().join("big.yaml"), big).unwrap();
    ok(&openstack(
        &server,
        dir.path(),
        &["stack", "create", "-t", "big.yaml", "impossible"],
    ));
    let stack = wait(&server, dir.path(), "impossible");
    assert_eq!(stack["stack_status"], "CREATE_FAILED", "{stack}");
    let reason = stack["stack_status_reason"].as_str().unwrap();
    assert!(reason.contains("Ostro error"), "{reason}");

    // `openstack stack delete` removes the stack's plans (one per level with servers).
    let id = stack_id(&server, dir.path(), "placed");
    let (status, _) = get(&c, &format!("{valet}/plans/{id}"), &tok);
    assert_eq!(status, 200);
    ok(&openstack(
        &server,
        dir.path(),
        &["stack", "delete", "--yes", "--wait", "placed"],
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while ok(&openstack(
        &server,
        dir.path(),
        &["stack", "list", "-f", "value", "-c", "Stack Name"],
    ))
    .lines()
    .any(|l| l == "placed")
    {
        assert!(Instant::now() < deadline, "placed not deleted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _) = get(&c, &format!("{valet}/plans/{id}"), &tok);
    assert_eq!(status, 404);
    let (_, plans) = get(&c, &format!("{valet}/plans"), &tok);
    assert_eq!(
        plans["plans"],
        json!([]),
        "the nested stack's plan went too"
    );
    let out = ok(&openstack(
        &server,
        dir.path(),
        &["server", "list", "-f", "value", "-c", "Name"],
    ));
    assert!(
        !out.lines().any(|l| ["a1", "e1", "x1"].contains(&l)),
        "{out}"
    );
}

fn stack_id(server: &ServerHandle, dir: &Path, name: &str) -> String {
    let out = ok(&openstack(
        server,
        dir,
        &["stack", "show", name, "-f", "value", "-c", "id"],
    ));
    out.trim().to_string()
}
