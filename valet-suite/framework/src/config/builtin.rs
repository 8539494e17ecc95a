//! The options the framework registers: the Tempest options it reads, and the runner's own.
//! A suite adds its plugin's options between them ([`registry_with`]), as Tempest calls its
//! plugins' `register_opts` after its own.
//!
//! - `tempest.config` ([`register_tempest_opts`]): the `[service_available]` flags that
//!   `services(...)` consults, and the `[auth]`, `[identity]` and `[service-clients]` basics
//!   credentials and service clients use, with Tempest 47.0.0's names, types, defaults and
//!   choices.
//! - `valet_suite` ([`register_runner_opts`]): the runner's `[valet_suite]` group (the per-test
//!   timeout, which `OS_TEST_TIMEOUT` overrides as Tempest reads it, and the default concurrency).
//!
//! Each option is named once, by its [`Key`](crate::config::Key) (the modules below, one per group), and its default
//! is written once, in its registration.

use crate::config::opts::{Opt, OptGroup, Registry, RegistryError, Value};

/// The namespace of the Tempest options.
pub const TEMPEST_NAMESPACE: &str = "tempest.config";
/// The namespace of the runner's options.
pub const RUNNER_NAMESPACE: &str = "valet_suite";

/// The runner's group.
pub const RUNNER_GROUP: &str = runner::GROUP;

