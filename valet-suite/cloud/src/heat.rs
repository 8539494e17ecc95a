//! The Heat v1 subset: stacks (create, show by name, id or name/id, list, update, delete) with
//! Heat's status progression and error body, a template engine for what Valet's scenario
//! templates use, and Valet in the loop as its Heat lifecycle plugin and Nova filter put it:
//! a plan per stack level before create, `update` before update, delete on delete, each
//! server built on the host its placement reserves.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use crate::HeatOptions;
use crate::engine::{self, Kind as Policy, Level, Rule};
use crate::errors::{Handled, Reply, db_status};
use crate::keystone::{is_admin, iso8601, valid_token};
use crate::request::{Ctx, Request, new_uuid};
use crate::store::{Doc, Store};
use crate::valet;

/// The one image, `(name, id)`: the name the environment files give (Nova's image proxy
/// serves it); a server's `image` may be either.
pub const IMAGE: (&str, &str) = ("TestVM", "5f3b0b6e-2a5c-4a51-9d0e-7d1c7a0c1a01");
/// The one network, `(name, id)`, that the environment files name.
pub const NETWORK: (&str, &str) = ("admin_floating_net", "8d6e4b8a-4a2e-4b0c-9a56-3c0f1d2e7b11");

const SERVER: &str = "OS::Nova::Server";
const SERVER_GROUP: &str = "OS::Nova::ServerGroup";
const RESOURCE_GROUP: &str = "OS::Heat::ResourceGroup";
const PLAIN: &[&str] = &[
    "OS::Neutron::Net",
    "OS::Neutron::Subnet",
    "OS::Neutron::Port",
    "OS::Neutron::SecurityGroup",
];

/// A Nova server, as Heat built it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Server {
    pub id: String,
    pub name: String,
    pub project: String,
    pub host: String,
    pub flavor: String,
    pub image: String,
    pub metadata: Map<String, Value>,
    pub networks: Vec<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Res {
    name: String,
    ty: String,
    id: String,
    /// The orchestration id Heat gives Valet (`heat_resource_uuid`).
    uuid: String,
    props: Value,
    nested: Option<String>,
    attrs: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stack {
    id: String,
    name: String,
    project: String,
    parent: Option<String>,
    #[serde(deserialize_with = "word")]
    action: Word,
    #[serde(deserialize_with = "word")]
    outcome: Word,
    reason: String,
    ready_ms: i64,
    created_ms: i64,
    updated_ms: Option<i64>,
    template: Value,
    files: Map<String, Value>,
    params: Map<String, Value>,
    resources: Vec<Res>,
    deleted: bool,
    /// The stack's own events: (id, time, status, reason), each shown once its time has come.
    events: Vec<(String, i64, String, String)>,
}

impl Stack {
    fn status(&self, now: i64) -> String {
        if now < self.ready_ms {
            format!("{}_IN_PROGRESS", self.action)
        } else {
            format!("{}_{}", self.action, self.outcome)
        }
    }
}

/// A stack's action (`CREATE`, `UPDATE`, `DELETE`) or outcome (`COMPLETE`, `FAILED`). (An
/// alias, so that serde does not take the field for one borrowed from the input.)
type Word = &'static str;

/// A stack's action or outcome, as stored: one of the words Heat's statuses are made of.
fn word<'de, D: Deserializer<'de>>(d: D) -> Result<Word, D::Error> {
    const WORDS: &[&str] = &["CREATE", "UPDATE", "DELETE", "COMPLETE", "FAILED"];
    let s = String::deserialize(d)?;
    WORDS
        .iter()
        .find(|w| **w == s)
        .copied()
        .ok_or_else(|| serde::de::Error::custom(format!("not a stack action or outcome: {s}")))
}

/// Heat's and Nova's state: stacks, servers, server groups.
///
/// The store holds it (tables `heat_stacks`, `nova_servers`, `nova_server_groups`); this is
/// its copy in memory, loaded at start. A request marks what it changes, and [`Cloud::flush`]
/// writes that in the request's transaction; a request rolled back after changing anything
/// reloads the copy from the store, so the two never differ once a request has ended.
#[derive(Debug)]
pub(crate) struct Cloud {
    opts: HeatOptions,
    stacks: Vec<Stack>,
    pub servers: Vec<Server>,
    /// What the current request changed: stack, server and server group ids.
    dirty_stacks: HashSet<String>,
    dirty_servers: HashSet<String>,
    dirty_rules: HashSet<String>,
    /// Whether the current request changed anything (so a rollback must reload).
    changed: bool,
}

/// A stored document that is not what this build wrote.
fn corrupt(table: &str, id: &str, e: &serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("{table} row {id} is not readable: {e}").into())
}

/// Writes the `dirty` ones of `items` (in their order, so that a reload lists them as they
/// were) and deletes the dirty ids no longer there.
fn write_docs<T: Serialize>(
    store: &Store,
    doc: Doc,
    items: &[T],
    id: impl Fn(&T) -> &String,
    dirty: &mut HashSet<String>,
) -> rusqlite::Result<()> {
    for x in items.iter().filter(|x| dirty.contains(id(x))) {
        let body = serde_json::to_string(x)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        store.put_doc(doc, id(x), &body)?;
    }
    for gone in dirty.drain() {
        if !items.iter().any(|x| *id(x) == gone) {
            store.delete_doc(doc, &gone)?;
        }
    }
    Ok(())
}

