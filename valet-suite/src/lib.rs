//! valet-suite: Tempest's staged class lifecycle, a runner and its commands, writing subunit v2.
//!
//! Test classes go through Tempest's stages and tear-down stack ([`lifecycle`]), their tests are
//! chosen with stestr's filters ([`select`]) and run by workers that share one stream writer
//! ([`runner`]); every event reaches the stream the way Tempest and testtools put it there, so
//! existing tooling (python-subunit, stestr, subunit-trace) reads our runs as it reads Tempest's.
//!
//! # Brief overview
//!
//! - [`TestClass`]: the stages (`skip_checks`, `setup_credentials`, `setup_clients`,
//!   `resource_setup`, `resource_cleanup`, `clear_credentials`), per-test `set_up`/`tear_down`,
//!   and the tests. Each stage must call its base stage: it has to return the proof token only
//!   the base stage makes.
//! - [`TestDef`]: a test and its decorators (`idempotent_id`, `attr`, `services`,
//!   `skip_because`, `related_bug`), giving ids `module.Class.method[attrs]`.
//! - [`Suite`]: the classes, in loader order. [`Filters`] and [`Partition`] select from it.
//! - [`run()`]: `exists` for every selected test, then the classes on `N` workers.
//! - [`live::run_traced`]: the same run, its stream shown as it is written by subunit-trace's
//!   sink ([`subunit_sinks::trace::Trace`]), the one renderer.
//! - [`config`]: `tempest.conf` found and read as Tempest reads it, options registered per group
//!   as a Tempest plugin registers them, typed values read once into a [`Config`], and the
//!   commented sample configuration.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use subunit_emitter::{Delivery, StreamWriter};
//! use valet_suite::{Config, Failure, RunOptions, Selection, Suite, TestClass, TestCx, TestDef};
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
//! let summary = valet_suite::run(
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

pub mod client;
pub mod config;
pub mod credentials;
pub mod examples;
pub mod failure;
mod guard;
pub mod lifecycle;
pub mod live;
pub mod runner;
pub mod select;
pub mod server;
pub mod spec;
pub mod suite;
pub mod valet_tests;

pub use config::{Config, ConfigError, ConfigErrorKind, ConfigWarning, Loaded, Sources};
pub use failure::{Failure, check, check_eq};
pub use lifecycle::{
    Attachment, ClassCx, ClientsSetUp, CredentialType, Credentials, CredentialsCleared,
    CredentialsSetUp, ResourcesCleanedUp, ResourcesSetUp, SkipChecked, SkipCx, Stage, TestClass,
    TestCx, TestInfo, TestOutcome,
};
pub use runner::{LogSink, RunError, RunOptions, RunSummary, run};
pub use select::{Filters, Group, Partition, SelectError, Selection};
pub use spec::{Bug, BugTracker, SpecError, TestDef, TestFn};
pub use suite::Suite;
