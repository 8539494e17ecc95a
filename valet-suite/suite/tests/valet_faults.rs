//! Fault behaviour of the Valet classes: a dead endpoint, a wrong password, a missing `admin`
//! role, a server that answers 500 or never answers. Each class fails in the stage where the
//! fault shows, with a traceback that names the stage, the request and the response; the
//! clean-ups run; the run ends within its timeouts; and the stream stays valid. Also: the token
//! is renewed when it expires and once after a 401.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use subunit::types::teststatus::TestStatus;
use subunit_emitter::{Delivery, StreamWriter};
use tempest_framework::{Config, Filters, RunOptions, RunSummary};
use valet_cloud::{AdminAccount, ServerOptions, start};
use valet_suite::client::{
    AuthProvider, ClientError, ClientSettings, Http, IdentityClient, PasswordCredentials, Recorder,
    ValetClient,
};
use valet_suite::valet_tests::{self, Environment, target};

/// The API classes (the scenario classes skip before any request).
const API_CLASSES: [&str; 6] = [
    "valet.tests.tempest.api.test_errors.ValetErrorsTest",
    "valet.tests.tempest.api.test_groups.ValetGroupsTest",
    "valet.tests.tempest.api.test_members.ValetGroupsMembersTest",
    "valet.tests.tempest.api.test_placements.ValetPlacementsTest",
    "valet.tests.tempest.api.test_plan.ValetPlanTest",
    "valet.tests.tempest.api.test_status.ValetStatusTest",
];

fn config(identity: &str, password: &str, roles: &str) -> Config {
    valet_suite::options::config()
        .with("identity", "uri_v3", identity)
        .and_then(|c| c.with("auth", "admin_username", "admin"))
        .and_then(|c| c.with("auth", "admin_password", password))
        .and_then(|c| c.with("auth", "admin_project_name", "admin"))
        .and_then(|c| c.with("auth", "tempest_roles", roles))
        .and_then(|c| c.with("service-clients", "http_timeout", "1"))
        .unwrap()
}

/// Runs the API classes against `config`; returns the summary, the stream's events (decoded by
/// an independent decoder, which refuses a damaged stream) and how long it took.
fn run(config: Config) -> (RunSummary, Vec<common::Ev>, Duration) {
    run_matching(config, r"valet\.tests\.tempest\.api\.")
}

/// Runs the Valet tests whose ids match `regex` against `config`: the summary, the decoded
/// events and how long it took.
pub(crate) fn run_matching(config: Config, regex: &str) -> (RunSummary, Vec<common::Ev>, Duration) {
    let suite = valet_tests::suite(Arc::new(Environment::new())).unwrap();
    let selection = Filters::new().regex(regex).unwrap().select(&suite);
    let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
    let start = Instant::now();
    let summary = tempest_framework::run(
        &suite,
        &selection,
        Arc::new(config),
        &writer,
        &RunOptions::default(),
    )
    .unwrap();
    let took = start.elapsed();
    let bytes = writer.finish().unwrap();
    (summary, common::decode(&bytes), took)
}

