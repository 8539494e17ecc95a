//! Tempest's staged class lifecycle (`tempest/test.py`), in Rust.
//!
//! A test class goes through `skip_checks`, `setup_credentials`, `setup_clients` and
//! `resource_setup`, then its tests, then its tear-down stack. Tempest's rules hold:
//!
//! - `clear_credentials` is pushed on the tear-down stack *before* `setup_credentials` runs and
//!   `resource_cleanup` *before* `resource_setup`, so each runs even when its set-up stage fails;
//!   the stack pops last-in first-out.
//! - When a set-up stage fails, the tear-down stack runs at once and the set-up error is the one
//!   reported; when set-up succeeded, the first tear-down error is reported.
//! - Class cleanups ([`ClassCx::add_class_resource_cleanup`]) all run, last first, inside the base
//!   `resource_cleanup`; their errors are collected into one [`Failure::Multiple`].
//! - A skip is decided in `skip_checks`, which sees only the configuration ([`SkipCx`]). A skip
//!   from any later stage is an error.
//! - Per test: `set_up`, the body, `tear_down` (only when `set_up` succeeded), then the test's
//!   cleanups, last first (always).
//!
//! # "A stage that does not call its parent's stage is an error"
//!
//! Tempest checks at run time that an overriding `skip_checks`, `setup_credentials` or
//! `resource_cleanup` called `super()`. Here every stage returns a proof token ([`SkipChecked`],
//! [`CredentialsSetUp`], ...) that only the base stage on the class context can make, so a stage
//! that never calls its parent does not compile. The token also carries the identity of the class
//! run that made it: a token kept from another run is refused at run time with Tempest's
//! `RuntimeError` message.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use subunit_emitter::Status;

use crate::config::Config;
use crate::context::{Attachment, TestCx};
use crate::credentials::{
    CredentialProvider, CredentialRequest, CredentialType, Credentials, HeldCredentials,
    PlaceholderProvider,
};
use crate::failure::Failure;
use crate::guard::run_guarded;
use crate::services::KNOWN_SERVICES;
use crate::spec::TestDef;

/// The MIME type testtools gives text details of a test (`reason`, `pythonlogging:''`).
pub use subunit_emitter::mime::TESTTOOLS_TEXT as TEXT_MIME;
/// The MIME type testtools gives a `traceback` detail (observed from testtools 2.9.1).
pub use subunit_emitter::mime::TESTTOOLS_TRACEBACK as TRACEBACK_MIME;
/// The MIME type of the `reason` of a skipped `setUpClass` (testtools writes this one unquoted).
pub use subunit_emitter::mime::UNITTEST_CLASS_REASON as CLASS_REASON_MIME;
/// The name of the captured-log attachment every Tempest test carries.
pub const LOG_ATTACHMENT: &str = "pythonlogging:''";

/// The class-level stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `skip_checks`.
    SkipChecks,
    /// `setup_credentials`.
    SetupCredentials,
    /// `setup_clients`.
    SetupClients,
    /// `resource_setup`.
    ResourceSetup,
    /// `resource_cleanup`.
    ResourceCleanup,
    /// `clear_credentials`.
    ClearCredentials,
}

impl Stage {
    /// The stage's name, as Tempest spells the method.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::SkipChecks => "skip_checks",
            Stage::SetupCredentials => "setup_credentials",
            Stage::SetupClients => "setup_clients",
            Stage::ResourceSetup => "resource_setup",
            Stage::ResourceCleanup => "resource_cleanup",
            Stage::ClearCredentials => "clear_credentials",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

macro_rules! proof {
    ($(#[$doc:meta])* $name:ident, $stage:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        #[must_use = "a stage returns the proof that it called its parent's stage"]
        pub struct $name {
            run: u64,
        }

        impl $name {
            const STAGE: Stage = $stage;
        }
    };
}

proof!(
    /// Proof that the base `skip_checks` ran in this class run.
    SkipChecked,
    Stage::SkipChecks
);
proof!(
    /// Proof that the base `setup_credentials` ran in this class run.
    CredentialsSetUp,
    Stage::SetupCredentials
);
proof!(
    /// Proof that the base `setup_clients` ran in this class run.
    ClientsSetUp,
    Stage::SetupClients
);
proof!(
    /// Proof that the base `resource_setup` ran in this class run.
    ResourcesSetUp,
    Stage::ResourceSetup
);
proof!(
    /// Proof that the base `resource_cleanup` ran (and drained the class cleanups).
    ResourcesCleanedUp,
    Stage::ResourceCleanup
);
proof!(
    /// Proof that the base `clear_credentials` ran in this class run.
    CredentialsCleared,
    Stage::ClearCredentials
);

/// A class cleanup registered with [`ClassCx::add_class_resource_cleanup`].
type ClassCleanup = Box<dyn FnOnce() -> Result<(), Failure> + Send>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Teardown {
    Credentials,
    Resources,
}

impl Teardown {
    fn name(self) -> &'static str {
        match self {
            Teardown::Credentials => "credentials",
            Teardown::Resources => "resources",
        }
    }
}

static NEXT_RUN: AtomicU64 = AtomicU64::new(1);

/// Where lifecycle messages go (Tempest logs them; the runner prints them on stderr).
pub type Log<'r> = &'r (dyn Fn(&str) + Sync);

/// The class context: what the class stages see and the base stages they must call.
pub struct ClassCx<'r> {
    class_id: String,
    class_name: String,
    config: &'r Config,
    log: Log<'r>,
    run: u64,
    called: [bool; 6],
    wanted: Vec<CredentialType>,
    provider: Arc<dyn CredentialProvider>,
    credentials: Vec<Box<dyn HeldCredentials>>,
    class_cleanups: Vec<ClassCleanup>,
    teardowns: Vec<Teardown>,
}