impl Cloud {
    /// The state kept in `store` (empty for a new one), and the rules of its Nova server
    /// groups.
    pub(crate) fn load(
        opts: HeatOptions,
        store: &Store,
    ) -> rusqlite::Result<(Cloud, HashMap<String, Rule>)> {
        let mut stacks = Vec::new();
        for (id, body) in store.docs(Doc::Stack)? {
            stacks.push(serde_json::from_str(&body).map_err(|e| corrupt("heat_stacks", &id, &e))?);
        }
        let mut servers = Vec::new();
        for (id, body) in store.docs(Doc::Server)? {
            servers
                .push(serde_json::from_str(&body).map_err(|e| corrupt("nova_servers", &id, &e))?);
        }
        let rules = store.server_group_rules()?;
        let cloud = Cloud {
            opts,
            stacks,
            servers,
            dirty_stacks: HashSet::new(),
            dirty_servers: HashSet::new(),
            dirty_rules: HashSet::new(),
            changed: false,
        };
        Ok((cloud, rules))
    }

    /// Writes what the current request changed into `store` (in its transaction); true if
    /// there was anything.
    pub(crate) fn flush(
        &mut self,
        store: &Store,
        rules: &HashMap<String, Rule>,
    ) -> rusqlite::Result<bool> {
        let changed = !(self.dirty_stacks.is_empty()
            && self.dirty_servers.is_empty()
            && self.dirty_rules.is_empty());
        self.changed = changed;
        write_docs(
            store,
            Doc::Stack,
            &self.stacks,
            |s| &s.id,
            &mut self.dirty_stacks,
        )?;
        write_docs(
            store,
            Doc::Server,
            &self.servers,
            |s| &s.id,
            &mut self.dirty_servers,
        )?;
        for id in self.dirty_rules.drain() {
            store.put_server_group_rule(&id, rules.get(&id).copied())?;
        }
        Ok(changed)
    }

    /// Whether the request just ended changed this copy (and forgets it).
    pub(crate) fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Replaces this copy with the store's (after a rolled-back request that changed it).
    pub(crate) fn reload(
        &mut self,
        store: &Store,
        rules: &mut HashMap<String, Rule>,
    ) -> rusqlite::Result<()> {
        let (fresh, stored) = Cloud::load(self.opts.clone(), store)?;
        *self = fresh;
        *rules = stored;
        Ok(())
    }
}

// ---- errors ----

/// Heat's error body: `{"explanation", "code", "error": {"message", "traceback", "type"},
/// "title"}`.
pub(crate) fn heat_error(code: u16, ty: &str, message: impl Into<String>) -> Reply {
    let (title, explanation) = match code {
        400 => (
            "Bad Request",
            "The server could not comply with the request since it is either malformed or \
             otherwise incorrect.",
        ),
        401 => (
            "Unauthorized",
            "This server could not verify that you are authorized to access the document you \
             requested.",
        ),
        403 => ("Forbidden", "Access was denied to this resource."),
        404 => ("Not Found", "The resource could not be found."),
        405 => (
            "Method Not Allowed",
            "The method is not allowed for this resource.",
        ),
        409 => (
            "Conflict",
            "There was a conflict when trying to complete your request.",
        ),
        413 => (
            "Request Entity Too Large",
            "The body of your request was too large for this server.",
        ),
        507 => (
            "Insufficient Storage",
            "There was not enough space to save the resource.",
        ),
        415 => (
            "Unsupported Media Type",
            "The request media type is not supported by this server.",
        ),
        _ => (
            "Internal Server Error",
            "The server has either erred or is incapable of performing the requested \
             operation.",
        ),
    };
    Reply::json(
        code,
        json!({"explanation": explanation, "code": code,
               "error": {"message": message.into(), "traceback": null, "type": ty},
               "title": title}),
    )
}

fn invalid(msg: impl Into<String>) -> Reply {
    heat_error(400, "StackValidationFailed", msg)
}

fn db<T>(r: rusqlite::Result<T>) -> Result<T, Reply> {
    r.map_err(|e| heat_error(db_status(&e), "DBError", e.to_string()))
}

// ---- templates ----

/// A template's text (YAML or JSON) or object, as a JSON value.
fn parse_template(v: &Value) -> Result<Value, Reply> {
    let t = match v {
        Value::String(s) => serde_yaml::from_str::<Value>(s)
            .map_err(|e| invalid(format!("Error parsing template: {e}")))?,
        Value::Object(_) => v.clone(),
        _ => return Err(invalid("The template must be a mapping or its text.")),
    };
    if t.get("heat_template_version").is_none() {
        return Err(invalid("Template format version not found."));
    }
    Ok(t)
}

