//! Credentials for test classes, as Tempest's credential providers give them.
//!
//! - **Dynamic** (`[auth] use_dynamic_credentials = true`, the default): for each class, a
//!   project and a user are made through Keystone's admin API with the `[auth] admin_*`
//!   credentials, and given `[auth] tempest_roles` plus the roles the class asks for; both are
//!   deleted in `clear_credentials`. A failure half way deletes what was made.
//! - **Pre-provisioned** (`use_dynamic_credentials = false` and `[auth] test_accounts_file`):
//!   the accounts of an `accounts.yaml` (Tempest's format: a list of `username`,
//!   `project_name`/`tenant_name`, `password`, optional `domain_name`, `roles`, `types`), each
//!   held by one class at a time; a class that finds every account taken fails, as Tempest's
//!   provider does ("a parallel run needs enough distinct accounts for every worker").
//!
//! Valet accepts only tokens that hold the role named exactly `admin` (its API answers a bare
//! 401 otherwise). [`require_admin_role`] says so, naming the user, the project, the roles the
//! token holds, and the setting that would fix it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;
use tempest_framework::config::builtin::auth;
use tempest_framework::config::{Config, ConfigError};
use tempest_framework::data_utils::{rand_name, rand_password};
use tempest_framework::{
    CredentialProvider, CredentialRequest, Credentials, Failure, HeldCredentials,
};

use crate::client::keystone::Named;
use crate::client::{
    AuthProvider, ClientError, ClientSettings, Http, IdentityClient, PasswordCredentials, Recorder,
    Token,
};

/// Why credentials could not be had or released.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The accounts file could not be read or is not Tempest's format.
    #[error("[auth] test_accounts_file = {}: {error}", .path.display())]
    AccountsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: String,
    },
    /// Neither dynamic credentials nor an accounts file.
    #[error(
        "no credentials: set [auth] use_dynamic_credentials = true (with the admin_* \
         credentials) or [auth] test_accounts_file"
    )]
    NoProvider,
    /// Dynamic credentials without the admin credentials they need.
    #[error(
        "dynamic credentials need the administrative credentials to make projects and users: \
         [auth] {} not set",
        .missing.join(", ")
    )]
    AdminNotConfigured {
        /// The options that are not set.
        missing: Vec<&'static str>,
    },
    /// Every pre-provisioned account is held by another class.
    #[error(
        "all {count} accounts of the accounts file are in use (by {}); a parallel run needs \
         an account for every worker",
        .holders.join(", ")
    )]
    AllAccountsInUse {
        /// How many accounts there are.
        count: usize,
        /// The classes holding them.
        holders: Vec<String>,
    },
    /// The token lacks the `admin` role Valet requires.
    #[error(
        "Valet requires the role named exactly \"admin\" on the token, and the token of user \
         {user:?} on project {project:?} holds [{}]: {hint}",
        .roles.join(", ")
    )]
    MissingAdminRole {
        /// The user.
        user: String,
        /// The project.
        project: String,
        /// The roles the token holds.
        roles: Vec<String>,
        /// What to change.
        hint: &'static str,
    },
    /// A call to Keystone failed, while doing `doing`.
    #[error("{doing}: {error}")]
    Identity {
        /// What was being done.
        doing: String,
        /// The failed call.
        error: Box<ClientError>,
    },
    /// Releasing credentials failed (every step was tried).
    #[error("releasing credentials: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Release(Vec<CredentialsError>),
    /// A configuration value is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl CredentialsError {
    fn identity(doing: impl Into<String>) -> impl FnOnce(ClientError) -> CredentialsError {
        move |error| CredentialsError::Identity {
            doing: doing.into(),
            error: Box::new(error),
        }
    }

    /// The HTTP status of the failed call, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            CredentialsError::Identity { error, .. } => error.status(),
            _ => None,
        }
    }
}

impl From<CredentialsError> for Failure {
    fn from(e: CredentialsError) -> Failure {
        let kind = match &e {
            CredentialsError::Identity { error, .. } => error.kind(),
            CredentialsError::MissingAdminRole { .. } => "valet_suite.credentials.MissingAdminRole",
            CredentialsError::AllAccountsInUse { .. } => {
                "tempest.lib.exceptions.InvalidCredentials"
            }
            _ => "tempest.exceptions.InvalidConfiguration",
        };
        Failure::Error {
            kind: kind.into(),
            status_code: e.status(),
            message: e.to_string(),
        }
    }
}

