//! Conformance of the embedded server's Valet v1 API (reference section 2), through real HTTP
//! on 127.0.0.1:0 with a blocking client on the test thread: every endpoint, code, body and
//! header, and the choices documented in SERVER.md.

use std::collections::HashSet;

use crate::common::http::{Resp, admin_token, client};
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use valet_cloud::{Inventory, ServerHandle, ServerOptions, start};

struct Valet {
    server: ServerHandle,
    client: Client,
    token: String,
    /// The admin token's project: the tenant of the plans it makes.
    tenant: String,
    valet: String,
}

impl Valet {
    fn new() -> Valet {
        Valet::with(ServerOptions::default())
    }
    fn with(opts: ServerOptions) -> Valet {
        let server = start(opts).expect("server starts");
        let client = client();
        let (token, body) = admin_token(&client, &server.identity_url());
        // The Valet endpoint, read from the catalog as a client must.
        let valet = body["token"]["catalog"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["type"] == "placement")
            .and_then(|s| {
                s["endpoints"]
                    .as_array()?
                    .iter()
                    .find(|e| e["interface"] == "public")
            })
            .and_then(|e| e["url"].as_str())
            .unwrap()
            .to_string();
        let tenant = body["token"]["project"]["id"].as_str().unwrap().to_string();
        Valet {
            server,
            client,
            token,
            tenant,
            valet,
        }
    }
    fn raw(&self, method: Method, url: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut rb = self.client.request(method, url);
        if let Some(t) = token {
            rb = rb.header("X-Auth-Token", t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Resp::send(rb)
    }
    fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.raw(
            method,
            &format!("{}{path}", self.valet),
            Some(&self.token),
            body,
        )
    }
    fn keystone(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.raw(
            method,
            &format!("{}{path}", self.server.identity_url()),
            Some(&self.token),
            body,
        )
    }
    fn project(&self, name: &str) -> String {
        let r = self.keystone(
            Method::POST,
            "/projects",
            Some(json!({"project": {"name": name}})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["project"]["id"].as_str().unwrap().to_string()
    }
    fn group(&self, name: &str, kind: &str, level: &str) -> Value {
        let r = self.call(
            Method::POST,
            "/groups",
            Some(json!({"name": name, "type": kind, "level": level, "description": "d"})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }
    fn add_members(&self, group: &str, members: &[&str]) -> Resp {
        self.call(
            Method::PUT,
            &format!("/groups/{group}/members"),
            Some(json!({"members": members})),
        )
    }
}

/// Valet's error body, with its code and webob type.
fn assert_valet_error(r: &Resp, code: u16, ty: &str, explanation: &str) {
    assert_eq!(r.status, code, "{}", r.text);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.json();
    assert_eq!(v["code"], code);
    assert_eq!(v["error"]["type"], ty);
    assert!(v["error"]["traceback"].is_null());
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
    let got = v["explanation"].as_str().unwrap();
    assert!(
        got.contains(explanation),
        "explanation {got:?} lacks {explanation:?}"
    );
}

fn server(name: &str, flavor: &str) -> Value {
    json!({"name": name, "type": "OS::Nova::Server",
           "properties": {"flavor": flavor, "image": "ubuntu_1204",
                          "networks": [{"network": "demo-net"}]}})
}

#[test]
fn root_needs_no_auth_and_v1_lists_endpoints() {
    let v = Valet::new();
    let root = v.valet.trim_end_matches("/v1");
    let r = v.raw(Method::GET, root, None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["versions"][0]["id"], "v1.0");
    assert_eq!(
        r.json()["versions"][0]["links"][0]["href"],
        format!("{}/", v.valet)
    );
    let r = v.raw(Method::OPTIONS, root, None, None);
    assert_eq!((r.status, r.header("allow")), (204, Some("GET")));
    let r = v.raw(Method::POST, root, None, None);
    assert_valet_error(
        &r,
        405,
        "HTTPMethodNotAllowed",
        "The POST method is not allowed.",
    );
    let r = v.call(Method::GET, "", None);
    let hrefs: Vec<String> = r.json()["versions"][0]["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["href"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = ["groups", "placements", "plans", "status"]
        .iter()
        .map(|e| format!("{}/{e}/", v.valet))
        .collect();
    assert_eq!(hrefs, want);
}

#[test]
fn v1_is_401_plain_text_without_a_valid_admin_token() {
    let v = Valet::new();
    let groups = format!("{}/groups", v.valet);
    for token in [None, Some("not-a-token")] {
        let r = v.raw(Method::GET, &groups, token, None);
        assert_eq!(r.status, 401);
        assert!(r.header("content-type").unwrap().starts_with("text/plain"));
        assert_eq!(r.text, "Authentication required");
    }
    // Unknown paths and OPTIONS under /v1 are behind the same check.
    assert_eq!(
        v.raw(Method::GET, &format!("{}/nowhere", v.valet), None, None)
            .status,
        401
    );
    assert_eq!(v.raw(Method::OPTIONS, &groups, None, None).status, 401);
    // A valid token without the admin role is refused the same way.
    let pid = v.project("plain");
    let r = v.keystone(
        Method::POST,
        "/users",
        Some(json!({"user": {"name": "plain", "password": "pw"}})),
    );
    let uid = r.json()["user"]["id"].as_str().unwrap().to_string();
    let r = v.keystone(Method::GET, "/roles?name=member", None);
    let member = r.json()["roles"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        v.keystone(
            Method::PUT,
            &format!("/projects/{pid}/users/{uid}/roles/{member}"),
            None
        )
        .status,
        204
    );
    let r = v.raw(
        Method::POST,
        &format!("{}/auth/tokens", v.server.identity_url()),
        None,
        Some(
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "plain", "domain": {"id": "default"}, "password": "pw"}}},
            "scope": {"project": {"id": pid}}}}),
        ),
    );
    let plain = r.header("x-subject-token").unwrap().to_string();
    let r = v.raw(Method::GET, &groups, Some(&plain), None);
    assert_eq!(
        (r.status, r.text.as_str()),
        (401, "Authentication required")
    );
}

