//! The scenario classes of Valet's plugin, with their exact ids, run for real: Heat stacks
//! placed by Valet, checked through Nova.
//!
//! Each class needs `[service_available] heat` (registered as the Heat Tempest plugin
//! registers it; false by default, set by an embedded run) and skips without it, as Tempest
//! decides skips, after the plugin's own check (`<Class> skipped as valet is not available`).
//! `setup_clients` adds Heat (`[orchestration] catalog_type`) and Nova (`[compute]
//! catalog_type`) clients at the catalog's endpoints to the Valet client.
//!
//! - `TestAffinity`, `TestDiversity`, `TestExclusivity`, `TestNestedStackTemplates`: each test
//!   makes the Valet groups its name states (random names, the test's project a member),
//!   creates a stack from our own template for that topology ([`stacks::topology`]), waits
//!   for `CREATE_COMPLETE`, and checks every group on the hosts Nova shows
//!   ([`stacks::check_placement`]).
//! - `TestStackUpdatesNonValet`: stacks with no Valet group, updated as the name states
//!   ([`updates::shapes`]), checked after `UPDATE_COMPLETE` ([`updates::check_shape`]).
//!
//! Stacks are deleted (and waited for) and groups deleted in clean-ups, which run even when
//! the test fails; waits are bounded by `[orchestration] build_timeout`, polled every
//! `build_interval`, and a server is shown up to `[valet] TRIES_TO_SHOW_SERVER` times,
//! `PAUSE` apart.

use std::sync::{Arc, Mutex};

use tempest_framework::data_utils::rand_name;
use tempest_framework::failure::Failure;
use tempest_framework::spec::TestDef;
use tempest_framework::{
    ClassCx, ClientsSetUp, CredentialProvider, CredentialType, CredentialsCleared,
    CredentialsSetUp, SkipChecked, SkipCx, TestClass, TestCx,
};

use super::base::Base;
use super::stacks::{self, Cloud, Planned, Waits};
use super::updates;
use crate::client::{ClientSettings, ValetClient};
use crate::credentials::Environment;
use crate::options::{compute, heat_available, orchestration};

/// The scenario module prefix.
pub const SCENARIO_MODULE: &str = "valet.tests.tempest.scenario.tests";

/// A scenario test: its method and idempotent id, if it has one.
pub type ScenarioTest = (&'static str, Option<&'static str>);