/// One account of `accounts.yaml`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The user name.
    pub username: String,
    /// The project (`project_name`, or the older `tenant_name`).
    #[serde(alias = "tenant_name")]
    pub project_name: String,
    /// The password.
    pub password: String,
    /// The domain of user and project (else `[auth] default_credentials_domain_name`).
    #[serde(default)]
    pub domain_name: Option<String>,
    /// The roles the account holds.
    #[serde(default)]
    pub roles: Vec<String>,
    /// `admin`, `operator`, `reseller_admin`.
    #[serde(default)]
    pub types: Vec<String>,
    /// A system scope (read and ignored: Valet's tests use project scope).
    #[serde(default)]
    pub system: Option<String>,
    /// Resources of the account (read and ignored).
    #[serde(default)]
    pub resources: Option<serde_yaml::Value>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("project_name", &self.project_name)
            .field("domain_name", &self.domain_name)
            .field("roles", &self.roles)
            .field("types", &self.types)
            .finish_non_exhaustive()
    }
}

/// Reads Tempest's `accounts.yaml` (`path` is for messages).
pub fn parse_accounts(text: &str, path: &Path) -> Result<Vec<Account>, CredentialsError> {
    let bad = |error: String| CredentialsError::AccountsFile {
        path: path.to_owned(),
        error,
    };
    let accounts: Option<Vec<Account>> =
        serde_yaml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let accounts = accounts.unwrap_or_default();
    if accounts.is_empty() {
        return Err(bad("the file lists no account".to_owned()));
    }
    Ok(accounts)
}

/// Pre-provisioned accounts, each held by one class at a time.
#[derive(Debug)]
pub struct AccountPool {
    accounts: Vec<Account>,
    holders: Mutex<Vec<Option<String>>>,
}

impl AccountPool {
    /// A pool of `accounts`.
    pub fn new(accounts: Vec<Account>) -> AccountPool {
        let holders = Mutex::new(vec![None; accounts.len()]);
        AccountPool { accounts, holders }
    }

    /// The accounts file read at start.
    pub fn load(path: &Path) -> Result<AccountPool, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|e| CredentialsError::AccountsFile {
            path: path.to_owned(),
            error: e.to_string(),
        })?;
        Ok(AccountPool::new(parse_accounts(&text, path)?))
    }

    /// Takes a free account holding every role in `roles` for `class`.
    pub fn acquire(&self, class: &str, roles: &[String]) -> Result<usize, CredentialsError> {
        let mut holders = self.holders.lock().unwrap_or_else(|p| p.into_inner());
        let fits = |a: &Account| roles.iter().all(|r| a.roles.contains(r));
        let free =
            (0..self.accounts.len()).find(|&i| holders[i].is_none() && fits(&self.accounts[i]));
        match free {
            Some(i) => {
                holders[i] = Some(class.to_owned());
                Ok(i)
            }
            None => Err(CredentialsError::AllAccountsInUse {
                count: self.accounts.iter().filter(|a| fits(a)).count(),
                holders: holders.iter().flatten().cloned().collect(),
            }),
        }
    }

    /// Gives back account `index`.
    pub fn release(&self, index: usize) {
        if let Some(h) = self
            .holders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(index)
        {
            *h = None;
        }
    }

    /// The account at `index`.
    pub fn account(&self, index: usize) -> Option<&Account> {
        self.accounts.get(index)
    }
}

/// Where credentials come from, decided from the configuration at start.
#[derive(Debug)]
pub enum Provider {
    /// Made per class with these administrative credentials.
    Dynamic {
        /// The admin credentials.
        admin: PasswordCredentials,
        /// `[auth] tempest_roles`.
        tempest_roles: Vec<String>,
        /// `[auth] default_credentials_domain_name`.
        domain_name: String,
    },
    /// Taken from the accounts file.
    PreProvisioned {
        /// The accounts.
        pool: Arc<AccountPool>,
        /// `[auth] default_credentials_domain_name`.
        domain_name: String,
    },
}