#[test]
fn groups_create_list_show_update_delete() {
    let v = Valet::new();
    let g = v.group("group-1", "exclusivity", "host");
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a hyphenated uuid4");
    assert_eq!(g["name"], "group-1");
    assert_eq!(g["type"], "exclusivity");
    assert_eq!(g["level"], "host");
    assert_eq!(g["description"], "d");
    assert_eq!(g["members"], json!([]));
    // Description is optional and defaults to "".
    let r = v.call(
        Method::POST,
        "/groups",
        Some(json!({"name": "group-2", "type": "affinity", "level": "rack"})),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["description"], "");

    let r = v.call(Method::GET, "/groups", None);
    assert_eq!(r.status, 200);
    let ids: Vec<String> = r.json()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&id));

    // Show by id, then by name; wrapped in {"group": ...}.
    for key in [id.as_str(), "group-1"] {
        let r = v.call(Method::GET, &format!("/groups/{key}"), None);
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["group"]["id"], id.as_str());
        for k in ["id", "name", "type", "description", "members", "level"] {
            assert!(r.json()["group"].get(k).is_some(), "{k}");
        }
    }
    let r = v.call(Method::GET, "/groups/no-such-group", None);
    assert_valet_error(&r, 404, "HTTPNotFound", "Group not found");

    // Update: 201 with the bare group; only the description may change.
    let r = v.call(
        Method::PUT,
        &format!("/groups/{id}"),
        Some(json!({"description": "new"})),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["description"], "new");
    assert_eq!(r.json()["id"], id.as_str());
    let r = v.call(
        Method::PUT,
        &format!("/groups/{id}"),
        Some(json!({"name": "renamed"})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "name");

    // Delete: 204, then it is gone from the list and 404.
    let r = v.call(Method::DELETE, &format!("/groups/{id}"), None);
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = v.call(Method::GET, "/groups", None);
    assert!(!r.text.contains(&id));
    assert_eq!(
        v.call(Method::DELETE, &format!("/groups/{id}"), None)
            .status,
        404
    );
}

