//! Example classes: the failure-injection table, the decorators, and a synthetic suite.
//!
//! [`Injected`] is one class shape that fails wherever it is told to ([`Point`]) and writes every
//! stage it runs to a [`Journal`], so tests can assert which set-ups and tear-downs ran and in
//! what order. The same classes exist in Python (`valet-suite/suite/tests/python/demo/test_life.py`, deriving from
//! `tempest.test.BaseTestCase`) for the comparison with real Tempest; ids and names match.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::context::TestCx;
use crate::failure::Failure;
use crate::lifecycle::{
    ClassCx, ClientsSetUp, CredentialsCleared, CredentialsSetUp, ResourcesCleanedUp,
    ResourcesSetUp, SkipChecked, SkipCx, TestClass,
};
use crate::spec::{BugTracker, SpecError, TestDef};
use crate::suite::Suite;

/// The module of the example lifecycle classes.
pub const LIFE_MODULE: &str = "demo.test_life";
/// The module of the example decorator class.
pub const ATTRS_MODULE: &str = "demo.test_attrs";

/// A shared, ordered record of what ran.
#[derive(Clone, Debug, Default)]
pub struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    /// A new, empty journal.
    pub fn new() -> Journal {
        Journal::default()
    }

    /// Records `entry`.
    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry.into());
    }

    /// Everything recorded so far.
    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The entries that start with `prefix `, with the prefix removed.
    pub fn of(&self, prefix: &str) -> Vec<String> {
        let p = format!("{prefix} ");
        self.entries()
            .into_iter()
            .filter_map(|e| e.strip_prefix(&p).map(str::to_owned))
            .collect()
    }
}

/// Where an [`Injected`] class fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// `skip_checks` skips (configuration says no).
    Skip,
    /// `skip_checks` raises.
    SkipChecks,
    /// `setup_credentials` raises.
    SetupCredentials,
    /// `setup_clients` raises.
    SetupClients,
    /// `resource_setup` raises (after registering its two class cleanups).
    ResourceSetup,
    /// The per-test `set_up` raises (after registering its two test cleanups).
    SetUp,
    /// The test body raises.
    Test,
    /// The test body fails a check.
    Assert,
    /// The test body skips.
    TestSkip,
    /// The test body panics.
    Panic,
    /// The test body sleeps for two seconds (for timeouts).
    Hang,
    /// The test body never returns (for timeouts).
    Forever,
    /// The test body aborts the whole process (`std::process::abort`), as a crash in native
    /// code would.
    Abort,
    /// The per-test `tear_down` raises.
    TearDown,
    /// Both test cleanups raise.
    TestCleanup,
    /// `resource_cleanup` raises (after running the base, so class cleanups ran).
    ResourceCleanup,
    /// Both class cleanups raise.
    ClassCleanup,
    /// `clear_credentials` raises (after the base).
    ClearCredentials,
}

/// An example class that fails at the given points and journals every stage as
/// `<Class> <stage>`.
#[derive(Debug)]
pub struct Injected {
    name: &'static str,
    fail_in: &'static [Point],
    journal: Journal,
}

impl Injected {
    /// The class `demo.test_life.<name>` failing at `fail_in`, journaling into `journal`.
    pub fn new(name: &'static str, fail_in: &'static [Point], journal: Journal) -> Injected {
        Injected {
            name,
            fail_in,
            journal,
        }
    }

    fn j(&self, what: &str) {
        self.journal.push(format!("{} {what}", self.name));
    }

    fn fails(&self, p: Point) -> bool {
        self.fail_in.contains(&p)
    }

