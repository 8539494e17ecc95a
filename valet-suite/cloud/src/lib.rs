//! valet-cloud: the reference cloud the Valet suite tests, a Keystone v3 subset, the Valet v1
//! API, and Heat and Nova subsets that place servers through Valet, on one port, with a real
//! store and a real placement engine.
//!
//! [`start`] binds the socket, opens the store and runs axum on its own thread with its own
//! tokio runtime, so a blocking HTTP client on the caller's thread never runs inside it. The
//! suite talks to it only over HTTP, exactly as to a real cloud; with
//! [`ServerOptions::tls`] the port serves HTTPS ([`tls`]).
//!
//! # Why this is a crate of its own
//!
//! It is the only crate that links axum, tokio and rusqlite: the framework and the suite build
//! without them, and the cloud knows nothing of either (no Tempest, no subunit), so the same
//! tests run against it and against a real Valet, and it can be served on its own
//! (`valet-suite serve`). `SERVER.md`, next to this crate's manifest, describes it in full.
//!
//! # Module graph
//!
//! Arrows point one way (`a -> b`: `a` imports `b`); no module imports in a circle:
//!
//! ```text
//! engine, errors                           (leaves)
//! tls -> errors
//! options -> engine, tls
//! request -> engine
//! store -> engine
//! keystone -> options, request, store, errors
//! valet -> keystone, request, store, engine, errors
//! heat -> valet, keystone, request, store, engine, errors, options
//! nova -> heat, keystone, request, store, engine, errors
//! local -> (root), errors, request
//! (root) -> every module: the router, `start`, the runtime thread
//! ```
//!
//! # Layout of the one port
//!
//! | path | what |
//! |------|------|
//! | `/identity/v3` | Keystone v3 ([`keystone`]): `POST/GET/DELETE /auth/tokens`, `/projects`, `/users`, `/roles`, role assignments |
//! | `/placement/` | Valet's root controller (versions), no auth |
//! | `/placement/v1` | the Valet v1 API ([`ServerHandle::valet_url`]), the catalog's `placement` endpoint |
//! | `/orchestration/v1/{project_id}` | the Heat subset: stacks, with Valet in their life (a plan per stack level) |
//! | `/compute/v2.1` | the Nova subset: servers (with their hosts), flavors, the image, hypervisors, aggregates (racks) |
//!
//! The token's catalog lists service type `placement`, name `valet`, with the `public`,
//! `internal` and `admin` interfaces in region `RegionOne` all at `http://ADDR/placement/v1`,
//! as Valet's devstack registers one URL for all three; a client finds it there.
//!
//! Handlers are synchronous: each request runs on tokio's blocking pool, takes the store's
//! mutex (never held across an `.await`), and runs in one SQLite transaction.
//!
//! # Example
//!
//! ```
//! use valet_cloud::{ServerOptions, start};
//!
//! let server = start(ServerOptions::default())?;
//! assert!(server.identity_url().ends_with("/identity/v3"));
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod engine;
mod errors;
mod heat;
pub mod keystone;
mod local;
mod nova;
mod options;
mod request;
mod store;
pub mod tls;
mod valet;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use engine::{Host, Inventory};
pub use errors::ServerError;
use errors::{Body, Reply, valet_error};
pub use heat::{IMAGE, NETWORK};
pub use local::{LocalCloud, LocalReply};
pub use options::{AdminAccount, Fault, FaultKind, HeatOptions, ServerOptions, Service};
use request::{Ctx, Request};
use store::Store;
pub use tls::{SelfSigned, TlsIdentity};

