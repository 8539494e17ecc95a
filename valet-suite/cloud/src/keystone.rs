//! The Keystone v3 subset the suite needs, at `/identity/v3`: password tokens scoped to a
//! project (with a service catalog), token validation and revocation, projects, users, roles
//! and role assignments, with Keystone's JSON shapes and codes.
//!
//! There is one domain, id `default`, name `Default`. Passwords are kept as given: this is a
//! fixture for tests, not an identity service to trust.

use serde_json::{Value, json};

use crate::errors::{Handled, Reply, keystone_db, keystone_error};
use crate::options::AdminAccount;
pub use crate::options::{DOMAIN_ID, DOMAIN_NAME};
use crate::request::{Ctx, Request, new_id};
use crate::store::{Project, Role, Store, Token, User};

/// The region every catalog endpoint is in.
pub const REGION: &str = "RegionOne";
/// The roles the store starts with (as `keystone-manage bootstrap` makes them).
pub const BOOTSTRAP_ROLES: &[&str] = &["admin", "member", "reader"];
/// The project Valet's service user lives in (as devstack makes it).
pub const SERVICE_PROJECT: &str = "service";

const UNAUTHORIZED: &str = "The request you have made requires authentication.";

fn db<T>(r: rusqlite::Result<T>) -> Result<T, Reply> {
    r.map_err(keystone_db)
}

fn is_domain(s: &str) -> bool {
    s == DOMAIN_ID || s == DOMAIN_NAME
}

/// Makes the roles, the admin and service projects and the admin user with the `admin` role on
/// its project, as `keystone-manage bootstrap` does; run at every start, it resets the admin
/// password to the configured one and keeps everything else.
pub(crate) fn bootstrap(store: &Store, admin: &AdminAccount) -> rusqlite::Result<()> {
    for name in BOOTSTRAP_ROLES {
        if store.roles(Some(name))?.is_empty() {
            store.insert_role(&Role {
                id: new_id(),
                name: (*name).into(),
            })?;
        }
    }
    let mut project_ids = Vec::new();
    for name in [admin.project.as_str(), SERVICE_PROJECT] {
        let p = match store.project_by_name(DOMAIN_ID, name)? {
            Some(p) => p,
            None => {
                let p = Project {
                    id: new_id(),
                    name: name.into(),
                    domain_id: DOMAIN_ID.into(),
                    description: format!("Bootstrap project {name}"),
                    enabled: true,
                };
                store.insert_project(&p)?;
                p
            }
        };
        project_ids.push(p.id);
    }
    let user = match store.user_by_name(DOMAIN_ID, &admin.username)? {
        Some(u) => {
            store.set_password(&u.id, &admin.password)?;
            u
        }
        None => {
            let u = User {
                id: new_id(),
                name: admin.username.clone(),
                domain_id: DOMAIN_ID.into(),
                password: admin.password.clone(),
                default_project_id: Some(project_ids[0].clone()),
                email: None,
                enabled: true,
            };
            store.insert_user(&u)?;
            u
        }
    };
    let admin_role = store.roles(Some("admin"))?.remove(0);
    store.assign(&project_ids[0], &user.id, &admin_role.id)?;
    Ok(())
}

/// Formats milliseconds since the epoch as Keystone does: `2026-11-21T10:00:00.000000Z`.
pub(crate) fn iso8601(ms: i64) -> String {
    // Times before 1970 print as the epoch; seconds past the timestamp's range saturate.
    let ms = ms.max(0).unsigned_abs();
    let secs = u32::try_from(ms / 1000).unwrap_or(u32::MAX);
    let t = subunit_emitter::Timestamp::new(secs, (ms % 1000) as u32 * 1_000_000).to_utc();
    format!("{}Z", t.format_micros('T'))
}

fn domain_json() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

fn project_json(ctx: &Ctx, p: &Project) -> Value {
    json!({
        "id": p.id, "name": p.name, "domain_id": p.domain_id, "description": p.description,
        "enabled": p.enabled, "is_domain": false, "parent_id": p.domain_id, "tags": [],
        "options": {}, "links": {"self": format!("{}/projects/{}", ctx.identity_url(), p.id)},
    })
}