impl Provider {
    /// The provider `config` asks for, reading the accounts file if there is one.
    pub fn from_config(config: &Config) -> Result<Provider, CredentialsError> {
        let domain_name = config.get(auth::DEFAULT_CREDENTIALS_DOMAIN_NAME)?;
        if config.get(auth::USE_DYNAMIC_CREDENTIALS)? {
            let (user, password, project) = (
                config.get(auth::ADMIN_USERNAME)?,
                config.get(auth::ADMIN_PASSWORD)?,
                config.get(auth::ADMIN_PROJECT_NAME)?,
            );
            let missing: Vec<&'static str> = [
                (auth::ADMIN_USERNAME.name(), user.is_none()),
                (auth::ADMIN_PASSWORD.name(), password.is_none()),
                (auth::ADMIN_PROJECT_NAME.name(), project.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            let (Some(username), Some(password), Some(project_name)) = (user, password, project)
            else {
                return Err(CredentialsError::AdminNotConfigured { missing });
            };
            let admin_domain = config.get(auth::ADMIN_DOMAIN_NAME)?;
            return Ok(Provider::Dynamic {
                admin: PasswordCredentials {
                    username,
                    password,
                    user_domain_name: config
                        .get(auth::ADMIN_USER_DOMAIN_NAME)?
                        .unwrap_or_else(|| admin_domain.clone()),
                    project_name,
                    project_domain_name: config
                        .get(auth::ADMIN_PROJECT_DOMAIN_NAME)?
                        .unwrap_or(admin_domain),
                },
                tempest_roles: config.get(auth::TEMPEST_ROLES)?,
                domain_name,
            });
        }
        match config.get(auth::TEST_ACCOUNTS_FILE)? {
            Some(path) => Ok(Provider::PreProvisioned {
                pool: Arc::new(AccountPool::load(Path::new(&path))?),
                domain_name,
            }),
            None => Err(CredentialsError::NoProvider),
        }
    }

    /// Credentials for `class` holding `roles` (besides `[auth] tempest_roles`).
    pub fn get(
        &self,
        class: &str,
        roles: &[String],
        settings: &ClientSettings,
        http: &Http,
        auth_url: &str,
    ) -> Result<Allocated, CredentialsError> {
        match self {
            Provider::Dynamic {
                admin,
                tempest_roles,
                domain_name,
            } => {
                let admin_auth = AuthProvider::new(http.clone(), auth_url, admin.clone());
                let identity = IdentityClient::new(
                    &admin_auth,
                    &settings.identity_catalog_type,
                    &settings.identity_interface,
                    Some(&settings.region),
                )
                .map_err(CredentialsError::identity(format!(
                    "authenticating the administrative user {:?} to make credentials",
                    admin.username
                )))?;
                let mut wanted: Vec<String> = tempest_roles.clone();
                for r in roles {
                    if !wanted.contains(r) {
                        wanted.push(r.clone());
                    }
                }
                make_dynamic(&identity, class, &wanted, settings, domain_name).map(|made| {
                    Allocated {
                        credentials: made.credentials,
                        source: Source::Dynamic {
                            admin: Arc::new(admin_auth),
                            settings: Box::new(settings.clone()),
                            project: made.project,
                            user: made.user,
                        },
                    }
                })
            }
            Provider::PreProvisioned { pool, domain_name } => {
                let index = pool.acquire(class, roles)?;
                let a = pool.account(index).ok_or(CredentialsError::NoProvider)?;
                let domain = a.domain_name.clone().unwrap_or_else(|| domain_name.clone());
                Ok(Allocated {
                    credentials: PasswordCredentials {
                        username: a.username.clone(),
                        password: a.password.clone(),
                        user_domain_name: domain.clone(),
                        project_name: a.project_name.clone(),
                        project_domain_name: domain,
                    },
                    source: Source::Account {
                        pool: Arc::clone(pool),
                        index,
                    },
                })
            }
        }
    }

    /// What to tell a user whose token lacks the `admin` role.
    pub fn admin_role_hint(&self) -> &'static str {
        match self {
            Provider::Dynamic { .. } => {
                "set [auth] tempest_roles = admin so that the users made for the tests get it"
            }
            Provider::PreProvisioned { .. } => {
                "give the accounts of [auth] test_accounts_file the admin role on their project \
                 (and list it in their roles)"
            }
        }
    }
}

