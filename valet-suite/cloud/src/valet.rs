//! The Valet v1 API, as `valet/api/v1/controllers/*` implement it (reference section 2):
//! groups, members, plans, placements, status and resources, behind Valet's token check, with
//! its error body, `OPTIONS` and 405 answers. The choices where Valet's code and documents
//! disagree are in `valet-suite/cloud/SERVER.md`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::engine::{self, Kind as Policy, Level, NewVm, Placed, Rule, Vm};
use crate::errors::{
    Handled, Kind, Reply, not_allowed, options, valet_db, valet_error, valet_unauthorized,
};
use crate::keystone::{is_admin, valid_token};
use crate::request::{Ctx, Request, new_uuid as new_id};
use crate::store::{Group, Placement, Plan, Store};

fn db<T>(r: rusqlite::Result<T>) -> Result<T, Reply> {
    r.map_err(valet_db)
}

/// Who is calling: from a valid token holding the `admin` role.
struct Caller {
    tenant_id: String,
}

/// Valet's `check_permissions`: a valid token, scoped to a tenant, whose user holds the role
/// named `admin` there; anything else is the plain-text 401.
fn authenticate(ctx: &Ctx, store: &Store, req: &Request) -> Result<Caller, Reply> {
    let Some(id) = req.header("x-auth-token") else {
        return Err(valet_unauthorized());
    };
    let Some(t) = db(valid_token(ctx, store, id))? else {
        return Err(valet_unauthorized());
    };
    let Some(tenant_id) = t.project_id.clone() else {
        return Err(valet_unauthorized());
    };
    if !db(is_admin(store, &t))? {
        return Err(valet_unauthorized());
    }
    Ok(Caller { tenant_id })
}

/// Answers `OPTIONS` and refuses methods not in `allow` (comma-separated).
fn method_check(req: &Request, allow: &str) -> Result<(), Reply> {
    let m = req.method.as_str();
    if m == "OPTIONS" {
        return Err(options(allow));
    }
    if allow.split(',').any(|a| a == m) {
        Ok(())
    } else {
        Err(not_allowed(m, allow))
    }
}

fn versions(links: Vec<String>) -> Value {
    let links: Vec<Value> = links
        .into_iter()
        .map(|href| json!({"href": href, "rel": "self"}))
        .collect();
    json!({"versions": [{"status": "CURRENT", "id": "v1.0", "links": links}]})
}

/// Routes a request under `/placement`; `rest` is the path after it.
pub(crate) fn dispatch(ctx: &Ctx, store: &mut Store, req: &Request, rest: &[&str]) -> Handled {
    let Some((&"v1", rest)) = rest.split_first() else {
        if rest.is_empty() {
            method_check(req, "GET")?;
            return Ok(Reply::json(
                200,
                versions(vec![format!("{}/v1/", ctx.valet_root())]),
            ));
        }
        return Err(valet_error(
            Kind::NotFound,
            "The resource could not be found.",
        ));
    };
    let caller = authenticate(ctx, store, req)?;
    match rest {
        [] => {
            method_check(req, "GET")?;
            let links = ["groups", "placements", "plans", "status"]
                .iter()
                .map(|e| format!("{}/{e}/", ctx.valet_url()))
                .collect();
            Ok(Reply::json(200, versions(links)))
        }
        ["groups"] => groups(store, req),
        ["groups", id] => group_item(store, req, id),
        ["groups", id, "members"] => members(store, req, id),
        ["groups", id, "members", member] => member_item(store, req, id, member),
        ["plans"] => plans(ctx, store, req, &caller),
        ["plans", id] => plan_item(ctx, store, req, id),
        ["placements"] => placements(store, req),
        ["placements", id] => placement_item(ctx, store, req, id),
        ["status"] => {
            method_check(req, "HEAD,GET")?;
            if req.method == "HEAD" {
                return Ok(Reply::empty(204));
            }
            Ok(Reply::json(
                200,
                json!({"status": {"ostro": {
                    "status": {"type": "ok", "message": "ping"},
                    "resources": {"hosts": ctx.inventory.hosts.len(),
                                  "racks": ctx.inventory.racks().len()},
                }}}),
            ))
        }
        ["resources"] => {
            method_check(req, "GET")?;
            resources(ctx, store)
        }
        _ => Err(valet_error(
            Kind::NotFound,
            "The resource could not be found.",
        )),
    }
}