fn user_json(ctx: &Ctx, u: &User) -> Value {
    let mut v = json!({
        "id": u.id, "name": u.name, "domain_id": u.domain_id, "enabled": u.enabled,
        "password_expires_at": null, "options": {},
        "links": {"self": format!("{}/users/{}", ctx.identity_url(), u.id)},
    });
    if let Some(p) = &u.default_project_id {
        v["default_project_id"] = json!(p);
    }
    if let Some(e) = &u.email {
        v["email"] = json!(e);
    }
    v
}

fn role_json(ctx: &Ctx, r: &Role) -> Value {
    json!({
        "id": r.id, "name": r.name, "domain_id": null, "description": null, "options": {},
        "links": {"self": format!("{}/roles/{}", ctx.identity_url(), r.id)},
    })
}

/// The service catalog: Keystone itself (type `identity`), Valet (type `placement`, name
/// `valet`), Heat (type `orchestration`, name `heat`, `/orchestration/v1/{project_id}`) and
/// Nova (type `compute`, name `nova`, `/compute/v2.1`), each with the public, internal and
/// admin interfaces in `RegionOne` at one URL, as devstack registers them.
pub(crate) fn catalog(ctx: &Ctx, project_id: &str) -> Value {
    let service = |ty: &str, name: &str, id: &str, url: String| {
        let endpoints: Vec<Value> = ["public", "internal", "admin"]
            .iter()
            .map(|i| {
                json!({"id": format!("{id}-{i}"), "interface": i, "region": REGION,
                       "region_id": REGION, "url": url})
            })
            .collect();
        json!({"type": ty, "name": name, "id": id, "endpoints": endpoints})
    };
    json!([
        service(
            "identity",
            "keystone",
            "identity",
            format!("{}/identity", ctx.base)
        ),
        service("placement", "valet", "valet", ctx.valet_url()),
        service(
            "orchestration",
            "heat",
            "heat",
            format!("{}/orchestration/v1/{project_id}", ctx.base)
        ),
        service(
            "compute",
            "nova",
            "nova",
            format!("{}/compute/v2.1", ctx.base)
        ),
    ])
}

fn token_body(ctx: &Ctx, store: &Store, t: &Token) -> Result<Value, Reply> {
    let user = db(store.user(&t.user_id))?
        .ok_or_else(|| keystone_error(404, format!("Could not find token: {}.", t.id)))?;
    let mut token = json!({
        "methods": ["password"],
        "user": {"domain": domain_json(), "id": user.id, "name": user.name,
                 "password_expires_at": null},
        "audit_ids": [t.audit_id],
        "expires_at": iso8601(t.expires_ms),
        "issued_at": iso8601(t.issued_ms),
    });
    if let Some(pid) = &t.project_id {
        let project = db(store.project(pid))?
            .ok_or_else(|| keystone_error(404, format!("Could not find token: {}.", t.id)))?;
        let roles: Vec<Value> = db(store.roles_of(&user.id, pid))?
            .iter()
            .map(|r| json!({"id": r.id, "name": r.name}))
            .collect();
        token["project"] = json!({"domain": domain_json(), "id": project.id, "name": project.name});
        token["is_domain"] = json!(false);
        token["roles"] = json!(roles);
        token["catalog"] = catalog(ctx, pid);
    }
    Ok(json!({ "token": token }))
}

/// A token that exists and has not expired, whose user still exists.
pub(crate) fn valid_token(ctx: &Ctx, store: &Store, id: &str) -> rusqlite::Result<Option<Token>> {
    let Some(t) = store.token(id)? else {
        return Ok(None);
    };
    if t.expires_ms <= ctx.now_ms || store.user(&t.user_id)?.is_none() {
        return Ok(None);
    }
    Ok(Some(t))
}

