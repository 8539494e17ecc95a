//! The store: SQLite (bundled) through rusqlite, in memory for an embedded run or a file for
//! `serve`, the schema created on first open and data kept across restarts.
//!
//! One [`Store`] is shared by every request behind a mutex; each request runs in one
//! transaction, committed when it succeeds and rolled back when it answers an error, so a
//! failed request leaves nothing half done.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use crate::engine::{Demand, Kind, Level, Rule};

/// The schema, created if absent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL,
    description TEXT NOT NULL, enabled INTEGER NOT NULL, UNIQUE (domain_id, name));
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL, password TEXT NOT NULL,
    default_project_id TEXT, email TEXT, enabled INTEGER NOT NULL, UNIQUE (domain_id, name));
CREATE TABLE IF NOT EXISTS roles (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS assignments (
    project_id TEXT NOT NULL, user_id TEXT NOT NULL, role_id TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id, role_id));
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT,
    issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, audit_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (group_id, member));
CREATE TABLE IF NOT EXISTS plans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    stack_id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS placements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, plan_id TEXT NOT NULL,
    orchestration_id TEXT NOT NULL, name TEXT NOT NULL, resource_id TEXT, location TEXT NOT NULL,
    reserved INTEGER NOT NULL, metadata TEXT NOT NULL, vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL, disk_gb INTEGER NOT NULL, groups TEXT NOT NULL,
    UNIQUE (plan_id, orchestration_id));
CREATE TABLE IF NOT EXISTS heat_stacks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nova_servers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nova_server_groups (
    id TEXT PRIMARY KEY, policy TEXT NOT NULL, level TEXT NOT NULL);
";

/// The tables that keep Heat's and Nova's objects as JSON documents (the heat module owns
/// their shape), in the order they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doc {
    /// Heat's stacks, nested ones included.
    Stack,
    /// Nova's servers.
    Server,
}

impl Doc {
    fn table(self) -> &'static str {
        match self {
            Doc::Stack => "heat_stacks",
            Doc::Server => "nova_servers",
        }
    }
}

/// A Keystone project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub description: String,
    pub enabled: bool,
}

/// A Keystone user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub password: String,
    pub default_project_id: Option<String>,
    pub email: Option<String>,
    pub enabled: bool,
}

/// A Keystone role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Role {
    pub id: String,
    pub name: String,
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub id: String,
    pub user_id: String,
    pub project_id: Option<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
    pub audit_id: String,
}

/// A Valet group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub level: String,
    pub members: Vec<String>,
}

/// A Valet plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub id: String,
    pub name: String,
    pub stack_id: String,
    pub tenant_id: String,
}

/// A Valet placement: one server of a plan on a host.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    pub id: String,
    pub plan_id: String,
    pub orchestration_id: String,
    pub name: String,
    pub resource_id: Option<String>,
    pub location: String,
    pub reserved: bool,
    pub metadata: Value,
    pub demand: Demand,
    /// The ids of the groups the server belongs to.
    pub groups: Vec<String>,
}

/// The database.
pub(crate) struct Store {
    conn: Connection,
}

fn project_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        domain_id: r.get(2)?,
        description: r.get(3)?,
        enabled: r.get(4)?,
    })
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        domain_id: r.get(2)?,
        password: r.get(3)?,
        default_project_id: r.get(4)?,
        email: r.get(5)?,
        enabled: r.get(6)?,
    })
}