#[test]
fn group_validation() {
    let v = Valet::new();
    v.group("dup", "diversity", "host");
    let r = v.call(
        Method::POST,
        "/groups",
        Some(json!({"name": "dup", "type": "diversity", "level": "host"})),
    );
    assert_valet_error(
        &r,
        400,
        "HTTPBadRequest",
        "A group named dup already exists",
    );
    let cases = [
        (
            json!({"name": "gro up", "type": "exclusivity", "level": "host"}),
            "name",
        ),
        (json!({"name": "g1", "type": "exclusivity"}), "level"),
        (json!({"type": "exclusivity", "level": "host"}), "name"),
        (
            json!({"name": "g1", "type": "friendship", "level": "host"}),
            "type",
        ),
        (
            json!({"name": "g1", "type": "affinity", "level": "zone"}),
            "level",
        ),
        (
            json!({"name": "g1", "type": "affinity", "level": "host", "extra": 1}),
            "extra",
        ),
        (
            json!({"name": 7, "type": "affinity", "level": "host"}),
            "name",
        ),
        (json!(["not", "an", "object"]), "object"),
    ];
    for (body, word) in cases {
        let r = v.call(Method::POST, "/groups", Some(body.clone()));
        assert_valet_error(&r, 400, "HTTPBadRequest", word);
    }
    let r = v.raw(
        Method::POST,
        &format!("{}/groups", v.valet),
        Some(&v.token),
        None,
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "JSON");
}

