//! Why a call to a service failed ([`ClientError`]), and the [`Failure`] a test reports for it.

use std::time::Duration;

use tempest_framework::config::ConfigError;
use tempest_framework::failure::Failure;

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
    /// The server's TLS certificate was refused: why, and which option would fix it.
    #[error("{method} {url}: the server's TLS certificate was refused: {problem}; to fix: {fix}")]
    Certificate {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What is wrong with the certificate.
        problem: String,
        /// What to set or do.
        fix: String,
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
        list(.expected), shorten(.body)
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
    #[error("{method} {url} answered {status} with {problem}\nResponse Body: {}", shorten(.body))]
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
        shorten(.body)
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
            ClientError::Certificate { .. } => "SSLError",
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

/// An error and its sources, joined with `: `.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Bodies longer than this are cut in error messages and logs.
pub(crate) const BODY_SHOWN: usize = 4096;

/// `body`, cut to a readable length.
pub fn shorten(body: &str) -> String {
    if body.len() <= BODY_SHOWN {
        return body.to_owned();
    }
    let mut end = BODY_SHOWN;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &body[..end], body.len())
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
}