// ---- request bodies ----

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Array,
    Object,
    Any,
}

impl Ty {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Ty::Str => v.is_string(),
            Ty::Array => v.is_array(),
            Ty::Object => v.is_object(),
            Ty::Any => true,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Array => "array",
            Ty::Object => "dictionary",
            Ty::Any => "any",
        }
    }
}

fn schema_error(msg: impl Into<String>) -> Reply {
    valet_error(Kind::Schema, msg)
}

/// The body as a JSON object holding exactly the `required` keys and some of the `optional`
/// ones, each of its type, as notario checks Valet's schemas.
fn schema(
    req: &Request,
    required: &[(&str, Ty)],
    optional: &[(&str, Ty)],
) -> Result<Map<String, Value>, Reply> {
    let v: Value = serde_json::from_slice(&req.body)
        .map_err(|e| schema_error(format!("Malformed JSON body: {e}")))?;
    let Value::Object(map) = v else {
        return Err(schema_error("The request body must be a JSON object."));
    };
    for (k, ty) in required {
        match map.get(*k) {
            None => return Err(schema_error(format!("-> {k} key did not exist"))),
            Some(v) if !ty.accepts(v) => {
                return Err(schema_error(format!(
                    "-> {k} did not pass validation: expected {}",
                    ty.name()
                )));
            }
            Some(_) => {}
        }
    }
    for (k, ty) in optional {
        if let Some(v) = map.get(*k)
            && !ty.accepts(v)
        {
            return Err(schema_error(format!(
                "-> {k} did not pass validation: expected {}",
                ty.name()
            )));
        }
    }
    let mut extra: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !required.iter().chain(optional).any(|(r, _)| r == k))
        .collect();
    if !extra.is_empty() {
        extra.sort_unstable();
        return Err(schema_error(format!("unexpected extra keys: {extra:?}")));
    }
    Ok(map)
}

fn s<'a>(map: &'a Map<String, Value>, k: &str) -> &'a str {
    map.get(k).and_then(Value::as_str).unwrap_or("")
}

/// RFC 3986 unreserved characters, as `doc/rest_api.md` requires of group names.
pub(crate) fn valid_group_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

// ---- groups ----

fn group_json(g: &Group) -> Value {
    json!({
        "id": g.id, "name": g.name, "description": g.description, "type": g.kind,
        "level": g.level, "members": g.members,
    })
}

fn find_group(store: &Store, id: &str) -> Result<Group, Reply> {
    db(store.group(id))?.ok_or_else(|| valet_error(Kind::NotFound, "Group not found"))
}

fn groups(store: &Store, req: &Request) -> Handled {
    method_check(req, "GET,POST")?;
    if req.method == "GET" {
        let list: Vec<Value> = db(store.groups())?.iter().map(group_json).collect();
        return Ok(Reply::json(200, json!({ "groups": list })));
    }
    let map = schema(
        req,
        &[("level", Ty::Str), ("name", Ty::Str), ("type", Ty::Str)],
        &[("description", Ty::Str)],
    )?;
    let name = s(&map, "name");
    if !valid_group_name(name) {
        return Err(schema_error(
            "-> name did not pass validation: group name must contain only uppercase and \
             lowercase letters, decimal digits, hyphens, periods, underscores, and tildes \
             [RFC 3986, Section 2.3]",
        ));
    }
    let kind = s(&map, "type");
    if Policy::parse(kind).is_none() {
        return Err(schema_error(format!(
            "-> type did not pass validation: {kind:?} is not one of affinity, diversity, exclusivity"
        )));
    }
    let level = s(&map, "level");
    if Level::parse(level).is_none() {
        return Err(schema_error(format!(
            "-> level did not pass validation: {level:?} is not one of host, rack"
        )));
    }
    if db(store.groups())?.iter().any(|g| g.name == name) {
        return Err(valet_error(
            Kind::Invalid,
            format!("A group named {name} already exists"),
        ));
    }
    let g = Group {
        id: new_id(),
        name: name.into(),
        description: s(&map, "description").into(),
        kind: kind.into(),
        level: level.into(),
        members: Vec::new(),
    };
    db(store.insert_group(&g))?;
    Ok(Reply::json(201, group_json(&g)))
}