    fn test_one<'c>(&'c self, _t: &mut TestCx<'c>) -> Result<(), Failure> {
        self.j("test_one");
        if self.fails(Point::Test) {
            return Err(Failure::runtime("boom in test"));
        }
        if self.fails(Point::Assert) {
            crate::failure::check_eq(1, 2)?;
        }
        if self.fails(Point::TestSkip) {
            return Err(Failure::skip("skipped in test"));
        }
        if self.fails(Point::Panic) {
            panic!("boom: the test panicked");
        }
        if self.fails(Point::Hang) {
            std::thread::sleep(Duration::from_secs(2));
        }
        if self.fails(Point::Abort) {
            std::process::abort();
        }
        while self.fails(Point::Forever) {
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// The failure table of issue 4, as (class name, injection points): the same classes as the
/// Python demo.
pub const TABLE: &[(&str, &[Point])] = &[
    ("Clean", &[]),
    ("Skipped", &[Point::Skip]),
    ("ErrSkipChecks", &[Point::SkipChecks]),
    ("ErrSetupCredentials", &[Point::SetupCredentials]),
    ("ErrSetupClients", &[Point::SetupClients]),
    ("ErrResourceSetup", &[Point::ResourceSetup]),
    ("ErrSetUp", &[Point::SetUp]),
    ("ErrTest", &[Point::Test]),
    ("ErrAssert", &[Point::Assert]),
    ("SkipInTest", &[Point::TestSkip]),
    ("ErrTearDown", &[Point::TearDown]),
    ("ErrTestCleanup", &[Point::TestCleanup]),
    (
        "ErrTestAndCleanup",
        &[Point::Test, Point::TestCleanup, Point::TearDown],
    ),
    ("ErrResourceCleanup", &[Point::ResourceCleanup]),
    ("ErrClassCleanup", &[Point::ClassCleanup]),
    ("ErrClearCredentials", &[Point::ClearCredentials]),
    (
        "ErrSetupAndCleanup",
        &[Point::ResourceSetup, Point::ResourceCleanup],
    ),
    (
        "ErrTwoTeardowns",
        &[Point::ResourceCleanup, Point::ClearCredentials],
    ),
    (
        "ErrSetupClientsAndClear",
        &[Point::SetupClients, Point::ClearCredentials],
    ),
];

impl TestClass for Injected {
    fn module(&self) -> &str {
        LIFE_MODULE
    }

    fn name(&self) -> &str {
        self.name
    }

    fn skip_checks(&self, cx: &mut SkipCx<'_, '_>) -> Result<SkipChecked, Failure> {
        let t = cx.base_skip_checks()?;
        self.j("skip_checks");
        if self.fails(Point::Skip) {
            return Err(Failure::skip("not configured"));
        }
        if self.fails(Point::SkipChecks) {
            return Err(Failure::runtime("boom in skip_checks"));
        }
        Ok(t)
    }

    fn setup_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsSetUp, Failure> {
        let t = cx.base_setup_credentials()?;
        self.j("setup_credentials");
        if self.fails(Point::SetupCredentials) {
            return Err(Failure::runtime("boom in setup_credentials"));
        }
        Ok(t)
    }

    fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        let t = cx.base_setup_clients()?;
        self.j("setup_clients");
        if self.fails(Point::SetupClients) {
            return Err(Failure::runtime("boom in setup_clients"));
        }
        Ok(t)
    }

    fn resource_setup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesSetUp, Failure> {
        let t = cx.base_resource_setup()?;
        self.j("resource_setup");
        for which in ["one", "two"] {
            let (journal, name, fail) = (
                self.journal.clone(),
                self.name,
                self.fails(Point::ClassCleanup),
            );
            cx.add_class_resource_cleanup(move || {
                journal.push(format!("{name} class_cleanup {which}"));
                if fail {
                    return Err(Failure::runtime(format!("boom in class cleanup {which}")));
                }
                Ok(())
            });
        }
        if self.fails(Point::ResourceSetup) {
            return Err(Failure::runtime("boom in resource_setup"));
        }
        Ok(t)
    }

    fn resource_cleanup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesCleanedUp, Failure> {
        self.j("resource_cleanup");
        let t = cx.base_resource_cleanup()?;
        if self.fails(Point::ResourceCleanup) {
            return Err(Failure::runtime("boom in resource_cleanup"));
        }
        Ok(t)
    }

    fn clear_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsCleared, Failure> {
        self.j("clear_credentials");
        let t = cx.base_clear_credentials()?;
        if self.fails(Point::ClearCredentials) {
            return Err(Failure::runtime("boom in clear_credentials"));
        }
        Ok(t)
    }

    fn set_up(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        self.j("setUp test_one");
        for which in ["a", "b"] {
            let (journal, name, fail) = (
                self.journal.clone(),
                self.name,
                self.fails(Point::TestCleanup),
            );
            t.add_cleanup(move || {
                journal.push(format!("{name} test_cleanup {which}"));
                if fail {
                    return Err(Failure::runtime(format!("boom in test cleanup {which}")));
                }
                Ok(())
            });
        }
        if self.fails(Point::SetUp) {
            return Err(Failure::runtime("boom in setUp"));
        }
        Ok(())
    }

    fn tear_down(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        self.j("tearDown test_one");
        if self.fails(Point::TearDown) {
            return Err(Failure::runtime("boom in tearDown"));
        }
        Ok(())
    }

    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![TestDef::new("test_one", |c, t| c.test_one(t))]
    }
}

/// Hands out proof tokens made in its own run, for [`Replayer`] to return from another run:
/// the Rust equivalent of a stage that "did not call the super's" stage.
#[derive(Debug)]
pub struct ProofDonor {
    skip: Arc<Mutex<Option<SkipChecked>>>,
    cleanup: Arc<Mutex<Option<ResourcesCleanedUp>>>,
}

