//! `TestStackUpdatesNonValet`: stacks with no Valet group, updated (description, flavor,
//! servers added and removed, a `ResourceGroup`'s count, Nova server groups added, removed,
//! moved between and their policy changed, networks and security rules), each update checked
//! after `UPDATE_COMPLETE`: what changed shows in Heat or Nova, and every Nova server group's
//! policy holds on the hosts Nova shows.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tempest_framework::config::Config;
use tempest_framework::failure::Failure;

use super::stacks::{Cloud, LEVEL_FILE, Planned};
use crate::options::compute;

/// One state of an update test's stack.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub description: &'static str,
    pub flavor: &'static str,
    /// Nova server groups: (label, policy).
    pub groups: Vec<(&'static str, &'static str)>,
    /// The servers, each with the label of its server group, if any.
    pub servers: Vec<Option<&'static str>>,
    /// The servers made by a `ResourceGroup` of a nested template (all in `servers[0]`'s
    /// group), rather than one by one.
    pub nested: bool,
    /// A second network (and a port on it for the first server).
    pub extra_network: bool,
    /// The security group's rule port.
    pub rule_port: u16,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            description: "before",
            flavor: "m1.tiny",
            groups: Vec::new(),
            servers: vec![None],
            nested: false,
            extra_network: false,
            rule_port: 22,
        }
    }
}

fn s(n: usize) -> Vec<Option<&'static str>> {
    vec![None; n]
}