fn group_item(store: &Store, req: &Request, id: &str) -> Handled {
    let g = find_group(store, id)?;
    method_check(req, "GET,PUT,DELETE")?;
    match req.method.as_str() {
        "GET" => Ok(Reply::json(200, json!({"group": group_json(&g)}))),
        "PUT" => {
            let map = schema(req, &[], &[("description", Ty::Str)])?;
            let mut g = g;
            if let Some(d) = map.get("description").and_then(Value::as_str) {
                db(store.set_group_description(&g.id, d))?;
                g.description = d.into();
            }
            Ok(Reply::json(201, group_json(&g)))
        }
        _ => {
            if !g.members.is_empty() {
                return Err(valet_error(
                    Kind::Conflict,
                    "Unable to delete a Group with members.",
                ));
            }
            db(store.delete_group(&g.id))?;
            Ok(Reply::empty(204))
        }
    }
}

/// The servers (orchestration ids, or resource ids once reserved) that plans of `tenant` have
/// in group `g`.
fn servers_in_group(store: &Store, g: &Group, tenant: &str) -> Result<Vec<String>, Reply> {
    let owners: HashMap<String, String> = db(store.plans())?
        .into_iter()
        .map(|p| (p.id, p.tenant_id))
        .collect();
    Ok(db(store.placements())?
        .into_iter()
        .filter(|p| p.groups.contains(&g.id))
        .filter(|p| owners.get(&p.plan_id).is_some_and(|t| t == tenant))
        .map(|p| p.resource_id.unwrap_or(p.orchestration_id))
        .collect())
}

fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[{}]", quoted.join(", "))
}

fn check_no_servers(store: &Store, g: &Group, tenant: &str) -> Result<(), Reply> {
    let servers = servers_in_group(store, g, tenant)?;
    if servers.is_empty() {
        return Ok(());
    }
    Err(valet_error(
        Kind::Conflict,
        format!(
            "Tenant Member {tenant} has servers in group \"{}\": {}",
            g.name,
            python_list(&servers)
        ),
    ))
}

fn members(store: &Store, req: &Request, id: &str) -> Handled {
    let g = find_group(store, id)?;
    method_check(req, "PUT,DELETE")?;
    if req.method == "PUT" {
        let map = schema(req, &[("members", Ty::Array)], &[])?;
        let mut new = Vec::new();
        for m in map["members"].as_array().into_iter().flatten() {
            let Some(m) = m.as_str() else {
                return Err(schema_error(
                    "-> members did not pass validation: expected an array of strings",
                ));
            };
            new.push(m.to_string());
        }
        // Every id must be a project of this Keystone (Valet's "any one known tenant" loop is
        // not kept; see SERVER.md). An empty list holds no valid tenant.
        let mut valid = !new.is_empty();
        for m in &new {
            if db(store.project(m))?.is_none() {
                valid = false;
            }
        }
        if !valid {
            return Err(valet_error(
                Kind::Conflict,
                "Member list contains invalid tenant IDs",
            ));
        }
        for m in &new {
            db(store.add_member(&g.id, m))?;
        }
        return Ok(Reply::json(201, group_json(&find_group(store, &g.id)?)));
    }
    for m in &g.members {
        check_no_servers(store, &g, m)?;
    }
    for m in &g.members {
        db(store.remove_member(&g.id, m))?;
    }
    Ok(Reply::empty(204))
}

fn member_item(store: &Store, req: &Request, id: &str, member: &str) -> Handled {
    let g = find_group(store, id)?;
    if !g.members.iter().any(|m| m == member) {
        return Err(valet_error(Kind::NotFound, "Member not found in group"));
    }
    method_check(req, "GET,DELETE")?;
    if req.method == "DELETE" {
        check_no_servers(store, &g, member)?;
        db(store.remove_member(&g.id, member))?;
    }
    Ok(Reply::empty(204))
}

// ---- plans ----

fn plan_json(store: &Store, p: &Plan) -> Result<Value, Reply> {
    let mut placements = Map::new();
    for pl in db(store.plan_placements(&p.id))? {
        placements.insert(
            pl.orchestration_id.clone(),
            json!({"name": pl.name, "location": pl.location}),
        );
    }
    Ok(json!({"id": p.id, "stack_id": p.stack_id, "name": p.name, "placements": placements}))
}

