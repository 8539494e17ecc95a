//! What the cloud targets share: an in-process cloud (no socket), an admin token and its
//! project, and the check every reply must pass.

use valet_cloud::{LocalCloud, LocalReply, ServerOptions};

/// A fresh cloud (in-memory store) with the admin's token and project id.
pub fn cloud() -> (LocalCloud, String, String) {
    let cloud = LocalCloud::new(ServerOptions::default()).expect("the default cloud opens");
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": "admin"}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }});
    let r = cloud.call(
        "POST",
        "/identity/v3/auth/tokens",
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.header("x-subject-token").expect("a token").to_string();
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON token body");
    let project = v["token"]["project"]["id"]
        .as_str()
        .expect("a project")
        .to_string();
    (cloud, token, project)
}

/// Sends a request with the token and checks the reply: never a 5xx, and an error body that is
/// JSON when it is not empty.
pub fn call(cloud: &LocalCloud, token: &str, method: &str, path: &str, body: &[u8]) -> LocalReply {
    let r = cloud.call(
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("x-auth-token", token),
        ],
        body,
    );
    assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.body);
    if r.status >= 400 && !r.body.is_empty() {
        assert!(
            serde_json::from_str::<serde_json::Value>(&r.body).is_ok(),
            "{method} {path}: a {} whose body is not JSON: {}",
            r.status,
            r.body
        );
    }
    r
}