impl std::fmt::Debug for ClassCx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassCx")
            .field("class_id", &self.class_id)
            .field("run", &self.run)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl<'r> ClassCx<'r> {
    /// A fresh context for one run of the class `module.name`.
    pub(crate) fn new(
        module: &str,
        name: &str,
        wanted: Vec<CredentialType>,
        provider: Arc<dyn CredentialProvider>,
        config: &'r Config,
        log: Log<'r>,
    ) -> Self {
        ClassCx {
            class_id: format!("{module}.{name}"),
            class_name: name.to_owned(),
            config,
            log,
            run: NEXT_RUN.fetch_add(1, Ordering::Relaxed),
            called: [false; 6],
            wanted,
            provider,
            credentials: Vec::new(),
            class_cleanups: Vec::new(),
            teardowns: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &'r Config {
        self.config
    }

    /// `module.Class`.
    pub fn class_id(&self) -> &str {
        &self.class_id
    }

    /// The class name alone.
    pub fn class_name(&self) -> &str {
        &self.class_name
    }

    /// Writes a lifecycle message to the run's log.
    pub fn log(&self, message: &str) {
        (self.log)(message);
    }

    fn mark(&mut self, stage: Stage) -> u64 {
        self.called[stage.index()] = true;
        self.run
    }

    fn verify(&self, stage: Stage, run: u64) -> Result<(), Failure> {
        if self.called[stage.index()] && run == self.run {
            Ok(())
        } else {
            Err(Failure::runtime(format!(
                "{s} for {c} did not call the super's {s}",
                s = stage.name(),
                c = self.class_name
            )))
        }
    }

    /// The base `setup_credentials`: asks the class's [`CredentialProvider`] for credentials
    /// of every type the class asked for, in order; they are held until the base
    /// `clear_credentials` (which runs even when this fails half way).
    pub fn base_setup_credentials(&mut self) -> Result<CredentialsSetUp, Failure> {
        let run = self.mark(Stage::SetupCredentials);
        for kind in self.wanted.clone() {
            let roles = match &kind {
                CredentialType::Roles { roles, .. } => roles.clone(),
                CredentialType::Admin => vec!["admin".to_owned()],
                _ => Vec::new(),
            };
            let held = self.provider.get(&CredentialRequest {
                class_name: &self.class_name,
                kind: &kind,
                roles: &roles,
                config: self.config,
                run,
                log: self.log,
            })?;
            self.credentials.push(held);
        }
        Ok(CredentialsSetUp { run })
    }

    /// The credentials had for `label`, once the base `setup_credentials` ran.
    pub fn credentials(&self, label: &str) -> Option<&Credentials> {
        self.credentials
            .iter()
            .map(|h| h.credentials())
            .find(|c| c.label == label)
    }

    /// The base `setup_clients`.
    pub fn base_setup_clients(&mut self) -> Result<ClientsSetUp, Failure> {
        Ok(ClientsSetUp {
            run: self.mark(Stage::SetupClients),
        })
    }

    /// The base `resource_setup`.
    pub fn base_resource_setup(&mut self) -> Result<ResourcesSetUp, Failure> {
        Ok(ResourcesSetUp {
            run: self.mark(Stage::ResourceSetup),
        })
    }

    /// `addClassResourceCleanup`: `cleanup` runs in the base `resource_cleanup`, after any
    /// cleanup registered later, whether or not set-up succeeded.
    pub fn add_class_resource_cleanup(
        &mut self,
        cleanup: impl FnOnce() -> Result<(), Failure> + Send + 'static,
    ) {
        self.class_cleanups.push(Box::new(cleanup));
    }

    /// The base `resource_cleanup`: runs every class cleanup, last first, and collects their
    /// errors into one [`Failure::Multiple`].
    pub fn base_resource_cleanup(&mut self) -> Result<ResourcesCleanedUp, Failure> {
        let run = self.mark(Stage::ResourceCleanup);
        let mut errors = Vec::new();
        while let Some(cleanup) = self.class_cleanups.pop() {
            if let Err(e) = run_guarded(cleanup) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(ResourcesCleanedUp { run })
        } else {
            Err(Failure::Multiple(errors))
        }
    }

    /// The base `clear_credentials`: gives every credential back to its provider, last first,
    /// each tried; the errors are returned (one as it is, several as [`Failure::Multiple`]).
    pub fn base_clear_credentials(&mut self) -> Result<CredentialsCleared, Failure> {
        let run = self.mark(Stage::ClearCredentials);
        let mut errors = Vec::new();
        while let Some(held) = self.credentials.pop() {
            if let Err(e) = held.release() {
                errors.push(e);
            }
        }
        match errors.len() {
            0 => Ok(CredentialsCleared { run }),
            1 => Err(errors.remove(0)),
            _ => Err(Failure::Multiple(errors)),
        }
    }
}

/// What `skip_checks` sees: the configuration and the class's identity, nothing that could reach
/// a service, so skips are decided from configuration only.
#[derive(Debug)]
pub struct SkipCx<'a, 'r> {
    cx: &'a mut ClassCx<'r>,
}

impl<'r> SkipCx<'_, 'r> {
    /// The configuration.
    pub fn config(&self) -> &'r Config {
        self.cx.config
    }

    /// `module.Class`.
    pub fn class_id(&self) -> &str {
        &self.cx.class_id
    }

    /// The base `skip_checks`: skips when the class asks for admin or alternate credentials the
    /// configuration cannot give, with Tempest's messages.
    pub fn base_skip_checks(&mut self) -> Result<SkipChecked, Failure> {
        let run = self.cx.mark(Stage::SkipChecks);
        if self.cx.wanted.contains(&CredentialType::Admin) && !self.cx.config.admin_available()? {
            return Err(Failure::skip(
                "Missing Identity Admin API credentials in configuration.",
            ));
        }
        if self.cx.wanted.contains(&CredentialType::Alt) && !self.cx.config.alt_available()? {
            return Err(Failure::skip(
                "Missing a 2nd set of API credentials in configuration.",
            ));
        }
        Ok(SkipChecked { run })
    }
}

