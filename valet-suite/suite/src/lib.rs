//! valet-suite: the OpenStack Valet tests of Valet's Tempest plugin, on the
//! [`tempest_framework`], with their Keystone-aware client and credentials.
//!
//! # Why this is a crate of its own
//!
//! The framework is Tempest without any service; the reference cloud (`valet-cloud`) is a
//! server without any test. This crate is what joins them: the Valet test classes, the Valet
//! plugin's options, the HTTP client they test with, and the credential provider the
//! framework's `setup_credentials` calls. It reaches every cloud, the embedded one included, only over HTTP; it links
//! `valet-cloud` only so that the `valet-suite` command can start it ([`valet_tests::target`],
//! `valet-suite serve`).
//!
//! # Brief overview
//!
//! - [`valet_tests`]: the Valet classes ([`valet_tests::suite`]) and what they test against
//!   ([`valet_tests::target`]: the configured cloud, else the embedded one).
//! - [`client`]: Keystone v3 and the Valet v1 API over a blocking HTTP(S) client (rustls,
//!   certificates checked as `[identity] ca_certificates_file` and
//!   `disable_ssl_certificate_validation` say), endpoints found in the token's catalog; the same REST client ([`client::ValetClient`] at another catalog
//!   type) reaches Heat and Nova for the scenario tests.
//! - [`options`]: the Valet plugin's options and the suite's registry (Tempest's, with its
//!   `[compute]` options, the Valet plugin's, the Heat plugin's `[service_available] heat` and
//!   `[orchestration]`, the runner's), read through typed keys.
//! - [`credentials`]: dynamic and pre-provisioned credentials ([`credentials::Provider`]), given
//!   to the framework through its provider trait ([`credentials::ValetCredentials`]).
//! - The `valet-suite` binary (`src/main.rs`): `list`, `discover`, `run`, `sample-config`,
//!   `show-config`, `serve`.
//!
//! # Module graph
//!
//! Arrows point one way (`a -> b`: `a` imports `b`); no module imports in a circle:
//!
//! ```text
//! client::error                           (leaf)
//! client::tls -> client::error
//! client::http -> client::{error, settings, tls}
//! client::keystone -> client::{http, error, time}
//! client::valet -> client::{keystone, http, error}
//! options                                 (leaf: the framework's config only)
//! client::settings -> client::tls, options
//! credentials -> client
//! valet_tests::base -> credentials, client, options
//! valet_tests::support                    (macros naming base and credentials by path)
//! valet_tests::{groups, members, plan, api} -> support, base, client
//! valet_tests::{stacks, updates} -> client, options
//! valet_tests::scenario -> base, stacks, updates, client, credentials, options
//! valet_tests::target -> valet-cloud, options
//! valet_tests (suite()) -> its classes
//! ```
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tempest_framework::Selection;
//! use valet_suite::valet_tests::{self, Environment};
//!
//! let suite = valet_tests::suite(Arc::new(Environment::new()))?;
//! let ids = Selection::all(&suite).test_ids(&suite);
//! assert!(ids.iter().any(|id| id.starts_with(
//!     "valet.tests.tempest.api.test_groups.ValetGroupsTest.test_list_groups["
//! )));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client;
pub mod credentials;
pub mod options;
pub mod valet_tests;