/// Asserts every API class failed in setUpClass, with a traceback containing each of `want`;
/// returns the tracebacks.
fn every_class_failed_in_setup(events: &[common::Ev], want: &[&str]) -> Vec<String> {
    let mut tracebacks = Vec::new();
    for class in API_CLASSES {
        let id = format!("setUpClass ({class})");
        let fin: Vec<_> = events
            .iter()
            .filter(|e| e.id.as_deref() == Some(&id) && e.file.is_none())
            .collect();
        assert_eq!(fin.len(), 1, "{id}: {events:#?}");
        assert_eq!(fin[0].status, TestStatus::Failed, "{id}");
        let tb = events
            .iter()
            .filter(|e| e.id.as_deref() == Some(&id))
            .find_map(|e| e.file.as_ref().filter(|(n, _)| n == "traceback"))
            .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_else(|| panic!("{id}: no traceback"));
        for w in want {
            assert!(tb.contains(w), "{id}: {w:?} not in\n{tb}");
        }
        // No test of a class whose set-up failed ran.
        assert!(
            !events.iter().any(|e| e.status == TestStatus::InProgress
                && e.id.as_deref().is_some_and(|t| t.starts_with(class))),
            "{class}"
        );
        tracebacks.push(tb);
    }
    tracebacks
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_dead_endpoint_fails_every_class_in_setup_credentials() {
    let url = format!("http://127.0.0.1:{}/identity/v3", closed_port());
    let (summary, events, took) = run(config(&url, "admin", "admin"));
    assert_eq!(summary.failed.len(), API_CLASSES.len());
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_credentials: authenticating the administrative user \"admin\"",
            &format!("POST {url}/auth/tokens: no response"),
            "ConnectionError",
        ],
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_wrong_password_fails_in_setup_credentials_or_setup_clients() {
    let server = start(ServerOptions::default()).unwrap();
    // The admin password (dynamic credentials): setup_credentials.
    let (_, events, _) = run(config(&server.identity_url(), "wrong", "admin"));
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_credentials: ",
            "answered 401: Keystone refused the password of user \"admin\"",
            "tempest.lib.exceptions.Unauthorized",
        ],
    );
    // A pre-provisioned account's password: setup_clients.
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.yaml");
    std::fs::write(
        &accounts,
        "- username: admin\n  project_name: admin\n  password: wrong\n  roles: [admin]\n",
    )
    .unwrap();
    let c = config(&server.identity_url(), "admin", "admin")
        .with("auth", "use_dynamic_credentials", "false")
        .unwrap()
        .with("auth", "test_accounts_file", accounts.to_str().unwrap())
        .unwrap();
    let (_, events, _) = run(c);
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_clients: ",
            "Keystone refused the password of user \"admin\"",
        ],
    );
    // The account was given back by clear_credentials: every class could take it in turn
    // (one held at a time would otherwise fail the next class with "in use").
}

#[test]
fn a_token_without_the_admin_role_says_so_and_the_credentials_are_still_deleted() {
    let server = start(ServerOptions::default()).unwrap();
    let (_, events, _) = run(config(&server.identity_url(), "admin", ""));
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_clients: ",
            "valet_suite.credentials.MissingAdminRole",
            "Valet requires the role named exactly \"admin\" on the token",
            "[member]",
            "set [auth] tempest_roles = admin",
        ],
    );
    // clear_credentials ran for every class: no project made for a class is left.
    let admin = AuthProvider::new(
        Http::new(Duration::from_secs(5), Recorder::new()).unwrap(),
        &server.identity_url(),
        PasswordCredentials {
            username: "admin".into(),
            password: "admin".into(),
            user_domain_name: "Default".into(),
            project_name: "admin".into(),
            project_domain_name: "Default".into(),
        },
    );
    let identity = IdentityClient::new(&admin, "identity", "public", Some("RegionOne")).unwrap();
    let left: Vec<String> = identity
        .list_projects()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .filter(|n| n.starts_with("tempest-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A server that answers every request with `status` after reading it, or never answers
/// (`None`), until the test ends.
fn fake_server(status: Option<u16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 8192];
            let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = conn.read(&mut buf);
            match status {
                Some(code) => {
                    let body = "{\"error\": \"the fake server always fails\"}";
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {code} Internal Server Error\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
                None => held.push(conn),
            }
        }
    });
    format!("http://{addr}/identity/v3")
}

#[test]
fn a_server_answering_500_fails_every_class_with_the_response_shown() {
    let url = fake_server(Some(500));
    let (_, events, took) = run(config(&url, "admin", "admin"));
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_credentials: ",
            &format!("POST {url}/auth/tokens answered 500, expected 201"),
            "the fake server always fails",
            "tempest.lib.exceptions.ServerFault",
        ],
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_server_that_hangs_fails_every_class_within_the_http_timeout() {
    let url = fake_server(None);
    let (_, events, took) = run(config(&url, "admin", "admin"));
    every_class_failed_in_setup(
        &events,
        &[
            "in setup_credentials: ",
            &format!(
                "POST {url}/auth/tokens: no response within 1s ([service-clients] http_timeout)"
            ),
            "tempest.lib.exceptions.TimeoutException",
        ],
    );
    // One request of 1 s per class, and nothing else waits.
    assert!(
        took < Duration::from_secs(API_CLASSES.len() as u64 * 3),
        "{took:?}"
    );
}

