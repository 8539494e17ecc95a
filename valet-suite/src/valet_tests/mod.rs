//! The Valet test classes, with the ids of Valet's Tempest plugin.
//!
//! # Brief overview
//!
//! - `valet.tests.tempest.api.test_groups.ValetGroupsTest` (5 tests) and
//!   `valet.tests.tempest.api.test_members.ValetGroupsMembersTest` (5 tests, the tenants made as
//!   Keystone projects): what the originals assert.
//! - `valet.tests.tempest.api.test_plan.ValetPlanTest` (2 tests): the plugin's disabled plan
//!   tests, enabled under the module name of the fork that enabled them, with their ids.
//! - The scenario classes (`TestAffinity`, `TestDiversity`, `TestExclusivity`,
//!   `TestNestedStackTemplates`, `TestStackUpdatesNonValet`): listed with their exact ids; they
//!   skip in `skip_checks` while orchestration is not available to the suite.
//! - Our own API tests for what the originals never covered: errors (400, 401, 404, 405, 409)
//!   in `test_errors.ValetErrorsTest`, placements in `test_placements.ValetPlacementsTest`,
//!   status, resources and versions in `test_status.ValetStatusTest`.
//!
//! Every class does what `BaseValetTest` does: skips when `[service_available] valet` is false,
//! takes `primary` credentials (made per class, or a pre-provisioned account,
//! [`crate::credentials`]), and in `setup_clients` authenticates and finds Valet in the
//! catalog, so a wrong password or a token without the `admin` role fails the class there.
//! Every test writes its HTTP exchanges to its log attachment (`pythonlogging:''`) as Tempest's
//! rest client logs them, with the bodies when the test failed.

mod api;
mod base;
pub mod data_utils;
mod groups;
mod members;
mod plan;
mod scenario;
pub mod target;

use std::sync::Arc;

use serde_json::Value;

pub use api::{ValetErrorsTest, ValetPlacementsTest, ValetStatusTest};
pub use base::Environment;
pub use groups::ValetGroupsTest;
pub use members::ValetGroupsMembersTest;
pub use plan::ValetPlanTest;
pub use scenario::{ScenarioClass, scenario_classes};

use crate::failure::Failure;
use crate::spec::SpecError;
use crate::suite::Suite;

/// A Valet API class's `defs()` list: each method (a test of the same name) run through
/// [`Base::logged`](base::Base::logged), with its idempotent id and any further markers
/// (`test_x => "id".smoke()`).
macro_rules! logged_defs {
    ($($method:ident => $id:literal $(.$marker:ident())*),* $(,)?) => {
        vec![$(
            $crate::spec::TestDef::new(stringify!($method), |c: &Self, t| {
                c.base.logged(t, |t| c.$method(t))
            })
            .idempotent_id($id)
            $(.$marker())*
        ),*]
    };
}
pub(crate) use logged_defs;

/// Implements `TestClass` for a Valet API class with a `base: Base` field and a `defs()`.
macro_rules! valet_class {
    ($ty:ident, $module:expr, $name:expr) => {
        impl $ty {
            /// The class, sharing `env` with the other classes of the run.
            pub fn new(env: std::sync::Arc<$crate::valet_tests::Environment>) -> $ty {
                $ty {
                    base: $crate::valet_tests::base::Base::new(env),
                }
            }
        }

        impl $crate::lifecycle::TestClass for $ty {
            fn module(&self) -> &str {
                $module
            }
            fn name(&self) -> &str {
                $name
            }
            fn credentials(&self) -> Vec<$crate::lifecycle::CredentialType> {
                vec![$crate::lifecycle::CredentialType::Primary]
            }
            fn skip_checks(
                &self,
                cx: &mut $crate::lifecycle::SkipCx<'_, '_>,
            ) -> Result<$crate::lifecycle::SkipChecked, $crate::Failure> {
                self.base.skip_checks(cx, $name)
            }
            fn setup_credentials(
                &self,
                cx: &mut $crate::lifecycle::ClassCx<'_>,
            ) -> Result<$crate::lifecycle::CredentialsSetUp, $crate::Failure> {
                self.base.setup_credentials(cx)
            }
            fn setup_clients(
                &self,
                cx: &mut $crate::lifecycle::ClassCx<'_>,
            ) -> Result<$crate::lifecycle::ClientsSetUp, $crate::Failure> {
                self.base.setup_clients(cx)
            }
            fn clear_credentials(
                &self,
                cx: &mut $crate::lifecycle::ClassCx<'_>,
            ) -> Result<$crate::lifecycle::CredentialsCleared, $crate::Failure> {
                self.base.clear_credentials(cx)
            }
            fn set_up(
                &self,
                _t: &mut $crate::lifecycle::TestCx<'_>,
            ) -> Result<(), $crate::Failure> {
                self.base.start_test();
                Ok(())
            }
            fn tests(&self) -> Vec<$crate::spec::TestDef<Self>> {
                $ty::defs()
            }
        }
    };
}
pub(crate) use valet_class;

/// `body[key]` as a string, else an `AssertionError` showing the body.
pub(crate) fn str_field<'v>(body: &'v Value, key: &str) -> Result<&'v str, Failure> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::assertion(format!("{key:?} not in {body} (or not a string)")))
}

/// `assertIn(key, body)` for every key.
pub(crate) fn has_keys(body: &Value, keys: &[&str]) -> Result<(), Failure> {
    for key in keys {
        if body.get(key).is_none() {
            return Err(Failure::assertion(format!("{key:?} not in {body}")));
        }
    }
    Ok(())
}

/// Every Valet class, sharing `env`.
pub fn suite(env: Arc<Environment>) -> Result<Suite, SpecError> {
    let mut s = Suite::new();
    s.add(ValetGroupsTest::new(Arc::clone(&env)))?
        .add(ValetGroupsMembersTest::new(Arc::clone(&env)))?
        .add(ValetPlanTest::new(Arc::clone(&env)))?
        .add(ValetErrorsTest::new(Arc::clone(&env)))?
        .add(ValetPlacementsTest::new(Arc::clone(&env)))?
        .add(ValetStatusTest::new(env))?;
    for class in scenario_classes() {
        s.add(class)?;
    }
    Ok(s)
}
