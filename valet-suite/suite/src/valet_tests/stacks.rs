//! What the scenario tests do with Heat and Nova: our own templates, written from the
//! topology a test's name states; stacks created, waited for, updated and deleted within the
//! orchestration options' bounds; and the placement checked as the original checker meant
//! to: every group at every nesting level with its own type and level, hosts read through
//! Nova, racks from the inventory (Nova's aggregates), exclusivity against every other server.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempest_framework::config::Config;
use tempest_framework::failure::Failure;

use crate::client::ValetClient;
use crate::client::http::encode_component;
use crate::options::{compute, orchestration, valet};

/// The file key of the nested template, as python-heatclient names a local file.
pub(crate) const LEVEL_FILE: &str = "file:///valet-suite/scenario/level.yaml";

/// A Valet group of a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct G {
    /// `affinity`, `diversity` or `exclusivity`.
    pub kind: &'static str,
    /// `host` or `rack`.
    pub level: &'static str,
    /// For an inner group: one group shared by every nested stack (else one per stack).
    pub shared: bool,
}

/// A topology: outer groups over every server, inner groups per nested stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topology {
    pub outer: Vec<G>,
    pub inner: Vec<G>,
    /// Servers at the top level.
    pub top: usize,
    /// Nested stacks.
    pub nested: usize,
    /// Servers in each nested stack.
    pub per_stack: usize,
    /// Networks, subnets, ports and security groups beside the servers.
    pub resources: bool,
}

fn kinds(part: &str) -> Vec<G> {
    let mut level = "host";
    let mut out = Vec::new();
    for tok in part.split('_') {
        match tok {
            "rack" | "host" => level = if tok == "rack" { "rack" } else { "host" },
            "affinity" | "diversity" | "exclusivity" => {
                let kind = match tok {
                    "affinity" => "affinity",
                    "diversity" => "diversity",
                    _ => "exclusivity",
                };
                out.push(G {
                    kind,
                    level,
                    shared: false,
                });
            }
            _ => {}
        }
    }
    out
}

/// The topology a test's name states (`test_<outer>_nested_<inner>_<n>_instances`: an outer
/// group over nested stacks each holding `n` servers in groups of their own), with levels
/// chosen so that one placement exists where the name leaves them open.
pub(crate) fn topology(method: &str) -> Topology {
    let name = method.trim_start_matches("test_");
    let count = if name.contains("three") {
        3
    } else if name.contains("two") {
        2
    } else {
        1
    };
    let resources = name.contains("multiple_resource_types");
    if name.contains("one_instance_nested_one_instance") {
        return Topology {
            outer: kinds(name.split("_one_instance").next().unwrap_or(name)),
            inner: Vec::new(),
            top: 1,
            nested: 1,
            per_stack: 1,
            resources,
        };
    }
    let (mut outer, mut inner) = match name.split_once("_nested_") {
        Some((o, i)) => (kinds(o), kinds(i)),
        None => {
            let mut all = kinds(name);
            let rest = all.split_off(1.min(all.len()));
            (all, rest)
        }
    };
    let nested_name = name.contains("_nested_") || !inner.is_empty();
    let (top, nested, per_stack) = if nested_name {
        (0, 2, count)
    } else {
        (2, 0, 0)
    };
    for o in &mut outer {
        for i in &mut inner {
            match (o.kind, i.kind) {
                // Every server together and each stack's alone: one group for them all.
                ("affinity", "exclusivity") => i.shared = true,
                ("affinity", "diversity") if per_stack > 1 => {
                    o.level = "rack";
                    i.level = "host";
                }
                ("diversity", "affinity") if per_stack > 1 => {
                    o.level = "host";
                    i.level = "rack";
                }
                _ => {}
            }
        }
    }
    Topology {
        outer,
        inner,
        top,
        nested,
        per_stack,
        resources,
    }
}

/// A stack to create: its template, the nested template's text, the environment's
/// parameters, and what the servers must honour.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub template: String,
    pub files: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, Value>,
    /// Group name → (type, level).
    pub groups: BTreeMap<String, (&'static str, &'static str)>,
    /// Server name → the names of its groups.
    pub servers: BTreeMap<String, Vec<String>>,
}