fn admin_client(server: &valet_cloud::ServerHandle, recorder: &Recorder) -> ValetClient {
    let c = target::point_at(
        valet_suite::options::config(),
        &server.identity_url(),
        &AdminAccount::default(),
    )
    .unwrap();
    let s = ClientSettings::from_config(&c).unwrap();
    let auth = AuthProvider::new(
        Http::new(s.http_timeout, recorder.clone()).unwrap(),
        &server.identity_url(),
        PasswordCredentials {
            username: "admin".into(),
            password: "admin".into(),
            user_domain_name: "Default".into(),
            project_name: "admin".into(),
            project_domain_name: "Default".into(),
        },
    );
    ValetClient::new(
        Arc::new(auth),
        &s.catalog_type,
        &s.endpoint_type,
        Some(&s.region),
    )
}

fn token_requests(r: &Recorder) -> Vec<(String, Option<u16>)> {
    r.snapshot()
        .into_iter()
        .map(|e| {
            (
                format!("{} {}", e.method, e.url.rsplit("/v").next().unwrap_or("")),
                e.status,
            )
        })
        .collect()
}

#[test]
fn the_token_is_renewed_when_it_expires_and_once_after_a_401() {
    let server = start(ServerOptions {
        token_ttl: Duration::from_secs(2),
        ..ServerOptions::default()
    })
    .unwrap();
    let rec = Recorder::new();
    let client = admin_client(&server, &rec);
    client.list_groups().unwrap();
    let first = client.auth().token().unwrap().id;
    std::thread::sleep(Duration::from_millis(2100));
    client.list_groups().unwrap();
    let second = client.auth().token().unwrap().id;
    assert_ne!(first, second, "the expired token was not renewed");
    let auths = rec
        .snapshot()
        .iter()
        .filter(|e| e.url.ends_with("/auth/tokens") && e.method == "POST")
        .count();
    assert_eq!(auths, 2, "{:#?}", token_requests(&rec));

    // Revoke the token behind the client's back: Valet answers 401, the client renews once.
    let revoke = Http::new(Duration::from_secs(5), Recorder::new()).unwrap();
    let resp = revoke
        .send(
            &valet_suite::client::http::Request {
                method: "DELETE",
                url: &format!("{}/auth/tokens", server.identity_url()),
                headers: &[("X-Auth-Token", &second), ("X-Subject-Token", &second)],
                body: None,
            },
            &[204],
            None,
        )
        .unwrap();
    assert_eq!(resp.status, 204, "{}", resp.body);
    rec.take();
    client.list_groups().unwrap();
    let statuses: Vec<Option<u16>> = rec.take().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(401), Some(201), Some(200)]);

    // A token that stays refused is the caller's error, naming the request and the response.
    let e = client
        .raw("GET", "/groups", None, Some("not-a-token"))
        .unwrap();
    assert_eq!(e.1.status, 401);
    assert_eq!(e.1.body.trim(), "Authentication required");
}

#[test]
fn a_dead_valet_endpoint_is_named_in_the_error() {
    let rec = Recorder::new();
    let http = Http::new(Duration::from_secs(1), rec.clone()).unwrap();
    let url = format!("http://127.0.0.1:{}/identity/v3", closed_port());
    let auth = AuthProvider::new(
        http,
        &url,
        PasswordCredentials {
            username: "u".into(),
            password: "p".into(),
            user_domain_name: "Default".into(),
            project_name: "p".into(),
            project_domain_name: "Default".into(),
        },
    );
    let client = ValetClient::new(Arc::new(auth), "placement", "publicURL", None);
    let e = client.list_groups().unwrap_err();
    assert!(matches!(e, ClientError::Connection { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("POST {url}/auth/tokens: no response")),
        "{e}"
    );
}
