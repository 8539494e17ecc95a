//! The suite over HTTPS against the reference cloud on loopback, with certificates made here
//! (rcgen, nothing kept on disk past the test): `valet-suite discover` passes with the CA given
//! by `[identity] ca_certificates_file`; a certificate signed by an unknown CA, an expired one
//! and one for another host name each fail every class in `setup_credentials` with a message
//! naming the problem and the option to set, within the timeouts, in a stream our decoder and
//! python-subunit read; `disable_ssl_certificate_validation = true` lets the unknown CA pass;
//! `serve --tls-cert/--tls-key` and `serve --tls-self-signed` serve what the suite reaches;
//! and `HTTPS_PROXY` / `NO_PROXY` are honoured.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use subunit::types::teststatus::TestStatus;
use subunit_samples::python::env;
use valet_cloud::{ServerHandle, ServerOptions, TlsIdentity, start};

/// A certificate authority made for one test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A server certificate for `names`, expired since 2021 when `expired`: (cert, key) PEM.
    fn issue(&self, names: &[&str], expired: bool) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "valet-suite test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// A server certificate valid for the loopback names.
    fn good(&self) -> (String, String) {
        self.issue(&["localhost", "127.0.0.1", "::1"], false)
    }
}

/// The reference cloud serving HTTPS with `cert` and `key`.
fn https_server((cert, key): &(String, String)) -> ServerHandle {
    let identity = TlsIdentity::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    start(ServerOptions {
        tls: Some(identity),
        ..valet_suite::valet_tests::target::embedded_options()
    })
    .unwrap()
}