#[test]
fn members_union_verify_delete() {
    let v = Valet::new();
    let g = v.group("members-1", "exclusivity", "host");
    let id = g["id"].as_str().unwrap();
    let tenants: Vec<String> = (0..4).map(|i| v.project(&format!("tenant-{i}"))).collect();
    let r = v.add_members(id, &[&tenants[0]]);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["members"], json!([tenants[0]]));
    assert_eq!(r.json()["id"], id);
    for k in ["description", "type", "name"] {
        assert!(r.json().get(k).is_some());
    }
    // Union, order-insensitive, no duplicates.
    let all: Vec<&str> = tenants.iter().map(String::as_str).collect();
    let r = v.add_members(id, &all);
    assert_eq!(r.status, 201);
    let got: HashSet<String> = r.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, tenants.iter().cloned().collect());
    assert_eq!(r.json()["members"].as_array().unwrap().len(), 4);

    // Invalid tenants: 409, also when mixed with a valid one (we check every id).
    let r = v.add_members(id, &["not-a-project"]);
    assert_valet_error(
        &r,
        409,
        "HTTPConflict",
        "Member list contains invalid tenant IDs",
    );
    let r = v.add_members(id, &[&tenants[0], "not-a-project"]);
    assert_valet_error(
        &r,
        409,
        "HTTPConflict",
        "Member list contains invalid tenant IDs",
    );
    let r = v.add_members(id, &[]);
    assert_eq!(r.status, 409);
    let r = v.call(
        Method::PUT,
        &format!("/groups/{id}/members"),
        Some(json!({})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "members");
    assert_eq!(
        v.call(Method::GET, &format!("/groups/{id}"), None).json()["group"]["members"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // Verify membership: 204 empty, or 404.
    let r = v.call(
        Method::GET,
        &format!("/groups/{id}/members/{}", tenants[1]),
        None,
    );
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = v.call(Method::GET, &format!("/groups/{id}/members/stranger"), None);
    assert_valet_error(&r, 404, "HTTPNotFound", "Member not found in group");

    // A group with members cannot be deleted.
    let r = v.call(Method::DELETE, &format!("/groups/{id}"), None);
    assert_valet_error(
        &r,
        409,
        "HTTPConflict",
        "Unable to delete a Group with members.",
    );

    // Delete one member, then all.
    let r = v.call(
        Method::DELETE,
        &format!("/groups/{id}/members/{}", tenants[2]),
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        v.call(
            Method::GET,
            &format!("/groups/{id}/members/{}", tenants[2]),
            None
        )
        .status,
        404
    );
    let r = v.call(Method::DELETE, &format!("/groups/{id}/members"), None);
    assert_eq!(r.status, 204);
    assert_eq!(
        v.call(Method::GET, &format!("/groups/{id}"), None).json()["group"]["members"],
        json!([])
    );
    assert_eq!(
        v.call(Method::DELETE, &format!("/groups/{id}"), None)
            .status,
        204
    );
}

#[test]
fn options_and_405_on_every_controller() {
    let v = Valet::new();
    let g = v.group("opts", "exclusivity", "host");
    let gid = g["id"].as_str().unwrap().to_string();
    v.add_members(&gid, &[&v.tenant]);
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "p", "stack_id": "s1", "resources": {"r1": server("vm", "m1.tiny")}})));
    assert_eq!(r.status, 201);
    let plan = r.json()["plan"]["id"].as_str().unwrap().to_string();
    let placement = v.call(Method::GET, "/placements", None).json()["placements"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cases = [
        ("/groups".to_string(), "GET,POST", Method::DELETE),
        (format!("/groups/{gid}"), "GET,PUT,DELETE", Method::POST),
        (format!("/groups/{gid}/members"), "PUT,DELETE", Method::GET),
        (
            format!("/groups/{gid}/members/{}", v.tenant),
            "GET,DELETE",
            Method::PUT,
        ),
        ("/plans".to_string(), "GET,POST", Method::PUT),
        (format!("/plans/{plan}"), "GET,PUT,DELETE", Method::POST),
        ("/placements".to_string(), "GET", Method::POST),
        (
            format!("/placements/{placement}"),
            "GET,POST,DELETE",
            Method::PUT,
        ),
        ("/status".to_string(), "HEAD,GET", Method::POST),
        ("/resources".to_string(), "GET", Method::DELETE),
    ];
    for (path, allow, wrong) in cases {
        let r = v.call(Method::OPTIONS, &path, None);
        assert_eq!(
            (r.status, r.header("allow")),
            (204, Some(allow)),
            "OPTIONS {path}"
        );
        let r = v.call(wrong.clone(), &path, None);
        assert_valet_error(
            &r,
            405,
            "HTTPMethodNotAllowed",
            &format!("The {wrong} method is not allowed."),
        );
        assert_eq!(r.header("allow"), Some(allow), "{wrong} {path}");
    }
    let r = v.call(Method::GET, "/nowhere", None);
    assert_valet_error(&r, 404, "HTTPNotFound", "The resource could not be found.");
    // Trailing slashes route as pecan routes them.
    assert_eq!(v.call(Method::GET, "/groups/", None).status, 200);
}