/// (module, class, [(method, idempotent id)]) for every scenario class, as the plugin defines
/// them (reference section 1.7 and 1.8).
pub const SCENARIO_TABLE: &[(&str, &str, &[ScenarioTest])] = &[
    ("test_affinity", "TestAffinity", &[("test_affinity", None)]),
    (
        "test_diversity",
        "TestDiversity",
        &[("test_diversity", None)],
    ),
    (
        "test_exclusivity",
        "TestExclusivity",
        &[("test_exclusivity", None)],
    ),
    (
        "test_nested_templates",
        "TestNestedStackTemplates",
        &[
            (
                "test_affinity_nested_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000b"),
            ),
            (
                "test_affinity_nested_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000c"),
            ),
            (
                "test_affinity_nested_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00000"),
            ),
            (
                "test_affinity_nested_three_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00006"),
            ),
            (
                "test_affinity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00003"),
            ),
            (
                "test_affinity_one_instance_nested_one_instance",
                Some("f61b522b-b84d-458d-b45b-f07f19a0002c"),
            ),
            (
                "test_diversity_nested_exclusivity_and_affinity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000e"),
            ),
            (
                "test_diversity_nested_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00001"),
            ),
            (
                "test_diversity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00004"),
            ),
            (
                "test_diversity_one_instance_nested_one_instance",
                Some("f61b522b-b84d-458d-b45b-f07f19a0002d"),
            ),
            (
                "test_exclusivity_nested_affinity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000a"),
            ),
            (
                "test_exclusivity_nested_diversity_and_affinity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000d"),
            ),
            (
                "test_exclusivity_nested_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00008"),
            ),
            (
                "test_exclusivity_nested_diversity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00009"),
            ),
            (
                "test_exclusivity_nested_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00002"),
            ),
            (
                "test_exclusivity_nested_three_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00007"),
            ),
            (
                "test_exclusivity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00005"),
            ),
            (
                "test_host_affinity_multiple_resource_types",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001e"),
            ),
            (
                "test_host_diversity_multiple_resource_types",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001f"),
            ),
            (
                "test_host_exclusivity_multiple_resource_types",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001d"),
            ),
            (
                "test_rack_affinity_nested_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00017"),
            ),
            (
                "test_rack_affinity_nested_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00018"),
            ),
            (
                "test_rack_affinity_nested_three_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00012"),
            ),
            (
                "test_rack_affinity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0000f"),
            ),
            (
                "test_rack_affinity_rack_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00027"),
            ),
            (
                "test_rack_affinity_rack_diversity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0002a"),
            ),
            (
                "test_rack_affinity_rack_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00028"),
            ),
            (
                "test_rack_affinity_rack_exclusivity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0002b"),
            ),
            (
                "test_rack_diversity_nested_affinity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00019"),
            ),
            (
                "test_rack_diversity_nested_exclusivity_and_affinity_one_instance",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001c"),
            ),
            (
                "test_rack_diversity_nested_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001a"),
            ),
            (
                "test_rack_diversity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00010"),
            ),
            (
                "test_rack_diversity_rack_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00029"),
            ),
            (
                "test_rack_exclusivity_nested_affinity_multiple_resource_types",
                Some("f61b522b-b84d-458d-b45b-f07f19a00020"),
            ),
            (
                "test_rack_exclusivity_nested_affinity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00015"),
            ),
            (
                "test_rack_exclusivity_nested_affinity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00016"),
            ),
            (
                "test_rack_exclusivity_nested_diversity_and_affinity_one_instance",
                Some("f61b522b-b84d-458d-b45b-f07f19a0001b"),
            ),
            (
                "test_rack_exclusivity_nested_diversity_multiple_resource_types",
                Some("f61b522b-b84d-458d-b45b-f07f19a00021"),
            ),
            (
                "test_rack_exclusivity_nested_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00013"),
            ),
            (
                "test_rack_exclusivity_nested_diversity_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00014"),
            ),
            (
                "test_rack_exclusivity_nested_two_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00011"),
            ),
            (
                "test_rack_rack_affinity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00024"),
            ),
            (
                "test_rack_rack_diversity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00025"),
            ),
            (
                "test_rack_rack_exclusivity_one_instances",
                Some("f61b522b-b84d-458d-b45b-f07f19a00026"),
            ),
        ],
    ),
    (
        "test_stack_updates_non_valet",
        "TestStackUpdatesNonValet",
        &[
            (
                "test_updates_multiple_resources_remove_network",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00e"),
            ),
            (
                "test_updates_multiple_resources_upd_security_rule",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00d"),
            ),
            (
                "test_updates_nested_add_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e011"),
            ),
            (
                "test_updates_nested_decrease_inner_instance_count",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e014"),
            ),
            (
                "test_updates_nested_increase_inner_instance_count",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e013"),
            ),
            (
                "test_updates_nested_nova_group_add_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e016"),
            ),
            (
                "test_updates_nested_nova_group_remove_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e017"),
            ),
            (
                "test_updates_nested_nova_group_upd_flavor",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e015"),
            ),
            (
                "test_updates_nested_remove_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e012"),
            ),
            (
                "test_updates_nested_upd_desc",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00f"),
            ),
            (
                "test_updates_nested_upd_flavor",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e010"),
            ),
            (
                "test_updates_no_groups_add_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e003"),
            ),
            (
                "test_updates_no_groups_remove_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e004"),
            ),
            (
                "test_updates_no_groups_upd_desc",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e001"),
            ),
            (
                "test_updates_no_groups_upd_flavor",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e002"),
            ),
            (
                "test_updates_nova_group_add_group",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e008"),
            ),
            (
                "test_updates_nova_group_add_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e006"),
            ),
            (
                "test_updates_nova_group_move_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00b"),
            ),
            (
                "test_updates_nova_group_remove_group",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e009"),
            ),
            (
                "test_updates_nova_group_remove_group_assignment",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00c"),
            ),
            (
                "test_updates_nova_group_remove_server",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e005"),
            ),
            (
                "test_updates_nova_group_upd_flavor",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e007"),
            ),
            (
                "test_updates_nova_group_upd_group_policy",
                Some("f323b3ba-82f8-4db7-8ea6-00005869e00a"),
            ),
        ],
    ),
];

/// One scenario class.
#[derive(Debug)]
pub struct ScenarioClass {
    module: String,
    name: &'static str,
    tests: &'static [ScenarioTest],
    base: Base,
    cloud: Mutex<Option<Cloud>>,
}

/// Every scenario class of `SCENARIO_TABLE`, sharing `env`.
pub fn scenario_classes(env: &Arc<Environment>) -> Vec<ScenarioClass> {
    SCENARIO_TABLE
        .iter()
        .map(|(module, name, tests)| ScenarioClass {
            module: format!("{SCENARIO_MODULE}.{module}"),
            name,
            tests,
            base: Base::new(Arc::clone(env)),
            cloud: Mutex::new(None),
        })
        .collect()
}