/// Returns a token kept from [`ProofDonor`]'s run instead of calling the base stage.
#[derive(Debug)]
pub struct Replayer {
    name: &'static str,
    stage: crate::lifecycle::Stage,
    skip: Arc<Mutex<Option<SkipChecked>>>,
    cleanup: Arc<Mutex<Option<ResourcesCleanedUp>>>,
}

/// A donor and replayers for `skip_checks` (`NoSuperSkip`) and `resource_cleanup`
/// (`NoSuperCleanup`). The donor's class id sorts first, so it runs first on one worker.
pub fn no_super_classes() -> (ProofDonor, Replayer, Replayer) {
    let skip = Arc::new(Mutex::new(None));
    let cleanup = Arc::new(Mutex::new(None));
    (
        ProofDonor {
            skip: skip.clone(),
            cleanup: cleanup.clone(),
        },
        Replayer {
            name: "NoSuperSkip",
            stage: crate::lifecycle::Stage::SkipChecks,
            skip: skip.clone(),
            cleanup: cleanup.clone(),
        },
        Replayer {
            name: "NoSuperCleanup",
            stage: crate::lifecycle::Stage::ResourceCleanup,
            skip,
            cleanup,
        },
    )
}

fn pass<C>(_: &C, _: &mut TestCx<'_>) -> Result<(), Failure> {
    Ok(())
}

impl TestClass for ProofDonor {
    fn module(&self) -> &str {
        LIFE_MODULE
    }
    fn name(&self) -> &str {
        "AProofDonor"
    }
    fn skip_checks(&self, cx: &mut SkipCx<'_, '_>) -> Result<SkipChecked, Failure> {
        let kept = cx.base_skip_checks()?;
        *self.skip.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
        cx.base_skip_checks()
    }
    fn resource_cleanup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesCleanedUp, Failure> {
        let kept = cx.base_resource_cleanup()?;
        *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
        cx.base_resource_cleanup()
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![TestDef::new("test_one", pass)]
    }
}

impl TestClass for Replayer {
    fn module(&self) -> &str {
        LIFE_MODULE
    }
    fn name(&self) -> &str {
        self.name
    }
    fn skip_checks(&self, cx: &mut SkipCx<'_, '_>) -> Result<SkipChecked, Failure> {
        if self.stage == crate::lifecycle::Stage::SkipChecks
            && let Some(t) = self.skip.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            return Ok(t);
        }
        cx.base_skip_checks()
    }
    fn resource_cleanup(&self, cx: &mut ClassCx<'_>) -> Result<ResourcesCleanedUp, Failure> {
        if self.stage == crate::lifecycle::Stage::ResourceCleanup
            && let Some(t) = self
                .cleanup
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
        {
            return Ok(t);
        }
        cx.base_resource_cleanup()
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![TestDef::new("test_one", pass)]
    }
}

/// The decorator examples: `demo.test_attrs.Attrs`, as in the Python demo.
#[derive(Debug, Default)]
pub struct Attrs;

impl TestClass for Attrs {
    fn module(&self) -> &str {
        ATTRS_MODULE
    }
    fn name(&self) -> &str {
        "Attrs"
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![
            TestDef::new("test_smoke", pass)
                .smoke()
                .idempotent_id("460d86e4-6472-11e6-b6c6-080027824017"),
            TestDef::new("test_services", pass)
                .idempotent_id("2ab0337e-6472-11e6-b6c6-080027824017")
                .services(&["compute", "network"]),
            TestDef::new("test_skipbug", pass).skip_because("12345", BugTracker::Launchpad),
            TestDef::new("test_multi", pass).attr("slow").attr("gate"),
        ]
    }
}

/// The example suite: the whole failure table, the no-super classes and the decorator class,
/// journaling into `journal`.
pub fn suite(journal: &Journal) -> Result<Suite, SpecError> {
    let mut s = Suite::new();
    for (name, points) in TABLE {
        s.add(Injected::new(name, points, journal.clone()))?;
    }
    let (donor, skip, cleanup) = no_super_classes();
    s.add(donor)?.add(skip)?.add(cleanup)?;
    s.add(Attrs)?;
    Ok(s)
}

/// A synthetic class of `tests` trivial tests, each taking at least `sleep`; methods named
/// `test_fail_*` fail.
#[derive(Debug)]
pub struct Synthetic {
    module: String,
    name: String,
    tests: usize,
    fail_every: usize,
    sleep: Duration,
}

fn synthetic_body(class: &Synthetic, t: &mut TestCx<'_>) -> Result<(), Failure> {
    if !class.sleep.is_zero() {
        std::thread::sleep(class.sleep);
    }
    if t.id().contains(".test_fail_") {
        Err(Failure::assertion("a synthetic failure"))
    } else {
        Ok(())
    }
}