fn resources_of(t: &Value) -> Map<String, Value> {
    t.get("resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The key of `files` a nested type names: the key itself, or the URL ending in `/type`
/// (python-heatclient's `file:///…/type`).
fn nested_key(files: &Map<String, Value>, ty: &str) -> Option<String> {
    if files.contains_key(ty) {
        return Some(ty.to_string());
    }
    files
        .keys()
        .find(|k| k.ends_with(&format!("/{ty}")))
        .cloned()
}

/// Every resource a value refers to with `get_resource` or `get_attr`.
fn refs(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(r)) = m.get("get_resource") {
                    out.insert(r.clone());
                }
                if let Some(Value::Array(a)) = m.get("get_attr")
                    && let Some(Value::String(r)) = a.first()
                {
                    out.insert(r.clone());
                }
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn params_used(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                match m.get("get_param") {
                    Some(Value::String(p)) => {
                        out.insert(p.clone());
                    }
                    Some(Value::Array(a)) => {
                        if let Some(Value::String(p)) = a.first() {
                            out.insert(p.clone());
                        }
                    }
                    _ => {}
                }
            }
            m.values().for_each(|x| params_used(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| params_used(x, out)),
        _ => {}
    }
}

/// A resource's dependencies: `depends_on` and its references.
fn deps(name: &str, def: &Value, all: &Map<String, Value>) -> Result<Vec<String>, Reply> {
    let mut set = HashSet::new();
    refs(def.get("properties").unwrap_or(&Value::Null), &mut set);
    match def.get("depends_on") {
        Some(Value::String(d)) => {
            set.insert(d.clone());
        }
        Some(Value::Array(a)) => {
            for d in a {
                set.insert(d.as_str().unwrap_or_default().to_string());
            }
        }
        _ => {}
    }
    let mut out: Vec<String> = set.into_iter().collect();
    out.sort();
    for d in &out {
        if !all.contains_key(d) {
            return Err(invalid(format!(
                "The specified reference \"{d}\" (in {name}) is incorrect."
            )));
        }
    }
    Ok(out)
}

/// The resources in dependency order; a cycle is Heat's 400.
fn order(all: &Map<String, Value>) -> Result<Vec<String>, Reply> {
    let mut names: Vec<&String> = all.keys().collect();
    names.sort();
    let mut d: HashMap<&str, Vec<String>> = HashMap::new();
    for n in &names {
        d.insert(n.as_str(), deps(n, &all[n.as_str()], all)?);
    }
    let mut done: Vec<String> = Vec::new();
    let mut left: Vec<&String> = names;
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|n| d[n.as_str()].iter().all(|x| done.contains(x)))
            .collect();
        if ready.is_empty() {
            let cycle: Vec<&str> = left.iter().map(|s| s.as_str()).collect();
            return Err(invalid(format!(
                "Circular Dependency Found: {}",
                cycle.join(", ")
            )));
        }
        for r in &ready {
            done.push((*r).clone());
        }
        left.retain(|n| !ready.contains(n));
    }
    Ok(done)
}

/// Checks a template and, recursively, the templates it nests: known resource types only
/// (Heat's 400 naming any other), references to known resources, no cycle, parameters
/// defined.
fn validate(t: &Value, files: &Map<String, Value>, depth: usize) -> Result<(), Reply> {
    if depth > 5 {
        return Err(invalid("Recursion depth exceeds 5."));
    }
    let all = resources_of(t);
    let declared: HashSet<String> = t
        .get("parameters")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut used = HashSet::new();
    params_used(&Value::Object(all.clone()), &mut used);
    params_used(t.get("outputs").unwrap_or(&Value::Null), &mut used);
    let mut used: Vec<String> = used.into_iter().collect();
    used.sort();
    for p in used {
        if !declared.contains(&p) {
            return Err(invalid(format!(
                "The Parameter ({p}) was not defined in template."
            )));
        }
    }
    order(&all)?;
    for (name, def) in &all {
        let ty = def
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("Resource {name} has no type")))?;
        validate_type(ty, def, files, depth)?;
    }
    Ok(())
}

fn validate_type(
    ty: &str,
    def: &Value,
    files: &Map<String, Value>,
    depth: usize,
) -> Result<(), Reply> {
    if ty == SERVER || ty == SERVER_GROUP || PLAIN.contains(&ty) {
        return Ok(());
    }
    if ty == RESOURCE_GROUP {
        let inner = def.pointer("/properties/resource_def").ok_or_else(|| {
            invalid("Property error: resources.resource_def: Property resource_def not assigned")
        })?;
        let ity = inner
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("resource_def has no type"))?;
        return validate_type(ity, inner, files, depth);
    }
    if let Some(k) = nested_key(files, ty) {
        let nested = parse_template(&files[&k])?;
        return validate(&nested, files, depth + 1);
    }
    Err(invalid(format!(
        "The Resource Type ({ty}) could not be found."
    )))
}

/// The template's parameters: defaults, overridden by `inputs`.
fn resolve_params(t: &Value, inputs: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    if let Some(decl) = t.get("parameters").and_then(Value::as_object) {
        for (k, d) in decl {
            let v = inputs
                .get(k)
                .cloned()
                .or_else(|| d.get("default").cloned())
                .ok_or_else(|| format!("The Parameter ({k}) was not provided."))?;
            let v = match (d.get("type").and_then(Value::as_str), &v) {
                (Some("number"), Value::String(s)) => s
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("Parameter '{k}' is invalid: {s} is not a number"))?,
                (Some("comma_delimited_list"), Value::String(s)) => Value::from(
                    s.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(Value::from)
                        .collect::<Vec<_>>(),
                ),
                _ => v,
            };
            out.insert(k.clone(), v);
        }
    }
    Ok(out)
}

struct Scope<'a> {
    params: &'a Map<String, Value>,
    ids: &'a HashMap<String, String>,
    attrs: &'a HashMap<String, Value>,
}

fn index_path(mut v: Value, path: &[Value]) -> Value {
    for p in path {
        v = match (p, &v) {
            (Value::String(k), Value::Object(m)) => m.get(k).cloned().unwrap_or(Value::Null),
            (Value::Number(n), Value::Array(a)) => n
                .as_u64()
                .and_then(|i| a.get(usize::try_from(i).ok()?).cloned())
                .unwrap_or(Value::Null),
            (Value::String(s), Value::Array(a)) => s
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i).cloned())
                .unwrap_or(Value::Null),
            _ => Value::Null,
        };
    }
    v
}