/// Whether the token's user holds the role named `admin` on the token's project.
pub(crate) fn is_admin(store: &Store, t: &Token) -> rusqlite::Result<bool> {
    let Some(pid) = &t.project_id else {
        return Ok(false);
    };
    Ok(store
        .roles_of(&t.user_id, pid)?
        .iter()
        .any(|r| r.name == "admin"))
}

/// The caller's token, checked for the admin API: 401 without a valid one, 403 without the
/// `admin` role.
fn require_admin(ctx: &Ctx, store: &Store, req: &Request, action: &str) -> Result<Token, Reply> {
    let id = req.header("x-auth-token").unwrap_or("");
    let t = db(valid_token(ctx, store, id))?.ok_or_else(|| keystone_error(401, UNAUTHORIZED))?;
    if !db(is_admin(store, &t))? {
        return Err(keystone_error(
            403,
            format!("You are not authorized to perform the requested action: identity:{action}."),
        ));
    }
    Ok(t)
}

fn body(req: &Request) -> Result<Value, Reply> {
    serde_json::from_slice(&req.body)
        .map_err(|e| keystone_error(400, format!("Malformed request body: {e}")))
}

fn str_field<'a>(v: &'a Value, path: &str) -> Result<&'a str, Reply> {
    v.as_str().ok_or_else(|| {
        keystone_error(
            400,
            format!("Invalid input for field '{path}': expected a string."),
        )
    })
}

fn not_allowed() -> Reply {
    keystone_error(405, "The method is not allowed for the requested URL.")
}

fn not_found() -> Reply {
    keystone_error(404, "The resource could not be found.")
}

/// Routes a request under `/identity`; `rest` is the path after it.
pub(crate) fn dispatch(ctx: &Ctx, store: &Store, req: &Request, rest: &[&str]) -> Handled {
    let m = req.method.as_str();
    match rest {
        [] => match m {
            "GET" | "HEAD" => Ok(Reply::json(
                300,
                json!({"versions": {"values": [version(ctx)]}}),
            )),
            _ => Err(not_allowed()),
        },
        ["v3"] => match m {
            "GET" | "HEAD" => Ok(Reply::json(200, json!({ "version": version(ctx) }))),
            _ => Err(not_allowed()),
        },
        ["v3", "auth", "tokens"] => match m {
            "POST" => issue(ctx, store, req),
            "GET" | "HEAD" => validate(ctx, store, req),
            "DELETE" => revoke(ctx, store, req),
            _ => Err(not_allowed()),
        },
        ["v3", "projects"] => match m {
            "GET" => {
                require_admin(ctx, store, req, "list_projects")?;
                let name = req.query("name");
                let list: Vec<Value> = db(store.projects())?
                    .iter()
                    .filter(|p| name.is_none_or(|n| p.name == n))
                    .map(|p| project_json(ctx, p))
                    .collect();
                Ok(Reply::json(
                    200,
                    json!({"projects": list, "links": links(ctx, "projects")}),
                ))
            }
            "POST" => create_project(ctx, store, req),
            _ => Err(not_allowed()),
        },
        ["v3", "projects", id] => {
            let action = if m == "DELETE" {
                "delete_project"
            } else {
                "get_project"
            };
            require_admin(ctx, store, req, action)?;
            let p = db(store.project(id))?
                .ok_or_else(|| keystone_error(404, format!("Could not find project: {id}.")))?;
            match m {
                "GET" => Ok(Reply::json(200, json!({"project": project_json(ctx, &p)}))),
                "DELETE" => {
                    db(store.delete_project(&p.id))?;
                    Ok(Reply::empty(204))
                }
                _ => Err(not_allowed()),
            }
        }
        ["v3", "projects", p, "users", u, "roles"] => match m {
            "GET" => {
                require_admin(ctx, store, req, "list_grants")?;
                find_project_user(store, p, u)?;
                Ok(roles_reply(ctx, &db(store.roles_of(u, p))?))
            }
            _ => Err(not_allowed()),
        },
        ["v3", "projects", p, "users", u, "roles", r] => {
            let action = match m {
                "PUT" => "create_grant",
                "DELETE" => "revoke_grant",
                _ => "check_grant",
            };
            require_admin(ctx, store, req, action)?;
            find_project_user(store, p, u)?;
            db(store.role(r))?
                .ok_or_else(|| keystone_error(404, format!("Could not find role: {r}.")))?;
            match m {
                "PUT" => {
                    db(store.assign(p, u, r))?;
                    Ok(Reply::empty(204))
                }
                "GET" | "HEAD" => {
                    if db(store.roles_of(u, p))?.iter().any(|x| x.id == *r) {
                        Ok(Reply::empty(204))
                    } else {
                        Err(no_role_assignment(r, u, p))
                    }
                }
                "DELETE" => {
                    if db(store.unassign(p, u, r))? {
                        Ok(Reply::empty(204))
                    } else {
                        Err(no_role_assignment(r, u, p))
                    }
                }
                _ => Err(not_allowed()),
            }
        }
        ["v3", "users"] => match m {
            "POST" => create_user(ctx, store, req),
            _ => Err(not_allowed()),
        },
        ["v3", "users", id] => {
            let action = if m == "DELETE" {
                "delete_user"
            } else {
                "get_user"
            };
            require_admin(ctx, store, req, action)?;
            let u = db(store.user(id))?
                .ok_or_else(|| keystone_error(404, format!("Could not find user: {id}.")))?;
            match m {
                "GET" => Ok(Reply::json(200, json!({"user": user_json(ctx, &u)}))),
                "DELETE" => {
                    db(store.delete_user(&u.id))?;
                    Ok(Reply::empty(204))
                }
                _ => Err(not_allowed()),
            }
        }
        ["v3", "roles"] => match m {
            "GET" => {
                require_admin(ctx, store, req, "list_roles")?;
                Ok(roles_reply(ctx, &db(store.roles(req.query("name")))?))
            }
            _ => Err(not_allowed()),
        },
        ["v3", "roles", id] => match m {
            "GET" => {
                require_admin(ctx, store, req, "get_role")?;
                let r = db(store.role(id))?
                    .ok_or_else(|| keystone_error(404, format!("Could not find role: {id}.")))?;
                Ok(Reply::json(200, json!({"role": role_json(ctx, &r)})))
            }
            _ => Err(not_allowed()),
        },
        _ => Err(not_found()),
    }
}