fn find_plan(store: &Store, id: &str) -> Result<Plan, Reply> {
    db(store.plan(id))?.ok_or_else(|| valet_error(Kind::NotFound, "Plan not found"))
}

/// A server of a plan, as read from its resources.
struct ServerSpec {
    orchestration_id: String,
    name: String,
    vm: Vm,
    metadata: Value,
}

const SERVER: &str = "OS::Nova::Server";
const ASSIGNMENTS: &[&str] = &["OS::Valet::GroupAssignment", "ATT::Valet::GroupAssignment"];

fn invalid(msg: impl Into<String>) -> Reply {
    valet_error(Kind::Invalid, format!("Valet error: {}", msg.into()))
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, Reply> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("{what} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(invalid(format!("{what} must be a list of strings"))),
    }
}

/// Reads the servers of a plan's `resources`: `OS::Nova::Server` resources with a flavor, in
/// the groups named by `OS::Valet::GroupAssignment` resources (`properties.group`,
/// `properties.resources`) and by their own `properties.metadata.valet.groups`, and in the
/// Nova server group their `properties.scheduler_hints.group` names, when Nova knows it. Every group must exist
/// and list `tenant` as a member. Other resource types are not Valet's business.
fn read_servers(
    ctx: &Ctx,
    store: &Store,
    tenant: &str,
    resources: &Map<String, Value>,
) -> Result<Vec<ServerSpec>, Reply> {
    let mut servers: Vec<ServerSpec> = Vec::new();
    let mut nova_groups: Vec<(String, String)> = Vec::new();
    let mut assignments: Vec<(String, Vec<String>)> = Vec::new();
    let mut keys: Vec<&String> = resources.keys().collect();
    keys.sort();
    for key in keys {
        let res = &resources[key];
        let Some(obj) = res.as_object() else {
            return Err(invalid(format!("resource {key} must be a dictionary")));
        };
        let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
        let props = obj.get("properties").cloned().unwrap_or(Value::Null);
        if ty == SERVER {
            let flavor = props
                .get("flavor")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("resource {key} has no flavor")))?;
            let demand = engine::flavor(flavor)
                .ok_or_else(|| invalid(format!("Unknown flavor: {flavor}")))?;
            // Valet reads a server's groups from `properties.metadata.valet.groups`; the
            // resource's top-level `metadata` (Heat's hints) is kept but names no group.
            let metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
            let groups = strings(
                props.pointer("/metadata/valet/groups"),
                "properties.metadata.valet.groups",
            )?;
            if let Some(sg) = props
                .pointer("/scheduler_hints/group")
                .and_then(Value::as_str)
                && ctx.nova_rules().contains_key(sg)
            {
                nova_groups.push((key.clone(), sg.to_string()));
            }
            servers.push(ServerSpec {
                orchestration_id: key.clone(),
                name: obj
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_string(),
                vm: Vm { demand, groups },
                metadata,
            });
        } else if ASSIGNMENTS.contains(&ty) {
            let group = props
                .get("group")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("group assignment {key} has no group")))?;
            let members = strings(props.get("resources"), "properties.resources")?;
            assignments.push((group.to_string(), members));
        }
    }
    for (group, members) in assignments {
        for m in members {
            let s = servers
                .iter_mut()
                .find(|s| s.orchestration_id == m || s.name == m)
                .ok_or_else(|| {
                    invalid(format!(
                        "group assignment for {group} refers to unknown resource {m}"
                    ))
                })?;
            s.vm.groups.push(group.clone());
        }
    }
    // Group references (ids or names) become ids; each group must admit the tenant.
    let mut known: HashMap<String, Group> = HashMap::new();
    for s in &mut servers {
        let mut ids = Vec::new();
        for r in &s.vm.groups {
            let g = match known.get(r) {
                Some(g) => g.clone(),
                None => {
                    let g = db(store.group(r))?
                        .ok_or_else(|| invalid(format!("Unknown group: {r}")))?;
                    if !g.members.iter().any(|m| m == tenant) {
                        return Err(invalid(format!(
                            "Tenant {tenant} is not a member of group {}",
                            g.name
                        )));
                    }
                    known.insert(r.clone(), g.clone());
                    g
                }
            };
            if !ids.contains(&g.id) {
                ids.push(g.id);
            }
        }
        if let Some((_, sg)) = nova_groups.iter().find(|(k, _)| *k == s.orchestration_id) {
            ids.push(sg.clone());
        }
        s.vm.groups = ids;
    }
    Ok(servers)
}