struct Made {
    credentials: PasswordCredentials,
    project: Named,
    user: Named,
}

fn make_dynamic(
    identity: &IdentityClient<'_>,
    class: &str,
    roles: &[String],
    settings: &ClientSettings,
    domain_name: &str,
) -> Result<Made, CredentialsError> {
    let name = rand_name(&format!("tempest-{class}"));
    let password = rand_password();
    let project = identity
        .create_project(&name, &format!("{name}-desc"), &settings.default_domain_id)
        .map_err(CredentialsError::identity(format!(
            "creating the project {name:?}"
        )))?;
    let rest = || -> Result<Named, CredentialsError> {
        let user = identity
            .create_user(&name, &password, &project.id, &settings.default_domain_id)
            .map_err(CredentialsError::identity(format!(
                "creating the user {name:?}"
            )))?;
        let assign = || -> Result<(), CredentialsError> {
            let roles: Vec<&str> = if roles.is_empty() {
                vec!["member"]
            } else {
                roles.iter().map(String::as_str).collect()
            };
            for role in roles {
                let id = match identity.find_role(role) {
                    Ok(id) => id,
                    // A cloud without Keystone's default `member` role: no role at all.
                    Err(ClientError::NoSuchRole { .. }) if role == "member" => continue,
                    Err(e) => {
                        return Err(CredentialsError::identity(format!(
                            "finding the role {role:?}"
                        ))(e));
                    }
                };
                identity.assign_role(&project.id, &user.id, &id).map_err(
                    CredentialsError::identity(format!(
                        "giving the role {role:?} to the user {name:?}"
                    )),
                )?;
            }
            Ok(())
        };
        if let Err(e) = assign() {
            let _ = identity.delete_user(&user.id);
            return Err(e);
        }
        Ok(user)
    };
    match rest() {
        Ok(user) => Ok(Made {
            credentials: PasswordCredentials {
                username: name.clone(),
                password,
                user_domain_name: domain_name.to_owned(),
                project_name: name,
                project_domain_name: domain_name.to_owned(),
            },
            project,
            user,
        }),
        Err(e) => {
            let _ = identity.delete_project(&project.id);
            Err(e)
        }
    }
}

/// What every Valet class shares in a run: the credential provider, decided from the
/// configuration once.
#[derive(Debug, Default)]
pub struct Environment {
    provider: OnceLock<Result<Arc<Provider>, CredentialsError>>,
}

impl Environment {
    /// An environment whose provider is made from the configuration the first class sees.
    pub fn new() -> Environment {
        Environment::default()
    }

    /// An environment whose provider is made from `config` now (the accounts file, if any, is
    /// read here, at start).
    pub fn from_config(config: &Config) -> Result<Environment, CredentialsError> {
        let env = Environment::new();
        let provider = Provider::from_config(config).map(Arc::new)?;
        let _ = env.provider.set(Ok(provider));
        Ok(env)
    }

    /// The run's provider, made from `config` the first time.
    pub fn provider(&self, config: &Config) -> Result<Arc<Provider>, CredentialsError> {
        self.provider
            .get_or_init(|| Provider::from_config(config).map(Arc::new))
            .clone()
    }
}

/// `[identity] uri_v3`, which the Valet classes need to reach Keystone.
pub(crate) fn auth_url(settings: &ClientSettings) -> Result<String, Failure> {
    settings.identity_uri.clone().ok_or_else(|| {
        Failure::new(
            "tempest.exceptions.InvalidConfiguration",
            "no identity endpoint: [identity] uri_v3 is not set",
        )
    })
}

/// The framework's view of the Valet classes' credentials: the run's [`Provider`]
/// ([`Environment`]), reached with a class's own HTTP recorder.
#[derive(Debug)]
pub struct ValetCredentials {
    env: Arc<Environment>,
    recorder: Recorder,
}

impl ValetCredentials {
    /// Credentials from `env`'s provider, its calls recorded in `recorder`.
    pub fn new(env: Arc<Environment>, recorder: Recorder) -> ValetCredentials {
        ValetCredentials { env, recorder }
    }
}

