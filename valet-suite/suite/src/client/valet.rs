//! The Valet v1 client: the calls of the Tempest plugin's `ValetClient`, and the rest of the API.
//!
//! Paths are relative to the catalog endpoint (`http://HOST:8090/v1` in Valet's devstack), read
//! from the token's catalog for every call, so a renewed token's catalog is followed. The token
//! goes in `X-Auth-Token`. A 401 makes the client forget the token and try once more with a new
//! one (a token revoked or expired early); a second 401 is the caller's error, and the message
//! says what Valet wants: a token holding the role named exactly `admin`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::ClientError;
use super::http::{Request, Response, check, encode_component};
use super::keystone::AuthProvider;

/// What a Valet call returns: the JSON body (`null` for an empty one), as Tempest's
/// `ResponseBody` is a dict.
pub type Body = Value;

/// A client of the Valet API.
#[derive(Debug, Clone)]
pub struct ValetClient {
    auth: Arc<AuthProvider>,
    service_type: String,
    interface: String,
    region: Option<String>,
}

impl ValetClient {
    /// A client of the `service_type` service at `interface` (`publicURL`, `internal`, ...) in
    /// `region`, authenticating with `auth`.
    pub fn new(
        auth: Arc<AuthProvider>,
        service_type: &str,
        interface: &str,
        region: Option<&str>,
    ) -> ValetClient {
        ValetClient {
            auth,
            service_type: service_type.to_owned(),
            interface: interface.to_owned(),
            region: region.map(str::to_owned),
        }
    }

    /// The credentials' provider.
    pub fn auth(&self) -> &Arc<AuthProvider> {
        &self.auth
    }

    /// The service's base URL, from the current token's catalog.
    pub fn base_url(&self) -> Result<String, ClientError> {
        self.auth
            .token()?
            .endpoint(&self.service_type, &self.interface, self.region.as_deref())
    }

