//! `BaseValetTest`: what every Valet class does in its stages, and the log of HTTP exchanges.

use std::sync::{Arc, Mutex, OnceLock};

use crate::client::{
    AuthProvider, ClientSettings, Exchange, Http, IdentityClient, Recorder, ValetClient,
};
use crate::credentials::{Allocated, CredentialsError, Provider, require_admin_role};
use crate::failure::Failure;
use crate::lifecycle::{
    ClassCx, ClientsSetUp, CredentialsCleared, CredentialsSetUp, SkipChecked, SkipCx, TestCx,
};

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
    pub fn from_config(config: &crate::Config) -> Result<Environment, CredentialsError> {
        let env = Environment::new();
        let provider = Provider::from_config(config).map(Arc::new)?;
        let _ = env.provider.set(Ok(provider));
        Ok(env)
    }

    fn provider(&self, config: &crate::Config) -> Result<Arc<Provider>, CredentialsError> {
        self.provider
            .get_or_init(|| Provider::from_config(config).map(Arc::new))
            .clone()
    }
}

#[derive(Default)]
struct State {
    settings: Option<ClientSettings>,
    provider: Option<Arc<Provider>>,
    allocated: Option<Allocated>,
    client: Option<ValetClient>,
}

/// The state a Valet class keeps between its stages and its tests.
pub(crate) struct Base {
    env: Arc<Environment>,
    recorder: Recorder,
    state: Mutex<State>,
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Base").finish_non_exhaustive()
    }
}

/// The Valet plugin's skip: `"<Class> skipped as valet is not available"`.
pub(crate) fn skip_unless_valet(cx: &mut SkipCx<'_, '_>, class: &str) -> Result<(), Failure> {
    if !cx.config().service_available("valet")? {
        return Err(Failure::skip(format!(
            "{class} skipped as valet is not available"
        )));
    }
    Ok(())
}

