//! Keystone v3: password authentication scoped to a project, the service catalog, and the
//! admin calls dynamic credentials need (projects, users, roles).
//!
//! [`AuthProvider`] holds one set of credentials and the token they give. The token is renewed
//! when it has expired (by its `expires_at`, with a small margin) and whenever a service
//! answered 401 to it ([`AuthProvider::invalidate`]); endpoints are read from the token's
//! catalog by service type, interface and region, never assumed.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::error::ClientError;
use super::http::{Http, Request, Response, check, encode_component};
use super::time::parse_iso8601;

/// A token is renewed this long before Keystone says it expires.
pub const EXPIRY_MARGIN: Duration = Duration::from_millis(500);

/// Password credentials scoped to a project (Keystone v3).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The domain of the user (by name).
    pub user_domain_name: String,
    /// The project to scope the token to (by name).
    pub project_name: String,
    /// The domain of the project (by name).
    pub project_domain_name: String,
}

impl std::fmt::Debug for PasswordCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordCredentials")
            .field("username", &self.username)
            .field("password", &"***")
            .field("user_domain_name", &self.user_domain_name)
            .field("project_name", &self.project_name)
            .field("project_domain_name", &self.project_domain_name)
            .finish()
    }
}

/// One endpoint of a catalog entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// The region (`region_id`, else `region`).
    pub region: Option<String>,
    /// The URL.
    pub url: String,
}

/// A service of the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The service type (`placement`, `identity`, ...).
    pub service_type: String,
    /// The service name (`valet`).
    pub name: Option<String>,
    /// Its endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// A project-scoped token and what came with it.
#[derive(Clone, Debug)]
pub struct Token {
    /// The token (`X-Subject-Token`).
    pub id: String,
    /// When Keystone says it expires.
    pub expires_at: SystemTime,
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The project's id.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// The role names on the project.
    pub roles: Vec<String>,
    /// The service catalog.
    pub catalog: Vec<CatalogEntry>,
}

impl Token {
    fn fresh(&self) -> bool {
        SystemTime::now() + EXPIRY_MARGIN < self.expires_at
    }

