//! Hostile requests: bodies too large, not JSON, malformed or nested past any sense, a wrong
//! content type, huge headers, names full of quotes, SQL and path separators, and tokens that
//! must not pass (none, expired, tampered, scoped to another project, not an admin's). Each
//! answer is a 4xx with the service's own error body, never a 500, never another project's
//! data; and the server listens on loopback unless told otherwise.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use valet_cloud::{ServerHandle, ServerOptions, start};

use crate::common::http::{Resp, client, password_auth, token};

/// A server, its admin's token and project, and a client.
struct Fx {
    server: ServerHandle,
    c: Client,
    tok: String,
    project: String,
}

fn fx(opts: ServerOptions) -> Fx {
    let server = start(opts).unwrap();
    let c = client();
    let (tok, project) = token(&c, &server.identity_url());
    Fx {
        server,
        c,
        tok,
        project,
    }
}

impl Fx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }
    fn heat(&self) -> String {
        format!("/orchestration/v1/{}/stacks", self.project)
    }
    /// Sends a request with `tok` (none if empty) and a raw body of the given type.
    fn raw(&self, m: Method, path: &str, tok: &str, body: Option<(&str, Vec<u8>)>) -> Resp {
        let mut rb = self.c.request(m, self.url(path));
        if !tok.is_empty() {
            rb = rb.header("X-Auth-Token", tok);
        }
        if let Some((ct, b)) = body {
            rb = rb.header("Content-Type", ct).body(b);
        }
        let r = Resp::send(rb);
        assert!(r.status < 500, "{path}: {} {}", r.status, r.text);
        r
    }
    /// `GET path` with the admin's token, asserting a 200; the body.
    fn show(&self, path: &str) -> Value {
        let r = self.call(Method::GET, path, &self.tok, None);
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    }
    fn call(&self, m: Method, path: &str, tok: &str, body: Option<Value>) -> Resp {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.raw(m, path, tok, body)
    }
}

/// The error body each service answers with: Valet's and Heat's (webob's shape), Keystone's,
/// Nova's.
fn assert_error(r: &Resp, code: u16, service: &str) {
    assert_eq!(r.status, code, "{service}: {}", r.text);
    let v = r.json();
    match service {
        "valet" | "heat" => {
            assert_eq!(v["code"], code, "{v}");
            assert!(
                v["title"].is_string() && v["explanation"].is_string(),
                "{v}"
            );
            assert!(v["error"]["type"].is_string(), "{v}");
            assert_ne!(v["title"], "Internal Server Error", "{v}");
        }
        "keystone" => {
            assert_eq!(v["error"]["code"], code, "{v}");
            assert_ne!(v["error"]["title"], "Internal Server Error", "{v}");
        }
        "nova" => {
            let inner = v.as_object().and_then(|m| m.values().next()).unwrap();
            assert_eq!(inner["code"], code, "{v}");
        }
        other => panic!("{other}"),
    }
}

/// One path per service that takes a JSON body, with the service's name.
fn posts(f: &Fx) -> Vec<(String, &'static str)> {
    vec![
        ("/placement/v1/groups".to_string(), "valet"),
        (f.heat(), "heat"),
        ("/identity/v3/projects".to_string(), "keystone"),
        ("/compute/v2.1/servers".to_string(), "nova"),
    ]
}

/// Sends a request declaring a 9 MiB body, writes 64 KiB of it and reads the answer (over a
/// raw socket: an HTTP client would write the whole body before reading, and the server
/// closes the connection once it has answered).
fn declared_too_large(f: &Fx, path: &str) -> Resp {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(f.server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nX-Auth-Token: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        f.server.addr(),
        f.tok,
        9 << 20
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(&vec![b' '; 64 << 10]);
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n")
            && let Some(len) = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .and_then(|n| n.trim().parse::<usize>().ok())
            })
            && body.len() >= len
        {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Resp {
        status,
        headers: reqwest::header::HeaderMap::new(),
        text: body.to_string(),
    }
}