fn version(ctx: &Ctx) -> Value {
    json!({
        "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/", ctx.identity_url())}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

/// A list of roles, as `GET /v3/roles` and the grant listing reply.
fn roles_reply(ctx: &Ctx, roles: &[Role]) -> Reply {
    let roles: Vec<Value> = roles.iter().map(|r| role_json(ctx, r)).collect();
    Reply::json(200, json!({"roles": roles, "links": links(ctx, "roles")}))
}

/// The 404 for a grant that does not exist.
fn no_role_assignment(r: &str, u: &str, p: &str) -> Reply {
    keystone_error(
        404,
        format!(
            "Could not find role assignment with role: {r}, user or group: {u}, project, domain, or system: {p}."
        ),
    )
}

fn links(ctx: &Ctx, what: &str) -> Value {
    json!({"self": format!("{}/{what}", ctx.identity_url()), "previous": null, "next": null})
}

fn find_project_user(store: &Store, p: &str, u: &str) -> Result<(), Reply> {
    db(store.project(p))?
        .ok_or_else(|| keystone_error(404, format!("Could not find project: {p}.")))?;
    db(store.user(u))?.ok_or_else(|| keystone_error(404, format!("Could not find user: {u}.")))?;
    Ok(())
}

/// A domain reference `{"id": ..}` or `{"name": ..}`; only the one domain exists.
fn domain_ok(v: &Value) -> bool {
    ["id", "name"]
        .iter()
        .any(|k| v.get(*k).and_then(Value::as_str).is_some_and(is_domain))
}

/// `POST /v3/auth/tokens`: the password method, scoped to a project by id or by name and
/// domain, or unscoped.
fn issue(ctx: &Ctx, store: &Store, req: &Request) -> Handled {
    let v = body(req)?;
    let auth = v.get("auth").ok_or_else(|| {
        keystone_error(
            400,
            "Invalid input for field 'auth': 'auth' is a required property.",
        )
    })?;
    let identity = auth.get("identity").ok_or_else(|| {
        keystone_error(
            400,
            "Invalid input for field 'identity': 'identity' is a required property.",
        )
    })?;
    let methods = identity
        .get("methods")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            keystone_error(
                400,
                "Invalid input for field 'methods': 'methods' is a required property.",
            )
        })?;
    if !methods.iter().any(|m| m.as_str() == Some("password")) {
        return Err(keystone_error(
            401,
            "Attempted to authenticate with an unsupported method.",
        ));
    }
    let user = identity.pointer("/password/user").ok_or_else(|| {
        keystone_error(
            400,
            "Invalid input for field 'password': 'user' is a required property.",
        )
    })?;
    let password = str_field(user.get("password").unwrap_or(&Value::Null), "password")?;
    let found = if let Some(id) = user.get("id") {
        db(store.user(str_field(id, "id")?))?
    } else {
        let name = str_field(user.get("name").unwrap_or(&Value::Null), "name")?;
        let domain = user
            .get("domain")
            .ok_or_else(|| keystone_error(400, "Expected to find a domain for user by name."))?;
        if domain_ok(domain) {
            db(store.user_by_name(DOMAIN_ID, name))?
        } else {
            None
        }
    };
    let user = match found {
        Some(u) if u.enabled && u.password == password => u,
        _ => return Err(keystone_error(401, UNAUTHORIZED)),
    };
    let project_id = match auth.get("scope") {
        None => None,
        Some(scope) => {
            let Some(p) = scope.get("project") else {
                return Err(keystone_error(
                    400,
                    "Only project scope is supported by this server.",
                ));
            };
            let project = if let Some(id) = p.get("id") {
                db(store.project(str_field(id, "id")?))?
            } else {
                let name = str_field(p.get("name").unwrap_or(&Value::Null), "name")?;
                match p.get("domain") {
                    Some(d) if domain_ok(d) => db(store.project_by_name(DOMAIN_ID, name))?,
                    Some(_) => None,
                    None => {
                        return Err(keystone_error(
                            400,
                            "Expected to find a domain for project by name.",
                        ));
                    }
                }
            };
            let project = match project {
                Some(p) if p.enabled => p,
                _ => return Err(keystone_error(401, UNAUTHORIZED)),
            };
            if db(store.roles_of(&user.id, &project.id))?.is_empty() {
                return Err(keystone_error(401, UNAUTHORIZED));
            }
            Some(project.id)
        }
    };
    db(store.purge_tokens(ctx.now_ms))?;
    let t = Token {
        id: new_id(),
        user_id: user.id,
        project_id,
        issued_ms: ctx.now_ms,
        expires_ms: ctx.now_ms + ctx.token_ttl_ms,
        audit_id: new_id()[..22].to_string(),
    };
    db(store.insert_token(&t))?;
    Ok(Reply::json(201, token_body(ctx, store, &t)?).header("X-Subject-Token", t.id))
}

