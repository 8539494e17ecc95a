//! Our own API tests, for what the plugin's tests never covered: the error answers (400, 401,
//! 404, 405, 409) with Valet's error body, placements, and status, resources and versions.
//! Each expects what Valet's code does (reference section 2), where its documents disagree.

use serde_json::{Value, json};

use super::base::Base;
use super::plan::{create_plan, location};
use super::support::str_field;
use crate::client::{Response, ValetClient};
use tempest_framework::TestCx;
use tempest_framework::data_utils::{rand_name, rand_uuid};
use tempest_framework::failure::{Failure, check, check_eq};
use tempest_framework::spec::TestDef;

/// The error tests.
#[derive(Debug)]
pub struct ValetErrorsTest {
    pub(crate) base: Base,
}

/// The placement tests.
#[derive(Debug)]
pub struct ValetPlacementsTest {
    pub(crate) base: Base,
}

/// The status, resources and versions tests.
#[derive(Debug)]
pub struct ValetStatusTest {
    pub(crate) base: Base,
}

super::support::valet_class!(
    ValetErrorsTest,
    "valet.tests.tempest.api.test_errors",
    "ValetErrorsTest"
);
super::support::valet_class!(
    ValetPlacementsTest,
    "valet.tests.tempest.api.test_placements",
    "ValetPlacementsTest"
);
super::support::valet_class!(
    ValetStatusTest,
    "valet.tests.tempest.api.test_status",
    "ValetStatusTest"
);

/// The title and exception type Valet's error body gives each status.
fn title_and_type(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("Bad Request", "HTTPBadRequest"),
        403 => ("Forbidden", "HTTPForbidden"),
        404 => ("Not Found", "HTTPNotFound"),
        405 => ("Method Not Allowed", "HTTPMethodNotAllowed"),
        409 => ("Conflict", "HTTPConflict"),
        500 => ("Internal Server Error", "HTTPInternalServerError"),
        _ => ("", ""),
    }
}

/// Asserts `resp` is Valet's JSON error body for `status` whose explanation contains
/// `explanation`.
fn expect_error(
    what: &str,
    resp: &Response,
    status: u16,
    explanation: &str,
) -> Result<(), Failure> {
    let show = || format!("{what} answered {}: {}", resp.status, resp.body);
    check(
        resp.status == status,
        format!("expected {status}; {}", show()),
    )?;
    let body = resp
        .json()
        .map_err(|e| Failure::assertion(format!("the error body is not JSON ({e}); {}", show())))?;
    let (title, kind) = title_and_type(status);
    check_eq(
        Some(status as u64),
        body.get("code").and_then(Value::as_u64),
    )?;
    check_eq(Some(title), body.get("title").and_then(Value::as_str))?;
    let error = body
        .get("error")
        .ok_or_else(|| Failure::assertion(format!("no \"error\" object; {}", show())))?;
    check_eq(Some(kind), error.get("type").and_then(Value::as_str))?;
    check(
        error.get("message").and_then(Value::as_str).is_some() && error.get("traceback").is_some(),
        format!("error.message and error.traceback expected; {}", show()),
    )?;
    let got = str_field(&body, "explanation")?;
    check(
        got.contains(explanation),
        format!("explanation {got:?} does not contain {explanation:?}"),
    )
}

fn group(client: &ValetClient, t: &mut TestCx<'_>) -> Result<String, Failure> {
    let g = client.create_group(&rand_name("group"), "errors", "host", "exclusivity")?;
    let id = str_field(&g, "id")?.to_owned();
    let (c, gid) = (client.clone(), id.clone());
    t.add_cleanup(move || {
        c.delete_all_members(&gid)?;
        c.delete_group(&gid)?;
        Ok(())
    });
    Ok(id)
}

