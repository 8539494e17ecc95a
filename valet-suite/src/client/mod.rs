//! The service clients: Keystone v3 ([`keystone`]) and Valet ([`ValetClient`]), over reqwest's
//! blocking client ([`http`]).
//!
//! # Brief overview
//!
//! - [`AuthProvider`]: password credentials scoped to a project, the token they give (renewed
//!   when it expires and once after a 401), and the service catalog it carries.
//! - [`ValetClient`]: every call of the Valet Tempest plugin's `ValetClient` (groups, members,
//!   plans) plus placements, status and resources, at the catalog's endpoint for
//!   `[placement] catalog_type`, `[placement] endpoint_type` and `[identity] region`. Each
//!   call checks the status it expects, as `expected_success` does.
//! - [`IdentityClient`]: the Keystone admin calls that credentials need.
//! - Every request times out after `[service-clients] http_timeout` seconds and is recorded
//!   ([`Recorder`]), so a test can attach its exchanges to its log.
//!
//! A failed call is a [`ClientError`] that names the request (method and URL) and shows the
//! response's status and body; [`Failure`] made from it carries the status and a
//! kind named after Tempest's exceptions (`tempest.lib.exceptions.NotFound`, ...).
//!
//! The reqwest client is built without TLS: the identity and Valet endpoints must be `http://`.

pub mod http;
pub mod keystone;
pub mod time;
pub mod valet;

use std::time::Duration;

pub use http::{Exchange, Http, Recorder, Response};
pub use keystone::{AuthProvider, IdentityClient, PasswordCredentials, Token};
pub use valet::ValetClient;

use crate::config::{Config, ConfigError};
use crate::failure::Failure;

/// Why a call to a service failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No response: the connection was refused or broke.
    #[error("{method} {url}: no response: {reason}")]
    Connection {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// No response within the timeout.
    #[error(
        "{method} {url}: no response within {}s ([service-clients] http_timeout)",
        .after.as_secs_f64()
    )]
    Timeout {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// A status other than the expected one.
    #[error(
        "{method} {url} answered {status}, expected {}\nResponse Body: {}",
        list(.expected), http::shorten(.body)
    )]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The statuses that would have been success.
        expected: Vec<u16>,
        /// The status received.
        status: u16,
        /// The response body.
        body: String,
    },
    /// The expected status, but a body that is not what the API promises.
    #[error("{method} {url} answered {status} with {problem}\nResponse Body: {}", http::shorten(.body))]
    BadResponse {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// What is wrong with the body.
        problem: String,
        /// The body.
        body: String,
    },
    /// Keystone refused the credentials (401 from `POST /auth/tokens`).
    #[error(
        "POST {url} answered 401: Keystone refused the password of user {username:?} scoped to \
         project {project:?} (wrong user, password, project or domain)\nResponse Body: {}",
        http::shorten(.body)
    )]
    AuthenticationFailed {
        /// The token URL.
        url: String,
        /// The user.
        username: String,
        /// The project.
        project: String,
        /// The response body.
        body: String,
    },
    /// The catalog has no endpoint for the service, interface and region asked for.
    #[error(
        "the service catalog has no {service_type:?} endpoint for interface {interface:?}{}; \
         it has: [{}]",
        .region.as_ref().map(|r| format!(" in region {r:?}")).unwrap_or_default(),
        .catalog.join("; ")
    )]
    NoEndpoint {
        /// The service type.
        service_type: String,
        /// The interface.
        interface: String,
        /// The region, if one was asked for.
        region: Option<String>,
        /// Every endpoint the catalog has, one a line.
        catalog: Vec<String>,
    },
    /// `GET /roles?name=` found nothing.
    #[error("Keystone has no role named {role:?}")]
    NoSuchRole {
        /// The role.
        role: String,
    },
    /// The client could not be set up (configuration, TLS back end, ...).
    #[error("setting up the HTTP client: {0}")]
    Setup(String),
    /// A configuration value the client needs is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