/// Every group's rule, by group id, with the Nova server groups' rules.
fn rules(ctx: &Ctx, store: &Store) -> Result<HashMap<String, Rule>, Reply> {
    let mut rules = ctx.nova_rules();
    rules.extend(db(store.groups())?.into_iter().filter_map(|g| {
        Some((
            g.id,
            Rule {
                kind: Policy::parse(&g.kind)?,
                level: Level::parse(&g.level)?,
            },
        ))
    }));
    Ok(rules)
}

fn placed(p: &Placement) -> Placed {
    Placed {
        vm: Vm {
            demand: p.demand,
            groups: p.groups.clone(),
        },
        host: p.location.clone(),
    }
}

/// Runs the engine; an infeasible request is Valet's 409 with "Ostro error: ...".
fn engine_place(
    ctx: &Ctx,
    store: &Store,
    fixed: &[Placed],
    new: &[NewVm],
) -> Result<Vec<String>, Reply> {
    let rules = rules(ctx, store)?;
    let at = engine::place(&ctx.inventory, &rules, fixed, new)
        .map_err(|e| valet_error(Kind::Conflict, format!("Ostro error: {e}")))?;
    Ok(at
        .into_iter()
        .map(|h| ctx.inventory.hosts[h].name.clone())
        .collect())
}

fn host_set(list: &[String]) -> Option<HashSet<String>> {
    if list.is_empty() {
        None
    } else {
        Some(list.iter().cloned().collect())
    }
}

fn plans(ctx: &Ctx, store: &Store, req: &Request, caller: &Caller) -> Handled {
    method_check(req, "GET,POST")?;
    if req.method == "GET" {
        let list = db(store.plans())?
            .iter()
            .map(|p| plan_json(store, p))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Reply::json(200, json!({ "plans": list })));
    }
    let map = schema(
        req,
        &[
            ("plan_name", Ty::Str),
            ("resources", Ty::Object),
            ("stack_id", Ty::Str),
        ],
        &[("locations", Ty::Array), ("timeout", Ty::Str)],
    )?;
    let resources = map["resources"].as_object().cloned().unwrap_or_default();
    let locations = strings(map.get("locations"), "locations")?;
    match create_plan(
        ctx,
        store,
        &caller.tenant_id,
        s(&map, "plan_name"),
        s(&map, "stack_id"),
        &resources,
        &locations,
    )? {
        None => Ok(Reply::json(201, json!({"plan": {}}))),
        Some(plan) => Ok(Reply::json(201, json!({"plan": plan_json(store, &plan)?}))),
    }
}

/// Creates the plan of a stack (`POST /v1/plans`, and Heat's lifecycle plugin before a stack
/// level is created): its servers placed, nothing stored when it has none (`None`).
pub(crate) fn create_plan(
    ctx: &Ctx,
    store: &Store,
    tenant: &str,
    plan_name: &str,
    stack_id: &str,
    resources: &Map<String, Value>,
    locations: &[String],
) -> Result<Option<Plan>, Reply> {
    let servers = read_servers(ctx, store, tenant, resources)?;
    if servers.is_empty() {
        return Ok(None);
    }
    if db(store.plan(stack_id))?.is_some() {
        return Err(valet_error(
            Kind::Conflict,
            format!("A plan for stack {stack_id} already exists"),
        ));
    }
    let fixed: Vec<Placed> = db(store.placements())?.iter().map(placed).collect();
    let new: Vec<NewVm> = servers
        .iter()
        .map(|s| NewVm {
            vm: s.vm.clone(),
            allowed: host_set(locations),
            excluded: HashSet::new(),
        })
        .collect();
    let hosts = engine_place(ctx, store, &fixed, &new)?;
    let plan = Plan {
        id: new_id(),
        name: plan_name.into(),
        stack_id: stack_id.into(),
        tenant_id: tenant.into(),
    };
    db(store.insert_plan(&plan))?;
    for (s, host) in servers.into_iter().zip(hosts) {
        db(store.put_placement(&Placement {
            id: new_id(),
            plan_id: plan.id.clone(),
            orchestration_id: s.orchestration_id,
            name: s.name,
            resource_id: None,
            location: host,
            reserved: false,
            metadata: s.metadata,
            demand: s.vm.demand,
            groups: s.vm.groups,
        }))?;
    }
    Ok(Some(plan))
}