fn raw(
    client: &ValetClient,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Response, Failure> {
    Ok(client.raw(method, path, body, None)?.1)
}

impl ValetErrorsTest {
    fn test_create_group_without_level(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let body = json!({"name": rand_name("group"), "type": "exclusivity", "description": "d"});
        let resp = raw(&client, "POST", "/groups", Some(&body))?;
        expect_error("POST /groups without level", &resp, 400, "level")
    }

    fn test_create_group_with_a_taken_name(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let name = rand_name("group");
        let g = client.create_group(&name, "first", "host", "exclusivity")?;
        let id = str_field(&g, "id")?.to_owned();
        let c = client.clone();
        t.add_cleanup(move || {
            c.delete_group(&id)?;
            Ok(())
        });
        let body =
            json!({"name": name, "type": "exclusivity", "description": "d", "level": "host"});
        let resp = raw(&client, "POST", "/groups", Some(&body))?;
        expect_error(
            "POST /groups with a taken name",
            &resp,
            400,
            &format!("A group named {name} already exists"),
        )
    }

    fn test_without_a_token(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        for token in ["", "not-a-valid-token"] {
            let (url, resp) = client.raw("GET", "/groups", None, Some(token))?;
            let what = format!("GET {url} with token {token:?}");
            check_eq(401, resp.status)?;
            check(
                resp.header("content-type")
                    .is_some_and(|c| c.starts_with("text/plain")),
                format!(
                    "{what}: expected text/plain, got {:?}",
                    resp.header("content-type")
                ),
            )?;
            check_eq("Authentication required", resp.body.trim())?;
        }
        Ok(())
    }

    fn test_show_unknown_group(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let resp = raw(&client, "GET", &format!("/groups/{}", rand_uuid()), None)?;
        expect_error("GET an unknown group", &resp, 404, "Group not found")
    }

    fn test_verify_a_non_member(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let id = group(&client, t)?;
        let resp = raw(
            &client,
            "GET",
            &format!("/groups/{id}/members/{}", rand_uuid()),
            None,
        )?;
        expect_error("GET a non-member", &resp, 404, "Member not found in group")
    }

    fn test_show_unknown_plan(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let resp = raw(&client, "GET", &format!("/plans/{}", rand_uuid()), None)?;
        expect_error("GET an unknown plan", &resp, 404, "Plan not found")
    }

    fn test_post_to_members(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let id = group(&client, t)?;
        let resp = raw(
            &client,
            "POST",
            &format!("/groups/{id}/members"),
            Some(&json!({"members": []})),
        )?;
        expect_error("POST members", &resp, 405, "")?;
        let allow = resp.header("allow").unwrap_or_default().to_owned();
        check(
            allow.contains("PUT") && allow.contains("DELETE") && !allow.contains("POST"),
            format!("Allow: {allow:?}, expected PUT and DELETE"),
        )
    }

    fn test_delete_a_group_with_members(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let id = group(&client, t)?;
        let tenant = client.auth().token()?.project_id;
        client.add_members(&id, &[tenant])?;
        let resp = raw(&client, "DELETE", &format!("/groups/{id}"), None)?;
        expect_error(
            "DELETE a group with members",
            &resp,
            409,
            "Unable to delete a Group with members.",
        )
    }

    fn test_add_unknown_tenants(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let id = group(&client, t)?;
        let resp = raw(
            &client,
            "PUT",
            &format!("/groups/{id}/members"),
            Some(&json!({"members": [rand_uuid(), rand_uuid()]})),
        )?;
        expect_error(
            "PUT unknown tenants",
            &resp,
            409,
            "Member list contains invalid tenant IDs",
        )
    }

    fn test_migrate_two_resources(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let body = json!({"action": "migrate", "excluded_hosts": [],
                          "resources": [made.resource_id, rand_uuid()]});
        let resp = raw(
            &client,
            "PUT",
            &format!("/plans/{}", str_field(&made.plan, "id")?),
            Some(&body),
        )?;
        expect_error(
            "PUT a migrate of two resources",
            &resp,
            400,
            "resources must be a list of length 1.",
        )
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_create_group_without_level => "4884770d-59bf-420f-8191-85e721c3f53d",
            test_create_group_with_a_taken_name => "34205cfb-6e77-48d9-b6a2-a9a5d0623947",
            test_without_a_token => "c550f678-2a8c-4f3d-87d1-6c72137b02b0",
            test_show_unknown_group => "c45bc9c3-ed9c-479c-a71c-dd6ccee81f18",
            test_verify_a_non_member => "aa9c15ff-294e-4a2a-86ed-015d0365fd5c",
            test_show_unknown_plan => "d7f92e78-898f-4009-b4ee-68694763dad3",
            test_post_to_members => "0ad1f157-9c12-4d37-a6c0-9753cf807374",
            test_delete_a_group_with_members => "cc7eeeb3-c571-4be0-884c-8baf3714ece1",
            test_add_unknown_tenants => "085740f0-f5f5-43dd-a584-d9b6cb7e90dc",
            test_migrate_two_resources => "23c1f9ba-bafd-4997-b86f-a5193260d9f3",
        ]
    }
}

const PLACEMENT_KEYS: [&str; 8] = [
    "id",
    "name",
    "orchestration_id",
    "resource_id",
    "location",
    "reserved",
    "metadata",
    "plan_id",
];

impl ValetPlacementsTest {
    fn test_list_placements_of_a_plan(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let plan_id = str_field(&made.plan, "id")?;
        let listed = client.list_placements(&[("plan_id", plan_id)])?;
        let items = listed
            .get("placements")
            .and_then(Value::as_array)
            .ok_or_else(|| Failure::assertion(format!("no \"placements\" list in {listed}")))?;
        check_eq(1, items.len())?;
        let p = &items[0];
        super::support::has_keys(p, &PLACEMENT_KEYS)?;
        check_eq(made.resource_id.as_str(), str_field(p, "orchestration_id")?)?;
        check_eq(plan_id, str_field(p, "plan_id")?)?;
        check_eq(
            location(&made.plan, &made.resource_id)?.as_str(),
            str_field(p, "location")?,
        )
    }