fn server_def(name: Value, groups: Value, port: Option<&str>) -> Value {
    let networks = match port {
        Some(p) => json!([{"port": {"get_resource": p}}]),
        None => json!([{"network": {"get_param": "network"}}]),
    };
    json!({"type": "OS::Nova::Server", "properties": {
        "name": name, "image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
        "availability_zone": "nova", "networks": networks,
        "metadata": {"valet": {"groups": groups}}}})
}

/// A network `net{suffix}` with a subnet `subnet{suffix}` of `cidr`, into `res`.
pub(crate) fn net_and_subnet(res: &mut serde_json::Map<String, Value>, suffix: &str, cidr: &str) {
    res.insert(format!("net{suffix}"), json!({"type": "OS::Neutron::Net"}));
    res.insert(
        format!("subnet{suffix}"),
        json!({"type": "OS::Neutron::Subnet", "properties": {
            "network": {"get_resource": format!("net{suffix}")}, "cidr": cidr}}),
    );
}

/// Servers (and, with `resources`, a network, subnet, security group and a port each) into
/// `res`.
fn level_resources(
    res: &mut serde_json::Map<String, Value>,
    names: &[Value],
    groups: &[Value],
    resources: bool,
) {
    if resources {
        net_and_subnet(res, "", "10.10.0.0/24");
        res.insert(
            "secgroup".into(),
            json!({"type": "OS::Neutron::SecurityGroup", "properties": {
                "rules": [{"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]}}),
        );
    }
    for (j, (name, g)) in names.iter().zip(groups).enumerate() {
        let port = format!("port_{j}");
        if resources {
            res.insert(
                port.clone(),
                json!({"type": "OS::Neutron::Port", "depends_on": "subnet", "properties": {
                    "network": {"get_resource": "net"},
                    "security_groups": [{"get_resource": "secgroup"}]}}),
            );
        }
        res.insert(
            format!("server_{j}"),
            server_def(name.clone(), g.clone(), resources.then_some(port.as_str())),
        );
    }
}

/// The stack for `topo`, its groups named from `prefix` (random per test).
pub(crate) fn plan_stack(
    topo: &Topology,
    prefix: &str,
    config: &Config,
) -> Result<Planned, Failure> {
    let mut groups = BTreeMap::new();
    let mut servers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut parameters = BTreeMap::new();
    parameters.insert("flavor".into(), json!(config.get(compute::FLAVOR_REF)?));
    parameters.insert(
        "image".into(),
        json!(config.get(compute::IMAGE_REF)?.unwrap_or_default()),
    );
    parameters.insert(
        "network".into(),
        json!(config.get(compute::FIXED_NETWORK_NAME)?.unwrap_or_default()),
    );
    let mut outer_names = Vec::new();
    for (i, g) in topo.outer.iter().enumerate() {
        let n = format!("{prefix}-{}-{}-{i}", g.level, g.kind);
        groups.insert(n.clone(), (g.kind, g.level));
        outer_names.push(n);
    }
    let inner_name = |i: usize, g: &G, k: usize| {
        if g.shared {
            format!("{prefix}-in-{}-{}-{i}", g.level, g.kind)
        } else {
            format!("{prefix}-in{k}-{}-{}-{i}", g.level, g.kind)
        }
    };
    let mut top_params = serde_json::Map::new();
    for p in ["flavor", "image", "network"] {
        top_params.insert(p.into(), json!({"type": "string"}));
    }
    // The outer groups come in as parameters, from the environment.
    top_params.insert(
        "outer_groups".into(),
        json!({"type": "comma_delimited_list", "default": ""}),
    );
    parameters.insert("outer_groups".into(), json!(outer_names.join(",")));
    let mut res = serde_json::Map::new();
    let top_names: Vec<Value> = (0..topo.top)
        .map(|j| json!(format!("{prefix}-top-{j}")))
        .collect();
    for n in &top_names {
        servers.insert(n.as_str().unwrap_or_default().into(), outer_names.clone());
    }
    let top_groups: Vec<Value> = (0..topo.top)
        .map(|_| json!({"get_param": "outer_groups"}))
        .collect();
    level_resources(
        &mut res,
        &top_names,
        &top_groups,
        topo.resources && topo.nested == 0,
    );
    let mut files = BTreeMap::new();
    if topo.nested > 0 {
        let mut nres = serde_json::Map::new();
        let names: Vec<Value> = (0..topo.per_stack)
            .map(|j| json!({"get_param": ["names", j]}))
            .collect();
        let gs: Vec<Value> = (0..topo.per_stack)
            .map(|_| json!({"get_param": "groups"}))
            .collect();
        level_resources(&mut nres, &names, &gs, topo.resources);
        let level = json!({
            "heat_template_version": "2015-04-30",
            "description": "One level of a Valet scenario: servers in the groups it is given.",
            "parameters": {
                "names": {"type": "comma_delimited_list"},
                "groups": {"type": "comma_delimited_list"},
                "flavor": {"type": "string"}, "image": {"type": "string"},
                "network": {"type": "string"}},
            "resources": nres,
        });
        files.insert(
            LEVEL_FILE.to_string(),
            serde_yaml::to_string(&level).map_err(|e| Failure::runtime(e.to_string()))?,
        );
        for k in 0..topo.nested {
            let mut gnames = outer_names.clone();
            for (i, g) in topo.inner.iter().enumerate() {
                let n = inner_name(i, g, k);
                groups.insert(n.clone(), (g.kind, g.level));
                gnames.push(n);
            }
            let names: Vec<String> = (0..topo.per_stack)
                .map(|j| format!("{prefix}-n{k}-{j}"))
                .collect();
            for n in &names {
                servers.insert(n.clone(), gnames.clone());
            }
            let mut def = json!({"type": LEVEL_FILE, "properties": {
                "names": names.join(","), "groups": gnames.join(","),
                "flavor": {"get_param": "flavor"}, "image": {"get_param": "image"},
                "network": {"get_param": "network"}}});
            if k > 0 {
                def["depends_on"] = json!(format!("stack_{}", k - 1));
            }
            res.insert(format!("stack_{k}"), def);
        }
    }
    let template = json!({
        "heat_template_version": "2015-04-30",
        "description": format!("Valet scenario {prefix}"),
        "parameters": top_params,
        "resources": res,
    });
    Ok(Planned {
        template: serde_yaml::to_string(&template).map_err(|e| Failure::runtime(e.to_string()))?,
        files,
        parameters,
        groups,
        servers,
    })
}

// ---- the calls ----

/// How long to wait, and how often to look.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waits {
    pub interval: Duration,
    pub timeout: Duration,
    pub pause: Duration,
    pub tries_to_show: i64,
}

impl Waits {
    pub(crate) fn from_config(config: &Config) -> Result<Waits, Failure> {
        let secs = |s: i64| Duration::from_secs(u64::try_from(s).unwrap_or(0));
        Ok(Waits {
            interval: secs(config.get(orchestration::BUILD_INTERVAL)?),
            timeout: secs(config.get(orchestration::BUILD_TIMEOUT)?),
            pause: secs(config.get(valet::PAUSE)?.unwrap_or(5)),
            tries_to_show: config
                .get(valet::TRIES_TO_SHOW_SERVER)?
                .unwrap_or(10)
                .max(1),
        })
    }
}

/// A zero interval (the embedded cloud) still yields briefly between polls.
fn nap(d: Duration) {
    std::thread::sleep(d.max(Duration::from_millis(5)));
}

/// Heat and Nova, at the catalog's endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Cloud {
    pub heat: ValetClient,
    pub nova: ValetClient,
    pub waits: Waits,
}

impl Cloud {
    /// `POST /stacks` (201): the stack's id.
    pub(crate) fn create_stack(&self, name: &str, p: &Planned) -> Result<String, Failure> {
        let body = json!({"stack_name": name, "template": p.template, "files": p.files,
                          "environment": {"parameters": p.parameters},
                          "disable_rollback": true});
        let r = self.heat.call("POST", "/stacks", Some(&body), 201)?;
        r.pointer("/stack/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Failure::assertion(format!("no stack id in {r}")))
    }

    /// `PUT /stacks/{name}/{id}` (202).
    pub(crate) fn update_stack(&self, name: &str, id: &str, p: &Planned) -> Result<(), Failure> {
        let body = json!({"template": p.template, "files": p.files,
                          "environment": {"parameters": p.parameters}});
        self.heat.call(
            "PUT",
            &format!("/stacks/{}/{id}", encode_component(name)),
            Some(&body),
            202,
        )?;
        Ok(())
    }

    /// `DELETE /stacks/{name}/{id}` (204), then waits for `DELETE_COMPLETE` (or its 404).
    pub(crate) fn delete_stack(&self, name: &str, id: &str) -> Result<(), Failure> {
        let path = format!("/stacks/{}/{id}", encode_component(name));
        let (_, resp) = self.heat.raw("DELETE", &path, None, None)?;
        if resp.status == 404 {
            return Ok(());
        }
        if resp.status != 204 {
            return Err(Failure::http(
                resp.status,
                format!("deleting stack {name}: {} {}", resp.status, resp.body),
            ));
        }
        self.wait(name, id, "DELETE_COMPLETE").map(drop)
    }

    /// Polls the stack until `want`; a `*_FAILED` fails with its `stack_status_reason`, and
    /// `[orchestration] build_timeout` bounds the wait.
    pub(crate) fn wait(&self, name: &str, id: &str, want: &str) -> Result<Value, Failure> {
        let deadline = Instant::now() + self.waits.timeout;
        let path = format!("/stacks/{}/{id}", encode_component(name));
        loop {
            let (_, resp) = self.heat.raw("GET", &path, None, None)?;
            if resp.status == 404 && want == "DELETE_COMPLETE" {
                return Ok(Value::Null);
            }
            if resp.status != 200 {
                return Err(Failure::http(
                    resp.status,
                    format!("showing stack {name}: {} {}", resp.status, resp.body),
                ));
            }
            let body: Value = resp
                .json()
                .map_err(|e| Failure::assertion(format!("stack {name}: not JSON: {e}")))?;
            let status = body
                .pointer("/stack/stack_status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if status == want {
                return Ok(body["stack"].clone());
            }
            if status.ends_with("_FAILED") {
                return Err(Failure::new(
                    "StackBuildErrorException",
                    format!(
                        "Stack {name} ({id}) went to status {status} due to '{}'",
                        body.pointer("/stack/stack_status_reason")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    ),
                ));
            }
            if Instant::now() >= deadline {
                return Err(Failure::new(
                    "TimeoutException",
                    format!(
                        "Stack {name} ({id}) failed to reach {want} status (current {status}) \
                         within the required time ({} s).",
                        self.waits.timeout.as_secs()
                    ),
                ));
            }
            nap(self.waits.interval);
        }
    }

    /// Every server Nova shows the caller (all projects, as an admin): name → server.
    pub(crate) fn servers(&self) -> Result<Vec<Value>, Failure> {
        let r = self
            .nova
            .call("GET", "/servers/detail?all_tenants=1", None, 200)?;
        Ok(r["servers"].as_array().cloned().unwrap_or_default())
    }

    /// `GET /servers/{id}`, retried (`[valet] TRIES_TO_SHOW_SERVER`, `PAUSE` apart) until it
    /// shows a host.
    pub(crate) fn show_host(&self, id: &str) -> Result<Value, Failure> {
        let mut last = Value::Null;
        for _ in 0..self.waits.tries_to_show {
            let r = self.nova.call(
                "GET",
                &format!("/servers/{}", encode_component(id)),
                None,
                200,
            )?;
            if r.pointer("/server/OS-EXT-SRV-ATTR:host")
                .and_then(Value::as_str)
                .is_some()
            {
                return Ok(r["server"].clone());
            }
            last = r;
            nap(self.waits.pause);
        }
        Err(Failure::assertion(format!(
            "server {id} shows no host (OS-EXT-SRV-ATTR:host) after {} tries: {last}",
            self.waits.tries_to_show
        )))
    }

    /// The rack of every host, from Nova's aggregates (one per rack, metadata `rack`).
    pub(crate) fn racks(&self) -> Result<HashMap<String, String>, Failure> {
        let r = self.nova.call("GET", "/os-aggregates", None, 200)?;
        let mut out = HashMap::new();
        for a in r["aggregates"].as_array().into_iter().flatten() {
            let Some(rack) = a.pointer("/metadata/rack").and_then(Value::as_str) else {
                continue;
            };
            for h in a["hosts"].as_array().into_iter().flatten() {
                if let Some(h) = h.as_str() {
                    out.insert(h.to_string(), rack.to_string());
                }
            }
        }
        Ok(out)
    }
}

// ---- the checks ----

/// The Valet groups a server's Nova metadata names (`metadata.valet`, a JSON string); none
/// when it has no such key.
fn valet_groups(server: &Value) -> Vec<String> {
    let Some(raw) = server.pointer("/metadata/valet") else {
        return Vec::new();
    };
    let parsed = match raw {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    parsed["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(str::to_string))
        .collect()
}

/// Checks every group of `planned` on the servers Nova shows, naming the group, its rule and
/// the hosts of a violation.
pub(crate) fn check_placement(cloud: &Cloud, planned: &Planned) -> Result<(), Failure> {
    let all = cloud.servers()?;
    let racks = cloud.racks()?;
    // Our servers, each shown (for its host) as the original did.
    let mut ours: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (name, want) in &planned.servers {
        let listed = all
            .iter()
            .find(|s| s["name"].as_str() == Some(name))
            .ok_or_else(|| Failure::assertion(format!("server {name} is not in Nova's list")))?;
        let id = listed["id"].as_str().unwrap_or_default();
        let shown = cloud.show_host(id)?;
        let host = shown["OS-EXT-SRV-ATTR:host"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let groups = valet_groups(&shown);
        for g in want {
            if !groups.contains(g) {
                return Err(Failure::assertion(format!(
                    "server {name}: its metadata names Valet groups {groups:?}, not {g}"
                )));
            }
        }
        ours.insert(name.clone(), (host, groups));
    }
    // Every server in Nova on a host: (name, host, groups), for exclusivity.
    let everyone: Vec<(String, String, Vec<String>)> = all
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["OS-EXT-SRV-ATTR:host"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                valet_groups(s),
            )
        })
        .collect();
    let unit = |host: &str, level: &str| -> Result<String, Failure> {
        if level == "rack" {
            racks.get(host).cloned().ok_or_else(|| {
                Failure::assertion(format!("host {host} is in no rack of Nova's aggregates"))
            })
        } else {
            Ok(host.to_string())
        }
    };
    for (group, (kind, level)) in &planned.groups {
        let members: Vec<(&String, &String)> = ours
            .iter()
            .filter(|(_, (_, gs))| gs.contains(group))
            .map(|(n, (h, _))| (n, h))
            .collect();
        let mut units: Vec<(String, &String, &String)> = Vec::new();
        for (n, h) in &members {
            units.push((unit(h, level)?, n, h));
        }
        let shown = |u: &[(String, &String, &String)]| {
            u.iter()
                .map(|(unit, n, h)| {
                    if level == &"rack" {
                        format!("{n} on {h} (rack {unit})")
                    } else {
                        format!("{n} on {h}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fail = |what: &str, u: &[(String, &String, &String)]| {
            Failure::assertion(format!(
                "group {group} ({kind} at level {level}): {what}: {}",
                shown(u)
            ))
        };
        match *kind {
            "affinity" => {
                if units.iter().any(|u| u.0 != units[0].0) {
                    return Err(fail(&format!("members are not on one {level}"), &units));
                }
            }
            "diversity" => {
                for (i, a) in units.iter().enumerate() {
                    if let Some(b) = units[i + 1..].iter().find(|b| b.0 == a.0) {
                        return Err(fail(
                            &format!("two members share a {level}"),
                            &[a.clone(), b.clone()],
                        ));
                    }
                }
            }
            _ => {
                for (u, n, h) in &units {
                    for (other, oh, ogs) in &everyone {
                        if oh.is_empty() || ogs.contains(group) {
                            continue;
                        }
                        if &unit(oh, level)? == u {
                            return Err(Failure::assertion(format!(
                                "group {group} (exclusivity at level {level}): {other} on {oh}, \
                                 not a member, shares {level} {u} with member {n} on {h}"
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
