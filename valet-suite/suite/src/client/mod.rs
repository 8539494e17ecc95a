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
//! The reqwest client is built without TLS: the identity and Valet endpoints must be `http://`.

mod error;
pub mod http;
pub mod keystone;
mod settings;
pub mod time;
pub mod valet;

pub use error::ClientError;
pub use http::{Exchange, Http, Recorder, Response};
pub use keystone::{AuthProvider, IdentityClient, PasswordCredentials, Token};
pub use settings::ClientSettings;
pub use valet::ValetClient;