impl ScenarioClass {
    fn cloud(&self) -> Result<Cloud, Failure> {
        self.cloud
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Failure::runtime("the Heat and Nova clients were not set up"))
    }

    fn make_clients(&self, cx: &ClassCx<'_>) -> Result<(), Failure> {
        let valet = self.base.client()?;
        let config = cx.config();
        let settings = ClientSettings::from_config(config)?;
        let client = |ty: &str, interface: &str| {
            ValetClient::new(
                Arc::clone(valet.auth()),
                ty,
                interface,
                Some(&settings.region),
            )
        };
        let cloud = Cloud {
            heat: client(
                &config.get(orchestration::CATALOG_TYPE)?,
                &config.get(orchestration::ENDPOINT_TYPE)?,
            ),
            nova: client(
                &config.get(compute::CATALOG_TYPE)?,
                &config.get(compute::ENDPOINT_TYPE)?,
            ),
            waits: Waits::from_config(config)?,
        };
        cloud.heat.base_url()?;
        cloud.nova.base_url()?;
        *self
            .cloud
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cloud);
        Ok(())
    }

    /// Creates the stack with a clean-up that deletes it (and waits), then waits for `want`.
    fn create(
        &self,
        t: &mut TestCx<'_>,
        cloud: &Cloud,
        name: &str,
        planned: &Planned,
    ) -> Result<(String, serde_json::Value), Failure> {
        let id = cloud.create_stack(name, planned)?;
        let (c, n, i) = (cloud.clone(), name.to_string(), id.clone());
        t.add_cleanup(move || c.delete_stack(&n, &i));
        let stack = cloud.wait(name, &id, "CREATE_COMPLETE")?;
        Ok((id, stack))
    }

    fn placement_test(&self, t: &mut TestCx<'_>, method: &str) -> Result<(), Failure> {
        let valet = self.base.client()?;
        let cloud = self.cloud()?;
        let project = valet.auth().token()?.project_id;
        let prefix = rand_name("valet").replace('-', "");
        let topo = stacks::topology(method);
        let planned = stacks::plan_stack(&topo, &prefix, t.config())?;
        for (group, (kind, level)) in &planned.groups {
            let body = valet.create_group(group, &format!("{method} {group}"), level, kind)?;
            let id = body["id"]
                .as_str()
                .ok_or_else(|| Failure::assertion(format!("no group id in {body}")))?
                .to_string();
            let c = valet.clone();
            let gid = id.clone();
            // A group with members cannot be deleted: its members go first.
            t.add_cleanup(move || {
                c.delete_all_members(&gid)?;
                c.delete_group(&gid).map(drop).map_err(Failure::from)
            });
            valet.add_members(&id, std::slice::from_ref(&project))?;
        }
        self.create(t, &cloud, &format!("{prefix}-stack"), &planned)?;
        stacks::check_placement(&cloud, &planned)
    }

    fn update_test(&self, t: &mut TestCx<'_>, method: &str) -> Result<(), Failure> {
        let cloud = self.cloud()?;
        let prefix = rand_name("upd").replace('-', "");
        let (before, after) = updates::shapes(method);
        let first = updates::plan(&before, &prefix, t.config())?;
        let name = format!("{prefix}-stack");
        let (id, stack) = self.create(t, &cloud, &name, &first)?;
        updates::check_shape(&cloud, &stack, &before, &first, &prefix)?;
        let second = updates::plan(&after, &prefix, t.config())?;
        cloud.update_stack(&name, &id, &second)?;
        let stack = cloud.wait(&name, &id, "UPDATE_COMPLETE")?;
        updates::check_shape(&cloud, &stack, &after, &second, &prefix)
    }

    fn run(&self, t: &mut TestCx<'_>, method: &str) -> Result<(), Failure> {
        if self.name == "TestStackUpdatesNonValet" {
            self.update_test(t, method)
        } else {
            self.placement_test(t, method)
        }
    }
}

/// Every scenario test: the method its id names, run with its exchanges logged.
fn run_logged<'c>(c: &ScenarioClass, t: &mut TestCx<'c>) -> Result<(), Failure> {
    let method = super::base::method_of(t.id());
    c.base.logged(t, |t| c.run(t, &method))
}

impl TestClass for ScenarioClass {
    fn module(&self) -> &str {
        &self.module
    }

    fn name(&self) -> &str {
        self.name
    }

    fn credentials(&self) -> Vec<CredentialType> {
        vec![CredentialType::Primary]
    }

    fn credential_provider(&self) -> Arc<dyn CredentialProvider> {
        self.base.credential_provider()
    }

    fn skip_checks(&self, cx: &mut SkipCx<'_, '_>) -> Result<SkipChecked, Failure> {
        let checked = self.base.skip_checks(cx, self.name)?;
        if !cx.config().get(heat_available::HEAT)? {
            return Err(Failure::skip(format!(
                "{} skipped as orchestration is not available: the Valet scenario tests \
                 create Heat stacks ([service_available] heat is not set)",
                self.name
            )));
        }
        Ok(checked)
    }

    fn setup_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsSetUp, Failure> {
        self.base.setup_credentials(cx)
    }

    fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        let t = self.base.setup_clients(cx)?;
        self.make_clients(cx)
            .map_err(|e| Failure::new("Error", format!("in setup_clients: {e}")))?;
        Ok(t)
    }

    fn clear_credentials(&self, cx: &mut ClassCx<'_>) -> Result<CredentialsCleared, Failure> {
        *self
            .cloud
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.base.clear_credentials(cx)
    }

    fn set_up(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        self.base.start_test();
        Ok(())
    }

    fn tests(&self) -> Vec<TestDef<Self>> {
        self.tests
            .iter()
            .map(|(method, id)| {
                let def =
                    TestDef::new(*method, run_logged as tempest_framework::spec::TestFn<Self>);
                match id {
                    Some(id) => def.idempotent_id(id),
                    None => def,
                }
            })
            .collect()
    }
}
