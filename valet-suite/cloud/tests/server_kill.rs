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

use crate::common::http::{client, get, names, server_hosts, token};
use crate::common::{assert_intact, on_file};

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

/// What the writers saw: the writes acknowledged, and the names whose write was sent but
/// never answered (kept or not: no client was told).
#[derive(Default)]
struct Seen {
    groups: Vec<String>,
    stacks: Vec<String>,
    /// `(group, description)`, the last acknowledged for each group.
    described: Vec<(String, String)>,
    deleted_groups: Vec<String>,
    deleted_stacks: Vec<String>,
    unanswered: Vec<String>,
}

impl Seen {
    fn writes(&self) -> usize {
        self.groups.len()
            + self.stacks.len()
            + self.described.len()
            + self.deleted_groups.len()
            + self.deleted_stacks.len()
    }
}

/// One writer, until the server goes away: in each cycle of 8 writes, 4 groups and a stack
/// made, a group's description changed, a group and a stack deleted.
fn writer(base: &str, tok: &str, tenant: &str, me: usize, round: usize, seen: &Mutex<Seen>) {
    let c = client();
    let heat = format!("{base}/orchestration/v1/{tenant}/stacks");
    let valet = format!("{base}/placement/v1/groups");
    let (mut groups, mut stacks): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for i in 0.. {
        let name = format!("k{round}-{me}-{i}");
        let (target, rb) = match i % 8 {
            4 => (
                name.clone(),
                c.post(&heat)
                    .json(&json!({"stack_name": name, "template": STACK})),
            ),
            5 if !groups.is_empty() => {
                let g = groups[groups.len() - 1].clone();
                let rb = c
                    .put(format!("{valet}/{g}"))
                    .json(&json!({"description": name}));
                (g, rb)
            }
            6 if groups.len() > 1 => {
                let g = groups.remove(0);
                (g.clone(), c.delete(format!("{valet}/{g}")))
            }
            7 if !stacks.is_empty() => {
                let st = stacks.remove(0);
                (st.clone(), c.delete(format!("{heat}/{st}")))
            }
            _ => (
                name.clone(),
                c.post(&valet)
                    .json(&json!({"name": name, "type": "diversity", "level": "host"})),
            ),
        };
        let kind = match i % 8 {
            4 => 4,
            5 if target != name => 5,
            6 if target != name => 6,
            7 if target != name => 7,
            _ => 0,
        };
        let status = match rb.header("X-Auth-Token", tok).send() {
            Ok(r) => (r.status().as_u16(), r.text().unwrap_or_default()),
            Err(_) => {
                seen.lock().unwrap().unanswered.push(target);
                return;
            }
        };
        let mut s = seen.lock().unwrap();
        match (kind, status.0) {
            (0, 201) => {
                groups.push(target.clone());
                s.groups.push(target);
            }
            (4, 201) => {
                stacks.push(target.clone());
                s.stacks.push(target);
            }
            (5, 201) => {
                s.described.retain(|(g, _)| *g != target);
                s.described.push((target, name));
            }
            (6, 204) => s.deleted_groups.push(target),
            (7, 204) => s.deleted_stacks.push(target),
            (_, code) => panic!("{target} ({kind}): {code} {}", status.1),
        }
    }
}

#[test]
fn killed_mid_load_every_acknowledged_write_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("killed.sqlite");
    let c = client();
    let mut acked = Seen::default();
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
        // Killed once the load is well under way (at least 150 acknowledged writes).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let n = seen.lock().unwrap().writes();
            if n >= 150 {
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
        acked.described.extend(s.described);
        acked.deleted_groups.extend(s.deleted_groups);
        acked.deleted_stacks.extend(s.deleted_stacks);
        acked.unanswered.extend(s.unanswered);
        let unsure = |n: &String| acked.unanswered.contains(n);

        // The file is whole, and the server opens on it with everything acknowledged.
        let server = start(on_file(&db)).unwrap();
        let base = server.base_url();
        let group_set = names(
            &c,
            &format!("{base}/placement/v1/groups"),
            &tok,
            "groups",
            "name",
        );
        for g in acked.groups.iter().filter(|g| !unsure(g)) {
            let deleted = acked.deleted_groups.contains(g);
            assert_eq!(
                group_set.contains(g),
                !deleted,
                "acknowledged group {g} (deleted: {deleted})"
            );
        }
        let (_, shown) = get(&c, &format!("{base}/placement/v1/groups"), &tok);
        for (g, d) in acked.described.iter().filter(|(g, _)| !unsure(g)) {
            if acked.deleted_groups.contains(g) {
                continue;
            }
            let found = shown["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == g.as_str())
                .unwrap();
            assert_eq!(
                found["description"],
                d.as_str(),
                "acknowledged update of {g}"
            );
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
        for s in acked.stacks.iter().filter(|s| !unsure(s)) {
            let deleted = acked.deleted_stacks.contains(s);
            assert_eq!(
                stack_names.contains(s),
                !deleted,
                "acknowledged stack {s} (deleted: {deleted})"
            );
            assert_eq!(
                server_names.contains(format!("{s}-s").as_str()),
                !deleted,
                "the server of acknowledged stack {s} (deleted: {deleted})"
            );
        }
        server.shutdown();
        assert_intact(&db);
    }
    println!(
        "kill -9 x3: {} writes acknowledged ({} groups and {} stacks made, {} groups changed, \
         {} groups and {} stacks deleted), all kept; {} writes unanswered at the kill (applied \
         or not: no client was told)",
        acked.writes(),
        acked.groups.len(),
        acked.stacks.len(),
        acked.described.len(),
        acked.deleted_groups.len(),
        acked.deleted_stacks.len(),
        acked.unanswered.len(),
    );
}