fn g(labels: &[Option<&'static str>]) -> Vec<Option<&'static str>> {
    labels.to_vec()
}

const A: Option<&str> = Some("a");
const B: Option<&str> = Some("b");

/// The shapes before and after the update, by test name.
pub(crate) fn shapes(method: &str) -> (Shape, Shape) {
    let d = Shape::default;
    let anti = |servers| Shape {
        groups: vec![("a", "anti-affinity")],
        servers,
        ..d()
    };
    let nested = |n: usize, group: bool| Shape {
        groups: if group {
            vec![("a", "anti-affinity")]
        } else {
            Vec::new()
        },
        servers: vec![if group { A } else { None }; n],
        nested: true,
        ..d()
    };
    let net = |extra_network, rule_port| Shape {
        servers: s(2),
        extra_network,
        rule_port,
        ..d()
    };
    let name = method.trim_start_matches("test_updates_");
    match name {
        "no_groups_upd_desc" => (
            d(),
            Shape {
                description: "after",
                ..d()
            },
        ),
        "no_groups_upd_flavor" => (
            d(),
            Shape {
                flavor: "m1.small",
                ..d()
            },
        ),
        "no_groups_add_server" => (
            d(),
            Shape {
                servers: s(2),
                ..d()
            },
        ),
        "no_groups_remove_server" => (
            Shape {
                servers: s(2),
                ..d()
            },
            d(),
        ),
        "nova_group_add_server" => (anti(g(&[A, A])), anti(g(&[A, A, A]))),
        "nova_group_remove_server" => (anti(g(&[A, A, A])), anti(g(&[A, A]))),
        "nova_group_upd_flavor" => (
            anti(g(&[A, A])),
            Shape {
                flavor: "m1.small",
                ..anti(g(&[A, A]))
            },
        ),
        "nova_group_add_group" => (
            anti(g(&[A, A])),
            Shape {
                groups: vec![("a", "anti-affinity"), ("b", "affinity")],
                servers: g(&[A, A, B, B]),
                ..d()
            },
        ),
        "nova_group_remove_group" => (
            Shape {
                groups: vec![("a", "anti-affinity"), ("b", "affinity")],
                servers: g(&[A, A, B, B]),
                ..d()
            },
            Shape {
                groups: vec![("a", "anti-affinity")],
                servers: g(&[A, A, None, None]),
                ..d()
            },
        ),
        "nova_group_move_server" => {
            let both = |servers| Shape {
                groups: vec![("a", "anti-affinity"), ("b", "affinity")],
                servers,
                ..d()
            };
            (both(g(&[A, A, B])), both(g(&[A, B, B])))
        }
        "nova_group_remove_group_assignment" => (anti(g(&[A, A])), anti(g(&[A, None]))),
        "nova_group_upd_group_policy" => (
            anti(g(&[A, A])),
            Shape {
                groups: vec![("a", "affinity")],
                ..anti(g(&[A, A]))
            },
        ),
        "multiple_resources_remove_network" => (net(true, 22), net(false, 22)),
        "multiple_resources_upd_security_rule" => (net(false, 22), net(false, 80)),
        "nested_add_server" => (nested(1, false), nested(2, false)),
        "nested_remove_server" => (nested(2, false), nested(1, false)),
        "nested_increase_inner_instance_count" => (nested(2, false), nested(3, false)),
        "nested_decrease_inner_instance_count" => (nested(3, false), nested(2, false)),
        "nested_nova_group_add_server" => (nested(2, true), nested(3, true)),
        "nested_nova_group_remove_server" => (nested(3, true), nested(2, true)),
        "nested_nova_group_upd_flavor" => (
            nested(2, true),
            Shape {
                flavor: "m1.small",
                ..nested(2, true)
            },
        ),
        "nested_upd_desc" => (
            nested(2, false),
            Shape {
                description: "after",
                ..nested(2, false)
            },
        ),
        "nested_upd_flavor" => (
            nested(2, false),
            Shape {
                flavor: "m1.small",
                ..nested(2, false)
            },
        ),
        _ => (d(), d()),
    }
}

/// The stack of `shape`, its servers named from `prefix`.
pub(crate) fn plan(shape: &Shape, prefix: &str, config: &Config) -> Result<Planned, Failure> {
    let mut res = serde_json::Map::new();
    for (label, policy) in &shape.groups {
        res.insert(
            format!("group_{label}"),
            json!({"type": "OS::Nova::ServerGroup", "properties": {
                "name": format!("{prefix}-{label}"), "policies": [policy]}}),
        );
    }
    res.insert(
        "secgroup".into(),
        json!({"type": "OS::Neutron::SecurityGroup", "properties": {"rules": [
            {"protocol": "tcp", "port_range_min": shape.rule_port,
             "port_range_max": shape.rule_port}]}}),
    );
    if shape.extra_network {
        super::stacks::net_and_subnet(&mut res, "2", "10.20.0.0/24");
        res.insert(
            "port2".into(),
            json!({"type": "OS::Neutron::Port", "depends_on": "subnet2", "properties": {
                "network": {"get_resource": "net2"},
                "security_groups": [{"get_resource": "secgroup"}]}}),
        );
    }
    let hints = |label: Option<&str>| match label {
        Some(l) => json!({"group": {"get_resource": format!("group_{l}")}}),
        None => json!({}),
    };
    let mut files = BTreeMap::new();
    let mut servers = BTreeMap::new();
    if shape.nested {
        let inner = json!({
            "heat_template_version": "2015-04-30",
            "parameters": {"name": {"type": "string"}, "flavor": {"type": "string"},
                           "image": {"type": "string"}, "network": {"type": "string"},
                           "group": {"type": "string", "default": ""}},
            "resources": {"server": {"type": "OS::Nova::Server", "properties": {
                "name": {"get_param": "name"}, "image": {"get_param": "image"},
                "flavor": {"get_param": "flavor"},
                "networks": [{"network": {"get_param": "network"}}],
                "scheduler_hints": {"group": {"get_param": "group"}}}}},
        });
        files.insert(
            LEVEL_FILE.to_string(),
            serde_yaml::to_string(&inner).map_err(|e| Failure::runtime(e.to_string()))?,
        );
        let group = match shape.servers.first().copied().flatten() {
            Some(l) => json!({"get_resource": format!("group_{l}")}),
            None => json!(""),
        };
        res.insert(
            "servers".into(),
            json!({"type": "OS::Heat::ResourceGroup", "properties": {
                "count": shape.servers.len(),
                "resource_def": {"type": LEVEL_FILE, "properties": {
                    "name": format!("{prefix}-%index%"), "flavor": {"get_param": "flavor"},
                    "image": {"get_param": "image"}, "network": {"get_param": "network"},
                    "group": group}}}}),
        );
        for (i, l) in shape.servers.iter().enumerate() {
            servers.insert(
                format!("{prefix}-{i}"),
                l.map(str::to_string).into_iter().collect(),
            );
        }
    } else {
        for (i, l) in shape.servers.iter().enumerate() {
            let mut networks = vec![json!({"network": {"get_param": "network"}})];
            if shape.extra_network && i == 0 {
                networks.push(json!({"port": {"get_resource": "port2"}}));
            }
            res.insert(
                format!("server_{i}"),
                json!({"type": "OS::Nova::Server", "properties": {
                    "name": format!("{prefix}-{i}"), "image": {"get_param": "image"},
                    "flavor": {"get_param": "flavor"}, "networks": networks,
                    "scheduler_hints": hints(*l)}}),
            );
            servers.insert(
                format!("{prefix}-{i}"),
                l.map(str::to_string).into_iter().collect(),
            );
        }
    }
    let template = json!({
        "heat_template_version": "2015-04-30",
        "description": shape.description,
        "parameters": {"flavor": {"type": "string"}, "image": {"type": "string"},
                       "network": {"type": "string"}},
        "resources": res,
    });
    let mut parameters = BTreeMap::new();
    parameters.insert("flavor".into(), json!(shape.flavor));
    parameters.insert(
        "image".into(),
        json!(config.get(compute::IMAGE_REF)?.unwrap_or_default()),
    );
    parameters.insert(
        "network".into(),
        json!(config.get(compute::FIXED_NETWORK_NAME)?.unwrap_or_default()),
    );
    Ok(Planned {
        template: serde_yaml::to_string(&template).map_err(|e| Failure::runtime(e.to_string()))?,
        files,
        parameters,
        groups: BTreeMap::new(),
        servers,
    })
}

/// Checks the stack against `shape`: its description in Heat; in Nova its servers (no more,
/// no fewer), their flavor and networks, and every server group's policy on their hosts.
pub(crate) fn check_shape(
    cloud: &Cloud,
    stack: &Value,
    shape: &Shape,
    planned: &Planned,
    prefix: &str,
) -> Result<(), Failure> {
    let desc = stack["description"].as_str().unwrap_or_default();
    if desc != shape.description {
        return Err(Failure::assertion(format!(
            "the stack's description is {desc:?}, not {:?}",
            shape.description
        )));
    }
    let ours: Vec<Value> = cloud
        .servers()?
        .into_iter()
        .filter(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&format!("{prefix}-")))
        })
        .collect();
    let mut names: Vec<&str> = ours.iter().filter_map(|s| s["name"].as_str()).collect();
    names.sort_unstable();
    let want: Vec<&str> = planned.servers.keys().map(String::as_str).collect();
    if names != want {
        return Err(Failure::assertion(format!(
            "Nova shows servers {names:?}, the update asked for {want:?}"
        )));
    }
    let flavor_id = match shape.flavor {
        "m1.small" => "2",
        _ => "1",
    };
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    for sv in &ours {
        let name = sv["name"].as_str().unwrap_or_default();
        let f = sv
            .pointer("/flavor/id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if f != flavor_id && f != shape.flavor {
            return Err(Failure::assertion(format!(
                "server {name} has flavor {f}, not {} ({flavor_id})",
                shape.flavor
            )));
        }
        let nets = sv["addresses"].as_object().map_or(0, serde_json::Map::len);
        let want_nets = if shape.extra_network && name.ends_with("-0") && !shape.nested {
            2
        } else {
            1
        };
        if nets != want_nets {
            return Err(Failure::assertion(format!(
                "server {name} is on {nets} networks, not {want_nets}"
            )));
        }
        let shown = cloud.show_host(sv["id"].as_str().unwrap_or_default())?;
        hosts.insert(
            name.to_string(),
            shown["OS-EXT-SRV-ATTR:host"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    for (label, policy) in &shape.groups {
        let members: Vec<(&String, &String)> = planned
            .servers
            .iter()
            .filter(|(_, ls)| ls.iter().any(|l| l == label))
            .filter_map(|(n, _)| Some((n, hosts.get(n)?)))
            .collect();
        let distinct: std::collections::BTreeSet<&String> = members.iter().map(|m| m.1).collect();
        let ok = match *policy {
            "affinity" => distinct.len() <= 1,
            _ => distinct.len() == members.len(),
        };
        if !ok {
            return Err(Failure::assertion(format!(
                "server group {prefix}-{label} ({policy}): {}",
                members
                    .iter()
                    .map(|(n, h)| format!("{n} on {h}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(())
}