    /// Whether the token holds the role named exactly `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The URL of `service_type` at `interface` (`public`/`publicURL`, ...) in `region` (any
    /// region when `None`).
    pub fn endpoint(
        &self,
        service_type: &str,
        interface: &str,
        region: Option<&str>,
    ) -> Result<String, ClientError> {
        let interface = interface.strip_suffix("URL").unwrap_or(interface);
        let found = self
            .catalog
            .iter()
            .filter(|s| s.service_type == service_type)
            .flat_map(|s| &s.endpoints)
            .find(|e| {
                e.interface == interface && region.is_none_or(|r| e.region.as_deref() == Some(r))
            });
        match found {
            Some(e) => Ok(e.url.trim_end_matches('/').to_owned()),
            None => Err(ClientError::NoEndpoint {
                service_type: service_type.to_owned(),
                interface: interface.to_owned(),
                region: region.map(str::to_owned),
                catalog: self
                    .catalog
                    .iter()
                    .flat_map(|s| {
                        s.endpoints.iter().map(move |e| {
                            format!(
                                "{} ({}) {} {} {}",
                                s.service_type,
                                s.name.as_deref().unwrap_or("-"),
                                e.interface,
                                e.region.as_deref().unwrap_or("-"),
                                e.url
                            )
                        })
                    })
                    .collect(),
            }),
        }
    }
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Reads a Keystone v3 token response (`{"token": {...}}` with the id in `X-Subject-Token`).
pub fn parse_token(resp: &Response, url: &str) -> Result<Token, ClientError> {
    let bad = |what: &str| ClientError::BadResponse {
        method: "POST".to_owned(),
        url: url.to_owned(),
        status: resp.status,
        problem: what.to_owned(),
        body: resp.body.clone(),
    };
    let id = resp
        .header("X-Subject-Token")
        .ok_or_else(|| bad("no X-Subject-Token header"))?
        .to_owned();
    let body = resp.json().map_err(|e| bad(&format!("not JSON: {e}")))?;
    let t = body
        .get("token")
        .ok_or_else(|| bad("no \"token\" object"))?;
    let expires = str_at(t, &["expires_at"]).ok_or_else(|| bad("no token.expires_at"))?;
    let expires_at = parse_iso8601(expires)
        .ok_or_else(|| bad(&format!("token.expires_at {expires:?} is not a time")))?;
    let roles = t
        .get("roles")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let catalog = t
        .get("catalog")
        .and_then(Value::as_array)
        .map(|svcs| {
            svcs.iter()
                .filter_map(|s| {
                    Some(CatalogEntry {
                        service_type: s.get("type")?.as_str()?.to_owned(),
                        name: s.get("name").and_then(Value::as_str).map(str::to_owned),
                        endpoints: s
                            .get("endpoints")
                            .and_then(Value::as_array)
                            .map(|es| {
                                es.iter()
                                    .filter_map(|e| {
                                        Some(Endpoint {
                                            interface: e.get("interface")?.as_str()?.to_owned(),
                                            region: e
                                                .get("region_id")
                                                .or_else(|| e.get("region"))
                                                .and_then(Value::as_str)
                                                .map(str::to_owned),
                                            url: e.get("url")?.as_str()?.to_owned(),
                                        })
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Token {
        id,
        expires_at,
        user_id: str_at(t, &["user", "id"]).unwrap_or_default().to_owned(),
        user_name: str_at(t, &["user", "name"]).unwrap_or_default().to_owned(),
        project_id: str_at(t, &["project", "id"])
            .ok_or_else(|| bad("the token is not scoped to a project (no token.project.id)"))?
            .to_owned(),
        project_name: str_at(t, &["project", "name"])
            .unwrap_or_default()
            .to_owned(),
        roles,
        catalog,
    })
}

/// One set of credentials and the token they give, renewed when needed.
#[derive(Debug)]
pub struct AuthProvider {
    http: Http,
    auth_url: String,
    credentials: PasswordCredentials,
    token: Mutex<Option<Token>>,
}

impl AuthProvider {
    /// A provider authenticating `credentials` at `auth_url` (`http://HOST/identity/v3`).
    pub fn new(http: Http, auth_url: &str, credentials: PasswordCredentials) -> AuthProvider {
        AuthProvider {
            http,
            auth_url: auth_url.trim_end_matches('/').to_owned(),
            credentials,
            token: Mutex::new(None),
        }
    }

    /// The Keystone v3 URL.
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }

    /// The credentials.
    pub fn credentials(&self) -> &PasswordCredentials {
        &self.credentials
    }

    /// The HTTP client.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// A valid token: the one held, unless it has expired or was invalidated, else a new one.
    pub fn token(&self) -> Result<Token, ClientError> {
        let mut held = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = held.as_ref().filter(|t| t.fresh()) {
            return Ok(t.clone());
        }
        let t = self.authenticate()?;
        *held = Some(t.clone());
        Ok(t)
    }

    /// Forgets the token, so the next call authenticates again (after a 401).
    pub fn invalidate(&self) {
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// `POST /auth/tokens` with the password method, scoped to the project by name and domain.
    pub fn authenticate(&self) -> Result<Token, ClientError> {
        let c = &self.credentials;
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": c.username,
                "password": c.password,
                "domain": {"name": c.user_domain_name},
            }}},
            "scope": {"project": {
                "name": c.project_name,
                "domain": {"name": c.project_domain_name},
            }},
        }});
        let url = format!("{}/auth/tokens", self.auth_url);
        let resp = self.http.send(
            &Request {
                method: "POST",
                url: &url,
                headers: &[],
                body: Some(&body),
            },
            &[201],
            Some(&c.password),
        )?;
        if resp.status == 401 {
            return Err(ClientError::AuthenticationFailed {
                url,
                username: c.username.clone(),
                project: c.project_name.clone(),
                body: resp.body,
            });
        }
        if resp.status != 201 {
            return Err(ClientError::Status {
                method: "POST".to_owned(),
                url,
                expected: vec![201],
                status: resp.status,
                body: resp.body,
            });
        }
        parse_token(&resp, &url)
    }
}

/// Keystone v3's admin API, called with the token of an [`AuthProvider`] whose user may
/// administer identities.
#[derive(Debug)]
pub struct IdentityClient<'a> {
    auth: &'a AuthProvider,
    base: String,
}

/// A project or user made through the admin API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
}

impl<'a> IdentityClient<'a> {
    /// The admin API of the identity service `auth` authenticates at: the catalog's
    /// `catalog_type` endpoint at `interface` in `region` when the catalog has one, else the
    /// authentication URL itself.
    pub fn new(
        auth: &'a AuthProvider,
        catalog_type: &str,
        interface: &str,
        region: Option<&str>,
    ) -> Result<IdentityClient<'a>, ClientError> {
        let token = auth.token()?;
        let base = match token.endpoint(catalog_type, interface, region) {
            Ok(url) if url.ends_with("/v3") => url,
            Ok(url) => format!("{url}/v3"),
            Err(_) => auth.auth_url().to_owned(),
        };
        Ok(IdentityClient { auth, base })
    }

    /// The base URL (ends in `/v3`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        expected: &[u16],
    ) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut retried = false;
        loop {
            let token = self.auth.token()?;
            let resp = self.auth.http().send(
                &Request {
                    method,
                    url: &url,
                    headers: &[("X-Auth-Token", &token.id)],
                    body,
                },
                expected,
                None,
            )?;
            if resp.status == 401 && !retried && !expected.contains(&401) {
                self.auth.invalidate();
                retried = true;
                continue;
            }
            return check(method, &url, resp, expected);
        }
    }

    fn named(v: &Value, key: &str, method: &str, url: &str) -> Result<Named, ClientError> {
        let obj = v.get(key);
        let field = |f: &str| obj.and_then(|o| o.get(f)).and_then(Value::as_str);
        match (field("id"), field("name")) {
            (Some(id), Some(name)) => Ok(Named {
                id: id.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(ClientError::BadResponse {
                method: method.to_owned(),
                url: url.to_owned(),
                status: 201,
                problem: format!("no {key}.id and {key}.name"),
                body: v.to_string(),
            }),
        }
    }

    /// `POST /projects`.
    pub fn create_project(
        &self,
        name: &str,
        description: &str,
        domain_id: &str,
    ) -> Result<Named, ClientError> {
        let body = json!({"project": {
            "name": name, "description": description, "domain_id": domain_id, "enabled": true,
        }});
        let v = self.call("POST", "/projects", Some(&body), &[201])?;
        Self::named(&v, "project", "POST", &format!("{}/projects", self.base))
    }

    /// `GET /projects`: every project's id and name.
    pub fn list_projects(&self) -> Result<Vec<Named>, ClientError> {
        let v = self.call("GET", "/projects", None, &[200])?;
        Ok(v.get("projects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some(Named {
                    id: p.get("id")?.as_str()?.to_owned(),
                    name: p.get("name")?.as_str()?.to_owned(),
                })
            })
            .collect())
    }

    /// `GET /projects/{id}`.
    pub fn show_project(&self, id: &str) -> Result<Value, ClientError> {
        self.call(
            "GET",
            &format!("/projects/{}", encode_component(id)),
            None,
            &[200],
        )
    }

    /// `DELETE /projects/{id}`.
    pub fn delete_project(&self, id: &str) -> Result<(), ClientError> {
        self.call(
            "DELETE",
            &format!("/projects/{}", encode_component(id)),
            None,
            &[204],
        )
        .map(drop)
    }

    /// `POST /users`, with `project_id` as the default project.
    pub fn create_user(
        &self,
        name: &str,
        password: &str,
        project_id: &str,
        domain_id: &str,
    ) -> Result<Named, ClientError> {
        let body = json!({"user": {
            "name": name, "password": password, "default_project_id": project_id,
            "domain_id": domain_id, "enabled": true,
        }});
        let url = format!("{}/users", self.base);
        let resp = {
            let token = self.auth.token()?;
            self.auth.http().send(
                &Request {
                    method: "POST",
                    url: &url,
                    headers: &[("X-Auth-Token", &token.id)],
                    body: Some(&body),
                },
                &[201],
                Some(password),
            )?
        };
        let v = check("POST", &url, resp, &[201])?;
        Self::named(&v, "user", "POST", &url)
    }

    /// `DELETE /users/{id}`.
    pub fn delete_user(&self, id: &str) -> Result<(), ClientError> {
        self.call(
            "DELETE",
            &format!("/users/{}", encode_component(id)),
            None,
            &[204],
        )
        .map(drop)
    }

    /// `GET /roles?name=NAME`: the role's id, or [`ClientError::NoSuchRole`].
    pub fn find_role(&self, name: &str) -> Result<String, ClientError> {
        let v = self.call(
            "GET",
            &format!("/roles?name={}", encode_component(name)),
            None,
            &[200],
        )?;
        v.get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|r| r.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .ok_or_else(|| ClientError::NoSuchRole {
                role: name.to_owned(),
            })
    }

    /// `PUT /projects/{p}/users/{u}/roles/{r}`.
    pub fn assign_role(
        &self,
        project_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<(), ClientError> {
        self.call(
            "PUT",
            &format!(
                "/projects/{}/users/{}/roles/{}",
                encode_component(project_id),
                encode_component(user_id),
                encode_component(role_id)
            ),
            None,
            &[204],
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: Value) -> Response {
        Response {
            status: 201,
            headers: vec![("x-subject-token".to_owned(), "tok".to_owned())],
            body: body.to_string(),
        }
    }

    fn token_body() -> Value {
        json!({"token": {
            "expires_at": "2999-01-01T00:00:00.000000Z",
            "user": {"id": "u1", "name": "demo"},
            "project": {"id": "p1", "name": "demo"},
            "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "admin"}],
            "catalog": [
                {"type": "identity", "name": "keystone", "endpoints": [
                    {"interface": "public", "region_id": "RegionOne", "url": "http://h/identity"}]},
                {"type": "placement", "name": "valet", "endpoints": [
                    {"interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": "http://h/placement/v1/"},
                    {"interface": "admin", "region_id": "RegionTwo", "url": "http://h2/placement/v1"}]},
            ],
        }})
    }

    #[test]
    fn a_token_response_is_read_with_its_catalog() {
        let t = parse_token(&resp(token_body()), "http://h/identity/v3/auth/tokens").unwrap();
        assert_eq!(t.id, "tok");
        assert_eq!(t.project_id, "p1");
        assert!(t.has_role("admin") && !t.has_role("Admin"));
        assert!(t.fresh());
        assert_eq!(
            t.endpoint("placement", "publicURL", Some("RegionOne"))
                .unwrap(),
            "http://h/placement/v1"
        );
        assert_eq!(
            t.endpoint("placement", "admin", None).unwrap(),
            "http://h2/placement/v1"
        );
        let e = t
            .endpoint("placement", "adminURL", Some("RegionOne"))
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("placement") && text.contains("admin") && text.contains("RegionOne"),
            "{text}"
        );
        assert!(text.contains("http://h2/placement/v1"), "{text}");
    }

    #[test]
    fn a_token_response_without_what_is_needed_is_refused() {
        let mut r = resp(token_body());
        r.headers.clear();
        assert!(matches!(
            parse_token(&r, "u"),
            Err(ClientError::BadResponse { .. })
        ));
        let mut b = token_body();
        b["token"]["expires_at"] = json!("tomorrow");
        assert!(parse_token(&resp(b), "u").is_err());
        let mut b = token_body();
        b["token"].as_object_mut().unwrap().remove("project");
        let e = parse_token(&resp(b), "u").unwrap_err().to_string();
        assert!(e.contains("not scoped to a project"), "{e}");
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let c = PasswordCredentials {
            username: "u".into(),
            password: "sekrit".into(),
            user_domain_name: "Default".into(),
            project_name: "p".into(),
            project_domain_name: "Default".into(),
        };
        assert!(!format!("{c:?}").contains("sekrit"));
    }
}