/// A tempest.conf for the cloud at `identity`, as `point_at` configures the embedded one,
/// plus `identity_extra` lines in `[identity]`; written in `dir`.
fn conf(dir: &Path, identity: &str, identity_extra: &str) -> PathBuf {
    let text = format!(
        "[identity]\nuri_v3 = {identity}\n{identity_extra}\n\
         [auth]\nuse_dynamic_credentials = true\nadmin_username = admin\n\
         admin_password = admin\nadmin_project_name = admin\nadmin_domain_name = Default\n\
         tempest_roles = admin\n\
         [service_available]\nheat = true\n\
         [compute]\nimage_ref = {}\nflavor_ref = 1\nfixed_network_name = {}\n\
         [orchestration]\nbuild_interval = 0\nbuild_timeout = 60\n\
         [valet]\nPAUSE = 0\n\
         [service-clients]\nhttp_timeout = 5\n",
        valet_cloud::IMAGE.1,
        valet_cloud::NETWORK.0
    );
    let path = dir.join(format!("tempest-{}.conf", rand_suffix()));
    std::fs::write(&path, text).unwrap();
    path
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// `valet-suite` with `args`, no proxy from the test's environment unless `envs` sets one.
fn valet(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valet-suite"));
    cmd.args(args)
        .env_remove("OS_TEST_TIMEOUT")
        .env_remove("TEMPEST_CONFIG_DIR")
        .env_remove("TEMPEST_CONFIG");
    for v in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("valet-suite runs")
}

/// `valet-suite discover` with the configuration file `conf`: its output and how long it took.
fn discover(conf: &Path) -> (Output, Duration) {
    let t = Instant::now();
    let out = valet(&["--config-file", conf.to_str().unwrap(), "discover"], &[]);
    (out, t.elapsed())
}

/// Every class of the suite, from `valet-suite list`.
fn classes() -> BTreeSet<String> {
    let out = valet(&["list"], &[]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|id| {
            let id = id.split('[').next().unwrap();
            id.rsplit_once('.').unwrap().0.to_owned()
        })
        .collect()
}

/// The final statuses python-subunit reads from `stream` (written to a file in `dir`), by id;
/// panics on anything it could not read as packets.
fn python_finals(dir: &Path, stream: &[u8]) -> BTreeMap<String, String> {
    let path = dir.join(format!("stream-{}.subunit", rand_suffix()));
    std::fs::write(&path, stream).unwrap();
    let mut finals = BTreeMap::new();
    for e in env().events(&path) {
        assert!(e.get("error").is_none(), "python-subunit died: {e}");
        assert!(
            !subunit_samples::is_stray_stdout(&e),
            "bytes python-subunit could not read as packets: {e}"
        );
        let id = e["test_id"].as_str().unwrap_or_default().to_owned();
        assert_ne!(id, "subunit.parser", "a parser error: {e}");
        if let Some(s @ ("success" | "fail" | "skip" | "xfail" | "uxsuccess")) =
            e["test_status"].as_str()
        {
            finals.insert(id, s.to_owned());
        }
    }
    finals
}

/// Our decoder's final statuses by id (it refuses a damaged stream).
fn our_finals(stream: &[u8]) -> BTreeMap<String, TestStatus> {
    common::decode(stream)
        .into_iter()
        .filter(|e| e.file.is_none())
        .filter(|e| {
            !matches!(
                e.status,
                TestStatus::Enumeration | TestStatus::InProgress | TestStatus::Undefined
            )
        })
        .filter_map(|e| Some((e.id?, e.status)))
        .collect()
}

/// Asserts that the run `out` failed every class of the suite in `setup_credentials`, each
/// traceback holding every one of `want`, ran no test, and left a stream both readers read.
fn every_class_refused(dir: &Path, out: &Output, took: Duration, want: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    let events = common::decode(&out.stdout);
    let classes = classes();
    let finals = our_finals(&out.stdout);
    let python = python_finals(dir, &out.stdout);
    for class in &classes {
        let id = format!("setUpClass ({class})");
        assert_eq!(finals.get(&id), Some(&TestStatus::Failed), "{id}");
        assert_eq!(python.get(&id).map(String::as_str), Some("fail"), "{id}");
        let tb = events
            .iter()
            .filter(|e| e.id.as_deref() == Some(&id))
            .find_map(|e| e.file.as_ref().filter(|(n, _)| n == "traceback"))
            .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_else(|| panic!("{id}: no traceback"));
        for w in [
            "in setup_credentials: ",
            "SSLError: ",
            "the server's TLS certificate was refused: ",
            "[identity] disable_ssl_certificate_validation = true",
        ]
        .iter()
        .chain(want)
        {
            assert!(tb.contains(w), "{id}: {w:?} not in\n{tb}");
        }
        assert!(!tb.contains("error sending request"), "a raw chain:\n{tb}");
    }
    // Only the class fixtures have results: no test ran.
    assert_eq!(finals.len(), classes.len(), "{finals:#?}");
    assert_eq!(python.len(), classes.len(), "{python:#?}");
}

/// Asserts the run `out` passed every test of the suite, as both readers see it.
fn every_test_passed(dir: &Path, out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = valet(&["list"], &[]);
    let ids: BTreeSet<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let finals = our_finals(&out.stdout);
    let python = python_finals(dir, &out.stdout);
    for id in &ids {
        assert_eq!(finals.get(id), Some(&TestStatus::Success), "{id}");
        assert_eq!(python.get(id).map(String::as_str), Some("success"), "{id}");
    }
    assert!(
        finals.values().all(|s| *s == TestStatus::Success),
        "{finals:#?}"
    );
}

#[test]
fn discover_passes_over_https_with_the_ca_from_ca_certificates_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let server = https_server(&ca.good());
    assert!(server.identity_url().starts_with("https://127.0.0.1:"));
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let conf = conf(
        dir.path(),
        &server.identity_url(),
        &format!("ca_certificates_file = {}", ca_file.display()),
    );
    let (out, _) = discover(&conf);
    every_test_passed(dir.path(), &out);
    // The catalog the token carries is on https too: Valet, Heat and Nova were reached so.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("http://"), "{stderr}");
}

