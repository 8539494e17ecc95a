//! What the suite tests: the cloud the configuration names, or else the embedded server.
//!
//! When no identity endpoint is configured (`[identity] uri_v3`), [`prepare`] starts the
//! embedded reference server ([`valet_cloud::start`]) on `127.0.0.1:0`, in this process on
//! its own thread and runtime, and returns the configuration pointed at it: its Keystone URL,
//! its bootstrapped admin account for dynamic credentials, `[auth] tempest_roles = admin`
//! (Valet wants the `admin` role on every token), and what the scenario tests need of it:
//! `[service_available] heat`, `[compute] image_ref`, `flavor_ref` and `fixed_network_name`
//! naming its image, flavor and network, and polls without real-cloud pauses
//! (`[orchestration] build_interval = 0`, `build_timeout = 60`, `[valet] PAUSE = 0`). The suite then talks to it over HTTP exactly
//! as to a real cloud.

use std::time::Duration;

use tempest_framework::config::builtin::{auth, identity};
use tempest_framework::config::{Config, ConfigError};
use valet_cloud::{ServerError, ServerHandle, ServerOptions};

use crate::options::{compute, heat_available, orchestration, valet};

/// Why the target could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The embedded server did not start.
    #[error("starting the embedded Valet server: {0}")]
    Server(#[from] ServerError),
    /// The configuration could not be pointed at it.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The configuration to run with, and the embedded server when one was started (it stops
/// when this is dropped).
#[derive(Debug)]
pub struct Prepared {
    /// The configuration in effect.
    pub config: Config,
    /// The embedded server, if the configuration named no identity endpoint.
    pub server: Option<ServerHandle>,
}

/// Whether `config` names an identity endpoint.
pub fn has_identity_endpoint(config: &Config) -> Result<bool, ConfigError> {
    Ok(config.get(identity::URI_V3)?.is_some())
}

/// `config` as it is when it names an identity endpoint; else the embedded server, started
/// with `options` (its `listen` is what it is given), and `config` pointed at it.
pub fn prepare(config: Config, options: ServerOptions) -> Result<Prepared, TargetError> {
    if has_identity_endpoint(&config)? {
        return Ok(Prepared {
            config,
            server: None,
        });
    }
    let admin = options.admin.clone();
    let server = valet_cloud::start(options)?;
    let config = point_at(config, &server.identity_url(), &admin)?;
    Ok(Prepared {
        config,
        server: Some(server),
    })
}

/// `config` pointed at the Keystone at `identity_url` with the admin account `admin`.
pub fn point_at(
    config: Config,
    identity_url: &str,
    admin: &valet_cloud::AdminAccount,
) -> Result<Config, ConfigError> {
    let mut roles = config.get(auth::TEMPEST_ROLES)?;
    if !roles.iter().any(|r| r == "admin") {
        roles.push("admin".to_owned());
    }
    config
        .set(identity::URI_V3, identity_url)?
        .set(auth::USE_DYNAMIC_CREDENTIALS, "true")?
        .set(auth::ADMIN_USERNAME, &admin.username)?
        .set(auth::ADMIN_PASSWORD, &admin.password)?
        .set(auth::ADMIN_PROJECT_NAME, &admin.project)?
        .set(auth::ADMIN_DOMAIN_NAME, &admin.domain)?
        .set(auth::TEMPEST_ROLES, &roles.join(","))?
        .set(heat_available::HEAT, "true")?
        .set(compute::IMAGE_REF, valet_cloud::IMAGE.1)?
        .set(compute::FLAVOR_REF, "1")?
        .set(compute::FIXED_NETWORK_NAME, valet_cloud::NETWORK.0)?
        // The embedded cloud answers at once: poll without real-cloud pauses, and give up
        // long before a real cloud's twenty minutes.
        .set(orchestration::BUILD_INTERVAL, "0")?
        .set(orchestration::BUILD_TIMEOUT, "60")?
        .set(valet::PAUSE, "0")
}

/// The default options of an embedded run: `127.0.0.1:0`, a store in memory, the default
/// inventory and admin account, one-hour tokens, and stacks that show their action in
/// progress for 5 ms (the progression is still there to poll through, but short).
pub fn embedded_options() -> ServerOptions {
    ServerOptions {
        token_ttl: Duration::from_secs(3600),
        heat: valet_cloud::HeatOptions {
            action_time: Duration::from_millis(5),
            ..valet_cloud::HeatOptions::default()
        },
        ..ServerOptions::default()
    }
}
