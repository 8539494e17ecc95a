//! The cloud without a socket ([`LocalCloud`]): the same handlers and store as the server, so
//! the same requests get the same answers (what the fuzz targets rely on).

use serde_json::{Value, json};
use valet_cloud::{LocalCloud, ServerOptions, start};

use crate::common::http::{client, password_auth, token};

fn local_token(cloud: &LocalCloud) -> (String, String) {
    let r = cloud.call(
        "POST",
        "/identity/v3/auth/tokens",
        &[("Content-Type", "application/json")],
        password_auth("admin", "admin", "admin")
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let body: Value = serde_json::from_str(&r.body).unwrap();
    (
        r.header("X-Subject-Token").unwrap().to_string(),
        body["token"]["project"]["id"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_local_cloud_answers_as_the_server_does() {
    let cloud = LocalCloud::new(ServerOptions::default()).unwrap();
    let (tok, _) = local_token(&cloud);
    let server = start(ServerOptions::default()).unwrap();
    let c = client();
    let (http_tok, _) = token(&c, &server.identity_url());

    let group = json!({"name": "g-1", "type": "diversity", "level": "host"}).to_string();
    let cases: [(&str, &str, &[u8]); 5] = [
        ("POST", "/placement/v1/groups", group.as_bytes()),
        ("POST", "/placement/v1/groups", b"{not json"),
        ("POST", "/placement/v1/groups", br#"{"name": "x"}"#),
        ("GET", "/placement/v1/groups?name=g-1", b""),
        ("GET", "/placement/v1/groups/no-such-group", b""),
    ];
    for (method, path, body) in cases {
        let local = cloud.call(
            method,
            path,
            &[("Content-Type", "application/json"), ("X-Auth-Token", &tok)],
            body,
        );
        let r = c
            .request(
                method.parse().unwrap(),
                format!("{}{path}", server.base_url()),
            )
            .header("Content-Type", "application/json")
            .header("X-Auth-Token", &http_tok)
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_eq!(
            local.status,
            r.status().as_u16(),
            "{method} {path}: {}",
            local.body
        );
        let mut local: Value = serde_json::from_str(&local.body).unwrap();
        let mut remote: Value = r.json().unwrap();
        // Ids and times differ between two clouds; the rest is the same.
        for v in [&mut local, &mut remote] {
            strip(v);
        }
        assert_eq!(local, remote, "{method} {path}");
    }
}

/// Removes the fields that differ between two clouds (ids, times, links naming the host).
fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in ["id", "created_at", "updated_at", "links", "href", "members"] {
                m.remove(k);
            }
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

#[test]
fn a_local_cloud_refuses_a_request_without_a_token() {
    let cloud = LocalCloud::new(ServerOptions::default()).unwrap();
    let r = cloud.call("GET", "/placement/v1/groups", &[], b"");
    assert_eq!(r.status, 401, "{}", r.body);
    let (tok, project) = local_token(&cloud);
    let r = cloud.call(
        "GET",
        &format!("/orchestration/v1/{project}/stacks"),
        &[("X-Auth-Token", &tok)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