/// A Tempest test class. Every stage has a default that only calls the base stage; an override
/// must call it too (it needs the proof token the base stage returns).
pub trait TestClass: Send + Sync + Sized + 'static {
    /// The Python-style module path (`valet.tests.tempest.api.test_groups`).
    fn module(&self) -> &str;
    /// The class name (`ValetGroupsTest`).
    fn name(&self) -> &str;
    /// The credentials the class asks for (Tempest's `credentials`, default none).
    fn credentials(&self) -> Vec<CredentialType> {
        Vec::new()
    }
    /// Decides, from configuration only, whether the class runs.
    fn skip_checks(&self, cx: &mut SkipCx<'_, '_>) -> Result<SkipChecked, Failure> {
        cx.base_skip_checks()
    }
    /// Where the base `setup_credentials` gets the credentials (default: placeholders named
    /// after the class, [`PlaceholderProvider`]).
    fn credential_provider(&self) -> Arc<dyn CredentialProvider> {
        Arc::new(PlaceholderProvider)
    }
    /// Sets up the credentials.
    fn setup_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsSetUp, Failure> {
        cx.base_setup_credentials()
    }
    /// Sets up the service clients.
    fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        cx.base_setup_clients()
    }
    /// Creates the class's shared resources.
    fn resource_setup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesSetUp, Failure> {
        cx.base_resource_setup()
    }
    /// Deletes the class's shared resources; the base runs the class cleanups.
    fn resource_cleanup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesCleanedUp, Failure> {
        cx.base_resource_cleanup()
    }
    /// Releases the credentials.
    fn clear_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsCleared, Failure> {
        cx.base_clear_credentials()
    }
    /// Per-test set-up.
    fn set_up(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        Ok(())
    }
    /// Per-test tear-down (runs only when `set_up` succeeded).
    fn tear_down(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        Ok(())
    }
    /// The class's tests.
    fn tests(&self) -> Vec<TestDef<Self>>;
}