impl CredentialProvider for ValetCredentials {
    fn get(&self, r: &CredentialRequest<'_>) -> Result<Box<dyn HeldCredentials>, Failure> {
        let settings = ClientSettings::from_config(r.config)?;
        let auth_url = auth_url(&settings)?;
        let provider = self.env.provider(r.config)?;
        let http = Http::from_settings(&settings, self.recorder.clone())?;
        let allocated = provider.get(r.class_name, r.roles, &settings, &http, &auth_url)?;
        (r.log)(&format!(
            "INFO valet_suite.credentials [-] {} credentials for {}: user {:?}, project {:?}",
            if allocated.is_dynamic() {
                "made"
            } else {
                "took pre-provisioned"
            },
            r.class_name,
            allocated.credentials.username,
            allocated.credentials.project_name
        ));
        let c = &allocated.credentials;
        let credentials = Credentials {
            label: r.kind.label().to_owned(),
            username: c.username.clone(),
            password: c.password.clone(),
            user_domain_name: c.user_domain_name.clone(),
            project_name: c.project_name.clone(),
            project_domain_name: c.project_domain_name.clone(),
            roles: r.roles.to_vec(),
        };
        Ok(Box::new(Held {
            credentials,
            allocated,
        }))
    }
}

/// Credentials a Valet class holds, as the framework sees them.
#[derive(Debug)]
struct Held {
    credentials: Credentials,
    allocated: Allocated,
}

impl HeldCredentials for Held {
    fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn release(self: Box<Self>) -> Result<(), Failure> {
        Ok(self.allocated.release()?)
    }
}

impl From<&Credentials> for PasswordCredentials {
    fn from(c: &Credentials) -> PasswordCredentials {
        PasswordCredentials {
            username: c.username.clone(),
            password: c.password.clone(),
            user_domain_name: c.user_domain_name.clone(),
            project_name: c.project_name.clone(),
            project_domain_name: c.project_domain_name.clone(),
        }
    }
}

/// Credentials a class holds until `clear_credentials`.
#[derive(Debug)]
pub struct Allocated {
    /// The credentials.
    pub credentials: PasswordCredentials,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Dynamic {
        admin: Arc<AuthProvider>,
        settings: Box<ClientSettings>,
        project: Named,
        user: Named,
    },
    Account {
        pool: Arc<AccountPool>,
        index: usize,
    },
}

impl Allocated {
    /// Whether these were made for the class (and are deleted on release).
    pub fn is_dynamic(&self) -> bool {
        matches!(self.source, Source::Dynamic { .. })
    }

    /// The project id, for dynamic credentials.
    pub fn project_id(&self) -> Option<&str> {
        match &self.source {
            Source::Dynamic { project, .. } => Some(&project.id),
            Source::Account { .. } => None,
        }
    }

    /// Releases the credentials: deletes the user and the project made for the class (both
    /// tried), or gives the account back.
    pub fn release(self) -> Result<(), CredentialsError> {
        match self.source {
            Source::Dynamic {
                admin,
                settings,
                project,
                user,
            } => {
                let identity = IdentityClient::new(
                    &admin,
                    &settings.identity_catalog_type,
                    &settings.identity_interface,
                    Some(&settings.region),
                )
                .map_err(CredentialsError::identity(
                    "authenticating the administrative user to delete credentials",
                ))?;
                let errors: Vec<CredentialsError> = [
                    identity
                        .delete_user(&user.id)
                        .map_err(CredentialsError::identity(format!(
                            "deleting the user {:?}",
                            user.name
                        ))),
                    identity
                        .delete_project(&project.id)
                        .map_err(CredentialsError::identity(format!(
                            "deleting the project {:?}",
                            project.name
                        ))),
                ]
                .into_iter()
                .filter_map(Result::err)
                .collect();
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(CredentialsError::Release(errors))
                }
            }
            Source::Account { pool, index } => {
                pool.release(index);
                Ok(())
            }
        }
    }
}

