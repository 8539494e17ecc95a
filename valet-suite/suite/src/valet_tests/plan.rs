//! `ValetPlanTest`: the plugin's `disabled_test_plan.py`, enabled. Its module is
//! `valet.tests.tempest.api.test_plan`, the name under which the att-comdev fork enabled the
//! same tests with the same ids; the resource type is the original's `OS::Nova::Server`.

use serde_json::{Value, json};

use super::base::Base;
use super::support::str_field;
use crate::client::ValetClient;
use tempest_framework::TestCx;
use tempest_framework::data_utils::{rand_name, rand_uuid};
use tempest_framework::failure::{Failure, check, check_eq};
use tempest_framework::spec::TestDef;

/// The plan tests.
#[derive(Debug)]
pub struct ValetPlanTest {
    pub(crate) base: Base,
}

super::support::valet_class!(
    ValetPlanTest,
    "valet.tests.tempest.api.test_plan",
    "ValetPlanTest"
);

/// A plan made as the original makes it: `plan_name` and `stack_id` the same random UUID, one
/// `OS::Nova::Server` resource keyed by another.
pub(crate) struct Made {
    pub(crate) stack_id: String,
    pub(crate) resource_id: String,
    pub(crate) plan: Value,
}

pub(crate) fn server_resources(resource_id: &str) -> Value {
    json!({ resource_id: {
        "name": rand_name("resource"),
        "type": "OS::Nova::Server",
        "properties": {
            "flavor": "m1.small",
            "image": "ubuntu_1204",
            "networks": [{"network": "demo-net"}],
        },
    }})
}

/// Creates a plan (deleted by a cleanup) and returns it with its ids.
pub(crate) fn create_plan(client: &ValetClient, t: &mut TestCx<'_>) -> Result<Made, Failure> {
    let stack_id = rand_uuid();
    let resource_id = rand_uuid();
    let resp = client.create_plan(&stack_id, &server_resources(&resource_id), &stack_id)?;
    let plan = resp
        .get("plan")
        .cloned()
        .ok_or_else(|| Failure::assertion(format!("no \"plan\" in {resp}")))?;
    let plan_id = str_field(&plan, "id")?.to_owned();
    let c = client.clone();
    t.add_cleanup(move || {
        c.delete_plan(&plan_id)?;
        Ok(())
    });
    Ok(Made {
        stack_id,
        resource_id,
        plan,
    })
}

/// `plan['placements'][resource_id]['location']`.
pub(crate) fn location(plan: &Value, resource_id: &str) -> Result<String, Failure> {
    plan.get("placements")
        .and_then(|p| p.get(resource_id))
        .and_then(|p| p.get("location"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::assertion(format!("no placements[{resource_id:?}].location in {plan}"))
        })
}

impl ValetPlanTest {
    fn test_create_plan(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let stack_id = str_field(&made.plan, "stack_id")?;
        str_field(&made.plan, "id")?;
        let name = str_field(&made.plan, "name")?;
        location(&made.plan, &made.resource_id)?;
        check_eq(stack_id, name)?;
        check_eq(made.stack_id.as_str(), name)
    }

    fn test_update_plan_action_migrate(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let at = location(&made.plan, &made.resource_id)?;
        let resp = client.update_plan(
            str_field(&made.plan, "id")?,
            "migrate",
            &[at],
            &json!([made.resource_id]),
        )?;
        check(
            resp.get("plan").and_then(|p| p.get("id")).is_some(),
            format!("'id' not in body['plan']: {resp}"),
        )
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_create_plan => "f25ea766-c91e-40ca-b96c-dff42129803d",
            test_update_plan_action_migrate => "973635f4-b5c9-4b78-81e7-d273e1782afc",
        ]
    }
}
