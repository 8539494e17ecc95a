//! `valet.tests.tempest.api.test_groups.ValetGroupsTest`: what the original asserts.

use serde_json::Value;

use super::base::Base;
use super::support::{has_keys, str_field};
use crate::client::ValetClient;
use tempest_framework::TestCx;
use tempest_framework::data_utils::rand_name;
use tempest_framework::failure::{Failure, check, check_eq};
use tempest_framework::spec::TestDef;

/// The group tests.
#[derive(Debug)]
pub struct ValetGroupsTest {
    pub(crate) base: Base,
}

super::support::valet_class!(
    ValetGroupsTest,
    "valet.tests.tempest.api.test_groups",
    "ValetGroupsTest"
);

/// Creates a group as the original does (type `exclusivity`, level `host`), deleted by a
/// cleanup when `cleanup`; returns the POST's body.
fn create_group(
    client: &ValetClient,
    t: &mut TestCx<'_>,
    name: &str,
    cleanup: bool,
) -> Result<Value, Failure> {
    let body = client.create_group(name, &rand_name("Description"), "host", "exclusivity")?;
    if cleanup {
        let id = str_field(&body, "id")?.to_owned();
        let c = client.clone();
        t.add_cleanup(move || c.delete_group(&id).map(drop).map_err(Failure::from));
    }
    Ok(body)
}

impl ValetGroupsTest {
    fn test_list_groups(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let g = create_group(&client, t, &rand_name("group"), true)?;
            ids.push(str_field(&g, "id")?.to_owned());
        }
        let listed = client.list_groups()?;
        let groups = listed
            .get("groups")
            .and_then(Value::as_array)
            .ok_or_else(|| Failure::assertion(format!("no \"groups\" list in {listed}")))?;
        let found: Vec<&str> = groups
            .iter()
            .filter_map(|g| g.get("id").and_then(Value::as_str))
            .collect();
        let missing: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| !found.contains(id))
            .collect();
        check_eq(Vec::<&str>::new(), missing)
    }

    fn test_create_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let name = rand_name("group");
        let g = create_group(&client, t, &name, true)?;
        has_keys(&g, &["id", "name", "type", "description"])?;
        check_eq(name.as_str(), str_field(&g, "name")?)
    }

    fn test_delete_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let g = create_group(&client, t, &rand_name("group"), false)?;
        let id = str_field(&g, "id")?.to_owned();
        client.delete_group(&id)?;
        let listed = client.list_groups()?;
        let still = listed
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|g| g.get("id").and_then(Value::as_str) == Some(id.as_str()));
        check(
            !still,
            format!("{id:?} unexpectedly found in the group list"),
        )
    }

    fn test_update_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let g = create_group(&client, t, &rand_name("group"), true)?;
        let new_desc = rand_name("UpdateDescription");
        let updated = client.update_group(str_field(&g, "id")?, &new_desc)?;
        check_eq(new_desc.as_str(), str_field(&updated, "description")?)
    }

    fn test_show_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let name = rand_name("group");
        let g = create_group(&client, t, &name, true)?;
        let shown = client.show_group(str_field(&g, "id")?)?;
        let group = shown
            .get("group")
            .ok_or_else(|| Failure::assertion(format!("no \"group\" in {shown}")))?;
        has_keys(group, &["id", "name", "type", "description", "members"])?;
        check_eq(name.as_str(), str_field(group, "name")?)
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_list_groups => "b2655098-5a0d-11e6-9efd-525400af9658",
            test_create_group => "2ab0337e-6472-11e6-b6c6-080027824017",
            test_delete_group => "35f0aa20-6472-11e6-b6c6-080027824017",
            test_update_group => "460d86e4-6472-11e6-b6c6-080027824017".smoke(),
            test_show_group => "4f660e50-6472-11e6-b6c6-080027824017",
        ]
    }
}