fn plan_item(ctx: &Ctx, store: &Store, req: &Request, id: &str) -> Handled {
    let plan = find_plan(store, id)?;
    method_check(req, "GET,PUT,DELETE")?;
    match req.method.as_str() {
        "GET" => Ok(Reply::json(200, json!({"plan": plan_json(store, &plan)?}))),
        "DELETE" => {
            db(store.delete_plan(&plan.id))?;
            Ok(Reply::empty(204))
        }
        _ => update_plan(ctx, store, req, plan),
    }
}

fn update_plan(ctx: &Ctx, store: &Store, req: &Request, plan: Plan) -> Handled {
    let map = schema(
        req,
        &[("action", Ty::Str), ("resources", Ty::Any)],
        &[
            ("excluded_hosts", Ty::Array),
            ("original_resources", Ty::Object),
            ("plan_name", Ty::Str),
            ("timeout", Ty::Str),
        ],
    )?;
    let action = s(&map, "action");
    let excluded: HashSet<String> = strings(map.get("excluded_hosts"), "excluded_hosts")?
        .into_iter()
        .collect();
    let (mine, others) = split_placements(store, &plan)?;
    match action {
        "migrate" => {
            let list = map["resources"]
                .as_array()
                .filter(|a| a.len() == 1)
                .ok_or_else(|| {
                    valet_error(Kind::Invalid, "resources must be a list of length 1.")
                })?;
            let key = list[0].as_str().unwrap_or("");
            let target = mine
                .iter()
                .find(|p| p.resource_id.as_deref() == Some(key))
                .or_else(|| mine.iter().find(|p| p.orchestration_id == key))
                .ok_or_else(|| {
                    valet_error(
                        Kind::Invalid,
                        format!("Unknown resource or orchestration id: {key}"),
                    )
                })?;
            let mut fixed = others;
            fixed.extend(mine.iter().filter(|p| p.id != target.id).map(placed));
            let new = [NewVm {
                vm: Vm {
                    demand: target.demand,
                    groups: target.groups.clone(),
                },
                allowed: None,
                excluded,
            }];
            let host = engine_place(ctx, store, &fixed, &new)?.remove(0);
            let mut moved = target.clone();
            moved.location = host;
            moved.reserved = false;
            db(store.put_placement(&moved))?;
        }
        "update" => {
            let resources = map["resources"]
                .as_object()
                .ok_or_else(|| valet_error(Kind::Invalid, "resources must be a dictionary."))?;
            replan(ctx, store, &plan, resources, &excluded)?;
        }
        other => {
            return Err(schema_error(format!(
                "-> action did not pass validation: {other:?} is not one of update, migrate"
            )));
        }
    }
    if let Some(name) = map.get("plan_name").and_then(Value::as_str) {
        db(store.rename_plan(&plan.id, name))?;
    }
    let plan = find_plan(store, &plan.id)?;
    Ok(Reply::json(201, json!({"plan": plan_json(store, &plan)?})))
}

/// The placements of `plan`, and every other placement as the engine sees it.
fn split_placements(store: &Store, plan: &Plan) -> Result<(Vec<Placement>, Vec<Placed>), Reply> {
    let mine = db(store.plan_placements(&plan.id))?;
    let others = db(store.placements())?
        .iter()
        .filter(|p| p.plan_id != plan.id)
        .map(placed)
        .collect();
    Ok((mine, others))
}

