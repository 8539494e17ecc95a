//! The server's errors, and the replies its handlers build (Keystone's and Valet's error bodies).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::{Value, json};

/// Why the server could not start or serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The tokio runtime or the server thread could not be started.
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    /// The store could not be opened or its schema created.
    #[error("cannot open the store {}: {source}", path.as_ref().map_or_else(|| ":memory:".to_string(), |p| p.display().to_string()))]
    Store {
        /// The database file, `None` for in memory.
        path: Option<PathBuf>,
        /// Why.
        source: rusqlite::Error,
    },
    /// The options are unusable: an empty inventory, a host listed twice, an admin account in
    /// another domain, a token lifetime of zero.
    #[error("bad server options: {0}")]
    Options(String),
    /// The server thread ended before it reported that it was listening.
    #[error("the server thread ended before it was ready")]
    ThreadDied,
    /// The TLS certificate or key is unusable, or could not be made.
    #[error("TLS: {0}")]
    Tls(String),
    /// Waiting for a signal failed.
    #[error("cannot wait for a signal: {0}")]
    Signal(std::io::Error),
}

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// No body.
    Empty,
    /// `application/json`.
    Json(Value),
    /// `text/plain`.
    Text(String),
}

/// A response, built by the synchronous handlers and turned into an HTTP response by the glue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// Handlers return `Result<Reply, Reply>`: the error side is an error reply.
pub(crate) type Handled = Result<Reply, Reply>;

/// Keystone's error body: `{"error": {"code", "message", "title"}}`.
pub(crate) fn keystone_error(code: u16, message: impl Into<String>) -> Reply {
    let title = match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        507 => "Insufficient Storage",
        _ => "Internal Server Error",
    };
    Reply::json(
        code,
        json!({"error": {"code": code, "message": message.into(), "title": title}}),
    )
}

/// Valet's error kinds (`/errors/<kind>`), each with its status and webob's class, title and
/// explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Schema,
    Invalid,
    NotFound,
    NotAllowed,
    Conflict,
    TooLarge,
    MediaType,
    Full,
    ServerError,
}

impl Kind {
    fn parts(self) -> (u16, &'static str, &'static str, &'static str) {
        const BAD: &str = "The server could not comply with the request since it is either \
                           malformed or otherwise incorrect.";
        match self {
            Kind::Schema | Kind::Invalid => (400, "HTTPBadRequest", "Bad Request", BAD),
            Kind::NotFound => (
                404,
                "HTTPNotFound",
                "Not Found",
                "The resource could not be found.",
            ),
            // doc/rest_api.md's 405 example carries webob's 400 explanation as its message.
            Kind::NotAllowed => (405, "HTTPMethodNotAllowed", "Method Not Allowed", BAD),
            Kind::Conflict => (
                409,
                "HTTPConflict",
                "Conflict",
                "There was a conflict when trying to complete your request.",
            ),
            Kind::TooLarge => (
                413,
                "HTTPRequestEntityTooLarge",
                "Request Entity Too Large",
                "The body of your request was too large for this server.",
            ),
            Kind::MediaType => (
                415,
                "HTTPUnsupportedMediaType",
                "Unsupported Media Type",
                "The request media type is not supported by this server.",
            ),
            Kind::Full => (
                507,
                "HTTPInsufficientStorage",
                "Insufficient Storage",
                "There was not enough space to save the resource.",
            ),
            Kind::ServerError => (
                500,
                "HTTPInternalServerError",
                "Internal Server Error",
                "The server has either erred or is incapable of performing the requested \
                 operation.",
            ),
        }
    }
}

/// Valet's error body for `kind`, with `explanation`.
pub(crate) fn valet_error(kind: Kind, explanation: impl Into<String>) -> Reply {
    let (code, ty, title, message) = kind.parts();
    Reply::json(
        code,
        json!({
            "explanation": explanation.into(),
            "code": code,
            "error": {"message": message, "traceback": null, "type": ty},
            "title": title,
        }),
    )
}

/// Valet's 401: plain text, no JSON.
pub(crate) fn valet_unauthorized() -> Reply {
    Reply {
        status: 401,
        headers: Vec::new(),
        body: Body::Text("Authentication required".into()),
    }
}

/// `OPTIONS`: 204 with `Allow`.
pub(crate) fn options(allow: &str) -> Reply {
    Reply::empty(204).header("Allow", allow)
}

/// 405 with `Allow` and Valet's error body.
pub(crate) fn not_allowed(method: &str, allow: &str) -> Reply {
    valet_error(
        Kind::NotAllowed,
        format!("The {method} method is not allowed."),
    )
    .header("Allow", allow)
}

/// The status a store failure answers: 507 when the disk is full (the request changed
/// nothing, and may be sent again once there is room), 500 otherwise.
pub(crate) fn db_status(e: &rusqlite::Error) -> u16 {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        507
    } else {
        500
    }
}

/// A store failure inside a Valet request.
pub(crate) fn valet_db(e: rusqlite::Error) -> Reply {
    let kind = if db_status(&e) == 507 {
        Kind::Full
    } else {
        Kind::ServerError
    };
    valet_error(kind, format!("Database error: {e}"))
}

/// A store failure inside a Keystone request.
pub(crate) fn keystone_db(e: rusqlite::Error) -> Reply {
    keystone_error(
        db_status(&e),
        format!("An unexpected error prevented the server from fulfilling your request: {e}"),
    )
}
