//! A request as the synchronous handlers see it ([`Request`]), the per-request facts they need
//! ([`Ctx`]), and the ids they make.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::engine::{Inventory, Rule};

/// Per-request facts the handlers need.
pub(crate) struct Ctx {
    /// `http://HOST` as the client addressed the server.
    pub base: String,
    /// The request's time, in milliseconds since the epoch.
    pub now_ms: i64,
    /// Token lifetime in milliseconds.
    pub token_ttl_ms: i64,
    /// The engine's hosts.
    pub inventory: Arc<Inventory>,
    /// The rules of Nova's server groups (`affinity`, `anti-affinity`), by server group id.
    pub nova_rules: Arc<Mutex<HashMap<String, Rule>>>,
}

impl Ctx {
    pub(crate) fn nova_rules(&self) -> HashMap<String, Rule> {
        self.nova_rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
    pub(crate) fn identity_url(&self) -> String {
        format!("{}/identity/v3", self.base)
    }
    pub(crate) fn valet_root(&self) -> String {
        format!("{}/placement", self.base)
    }
    pub(crate) fn valet_url(&self) -> String {
        format!("{}/placement/v1", self.base)
    }
}

/// A request as the synchronous handlers see it.
pub(crate) struct Request {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A 32-hex-digit id, as Keystone makes them.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A hyphenated uuid4, as Valet makes its ids (`str(uuid.uuid4())`).
pub(crate) fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