/// A plan's `update` (`PUT /v1/plans/{id}`, and Heat's lifecycle plugin before a stack level
/// is updated): unchanged servers stay, new or changed ones are placed (or, if that cannot
/// work, the whole plan is), servers no longer listed are removed.
pub(crate) fn replan(
    ctx: &Ctx,
    store: &Store,
    plan: &Plan,
    resources: &Map<String, Value>,
    excluded: &HashSet<String>,
) -> Result<(), Reply> {
    let (mine, others) = split_placements(store, plan)?;
    {
        {
            let servers = read_servers(ctx, store, &plan.tenant_id, resources)?;
            // First keep every unchanged server where it is and place only what is new or
            // changed; if that cannot work, replan the whole plan.
            let unchanged = |s: &ServerSpec| {
                mine.iter().find(|p| {
                    p.orchestration_id == s.orchestration_id
                        && p.demand == s.vm.demand
                        && p.groups == s.vm.groups
                        && !excluded.contains(&p.location)
                })
            };
            let kept: Vec<Placed> = servers.iter().filter_map(unchanged).map(placed).collect();
            let fresh: Vec<NewVm> = servers
                .iter()
                .filter(|s| unchanged(s).is_none())
                .map(|s| NewVm {
                    vm: s.vm.clone(),
                    allowed: None,
                    excluded: excluded.clone(),
                })
                .collect();
            let mut fixed = others.clone();
            fixed.extend(kept);
            let hosts: Vec<String> = match engine_place(ctx, store, &fixed, &fresh) {
                Ok(fresh_hosts) => {
                    let mut it = fresh_hosts.into_iter();
                    servers
                        .iter()
                        .map(|s| match unchanged(s) {
                            Some(p) => p.location.clone(),
                            None => it.next().unwrap_or_default(),
                        })
                        .collect()
                }
                Err(_) => {
                    let all: Vec<NewVm> = servers
                        .iter()
                        .map(|s| NewVm {
                            vm: s.vm.clone(),
                            allowed: None,
                            excluded: excluded.clone(),
                        })
                        .collect();
                    engine_place(ctx, store, &others, &all)?
                }
            };
            for p in &mine {
                if !servers
                    .iter()
                    .any(|s| s.orchestration_id == p.orchestration_id)
                {
                    db(store.delete_placement(&p.id))?;
                }
            }
            for (s, host) in servers.into_iter().zip(hosts) {
                let old = mine
                    .iter()
                    .find(|p| p.orchestration_id == s.orchestration_id);
                let same_place = old.is_some_and(|p| p.location == host);
                db(store.put_placement(&Placement {
                    id: old.map_or_else(new_id, |p| p.id.clone()),
                    plan_id: plan.id.clone(),
                    orchestration_id: s.orchestration_id,
                    name: s.name,
                    resource_id: old.and_then(|p| p.resource_id.clone()),
                    location: host,
                    reserved: same_place && old.is_some_and(|p| p.reserved),
                    metadata: s.metadata,
                    demand: s.vm.demand,
                    groups: s.vm.groups,
                }))?;
            }
        }
    }
    Ok(())
}

// ---- placements ----

fn placement_json(p: &Placement) -> Value {
    json!({
        "id": p.id, "name": p.name, "orchestration_id": p.orchestration_id,
        "resource_id": p.resource_id, "location": p.location, "reserved": p.reserved,
        "metadata": p.metadata, "plan_id": p.plan_id,
    })
}

/// Whether a stored value equals a query value (JSON-decoded when it decodes, else the string).
fn matches(stored: &Value, raw: &str) -> bool {
    let decoded: Value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.into()));
    *stored == decoded || stored.as_str() == Some(raw)
}

fn placements(store: &Store, req: &Request) -> Handled {
    method_check(req, "GET")?;
    const FIELDS: &[&str] = &[
        "id",
        "orchestration_id",
        "plan_id",
        "resource_id",
        "location",
        "name",
        "reserved",
    ];
    let list: Vec<Value> = db(store.placements())?
        .iter()
        .map(placement_json)
        .filter(|p| {
            req.query.iter().all(|(k, v)| {
                let stored = if FIELDS.contains(&k.as_str()) {
                    p.get(k)
                } else {
                    p["metadata"].get(k)
                };
                stored.is_some_and(|s| matches(s, v))
            })
        })
        .collect();
    Ok(Reply::json(200, json!({ "placements": list })))
}

