//! The Nova v2.1 subset: servers (list, detail, show) with `OS-EXT-SRV-ATTR:host` (for admin
//! tokens, as Nova's policy has it), status and metadata as Nova shows them; flavors; the
//! image the environment files name (Nova's image proxy); `os-hypervisors` and
//! `os-aggregates` (the inventory: one aggregate per rack); availability zone `nova`.

use serde_json::{Value, json};

use crate::engine::FLAVORS;
use crate::errors::{Handled, Reply, db_status};
use crate::heat::{Cloud, IMAGE, NETWORK, Server};
use crate::keystone::{is_admin, iso8601, valid_token};
use crate::request::{Ctx, Request};
use crate::store::Store;

/// Nova's error body: `{"<kind>": {"code", "message"}}`.
pub(crate) fn nova_error(code: u16, message: impl Into<String>) -> Reply {
    let kind = match code {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        413 => "overLimit",
        415 => "badMediaType",
        _ => "computeFault",
    };
    Reply::json(
        code,
        json!({ kind: {"code": code, "message": message.into()} }),
    )
}

fn time(ms: i64) -> String {
    let t = iso8601(ms);
    format!("{}Z", &t[..19.min(t.len())])
}

fn server_json(ctx: &Ctx, s: &Server, admin: bool, detail: bool) -> Value {
    let link = format!("{}/compute/v2.1/servers/{}", ctx.base, s.id);
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "links": [{"href": link, "rel": "self"}],
    });
    if detail {
        let addresses: serde_json::Map<String, Value> = s
            .networks
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    n.clone(),
                    json!([{"addr": format!("10.0.{}.{}", i, 2), "version": 4,
                           "OS-EXT-IPS:type": "fixed"}]),
                )
            })
            .collect();
        let obj = v.as_object_mut().expect("a JSON object");
        for (k, x) in [
            ("status", json!("ACTIVE")),
            ("tenant_id", json!(s.project)),
            ("user_id", json!(null)),
            ("metadata", Value::Object(s.metadata.clone())),
            ("flavor", json!({"id": s.flavor, "links": []})),
            ("image", json!({"id": s.image, "links": []})),
            ("addresses", Value::Object(addresses)),
            ("created", json!(time(s.created_ms))),
            ("updated", json!(time(s.updated_ms))),
            ("hostId", json!(format!("{:x}", fnv(&s.host)))),
            ("OS-EXT-AZ:availability_zone", json!("nova")),
            ("OS-EXT-STS:vm_state", json!("active")),
            ("OS-EXT-STS:power_state", json!(1)),
            ("OS-EXT-STS:task_state", json!(null)),
            ("key_name", json!(null)),
            ("accessIPv4", json!("")),
            ("accessIPv6", json!("")),
            ("progress", json!(0)),
        ] {
            obj.insert(k.to_string(), x);
        }
        if admin {
            obj.insert("OS-EXT-SRV-ATTR:host".into(), json!(s.host));
            obj.insert("OS-EXT-SRV-ATTR:hypervisor_hostname".into(), json!(s.host));
            obj.insert(
                "OS-EXT-SRV-ATTR:instance_name".into(),
                json!(format!("instance-{}", &s.id[..8.min(s.id.len())])),
            );
        }
    }
    v
}

/// A stable digest of a host name (Nova's `hostId` is a hash of host and project).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn flavor_json(ctx: &Ctx, (name, id, d): &(&str, &str, crate::engine::Demand)) -> Value {
    json!({"id": id, "name": name, "vcpus": d.vcpus, "ram": d.memory_mb, "disk": d.disk_gb,
           "OS-FLV-EXT-DATA:ephemeral": 0, "swap": "", "rxtx_factor": 1.0,
           "os-flavor-access:is_public": true,
           "links": [{"href": format!("{}/compute/v2.1/flavors/{id}", ctx.base), "rel": "self"}]})
}