/// Resolves `get_param`, `get_resource` and `get_attr` (an attribute not yet known is null).
fn resolve(v: &Value, s: &Scope<'_>) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m
                .iter()
                .next()
                .map_or(("", &Value::Null), |(k, a)| (k.as_str(), a));
            match (k, arg) {
                ("get_param", Value::String(p)) => s.params.get(p).cloned().unwrap_or(Value::Null),
                ("get_param", Value::Array(a)) if !a.is_empty() => {
                    let base = a[0]
                        .as_str()
                        .and_then(|p| s.params.get(p).cloned())
                        .unwrap_or(Value::Null);
                    index_path(base, &a[1..])
                }
                ("get_resource", Value::String(r)) => {
                    s.ids.get(r).cloned().map_or(Value::Null, Value::from)
                }
                ("get_attr", Value::Array(a)) if a.len() >= 2 => {
                    let r = a[0].as_str().unwrap_or_default();
                    let base = s.attrs.get(r).cloned().unwrap_or(Value::Null);
                    index_path(base, &a[1..])
                }
                _ => Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(x, s))).collect()),
            }
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(x, s))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve(x, s)).collect()),
        other => other.clone(),
    }
}

/// Replaces `%index%` in every string of `v`.
fn with_index(v: &Value, i: usize) -> Value {
    match v {
        Value::String(s) => Value::from(s.replace("%index%", &i.to_string())),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), with_index(x, i)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| with_index(x, i)).collect()),
        other => other.clone(),
    }
}

/// A `ResourceGroup`'s nested template: `count` copies of `resource_def`, named `0`…
fn group_template(props: &Value) -> Result<Value, String> {
    let count = match props.get("count") {
        None => 1,
        Some(Value::Number(n)) => n.as_u64().ok_or("count must be a non-negative integer")?,
        Some(Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| format!("count must be a non-negative integer, not {s}"))?,
        Some(other) => return Err(format!("count must be an integer, not {other}")),
    };
    let def = props.get("resource_def").cloned().unwrap_or(Value::Null);
    let mut res = Map::new();
    for i in 0..usize::try_from(count).unwrap_or(0) {
        res.insert(i.to_string(), with_index(&def, i));
    }
    Ok(json!({"heat_template_version": "2015-04-30", "resources": res}))
}

/// Heat serialises a server's metadata values that are not strings as JSON.
fn nova_metadata(v: &Value) -> Map<String, Value> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, x)| {
                    let s = match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), Value::from(s))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A Nova server group's rule: `affinity` or `anti-affinity`, per host.
fn server_group_rule(props: &Value) -> Result<Rule, String> {
    let policy = props
        .get("policies")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("affinity");
    let kind = match policy {
        "affinity" => Policy::Affinity,
        "anti-affinity" => Policy::Diversity,
        other => return Err(format!("Invalid server group policy: {other}")),
    };
    Ok(Rule {
        kind,
        level: Level::Host,
    })
}

// ---- the life of a stack ----

struct Op<'a> {
    ctx: &'a Ctx,
    store: &'a Store,
    cloud: &'a mut Cloud,
    project: String,
}