/// What a test ended with: its status and its attachments, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// `success`, `fail` or `skip`.
    pub status: Status,
    /// The attachments, in the order testtools writes them.
    pub attachments: Vec<Attachment>,
}

impl TestOutcome {
    /// A failed test with one traceback and an empty log (for failures the runner detects, such
    /// as a timeout).
    pub fn failed(traceback: String) -> TestOutcome {
        TestOutcome {
            status: Status::Fail,
            attachments: vec![
                Attachment {
                    name: "traceback".to_owned(),
                    mime: TRACEBACK_MIME.to_owned(),
                    content: traceback.into_bytes(),
                },
                Attachment {
                    name: LOG_ATTACHMENT.to_owned(),
                    mime: TEXT_MIME.to_owned(),
                    content: Vec::new(),
                },
            ],
        }
    }
}

/// One test of a class as the runner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestInfo {
    /// The full id (`module.Class.method[attrs]`).
    pub id: String,
    /// The method name.
    pub method: String,
    /// The attrs, sorted.
    pub attrs: Vec<String>,
}

/// A test class with its type erased, as the suite and the runner hold it.
pub(crate) trait ErasedClass: Send + Sync {
    fn module(&self) -> &str;
    fn name(&self) -> &str;
    fn class_id(&self) -> &str;
    fn tests(&self) -> &[TestInfo];
    fn credentials(&self) -> Vec<CredentialType>;
    fn credential_provider(&self) -> Arc<dyn CredentialProvider>;
    fn set_up_class(&self, cx: &mut ClassCx<'_>) -> Result<(), Failure>;
    fn tear_down_class(&self, cx: &mut ClassCx<'_>, setup_failed: bool) -> Result<(), Failure>;
    fn run_test(&self, index: usize, config: Arc<Config>) -> TestOutcome;
}

pub(crate) struct Holder<C: TestClass> {
    pub(crate) class: C,
    pub(crate) class_id: String,
    pub(crate) defs: Vec<TestDef<C>>,
    pub(crate) infos: Vec<TestInfo>,
}

fn no_skip(stage: Stage, class: &str) -> impl FnOnce(Failure) -> Failure + '_ {
    move |e| match e {
        Failure::Skip(reason) => Failure::runtime(format!(
            "{} of {class} raised a skip ({reason}); a skip is decided in skip_checks, \
             from configuration only",
            stage.name()
        )),
        other => other,
    }
}

impl<C: TestClass> Holder<C> {
    fn stages(&self, cx: &mut ClassCx<'_>) -> Result<(), Failure> {
        let class = &self.class;
        let name = cx.class_name.clone();
        let t = run_guarded(|| class.skip_checks(&mut SkipCx { cx: &mut *cx }))?;
        cx.verify(SkipChecked::STAGE, t.run)?;

        cx.teardowns.push(Teardown::Credentials);
        let t = run_guarded(|| class.setup_credentials(cx))
            .map_err(no_skip(Stage::SetupCredentials, &name))?;
        cx.verify(CredentialsSetUp::STAGE, t.run)?;

        let t =
            run_guarded(|| class.setup_clients(cx)).map_err(no_skip(Stage::SetupClients, &name))?;
        cx.verify(ClientsSetUp::STAGE, t.run)?;

        cx.teardowns.push(Teardown::Resources);
        let t = run_guarded(|| class.resource_setup(cx))
            .map_err(no_skip(Stage::ResourceSetup, &name))?;
        cx.verify(ResourcesSetUp::STAGE, t.run)
    }

    fn call_body<'c>(&'c self, def: &TestDef<C>, t: &mut TestCx<'c>) -> Result<(), Failure> {
        for service in &def.services {
            let option = KNOWN_SERVICES
                .iter()
                .find(|(s, _)| s == service)
                .and_then(|(_, o)| *o);
            if let Some(option) = option
                && !t.config.get(option)?
            {
                return Err(Failure::skip(format!(
                    "Skipped because the {service} service is not available"
                )));
            }
        }
        if let Some(bug) = &def.skip_because {
            return Err(Failure::skip(format!(
                "Skipped until bug: {} is resolved.",
                bug.url()
            )));
        }
        let result = (def.body)(&self.class, t);
        if let (Err(e), Some((bug, code))) = (&result, &def.related_bug)
            && !e.is_skip()
            && (code.is_none() || *code == e.status_code())
        {
            t.log(&format!(
                "ERROR tempest.lib.decorators [-] Hints: This test was made for the bug_type \
                 {}. The failure could be related to {}",
                bug.tracker_name(),
                bug.url()
            ));
        }
        result
    }
}