    /// Sends `method path` with `body`, with the token (renewed once after a 401), and returns
    /// the response whatever its status. `token` overrides the token sent (`Some("")` sends
    /// none), for tests of Valet's authentication.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<(String, Response), ClientError> {
        self.send(method, path, body, token, &[])
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        expected: &[u16],
    ) -> Result<(String, Response), ClientError> {
        let mut retried = false;
        loop {
            let held = self.auth.token()?;
            let base =
                held.endpoint(&self.service_type, &self.interface, self.region.as_deref())?;
            let url = format!("{base}{path}");
            let sent = token.unwrap_or(&held.id);
            let headers: Vec<(&str, &str)> = if sent.is_empty() {
                Vec::new()
            } else {
                vec![("X-Auth-Token", sent)]
            };
            let resp = self.auth.http().send(
                &Request {
                    method,
                    url: &url,
                    headers: &headers,
                    body,
                },
                expected,
                None,
            )?;
            if resp.status == 401 && token.is_none() && !retried && !expected.contains(&401) {
                self.auth.invalidate();
                retried = true;
                continue;
            }
            return Ok((url, resp));
        }
    }

    /// Sends `method path` with `body` and checks the status is `expected`, as
    /// `expected_success` does; a 401 says what Valet wants of a token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        expected: u16,
    ) -> Result<Body, ClientError> {
        let (url, resp) = self.send(method, path, body, None, &[expected])?;
        if resp.status == 401 {
            let token = self.auth.token()?;
            let mut body = resp.body;
            if !token.has_role("admin") {
                body.push_str(&format!(
                    "\n(Valet accepts only tokens holding the role named exactly \"admin\"; the \
                     token of user {:?} on project {:?} holds [{}])",
                    token.user_name,
                    token.project_name,
                    token.roles.join(", ")
                ));
            }
            return Err(ClientError::Status {
                method: method.to_owned(),
                url,
                expected: vec![expected],
                status: 401,
                body,
            });
        }
        check(method, &url, resp, &[expected])
    }

    fn id(s: &str) -> String {
        encode_component(s)
    }

    /// `GET /groups` (200).
    pub fn list_groups(&self) -> Result<Body, ClientError> {
        self.call("GET", "/groups", None, 200)
    }

    /// `POST /groups` (201): `{"name","type","description","level"}`.
    pub fn create_group(
        &self,
        name: &str,
        description: &str,
        level: &str,
        group_type: &str,
    ) -> Result<Body, ClientError> {
        let body =
            json!({"name": name, "type": group_type, "description": description, "level": level});
        self.call("POST", "/groups", Some(&body), 201)
    }

    /// `DELETE /groups/{id}` (204).
    pub fn delete_group(&self, group_id: &str) -> Result<Body, ClientError> {
        self.call(
            "DELETE",
            &format!("/groups/{}", Self::id(group_id)),
            None,
            204,
        )
    }

    /// `PUT /groups/{id}` with `{"description"}` (201, as Valet answers).
    pub fn update_group(&self, group_id: &str, description: &str) -> Result<Body, ClientError> {
        let body = json!({"description": description});
        self.call(
            "PUT",
            &format!("/groups/{}", Self::id(group_id)),
            Some(&body),
            201,
        )
    }

    /// `GET /groups/{id}` (200).
    pub fn show_group(&self, group_id: &str) -> Result<Body, ClientError> {
        self.call("GET", &format!("/groups/{}", Self::id(group_id)), None, 200)
    }

    /// `PUT /groups/{id}/members` with `{"members": [...]}` (201).
    pub fn add_members(&self, group_id: &str, members: &[String]) -> Result<Body, ClientError> {
        let body = json!({ "members": members });
        self.call(
            "PUT",
            &format!("/groups/{}/members", Self::id(group_id)),
            Some(&body),
            201,
        )
    }

    /// `GET /groups/{id}/members/{mid}` (204).
    pub fn verify_membership(&self, group_id: &str, member_id: &str) -> Result<Body, ClientError> {
        self.call(
            "GET",
            &format!(
                "/groups/{}/members/{}",
                Self::id(group_id),
                Self::id(member_id)
            ),
            None,
            204,
        )
    }

    /// `DELETE /groups/{id}/members/{mid}` (204).
    pub fn delete_member(&self, group_id: &str, member_id: &str) -> Result<Body, ClientError> {
        self.call(
            "DELETE",
            &format!(
                "/groups/{}/members/{}",
                Self::id(group_id),
                Self::id(member_id)
            ),
            None,
            204,
        )
    }

    /// `DELETE /groups/{id}/members` (204).
    pub fn delete_all_members(&self, group_id: &str) -> Result<Body, ClientError> {
        self.call(
            "DELETE",
            &format!("/groups/{}/members", Self::id(group_id)),
            None,
            204,
        )
    }

    /// `POST /plans` with `{"plan_name","stack_id","resources"}` (201).
    pub fn create_plan(
        &self,
        plan_name: &str,
        resources: &Value,
        stack_id: &str,
    ) -> Result<Body, ClientError> {
        let body = json!({"plan_name": plan_name, "stack_id": stack_id, "resources": resources});
        self.call("POST", "/plans", Some(&body), 201)
    }

    /// `PUT /plans/{id}` with `{"action","excluded_hosts","resources"}` (201).
    pub fn update_plan(
        &self,
        plan_id: &str,
        action: &str,
        excluded_hosts: &[String],
        resources: &Value,
    ) -> Result<Body, ClientError> {
        let body =
            json!({"action": action, "excluded_hosts": excluded_hosts, "resources": resources});
        self.call(
            "PUT",
            &format!("/plans/{}", Self::id(plan_id)),
            Some(&body),
            201,
        )
    }

    /// `DELETE /plans/{id}` (204).
    pub fn delete_plan(&self, plan_id: &str) -> Result<Body, ClientError> {
        self.call(
            "DELETE",
            &format!("/plans/{}", Self::id(plan_id)),
            None,
            204,
        )
    }

    /// `GET /plans/{id}` (200).
    pub fn show_plan(&self, plan_id: &str) -> Result<Body, ClientError> {
        self.call("GET", &format!("/plans/{}", Self::id(plan_id)), None, 200)
    }

    /// `GET /plans` (200).
    pub fn list_plans(&self) -> Result<Body, ClientError> {
        self.call("GET", "/plans", None, 200)
    }

    /// `GET /placements?k=v...` (200): exact-match filters, ANDed.
    pub fn list_placements(&self, filters: &[(&str, &str)]) -> Result<Body, ClientError> {
        let query: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        let path = if query.is_empty() {
            "/placements".to_owned()
        } else {
            format!("/placements?{}", query.join("&"))
        };
        self.call("GET", &path, None, 200)
    }

    /// `GET /placements/{id}` (200): by id or orchestration id.
    pub fn show_placement(&self, placement_id: &str) -> Result<Body, ClientError> {
        self.call(
            "GET",
            &format!("/placements/{}", Self::id(placement_id)),
            None,
            200,
        )
    }

    /// `POST /placements/{id}` with `{"resource_id","action","locations"}` (201): reserve or
    /// replan.
    pub fn update_placement(
        &self,
        placement_id: &str,
        resource_id: &str,
        action: &str,
        locations: &[String],
    ) -> Result<Body, ClientError> {
        let body = json!({"resource_id": resource_id, "action": action, "locations": locations});
        self.call(
            "POST",
            &format!("/placements/{}", Self::id(placement_id)),
            Some(&body),
            201,
        )
    }

    /// `DELETE /placements/{id}` (204).
    pub fn delete_placement(&self, placement_id: &str) -> Result<Body, ClientError> {
        self.call(
            "DELETE",
            &format!("/placements/{}", Self::id(placement_id)),
            None,
            204,
        )
    }

    /// `GET /status` (200).
    pub fn status(&self) -> Result<Body, ClientError> {
        self.call("GET", "/status", None, 200)
    }

    /// `HEAD /status` (204, as Valet's code answers; its documents say 200).
    pub fn status_head(&self) -> Result<Body, ClientError> {
        self.call("HEAD", "/status", None, 204)
    }

    /// `GET /resources` (200).
    pub fn resources(&self) -> Result<Body, ClientError> {
        self.call("GET", "/resources", None, 200)
    }
}
