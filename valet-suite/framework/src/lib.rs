//! tempest-framework: Tempest's staged class lifecycle, a runner and its options, writing
//! subunit v2.
//!
//! Test classes go through Tempest's stages and tear-down stack ([`lifecycle`]), their tests are
//! chosen with stestr's filters ([`select`]) and run by workers that share one stream writer
//! ([`runner`]); every event reaches the stream the way Tempest and testtools put it there, so
//! existing tooling (python-subunit, stestr, subunit-trace) reads our runs as it reads Tempest's.
//!
//! # Why this is a crate of its own
//!
//! This is Tempest without any service: it imports no Valet code, no HTTP client and no
//! database. A suite (the Valet tests, in the `valet-suite` crate) brings its classes, its
//! clients, its plugin's options ([`config::builtin::registry_with`]) and a
//! [`CredentialProvider`]; the framework brings the lifecycle, the stream and the configuration.
//! So the framework builds and is tested without the suite's client or the reference cloud, and
//! a second suite would reuse it whole.
//!
//! # Brief overview
//!
//! - [`TestClass`]: the stages (`skip_checks`, `setup_credentials`, `setup_clients`,
//!   `resource_setup`, `resource_cleanup`, `clear_credentials`), per-test `set_up`/`tear_down`,
//!   and the tests. Each stage must call its base stage: it has to return the proof token only
//!   the base stage makes.
//! - [`CredentialProvider`]: where the base `setup_credentials` gets each class's credentials,
//!   and where the base `clear_credentials` gives them back.
//! - [`TestDef`]: a test and its decorators (`idempotent_id`, `attr`, `services`,
//!   `skip_because`, `related_bug`), giving ids `module.Class.method[attrs]`.
//! - [`Suite`]: the classes, in loader order. [`Filters`] and [`Partition`] select from it.
//! - [`run()`]: `exists` for every selected test, then the classes on `N` workers, dealt by
//!   their recorded times when there are any ([`schedule`]).
//! - [`live::run_traced`]: the same run, its stream shown as it is written by subunit-trace's
//!   sink, the one renderer.
//! - [`config`]: `tempest.conf` found and read as Tempest reads it, options registered per group
//!   as Tempest and its plugins register them, typed values read once into a [`Config`] and
//!   looked up through typed keys ([`config::Key`], [`Config::get`], [`option_keys!`]), and the
//!   commented sample configuration.
//! - [`examples`]: example classes (the failure-injection table, a synthetic suite) that show
//!   and test the lifecycle.
//!
//! # Module graph
//!
//! Arrows point one way (`a -> b`: `a` imports `b`); no module imports in a circle:
//!
//! ```text
//! failure, data_utils                      (leaves)
//! guard -> failure
//! config -> failure; config::{builtin, sample} -> config::{key, opts, ini}
//! services -> config
//! context -> config, failure
//! credentials -> config, failure
//! spec -> context, services, failure
//! lifecycle -> spec, context, credentials, services, guard, config, failure
//! suite -> lifecycle, spec
//! select -> suite
//! runner -> lifecycle, context, select, suite, config, failure
//! live -> runner, select, suite, config
//! examples -> lifecycle, context, spec, suite, failure
//! ```
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use subunit_emitter::{Delivery, StreamWriter};
//! use tempest_framework::{Config, Failure, RunOptions, Selection, Suite, TestClass, TestCx, TestDef};
//!
//! struct Groups;
//! impl TestClass for Groups {
//!     fn module(&self) -> &str { "valet.tests.tempest.api.test_groups" }
//!     fn name(&self) -> &str { "ValetGroupsTest" }
//!     fn tests(&self) -> Vec<TestDef<Self>> {
//!         vec![TestDef::new("test_list_groups", |_, _| Ok(()))
//!             .idempotent_id("b2655098-5a0d-11e6-9efd-525400af9658")]
//!     }
//! }
//!
//! let mut suite = Suite::new();
//! suite.add(Groups)?;
//! let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
//! let summary = tempest_framework::run(
//!     &suite,
//!     &Selection::all(&suite),
//!     Arc::new(Config::new()),
//!     &writer,
//!     &RunOptions::default(),
//! )?;
//! assert!(summary.passed());
//! assert_eq!(summary.results, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod context;
pub mod credentials;
pub mod data_utils;
pub mod examples;
pub mod failure;
mod guard;
pub mod lifecycle;
pub mod live;
pub mod runner;
pub mod schedule;
pub mod select;
pub mod services;
pub mod spec;
pub mod suite;

pub use config::{Config, ConfigError, ConfigErrorKind, ConfigWarning, Key, Loaded, Sources};
pub use context::{Attachment, TestCx};
pub use credentials::{
    CredentialProvider, CredentialRequest, CredentialType, Credentials, HeldCredentials,
    PlaceholderProvider, Unmanaged,
};
pub use failure::{Failure, check, check_eq};
pub use lifecycle::{
    ClassCx, ClientsSetUp, CredentialsCleared, CredentialsSetUp, ResourcesCleanedUp,
    ResourcesSetUp, SkipChecked, SkipCx, Stage, TestClass, TestInfo, TestOutcome,
};
pub use runner::{LogSink, RunError, RunOptions, RunSummary, run};
pub use schedule::Plan;
pub use select::{Filters, Group, Partition, SelectError, Selection};
pub use spec::{Bug, BugTracker, SpecError, TestDef, TestFn};
pub use suite::Suite;
