//! The server killed (`SIGKILL`, as `kill -9`) in the middle of a write load, then started
//! again on the same `--db`: it opens, the file passes SQLite's integrity check, and every
//! write it acknowledged (a 2xx) is there: groups (Valet) and stacks with their servers (Heat
//! and Nova).
//!
//! The server killed is a process of its own: this test binary run again with
//! `KILL_CHILD_DB` set, which makes [`child_server`] serve on that file until it is killed.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use valet_cloud::{ServerOptions, start};

use crate::common::http::{client, names, server_hosts, token};

const CHILD_DB: &str = "KILL_CHILD_DB";

/// Not a test of its own: run by [`killed_mid_load_every_acknowledged_write_is_kept`] in a
/// child process (with `KILL_CHILD_DB` set), it serves until killed; run without it, it
/// returns at once.
#[test]
fn child_server() {
    let Some(db) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let server = start(ServerOptions {
        db: Some(db.into()),
        ..ServerOptions::default()
    })
    .unwrap();
    println!("LISTEN {}", server.base_url());
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// Starts [`child_server`] in a process of its own on `db`; the child and its base URL.
fn spawn_child(db: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "server_kill::child_server", "--nocapture"])
        .env(CHILD_DB, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("LISTEN ") {
            return (child, url.to_string());
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the child server ended before it listened");
}

const STACK: &str = r"
heat_template_version: 2015-04-30
resources:
  s:
    type: OS::Nova::Server
    properties: {image: TestVM, flavor: m1.tiny}
";

/// What the writers saw: the names acknowledged, and the names sent but never answered.
#[derive(Default)]
struct Seen {
    groups: Vec<String>,
    stacks: Vec<String>,
    unanswered: Vec<String>,
}

/// One writer: creates groups and (every fourth write) stacks until the server goes away.
fn writer(base: &str, tok: &str, tenant: &str, me: usize, round: usize, seen: &Mutex<Seen>) {
    let c = client();
    for i in 0.. {
        let name = format!("k{round}-{me}-{i}");
        let stack = i % 4 == 3;
        let rb = if stack {
            c.post(format!("{base}/orchestration/v1/{tenant}/stacks"))
                .json(&json!({"stack_name": name, "template": STACK}))
        } else {
            c.post(format!("{base}/placement/v1/groups"))
                .json(&json!({"name": name, "type": "diversity", "level": "host"}))
        };
        match rb.header("X-Auth-Token", tok).send() {
            Ok(r) if r.status().as_u16() == 201 => {
                let mut s = seen.lock().unwrap();
                if stack {
                    s.stacks.push(name);
                } else {
                    s.groups.push(name);
                }
            }
            Ok(r) => panic!("{name}: {} {}", r.status(), r.text().unwrap_or_default()),
            Err(_) => {
                seen.lock().unwrap().unanswered.push(name);
                return;
            }
        }
    }
}

#[test]
fn killed_mid_load_every_acknowledged_write_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("killed.sqlite");
    let c = client();
    let mut acked = Seen::default();
    let mut unanswered_kept = 0;
    for round in 0..3 {
        let (mut child, base) = spawn_child(&db);
        let (tok, tenant) = token(&c, &format!("{base}/identity/v3"));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let done = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..8)
            .map(|me| {
                let (base, tok, tenant, seen) =
                    (base.clone(), tok.clone(), tenant.clone(), seen.clone());
                let done = done.clone();
                std::thread::spawn(move || {
                    writer(&base, &tok, &tenant, me, round, &seen);
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // Killed once the load is well under way (at least 100 acknowledged writes).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let n = {
                let s = seen.lock().unwrap();
                s.groups.len() + s.stacks.len()
            };
            if n >= 100 {
                break;
            }
            assert!(Instant::now() < deadline, "only {n} writes in 30 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 8);
        let s = std::mem::take(&mut *seen.lock().unwrap());
        acked.groups.extend(s.groups);
        acked.stacks.extend(s.stacks);
        acked.unanswered.extend(s.unanswered);

        // The file is whole, and the server opens on it with everything acknowledged.
        let server = start(ServerOptions {
            db: Some(db.clone()),
            ..ServerOptions::default()
        })
        .unwrap();
        let base = server.base_url();
        let group_set = names(
            &c,
            &format!("{base}/placement/v1/groups"),
            &tok,
            "groups",
            "name",
        );
        for g in &acked.groups {
            assert!(group_set.contains(g), "acknowledged group {g} lost");
        }
        let stack_names = names(
            &c,
            &format!("{base}/orchestration/v1/{tenant}/stacks"),
            &tok,
            "stacks",
            "stack_name",
        );
        let servers = server_hosts(&c, &format!("{base}/compute/v2.1"), &tok);
        let server_names: HashSet<&str> = servers.iter().map(|(n, _)| n.as_str()).collect();
        for s in &acked.stacks {
            assert!(stack_names.contains(s), "acknowledged stack {s} lost");
            assert!(
                server_names.contains(format!("{s}-s").as_str()),
                "the server of acknowledged stack {s} lost"
            );
        }
        unanswered_kept = acked
            .unanswered
            .iter()
            .filter(|n| group_set.contains(*n) || stack_names.contains(*n))
            .count();
        server.shutdown();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    println!(
        "kill -9 x3: {} groups and {} stacks acknowledged, all kept; {} writes unanswered at the \
         kill, {} of them kept",
        acked.groups.len(),
        acked.stacks.len(),
        acked.unanswered.len(),
        unanswered_kept
    );
}