fn unique_name(taken: &[Attachment], base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 0;
    while taken.iter().any(|a| a.name == name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

impl<C: TestClass> ErasedClass for Holder<C> {
    fn module(&self) -> &str {
        self.class.module()
    }

    fn name(&self) -> &str {
        self.class.name()
    }

    fn class_id(&self) -> &str {
        &self.class_id
    }

    fn tests(&self) -> &[TestInfo] {
        &self.infos
    }

    fn credentials(&self) -> Vec<CredentialType> {
        self.class.credentials()
    }

    fn credential_provider(&self) -> Arc<dyn CredentialProvider> {
        self.class.credential_provider()
    }

    fn set_up_class(&self, cx: &mut ClassCx<'_>) -> Result<(), Failure> {
        match self.stages(cx) {
            Ok(()) => Ok(()),
            Err(e) => {
                cx.log(&format!(
                    "INFO tempest.test [-] {} raised in {}.setUpClass. Invoking tearDownClass.",
                    kind_of(&e),
                    cx.class_name
                ));
                let _ = self.tear_down_class(cx, true);
                Err(e)
            }
        }
    }

    fn tear_down_class(&self, cx: &mut ClassCx<'_>, setup_failed: bool) -> Result<(), Failure> {
        let class = &self.class;
        let name = cx.class_name.clone();
        let mut first = None;
        while let Some(td) = cx.teardowns.pop() {
            let result = match td {
                Teardown::Resources => run_guarded(|| class.resource_cleanup(cx))
                    .map_err(no_skip(Stage::ResourceCleanup, &name))
                    .and_then(|t| cx.verify(ResourcesCleanedUp::STAGE, t.run)),
                Teardown::Credentials => run_guarded(|| class.clear_credentials(cx))
                    .map_err(no_skip(Stage::ClearCredentials, &name))
                    .and_then(|t| cx.verify(CredentialsCleared::STAGE, t.run)),
            };
            if let Err(e) = result {
                cx.log(&format!(
                    "ERROR tempest.test [-] teardown of {} failed: {e}",
                    td.name()
                ));
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) if !setup_failed => Err(e),
            _ => Ok(()),
        }
    }

    fn run_test(&self, index: usize, config: Arc<Config>) -> TestOutcome {
        let def = &self.defs[index];
        let info = &self.infos[index];
        let mut t = TestCx::new(info.id.clone(), config);
        let mut errors: Vec<(Failure, String)> = Vec::new();
        let mut skip: Option<String> = None;
        let mut note = |r: Result<(), Failure>, place: String| match r {
            Ok(()) => {}
            Err(Failure::Skip(reason)) => {
                skip.get_or_insert(reason);
            }
            Err(e) => errors.push((e, place)),
        };
        let place = |what: &str| format!("in {what} of {}", self.class_id);

        match run_guarded(|| self.class.set_up(&mut t)) {
            Ok(()) => {
                note(
                    run_guarded(|| self.call_body(def, &mut t)),
                    place(&def.method),
                );
                note(
                    run_guarded(|| self.class.tear_down(&mut t)),
                    place("tearDown"),
                );
            }
            Err(e) => note(Err(e), place("setUp")),
        }
        while let Some(cleanup) = t.cleanups.pop() {
            note(run_guarded(cleanup), place("a cleanup"));
        }

        let mut attachments = std::mem::take(&mut t.details);
        let status = if !errors.is_empty() {
            for (e, where_) in &errors {
                let name = unique_name(&attachments, "traceback");
                attachments.push(Attachment {
                    name,
                    mime: TRACEBACK_MIME.to_owned(),
                    content: e.traceback(where_).into_bytes(),
                });
            }
            Status::Fail
        } else if skip.is_some() {
            Status::Skip
        } else {
            Status::Success
        };
        attachments.push(Attachment {
            name: LOG_ATTACHMENT.to_owned(),
            mime: TEXT_MIME.to_owned(),
            content: std::mem::take(&mut t.log).into_bytes(),
        });
        if status == Status::Skip {
            attachments.push(Attachment {
                name: "reason".to_owned(),
                mime: TEXT_MIME.to_owned(),
                content: skip.unwrap_or_default().into_bytes(),
            });
        }
        TestOutcome {
            status,
            attachments,
        }
    }
}

fn kind_of(e: &Failure) -> String {
    match e {
        Failure::Skip(_) => "<class 'unittest.case.SkipTest'>".to_owned(),
        Failure::Error { kind, .. } => format!("<class '{kind}'>"),
        Failure::Multiple(_) => "<class 'testtools.MultipleExceptions'>".to_owned(),
    }
}
