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
//!   `TestNestedStackTemplates`, `TestStackUpdatesNonValet`), with their exact ids: Heat
//!   stacks from our own templates, placed by Valet, checked through Nova; they skip in
//!   `skip_checks` when `[service_available] heat` is false.
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
mod groups;
mod members;
mod plan;
mod scenario;
mod stacks;
mod support;
pub mod target;
mod updates;

use std::sync::Arc;

pub use crate::credentials::Environment;
pub use api::{ValetErrorsTest, ValetPlacementsTest, ValetStatusTest};
pub use groups::ValetGroupsTest;
pub use members::ValetGroupsMembersTest;
pub use plan::ValetPlanTest;
pub use scenario::{ScenarioClass, scenario_classes};

use tempest_framework::Suite;
use tempest_framework::spec::SpecError;

/// Every Valet class, sharing `env`.
pub fn suite(env: Arc<Environment>) -> Result<Suite, SpecError> {
    let mut s = Suite::new();
    s.add(ValetGroupsTest::new(Arc::clone(&env)))?
        .add(ValetGroupsMembersTest::new(Arc::clone(&env)))?
        .add(ValetPlanTest::new(Arc::clone(&env)))?
        .add(ValetErrorsTest::new(Arc::clone(&env)))?
        .add(ValetPlacementsTest::new(Arc::clone(&env)))?
        .add(ValetStatusTest::new(Arc::clone(&env)))?;
    for class in scenario_classes(&env) {
        s.add(class)?;
    }
    Ok(s)
}