fn json_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let s: String = r.get(i)?;
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn unsigned(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    let v: i64 = r.get(i)?;
    u64::try_from(v).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, Box::new(e))
    })
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn placement_row(r: &Row<'_>) -> rusqlite::Result<Placement> {
    let groups = json_col(r, 11)?;
    Ok(Placement {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        orchestration_id: r.get(2)?,
        name: r.get(3)?,
        resource_id: r.get(4)?,
        location: r.get(5)?,
        reserved: r.get(6)?,
        metadata: json_col(r, 7)?,
        demand: Demand {
            vcpus: r.get(8)?,
            memory_mb: unsigned(r, 9)?,
            disk_gb: unsigned(r, 10)?,
        },
        groups: groups
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

const PROJECT_COLS: &str = "id, name, domain_id, description, enabled";
const USER_COLS: &str = "id, name, domain_id, password, default_project_id, email, enabled";
const PLACEMENT_COLS: &str = "id, plan_id, orchestration_id, name, resource_id, location, \
                              reserved, metadata, vcpus, memory_mb, disk_gb, groups";

impl Store {
    /// Opens (creating if needed) the database at `path`, or one in memory for `None`.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Store> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if path.is_some() {
            // Write-ahead log: readers of the file (another process, `sqlite3`) never block a
            // write. `synchronous = FULL` syncs the log at every commit, so a request answered
            // 2xx is on disk before its answer is sent: it survives the process killed
            // (`kill -9`) and the machine losing power, not only a clean stop.
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the store cannot use a write-ahead log (journal mode {mode})").into(),
                ));
            }
            conn.execute_batch("PRAGMA synchronous = FULL")?;
        }
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// Runs `f` in a transaction: committed if `f` answers a success, rolled back otherwise. A
    /// commit that fails (a full disk) rolls back too, so the next request starts clean.
    pub fn transaction<R>(
        &mut self,
        f: impl FnOnce(&mut Store) -> R,
        success: impl Fn(&R) -> bool,
    ) -> rusqlite::Result<R> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let r = f(self);
        if success(&r) {
            if let Err(e) = self.conn.execute_batch("COMMIT") {
                self.rollback()?;
                return Err(e);
            }
        } else {
            self.rollback()?;
        }
        Ok(r)
    }

    /// Rolls back the open transaction, if SQLite has not already (as it may after an I/O
    /// error or a full disk).
    fn rollback(&self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK")
    }

    // ---- Keystone ----

    pub fn insert_project(&self, p: &Project) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO projects (id, name, domain_id, description, enabled) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![p.id, p.name, p.domain_id, p.description, p.enabled],
        )?;
        Ok(())
    }

    pub fn project(&self, id: &str) -> rusqlite::Result<Option<Project>> {
        self.conn
            .query_row(
                &format!("SELECT {PROJECT_COLS} FROM projects WHERE id = ?1"),
                [id],
                project_row,
            )
            .optional()
    }

    pub fn project_by_name(
        &self,
        domain_id: &str,
        name: &str,
    ) -> rusqlite::Result<Option<Project>> {
        self.conn
            .query_row(
                &format!("SELECT {PROJECT_COLS} FROM projects WHERE domain_id = ?1 AND name = ?2"),
                [domain_id, name],
                project_row,
            )
            .optional()
    }

    pub fn projects(&self) -> rusqlite::Result<Vec<Project>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {PROJECT_COLS} FROM projects ORDER BY name, id"
        ))?;
        st.query_map([], project_row)?.collect()
    }

    /// Deletes a project with its role assignments and the tokens scoped to it.
    pub fn delete_project(&self, id: &str) -> rusqlite::Result<bool> {
        self.conn
            .execute("DELETE FROM assignments WHERE project_id = ?1", [id])?;
        self.conn
            .execute("DELETE FROM tokens WHERE project_id = ?1", [id])?;
        Ok(self
            .conn
            .execute("DELETE FROM projects WHERE id = ?1", [id])?
            > 0)
    }

    pub fn insert_user(&self, u: &User) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO users (id, name, domain_id, password, default_project_id, email, enabled) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                u.id,
                u.name,
                u.domain_id,
                u.password,
                u.default_project_id,
                u.email,
                u.enabled
            ],
        )?;
        Ok(())
    }

    pub fn set_password(&self, user_id: &str, password: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE users SET password = ?2 WHERE id = ?1",
            [user_id, password],
        )?;
        Ok(())
    }

    pub fn user(&self, id: &str) -> rusqlite::Result<Option<User>> {
        self.conn
            .query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
                [id],
                user_row,
            )
            .optional()
    }

    pub fn user_by_name(&self, domain_id: &str, name: &str) -> rusqlite::Result<Option<User>> {
        self.conn
            .query_row(
                &format!("SELECT {USER_COLS} FROM users WHERE domain_id = ?1 AND name = ?2"),
                [domain_id, name],
                user_row,
            )
            .optional()
    }

    /// Deletes a user with its role assignments and tokens.
    pub fn delete_user(&self, id: &str) -> rusqlite::Result<bool> {
        self.conn
            .execute("DELETE FROM assignments WHERE user_id = ?1", [id])?;
        self.conn
            .execute("DELETE FROM tokens WHERE user_id = ?1", [id])?;
        Ok(self.conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
    }

    pub fn insert_role(&self, r: &Role) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO roles (id, name) VALUES (?1, ?2)",
            [&r.id, &r.name],
        )?;
        Ok(())
    }

    pub fn role(&self, id: &str) -> rusqlite::Result<Option<Role>> {
        self.conn
            .query_row("SELECT id, name FROM roles WHERE id = ?1", [id], |r| {
                Ok(Role {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .optional()
    }

    pub fn roles(&self, name: Option<&str>) -> rusqlite::Result<Vec<Role>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name FROM roles WHERE ?1 IS NULL OR name = ?1 ORDER BY name")?;
        st.query_map([name], |r| {
            Ok(Role {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect()
    }

    pub fn assign(&self, project_id: &str, user_id: &str, role_id: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO assignments (project_id, user_id, role_id) VALUES (?1, ?2, ?3)",
            [project_id, user_id, role_id],
        )?;
        Ok(())
    }

    pub fn unassign(
        &self,
        project_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> rusqlite::Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM assignments WHERE project_id = ?1 AND user_id = ?2 AND role_id = ?3",
            [project_id, user_id, role_id],
        )? > 0)
    }

    /// The roles `user_id` holds on `project_id`.
    pub fn roles_of(&self, user_id: &str, project_id: &str) -> rusqlite::Result<Vec<Role>> {
        let mut st = self.conn.prepare(
            "SELECT r.id, r.name FROM roles r JOIN assignments a ON a.role_id = r.id \
             WHERE a.user_id = ?1 AND a.project_id = ?2 ORDER BY r.name",
        )?;
        st.query_map([user_id, project_id], |r| {
            Ok(Role {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect()
    }

    pub fn insert_token(&self, t: &Token) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO tokens (id, user_id, project_id, issued_ms, expires_ms, audit_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.id,
                t.user_id,
                t.project_id,
                t.issued_ms,
                t.expires_ms,
                t.audit_id
            ],
        )?;
        Ok(())
    }

    pub fn token(&self, id: &str) -> rusqlite::Result<Option<Token>> {
        self.conn
            .query_row(
                "SELECT id, user_id, project_id, issued_ms, expires_ms, audit_id FROM tokens WHERE id = ?1",
                [id],
                |r| {
                    Ok(Token {
                        id: r.get(0)?,
                        user_id: r.get(1)?,
                        project_id: r.get(2)?,
                        issued_ms: r.get(3)?,
                        expires_ms: r.get(4)?,
                        audit_id: r.get(5)?,
                    })
                },
            )
            .optional()
    }

    pub fn delete_token(&self, id: &str) -> rusqlite::Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM tokens WHERE id = ?1", [id])?
            > 0)
    }

    /// Forgets tokens that expired before `now_ms`.
    pub fn purge_tokens(&self, now_ms: i64) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM tokens WHERE expires_ms <= ?1", [now_ms])?;
        Ok(())
    }

    // ---- Valet groups ----

    fn members(&self, group_id: &str) -> rusqlite::Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT member FROM group_members WHERE group_id = ?1 ORDER BY member")?;
        st.query_map([group_id], |r| r.get(0))?.collect()
    }

    fn groups_where(&self, clause: &str, arg: Option<&str>) -> rusqlite::Result<Vec<Group>> {
        let sql =
            format!("SELECT id, name, description, type, level FROM groups {clause} ORDER BY seq");
        let mut st = self.conn.prepare(&sql)?;
        let rows = |r: &Row<'_>| -> rusqlite::Result<Group> {
            Ok(Group {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
                kind: r.get(3)?,
                level: r.get(4)?,
                members: Vec::new(),
            })
        };
        let mut groups: Vec<Group> = match arg {
            Some(a) => st.query_map([a], rows)?.collect::<Result<_, _>>()?,
            None => st.query_map([], rows)?.collect::<Result<_, _>>()?,
        };
        for g in &mut groups {
            g.members = self.members(&g.id)?;
        }
        Ok(groups)
    }

    pub fn groups(&self) -> rusqlite::Result<Vec<Group>> {
        self.groups_where("", None)
    }

    /// A group by id, then by name (as Valet looks it up).
    pub fn group(&self, key: &str) -> rusqlite::Result<Option<Group>> {
        if let Some(g) = self.groups_where("WHERE id = ?1", Some(key))?.pop() {
            return Ok(Some(g));
        }
        Ok(self.groups_where("WHERE name = ?1", Some(key))?.pop())
    }

    pub fn insert_group(&self, g: &Group) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO groups (id, name, description, type, level) VALUES (?1, ?2, ?3, ?4, ?5)",
            [&g.id, &g.name, &g.description, &g.kind, &g.level],
        )?;
        Ok(())
    }

    pub fn set_group_description(&self, id: &str, description: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE groups SET description = ?2 WHERE id = ?1",
            [id, description],
        )?;
        Ok(())
    }

    pub fn delete_group(&self, id: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM group_members WHERE group_id = ?1", [id])?;
        self.conn
            .execute("DELETE FROM groups WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn add_member(&self, group_id: &str, member: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO group_members (group_id, member) VALUES (?1, ?2)",
            [group_id, member],
        )?;
        Ok(())
    }

    pub fn remove_member(&self, group_id: &str, member: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "DELETE FROM group_members WHERE group_id = ?1 AND member = ?2",
            [group_id, member],
        )?;
        Ok(())
    }

    // ---- Valet plans and placements ----

    fn plans_where(&self, clause: &str, arg: Option<&str>) -> rusqlite::Result<Vec<Plan>> {
        let sql = format!("SELECT id, name, stack_id, tenant_id FROM plans {clause} ORDER BY seq");
        let mut st = self.conn.prepare(&sql)?;
        let row = |r: &Row<'_>| -> rusqlite::Result<Plan> {
            Ok(Plan {
                id: r.get(0)?,
                name: r.get(1)?,
                stack_id: r.get(2)?,
                tenant_id: r.get(3)?,
            })
        };
        match arg {
            Some(a) => st.query_map([a], row)?.collect(),
            None => st.query_map([], row)?.collect(),
        }
    }

    pub fn plans(&self) -> rusqlite::Result<Vec<Plan>> {
        self.plans_where("", None)
    }

    /// A plan by id, then by stack id (as Valet looks it up).
    pub fn plan(&self, key: &str) -> rusqlite::Result<Option<Plan>> {
        if let Some(p) = self.plans_where("WHERE id = ?1", Some(key))?.pop() {
            return Ok(Some(p));
        }
        Ok(self.plans_where("WHERE stack_id = ?1", Some(key))?.pop())
    }

    pub fn insert_plan(&self, p: &Plan) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO plans (id, name, stack_id, tenant_id) VALUES (?1, ?2, ?3, ?4)",
            [&p.id, &p.name, &p.stack_id, &p.tenant_id],
        )?;
        Ok(())
    }

    pub fn rename_plan(&self, id: &str, name: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("UPDATE plans SET name = ?2 WHERE id = ?1", [id, name])?;
        Ok(())
    }

    pub fn delete_plan(&self, id: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM placements WHERE plan_id = ?1", [id])?;
        self.conn.execute("DELETE FROM plans WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn placements(&self) -> rusqlite::Result<Vec<Placement>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {PLACEMENT_COLS} FROM placements ORDER BY seq"
        ))?;
        st.query_map([], placement_row)?.collect()
    }

    pub fn plan_placements(&self, plan_id: &str) -> rusqlite::Result<Vec<Placement>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {PLACEMENT_COLS} FROM placements WHERE plan_id = ?1 ORDER BY seq"
        ))?;
        st.query_map([plan_id], placement_row)?.collect()
    }

    /// A placement by id, then by orchestration id (as Valet looks it up).
    pub fn placement(&self, key: &str) -> rusqlite::Result<Option<Placement>> {
        for col in ["id", "orchestration_id"] {
            let p = self
                .conn
                .query_row(
                    &format!("SELECT {PLACEMENT_COLS} FROM placements WHERE {col} = ?1 ORDER BY seq LIMIT 1"),
                    [key],
                    placement_row,
                )
                .optional()?;
            if p.is_some() {
                return Ok(p);
            }
        }
        Ok(None)
    }

    /// Inserts a placement, or replaces the one with the same id.
    pub fn put_placement(&self, p: &Placement) -> rusqlite::Result<()> {
        let groups = Value::from(p.groups.clone()).to_string();
        self.conn.execute(
            "INSERT INTO placements (id, plan_id, orchestration_id, name, resource_id, location, \
             reserved, metadata, vcpus, memory_mb, disk_gb, groups) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             resource_id = excluded.resource_id, location = excluded.location, \
             reserved = excluded.reserved, metadata = excluded.metadata, vcpus = excluded.vcpus, \
             memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb, groups = excluded.groups",
            params![
                p.id,
                p.plan_id,
                p.orchestration_id,
                p.name,
                p.resource_id,
                p.location,
                p.reserved,
                p.metadata.to_string(),
                p.demand.vcpus,
                signed(p.demand.memory_mb),
                signed(p.demand.disk_gb),
                groups
            ],
        )?;
        Ok(())
    }

    pub fn delete_placement(&self, id: &str) -> rusqlite::Result<()> {
        self.conn
            .execute("DELETE FROM placements WHERE id = ?1", [id])?;
        Ok(())
    }

    // ---- Heat's stacks, Nova's servers and server groups ----

    /// Every document of `doc`, `(id, JSON)`, in the order they were first written.
    pub fn docs(&self, doc: Doc) -> rusqlite::Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT id, body FROM {} ORDER BY seq",
            doc.table()
        ))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
    }

    /// Writes a document, keeping its place if it was there.
    pub fn put_doc(&self, doc: Doc, id: &str, body: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            &format!(
                "INSERT INTO {} (id, body) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                doc.table()
            ),
            [id, body],
        )?;
        Ok(())
    }

    pub fn delete_doc(&self, doc: Doc, id: &str) -> rusqlite::Result<()> {
        self.conn
            .execute(&format!("DELETE FROM {} WHERE id = ?1", doc.table()), [id])?;
        Ok(())
    }

    /// The rules of Nova's server groups, by id.
    pub fn server_group_rules(&self) -> rusqlite::Result<HashMap<String, Rule>> {
        let mut st = self
            .conn
            .prepare("SELECT id, policy, level FROM nova_server_groups")?;
        let rows = st.query_map([], |r| {
            let (id, policy, level): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let bad = |i, what: &str| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    format!("not a {what}").into(),
                )
            };
            let kind = Kind::parse(&policy).ok_or_else(|| bad(1, "policy"))?;
            let level = Level::parse(&level).ok_or_else(|| bad(2, "level"))?;
            Ok((id, Rule { kind, level }))
        })?;
        rows.collect()
    }

    /// Sets (or, with `None`, removes) the rule of a Nova server group.
    pub fn put_server_group_rule(&self, id: &str, rule: Option<Rule>) -> rusqlite::Result<()> {
        match rule {
            Some(r) => self.conn.execute(
                "INSERT INTO nova_server_groups (id, policy, level) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, level = excluded.level",
                [id, r.kind.name(), r.level.name()],
            )?,
            None => self
                .conn
                .execute("DELETE FROM nova_server_groups WHERE id = ?1", [id])?,
        };
        Ok(())
    }
}