impl Op<'_> {
    /// The stack `id`, to change (so it is marked as changed).
    fn stack(&mut self, id: &str) -> Option<&mut Stack> {
        let s = self.cloud.stacks.iter_mut().find(|s| s.id == id)?;
        self.cloud.dirty_stacks.insert(s.id.clone());
        Some(s)
    }

    /// Sets (or, with `None`, removes) the rule of Nova server group `id`.
    fn set_rule(&mut self, id: &str, rule: Option<Rule>) {
        self.cloud.dirty_rules.insert(id.to_string());
        let mut rules = self
            .ctx
            .nova_rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match rule {
            Some(r) => rules.insert(id.to_string(), r),
            None => rules.remove(id),
        };
    }

    fn misplaced(&self, name: &str, host: String) -> String {
        match &self.cloud.opts.misplace {
            Some(marker) if name.contains(marker.as_str()) => {
                let hosts = &self.ctx.inventory.hosts;
                let rack = hosts.iter().find(|h| h.name == host).map(|h| &h.rack);
                hosts
                    .iter()
                    .find(|h| Some(&h.rack) != rack)
                    .map_or(host, |h| h.name.clone())
            }
            _ => host,
        }
    }

    /// A new stack (nested when `parent` is set) made from `template`; its outcome is in its
    /// status.
    fn new_stack(
        &mut self,
        name: &str,
        parent: Option<String>,
        template: Value,
        files: Map<String, Value>,
        inputs: &Map<String, Value>,
    ) -> String {
        let id = new_uuid();
        let now = self.ctx.now_ms;
        self.cloud.dirty_stacks.insert(id.clone());
        self.cloud.stacks.push(Stack {
            id: id.clone(),
            name: name.to_string(),
            project: self.project.clone(),
            parent,
            action: "CREATE",
            outcome: "COMPLETE",
            reason: "Stack CREATE completed successfully".into(),
            ready_ms: now + i64::try_from(self.cloud.opts.action_time.as_millis()).unwrap_or(0),
            created_ms: now,
            updated_ms: None,
            template,
            files,
            params: Map::new(),
            resources: Vec::new(),
            deleted: false,
            events: Vec::new(),
        });
        if let Err(reason) = self.build(&id, inputs, false)
            && let Some(s) = self.stack(&id)
        {
            s.outcome = "FAILED";
            s.reason = format!("Resource CREATE failed: {reason}");
        }
        self.record(&id);
        id
    }

    /// Records the events of the stack's current action: in progress now, its outcome when
    /// its time comes.
    fn record(&mut self, id: &str) {
        let now = self.ctx.now_ms;
        if let Some(s) = self.stack(id) {
            let started = (
                new_uuid(),
                now,
                format!("{}_IN_PROGRESS", s.action),
                format!("Stack {} started", s.action),
            );
            let ended = (
                new_uuid(),
                s.ready_ms.max(now),
                format!("{}_{}", s.action, s.outcome),
                s.reason.clone(),
            );
            s.events.push(started);
            s.events.push(ended);
        }
    }

    /// Creates (or, with `update`, updates) the resources of stack `id` from its template,
    /// with Valet asked first for the level's servers.
    fn build(&mut self, id: &str, inputs: &Map<String, Value>, update: bool) -> Result<(), String> {
        let stack = self.stack(id).ok_or("stack vanished")?.clone();
        let params = resolve_params(&stack.template, inputs)?;
        if let Some(s) = self.stack(id) {
            s.params = params.clone();
        }
        let defs = resources_of(&stack.template);
        let order = order(&defs).map_err(|r| valet::explanation(&r))?;
        let old: HashMap<String, Res> = stack
            .resources
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect();
        let mut ids = HashMap::new();
        let mut uuids = HashMap::new();
        let mut attrs: HashMap<String, Value> = HashMap::new();
        for n in &order {
            let ty = defs[n].get("type").and_then(Value::as_str).unwrap_or("");
            // A server group's policies cannot change in place: Heat replaces it.
            let replaced = |r: &Res| {
                ty == SERVER_GROUP && {
                    let (no_ids, no_attrs) = (HashMap::new(), HashMap::new());
                    let scope = Scope {
                        params: &params,
                        ids: &no_ids,
                        attrs: &no_attrs,
                    };
                    resolve(defs[n].get("properties").unwrap_or(&json!({})), &scope) != r.props
                }
            };
            match old.get(n).filter(|r| r.ty == ty && !replaced(r)) {
                Some(r) => {
                    ids.insert(n.clone(), r.id.clone());
                    uuids.insert(n.clone(), r.uuid.clone());
                    attrs.insert(n.clone(), r.attrs.clone());
                }
                None => {
                    ids.insert(n.clone(), new_uuid());
                    uuids.insert(n.clone(), new_uuid());
                }
            }
        }
        // Nova knows the level's server groups before Valet plans (their policies are rules
        // of the plan's servers that name them in `scheduler_hints`).
        for n in &order {
            if defs[n].get("type").and_then(Value::as_str) == Some(SERVER_GROUP) {
                let scope = Scope {
                    params: &params,
                    ids: &ids,
                    attrs: &attrs,
                };
                let props = resolve(defs[n].get("properties").unwrap_or(&json!({})), &scope);
                let rule = server_group_rule(&props).map_err(|e| format!("resources.{n}: {e}"))?;
                self.set_rule(&ids[n], Some(rule));
            }
        }
        // Valet's lifecycle plugin, before create or update: the level's servers.
        let mut plan = Map::new();
        for n in &order {
            if defs[n].get("type").and_then(Value::as_str) == Some(SERVER) {
                let scope = Scope {
                    params: &params,
                    ids: &ids,
                    attrs: &attrs,
                };
                let props = resolve(defs[n].get("properties").unwrap_or(&json!({})), &scope);
                plan.insert(
                    uuids[n].clone(),
                    json!({"type": SERVER, "name": n, "properties": props,
                           "metadata": defs[n].get("metadata").cloned().unwrap_or(json!({}))}),
                );
            }
        }
        let existing = valet::plan_of(self.store, id).map_err(|r| valet::explanation(&r))?;
        match existing {
            Some(p) if plan.is_empty() => {
                let _ = p;
                valet::delete_plan_of(self.store, id).map_err(|r| valet::explanation(&r))?;
            }
            Some(p) => valet::replan(self.ctx, self.store, &p, &plan, &HashSet::new())
                .map_err(|r| valet::explanation(&r))?,
            None if plan.is_empty() => {}
            None => {
                valet::create_plan(
                    self.ctx,
                    self.store,
                    &self.project,
                    &stack.name,
                    id,
                    &plan,
                    &[],
                )
                .map_err(|r| valet::explanation(&r))?;
            }
        }
        // Resources no longer in the template go first.
        for (n, r) in &old {
            if !order.contains(n) || ids.get(n) != Some(&r.id) {
                self.remove_resource(r);
                if let Some(s) = self.stack(id) {
                    s.resources.retain(|x| &x.name != n);
                }
            }
        }
        for n in &order {
            let def = &defs[n];
            let ty = def
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let scope = Scope {
                params: &params,
                ids: &ids,
                attrs: &attrs,
            };
            let props = resolve(def.get("properties").unwrap_or(&json!({})), &scope);
            let prior = old.get(n).filter(|r| r.id == ids[n]).cloned();
            let made = self
                .make(&stack, n, &ty, props, &ids[n], &uuids[n], prior, update)
                .map_err(|e| format!("resources.{n}: {e}"))?;
            attrs.insert(n.clone(), made.attrs.clone());
            if let Some(s) = self.stack(id) {
                s.resources.retain(|x| &x.name != n);
                s.resources.push(made);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn make(
        &mut self,
        stack: &Stack,
        name: &str,
        ty: &str,
        props: Value,
        id: &str,
        uuid: &str,
        prior: Option<Res>,
        update: bool,
    ) -> Result<Res, String> {
        let mut res = Res {
            name: name.to_string(),
            ty: ty.to_string(),
            id: id.to_string(),
            uuid: uuid.to_string(),
            props: props.clone(),
            nested: prior.as_ref().and_then(|p| p.nested.clone()),
            attrs: json!({}),
        };
        match ty {
            SERVER => {
                let flavor = props.get("flavor").and_then(Value::as_str).unwrap_or("");
                let (fname, fid, _) = engine::FLAVORS
                    .iter()
                    .find(|(n, i, _)| *n == flavor || *i == flavor)
                    .ok_or_else(|| format!("Flavor {flavor} could not be found."))?;
                let image = props.get("image").and_then(Value::as_str).unwrap_or("");
                if image != IMAGE.0 && image != IMAGE.1 {
                    return Err(format!("Image {image} could not be found."));
                }
                let host = valet::reserve(self.store, uuid, id)
                    .map_err(|r| valet::explanation(&r))?
                    .ok_or("Valet holds no placement for the server")?;
                let sname = props
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("{}-{name}", stack.name), str::to_string);
                let host = self.misplaced(&sname, host);
                let networks: Vec<String> = props
                    .get("networks")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|n| {
                        n.get("network")
                            .or_else(|| n.get("port"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect();
                let now = self.ctx.now_ms;
                let server = Server {
                    id: id.to_string(),
                    name: sname.clone(),
                    project: self.project.clone(),
                    host,
                    flavor: (*fid).to_string(),
                    image: IMAGE.1.to_string(),
                    metadata: nova_metadata(props.get("metadata").unwrap_or(&Value::Null)),
                    networks,
                    created_ms: prior.as_ref().map_or(now, |_| now),
                    updated_ms: now,
                };
                let _ = fname;
                self.cloud.dirty_servers.insert(id.to_string());
                match self.cloud.servers.iter_mut().find(|s| s.id == id) {
                    Some(s) => *s = server,
                    None => self.cloud.servers.push(server),
                }
                res.attrs = json!({"name": sname, "first_address": "10.0.0.2", "show": {"id": id}});
            }
            SERVER_GROUP => {
                let rule = server_group_rule(&props)?;
                self.set_rule(id, Some(rule));
                res.attrs = json!({"name": props.get("name").cloned().unwrap_or(Value::Null)});
            }
            RESOURCE_GROUP => {
                let t = group_template(&props)?;
                let inputs = Map::new();
                let child = self.nested(
                    stack,
                    name,
                    t,
                    stack.files.clone(),
                    &inputs,
                    res.nested.clone(),
                    update,
                )?;
                let refs: Vec<Value> = self
                    .stack(&child)
                    .map(|s| {
                        let mut r: Vec<&Res> = s.resources.iter().collect();
                        r.sort_by_key(|x| x.name.parse::<usize>().unwrap_or(0));
                        r.iter().map(|x| Value::from(x.id.clone())).collect()
                    })
                    .unwrap_or_default();
                res.nested = Some(child);
                res.attrs = json!({"refs": refs});
            }
            t if PLAIN.contains(&t) => {
                res.attrs = json!({"name": props.get("name").cloned().unwrap_or(Value::Null),
                                   "fixed_ips": props.get("fixed_ips").cloned().unwrap_or(json!([]))});
            }
            t => {
                let key = nested_key(&stack.files, t)
                    .ok_or_else(|| format!("The Resource Type ({t}) could not be found."))?;
                let template =
                    parse_template(&stack.files[&key]).map_err(|r| valet::explanation(&r))?;
                let inputs = props.as_object().cloned().unwrap_or_default();
                let child = self.nested(
                    stack,
                    name,
                    template,
                    stack.files.clone(),
                    &inputs,
                    res.nested.clone(),
                    update,
                )?;
                res.nested = Some(child);
            }
        }
        Ok(res)
    }

    #[allow(clippy::too_many_arguments)]
    fn nested(
        &mut self,
        stack: &Stack,
        name: &str,
        template: Value,
        files: Map<String, Value>,
        inputs: &Map<String, Value>,
        prior: Option<String>,
        update: bool,
    ) -> Result<String, String> {
        let child = match prior.filter(|_| update) {
            Some(child) => {
                let now = self.ctx.now_ms;
                if let Some(s) = self.stack(&child) {
                    s.template = template;
                    s.files = files;
                    s.action = "UPDATE";
                    s.outcome = "COMPLETE";
                    s.reason = "Stack UPDATE completed successfully".into();
                    s.updated_ms = Some(now);
                }
                if let Err(reason) = self.build(&child, inputs, true)
                    && let Some(s) = self.stack(&child)
                {
                    s.outcome = "FAILED";
                    s.reason = reason;
                }
                child
            }
            None => {
                let short: String = new_uuid().chars().take(12).collect();
                let nested_name = format!("{}-{name}-{short}", stack.name);
                self.new_stack(
                    &nested_name,
                    Some(stack.id.clone()),
                    template,
                    files,
                    inputs,
                )
            }
        };
        match self.stack(&child) {
            Some(s) if s.outcome == "FAILED" => Err(s.reason.clone()),
            _ => Ok(child),
        }
    }

    fn remove_resource(&mut self, r: &Res) {
        match r.ty.as_str() {
            SERVER => {
                self.cloud.dirty_servers.insert(r.id.clone());
                self.cloud.servers.retain(|s| s.id != r.id);
            }
            SERVER_GROUP => {
                self.set_rule(&r.id, None);
            }
            _ => {}
        }
        if let Some(child) = &r.nested {
            self.delete(child);
        }
    }

    /// Deletes a stack: its resources in reverse order, its nested stacks, its plan.
    fn delete(&mut self, id: &str) {
        let Some(stack) = self.stack(id).cloned() else {
            return;
        };
        for r in stack.resources.iter().rev() {
            self.remove_resource(r);
        }
        let _ = valet::delete_plan_of(self.store, id);
        let now = self.ctx.now_ms;
        let delay = i64::try_from(self.cloud.opts.action_time.as_millis()).unwrap_or(0);
        if let Some(s) = self.stack(id) {
            s.resources.clear();
            s.action = "DELETE";
            s.outcome = "COMPLETE";
            s.reason = "Stack DELETE completed successfully".into();
            s.ready_ms = now + delay;
            s.deleted = true;
        }
        self.record(id);
    }
}

// ---- HTTP ----

/// Heat's times: `2026-11-21T10:00:00Z`, whole seconds.
fn heat_time(ms: i64) -> String {
    let t = iso8601(ms);
    format!("{}Z", &t[..19.min(t.len())])
}

fn stack_json(ctx: &Ctx, s: &Stack, tenant: &str) -> Value {
    let status = s.status(ctx.now_ms);
    let reason = if status.ends_with("_IN_PROGRESS") {
        format!("Stack {} started", s.action)
    } else {
        s.reason.clone()
    };
    json!({
        "id": s.id,
        "stack_name": s.name,
        "stack_status": status,
        "stack_status_reason": reason,
        "creation_time": heat_time(s.created_ms),
        "updated_time": s.updated_ms.map(heat_time),
        "deletion_time": null,
        "description": s.template.get("description").cloned().unwrap_or(json!("No description")),
        "template_description": s.template.get("description").cloned().unwrap_or(json!("No description")),
        "parameters": s.params,
        "outputs": [],
        "parent": s.parent,
        "stack_owner": null,
        "stack_user_project_id": s.project,
        "disable_rollback": true,
        "timeout_mins": null,
        "capabilities": [],
        "notification_topics": [],
        "tags": null,
        "links": [{"href": format!("{}/orchestration/v1/{tenant}/stacks/{}/{}", ctx.base, s.name, s.id),
                   "rel": "self"}],
    })
}

fn body(req: &Request) -> Result<Map<String, Value>, Reply> {
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| {
            heat_error(
                400,
                "HTTPBadRequest",
                "The request body must be a JSON object.",
            )
        })
}

/// The template, files and inputs of a create or update body.
/// A template with its files and its inputs (parameters).
type Parsed = (Value, Map<String, Value>, Map<String, Value>);

fn read_body(m: &Map<String, Value>) -> Result<Parsed, Reply> {
    let template = parse_template(
        m.get("template")
            .ok_or_else(|| invalid("No template specified"))?,
    )?;
    let files = m
        .get("files")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut inputs = Map::new();
    let env = match m.get("environment") {
        Some(Value::String(s)) => serde_yaml::from_str::<Value>(s)
            .map_err(|e| invalid(format!("Error parsing environment: {e}")))?,
        Some(v) => v.clone(),
        None => Value::Null,
    };
    if let Some(p) = env.get("parameters").and_then(Value::as_object) {
        inputs.extend(p.clone());
    }
    if let Some(p) = m.get("parameters").and_then(Value::as_object) {
        inputs.extend(p.clone());
    }
    validate(&template, &files, 0)?;
    let declared = template
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    resolve_params(&template, &inputs).map_err(|e| heat_error(400, "UserParameterMissing", e))?;
    let _ = declared;
    Ok((template, files, inputs))
}

/// Heat's rule for stack names: `[a-zA-Z][a-zA-Z0-9_.-]{0,254}`.
fn valid_stack_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 255
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn not_found(what: &str) -> Reply {
    heat_error(
        404,
        "EntityNotFound",
        format!("The Stack ({what}) could not be found."),
    )
}

/// `/orchestration/v1/{tenant}/stacks…`, with what it changed written to the store (in the
/// request's transaction).
pub(crate) fn dispatch(
    ctx: &Ctx,
    store: &Store,
    cloud: &mut Cloud,
    req: &Request,
    rest: &[&str],
) -> Handled {
    let reply = route(ctx, store, cloud, req, rest);
    let rules = ctx.nova_rules();
    db(cloud.flush(store, &rules))?;
    reply
}

fn route(ctx: &Ctx, store: &Store, cloud: &mut Cloud, req: &Request, rest: &[&str]) -> Handled {
    let token = req.header("x-auth-token").unwrap_or("");
    let t = db(valid_token(ctx, store, token))?
        .ok_or_else(|| heat_error(401, "HTTPUnauthorized", "Authentication required"))?;
    let project = t.project_id.clone().unwrap_or_default();
    let (tenant, path) = match rest {
        ["v1", tenant, path @ ..] => (*tenant, path),
        _ => {
            return Err(heat_error(
                404,
                "HTTPNotFound",
                "The resource could not be found.",
            ));
        }
    };
    if tenant != project {
        return Err(heat_error(
            403,
            "Forbidden",
            "You are not authorized to use this tenant.",
        ));
    }
    let _admin = db(is_admin(store, &t))?;
    let mut op = Op {
        ctx,
        store,
        cloud,
        project,
    };
    let m = req.method.as_str();
    match path {
        ["stacks"] if m == "GET" => {
            let list: Vec<Value> = op
                .cloud
                .stacks
                .iter()
                .filter(|s| s.project == op.project && s.parent.is_none() && !s.deleted)
                .map(|s| stack_json(ctx, s, tenant))
                .collect();
            Ok(Reply::json(200, json!({ "stacks": list })))
        }
        ["stacks"] if m == "POST" => {
            let b = body(req)?;
            let name = b
                .get("stack_name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("The stack_name is required"))?
                .to_string();
            if !valid_stack_name(&name) {
                return Err(invalid(format!(
                    "Invalid stack name {name} must contain only alphanumeric or \"_-.\" \
                     characters, must start with alpha and must be 255 characters or less."
                )));
            }
            if op
                .cloud
                .stacks
                .iter()
                .any(|s| s.name == name && !s.deleted && s.project == op.project)
            {
                return Err(heat_error(
                    409,
                    "StackExists",
                    format!("The Stack ({name}) already exists."),
                ));
            }
            let (template, files, inputs) = read_body(&b)?;
            let id = op.new_stack(&name, None, template, files, &inputs);
            Ok(Reply::json(
                201,
                json!({"stack": {"id": id, "links": [{"href": format!("{}/orchestration/v1/{tenant}/stacks/{name}/{id}", ctx.base), "rel": "self"}]}}),
            ))
        }
        ["stacks", key, "events"] | ["stacks", _, key, "events"] if m == "GET" => {
            // By name/id, or (as heatclient asks) by name or id alone.
            let found = op
                .cloud
                .stacks
                .iter()
                .filter(|s| s.project == op.project)
                .rfind(|s| s.id == *key || (s.name == *key && !s.deleted))
                .cloned()
                .ok_or_else(|| not_found(key))?;
            let link = format!(
                "{}/orchestration/v1/{tenant}/stacks/{}/{}",
                ctx.base, found.name, found.id
            );
            let marker = req.query("marker");
            let shown = found.events.iter().filter(|e| e.1 <= ctx.now_ms);
            let after: Vec<&(String, i64, String, String)> = match marker {
                Some(m) => shown.skip_while(|e| e.0 != m).skip(1).collect(),
                None => shown.collect(),
            };
            let list: Vec<Value> = after
                .iter()
                .map(|(eid, t, status, reason)| {
                    json!({"id": eid, "event_time": heat_time(*t),
                           "resource_name": found.name, "logical_resource_id": found.name,
                           "physical_resource_id": found.id, "resource_status": status,
                           "resource_status_reason": reason,
                           "links": [{"rel": "self", "href": format!("{link}/events/{eid}")},
                                     {"rel": "stack", "href": link}]})
                })
                .collect();
            Ok(Reply::json(200, json!({ "events": list })))
        }
        ["stacks", key] | ["stacks", _, key] => {
            let key = (*key).to_string();
            let by_name_only = path.len() == 2;
            let found = op
                .cloud
                .stacks
                .iter()
                .filter(|s| s.project == op.project)
                .rfind(|s| s.id == key || (s.name == key && !s.deleted))
                .cloned()
                .ok_or_else(|| not_found(&key))?;
            if path.len() == 3 && path[1] != found.name && path[1] != found.id {
                return Err(not_found(path[1]));
            }
            match m {
                "GET" if by_name_only => Ok(Reply::empty(302).header(
                    "location",
                    format!(
                        "{}/orchestration/v1/{tenant}/stacks/{}/{}",
                        ctx.base, found.name, found.id
                    ),
                )),
                "GET" => Ok(Reply::json(
                    200,
                    json!({"stack": stack_json(ctx, &found, tenant)}),
                )),
                "PUT" | "PATCH" => {
                    if found.deleted {
                        return Err(not_found(&key));
                    }
                    if found.status(ctx.now_ms).ends_with("_IN_PROGRESS") {
                        return Err(heat_error(
                            409,
                            "ActionInProgress",
                            format!(
                                "Stack {} already has an action ({}) in progress.",
                                found.name, found.action
                            ),
                        ));
                    }
                    let b = body(req)?;
                    let (template, files, inputs) = read_body(&b)?;
                    let delay = i64::try_from(op.cloud.opts.action_time.as_millis()).unwrap_or(0);
                    if let Some(s) = op.stack(&found.id) {
                        s.template = template;
                        s.files = files;
                        s.action = "UPDATE";
                        s.outcome = "COMPLETE";
                        s.reason = "Stack UPDATE completed successfully".into();
                        s.ready_ms = ctx.now_ms + delay;
                        s.updated_ms = Some(ctx.now_ms);
                    }
                    if let Err(reason) = op.build(&found.id, &inputs, true)
                        && let Some(s) = op.stack(&found.id)
                    {
                        s.outcome = "FAILED";
                        s.reason = format!("Resource UPDATE failed: {reason}");
                    }
                    op.record(&found.id);
                    Ok(Reply::empty(202))
                }
                "DELETE" => {
                    if !found.deleted {
                        op.delete(&found.id);
                    }
                    Ok(Reply::empty(204))
                }
                _ => Err(heat_error(
                    405,
                    "HTTPMethodNotAllowed",
                    "The method is not allowed for this resource.",
                )),
            }
        }
        _ => Err(heat_error(
            404,
            "HTTPNotFound",
            "The resource could not be found.",
        )),
    }
}