fn subject(ctx: &Ctx, store: &Store, req: &Request) -> Result<Token, Reply> {
    let caller = req.header("x-auth-token").unwrap_or("");
    let caller =
        db(valid_token(ctx, store, caller))?.ok_or_else(|| keystone_error(401, UNAUTHORIZED))?;
    let sid = req
        .header("x-subject-token")
        .ok_or_else(|| keystone_error(400, "Missing the X-Subject-Token header."))?;
    if caller.id != sid && !db(is_admin(store, &caller))? {
        return Err(keystone_error(
            403,
            "You are not authorized to perform the requested action: identity:validate_token.",
        ));
    }
    db(valid_token(ctx, store, sid))?
        .ok_or_else(|| keystone_error(404, format!("Could not find token: {sid}.")))
}

/// `GET /v3/auth/tokens`: 200 with the subject token's body, 404 if it is unknown or expired.
fn validate(ctx: &Ctx, store: &Store, req: &Request) -> Handled {
    let t = subject(ctx, store, req)?;
    Ok(Reply::json(200, token_body(ctx, store, &t)?).header("X-Subject-Token", t.id))
}

/// `DELETE /v3/auth/tokens`: revokes the subject token.
fn revoke(ctx: &Ctx, store: &Store, req: &Request) -> Handled {
    let t = subject(ctx, store, req)?;
    db(store.delete_token(&t.id))?;
    Ok(Reply::empty(204))
}

