//! The options the suite registers: the Tempest options it reads, the Valet plugin's options, and
//! the runner's own.
//!
//! - `tempest.config` ([`register_tempest_opts`]): the `[service_available]` flags that
//!   `services(...)` consults, and the `[auth]`, `[identity]` and `[service-clients]` basics the
//!   credentials and the Valet client use, with Tempest 47.0.0's names, types, defaults and
//!   choices.
//! - `valet.tests.tempest.config` ([`register_valet_opts`]): the Valet Tempest plugin's
//!   `register_opts`, exactly its three groups in its order (`[service_available] valet`,
//!   `[placement]`, `[valet]`). Valet's `[placement]` is its own definition, not the one current
//!   Tempest registers (which would clash with it: see the reference, section 1.3).
//! - `valet_suite` ([`register_runner_opts`]): the runner's `[valet_suite]` group (the per-test
//!   timeout, which `OS_TEST_TIMEOUT` overrides as Tempest reads it, and the default concurrency).

use crate::config::opts::{Opt, OptGroup, Registry, RegistryError, Value};

/// The namespace of the Tempest options.
pub const TEMPEST_NAMESPACE: &str = "tempest.config";
/// The namespace of the Valet plugin's options.
pub const VALET_NAMESPACE: &str = "valet.tests.tempest.config";
/// The namespace of the runner's options.
pub const RUNNER_NAMESPACE: &str = "valet_suite";

/// The runner's group.
pub const RUNNER_GROUP: &str = "valet_suite";

/// Every option the suite registers, in registration order: Tempest's, then the plugin's (as
/// Tempest calls plugins' `register_opts` after its own), then the runner's.
pub fn registry() -> Result<Registry, RegistryError> {
    let mut r = Registry::new();
    register_tempest_opts(&mut r)?;
    register_valet_opts(&mut r)?;
    register_runner_opts(&mut r)?;
    Ok(r)
}

