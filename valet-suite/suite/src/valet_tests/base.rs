//! `BaseValetTest`: what every Valet class does in its stages, and the log of HTTP exchanges.

use std::sync::{Arc, Mutex};

use tempest_framework::failure::Failure;
use tempest_framework::{
    ClassCx, ClientsSetUp, CredentialProvider, CredentialsCleared, CredentialsSetUp, SkipChecked,
    SkipCx, TestCx,
};

use crate::client::{
    AuthProvider, ClientSettings, Exchange, Http, IdentityClient, PasswordCredentials, Recorder,
    ValetClient,
};
use crate::credentials::{Environment, ValetCredentials, auth_url, require_admin_role};
use crate::options::service_available;

#[derive(Default)]
struct State {
    settings: Option<ClientSettings>,
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
    if !cx.config().get(service_available::VALET)? {
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

    /// Where the base `setup_credentials` gets the class's credentials: the run's provider
    /// ([`Environment`]), its calls recorded with the class's other exchanges.
    pub(crate) fn credential_provider(&self) -> Arc<dyn CredentialProvider> {
        Arc::new(ValetCredentials::new(
            Arc::clone(&self.env),
            self.recorder.clone(),
        ))
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

    /// `setup_credentials`: the base stage, which takes `primary` credentials from the
    /// provider ([`Base::credential_provider`]).
    pub(crate) fn setup_credentials(
        &self,
        cx: &mut ClassCx<'_>,
    ) -> Result<CredentialsSetUp, Failure> {
        cx.base_setup_credentials()
            .map_err(|e| in_stage(e, "setup_credentials"))
    }

    /// `setup_clients`: the base stage, then the Valet client. Authenticates now, so wrong
    /// credentials, a missing `admin` role or a catalog without Valet fail here.
    pub(crate) fn setup_clients(&self, cx: &mut ClassCx<'_>) -> Result<ClientsSetUp, Failure> {
        let t = cx.base_setup_clients()?;
        self.valet_client(cx)
            .map_err(|e| in_stage(e, "setup_clients"))?;
        Ok(t)
    }

    fn valet_client(&self, cx: &ClassCx<'_>) -> Result<(), Failure> {
        let Some(creds) = cx.credentials("primary") else {
            return Err(Failure::runtime("setup_clients ran without credentials"));
        };
        let settings = ClientSettings::from_config(cx.config())?;
        let hint = self.env.provider(cx.config())?.admin_role_hint();
        let auth = Arc::new(AuthProvider::new(
            Http::from_settings(&settings, self.recorder.clone())?,
            &auth_url(&settings)?,
            PasswordCredentials::from(creds),
        ));
        let token = auth.token()?;
        require_admin_role(&token, hint)?;
        let client = ValetClient::new(
            auth,
            &settings.catalog_type,
            &settings.endpoint_type,
            Some(&settings.region),
        );
        client.base_url()?;
        let mut s = self.state();
        s.settings = Some(settings);
        s.client = Some(client);
        Ok(())
    }

    /// `clear_credentials`: the base stage, which releases the credentials (every step
    /// tried).
    pub(crate) fn clear_credentials(
        &self,
        cx: &mut ClassCx<'_>,
    ) -> Result<CredentialsCleared, Failure> {
        self.state().client = None;
        cx.base_clear_credentials()
            .map_err(|e| in_stage(e, "clear_credentials"))
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
        let class_test = method_of(t.id());
        for e in self.recorder.take() {
            t.log(&log_line(&class_test, &e, failed));
        }
        result
    }
}

/// The method a test id names: `module.Class.method[attrs]` → `method`.
pub(crate) fn method_of(id: &str) -> String {
    id.rsplit('.')
        .next()
        .map(|m| m.split('[').next().unwrap_or(m).to_owned())
        .unwrap_or_default()
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
