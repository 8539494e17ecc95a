//! The cloud without a socket: [`LocalCloud`] hands a request (method, path with its query,
//! headers, body) to the same handlers, store and transaction the server uses, and returns the
//! reply the server would have sent. The fuzz targets drive the request bodies and the Heat
//! template engine through it; nothing here is a second implementation of a handler.

use std::net::{Ipv4Addr, SocketAddr};

use crate::errors::Body;
use crate::request::Request;
use crate::{App, ServerError, ServerOptions, open_store, parse_query};

/// The cloud's handlers over its own store, called in-process.
pub struct LocalCloud {
    app: App,
}

impl std::fmt::Debug for LocalCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCloud").finish_non_exhaustive()
    }
}

/// What the server would have answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    /// The HTTP status.
    pub status: u16,
    /// The headers the handler set (without `content-type`).
    pub headers: Vec<(String, String)>,
    /// The body as sent: JSON text, plain text, or nothing.
    pub body: String,
}

impl LocalReply {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl LocalCloud {
    /// Checks `opts` and opens its store (`opts.db`, or in memory) with the admin account, as
    /// [`start`](crate::start) does; `opts.listen` is only the address the replies' links name.
    /// Injected faults (`opts.faults`) belong to the HTTP glue and are not applied.
    pub fn new(opts: ServerOptions) -> Result<LocalCloud, ServerError> {
        let store = open_store(&opts)?;
        let addr = if opts.listen.port() == 0 {
            SocketAddr::from((Ipv4Addr::LOCALHOST, 80))
        } else {
            opts.listen
        };
        Ok(LocalCloud {
            app: App::new(opts, store, addr)?,
        })
    }

    /// Handles one request: `target` is the path, optionally with `?query`.
    pub fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> LocalReply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let request = Request {
            method: method.to_string(),
            query: parse_query(query),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_string()))
                .collect(),
            body: body.to_vec(),
        };
        let reply = self.app.dispatch(path, &request);
        LocalReply {
            status: reply.status,
            headers: reply
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            body: match reply.body {
                Body::Empty => String::new(),
                Body::Json(v) => v.to_string(),
                Body::Text(t) => t,
            },
        }
    }
}