impl TestClass for Synthetic {
    fn module(&self) -> &str {
        &self.module
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        (0..self.tests)
            .map(|i| {
                let kind = if self.fail_every > 0 && i % self.fail_every == self.fail_every - 1 {
                    "fail"
                } else {
                    "ok"
                };
                TestDef::new(format!("test_{kind}_{i:05}"), synthetic_body)
            })
            .collect()
    }
}

/// A synthetic suite of `classes` classes of `tests` tests each, spread over ten modules; every
/// `fail_every`-th test of a class fails (0: none).
pub fn synthetic(classes: usize, tests: usize, fail_every: usize) -> Result<Suite, SpecError> {
    synthetic_slow(classes, tests, fail_every, Duration::ZERO)
}

/// [`synthetic`], with every test sleeping for `sleep` first (to watch a run go by).
pub fn synthetic_slow(
    classes: usize,
    tests: usize,
    fail_every: usize,
    sleep: Duration,
) -> Result<Suite, SpecError> {
    synthetic_with(classes, tests, fail_every, |_| sleep)
}

/// The synthetic suite, every test of class `c` sleeping `sleep(c)`.
fn synthetic_with(
    classes: usize,
    tests: usize,
    fail_every: usize,
    sleep: impl Fn(usize) -> Duration,
) -> Result<Suite, SpecError> {
    let mut s = Suite::new();
    for c in 0..classes {
        s.add(Synthetic {
            module: format!("synthetic.test_mod{}", c % 10),
            name: format!("Class{c:05}"),
            tests,
            fail_every,
            sleep: sleep(c),
        })?;
    }
    Ok(s)
}

/// A weight in `[0.01, 1]` for class `c`, by a well-mixed hash of `c` (SplitMix64's
/// finaliser), so no pattern lines up with the workers.
pub fn class_weight(c: usize) -> f64 {
    let mut h = (c as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    0.01 + (h % 1000) as f64 / 1000.0 * 0.99
}

/// [`synthetic`] whose classes take different times: every test of class `c` sleeps
/// `max_sleep` times [`class_weight`]`(c)` (the suite to balance workers on).
pub fn synthetic_weighted(
    classes: usize,
    tests: usize,
    max_sleep: Duration,
) -> Result<Suite, SpecError> {
    synthetic_with(classes, tests, 0, |c| max_sleep.mul_f64(class_weight(c)))
}

/// The module of [`fails_on`]'s class.
pub const FAILS_ON_MODULE: &str = "demo.test_fails_on";

/// A class whose `test_nth` fails on its N-th run and passes on every other, beside
/// `test_steady` (always passes) and `test_broken` (always fails): the test hook for
/// `--until-failure` and for a rerun that fixes some failures.
///
/// Runs of `test_nth` are counted in the process, or, with a counter file, in that file (a
/// decimal number, absent meaning 0), so successive processes count on.
#[derive(Debug)]
pub struct FailsOn {
    n: u64,
    runs: std::sync::atomic::AtomicU64,
    counter: Option<std::path::PathBuf>,
}

impl FailsOn {
    /// This run's number of `test_nth`, from 1.
    fn count(&self) -> Result<u64, Failure> {
        use std::sync::atomic::Ordering;
        let Some(path) = &self.counter else {
            return Ok(self.runs.fetch_add(1, Ordering::SeqCst) + 1);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Failure::error(format!("{}: {e}", path.display()))),
        };
        let before: u64 = match text.trim() {
            "" => 0,
            t => t
                .parse()
                .map_err(|_| Failure::error(format!("{}: not a number", path.display())))?,
        };
        std::fs::write(path, format!("{}\n", before + 1))
            .map_err(|e| Failure::error(format!("{}: {e}", path.display())))?;
        Ok(before + 1)
    }
}

impl TestClass for FailsOn {
    fn module(&self) -> &str {
        FAILS_ON_MODULE
    }
    fn name(&self) -> &str {
        "FailsOn"
    }
    fn tests(&self) -> Vec<TestDef<Self>> {
        vec![
            TestDef::new("test_broken", |_, _| {
                Err(Failure::assertion("this test always fails"))
            }),
            TestDef::new("test_nth", |c: &FailsOn, _| {
                let run = c.count()?;
                if run == c.n {
                    Err(Failure::assertion(format!(
                        "run {run} of this test, the one it fails on"
                    )))
                } else {
                    Ok(())
                }
            }),
            TestDef::new("test_steady", |_, _| Ok(())),
        ]
    }
}

/// The suite of one [`FailsOn`] class: `test_nth` fails on its `n`-th run, counted in the
/// process or in `counter`.
pub fn fails_on(n: u64, counter: Option<std::path::PathBuf>) -> Result<Suite, SpecError> {
    let mut s = Suite::new();
    s.add(FailsOn {
        n,
        runs: std::sync::atomic::AtomicU64::new(0),
        counter,
    })?;
    Ok(s)
}
