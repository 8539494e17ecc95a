//! The cloud under load, on a store file: 64 clients at once, each creating, reading, updating
//! and deleting groups, members, plans and stacks for a fixed number of rounds, while another
//! connection to the same SQLite file holds a read transaction open the whole time and takes
//! the write lock three times for 200 ms. No answer is a 5xx or other than the expected one,
//! and reading everything back finds exactly the rows the clients left, none twice; the
//! latencies (p50, p99) and the throughput are printed.
//!
//! `cargo test` runs 2 rounds per client; the figures in `RELIABILITY.md` come from
//! `VALET_LOAD_ROUNDS=20 cargo test --release -p valet-cloud --test cloud -- server_load
//! --nocapture` (with `CARGO_PROFILE_RELEASE_LTO=false` for a shorter build).

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};
use valet_cloud::{HeatOptions, Inventory, ServerOptions, start};

use crate::common::http::{client, get, names, server_hosts, token};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const STACK: &str = r"
heat_template_version: 2015-04-30
parameters:
  count: {type: number, default: 1}
resources:
  servers:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Nova::Server
        properties: {image: TestVM, flavor: m1.tiny}
";

/// One client's view: its URLs, token and the time of every request.
struct Load {
    c: Client,
    tok: String,
    valet: String,
    heat: String,
    latencies: Vec<Duration>,
}