impl Base {
    pub(crate) fn new(env: Arc<Environment>) -> Base {
        Base {
            env,
            recorder: Recorder::new(),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `BaseValetTest.skip_checks`.
    pub(crate) fn skip_checks(
        &self,
        cx: &mut SkipCx<'_, '_>,
        class: &str,
    ) -> Result<SkipChecked, Failure> {
        let t = cx.base_skip_checks()?;
        skip_unless_valet(cx, class)?;
        Ok(t)
    }

    fn http(&self, settings: &ClientSettings) -> Result<Http, Failure> {
        Ok(Http::new(settings.http_timeout, self.recorder.clone())?)
    }

    fn auth_url(settings: &ClientSettings) -> Result<String, Failure> {
        settings.identity_uri.clone().ok_or_else(|| {
            Failure::new(
                "tempest.exceptions.InvalidConfiguration",
                "no identity endpoint: [identity] uri_v3 is not set",
            )
        })
    }

    /// `setup_credentials`: the base stage, then `primary` credentials from the provider.
    pub(crate) fn setup_credentials(
        &self,
        cx: &mut ClassCx<'_>,
    ) -> Result<CredentialsSetUp, Failure> {
        let t = cx.base_setup_credentials()?;
        self.primary_credentials(cx)
            .map_err(|e| in_stage(e, "setup_credentials"))?;
        Ok(t)
    }

    fn primary_credentials(&self, cx: &mut ClassCx<'_>) -> Result<(), Failure> {
        let settings = ClientSettings::from_config(cx.config())?;
        let auth_url = Self::auth_url(&settings)?;
        let provider = self.env.provider(cx.config())?;
        {
            let mut s = self.state();
            s.settings = Some(settings.clone());
            s.provider = Some(Arc::clone(&provider));
        }
        let http = self.http(&settings)?;
        let allocated = provider.get(cx.class_name(), &[], &settings, &http, &auth_url)?;
        cx.log(&format!(
            "INFO valet_suite.credentials [-] {} credentials for {}: user {:?}, project {:?}",
            if allocated.is_dynamic() {
                "made"
            } else {
                "took pre-provisioned"
            },
            cx.class_name(),
            allocated.credentials.username,
            allocated.credentials.project_name
        ));
        self.state().allocated = Some(allocated);
        Ok(())
    }

    /// `setup_clients`: the base stage, then the Valet client. Authenticates now, so wrong
    /// credentials, a missing `admin` role or a catalog without Valet fail here.
    pub(crate) fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        let t = cx.base_setup_clients()?;
        self.valet_client()
            .map_err(|e| in_stage(e, "setup_clients"))?;
        Ok(t)
    }

    fn valet_client(&self) -> Result<(), Failure> {
        let (settings, provider, creds) = {
            let s = self.state();
            match (&s.settings, &s.provider, &s.allocated) {
                (Some(a), Some(p), Some(c)) => (a.clone(), Arc::clone(p), c.credentials.clone()),
                _ => return Err(Failure::runtime("setup_clients ran without credentials")),
            }
        };
        let auth = Arc::new(AuthProvider::new(
            self.http(&settings)?,
            &Self::auth_url(&settings)?,
            creds,
        ));
        let token = auth.token()?;
        require_admin_role(&token, provider.admin_role_hint())?;
        let client = ValetClient::new(
            auth,
            &settings.catalog_type,
            &settings.endpoint_type,
            Some(&settings.region),
        );
        client.base_url()?;
        self.state().client = Some(client);
        Ok(())
    }

    /// `clear_credentials`: releases the credentials (every step tried), then the base stage.
    pub(crate) fn clear_credentials(
        &self,
        cx: &mut ClassCx<'_>,
    ) -> Result<CredentialsCleared, Failure> {
        let allocated = {
            let mut s = self.state();
            s.client = None;
            s.allocated.take()
        };
        let released = allocated.map(Allocated::release).transpose();
        let t = cx.base_clear_credentials()?;
        released.map_err(|e| in_stage(e.into(), "clear_credentials"))?;
        Ok(t)
    }

    /// The Valet client made in `setup_clients`.
    pub(crate) fn client(&self) -> Result<ValetClient, Failure> {
        self.state()
            .client
            .clone()
            .ok_or_else(|| Failure::runtime("the Valet client was not set up"))
    }

    /// An identity client with the primary credentials (Tempest's `os.identity_client`), for
    /// the member tests' tenants.
    pub(crate) fn identity(&self) -> Result<Identity, Failure> {
        let s = self.state();
        match (&s.client, &s.settings) {
            (Some(c), Some(settings)) => Ok(Identity {
                auth: Arc::clone(c.auth()),
                settings: settings.clone(),
            }),
            _ => Err(Failure::runtime("the identity client was not set up")),
        }
    }

    /// Forgets exchanges made before the test (by the class stages or an abandoned test).
    pub(crate) fn start_test(&self) {
        self.recorder.take();
    }

    /// Runs `body`, then writes its HTTP exchanges to the test's log as Tempest's rest client
    /// logs them: one line each (status, method, URL, time); the bodies too for every exchange
    /// when the test failed, else for the exchanges that did not get the status they expected.
    pub(crate) fn logged<'c>(
        &self,
        t: &mut TestCx<'c>,
        body: impl FnOnce(&mut TestCx<'c>) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let result = body(t);
        let failed = matches!(result, Err(ref e) if !e.is_skip());
        let class_test = t
            .id()
            .rsplit('.')
            .next()
            .map(|m| m.split('[').next().unwrap_or(m).to_owned())
            .unwrap_or_default();
        for e in self.recorder.take() {
            t.log(&log_line(&class_test, &e, failed));
        }
        result
    }
}

/// `e` with the stage it was raised in named first (`in setup_clients: ...`).
fn in_stage(e: Failure, stage: &str) -> Failure {
    match e {
        Failure::Error {
            kind,
            message,
            status_code,
        } => Failure::Error {
            kind,
            message: format!("in {stage}: {message}"),
            status_code,
        },
        other => other,
    }
}

fn log_line(test: &str, e: &Exchange, bodies: bool) -> String {
    let level = if e.as_expected { "INFO" } else { "WARNING" };
    let mut line = format!(
        "{level} tempest.lib.common.rest_client [-] Request ({test}): {}",
        e.line().trim_start_matches("Request: ")
    );
    if bodies || !e.as_expected {
        line.push('\n');
        line.push_str(&e.bodies());
    }
    line
}

/// The primary credentials' identity client, owned, for cleanups.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    auth: Arc<AuthProvider>,
    settings: ClientSettings,
}

impl Identity {
    pub(crate) fn client(&self) -> Result<IdentityClient<'_>, Failure> {
        Ok(IdentityClient::new(
            &self.auth,
            &self.settings.identity_catalog_type,
            &self.settings.identity_interface,
            Some(&self.settings.region),
        )?)
    }

    pub(crate) fn domain_id(&self) -> &str {
        &self.settings.default_domain_id
    }
}