/// `Ok` when `token` holds the role named exactly `admin`, which Valet requires; else
/// [`CredentialsError::MissingAdminRole`] with `hint`.
pub fn require_admin_role(token: &Token, hint: &'static str) -> Result<(), CredentialsError> {
    if token.has_role("admin") {
        return Ok(());
    }
    Err(CredentialsError::MissingAdminRole {
        user: token.user_name.clone(),
        project: token.project_name.clone(),
        roles: token.roles.clone(),
        hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# Tempest's etc/accounts.yaml.sample shape
- username: 'user_1'
  project_name: 'test_project_1'
  password: 'test_password'
  roles:
    - admin
- username: user_2
  tenant_name: test_tenant_2
  password: p2
  domain_name: Other
  types: [admin]
";

    #[test]
    fn accounts_yaml_is_read_in_tempests_format() {
        let a = parse_accounts(SAMPLE, Path::new("accounts.yaml")).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].username, "user_1");
        assert_eq!(a[0].roles, ["admin"]);
        assert_eq!(a[1].project_name, "test_tenant_2");
        assert_eq!(a[1].domain_name.as_deref(), Some("Other"));
        assert_eq!(a[1].types, ["admin"]);
        assert!(!format!("{:?}", a[0]).contains("test_password"));
    }

    #[test]
    fn bad_accounts_files_are_refused_with_the_file_named() {
        for bad in [
            "",
            "- username: u\n",
            "- {username: u, project_name: p, password: x, colour: red}\n",
            "not: a list\n",
        ] {
            let e = parse_accounts(bad, Path::new("/x/accounts.yaml")).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("[auth] test_accounts_file = /x/accounts.yaml: "),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn an_account_is_held_by_one_class_at_a_time() {
        let pool = AccountPool::new(parse_accounts(SAMPLE, Path::new("a")).unwrap());
        let admin = ["admin".to_owned()];
        let first = pool.acquire("m.A", &admin).unwrap();
        assert_eq!(first, 0);
        // Only one account has the admin role: the next class finds none free.
        let e = pool.acquire("m.B", &admin).unwrap_err();
        assert!(
            matches!(&e, CredentialsError::AllAccountsInUse { count: 1, holders } if holders == &["m.A"]),
            "{e:?}"
        );
        // Without roles asked, the other account is free.
        assert_eq!(pool.acquire("m.B", &[]).unwrap(), 1);
        pool.release(first);
        assert_eq!(pool.acquire("m.C", &admin).unwrap(), 0);
    }

    #[test]
    fn the_provider_follows_the_configuration() {
        let c = Config::new();
        let e = Provider::from_config(&c).unwrap_err();
        assert!(
            matches!(&e, CredentialsError::AdminNotConfigured { missing } if missing.len() == 3),
            "{e:?}"
        );
        let c = Config::new()
            .with("auth", "admin_username", "admin")
            .unwrap()
            .with("auth", "admin_password", "pw")
            .unwrap()
            .with("auth", "admin_project_name", "admin")
            .unwrap()
            .with("auth", "tempest_roles", "admin")
            .unwrap();
        match Provider::from_config(&c).unwrap() {
            Provider::Dynamic {
                admin,
                tempest_roles,
                domain_name,
            } => {
                assert_eq!(admin.user_domain_name, "Default");
                assert_eq!(tempest_roles, ["admin"]);
                assert_eq!(domain_name, "Default");
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.yaml");
        std::fs::write(&path, SAMPLE).unwrap();
        let c = Config::new()
            .with("auth", "use_dynamic_credentials", "false")
            .unwrap();
        assert!(matches!(
            Provider::from_config(&c),
            Err(CredentialsError::NoProvider)
        ));
        let c = c
            .with("auth", "test_accounts_file", path.to_str().unwrap())
            .unwrap();
        assert!(matches!(
            Provider::from_config(&c).unwrap(),
            Provider::PreProvisioned { .. }
        ));
    }

    #[test]
    fn a_token_without_admin_says_what_valet_wants() {
        let t = Token {
            id: "t".into(),
            expires_at: std::time::SystemTime::now(),
            user_id: "u".into(),
            user_name: "demo".into(),
            project_id: "p".into(),
            project_name: "demo".into(),
            roles: vec!["member".into(), "Admin".into()],
            catalog: Vec::new(),
        };
        let e = require_admin_role(&t, "set [auth] tempest_roles = admin").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("role named exactly \"admin\""), "{text}");
        assert!(text.contains("[member, Admin]"), "{text}");
        assert!(text.contains("tempest_roles = admin"), "{text}");
    }
}