#[test]
fn bodies_too_large_or_not_json_are_4xx_with_the_services_error_body() {
    let f = fx(ServerOptions::default());
    for (path, service) in posts(&f) {
        let r = declared_too_large(&f, &path);
        assert_error(&r, 413, service);
        let r = f.raw(
            Method::POST,
            &path,
            &f.tok,
            Some(("text/plain", br#"{"name": "x"}"#.to_vec())),
        );
        assert_error(&r, 415, service);
        let r = f.raw(
            Method::POST,
            &path,
            &f.tok,
            Some(("application/x-www-form-urlencoded", b"name=x".to_vec())),
        );
        assert_error(&r, 415, service);
    }
    // Malformed, and nested far past serde_json's limit of 128 levels: 400 with the service's
    // body (Nova's subset only reads, so its answer is its 405).
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
    for (path, service) in posts(&f).into_iter().filter(|(_, s)| *s != "nova") {
        for body in [
            r#"{"name": "#,
            "not json",
            &deep,
            &deep_object,
            "\u{0}\u{1}",
        ] {
            let r = f.raw(
                Method::POST,
                &path,
                &f.tok,
                Some(("application/json", body.as_bytes().to_vec())),
            );
            assert_error(&r, 400, service);
        }
    }
    // A template nested 10,000 levels deep in YAML, and a "billion laughs" of YAML aliases:
    // Heat's 400, at once.
    let nested_yaml = format!(
        "heat_template_version: 2015-04-30\nresources: {}{}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut laughs = String::from("heat_template_version: 2015-04-30\na0: &a0 [lol, lol]\n");
    for i in 1..40 {
        let p = i - 1;
        laughs.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    laughs.push_str("resources: *a39\n");
    for template in [nested_yaml, laughs] {
        let t = Instant::now();
        let r = f.call(
            Method::POST,
            &f.heat(),
            &f.tok,
            Some(json!({"stack_name": "deep", "template": template})),
        );
        assert_error(&r, 400, "heat");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.starts_with("Error parsing template"), "{message}");
    }
    // Nothing was made, and the server still answers.
    let shown = f.show("/placement/v1/groups");
    assert_eq!(shown["groups"], json!([]));
    let shown = f.show(&f.heat());
    assert_eq!(shown["stacks"], json!([]));
}

#[test]
fn huge_headers_are_refused_with_a_4xx_and_the_server_goes_on() {
    let f = fx(ServerOptions::default());
    // hyper's limits (its read buffer, 100 headers) answer 431 before a handler runs.
    let big = "x".repeat(1 << 20);
    let r =
        f.c.get(f.url("/placement/v1/groups"))
            .header("X-Auth-Token", &f.tok)
            .header("X-Huge", &big)
            .send()
            .unwrap();
    assert_eq!(r.status().as_u16(), 431);
    let mut rb =
        f.c.get(f.url("/placement/v1/groups"))
            .header("X-Auth-Token", &f.tok);
    for i in 0..500 {
        rb = rb.header(format!("x-many-{i}"), "v");
    }
    assert_eq!(rb.send().unwrap().status().as_u16(), 431);
    // A huge token is just a token that does not exist.
    let r = f.call(
        Method::GET,
        "/placement/v1/groups",
        &"t".repeat(60_000),
        None,
    );
    assert_eq!(r.status, 401);
    let r = f.call(Method::GET, "/placement/v1/groups", &f.tok, None);
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Strings that break naive SQL, HTML, paths and URLs.
const NASTY: &[&str] = &[
    "Robert'); DROP TABLE groups;--",
    "x' OR '1'='1",
    "a\"b'c`d",
    "../../etc/passwd",
    "a/b\\c",
    "%2F%00%25",
    "semi;colon -- and /* comment */",
    "ünï 雪 🙂",
    "<script>alert(1)</script>",
];

#[test]
fn names_with_quotes_sql_and_path_separators_are_stored_verbatim() {
    let f = fx(ServerOptions::default());
    for (i, nasty) in NASTY.iter().enumerate() {
        // A Valet group's description, made and updated.
        let name = format!("g{i}");
        let r = f.call(
            Method::POST,
            "/placement/v1/groups",
            &f.tok,
            Some(json!({"name": name, "type": "affinity", "level": "host", "description": nasty})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let shown = f.show(&format!("/placement/v1/groups/{name}"));
        assert_eq!(shown["group"]["description"], *nasty);
        let again = format!("{nasty}{nasty}");
        let r = f.call(
            Method::PUT,
            &format!("/placement/v1/groups/{name}"),
            &f.tok,
            Some(json!({"description": again})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let shown = f.show(&format!("/placement/v1/groups/{name}"));
        assert_eq!(shown["group"]["description"], again.as_str());
        // As a group's name: Valet's documented 400 (RFC 3986 unreserved only).
        let r = f.call(
            Method::POST,
            "/placement/v1/groups",
            &f.tok,
            Some(json!({"name": nasty, "type": "affinity", "level": "host"})),
        );
        assert_error(&r, 400, "valet");
        // A plan's name.
        let stack_id = format!("stack-{i}");
        let r = f.call(
            Method::POST,
            "/placement/v1/plans",
            &f.tok,
            Some(
                json!({"plan_name": nasty, "stack_id": stack_id, "resources": {
                format!("r{i}"): {"name": "a", "type": "OS::Nova::Server",
                                   "properties": {"flavor": "m1.tiny"}}}}),
            ),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let shown = f.show(&format!("/placement/v1/plans/{stack_id}"));
        assert_eq!(shown["plan"]["name"], *nasty);
        // A Keystone project's name and description, and a user's name and password.
        let r = f.call(
            Method::POST,
            "/identity/v3/projects",
            &f.tok,
            Some(json!({"project": {"name": nasty, "description": nasty}})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let p = r.json()["project"].clone();
        assert_eq!(
            (&p["name"], &p["description"]),
            (&json!(nasty), &json!(nasty))
        );
        let r = f.call(
            Method::POST,
            "/identity/v3/users",
            &f.tok,
            Some(json!({"user": {"name": nasty, "password": nasty}})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["user"]["name"], *nasty);
        // As a stack's name: Heat's own rule refuses it (400); as a server's name and a
        // parameter, kept as given.
        let r = f.call(
            Method::POST,
            &f.heat(),
            &f.tok,
            Some(json!({"stack_name": nasty, "template": "heat_template_version: 2015-04-30\n"})),
        );
        assert_error(&r, 400, "heat");
        let template = json!({"heat_template_version": "2015-04-30",
            "parameters": {"label": {"type": "string"}},
            "resources": {"s": {"type": "OS::Nova::Server", "properties": {
                "name": {"get_param": "label"}, "image": "TestVM", "flavor": "m1.tiny"}}}});
        let stack = format!("nasty-{i}");
        let r = f.call(
            Method::POST,
            &f.heat(),
            &f.tok,
            Some(json!({"stack_name": stack, "template": template,
                        "parameters": {"label": nasty}})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["stack"]["id"].as_str().unwrap().to_string();
        let shown = f.show(&format!("{}/{stack}/{id}", f.heat()));
        assert_eq!(shown["stack"]["parameters"]["label"], *nasty);
    }
    // Every server's name as given; looking one up by a nasty id is a 404, not an error.
    let shown = f.show("/compute/v2.1/servers");
    let mut names: Vec<String> = shown["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut want: Vec<String> = NASTY.iter().map(|s| (*s).to_string()).collect();
    want.sort();
    assert_eq!(names, want);
    for nasty in NASTY {
        let enc: String = nasty.bytes().map(|b| format!("%{b:02X}")).collect();
        for path in [
            format!("/compute/v2.1/servers/{enc}"),
            format!("/placement/v1/groups/{enc}"),
            format!("/placement/v1/plans/{enc}"),
            format!("{}/{enc}/{enc}", f.heat()),
        ] {
            let r = f.call(Method::GET, &path, &f.tok, None);
            assert_eq!(r.status, 404, "{path}: {}", r.text);
        }
    }
    let shown = f.show("/placement/v1/groups");
    assert_eq!(shown["groups"].as_array().unwrap().len(), NASTY.len());
}

/// A token for `user` (with `password`) scoped to `project`.
fn user_token(f: &Fx, user: &str, project: &str) -> String {
    let r = f.call(
        Method::POST,
        "/identity/v3/auth/tokens",
        "",
        Some(password_auth(user, "pw", project)),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.header("x-subject-token").unwrap().to_string()
}

/// Makes project `project` with user `user` holding `role` on it; the project's id.
fn tenant(f: &Fx, project: &str, user: &str, role: &str) -> String {
    let r = f.call(
        Method::POST,
        "/identity/v3/projects",
        &f.tok,
        Some(json!({"project": {"name": project}})),
    );
    let pid = r.json()["project"]["id"].as_str().unwrap().to_string();
    let r = f.call(
        Method::POST,
        "/identity/v3/users",
        &f.tok,
        Some(json!({"user": {"name": user, "password": "pw", "default_project_id": pid}})),
    );
    let uid = r.json()["user"]["id"].as_str().unwrap().to_string();
    let shown = f.show(&format!("/identity/v3/roles?name={role}"));
    let rid = shown["roles"][0]["id"].as_str().unwrap().to_string();
    let r = f.call(
        Method::PUT,
        &format!("/identity/v3/projects/{pid}/users/{uid}/roles/{rid}"),
        &f.tok,
        None,
    );
    assert_eq!(r.status, 204, "{}", r.text);
    pid
}

#[test]
fn tokens_missing_tampered_foreign_or_not_an_admins_never_pass() {
    let f = fx(ServerOptions::default());
    // The admin project's secrets: a group, a stack and its server.
    let r = f.call(
        Method::POST,
        "/placement/v1/groups",
        &f.tok,
        Some(json!({"name": "secret-group", "type": "affinity", "level": "host"})),
    );
    assert_eq!(r.status, 201);
    let template = "heat_template_version: 2015-04-30\nresources:\n  s:\n    type: \
                    OS::Nova::Server\n    properties: {name: secret-server, image: TestVM, \
                    flavor: m1.tiny}\n";
    let r = f.call(
        Method::POST,
        &f.heat(),
        &f.tok,
        Some(json!({"stack_name": "secret-stack", "template": template})),
    );
    assert_eq!(r.status, 201);
    let stack_id = r.json()["stack"]["id"].as_str().unwrap().to_string();
    let r = f.call(Method::GET, "/compute/v2.1/servers", &f.tok, None);
    let server_id = r.json()["servers"][0]["id"].as_str().unwrap().to_string();
    let secrets = [
        "secret-group",
        "secret-stack",
        "secret-server",
        &stack_id,
        &server_id,
    ];

    let bob_project = tenant(&f, "bobs", "bob", "member");
    let bob = user_token(&f, "bob", "bobs");
    let carol_project = tenant(&f, "carols", "carol", "admin");
    let carol = user_token(&f, "carol", "carols");
    let mut tampered = f.tok.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    let admin_heat = f.heat();

    // (token, path, expected status, service)
    let mut cases: Vec<(String, String, u16, &str)> = Vec::new();
    for (tok, why) in [
        (String::new(), 401),
        (tampered.clone(), 401),
        (format!("{}x", f.tok), 401),
        ("' OR 1=1 --".to_string(), 401),
    ]
    .map(|(t, s)| (t, s))
    {
        cases.push((
            tok.clone(),
            "/placement/v1/groups".into(),
            why,
            "valet-text",
        ));
        cases.push((tok.clone(), admin_heat.clone(), why, "heat"));
        cases.push((
            tok.clone(),
            format!("{admin_heat}/secret-stack/{stack_id}"),
            why,
            "heat",
        ));
        cases.push((
            tok.clone(),
            "/compute/v2.1/servers/detail".into(),
            why,
            "nova",
        ));
        cases.push((
            tok.clone(),
            format!("/compute/v2.1/servers/{server_id}"),
            why,
            "nova",
        ));
        cases.push((tok.clone(), "/identity/v3/projects".into(), why, "keystone"));
    }
    for (tok, own) in [(bob.clone(), &bob_project), (carol.clone(), &carol_project)] {
        // Scoped to another project: the admin project's stacks are forbidden, and through
        // its own project the stack and the server are not found.
        cases.push((tok.clone(), admin_heat.clone(), 403, "heat"));
        cases.push((
            tok.clone(),
            format!("{admin_heat}/secret-stack/{stack_id}"),
            403,
            "heat",
        ));
        cases.push((
            tok.clone(),
            format!("/orchestration/v1/{own}/stacks/secret-stack/{stack_id}"),
            404,
            "heat",
        ));
        cases.push((
            tok.clone(),
            format!("/orchestration/v1/{own}/stacks/{stack_id}"),
            404,
            "heat",
        ));
        cases.push((
            tok.clone(),
            format!("/compute/v2.1/servers/{server_id}"),
            404,
            "nova",
        ));
    }
    // Not an admin: Valet wants an admin's token (401, as Valet answers), Keystone's admin API
    // and Nova's inventory are forbidden.
    cases.push((
        bob.clone(),
        "/placement/v1/groups".into(),
        401,
        "valet-text",
    ));
    cases.push((bob.clone(), "/placement/v1/plans".into(), 401, "valet-text"));
    cases.push((bob.clone(), "/identity/v3/projects".into(), 403, "keystone"));
    cases.push((
        bob.clone(),
        "/compute/v2.1/os-hypervisors".into(),
        403,
        "nova",
    ));
    for (tok, path, want, service) in &cases {
        let r = f.call(Method::GET, path, tok, None);
        if *service == "valet-text" {
            assert_eq!(r.status, *want, "{path}: {}", r.text);
            assert_eq!(r.text, "Authentication required");
        } else {
            assert_error(&r, *want, service);
        }
        // (An id the request itself names may be echoed in a 404's message.)
        for s in secrets.iter().filter(|s| !path.contains(**s)) {
            assert!(
                !r.text.contains(s),
                "{path} with {tok:?} shows {s}: {}",
                r.text
            );
        }
    }
    // Writes with those tokens change nothing.
    for tok in ["", tampered.as_str(), bob.as_str()] {
        let r = f.call(
            Method::DELETE,
            &format!("{admin_heat}/secret-stack/{stack_id}"),
            tok,
            None,
        );
        assert!((400..500).contains(&r.status), "{}", r.text);
        let r = f.call(
            Method::DELETE,
            "/placement/v1/groups/secret-group",
            tok,
            None,
        );
        assert!((400..500).contains(&r.status), "{}", r.text);
    }
    // Lists through their own projects show nothing of the admin project's.
    for (tok, own) in [(&bob, &bob_project), (&carol, &carol_project)] {
        for path in [
            format!("/orchestration/v1/{own}/stacks"),
            "/compute/v2.1/servers/detail".to_string(),
        ] {
            let r = f.call(Method::GET, &path, tok, None);
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            for s in secrets {
                assert!(!r.text.contains(s), "{path} shows {s}: {}", r.text);
            }
        }
    }
    let shown = f.show(&format!("{admin_heat}/secret-stack/{stack_id}"));
    let status = shown["stack"]["stack_status"].as_str().unwrap();
    assert!(status.starts_with("CREATE"), "{status}");
}

#[test]
fn an_expired_token_is_refused_by_every_service() {
    let f = fx(ServerOptions {
        token_ttl: Duration::from_millis(300),
        ..ServerOptions::default()
    });
    std::thread::sleep(Duration::from_millis(400));
    let r = f.call(Method::GET, "/placement/v1/groups", &f.tok, None);
    assert_eq!(
        (r.status, r.text.as_str()),
        (401, "Authentication required")
    );
    let r = f.call(Method::GET, &f.heat(), &f.tok, None);
    assert_error(&r, 401, "heat");
    let r = f.call(Method::GET, "/compute/v2.1/servers", &f.tok, None);
    assert_error(&r, 401, "nova");
    let r = f.call(Method::GET, "/identity/v3/projects", &f.tok, None);
    assert_error(&r, 401, "keystone");
}

#[test]
fn the_server_listens_on_loopback_unless_told_otherwise_and_says_so() {
    assert!(ServerOptions::default().listen.ip().is_loopback());
    let local = start(ServerOptions::default()).unwrap();
    assert!(local.addr().ip().is_loopback());
    assert!(local.reach().contains("loopback only"), "{}", local.reach());
    let everywhere = start(ServerOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..ServerOptions::default()
    })
    .unwrap();
    assert!(
        everywhere.reach().contains("every interface"),
        "{}",
        everywhere.reach()
    );
}
