//! Conformance of the embedded server's Keystone v3 subset, through real HTTP on 127.0.0.1:0
//! with a blocking client on the test thread (never inside the server's runtime).

use std::time::Duration;

use crate::common::http::{Resp, client, password_auth};
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use valet_cloud::{ServerHandle, ServerOptions, start};

struct Fixture {
    server: ServerHandle,
    client: Client,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(ServerOptions::default())
    }
    fn with(opts: ServerOptions) -> Fixture {
        let server = start(opts).expect("server starts");
        Fixture {
            server,
            client: client(),
        }
    }
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.identity_url())
    }
    fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut rb = self.client.request(method, self.url(path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Resp::send(rb)
    }
    fn auth(&self, user: &str, password: &str, project: &str) -> Resp {
        self.call(
            Method::POST,
            "/auth/tokens",
            &[],
            Some(password_auth(user, password, project)),
        )
    }
    fn admin_token(&self) -> String {
        let r = self.auth("admin", "admin", "admin");
        assert_eq!(r.status, 201, "{}", r.text);
        r.header("x-subject-token").unwrap().to_string()
    }
}

fn assert_keystone_error(r: &Resp, code: u16, title: &str) {
    assert_eq!(r.status, code, "{}", r.text);
    let v = r.json();
    assert_eq!(v["error"]["code"], code);
    assert_eq!(v["error"]["title"], title);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[test]
fn password_token_scoped_to_a_project_carries_the_catalog() {
    let f = Fixture::new();
    let r = f.auth("admin", "admin", "admin");
    assert_eq!(r.status, 201);
    let token = r.header("x-subject-token").expect("X-Subject-Token");
    assert!(!token.is_empty());
    let t = &r.json()["token"];
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(t["user"]["domain"]["id"], "default");
    assert_eq!(t["project"]["name"], "admin");
    assert_eq!(t["methods"], json!(["password"]));
    assert!(
        t["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "admin")
    );
    let expires = t["expires_at"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == "2026-01-01T00:00:00.000000Z".len());
    let catalog = t["catalog"].as_array().unwrap();
    let valet = catalog
        .iter()
        .find(|s| s["type"] == "placement")
        .expect("placement service");
    assert_eq!(valet["name"], "valet");
    let eps = valet["endpoints"].as_array().unwrap();
    let mut interfaces: Vec<&str> = eps
        .iter()
        .map(|e| e["interface"].as_str().unwrap())
        .collect();
    interfaces.sort_unstable();
    assert_eq!(interfaces, ["admin", "internal", "public"]);
    for e in eps {
        assert_eq!(e["region"], "RegionOne");
        assert_eq!(e["url"], f.server.valet_url());
    }
    assert!(catalog.iter().any(|s| s["type"] == "identity"));

    // Scoped by project id works too, and the user may be named by id.
    let pid = t["project"]["id"].as_str().unwrap();
    let uid = t["user"]["id"].as_str().unwrap();
    let body = json!({"auth": {"identity": {"methods": ["password"],
        "password": {"user": {"id": uid, "password": "admin"}}},
        "scope": {"project": {"id": pid}}}});
    let r = f.call(Method::POST, "/auth/tokens", &[], Some(body));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["token"]["project"]["id"], pid);
}

#[test]
fn bad_credentials_and_scopes_are_401() {
    let f = Fixture::new();
    assert_keystone_error(&f.auth("admin", "wrong", "admin"), 401, "Unauthorized");
    assert_keystone_error(&f.auth("nobody", "admin", "admin"), 401, "Unauthorized");
    assert_keystone_error(
        &f.auth("admin", "admin", "no-such-project"),
        401,
        "Unauthorized",
    );
    // The admin has no role on the service project.
    assert_keystone_error(&f.auth("admin", "admin", "service"), 401, "Unauthorized");
    let r = f.call(Method::POST, "/auth/tokens", &[], Some(json!({"nope": 1})));
    assert_keystone_error(&r, 400, "Bad Request");
    let r = f.call(Method::POST, "/auth/tokens", &[], None);
    assert_keystone_error(&r, 400, "Bad Request");
    // Unscoped: a token without project or catalog.
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": "admin"}}}}});
    let r = f.call(Method::POST, "/auth/tokens", &[], Some(body));
    assert_eq!(r.status, 201);
    assert!(r.json()["token"].get("catalog").is_none());
}

#[test]
fn tokens_validate_revoke_and_expire() {
    let f = Fixture::with(ServerOptions {
        token_ttl: Duration::from_millis(1500),
        ..ServerOptions::default()
    });
    let admin = f.admin_token();
    let other = f.admin_token();
    assert_ne!(admin, other);
    let r = f.call(
        Method::GET,
        "/auth/tokens",
        &[("X-Auth-Token", &admin), ("X-Subject-Token", &other)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-subject-token"), Some(other.as_str()));
    assert_eq!(r.json()["token"]["project"]["name"], "admin");
    let r = f.call(
        Method::GET,
        "/auth/tokens",
        &[("X-Auth-Token", &admin), ("X-Subject-Token", "bogus")],
        None,
    );
    assert_keystone_error(&r, 404, "Not Found");
    let r = f.call(
        Method::GET,
        "/auth/tokens",
        &[("X-Subject-Token", &other)],
        None,
    );
    assert_keystone_error(&r, 401, "Unauthorized");
    let r = f.call(
        Method::DELETE,
        "/auth/tokens",
        &[("X-Auth-Token", &admin), ("X-Subject-Token", &other)],
        None,
    );
    assert_eq!(r.status, 204);
    let r = f.call(
        Method::GET,
        "/auth/tokens",
        &[("X-Auth-Token", &admin), ("X-Subject-Token", &other)],
        None,
    );
    assert_keystone_error(&r, 404, "Not Found");
    // Expiry: after the lifetime the token is refused everywhere, and a new one works.
    std::thread::sleep(Duration::from_millis(1700));
    let r = f.call(Method::GET, "/projects", &[("X-Auth-Token", &admin)], None);
    assert_keystone_error(&r, 401, "Unauthorized");
    let fresh = f.admin_token();
    let r = f.call(Method::GET, "/projects", &[("X-Auth-Token", &fresh)], None);
    assert_eq!(r.status, 200);
}

#[test]
fn projects_users_roles_and_assignments() {
    let f = Fixture::new();
    let tok = f.admin_token();
    let h = [("X-Auth-Token", tok.as_str())];
    // Projects.
    let r = f.call(
        Method::POST,
        "/projects",
        &h,
        Some(json!({"project": {"name": "tenant-1", "description": "d"}})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let p = r.json()["project"].clone();
    assert_eq!(p["name"], "tenant-1");
    assert_eq!(p["domain_id"], "default");
    assert_eq!(p["enabled"], true);
    let pid = p["id"].as_str().unwrap().to_string();
    let r = f.call(
        Method::POST,
        "/projects",
        &h,
        Some(json!({"project": {"name": "tenant-1"}})),
    );
    assert_keystone_error(&r, 409, "Conflict");
    let r = f.call(Method::POST, "/projects", &h, Some(json!({"project": {}})));
    assert_keystone_error(&r, 400, "Bad Request");
    let r = f.call(Method::GET, &format!("/projects/{pid}"), &h, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["project"]["id"], pid.as_str());
    let r = f.call(Method::GET, "/projects?name=tenant-1", &h, None);
    assert_eq!(r.json()["projects"].as_array().unwrap().len(), 1);
    let r = f.call(Method::GET, "/projects", &h, None);
    let names: Vec<String> = r.json()["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"admin".to_string()) && names.contains(&"service".to_string()));

    // Users.
    let r = f.call(
        Method::POST,
        "/users",
        &h,
        Some(json!({"user": {"name": "u1", "password": "pw", "default_project_id": pid}})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let uid = r.json()["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["user"]["default_project_id"], pid.as_str());
    let r = f.call(
        Method::POST,
        "/users",
        &h,
        Some(json!({"user": {"name": "u1", "password": "pw"}})),
    );
    assert_keystone_error(&r, 409, "Conflict");

    // Without a role the user cannot get a token scoped to the project.
    assert_keystone_error(&f.auth("u1", "pw", "tenant-1"), 401, "Unauthorized");

    // Roles by name, and the assignment.
    let r = f.call(Method::GET, "/roles?name=member", &h, None);
    let roles = r.json()["roles"].as_array().unwrap().clone();
    assert_eq!(roles.len(), 1);
    let member = roles[0]["id"].as_str().unwrap().to_string();
    let r = f.call(Method::GET, "/roles?name=admin", &h, None);
    let admin_role = r.json()["roles"][0]["id"].as_str().unwrap().to_string();
    let r = f.call(
        Method::PUT,
        &format!("/projects/{pid}/users/{uid}/roles/{member}"),
        &h,
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.text, "");
    for (path, what) in [
        (
            format!("/projects/nope/users/{uid}/roles/{member}"),
            "project",
        ),
        (format!("/projects/{pid}/users/nope/roles/{member}"), "user"),
        (format!("/projects/{pid}/users/{uid}/roles/nope"), "role"),
    ] {
        let r = f.call(Method::PUT, &path, &h, None);
        assert_keystone_error(&r, 404, "Not Found");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(what)
        );
    }
    // A member-only token works for Keystone auth but is refused by the admin API (403).
    let r = f.auth("u1", "pw", "tenant-1");
    assert_eq!(r.status, 201);
    let utok = r.header("x-subject-token").unwrap().to_string();
    assert_eq!(r.json()["token"]["roles"][0]["name"], "member");
    let r = f.call(
        Method::POST,
        "/projects",
        &[("X-Auth-Token", &utok)],
        Some(json!({"project": {"name": "x"}})),
    );
    assert_keystone_error(&r, 403, "Forbidden");
    let r = f.call(Method::GET, "/projects", &[], None);
    assert_keystone_error(&r, 401, "Unauthorized");
    let r = f.call(
        Method::PUT,
        &format!("/projects/{pid}/users/{uid}/roles/{admin_role}"),
        &h,
        None,
    );
    assert_eq!(r.status, 204);
    let r = f.call(
        Method::GET,
        &format!("/projects/{pid}/users/{uid}/roles"),
        &h,
        None,
    );
    assert_eq!(r.json()["roles"].as_array().unwrap().len(), 2);

    // Deletion: 204, then 404; the user's tokens die with it.
    let r = f.call(Method::DELETE, &format!("/users/{uid}"), &h, None);
    assert_eq!(r.status, 204);
    let r = f.call(Method::DELETE, &format!("/users/{uid}"), &h, None);
    assert_keystone_error(&r, 404, "Not Found");
    let r = f.call(
        Method::GET,
        "/auth/tokens",
        &[("X-Auth-Token", &tok), ("X-Subject-Token", &utok)],
        None,
    );
    assert_keystone_error(&r, 404, "Not Found");
    let r = f.call(Method::DELETE, &format!("/projects/{pid}"), &h, None);
    assert_eq!(r.status, 204);
    let r = f.call(Method::GET, &format!("/projects/{pid}"), &h, None);
    assert_keystone_error(&r, 404, "Not Found");
    let r = f.call(Method::DELETE, &format!("/projects/{pid}"), &h, None);
    assert_keystone_error(&r, 404, "Not Found");
}

#[test]
fn unknown_paths_and_methods() {
    let f = Fixture::new();
    let tok = f.admin_token();
    let r = f.call(
        Method::GET,
        "/nothing-here",
        &[("X-Auth-Token", &tok)],
        None,
    );
    assert_keystone_error(&r, 404, "Not Found");
    let r = f.call(Method::PATCH, "/auth/tokens", &[], None);
    assert_keystone_error(&r, 405, "Method Not Allowed");
    let r = f.call(Method::GET, "", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["version"]["id"], "v3.14");
}

#[test]
fn bad_options_are_refused() {
    let mut opts = ServerOptions::default();
    opts.inventory.hosts.clear();
    assert!(start(opts).is_err());
    let mut opts = ServerOptions::default();
    opts.admin.domain = "Elsewhere".into();
    assert!(start(opts).is_err());
    let taken = start(ServerOptions::default()).unwrap();
    let clash = start(ServerOptions {
        listen: taken.addr(),
        ..ServerOptions::default()
    });
    assert!(matches!(clash, Err(valet_cloud::ServerError::Bind { .. })));
}