fn create_project(ctx: &Ctx, store: &Store, req: &Request) -> Handled {
    require_admin(ctx, store, req, "create_project")?;
    let v = body(req)?;
    let p = v.get("project").ok_or_else(|| {
        keystone_error(
            400,
            "Invalid input for field 'project': 'project' is a required property.",
        )
    })?;
    let name = str_field(p.get("name").unwrap_or(&Value::Null), "name")?;
    if name.is_empty() || name.chars().count() > 64 {
        return Err(keystone_error(
            400,
            "Invalid input for field 'name': the length must be between 1 and 64.",
        ));
    }
    let domain_id = match p.get("domain_id") {
        None | Some(Value::Null) => DOMAIN_ID,
        Some(d) => {
            let d = str_field(d, "domain_id")?;
            if d != DOMAIN_ID {
                return Err(keystone_error(404, format!("Could not find domain: {d}.")));
            }
            d
        }
    };
    let description = match p.get("description") {
        None | Some(Value::Null) => "",
        Some(d) => str_field(d, "description")?,
    };
    let enabled = p.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    if db(store.project_by_name(domain_id, name))?.is_some() {
        return Err(keystone_error(
            409,
            format!(
                "Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : {name}."
            ),
        ));
    }
    let project = Project {
        id: new_id(),
        name: name.into(),
        domain_id: domain_id.into(),
        description: description.into(),
        enabled,
    };
    db(store.insert_project(&project))?;
    Ok(Reply::json(
        201,
        json!({"project": project_json(ctx, &project)}),
    ))
}

fn create_user(ctx: &Ctx, store: &Store, req: &Request) -> Handled {
    require_admin(ctx, store, req, "create_user")?;
    let v = body(req)?;
    let u = v.get("user").ok_or_else(|| {
        keystone_error(
            400,
            "Invalid input for field 'user': 'user' is a required property.",
        )
    })?;
    let name = str_field(u.get("name").unwrap_or(&Value::Null), "name")?;
    if name.is_empty() || name.chars().count() > 255 {
        return Err(keystone_error(
            400,
            "Invalid input for field 'name': the length must be between 1 and 255.",
        ));
    }
    let opt = |k: &str| -> Result<Option<String>, Reply> {
        match u.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => Ok(Some(str_field(x, k)?.to_string())),
        }
    };
    let domain_id = opt("domain_id")?.unwrap_or_else(|| DOMAIN_ID.into());
    if domain_id != DOMAIN_ID {
        return Err(keystone_error(
            404,
            format!("Could not find domain: {domain_id}."),
        ));
    }
    let default_project_id = opt("default_project_id")?;
    if let Some(p) = &default_project_id
        && db(store.project(p))?.is_none()
    {
        return Err(keystone_error(404, format!("Could not find project: {p}.")));
    }
    if db(store.user_by_name(&domain_id, name))?.is_some() {
        return Err(keystone_error(
            409,
            format!(
                "Conflict occurred attempting to store user - Duplicate entry found with name {name} at domain ID {domain_id}."
            ),
        ));
    }
    let user = User {
        id: new_id(),
        name: name.into(),
        domain_id,
        password: opt("password")?.unwrap_or_default(),
        default_project_id,
        email: opt("email")?,
        enabled: u.get("enabled").and_then(Value::as_bool).unwrap_or(true),
    };
    db(store.insert_user(&user))?;
    Ok(Reply::json(201, json!({"user": user_json(ctx, &user)})))
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn timestamps_are_keystone_shaped() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123000Z");
        assert_eq!(iso8601(1_795_000_000_000), "2026-11-18T11:06:40.000000Z");
    }
}