impl ClientError {
    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } | ClientError::BadResponse { status, .. } => {
                Some(*status)
            }
            ClientError::AuthenticationFailed { .. } => Some(401),
            _ => None,
        }
    }

    /// The name of the Tempest exception this error corresponds to.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Status { status, .. } => match status {
                400 => "tempest.lib.exceptions.BadRequest",
                401 => "tempest.lib.exceptions.Unauthorized",
                403 => "tempest.lib.exceptions.Forbidden",
                404 => "tempest.lib.exceptions.NotFound",
                405 => "tempest.lib.exceptions.NotImplemented",
                409 => "tempest.lib.exceptions.Conflict",
                500..=599 => "tempest.lib.exceptions.ServerFault",
                _ => "tempest.lib.exceptions.UnexpectedResponseCode",
            },
            ClientError::BadResponse { .. } => "tempest.lib.exceptions.InvalidHTTPResponseBody",
            ClientError::AuthenticationFailed { .. } => "tempest.lib.exceptions.Unauthorized",
            ClientError::Timeout { .. } => "tempest.lib.exceptions.TimeoutException",
            ClientError::Connection { .. } => "ConnectionError",
            ClientError::NoEndpoint { .. } => "tempest.lib.exceptions.EndpointNotFound",
            ClientError::NoSuchRole { .. } => "tempest.lib.exceptions.NotFound",
            ClientError::Setup(_) | ClientError::Config(_) => {
                "tempest.exceptions.InvalidConfiguration"
            }
        }
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        Failure::Error {
            kind: e.kind().into(),
            status_code: e.status(),
            message: e.to_string(),
        }
    }
}

/// `expected_success`: the body as JSON (`null` when empty) when the status is one of
/// `expected`, else [`ClientError::Status`].
pub(crate) fn check(
    method: &str,
    url: &str,
    resp: Response,
    expected: &[u16],
) -> Result<serde_json::Value, ClientError> {
    if !expected.contains(&resp.status) {
        return Err(ClientError::Status {
            method: method.to_owned(),
            url: url.to_owned(),
            expected: expected.to_vec(),
            status: resp.status,
            body: resp.body,
        });
    }
    resp.json().map_err(|e| ClientError::BadResponse {
        method: method.to_owned(),
        url: url.to_owned(),
        status: resp.status,
        problem: format!("a body that is not JSON ({e})"),
        body: resp.body.clone(),
    })
}

/// What the clients read from the configuration, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// `[identity] uri_v3`.
    pub identity_uri: Option<String>,
    /// `[identity] region`.
    pub region: String,
    /// `[identity] catalog_type`.
    pub identity_catalog_type: String,
    /// `[identity] v3_endpoint_type`.
    pub identity_interface: String,
    /// `[identity] default_domain_id`: where dynamic credentials make projects and users.
    pub default_domain_id: String,
    /// `[placement] catalog_type`.
    pub catalog_type: String,
    /// `[placement] endpoint_type`.
    pub endpoint_type: String,
    /// `[service-clients] http_timeout`.
    pub http_timeout: Duration,
}

impl ClientSettings {
    /// The settings `config` gives.
    pub fn from_config(config: &Config) -> Result<ClientSettings, ConfigError> {
        let s = |section: &str, key: &str, default: &str| -> Result<String, ConfigError> {
            Ok(config.string(section, key)?.unwrap_or(default).to_owned())
        };
        let timeout = config.int("service-clients", "http_timeout")?.unwrap_or(60);
        Ok(ClientSettings {
            identity_uri: config.string("identity", "uri_v3")?.map(str::to_owned),
            region: s("identity", "region", "RegionOne")?,
            identity_catalog_type: s("identity", "catalog_type", "identity")?,
            identity_interface: s("identity", "v3_endpoint_type", "public")?,
            default_domain_id: s("identity", "default_domain_id", "default")?,
            catalog_type: s("placement", "catalog_type", "placement")?,
            endpoint_type: s("placement", "endpoint_type", "publicURL")?,
            http_timeout: Duration::from_secs(timeout.max(1).unsigned_abs()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_request_and_show_the_response() {
        let e = ClientError::Status {
            method: "DELETE".into(),
            url: "http://h/v1/groups/g1".into(),
            expected: vec![204],
            status: 409,
            body: r#"{"explanation": "Unable to delete a Group with members."}"#.into(),
        };
        let text = e.to_string();
        assert!(
            text.starts_with("DELETE http://h/v1/groups/g1 answered 409, expected 204"),
            "{text}"
        );
        assert!(text.contains("Unable to delete a Group with members."));
        let f = Failure::from(e);
        assert_eq!(f.status_code(), Some(409));
        assert!(
            f.to_string()
                .starts_with("tempest.lib.exceptions.Conflict: DELETE")
        );
    }

    #[test]
    fn settings_come_from_the_configuration() {
        let c = Config::new()
            .with("service-clients", "http_timeout", "7")
            .unwrap()
            .with("placement", "endpoint_type", "internalURL")
            .unwrap();
        let s = ClientSettings::from_config(&c).unwrap();
        assert_eq!(s.http_timeout, Duration::from_secs(7));
        assert_eq!(s.endpoint_type, "internalURL");
        assert_eq!(s.catalog_type, "placement");
        assert_eq!(s.region, "RegionOne");
        assert_eq!(s.identity_uri, None);
    }
}