    fn test_show_placement_by_orchestration_id(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let shown = client.show_placement(&made.resource_id)?;
        let p = shown
            .get("placement")
            .ok_or_else(|| Failure::assertion(format!("no \"placement\" in {shown}")))?;
        super::support::has_keys(p, &PLACEMENT_KEYS)?;
        check_eq(made.resource_id.as_str(), str_field(p, "orchestration_id")?)?;
        let by_id = client.show_placement(str_field(p, "id")?)?;
        check_eq(Some(p), by_id.get("placement"))
    }

    fn test_reserve_placement(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let at = location(&made.plan, &made.resource_id)?;
        let server = rand_uuid();
        let resp = client.update_placement(
            &made.resource_id,
            &server,
            "reserve",
            std::slice::from_ref(&at),
        )?;
        let p = resp
            .get("placement")
            .ok_or_else(|| Failure::assertion(format!("no \"placement\" in {resp}")))?;
        check_eq(Some(true), p.get("reserved").and_then(Value::as_bool))?;
        check_eq(at.as_str(), str_field(p, "location")?)?;
        check_eq(server.as_str(), str_field(p, "resource_id")?)
    }

    fn test_invalid_placement_action(&self, t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let made = create_plan(&client, t)?;
        let body = json!({"resource_id": rand_uuid(), "action": "teleport", "locations": []});
        let resp = raw(
            &client,
            "POST",
            &format!("/placements/{}", made.resource_id),
            Some(&body),
        )?;
        expect_error("POST an unknown action", &resp, 400, "Invalid action")
    }

    fn test_placements_go_with_their_plan(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let stack_id = rand_uuid();
        let resource_id = rand_uuid();
        let resp = client.create_plan(
            &stack_id,
            &super::plan::server_resources(&resource_id),
            &stack_id,
        )?;
        let plan_id = resp
            .get("plan")
            .map(|p| str_field(p, "id"))
            .transpose()?
            .ok_or_else(|| Failure::assertion(format!("no \"plan\" in {resp}")))?
            .to_owned();
        client.delete_plan(&plan_id)?;
        let listed = client.list_placements(&[("plan_id", &plan_id)])?;
        check_eq(Some(&json!([])), listed.get("placements"))?;
        let gone = raw(&client, "GET", &format!("/placements/{resource_id}"), None)?;
        expect_error(
            "GET a deleted plan's placement",
            &gone,
            404,
            "Placement not found",
        )
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_list_placements_of_a_plan => "c393bffc-3cfb-4879-b1ad-f8732ac3b898",
            test_show_placement_by_orchestration_id => "667fb5e1-0163-4d1f-a624-fe987deb8431",
            test_reserve_placement => "d91432c1-73e1-4f86-8fd4-3faa68c261f1",
            test_invalid_placement_action => "d878eb59-3e8a-4503-af67-cee0b9791ba4",
            test_placements_go_with_their_plan => "b54f0dc2-aee8-4d0e-93a8-d2e1030fa491",
        ]
    }
}

impl ValetStatusTest {
    fn test_status(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let body = client.status()?;
        check(
            body.get("status").is_some_and(Value::is_object),
            format!("expected {{\"status\": {{...}}}}, got {body}"),
        )
    }

    fn test_status_head(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        // Valet's code answers 204 where its documents say 200; the client expects 204.
        self.base.client()?.status_head()?;
        Ok(())
    }

    fn test_resources(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let body = self.base.client()?.resources()?;
        check(
            body.get("resources").is_some_and(Value::is_object),
            format!("expected {{\"resources\": {{...}}}}, got {body}"),
        )
    }

    fn test_versions(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let resp = raw(&client, "GET", "", None)?;
        check_eq(200, resp.status)?;
        let body = resp
            .json()
            .map_err(|e| Failure::assertion(format!("GET /v1: not JSON ({e}): {}", resp.body)))?;
        let links: Vec<String> = body
            .get("versions")
            .and_then(|v| v.get(0))
            .and_then(|v| v.get("links"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| l.get("href").and_then(Value::as_str))
            .map(|h| {
                h.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        // `resources` exists but is not listed.
        check_eq(
            vec!["groups", "placements", "plans", "status"],
            links.iter().map(String::as_str).collect(),
        )
    }

    fn test_options(&self, _t: &mut TestCx<'_>) -> Result<(), Failure> {
        let client = self.base.client()?;
        let resp = raw(&client, "OPTIONS", "/status", None)?;
        check_eq(204, resp.status)?;
        let allow = resp.header("allow").unwrap_or_default();
        check(
            allow.contains("GET") && allow.contains("HEAD"),
            format!("OPTIONS /status: Allow {allow:?}, expected HEAD and GET"),
        )
    }

    pub(crate) fn defs() -> Vec<TestDef<Self>> {
        super::support::logged_defs![
            test_status => "aee6ed2c-8bd3-4f50-a539-c49f3a8c1fe6",
            test_status_head => "19d8aff2-afb9-4744-922e-3a5c2260bc1f",
            test_resources => "7f12338a-ac84-4e13-b9ae-192aba44ebe1",
            test_versions => "6a2bd8bc-ddb8-483d-953f-eb88cbf4a986",
            test_options => "37bd0695-cb75-4a52-aacc-8c51e605dccf",
        ]
    }
}
