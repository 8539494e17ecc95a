//! `valet.tests.tempest.api.test_members.ValetGroupsMembersTest`: what the original asserts,
//! with its tenants made as Keystone v3 projects by the primary credentials' identity client
//! (the original used Keystone v2's `tenants_client`).

use serde_json::Value;

use super::base::Base;
use super::support::{has_keys, str_field};
use crate::client::ValetClient;
use tempest_framework::TestCx;
use tempest_framework::data_utils::rand_name;
use tempest_framework::failure::{Failure, check_eq};
use tempest_framework::spec::TestDef;

/// The member tests.
#[derive(Debug)]
pub struct ValetGroupsMembersTest {
    pub(crate) base: Base,
}

super::support::valet_class!(
    ValetGroupsMembersTest,
    "valet.tests.tempest.api.test_members",
    "ValetGroupsMembersTest"
);

impl ValetGroupsMembersTest {
    /// `_create_group`: `membergroup-N`, exclusivity, host; its cleanup deletes every member,
    /// then the group.
    fn create_group(&self, client: &ValetClient, t: &mut TestCx<'_>) -> Result<String, Failure> {
        let g = client.create_group(
            &rand_name("membergroup"),
            "Test Member Group",
            "host",
            "exclusivity",
        )?;
        let id = str_field(&g, "id")?.to_owned();
        let (c, gid) = (client.clone(), id.clone());
        t.add_cleanup(move || {
            c.delete_all_members(&gid)?;
            c.delete_group(&gid)?;
            Ok(())
        });
        Ok(id)
    }

    /// `_create_tenant`: a project `tenant-N` described `desc-N`, deleted by a cleanup.
    fn create_tenant(&self, t: &mut TestCx<'_>) -> Result<String, Failure> {
        let identity = self.base.identity()?;
        let project = identity.client()?.create_project(
            &rand_name("tenant"),
            &rand_name("desc"),
            identity.domain_id(),
        )?;
        let id = project.id.clone();
        t.add_cleanup(move || {
            identity.client()?.delete_project(&project.id)?;
            Ok(())
        });
        Ok(id)
    }

    fn tenants(&self, t: &mut TestCx<'_>, n: usize) -> Result<Vec<String>, Failure> {
        (0..n).map(|_| self.create_tenant(t)).collect()
    }

    fn test_add_single_member_to_a_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let group_id = self.create_group(&client, t)?;
        let tenants = self.tenants(t, 1)?;
        let resp = client.add_members(&group_id, &tenants)?;
        let first = resp
            .get("members")
            .and_then(|m| m.get(0))
            .and_then(Value::as_str);
        check_eq(Some(tenants[0].as_str()), first)?;
        check_eq(group_id.as_str(), str_field(&resp, "id")?)?;
        has_keys(&resp, &["description", "type", "name"])
    }

    fn test_add_multiple_members_to_a_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let group_id = self.create_group(&client, t)?;
        let mut tenants = self.tenants(t, 4)?;
        let resp = client.add_members(&group_id, &tenants)?;
        // assertItemsEqual: the server builds a set, so order is not kept.
        let mut members: Vec<String> = resp
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        members.sort();
        tenants.sort();
        check_eq(tenants, members)?;
        check_eq(group_id.as_str(), str_field(&resp, "id")?)?;
        has_keys(&resp, &["description", "type", "name", "members"])
    }

    fn test_add_single_member_to_a_group_and_verify_membership(
        &self,
        t: &mut TestCx<'_>,
    ) -> Result<(), Failure> {
        let client = self.base.client()?;
        let group_id = self.create_group(&client, t)?;
        let tenants = self.tenants(t, 1)?;
        client.add_members(&group_id, &tenants)?;
        // The client checks the 204 (`int(resp.response['status']) == 204`).
        client.verify_membership(&group_id, &tenants[0])?;
        Ok(())
    }

    fn test_delete_member_from_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let group_id = self.create_group(&client, t)?;
        let tenants = self.tenants(t, 4)?;
        client.add_members(&group_id, &tenants)?;
        client.delete_member(&group_id, &tenants[2])?;
        Ok(())
    }

    fn test_delete_all_members_from_group(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let group_id = self.create_group(&client, t)?;
        let tenants = self.tenants(t, 4)?;
        client.add_members(&group_id, &tenants)?;
        client.delete_all_members(&group_id)?;
        Ok(())
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_add_single_member_to_a_group => "5aeec320-65d5-11e6-8b77-86f30ca893d3",
            test_add_multiple_members_to_a_group => "5aeec6f4-65d5-11e6-8b77-86f30ca893d3",
            test_add_single_member_to_a_group_and_verify_membership => "5aeec8b6-65d5-11e6-8b77-86f30ca893d3",
            test_delete_member_from_group => "5aeec99c-65d5-11e6-8b77-86f30ca893d3",
            test_delete_all_members_from_group => "5aeecb68-65d5-11e6-8b77-86f30ca893d3",
        ]
    }
}