/// The Tempest options the suite reads.
pub fn register_tempest_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(TEMPEST_NAMESPACE);
    ns.register_opt_group(
        OptGroup::new("service_available").title("Available OpenStack Services"),
        ["cinder", "neutron", "glance", "swift", "nova", "horizon"].map(|service| {
            Opt::bool(service).default(true).help(&format!(
                "Whether or not {service} is expected to be available"
            ))
        }),
    )?;
    ns.register_opt_group(
        OptGroup::new("auth").title("Options for authentication and credentials"),
        [
            Opt::string("test_accounts_file").help(
                "Path to the YAML file listing pre-provisioned credentials for the tests. \
                 Used when use_dynamic_credentials is false; a parallel run needs enough \
                 distinct accounts for every worker.",
            ),
            Opt::bool("use_dynamic_credentials").default(true).help(
                "Whether test classes create and delete their own projects and users. Needs \
                 the admin credentials below; when false, credentials come from \
                 test_accounts_file.",
            ),
            Opt::list("tempest_roles")
                .default(Value::List(Vec::new()))
                .help("Roles given to every user the tests create"),
            Opt::string("default_credentials_domain_name")
                .default("Default")
                .help("The domain used for credentials when none is given (Keystone v3)."),
            Opt::string("admin_username").help(
                "User name of an administrative user, used to create test projects and users",
            ),
            Opt::string("admin_project_name").help("Project of the administrative user"),
            Opt::string("admin_password")
                .secret()
                .help("Password of the administrative user"),
            Opt::string("admin_domain_name").default("Default").help(
                "Domain of the administrative user and project (Keystone v3), unless \
                 admin_user_domain_name or admin_project_domain_name say otherwise",
            ),
            Opt::string("admin_user_domain_name")
                .help("Domain holding the administrative user (Keystone v3)"),
            Opt::string("admin_project_domain_name")
                .help("Domain holding the administrative project (Keystone v3)"),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new("identity").title("Keystone Configuration Options"),
        [
            Opt::string("catalog_type")
                .default("identity")
                .help("Catalog type of the Identity service."),
            Opt::bool("disable_ssl_certificate_validation")
                .default(false)
                .help("Set to True if using self-signed SSL certificates."),
            Opt::string("ca_certificates_file")
                .help("A CA bundle to verify TLS (https) server certificates with."),
            Opt::uri("uri_v3", &["http", "https"])
                .help("Full URI of the OpenStack Identity API (Keystone), v3"),
            Opt::string("auth_version")
                .default("v3")
                .deprecated_for_removal(
                    "Identity v2 API was removed and v3 is the only available identity API \
                     version now",
                )
                .help("Identity API version to be used for authentication for API tests."),
            Opt::string("region").default("RegionOne").help(
                "The identity region name, also used as the other services' region unless \
                 they set their own.",
            ),
            Opt::string("v3_endpoint_type")
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
            Opt::string("admin_role")
                .default("admin")
                .help("Role required to administrate keystone."),
            Opt::string("default_domain_id")
                .default("default")
                .help("ID of the default domain"),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new("service-clients").title("Service Clients Options"),
        [Opt::int("http_timeout")
            .default(60)
            .help("Timeout in seconds to wait for the http request to return")],
    )?;
    Ok(())
}

/// The Valet Tempest plugin's `register_opts`: `[service_available] valet`, `[placement]` and
/// `[valet]`, as `valet/tests/tempest/config.py` defines them.
pub fn register_valet_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(VALET_NAMESPACE);
    ns.register_opt_group(
        OptGroup::new("service_available").title("Available OpenStack Services"),
        [Opt::bool("valet")
            .default(true)
            .help("Whether or not valet is expected to be available")],
    )?;
    ns.register_opt_group(
        OptGroup::new("placement").title("Valet Service option"),
        [
            Opt::string("catalog_type")
                .default("placement")
                .help("Catalog type of the placement service."),
            Opt::string("endpoint_type")
                .default("publicURL")
                .choices(["publicURL", "adminURL", "internalURL"])
                .help("The endpoint type for valet service."),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new("valet").title("Valet basic"),
        [
            Opt::int("TRIES_TO_CREATE").default(5),
            Opt::int("PAUSE").default(5),
            Opt::int("TRIES_TO_SHOW_SERVER").default(10),
        ],
    )?;
    Ok(())
}

/// The runner's options.
pub fn register_runner_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    conf.namespace(RUNNER_NAMESPACE).register_opt_group(
        OptGroup::new(RUNNER_GROUP).title("The valet-suite runner"),
        [
            Opt::int("test_timeout").default(0).min(0).help(
                "Seconds a test may run before it fails with a timeout; 0 means no limit. \
                 The environment variable OS_TEST_TIMEOUT, when set, overrides this, as \
                 Tempest reads it (a whole number; 0 or less means no limit).",
            ),
            Opt::int("concurrency").default(0).min(0).help(
                "Workers for `valet-suite run` when --concurrency and --serial are not \
                 given; 0 means one per CPU.",
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_registry_builds_and_holds_the_plugin_options() {
        let r = registry().unwrap();
        let names: Vec<_> = r.groups().map(|(g, _)| g.name()).collect();
        assert_eq!(
            names,
            [
                "DEFAULT",
                "service_available",
                "auth",
                "identity",
                "service-clients",
                "placement",
                "valet",
                "valet_suite"
            ]
        );
        let valet = r.opt("service_available", "valet").unwrap();
        assert_eq!(valet.namespace, VALET_NAMESPACE);
        assert_eq!(valet.opt.default_value(), &Value::Bool(true));
        let endpoint = r.opt("placement", "endpoint_type").unwrap();
        assert_eq!(endpoint.opt.default_value(), &Value::from("publicURL"));
        assert_eq!(endpoint.opt.choice_list().unwrap().len(), 3);
        for (name, default) in [
            ("TRIES_TO_CREATE", 5),
            ("PAUSE", 5),
            ("TRIES_TO_SHOW_SERVER", 10),
        ] {
            let o = r.opt("valet", name).unwrap();
            assert_eq!(o.opt.default_value(), &Value::Int(default));
            assert_eq!(o.opt.help_text(), None);
        }
        // Registering the plugin twice is harmless (same definitions).
        let mut again = r.clone();
        register_valet_opts(&mut again).unwrap();
        assert_eq!(again, r);
    }

    #[test]
    fn tempests_own_placement_group_would_clash_with_valets() {
        // Current Tempest registers [placement] endpoint_type with other choices; oslo.config
        // refuses the second definition, and so do we.
        let mut r = registry().unwrap();
        let clash = r.namespace(TEMPEST_NAMESPACE).register_opt(
            "placement",
            Opt::string("endpoint_type")
                .default("public")
                .choices(["public", "admin", "internal"]),
        );
        assert!(matches!(clash, Err(RegistryError::DuplicateOpt { .. })));
    }
}
