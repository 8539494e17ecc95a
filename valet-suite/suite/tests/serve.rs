//! `valet-suite serve --db PATH`: the store on disk kept by a process stopped by SIGTERM, and a
//! port in use reported.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::http::{client, get, token};

#[test]
fn serve_runs_until_sigterm_and_keeps_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let run = |expect_group: bool| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut identity = None;
        let mut saw_credentials = false;
        let mut saw_reach = false;
        for line in lines.by_ref() {
            let line = line.unwrap();
            saw_reach |= line.starts_with("valet-suite: listening on 127.0.0.1:")
                && line.ends_with("(loopback only: no other machine can reach it)");
            if let Some(u) = line.strip_prefix("valet-suite: identity (Keystone v3): ") {
                identity = Some(u.to_string());
            }
            if line.contains(
                "admin credentials: username admin password admin project admin domain Default",
            ) {
                saw_credentials = true;
            }
            if line.contains("serving until") {
                break;
            }
        }
        let identity = identity.expect("the identity URL on stderr");
        assert!(saw_credentials);
        assert!(saw_reach, "serve says it listens on loopback only");
        let c = client();
        let (tok, _) = token(&c, &identity);
        let valet = identity.replace("/identity/v3", "/placement/v1");
        if expect_group {
            let (status, g) = get(&c, &format!("{valet}/groups/from-serve"), &tok);
            assert_eq!(status, 200);
            assert_eq!(g["group"]["type"], "affinity");
        } else {
            let r = c
                .post(format!("{valet}/groups"))
                .header("X-Auth-Token", &tok)
                .json(&json!({"name": "from-serve", "type": "affinity", "level": "rack"}))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}: {rest:?}");
        assert!(
            rest.iter().any(|l| l.contains("server stopped")),
            "{rest:?}"
        );
    };
    run(false);
    run(true);
}

#[test]
fn serve_reports_a_port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_valet-suite"))
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
}
