//! Talking to the embedded server over real HTTP with a blocking client (on the test thread,
//! never inside the server's runtime).

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};

/// A response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    /// Sends `rb` and reads the whole response.
    pub fn send(rb: RequestBuilder) -> Resp {
        let r = rb.send().expect("request sent");
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().unwrap(),
        }
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A header's value, when it is there and ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A blocking client with a 10-second timeout (rustls on ring, the workspace's one crypto
/// provider, installed for the process first).
pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Keystone's password authentication body, scoped to a project, all in the Default domain.
pub fn password_auth(user: &str, password: &str, project: &str) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
    }})
}

/// The admin's token from the Keystone at `identity` (asserting a 201), and the token body.
pub fn admin_token(c: &Client, identity: &str) -> (String, Value) {
    let r = Resp::send(
        c.post(format!("{identity}/auth/tokens"))
            .json(&password_auth("admin", "admin", "admin")),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.header("x-subject-token").unwrap().to_string();
    (token, r.json())
}

/// The admin's token and its project's id.
pub fn token(c: &Client, identity: &str) -> (String, String) {
    let (t, body) = admin_token(c, identity);
    (
        t,
        body["token"]["project"]["id"].as_str().unwrap().to_string(),
    )
}

pub fn get(c: &Client, url: &str, tok: &str) -> (u16, Value) {
    let r = c.get(url).header("X-Auth-Token", tok).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// `(name, OS-EXT-SRV-ATTR:host)` of every server Nova at `nova` (`…/compute/v2.1`) lists in
/// detail, asserting a 200.
pub fn server_hosts(c: &Client, nova: &str, tok: &str) -> Vec<(String, String)> {
    let (status, body) = get(c, &format!("{nova}/servers/detail"), tok);
    assert_eq!(status, 200, "{body}");
    body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The names under `key` in the list at `url`, asserting none is there twice.
pub fn names(c: &Client, url: &str, tok: &str, list: &str, key: &str) -> BTreeSet<String> {
    let (status, body) = get(c, url, tok);
    assert_eq!(status, 200, "{body}");
    let all: Vec<String> = body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect();
    let set: BTreeSet<String> = all.iter().cloned().collect();
    assert_eq!(set.len(), all.len(), "a row twice in {url}");
    set
}