impl Load {
    /// Sends `rb`, records its time, and asserts its status is `want`; the body.
    fn call(&mut self, what: &str, rb: RequestBuilder, want: u16) -> Value {
        let t = Instant::now();
        let r = rb
            .header("X-Auth-Token", &self.tok)
            .send()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        self.latencies.push(t.elapsed());
        assert!(status < 500, "{what}: {status} {text}");
        assert_eq!(status, want, "{what}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// One round of client `k`: everything made, read and updated; deleted again unless it is
    /// the last round.
    fn round(&mut self, k: usize, r: usize, tenant: &str, last: bool) {
        let (c, valet, heat) = (self.c.clone(), self.valet.clone(), self.heat.clone());
        let g = format!("g{k}-{r}");
        let body = json!({"name": g, "type": "diversity", "level": "host"});
        self.call(
            "group create",
            c.post(format!("{valet}/groups")).json(&body),
            201,
        );
        let got = self.call("group show", c.get(format!("{valet}/groups/{g}")), 200);
        assert_eq!(got["group"]["name"], g.as_str());
        let body = json!({"description": format!("d{k}-{r}")});
        self.call(
            "group update",
            c.put(format!("{valet}/groups/{g}")).json(&body),
            201,
        );
        let body = json!({"members": [tenant]});
        self.call(
            "members add",
            c.put(format!("{valet}/groups/{g}/members")).json(&body),
            201,
        );
        let server = |n: &str| {
            json!({"name": n, "type": "OS::Nova::Server", "properties": {"flavor": "m1.tiny",
                   "metadata": {"valet": {"groups": [g]}}}})
        };
        let stack_id = format!("ps{k}-{r}");
        let body = json!({"plan_name": format!("p{k}-{r}"), "stack_id": stack_id,
                          "resources": {format!("a{k}-{r}"): server("a")}});
        self.call(
            "plan create",
            c.post(format!("{valet}/plans")).json(&body),
            201,
        );
        self.call("plan show", c.get(format!("{valet}/plans/{stack_id}")), 200);
        let body = json!({"action": "update", "plan_name": format!("q{k}-{r}"),
                          "resources": {format!("a{k}-{r}"): server("a"),
                                        format!("b{k}-{r}"): server("b")}});
        let plan = self.call(
            "plan update",
            c.put(format!("{valet}/plans/{stack_id}")).json(&body),
            201,
        );
        let p = &plan["plan"]["placements"];
        let (a, b) = (&p[format!("a{k}-{r}")], &p[format!("b{k}-{r}")]);
        assert_ne!(a["location"], b["location"], "diversity broken: {plan}");
        let s = format!("s{k}-{r}");
        let body = json!({"stack_name": s, "template": STACK});
        let made = self.call(
            "stack create",
            c.post(format!("{heat}/stacks")).json(&body),
            201,
        );
        let id = made["stack"]["id"].as_str().unwrap().to_string();
        self.call("stack show", c.get(format!("{heat}/stacks/{s}/{id}")), 200);
        let body = json!({"template": STACK, "parameters": {"count": 2}});
        self.call(
            "stack update",
            c.put(format!("{heat}/stacks/{s}/{id}")).json(&body),
            202,
        );
        let shown = self.call("stack show", c.get(format!("{heat}/stacks/{s}/{id}")), 200);
        assert_eq!(shown["stack"]["stack_status"], "UPDATE_COMPLETE", "{shown}");
        if !last {
            self.call(
                "stack delete",
                c.delete(format!("{heat}/stacks/{s}/{id}")),
                204,
            );
            self.call(
                "plan delete",
                c.delete(format!("{valet}/plans/{stack_id}")),
                204,
            );
            self.call(
                "member delete",
                c.delete(format!("{valet}/groups/{g}/members/{tenant}")),
                204,
            );
            self.call("group delete", c.delete(format!("{valet}/groups/{g}")), 204);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
fn sixty_four_clients_lose_and_duplicate_nothing() {
    let clients = env("VALET_LOAD_CLIENTS", 64);
    let rounds = env("VALET_LOAD_ROUNDS", 2).max(1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("load.sqlite");
    let server = start(ServerOptions {
        db: Some(db.clone()),
        inventory: Inventory::grid(8, 8, 64, 1 << 20, 100_000),
        heat: HeatOptions {
            action_time: Duration::ZERO,
            ..HeatOptions::default()
        },
        ..ServerOptions::default()
    })
    .unwrap();
    let c = client();
    let (tok, tenant) = token(&c, &server.identity_url());
    let base = server.base_url();

    // Another connection to the file: a read transaction open throughout, and the write lock
    // taken three times for 200 ms while the clients run.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let reader = rusqlite::Connection::open(&db).unwrap();
            reader.execute_batch("BEGIN").unwrap();
            let n: i64 = reader
                .query_row("SELECT count(*) FROM groups", [], |r| r.get(0))
                .unwrap();
            let writer = rusqlite::Connection::open(&db).unwrap();
            writer.busy_timeout(Duration::from_secs(10)).unwrap();
            for _ in 0..3 {
                std::thread::sleep(Duration::from_millis(150));
                writer.execute_batch("BEGIN IMMEDIATE").unwrap();
                std::thread::sleep(Duration::from_millis(200));
                writer.execute_batch("COMMIT").unwrap();
            }
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            reader.execute_batch("COMMIT").unwrap();
            n
        })
    };

    let barrier = Arc::new(Barrier::new(clients + 1));
    let workers: Vec<_> = (0..clients)
        .map(|k| {
            let (tok, tenant, base, barrier) =
                (tok.clone(), tenant.clone(), base.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut load = Load {
                    c: client(),
                    tok,
                    valet: format!("{base}/placement/v1"),
                    heat: format!("{base}/orchestration/v1/{tenant}"),
                    latencies: Vec::new(),
                };
                barrier.wait();
                for r in 0..rounds {
                    load.round(k, r, &tenant, r + 1 == rounds);
                }
                load.latencies
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let wall = t.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        other.join().unwrap(),
        0,
        "the reader saw the groups made after it began"
    );

    // Everything read back: exactly what the last rounds left, nothing twice.
    let last = rounds - 1;
    let want =
        |p: &str| -> BTreeSet<String> { (0..clients).map(|k| format!("{p}{k}-{last}")).collect() };
    let valet = format!("{base}/placement/v1");
    let heat = format!("{base}/orchestration/v1/{tenant}");
    assert_eq!(
        names(&c, &format!("{valet}/groups"), &tok, "groups", "name"),
        want("g")
    );
    let (_, groups) = get(&c, &format!("{valet}/groups"), &tok);
    for g in groups["groups"].as_array().unwrap() {
        let k = &g["name"].as_str().unwrap()[1..];
        assert_eq!(g["description"], format!("d{k}").as_str(), "{g}");
        assert_eq!(g["members"], json!([tenant]), "{g}");
    }
    // The clients' own plans, and the one Heat made for each kept stack's ResourceGroup
    // (named after its nested stack, `s<k>-<round>-servers-<id>`).
    let (own, by_heat): (BTreeSet<String>, BTreeSet<String>) =
        names(&c, &format!("{valet}/plans"), &tok, "plans", "name")
            .into_iter()
            .partition(|p| p.starts_with('q'));
    assert_eq!(own, want("q"));
    let heat_plans: BTreeSet<String> = by_heat
        .iter()
        .map(|p| p.split("-servers-").next().unwrap().to_string())
        .collect();
    assert_eq!((by_heat.len(), heat_plans), (clients, want("s")));
    assert_eq!(
        names(&c, &format!("{heat}/stacks"), &tok, "stacks", "stack_name"),
        want("s")
    );
    let (_, placements) = get(&c, &format!("{valet}/placements"), &tok);
    let orch: Vec<&str> = placements["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["orchestration_id"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = orch.iter().copied().collect();
    assert_eq!(unique.len(), orch.len(), "a placement twice");
    // Each client's plan holds two servers, and each of its stacks' two servers has its own.
    assert_eq!(orch.len(), clients * 4, "placements: {}", orch.len());
    let servers = server_hosts(&c, &format!("{base}/compute/v2.1"), &tok);
    assert_eq!(servers.len(), clients * 2, "servers: {servers:?}");

    latencies.sort();
    let n = latencies.len();
    println!(
        "load: {clients} clients x {rounds} rounds, {n} requests in {:.2} s: {:.0} requests/s, \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; 0 errors, 0 rows lost or twice",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies[n - 1].as_secs_f64() * 1e3,
    );
}