/// `/compute/v2.1/…`.
pub(crate) fn dispatch(
    ctx: &Ctx,
    store: &Store,
    cloud: &Cloud,
    req: &Request,
    rest: &[&str],
) -> Handled {
    // The version documents need no token (clients discover microversions with them).
    let version = json!({"id": "v2.1", "status": "CURRENT", "version": "2.1",
        "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", ctx.base)}]});
    match rest {
        [] => return Ok(Reply::json(200, json!({ "versions": [version] }))),
        ["v2.1"] => return Ok(Reply::json(200, json!({ "version": version }))),
        _ => {}
    }
    let db = |e: rusqlite::Error| nova_error(db_status(&e), e.to_string());
    let token = req.header("x-auth-token").unwrap_or("");
    let t = valid_token(ctx, store, token)
        .map_err(db)?
        .ok_or_else(|| nova_error(401, "The request you have made requires authentication."))?;
    let admin = is_admin(store, &t).map_err(db)?;
    let project = t.project_id.clone().unwrap_or_default();
    let path = match rest {
        ["v2.1", path @ ..] => path,
        _ => return Err(nova_error(404, "Not found")),
    };
    if req.method != "GET" {
        return Err(nova_error(
            405,
            "This subset of Nova only reads; servers are made by Heat.",
        ));
    }
    let mine = || {
        cloud.servers.iter().filter(|s| {
            s.project == project || (admin && req.query("all_tenants").is_some_and(|v| v != "0"))
        })
    };
    let by_name = |s: &&Server| req.query("name").is_none_or(|n| s.name.contains(n));
    match path {
        ["servers"] => Ok(Reply::json(
            200,
            json!({"servers": mine().filter(by_name).map(|s| server_json(ctx, s, admin, false)).collect::<Vec<_>>()}),
        )),
        ["servers", "detail"] => Ok(Reply::json(
            200,
            json!({"servers": mine().filter(by_name).map(|s| server_json(ctx, s, admin, true)).collect::<Vec<_>>()}),
        )),
        ["servers", id] => mine()
            .find(|s| s.id == *id)
            .map(|s| Reply::json(200, json!({"server": server_json(ctx, s, admin, true)})))
            .ok_or_else(|| nova_error(404, format!("Instance {id} could not be found."))),
        ["flavors"] | ["flavors", "detail"] => Ok(Reply::json(
            200,
            json!({"flavors": FLAVORS.iter().map(|f| flavor_json(ctx, f)).collect::<Vec<_>>()}),
        )),
        ["flavors", id] => FLAVORS
            .iter()
            .find(|(n, i, _)| i == id || n == id)
            .map(|f| Reply::json(200, json!({"flavor": flavor_json(ctx, f)})))
            .ok_or_else(|| nova_error(404, format!("Flavor {id} could not be found."))),
        ["images"] | ["images", "detail"] => Ok(Reply::json(
            200,
            json!({"images": [{"id": IMAGE.1, "name": IMAGE.0, "status": "ACTIVE", "links": []}]}),
        )),
        ["images", id] if *id == IMAGE.1 => Ok(Reply::json(
            200,
            json!({"image": {"id": IMAGE.1, "name": IMAGE.0, "status": "ACTIVE", "links": []}}),
        )),
        ["os-networks"] => Ok(Reply::json(
            200,
            json!({"networks": [{"id": NETWORK.1, "label": NETWORK.0}]}),
        )),
        ["os-availability-zone"] => Ok(Reply::json(
            200,
            json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}]}),
        )),
        ["os-hypervisors"] | ["os-hypervisors", "detail"] if admin => {
            let list: Vec<Value> = ctx
                .inventory
                .hosts
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let used: Vec<&Server> =
                        cloud.servers.iter().filter(|s| s.host == h.name).collect();
                    json!({"id": i + 1, "hypervisor_hostname": h.name, "state": "up",
                           "status": "enabled", "hypervisor_type": "QEMU",
                           "service": {"host": h.name, "id": i + 1, "disabled_reason": null},
                           "vcpus": h.vcpus, "memory_mb": h.memory_mb, "local_gb": h.disk_gb,
                           "running_vms": used.len()})
                })
                .collect();
            Ok(Reply::json(200, json!({ "hypervisors": list })))
        }
        ["os-aggregates"] if admin => {
            let list: Vec<Value> = ctx
                .inventory
                .racks()
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let hosts: Vec<&str> = ctx
                        .inventory
                        .hosts
                        .iter()
                        .filter(|h| h.rack == *r)
                        .map(|h| h.name.as_str())
                        .collect();
                    json!({"id": i + 1, "name": r, "availability_zone": "nova",
                           "hosts": hosts, "metadata": {"rack": r}})
                })
                .collect();
            Ok(Reply::json(200, json!({ "aggregates": list })))
        }
        ["os-hypervisors", ..] | ["os-aggregates", ..] => Err(nova_error(
            403,
            "Policy doesn't allow this action to be performed.",
        )),
        _ => Err(nova_error(404, "Not found")),
    }
}