fn placement_item(ctx: &Ctx, store: &Store, req: &Request, id: &str) -> Handled {
    let p = db(store.placement(id))?
        .ok_or_else(|| valet_error(Kind::NotFound, "Placement not found"))?;
    method_check(req, "GET,POST,DELETE")?;
    match req.method.as_str() {
        "GET" => Ok(Reply::json(200, json!({"placement": placement_json(&p)}))),
        "DELETE" => {
            db(store.delete_placement(&p.id))?;
            Ok(Reply::empty(204))
        }
        _ => {
            let map = schema(
                req,
                &[],
                &[
                    ("action", Ty::Str),
                    ("locations", Ty::Array),
                    ("resource_id", Ty::Str),
                ],
            )?;
            let action = map
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("reserve");
            if action != "reserve" && action != "replan" {
                return Err(valet_error(
                    Kind::Invalid,
                    format!("Invalid action: {action}"),
                ));
            }
            let locations = strings(map.get("locations"), "locations")?;
            let mut p = p;
            if action == "replan" || !locations.contains(&p.location) {
                let fixed: Vec<Placed> = db(store.placements())?
                    .iter()
                    .filter(|x| x.id != p.id)
                    .map(placed)
                    .collect();
                let new = [NewVm {
                    vm: Vm {
                        demand: p.demand,
                        groups: p.groups.clone(),
                    },
                    allowed: host_set(&locations),
                    excluded: HashSet::new(),
                }];
                p.location = engine_place(ctx, store, &fixed, &new)?.remove(0);
            }
            p.reserved = true;
            if let Some(r) = map.get("resource_id").and_then(Value::as_str) {
                p.resource_id = Some(r.into());
            }
            db(store.put_placement(&p))?;
            Ok(Reply::json(201, json!({"placement": placement_json(&p)})))
        }
    }
}

/// The plan of `stack_id`, if there is one.
pub(crate) fn plan_of(store: &Store, stack_id: &str) -> Result<Option<Plan>, Reply> {
    db(store.plan(stack_id))
}

/// Deletes the plan of `stack_id` with its placements, if there is one.
pub(crate) fn delete_plan_of(store: &Store, stack_id: &str) -> Result<(), Reply> {
    if let Some(p) = db(store.plan(stack_id))? {
        db(store.delete_plan(&p.id))?;
    }
    Ok(())
}

/// What Nova's `ValetFilter` does for a server: finds the placement of `orchestration_id`,
/// reserves it for `resource_id`, and answers its host (`None` when Valet holds none).
pub(crate) fn reserve(
    store: &Store,
    orchestration_id: &str,
    resource_id: &str,
) -> Result<Option<String>, Reply> {
    let Some(mut p) = db(store.placement(orchestration_id))? else {
        return Ok(None);
    };
    p.reserved = true;
    p.resource_id = Some(resource_id.to_string());
    db(store.put_placement(&p))?;
    Ok(Some(p.location))
}

/// The explanation of a Valet error reply (its body's `explanation`), for Heat's reasons.
pub(crate) fn explanation(r: &Reply) -> String {
    match &r.body {
        crate::errors::Body::Json(v) => v
            .get("explanation")
            .and_then(Value::as_str)
            .map_or_else(|| v.to_string(), str::to_string),
        crate::errors::Body::Text(t) => t.clone(),
        crate::errors::Body::Empty => format!("status {}", r.status),
    }
}

/// `GET /v1/resources`: placements that no longer hold (a host gone from the inventory, over
/// capacity, or a group broken), keyed by resource id (orchestration id before reservation).
fn resources(ctx: &Ctx, store: &Store) -> Handled {
    let all = db(store.placements())?;
    let list: Vec<Placed> = all.iter().map(placed).collect();
    let mut out = Map::new();
    for v in engine::check(&ctx.inventory, &rules(ctx, store)?, &list) {
        for i in v.servers {
            let p = &all[i];
            let key = p
                .resource_id
                .clone()
                .unwrap_or_else(|| p.orchestration_id.clone());
            out.entry(key).or_insert_with(
                || json!({"type": SERVER, "status": "error", "message": v.message}),
            );
        }
    }
    Ok(Reply::json(200, json!({ "resources": out })))
}

#[cfg(test)]
mod tests {
    use super::valid_group_name;

    #[test]
    fn group_names_are_rfc3986_unreserved() {
        assert!(valid_group_name("group-1234.a_b~c"));
        assert!(!valid_group_name("gro up"));
        assert!(!valid_group_name(""));
        assert!(!valid_group_name("a/b"));
    }
}
