//! How to run the server ([`ServerOptions`]) and the account it bootstraps ([`AdminAccount`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::Inventory;
use crate::tls::TlsIdentity;

/// The one domain's id.
pub const DOMAIN_ID: &str = "default";
/// The one domain's name.
pub const DOMAIN_NAME: &str = "Default";

/// The admin account the server bootstraps (as `keystone-manage bootstrap` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccount {
    /// The user name.
    pub username: String,
    /// Its password.
    pub password: String,
    /// The project it holds the `admin` role on.
    pub project: String,
    /// The domain of both, by name (`Default`) or id (`default`): the server has only that one.
    pub domain: String,
}

impl Default for AdminAccount {
    /// `admin` / `admin`, project `admin`, domain `Default`.
    fn default() -> Self {
        AdminAccount {
            username: "admin".into(),
            password: "admin".into(),
            project: "admin".into(),
            domain: DOMAIN_NAME.into(),
        }
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen; `127.0.0.1:0` (the default) picks a free port.
    pub listen: SocketAddr,
    /// The SQLite file (created with its schema if absent, its data kept), or `None` for a
    /// store in memory.
    pub db: Option<PathBuf>,
    /// The hosts and racks the placement engine places on.
    pub inventory: Inventory,
    /// The bootstrapped admin account.
    pub admin: AdminAccount,
    /// How long an issued token lives (default one hour).
    pub token_ttl: Duration,
    /// Heat's and Nova's behaviour.
    pub heat: HeatOptions,
    /// Test-only: requests to answer with a fault (none in every real use).
    pub faults: Vec<Fault>,
    /// Serve HTTPS with this certificate and key; `None` (the default) serves plain HTTP.
    pub tls: Option<TlsIdentity>,
}

/// The services of the one port, as a fault names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Keystone, under `/identity`.
    Identity,
    /// Valet, under `/placement`.
    Valet,
    /// Heat, under `/orchestration`.
    Heat,
    /// Nova, under `/compute`.
    Nova,
}

impl Service {
    /// The service a request path is for.
    pub fn of_path(path: &str) -> Option<Service> {
        match path.trim_start_matches('/').split('/').next()? {
            "identity" => Some(Service::Identity),
            "placement" => Some(Service::Valet),
            "orchestration" => Some(Service::Heat),
            "compute" => Some(Service::Nova),
            _ => None,
        }
    }
}

/// What a faulty service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answers 500 with a JSON error body, doing nothing.
    Error500,
    /// Waits this long before answering (normally): a client with a shorter timeout sees a
    /// service that hangs.
    Hang(Duration),
}

/// Test-only: a service that misbehaves for `times` requests after letting `after` through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Which service.
    pub service: Service,
    /// How many of its requests are answered normally first.
    pub after: usize,
    /// How many requests then misbehave.
    pub times: usize,
    /// How.
    pub kind: FaultKind,
}

/// How the Heat and Nova subsets behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatOptions {
    /// How long a stack shows its action `IN_PROGRESS` before its outcome (default 20 ms):
    /// the work is done at once, the status progresses as Heat's does.
    pub action_time: Duration,
    /// Test-only: servers whose name contains this are built on another host than the one
    /// Valet reserved for them (the first host of the inventory in another rack), so that a
    /// check of the placement has something to find. `None` (the default) in every real use.
    pub misplace: Option<String>,
}

impl Default for HeatOptions {
    fn default() -> Self {
        HeatOptions {
            action_time: Duration::from_millis(20),
            misplace: None,
        }
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            db: None,
            inventory: Inventory::default(),
            admin: AdminAccount::default(),
            token_ttl: Duration::from_secs(3600),
            heat: HeatOptions::default(),
            faults: Vec::new(),
            tls: None,
        }
    }
}