#[test]
fn status_and_resources() {
    let v = Valet::new();
    let r = v.call(Method::GET, "/status", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"]["ostro"]["status"]["type"], "ok");
    assert_eq!(r.json()["status"]["ostro"]["resources"]["hosts"], 16);
    let r = v.call(Method::HEAD, "/status", None);
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = v.call(Method::GET, "/resources", None);
    assert_eq!((r.status, r.json()), (200, json!({"resources": {}})));
}

#[test]
fn plans_create_show_migrate_update_delete() {
    let v = Valet::new();
    let stack = "7c3a5c1e-0000-4000-8000-000000000001";
    let rid = "a1b2c3d4-0000-4000-8000-000000000001";
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": stack, "stack_id": stack, "resources": {rid: server("resource-1", "m1.small")}})));
    assert_eq!(r.status, 201, "{}", r.text);
    let plan = r.json()["plan"].clone();
    assert_eq!(plan["stack_id"], stack);
    assert_eq!(plan["name"], stack);
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let location = plan["placements"][rid]["location"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("Region1r"));
    assert_eq!(plan["placements"][rid]["name"], "resource-1");

    // Lookup by id then by stack id; the list.
    for key in [plan_id.as_str(), stack] {
        let r = v.call(Method::GET, &format!("/plans/{key}"), None);
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["plan"]["id"], plan_id.as_str());
    }
    assert_eq!(
        v.call(Method::GET, "/plans", None).json()["plans"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_valet_error(
        &v.call(Method::GET, "/plans/nope", None),
        404,
        "HTTPNotFound",
        "Plan not found",
    );

    // A second plan for the same stack is refused.
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "again", "stack_id": stack, "resources": {"x": server("x", "m1.tiny")}})));
    assert_valet_error(&r, 409, "HTTPConflict", "already exists");

    // Migrate away from the current host.
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "migrate", "excluded_hosts": [location], "resources": [rid]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let moved = r.json()["plan"]["placements"][rid]["location"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(moved, location);
    assert!(r.json()["plan"].get("id").is_some());
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "migrate", "resources": [rid, rid]})),
    );
    assert_valet_error(
        &r,
        400,
        "HTTPBadRequest",
        "resources must be a list of length 1.",
    );
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "migrate", "resources": ["unknown"]})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "unknown");
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "explode", "resources": []})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "action");
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"resources": []})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "action");
    // Excluding every host is impossible.
    let every: Vec<String> = Inventory::default()
        .hosts
        .into_iter()
        .map(|h| h.name)
        .collect();
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "migrate", "excluded_hosts": every, "resources": [rid]})),
    );
    assert_valet_error(&r, 409, "HTTPConflict", "Ostro error");

    // Update: a new resource set; the kept server stays, the new one is placed.
    let r = v.call(Method::PUT, &format!("/plans/{plan_id}"), Some(json!({"action": "update", "plan_name": "renamed", "resources": {rid: server("resource-1", "m1.small"), "r2": server("resource-2", "m1.large")}})));
    assert_eq!(r.status, 201, "{}", r.text);
    let p = r.json()["plan"].clone();
    assert_eq!(p["name"], "renamed");
    assert_eq!(p["placements"][rid]["location"], moved.as_str());
    assert!(p["placements"]["r2"]["location"].is_string());
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "update", "resources": ["r2"]})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "resources must be a dictionary.");
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "update", "resources": {"r2": server("resource-2", "m1.large")}})),
    );
    assert_eq!(r.status, 201);
    assert!(r.json()["plan"]["placements"].get(rid).is_none());

    // Delete: 204, placements gone, 404 after.
    let r = v.call(Method::DELETE, &format!("/plans/{plan_id}"), None);
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(
        v.call(Method::GET, &format!("/plans/{plan_id}"), None)
            .status,
        404
    );
    assert_eq!(
        v.call(Method::GET, "/placements", None).json()["placements"],
        json!([])
    );
}

#[test]
fn plan_bodies_are_validated() {
    let v = Valet::new();
    // Nothing Valet places: 201 with an empty plan, nothing stored.
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "n", "stack_id": "s", "resources": {"v": {"name": "v", "type": "OS::Cinder::Volume", "properties": {}}}})));
    assert_eq!((r.status, r.json()), (201, json!({"plan": {}})));
    assert_eq!(
        v.call(Method::GET, "/plans", None).json()["plans"],
        json!([])
    );
    let bad = [
        (json!({"stack_id": "s", "resources": {}}), "plan_name"),
        (
            json!({"plan_name": "n", "stack_id": "s", "resources": []}),
            "resources",
        ),
        (
            json!({"plan_name": "n", "stack_id": "s", "resources": {}, "bogus": 1}),
            "bogus",
        ),
        (
            json!({"plan_name": "n", "stack_id": "s", "resources": {"r": server("r", "m9.huge")}}),
            "Unknown flavor: m9.huge",
        ),
        (
            json!({"plan_name": "n", "stack_id": "s", "resources": {"r": {"name": "r", "type": "OS::Nova::Server", "properties": {}}}}),
            "no flavor",
        ),
        (
            json!({"plan_name": "n", "stack_id": "s", "resources": {"r": server("r", "m1.tiny"), "g": {"type": "OS::Valet::GroupAssignment", "properties": {"group": "ghost", "resources": ["r"]}}}}),
            "Unknown group: ghost",
        ),
    ];
    for (body, word) in bad {
        let r = v.call(Method::POST, "/plans", Some(body));
        assert_valet_error(&r, 400, "HTTPBadRequest", word);
    }
    // A group the plan's tenant is not a member of.
    v.group("closed", "affinity", "host");
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "n", "stack_id": "s", "resources": {"r": server("r", "m1.tiny"), "g": {"type": "OS::Valet::GroupAssignment", "properties": {"group": "closed", "resources": ["r"]}}}})));
    assert_valet_error(&r, 400, "HTTPBadRequest", "is not a member of group closed");
}