#[test]
fn a_certificate_from_an_unknown_ca_fails_every_class_and_disabling_validation_passes() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = Ca::new("the CA the client trusts");
    let unknown = Ca::new("a CA nobody trusts");
    let server = https_server(&unknown.good());
    let ca_file = dir.path().join("trusted.pem");
    std::fs::write(&ca_file, &trusted.pem).unwrap();
    let with_ca = format!("ca_certificates_file = {}", ca_file.display());
    let (out, took) = discover(&conf(dir.path(), &server.identity_url(), &with_ca));
    every_class_refused(
        dir.path(),
        &out,
        took,
        &[
            "it is signed by an unknown certificate authority",
            "set [identity] ca_certificates_file to a PEM bundle holding the CA that signed it",
        ],
    );
    // Without a CA file the system's CAs do not know it either.
    let (out, took) = discover(&conf(dir.path(), &server.identity_url(), ""));
    every_class_refused(
        dir.path(),
        &out,
        took,
        &["it is signed by an unknown certificate authority"],
    );
    // Tempest's switch: no check at all (the CA file is then ignored, as in Tempest).
    let (out, _) = discover(&conf(
        dir.path(),
        &server.identity_url(),
        &format!("{with_ca}\ndisable_ssl_certificate_validation = true"),
    ));
    every_test_passed(dir.path(), &out);
}

#[test]
fn an_expired_certificate_fails_every_class_naming_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let server = https_server(&ca.issue(&["localhost", "127.0.0.1"], true));
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (out, took) = discover(&conf(
        dir.path(),
        &server.identity_url(),
        &format!("ca_certificates_file = {}", ca_file.display()),
    ));
    every_class_refused(
        dir.path(),
        &out,
        took,
        &[
            "it expired on 2021-01-01 (its notAfter)",
            "renew the server's certificate",
        ],
    );
}

#[test]
fn a_certificate_for_another_host_fails_every_class_naming_both_names() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let server = https_server(&ca.issue(&["valet.example.invalid"], false));
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (out, took) = discover(&conf(
        dir.path(),
        &server.identity_url(),
        &format!("ca_certificates_file = {}", ca_file.display()),
    ));
    every_class_refused(
        dir.path(),
        &out,
        took,
        &[
            "it is not valid for the host name \"127.0.0.1\": it names valet.example.invalid; ",
            "reach the server by a name its certificate holds",
        ],
    );
}

#[test]
fn an_unreadable_ca_file_is_a_configuration_error_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let server = https_server(&ca.good());
    let missing = dir.path().join("absent.pem");
    let (out, _) = discover(&conf(
        dir.path(),
        &server.identity_url(),
        &format!("ca_certificates_file = {}", missing.display()),
    ));
    assert_eq!(out.status.code(), Some(1));
    let events = common::decode(&out.stdout);
    let tb = events
        .iter()
        .find_map(|e| e.file.as_ref().filter(|(n, _)| n == "traceback"))
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .unwrap();
    assert!(
        tb.contains(&format!(
            "tempest.exceptions.InvalidConfiguration: in setup_credentials: setting up the HTTP \
             client: [identity] ca_certificates_file {}: ",
            missing.display()
        )),
        "{tb}"
    );
}

/// `valet-suite serve` with `args`, once it says it serves: the child, its stderr lines so
/// far, and the rest of its stderr.
fn serve(
    args: &[&str],
) -> (
    Child,
    Vec<String>,
    std::io::Lines<BufReader<std::process::ChildStderr>>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("serving until");
        said.push(line);
        if done {
            break;
        }
    }
    (child, said, lines)
}

fn after<'l>(said: &'l [String], prefix: &str) -> &'l str {
    said.iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {said:#?}"))
}

/// SIGTERM to `child`, reading the rest of its stderr (`rest`) until it exits: it must exit 0.
fn stop(mut child: Child, rest: std::io::Lines<BufReader<std::process::ChildStderr>>) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let rest: Vec<String> = rest.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {rest:?}");
}

/// `valet-suite run` of the status class against `identity` with the CA file `ca`.
fn run_status(dir: &Path, identity: &str, ca: &Path, envs: &[(&str, &str)]) -> Output {
    let conf = conf(
        dir,
        identity,
        &format!("ca_certificates_file = {}", ca.display()),
    );
    valet(
        &[
            "--config-file",
            conf.to_str().unwrap(),
            "run",
            "--subunit",
            "--regex",
            r"test_status\.ValetStatusTest",
        ],
        envs,
    )
}