/// Declares the [`Key`](crate::config::Key)s of one option group, in a module of their own:
/// `GROUP` and one constant per option, documented with its `[group] name` (a suite declares
/// its plugin's keys with it too). Integer options are read as `Option<i64>`: an empty value is
/// an empty number, which oslo.config reads as `None` (read them with
/// [`Config::get_or_default`](crate::Config::get_or_default)).
///
/// ```
/// mod placement {
///     tempest_framework::option_keys! {
///         "placement";
///         /// The catalog type of the placement service.
///         CATALOG_TYPE: String = "catalog_type";
///     }
/// }
/// assert_eq!(placement::CATALOG_TYPE.name(), "catalog_type");
/// assert_eq!(placement::GROUP, "placement");
/// ```
#[macro_export]
macro_rules! option_keys {
    ($group:literal; $($(#[$attr:meta])* $id:ident: $ty:ty = $name:literal;)*) => {
        /// The group.
        pub const GROUP: &str = $group;
        $(
            #[doc = concat!("`[", $group, "] ", $name, "`.")]
            $(#[$attr])*
            pub const $id: $crate::config::key::Key<$ty> =
                $crate::config::key::Key::new(GROUP, $name);
        )*
    };
}

/// `[service_available]`: whether each service is expected to be available.
pub mod service_available {
    option_keys! {
        "service_available";
        ///
        /// The `volume` service.
        CINDER: bool = "cinder";
        ///
        /// The `network` service.
        NEUTRON: bool = "neutron";
        ///
        /// The `image` service.
        GLANCE: bool = "glance";
        ///
        /// The `object_storage` service.
        SWIFT: bool = "swift";
        ///
        /// The `compute` service.
        NOVA: bool = "nova";
        ///
        /// The `dashboard` service.
        HORIZON: bool = "horizon";
    }
}

/// `[auth]`: how tests get credentials.
pub mod auth {
    option_keys! {
        "auth";
        TEST_ACCOUNTS_FILE: Option<String> = "test_accounts_file";
        USE_DYNAMIC_CREDENTIALS: bool = "use_dynamic_credentials";
        TEMPEST_ROLES: Vec<String> = "tempest_roles";
        DEFAULT_CREDENTIALS_DOMAIN_NAME: String = "default_credentials_domain_name";
        ADMIN_USERNAME: Option<String> = "admin_username";
        ADMIN_PROJECT_NAME: Option<String> = "admin_project_name";
        ADMIN_PASSWORD: Option<String> = "admin_password";
        ADMIN_DOMAIN_NAME: String = "admin_domain_name";
        ADMIN_USER_DOMAIN_NAME: Option<String> = "admin_user_domain_name";
        ADMIN_PROJECT_DOMAIN_NAME: Option<String> = "admin_project_domain_name";
    }
}

/// `[identity]`: Keystone.
pub mod identity {
    option_keys! {
        "identity";
        CATALOG_TYPE: String = "catalog_type";
        DISABLE_SSL_CERTIFICATE_VALIDATION: bool = "disable_ssl_certificate_validation";
        CA_CERTIFICATES_FILE: Option<String> = "ca_certificates_file";
        URI_V3: Option<String> = "uri_v3";
        AUTH_VERSION: String = "auth_version";
        REGION: String = "region";
        V3_ENDPOINT_TYPE: String = "v3_endpoint_type";
        ADMIN_ROLE: String = "admin_role";
        DEFAULT_DOMAIN_ID: String = "default_domain_id";
    }
}

/// `[service-clients]`.
pub mod service_clients {
    option_keys! {
        "service-clients";
        ///
        /// In seconds.
        HTTP_TIMEOUT: Option<i64> = "http_timeout";
    }
}

/// `[valet_suite]`: the runner's options.
pub mod runner {
    option_keys! {
        "valet_suite";
        ///
        /// In seconds (`OS_TEST_TIMEOUT` overrides it).
        TEST_TIMEOUT: Option<i64> = "test_timeout";
        CONCURRENCY: Option<i64> = "concurrency";
    }
}

/// A plugin's `register_opts`: registers its options in a registry.
pub type RegisterOpts = fn(&mut Registry) -> Result<(), RegistryError>;

/// Every option of the framework and of `plugins`, in registration order: Tempest's, then each
/// plugin's (as Tempest calls plugins' `register_opts` after its own), then the runner's.
pub fn registry_with(plugins: &[RegisterOpts]) -> Result<Registry, RegistryError> {
    let mut r = Registry::new();
    register_tempest_opts(&mut r)?;
    for register in plugins {
        register(&mut r)?;
    }
    register_runner_opts(&mut r)?;
    Ok(r)
}

/// Every option of the framework: Tempest's, then the runner's.
pub fn registry() -> Result<Registry, RegistryError> {
    registry_with(&[])
}

/// The Tempest options the framework reads.
pub fn register_tempest_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(TEMPEST_NAMESPACE);
    ns.register_opt_group(
        OptGroup::new(service_available::GROUP).title("Available OpenStack Services"),
        [
            service_available::CINDER,
            service_available::NEUTRON,
            service_available::GLANCE,
            service_available::SWIFT,
            service_available::NOVA,
            service_available::HORIZON,
        ]
        .map(|service| {
            Opt::bool(service.name()).default(true).help(&format!(
                "Whether or not {} is expected to be available",
                service.name()
            ))
        }),
    )?;
    ns.register_opt_group(
        OptGroup::new(auth::GROUP).title("Options for authentication and credentials"),
        [
            Opt::string(auth::TEST_ACCOUNTS_FILE.name()).help(
                "Path to the YAML file listing pre-provisioned credentials for the tests. \
                 Used when use_dynamic_credentials is false; a parallel run needs enough \
                 distinct accounts for every worker.",
            ),
            Opt::bool(auth::USE_DYNAMIC_CREDENTIALS.name())
                .default(true)
                .help(
                    "Whether test classes create and delete their own projects and users. Needs \
                 the admin credentials below; when false, credentials come from \
                 test_accounts_file.",
                ),
            Opt::list(auth::TEMPEST_ROLES.name())
                .default(Value::List(Vec::new()))
                .help("Roles given to every user the tests create"),
            Opt::string(auth::DEFAULT_CREDENTIALS_DOMAIN_NAME.name())
                .default("Default")
                .help("The domain used for credentials when none is given (Keystone v3)."),
            Opt::string(auth::ADMIN_USERNAME.name()).help(
                "User name of an administrative user, used to create test projects and users",
            ),
            Opt::string(auth::ADMIN_PROJECT_NAME.name()).help("Project of the administrative user"),
            Opt::string(auth::ADMIN_PASSWORD.name())
                .secret()
                .help("Password of the administrative user"),
            Opt::string(auth::ADMIN_DOMAIN_NAME.name())
                .default("Default")
                .help(
                    "Domain of the administrative user and project (Keystone v3), unless \
                 admin_user_domain_name or admin_project_domain_name say otherwise",
                ),
            Opt::string(auth::ADMIN_USER_DOMAIN_NAME.name())
                .help("Domain holding the administrative user (Keystone v3)"),
            Opt::string(auth::ADMIN_PROJECT_DOMAIN_NAME.name())
                .help("Domain holding the administrative project (Keystone v3)"),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new(identity::GROUP).title("Keystone Configuration Options"),
        [
            Opt::string(identity::CATALOG_TYPE.name())
                .default("identity")
                .help("Catalog type of the Identity service."),
            Opt::bool(identity::DISABLE_SSL_CERTIFICATE_VALIDATION.name())
                .default(false)
                .help("Set to True if using self-signed SSL certificates."),
            Opt::string(identity::CA_CERTIFICATES_FILE.name())
                .help("A CA bundle to verify TLS (https) server certificates with."),
            Opt::uri(identity::URI_V3.name(), &["http", "https"])
                .help("Full URI of the OpenStack Identity API (Keystone), v3"),
            Opt::string(identity::AUTH_VERSION.name())
                .default("v3")
                .deprecated_for_removal(
                    "Identity v2 API was removed and v3 is the only available identity API \
                     version now",
                )
                .help("Identity API version to be used for authentication for API tests."),
            Opt::string(identity::REGION.name())
                .default("RegionOne")
                .help(
                    "The identity region name, also used as the other services' region unless \
                 they set their own.",
                ),
            Opt::string(identity::V3_ENDPOINT_TYPE.name())
                .default("public")
                .choices([
                    "public",
                    "admin",
                    "internal",
                    "publicURL",
                    "adminURL",
                    "internalURL",
                ])
                .help("The endpoint type to use for OpenStack Identity (Keystone) API v3."),
            Opt::string(identity::ADMIN_ROLE.name())
                .default("admin")
                .help("Role required to administrate keystone."),
            Opt::string(identity::DEFAULT_DOMAIN_ID.name())
                .default("default")
                .help("ID of the default domain"),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new(service_clients::GROUP).title("Service Clients Options"),
        [Opt::int(service_clients::HTTP_TIMEOUT.name())
            .default(60)
            .help("Timeout in seconds to wait for the http request to return")],
    )?;
    Ok(())
}

/// The runner's options.
pub fn register_runner_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    conf.namespace(RUNNER_NAMESPACE).register_opt_group(
        OptGroup::new(RUNNER_GROUP).title("The valet-suite runner"),
        [
            Opt::int(runner::TEST_TIMEOUT.name())
                .default(0)
                .min(0)
                .help(
                    "Seconds a test may run before it fails with a timeout; 0 means no limit. \
                 The environment variable OS_TEST_TIMEOUT, when set, overrides this, as \
                 Tempest reads it (a whole number; 0 or less means no limit).",
                ),
            Opt::int(runner::CONCURRENCY.name()).default(0).min(0).help(
                "Workers for `valet-suite run` when --concurrency and --serial are not \
                 given; 0 means one per CPU.",
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FromValue, Key};

    #[test]
    fn plugins_register_between_tempests_options_and_the_runners() {
        let plugin: RegisterOpts = |r| {
            r.namespace("plugin")
                .register_opt_group(OptGroup::new("plugin"), [Opt::bool("on")])
        };
        let r = registry_with(&[plugin]).unwrap();
        let names: Vec<&str> = r.groups().map(|(g, _)| g.name()).collect();
        assert_eq!(names[names.len() - 2..], ["plugin", runner::GROUP]);
        assert_eq!(names[..2], [OptGroup::DEFAULT, service_available::GROUP]);
        assert!(registry().unwrap().group("plugin").is_none());
    }

    #[test]
    fn every_key_names_a_registered_option_of_its_type() {
        fn reads<T: FromValue>(c: &Config, key: Key<T>) {
            assert!(c.get(key).is_ok(), "{key:?}");
        }
        let c = Config::defaults(std::sync::Arc::new(registry().unwrap())).unwrap();
        for k in [
            service_available::CINDER,
            service_available::NEUTRON,
            service_available::GLANCE,
            service_available::SWIFT,
            service_available::NOVA,
            service_available::HORIZON,
            auth::USE_DYNAMIC_CREDENTIALS,
            identity::DISABLE_SSL_CERTIFICATE_VALIDATION,
        ] {
            reads(&c, k);
        }
        for k in [
            auth::TEST_ACCOUNTS_FILE,
            auth::ADMIN_USERNAME,
            auth::ADMIN_PROJECT_NAME,
            auth::ADMIN_PASSWORD,
            auth::ADMIN_USER_DOMAIN_NAME,
            auth::ADMIN_PROJECT_DOMAIN_NAME,
            identity::CA_CERTIFICATES_FILE,
            identity::URI_V3,
        ] {
            reads(&c, k);
        }
        for k in [
            auth::DEFAULT_CREDENTIALS_DOMAIN_NAME,
            auth::ADMIN_DOMAIN_NAME,
            identity::CATALOG_TYPE,
            identity::AUTH_VERSION,
            identity::REGION,
            identity::V3_ENDPOINT_TYPE,
            identity::ADMIN_ROLE,
            identity::DEFAULT_DOMAIN_ID,
        ] {
            reads(&c, k);
        }
        for k in [
            service_clients::HTTP_TIMEOUT,
            runner::TEST_TIMEOUT,
            runner::CONCURRENCY,
        ] {
            reads(&c, k);
        }
        reads(&c, auth::TEMPEST_ROLES);
    }
}
