//! The service clients: Keystone v3 ([`keystone`]) and Valet ([`ValetClient`]), over reqwest's
//! blocking client ([`http`]). A [`ValetClient`] made for another catalog type
//! (`orchestration`, `compute`) is the plain REST client the scenario tests use for Heat and
//! Nova ([`ValetClient::call`], [`ValetClient::raw`]).
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
//! response's status and body; [`Failure`](tempest_framework::Failure) made from it carries the status and a
//! kind named after Tempest's exceptions (`tempest.lib.exceptions.NotFound`, ...).
//!
//! HTTPS goes through rustls ([`tls`]): the server's certificate is checked as `[identity]
//! ca_certificates_file` and `disable_ssl_certificate_validation` say, and a refused one is a
//! [`ClientError::Certificate`] naming the problem and the option to set. Proxies come from the
//! environment (`HTTPS_PROXY`, `NO_PROXY`, ...).

mod error;
pub mod http;
pub mod keystone;
mod settings;
pub mod time;
pub mod tls;
pub mod valet;

pub use error::ClientError;
pub use http::{Exchange, Http, Recorder, Response};
pub use keystone::{AuthProvider, IdentityClient, PasswordCredentials, Token};
pub use settings::ClientSettings;
pub use tls::TlsSettings;
pub use valet::ValetClient;