#[test]
fn groups_shape_placements_and_block_member_removal() {
    let v = Valet::with(ServerOptions {
        inventory: Inventory::grid(2, 2, 4, 8192, 100),
        ..ServerOptions::default()
    });
    let div = v.group("spread", "diversity", "host");
    let aff = v.group("together", "affinity", "rack");
    for g in [&div, &aff] {
        assert_eq!(
            v.add_members(g["id"].as_str().unwrap(), &[&v.tenant])
                .status,
            201
        );
    }
    let resources = json!({
        "a": server("a", "m1.small"), "b": server("b", "m1.small"), "c": server("c", "m1.small"),
        "spread": {"type": "OS::Valet::GroupAssignment", "properties": {"group": "spread", "resources": ["a", "b"]}},
        "together": {"type": "OS::Valet::GroupAssignment", "properties": {"group": aff["id"], "resources": ["a", "b"]}},
    });
    let r = v.call(
        Method::POST,
        "/plans",
        Some(json!({"plan_name": "g", "stack_id": "sg", "resources": resources})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let pl = r.json()["plan"]["placements"].clone();
    let (a, b) = (
        pl["a"]["location"].as_str().unwrap(),
        pl["b"]["location"].as_str().unwrap(),
    );
    assert_ne!(a, b, "diversity at host level");
    assert_eq!(a[..11], b[..11], "affinity at rack level");
    // Two more, diverse from a and b by host yet in their rack of two hosts: impossible.
    let resources = json!({
        "x": {"name": "x", "type": "OS::Nova::Server", "properties": {"flavor": "m1.tiny", "metadata": {"valet": {"groups": ["spread", "together"]}}}},
        "y": {"name": "y", "type": "OS::Nova::Server", "properties": {"flavor": "m1.tiny", "metadata": {"valet": {"groups": ["spread", "together"]}}}},
    });
    let r = v.call(
        Method::POST,
        "/plans",
        Some(json!({"plan_name": "h", "stack_id": "sh", "resources": resources})),
    );
    assert_valet_error(&r, 409, "HTTPConflict", "Ostro error");
    // Capacity: 4 hosts x 4 vCPUs; an 8-vCPU server fits nowhere.
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "big", "stack_id": "sb", "resources": {"big": server("big", "m1.xlarge")}})));
    assert_valet_error(&r, 409, "HTTPConflict", "Ostro error");
    // The tenant has servers in the groups: its membership cannot be removed.
    let r = v.call(
        Method::DELETE,
        &format!(
            "/groups/{}/members/{}",
            div["id"].as_str().unwrap(),
            v.tenant
        ),
        None,
    );
    assert_valet_error(&r, 409, "HTTPConflict", "has servers in group \"spread\"");
    let r = v.call(
        Method::DELETE,
        &format!("/groups/{}/members", aff["id"].as_str().unwrap()),
        None,
    );
    assert_valet_error(
        &r,
        409,
        "HTTPConflict",
        &format!("Tenant Member {}", v.tenant),
    );
    assert_eq!(v.call(Method::DELETE, "/plans/sg", None).status, 204);
    let r = v.call(
        Method::DELETE,
        &format!("/groups/{}/members", aff["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(r.status, 204);
}

#[test]
fn placements_query_reserve_replan_delete() {
    let v = Valet::new();
    let r = v.call(Method::POST, "/plans", Some(json!({"plan_name": "p", "stack_id": "st", "resources": {
        "o1": {"name": "one", "type": "OS::Nova::Server", "properties": {"flavor": "m1.tiny"}, "metadata": {"role": "db"}},
        "o2": server("two", "m1.tiny")}})));
    assert_eq!(r.status, 201, "{}", r.text);
    let plan_id = r.json()["plan"]["id"].as_str().unwrap().to_string();
    let all = v.call(Method::GET, "/placements", None).json()["placements"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 2);
    for p in &all {
        for k in [
            "id",
            "name",
            "orchestration_id",
            "resource_id",
            "location",
            "reserved",
            "metadata",
            "plan_id",
        ] {
            assert!(p.get(k).is_some(), "{k}");
        }
        assert_eq!(p["reserved"], false);
        assert_eq!(p["plan_id"], plan_id.as_str());
    }
    // Filters: fields exactly, JSON-decoded values, metadata keys; AND-ed.
    let q = |query: &str| {
        v.call(Method::GET, &format!("/placements?{query}"), None)
            .json()["placements"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(q("orchestration_id=o1"), 1);
    assert_eq!(q("reserved=false"), 2);
    assert_eq!(q("reserved=true"), 0);
    assert_eq!(q("role=db"), 1);
    assert_eq!(q("role=db&name=two"), 0);
    assert_eq!(q(&format!("plan_id={plan_id}&name=one")), 1);

    // Lookup by id, then orchestration id.
    let one = v.call(Method::GET, "/placements/o1", None);
    assert_eq!(one.status, 200);
    let p1 = one.json()["placement"].clone();
    assert_eq!(
        v.call(
            Method::GET,
            &format!("/placements/{}", p1["id"].as_str().unwrap()),
            None
        )
        .json()["placement"],
        p1
    );
    assert_valet_error(
        &v.call(Method::GET, "/placements/none", None),
        404,
        "HTTPNotFound",
        "Placement not found",
    );

    // Reserve where it is: reserved, same host, resource id recorded.
    let here = p1["location"].as_str().unwrap().to_string();
    let r = v.call(
        Method::POST,
        "/placements/o1",
        Some(json!({"resource_id": "nova-1", "locations": [here]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let p = r.json()["placement"].clone();
    assert_eq!(
        (
            p["reserved"].clone(),
            p["location"].clone(),
            p["resource_id"].clone()
        ),
        (json!(true), json!(here), json!("nova-1"))
    );
    // Reserve among hosts that do not include it: replanned into them.
    let elsewhere = Inventory::default()
        .hosts
        .into_iter()
        .map(|h| h.name)
        .find(|h| *h != here)
        .unwrap();
    let r = v.call(
        Method::POST,
        "/placements/o1",
        Some(json!({"resource_id": "nova-1", "locations": [elsewhere]})),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["placement"]["location"], elsewhere.as_str());
    assert_eq!(
        v.call(Method::GET, "/plans/st", None).json()["plan"]["placements"]["o1"]["location"],
        elsewhere.as_str()
    );
    let r = v.call(
        Method::POST,
        "/placements/o1",
        Some(json!({"action": "replan", "locations": [here]})),
    );
    assert_eq!(r.json()["placement"]["location"], here.as_str());
    let r = v.call(
        Method::POST,
        "/placements/o1",
        Some(json!({"action": "destroy"})),
    );
    assert_valet_error(&r, 400, "HTTPBadRequest", "Invalid action: destroy");
    let r = v.call(
        Method::POST,
        "/placements/o1",
        Some(json!({"locations": ["no-such-host"]})),
    );
    assert_valet_error(&r, 409, "HTTPConflict", "Ostro error");
    // Migrate finds a server by its resource id too.
    let r = v.call(
        Method::PUT,
        &format!("/plans/{plan_id}"),
        Some(json!({"action": "migrate", "excluded_hosts": [here], "resources": ["nova-1"]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_ne!(
        r.json()["plan"]["placements"]["o1"]["location"],
        here.as_str()
    );

    let r = v.call(Method::DELETE, "/placements/o2", None);
    assert_eq!(r.status, 204);
    assert_eq!(q("name=two"), 0);
    assert!(
        v.call(Method::GET, "/plans/st", None).json()["plan"]["placements"]
            .get("o2")
            .is_none()
    );
}
