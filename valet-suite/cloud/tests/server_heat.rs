//! Heat and Nova over HTTP: stacks through their status progression, templates refused with
//! Heat's 400, servers placed by Valet and shown by Nova, plans following the stack.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};
use valet_cloud::{HeatOptions, ServerOptions, start};

use crate::common::http::{Resp, client, get, server_hosts, token};

struct Cloud {
    c: Client,
    tok: String,
    heat: String,
    nova: String,
    valet: String,
}

fn cloud(server: &valet_cloud::ServerHandle) -> Cloud {
    let c = client();
    let (tok, project) = token(&c, &server.identity_url());
    let base = server.base_url();
    Cloud {
        heat: format!("{base}/orchestration/v1/{project}"),
        nova: format!("{base}/compute/v2.1"),
        valet: server.valet_url(),
        c,
        tok,
    }
}

impl Cloud {
    fn group(&self, name: &str, kind: &str, level: &str, project: &str) {
        let r = Resp::send(
            self.c
                .post(format!("{}/groups", self.valet))
                .header("X-Auth-Token", &self.tok)
                .json(&json!({"name": name, "type": kind, "level": level, "description": "d"})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = Resp::send(
            self.c
                .put(format!("{}/groups/{id}/members", self.valet))
                .header("X-Auth-Token", &self.tok)
                .json(&json!({"members": [project]})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }

    fn create(&self, name: &str, template: &str, files: Value) -> Resp {
        Resp::send(
            self.c
                .post(format!("{}/stacks", self.heat))
                .header("X-Auth-Token", &self.tok)
                .json(
                    &json!({"stack_name": name, "template": template, "files": files,
                              "environment": {"parameters": {"flavor": "m1.tiny"}}}),
                ),
        )
    }

    /// Polls the stack until its status is no longer `*_IN_PROGRESS`; the statuses seen.
    fn wait(&self, name: &str, id: &str) -> (Vec<String>, Value) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        loop {
            let (status, body) = get(
                &self.c,
                &format!("{}/stacks/{name}/{id}", self.heat),
                &self.tok,
            );
            assert_eq!(status, 200, "{body}");
            let s = body["stack"]["stack_status"].as_str().unwrap().to_string();
            if seen.last() != Some(&s) {
                seen.push(s.clone());
            }
            if !s.ends_with("_IN_PROGRESS") {
                return (seen, body["stack"].clone());
            }
            assert!(Instant::now() < deadline, "stack {name} stuck in {s}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn hosts(&self) -> HashMap<String, String> {
        server_hosts(&self.c, &self.nova, &self.tok)
            .into_iter()
            .collect()
    }
}

const TEMPLATE: &str = r#"
heat_template_version: 2015-04-30
parameters:
  flavor: {type: string, default: m1.small}
  count: {type: number, default: 2}
resources:
  net: {type: OS::Neutron::Net}
  port:
    type: OS::Neutron::Port
    properties: {network: {get_resource: net}}
  a:
    type: OS::Nova::Server
    depends_on: port
    properties:
      name: srv-a
      image: TestVM
      flavor: {get_param: flavor}
      networks: [{port: {get_resource: port}}]
      metadata: {valet: {groups: [apart]}}
  b:
    type: OS::Nova::Server
    # Heat's hints at the top level name no Valet group: real Valet ignores them.
    metadata: {valet: {groups: [nowhere]}}
    properties:
      name: srv-b
      image: TestVM
      flavor: {get_param: flavor}
      metadata: {valet: {groups: [apart]}}
  pair:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: inner.yaml
        properties: {index: "%index%"}
"#;

const INNER: &str = r#"
heat_template_version: 2015-04-30
parameters:
  index: {type: string}
resources:
  s:
    type: OS::Nova::Server
    properties:
      name: {get_param: index}
      image: TestVM
      flavor: m1.tiny
      metadata: {valet: {groups: [together]}}
"#;

#[test]
fn a_stack_is_placed_by_valet_shown_by_nova_updated_and_deleted_with_its_plans() {
    // Long enough for the first poll to see the action in progress, even on a loaded machine.
    let server = start(ServerOptions {
        heat: HeatOptions {
            action_time: Duration::from_secs(1),
            ..HeatOptions::default()
        },
        ..ServerOptions::default()
    })
    .unwrap();
    let cl = cloud(&server);
    let (_, tok_body) = crate::common::http::admin_token(&cl.c, &server.identity_url());
    let types: Vec<&str> = tok_body["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"orchestration") && types.contains(&"compute"),
        "{types:?}"
    );
    let project = tok_body["token"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cl.group("apart", "diversity", "rack", &project);
    cl.group("together", "affinity", "host", &project);

    let files = json!({"file:///t/inner.yaml": INNER});
    let r = cl.create("st", TEMPLATE, files.clone());
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["stack"]["id"].as_str().unwrap().to_string();
    // By name: Heat redirects to name/id.
    let r = Resp::send(
        cl.c.get(format!("{}/stacks/st", cl.heat))
            .header("X-Auth-Token", &cl.tok),
    );
    assert_eq!(r.status, 200, "redirect followed: {}", r.text);
    let (seen, stack) = cl.wait("st", &id);
    assert_eq!(seen, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], "{stack}");
    let hosts = cl.hosts();
    let rack = |h: &str| h[..h.find('c').unwrap()].to_string();
    assert_ne!(rack(&hosts["srv-a"]), rack(&hosts["srv-b"]), "{hosts:?}");
    assert_eq!(hosts["0"], hosts["1"], "{hosts:?}");
    // Nova shows the metadata as Heat gave it: nested values serialised as JSON.
    let (_, detail) = get(&cl.c, &format!("{}/servers/detail", cl.nova), &cl.tok);
    let a = detail["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "srv-a")
        .unwrap();
    assert_eq!(a["metadata"]["valet"], json!("{\"groups\":[\"apart\"]}"));
    assert_eq!(a["status"], "ACTIVE");
    assert_eq!(a["OS-EXT-AZ:availability_zone"], "nova");
    // One plan per level with servers: the top level and each member of the group.
    let (_, plans) = get(&cl.c, &format!("{}/plans", cl.valet), &cl.tok);
    assert_eq!(plans["plans"].as_array().unwrap().len(), 3, "{plans}");

    // An update that adds a member: placed by the rules too.
    let r = Resp::send(
        cl.c.put(format!("{}/stacks/st/{id}", cl.heat))
            .header("X-Auth-Token", &cl.tok)
            .json(&json!({"template": TEMPLATE, "files": files,
                          "parameters": {"count": 3}})),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let (seen, stack) = cl.wait("st", &id);
    assert_eq!(seen.last().unwrap(), "UPDATE_COMPLETE", "{stack}");
    let hosts = cl.hosts();
    assert_eq!(hosts.len(), 5);
    assert_eq!(hosts["2"], hosts["0"]);

    let r = Resp::send(
        cl.c.delete(format!("{}/stacks/st/{id}", cl.heat))
            .header("X-Auth-Token", &cl.tok),
    );
    assert_eq!(r.status, 204);
    let (seen, _) = cl.wait("st", &id);
    assert_eq!(seen.last().unwrap(), "DELETE_COMPLETE");
    assert!(cl.hosts().is_empty());
    let (_, plans) = get(&cl.c, &format!("{}/plans", cl.valet), &cl.tok);
    assert_eq!(plans["plans"], json!([]));
    let (_, list) = get(&cl.c, &format!("{}/stacks", cl.heat), &cl.tok);
    assert_eq!(list["stacks"], json!([]));
}

#[test]
fn templates_outside_the_subset_cycles_and_unknown_references_are_heats_400() {
    let server = start(ServerOptions::default()).unwrap();
    let cl = cloud(&server);
    for (template, says) in [
        (
            "heat_template_version: 2015-04-30\nresources:\n  x: {type: OS::Cinder::Volume}\n",
            "The Resource Type (OS::Cinder::Volume) could not be found.",
        ),
        (
            "heat_template_version: 2015-04-30\nresources:\n  x: {type: OS::Neutron::Net, depends_on: y}\n  y: {type: OS::Neutron::Net, depends_on: x}\n",
            "Circular Dependency Found",
        ),
        (
            "heat_template_version: 2015-04-30\nresources:\n  x: {type: OS::Neutron::Port, properties: {network: {get_resource: z}}}\n",
            "The specified reference \"z\" (in x) is incorrect.",
        ),
        (
            "heat_template_version: 2015-04-30\nresources:\n  x: {type: gone.yaml}\n",
            "The Resource Type (gone.yaml) could not be found.",
        ),
    ] {
        let r = cl.create("bad", template, json!({}));
        assert_eq!(r.status, 400, "{}", r.text);
        let body = r.json();
        assert_eq!(body["code"], 400);
        assert_eq!(body["title"], "Bad Request");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(says), "{msg}");
    }
    let (_, list) = get(&cl.c, &format!("{}/stacks", cl.heat), &cl.tok);
    assert_eq!(list["stacks"], json!([]));
    let (status, body) = get(&cl.c, &format!("{}/stacks/none/123", cl.heat), &cl.tok);
    assert_eq!(
        (status, body["error"]["type"].clone()),
        (404, json!("EntityNotFound"))
    );
}

#[test]
fn an_impossible_stack_ends_create_failed_with_valets_reason_and_nova_groups_are_honoured() {
    let server = start(ServerOptions {
        inventory: valet_cloud::Inventory::grid(1, 2, 16, 32_768, 500),
        ..ServerOptions::default()
    })
    .unwrap();
    let cl = cloud(&server);
    let (_, tb) = crate::common::http::admin_token(&cl.c, &server.identity_url());
    let project = tb["token"]["project"]["id"].as_str().unwrap().to_string();
    cl.group("three-apart", "diversity", "host", &project);
    let server_def = |n: &str, extra: &str| {
        format!(
            "  {n}:\n    type: OS::Nova::Server\n    properties: {{name: {n}, image: TestVM, flavor: m1.tiny{extra}}}\n"
        )
    };
    let mut t = String::from("heat_template_version: 2015-04-30\nresources:\n");
    for n in ["x", "y", "z"] {
        t.push_str(&server_def(
            n,
            ", metadata: {valet: {groups: [three-apart]}}",
        ));
    }
    let r = cl.create("impossible", &t, json!({}));
    assert_eq!(r.status, 201);
    let id = r.json()["stack"]["id"].as_str().unwrap().to_string();
    let (_, stack) = cl.wait("impossible", &id);
    assert_eq!(stack["stack_status"], "CREATE_FAILED");
    let reason = stack["stack_status_reason"].as_str().unwrap();
    assert!(reason.contains("Ostro error"), "{reason}");

    // Nova's anti-affinity server group, with no Valet group: two servers on two hosts.
    let mut t = String::from(
        "heat_template_version: 2015-04-30\nresources:\n  sg: {type: OS::Nova::ServerGroup, properties: {policies: [anti-affinity]}}\n",
    );
    for n in ["p", "q"] {
        t.push_str(&server_def(
            n,
            ", scheduler_hints: {group: {get_resource: sg}}",
        ));
    }
    let r = cl.create("nova-group", &t, json!({}));
    let id = r.json()["stack"]["id"].as_str().unwrap().to_string();
    let (_, stack) = cl.wait("nova-group", &id);
    assert_eq!(stack["stack_status"], "CREATE_COMPLETE", "{stack}");
    let hosts = cl.hosts();
    let set: HashSet<&String> = [&hosts["p"], &hosts["q"]].into_iter().collect();
    assert_eq!(set.len(), 2, "{hosts:?}");
}

#[test]
fn the_test_only_misplacement_builds_a_server_off_its_reserved_host() {
    let server = start(ServerOptions {
        heat: HeatOptions {
            misplace: Some("off".into()),
            ..HeatOptions::default()
        },
        ..ServerOptions::default()
    })
    .unwrap();
    let cl = cloud(&server);
    let t = "heat_template_version: 2015-04-30\nresources:\n  s: {type: OS::Nova::Server, properties: {name: off-1, image: TestVM, flavor: m1.tiny}}\n";
    let r = cl.create("m", t, json!({}));
    let id = r.json()["stack"]["id"].as_str().unwrap().to_string();
    cl.wait("m", &id);
    let (_, placements) = get(&cl.c, &format!("{}/placements", cl.valet), &cl.tok);
    let reserved = placements["placements"][0]["location"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(cl.hosts()["off-1"], reserved);
}