/// A running server; dropping it shuts it down too.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    scheme: &'static str,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// How long a shutdown waits for open requests before the runtime is dropped.
const GRACE: Duration = Duration::from_secs(2);
/// The largest request body accepted.
const MAX_BODY: usize = 8 << 20;

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (`https://` when serving TLS), with an unspecified listen address
    /// (`0.0.0.0`, `::`) shown as loopback.
    pub fn base_url(&self) -> String {
        let mut a = self.addr;
        if a.ip().is_unspecified() {
            a.set_ip(if a.is_ipv4() {
                Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("{}://{a}", self.scheme)
    }

    /// Who can reach the server, for its start-up message: loopback only (the default), one
    /// address, or every interface.
    pub fn reach(&self) -> String {
        let ip = self.addr.ip();
        let who = if ip.is_loopback() {
            "loopback only: no other machine can reach it"
        } else if ip.is_unspecified() {
            "every interface: other machines can reach it"
        } else {
            "this address only: machines that can route to it can reach it"
        };
        format!("listening on {} ({who})", self.addr)
    }

    /// Keystone: `http(s)://ADDR/identity/v3`.
    pub fn identity_url(&self) -> String {
        format!("{}/identity/v3", self.base_url())
    }

    /// The Valet v1 API, as the catalog lists it: `http(s)://ADDR/placement/v1`.
    pub fn valet_url(&self) -> String {
        format!("{}/placement/v1", self.base_url())
    }

    /// Stops accepting, lets open requests finish (for at most two seconds), and waits for
    /// the server thread to end.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Percent-decodes a URL component (`+` as a space when `form`).
fn decode(s: &str, form: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if form => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string's pairs, percent-decoded.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

struct App {
    /// The test-only faults, each with the count of its service's requests seen so far.
    faults: Mutex<Vec<(Fault, usize)>>,
    store: Mutex<Store>,
    cloud: Mutex<heat::Cloud>,
    nova_rules: Arc<Mutex<HashMap<String, engine::Rule>>>,
    inventory: Arc<Inventory>,
    token_ttl_ms: i64,
    addr: SocketAddr,
    /// `http` or `https`: the catalog's URLs are on the scheme the port serves.
    scheme: &'static str,
}

impl App {
    /// The fault this request meets, if any (counting it against its service).
    fn fault(&self, path: &str) -> Option<FaultKind> {
        let service = Service::of_path(path)?;
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let mut hit = None;
        for (f, seen) in faults.iter_mut().filter(|(f, _)| f.service == service) {
            if hit.is_none() && *seen >= f.after && *seen < f.after + f.times {
                hit = Some(f.kind);
            }
            *seen += 1;
        }
        hit
    }

    fn dispatch(&self, path: &str, req: &Request) -> Reply {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| decode(s, false))
            .collect();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let ctx = Ctx {
            base: format!(
                "{}://{}",
                self.scheme,
                req.header("host")
                    .map_or_else(|| self.addr.to_string(), str::to_string)
            ),
            now_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            token_ttl_ms: self.token_ttl_ms,
            inventory: self.inventory.clone(),
            nova_rules: self.nova_rules.clone(),
        };
        let mut store = match self.store.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut cloud = self.cloud.lock().unwrap_or_else(|p| p.into_inner());
        let result = store.transaction(
            |s| match segs.split_first() {
                Some((&"identity", rest)) => keystone::dispatch(&ctx, s, req, rest),
                Some((&"placement", rest)) => valet::dispatch(&ctx, s, req, rest),
                Some((&"orchestration", rest)) => heat::dispatch(&ctx, s, &mut cloud, req, rest),
                Some((&"compute", rest)) => nova::dispatch(&ctx, s, &cloud, req, rest),
                _ => Err(valet_error(
                    errors::Kind::NotFound,
                    "The resource could not be found.",
                )),
            },
            Result::is_ok,
        );
        if cloud.take_changed() && !matches!(result, Ok(Ok(_))) {
            // Rolled back after changing Heat's copy in memory: it goes back to what the
            // store holds.
            let mut rules = self.nova_rules.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = cloud.reload(&store, &mut rules) {
                return store_failure(path, e);
            }
        }
        match result {
            Ok(Ok(r) | Err(r)) => r,
            Err(e) => store_failure(path, e),
        }
    }
}

fn to_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match reply.body {
        Body::Empty => (None, AxumBody::empty()),
        Body::Json(v) => (Some("application/json"), AxumBody::from(v.to_string())),
        Body::Text(t) => (Some("text/plain; charset=UTF-8"), AxumBody::from(t)),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}

/// A request refused before it reaches its service (a body too large, a body not JSON), with
/// the error body of the service its path names (Valet's for any other path).
fn refuse(path: &str, code: u16, message: String) -> Response {
    let reply = match Service::of_path(path) {
        Some(Service::Identity) => errors::keystone_error(code, message),
        Some(Service::Heat) => heat::heat_error(
            code,
            if code == 413 {
                "RequestEntityTooLarge"
            } else {
                "HTTPUnsupportedMediaType"
            },
            message,
        ),
        Some(Service::Nova) => nova::nova_error(code, message),
        Some(Service::Valet) | None => valet_error(
            if code == 413 {
                errors::Kind::TooLarge
            } else {
                errors::Kind::MediaType
            },
            message,
        ),
    };
    to_response(reply)
}

/// A transaction that could not begin or commit (the disk full, the file locked past the busy
/// timeout), with the error body of the service the path names.
fn store_failure(path: &str, e: rusqlite::Error) -> Reply {
    match Service::of_path(path) {
        Some(Service::Identity) => errors::keystone_db(e),
        Some(Service::Heat) => heat::heat_error(errors::db_status(&e), "DBError", e.to_string()),
        Some(Service::Nova) => nova::nova_error(errors::db_status(&e), e.to_string()),
        Some(Service::Valet) | None => errors::valet_db(e),
    }
}

/// Whether a request body of this `Content-Type` may be read as JSON: no type, or
/// `application/json` or `application/*+json` (any parameters).
fn json_media_type(content_type: Option<&HeaderValue>) -> bool {
    let Some(v) = content_type else {
        return true;
    };
    let Ok(v) = v.to_str() else {
        return false;
    };
    let media = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

async fn handle(State(app): State<Arc<App>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    // A body declared too large is refused before it is read (the client, reading while it
    // sends, sees the answer); one that grows too large without a length, once it has.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return refuse(
            &path,
            413,
            format!("The request body is larger than {MAX_BODY} bytes."),
        );
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return refuse(
            &path,
            413,
            format!("The request body is larger than {MAX_BODY} bytes."),
        );
    };
    if !bytes.is_empty() && !json_media_type(parts.headers.get(header::CONTENT_TYPE)) {
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        return refuse(
            &path,
            415,
            format!("The request media type {ct} is not supported: send application/json."),
        );
    }
    match app.fault(&path) {
        Some(FaultKind::Error500) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"error": {"code": 500, "message": "an injected fault", "title": "Internal Server Error"}}"#,
            )
                .into_response();
        }
        Some(FaultKind::Hang(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let request = Request {
        method: parts.method.as_str().to_string(),
        query,
        headers,
        body: bytes.to_vec(),
    };
    let reply = tokio::task::spawn_blocking(move || app.dispatch(&path, &request))
        .await
        .unwrap_or_else(|e| {
            valet_error(
                errors::Kind::ServerError,
                format!("The handler failed: {e}"),
            )
        });
    to_response(reply)
}

/// Checks `opts` and opens (or creates) its store with the admin account bootstrapped: what
/// [`start`] and [`LocalCloud::new`] share.
fn open_store(opts: &ServerOptions) -> Result<Store, ServerError> {
    opts.inventory.validate().map_err(ServerError::Options)?;
    if !(opts.admin.domain == keystone::DOMAIN_NAME || opts.admin.domain == keystone::DOMAIN_ID) {
        return Err(ServerError::Options(format!(
            "the admin account's domain must be {} (id {}), not {}",
            keystone::DOMAIN_NAME,
            keystone::DOMAIN_ID,
            opts.admin.domain
        )));
    }
    let ttl = i64::try_from(opts.token_ttl.as_millis()).unwrap_or(i64::MAX);
    if ttl <= 0 {
        return Err(ServerError::Options(
            "the token lifetime must be positive".into(),
        ));
    }
    let store_err = |source| ServerError::Store {
        path: opts.db.clone(),
        source,
    };
    let mut store = Store::open(opts.db.as_deref()).map_err(store_err)?;
    store
        .transaction(|s| keystone::bootstrap(s, &opts.admin), Result::is_ok)
        .and_then(|r| r)
        .map_err(store_err)?;
    Ok(store)
}

impl App {
    /// The application over an opened store: Heat's stacks and Nova's server groups loaded
    /// from it, the catalog's URLs on `addr` with the scheme `opts` serves.
    fn new(opts: ServerOptions, store: Store, addr: SocketAddr) -> Result<App, ServerError> {
        let store_err = |source| ServerError::Store {
            path: opts.db.clone(),
            source,
        };
        let (cloud, rules) = heat::Cloud::load(opts.heat.clone(), &store).map_err(store_err)?;
        Ok(App {
            store: Mutex::new(store),
            faults: Mutex::new(opts.faults.iter().map(|f| (*f, 0)).collect()),
            cloud: Mutex::new(cloud),
            nova_rules: Arc::new(Mutex::new(rules)),
            token_ttl_ms: i64::try_from(opts.token_ttl.as_millis()).unwrap_or(i64::MAX),
            inventory: Arc::new(opts.inventory),
            addr,
            scheme: if opts.tls.is_some() { "https" } else { "http" },
        })
    }
}

/// Starts the server: binds `opts.listen`, opens (or creates) the store, bootstraps the admin
/// account, and serves on a thread of its own with its own tokio runtime.
pub fn start(opts: ServerOptions) -> Result<ServerHandle, ServerError> {
    let store = open_store(&opts)?;
    let listener =
        std::net::TcpListener::bind(opts.listen).map_err(|source| ServerError::Bind {
            addr: opts.listen,
            source,
        })?;
    let bind_err = |source| ServerError::Bind {
        addr: opts.listen,
        source,
    };
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .thread_name("valet-server")
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    let tls = (opts.tls.as_ref())
        .map(TlsIdentity::server_config)
        .transpose()
        .map_err(ServerError::Tls)?;
    let app = Arc::new(App::new(opts, store, addr)?);
    let scheme = app.scheme;
    let router = axum::Router::new().fallback(handle).with_state(app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("valet-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("valet-suite server: {e}");
                        return;
                    }
                };
                let stopping = Arc::new(tokio::sync::Notify::new());
                let notify = stopping.clone();
                let stop = async move {
                    let _ = rx.await;
                    notify.notify_one();
                };
                let serve = async move {
                    match tls {
                        None => {
                            axum::serve(listener, router)
                                .with_graceful_shutdown(stop)
                                .await
                        }
                        Some(config) => {
                            let l = tls::TlsListener::new(listener, config)?;
                            axum::serve(l, router).with_graceful_shutdown(stop).await
                        }
                    }
                };
                tokio::select! {
                    r = serve => if let Err(e) = r {
                        eprintln!("valet-suite server: {e}");
                    },
                    () = async {
                        stopping.notified().await;
                        tokio::time::sleep(GRACE).await;
                    } => {}
                }
            });
            runtime.shutdown_timeout(GRACE);
        })
        .map_err(ServerError::Runtime)?;
    Ok(ServerHandle {
        addr,
        scheme,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// SIGINT (Ctrl-C) and SIGTERM, caught from the moment this is made (for `valet-suite
/// serve`, which makes it before it says it is ready, so no signal is lost in between).
#[derive(Debug)]
pub struct ShutdownSignals {
    rt: tokio::runtime::Runtime,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Starts catching SIGINT and SIGTERM.
    pub fn catch() -> Result<ShutdownSignals, ServerError> {
        use tokio::signal::unix::{SignalKind, signal};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let (term, int) = {
            let _in_runtime = rt.enter();
            (
                signal(SignalKind::terminate()).map_err(ServerError::Signal)?,
                signal(SignalKind::interrupt()).map_err(ServerError::Signal)?,
            )
        };
        Ok(ShutdownSignals { rt, term, int })
    }

    /// Blocks until one of them arrives.
    pub fn wait(mut self) {
        self.rt.block_on(async {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("a%20b+c", false), "a b+c");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz%4", false), "%zz%4");
    }
}