#[test]
fn serve_with_a_certificate_and_key_and_with_one_it_makes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let (cert, key) = ca.good();
    let (cert_file, key_file, ca_file) = (
        dir.path().join("server.pem"),
        dir.path().join("server.key"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert_file, cert).unwrap();
    std::fs::write(&key_file, key).unwrap();
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (child, said, rest) = serve(&[
        "--tls-cert",
        cert_file.to_str().unwrap(),
        "--tls-key",
        key_file.to_str().unwrap(),
    ]);
    let identity = after(&said, "valet-suite: identity (Keystone v3): ").to_owned();
    assert!(identity.starts_with("https://127.0.0.1:"), "{identity}");
    let out = run_status(dir.path(), &identity, &ca_file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(our_finals(&out.stdout).len() >= 5);
    stop(child, rest);

    let (child, said, rest) = serve(&["--tls-self-signed"]);
    let identity = after(&said, "valet-suite: identity (Keystone v3): ").to_owned();
    let made_ca = PathBuf::from(
        after(&said, "valet-suite: TLS: its CA certificate: ")
            .split(" (set [identity] ca_certificates_file to it)")
            .next()
            .unwrap(),
    );
    assert!(made_ca.is_file(), "{said:#?}");
    let out = run_status(dir.path(), &identity, &made_ca, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Our test CA does not vouch for the certificate the server made.
    let out = run_status(dir.path(), &identity, &ca_file, &[]);
    assert_eq!(out.status.code(), Some(1));
    stop(child, rest);
    assert!(
        !made_ca.exists(),
        "the CA file is removed when the server stops"
    );
}

#[test]
fn serve_refuses_a_key_that_is_not_the_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let (cert, _) = ca.good();
    let (_, other_key) = ca.good();
    let (cert_file, key_file) = (dir.path().join("server.pem"), dir.path().join("other.key"));
    std::fs::write(&cert_file, cert).unwrap();
    std::fs::write(&key_file, other_key).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS: "), "{err}");
    assert!(err.contains("do not go together"), "{err}");
}

/// A CONNECT proxy on loopback that records the targets it was asked for and relays bytes.
fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split(' ').next())
                else {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                    return;
                };
                log.lock().unwrap().push(target.to_owned());
                let Ok(upstream) = TcpStream::connect(target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut c, mut u) = (client, upstream);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut c, &mut u);
                let _ = u.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (url, seen)
}

#[test]
fn https_proxy_from_the_environment_is_used_unless_no_proxy_names_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("valet-suite test CA");
    let server = https_server(&ca.good());
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (proxy, seen) = connect_proxy();
    let out = run_status(
        dir.path(),
        &server.identity_url(),
        &ca_file,
        &[("HTTPS_PROXY", &proxy)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = server.addr().to_string();
    let tunnels = seen.lock().unwrap().clone();
    assert!(!tunnels.is_empty());
    assert!(tunnels.iter().all(|t| *t == target), "{tunnels:?}");
    seen.lock().unwrap().clear();
    let out = run_status(
        dir.path(),
        &server.identity_url(),
        &ca_file,
        &[("HTTPS_PROXY", &proxy), ("NO_PROXY", "127.0.0.1")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn a_system_without_cas_still_reaches_http_and_refuses_https_with_the_option_named() {
    let no_cas = [
        ("SSL_CERT_FILE", "/nonexistent-valet-suite-ca.pem"),
        ("SSL_CERT_DIR", "/nonexistent-valet-suite-ca-dir"),
    ];
    // The embedded cloud over plain HTTP: no CA is needed.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.conf");
    std::fs::write(&empty, "").unwrap();
    let out = valet(
        &[
            "--config-file",
            empty.to_str().unwrap(),
            "run",
            "--subunit",
            "--regex",
            r"test_status\.ValetStatusTest",
        ],
        &no_cas,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(our_finals(&out.stdout).len() >= 5);
    // HTTPS with no CA file: refused as from an unknown CA, saying which option to set.
    let server = https_server(&Ca::new("valet-suite test CA").good());
    let conf = conf(dir.path(), &server.identity_url(), "");
    let t = Instant::now();
    let out = valet(
        &["--config-file", conf.to_str().unwrap(), "discover"],
        &no_cas,
    );
    every_class_refused(
        dir.path(),
        &out,
        t.elapsed(),
        &[
            "it is signed by an unknown certificate authority",
            "set [identity] ca_certificates_file",
        ],
    );
}
