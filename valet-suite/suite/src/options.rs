//! The Valet plugin's options, and the suite's registry: Tempest's options, then the plugin's,
//! then the runner's, as `tempest run` registers them with Valet's plugin installed.
//!
//! The plugin's `register_opts` ([`register_valet_opts`]) registers exactly its three groups in
//! its order (`[service_available] valet`, `[placement]`, `[valet]`). Valet's `[placement]` is
//! its own definition, not the one current Tempest registers (which would clash with it: see the
//! reference, section 1.3). Each option is named once, by its key ([`placement`], [`valet`],
//! [`service_available`]), and its default is written once, in its registration.

use std::sync::{Arc, OnceLock};

use tempest_framework::config::builtin;
use tempest_framework::config::{
    Config, ConfigError, Loaded, Opt, OptGroup, Registry, RegistryError, Sources,
};

/// The namespace of the Valet plugin's options.
pub const VALET_NAMESPACE: &str = "valet.tests.tempest.config";

/// `[service_available]`: the plugin's flag.
pub mod service_available {
    tempest_framework::option_keys! {
        "service_available";
        VALET: bool = "valet";
    }
}

/// `[placement]`: the plugin's service options.
pub mod placement {
    tempest_framework::option_keys! {
        "placement";
        CATALOG_TYPE: String = "catalog_type";
        ENDPOINT_TYPE: String = "endpoint_type";
    }
}

/// `[valet]`: the plugin's basics.
pub mod valet {
    tempest_framework::option_keys! {
        "valet";
        TRIES_TO_CREATE: Option<i64> = "TRIES_TO_CREATE";
        PAUSE: Option<i64> = "PAUSE";
        TRIES_TO_SHOW_SERVER: Option<i64> = "TRIES_TO_SHOW_SERVER";
    }
}

/// The Valet Tempest plugin's `register_opts`: `[service_available] valet`, `[placement]` and
/// `[valet]`, as `valet/tests/tempest/config.py` defines them.
pub fn register_valet_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(VALET_NAMESPACE);
    ns.register_opt_group(
        OptGroup::new(service_available::GROUP).title("Available OpenStack Services"),
        [Opt::bool(service_available::VALET.name())
            .default(true)
            .help("Whether or not valet is expected to be available")],
    )?;
    ns.register_opt_group(
        OptGroup::new(placement::GROUP).title("Valet Service option"),
        [
            Opt::string(placement::CATALOG_TYPE.name())
                .default("placement")
                .help("Catalog type of the placement service."),
            Opt::string(placement::ENDPOINT_TYPE.name())
                .default("publicURL")
                .choices(["publicURL", "adminURL", "internalURL"])
                .help("The endpoint type for valet service."),
        ],
    )?;
    ns.register_opt_group(
        OptGroup::new(valet::GROUP).title("Valet basic"),
        [
            Opt::int(valet::TRIES_TO_CREATE.name()).default(5),
            Opt::int(valet::PAUSE.name()).default(5),
            Opt::int(valet::TRIES_TO_SHOW_SERVER.name()).default(10),
        ],
    )?;
    Ok(())
}

/// The namespace of the Heat Tempest plugin's options.
pub const HEAT_NAMESPACE: &str = "heat_tempest_plugin.config";

/// `[service_available] heat`, as the Heat Tempest plugin registers it (default false).
pub mod heat_available {
    tempest_framework::option_keys! {
        "service_available";
        HEAT: bool = "heat";
    }
}

/// `[orchestration]`: the Heat Tempest plugin's options the scenario tests read.
pub mod orchestration {
    tempest_framework::option_keys! {
        "orchestration";
        CATALOG_TYPE: String = "catalog_type";
        ENDPOINT_TYPE: String = "endpoint_type";
        BUILD_INTERVAL: i64 = "build_interval";
        BUILD_TIMEOUT: i64 = "build_timeout";
    }
}

/// `[compute]`: Tempest's compute options the scenario tests read.
pub mod compute {
    tempest_framework::option_keys! {
        "compute";
        CATALOG_TYPE: String = "catalog_type";
        ENDPOINT_TYPE: String = "endpoint_type";
        IMAGE_REF: Option<String> = "image_ref";
        FLAVOR_REF: String = "flavor_ref";
        FIXED_NETWORK_NAME: Option<String> = "fixed_network_name";
    }
}

/// Tempest's `[compute]` options the scenario tests read, as `tempest/config.py` defines them.
pub fn register_compute_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(builtin::TEMPEST_NAMESPACE);
    ns.register_opt_group(
        OptGroup::new(compute::GROUP).title("Compute Service Options"),
        [
            Opt::string(compute::CATALOG_TYPE.name())
                .default("compute")
                .help("Catalog type of the Compute service."),
            Opt::string(compute::ENDPOINT_TYPE.name())
                .default("publicURL")
                .choices([
                    "public",
                    "admin",
                    "internal",
                    "publicURL",
                    "adminURL",
                    "internalURL",
                ])
                .help("The endpoint type to use for the compute service."),
            Opt::string(compute::IMAGE_REF.name())
                .help("Valid primary image reference to be used in tests."),
            Opt::string(compute::FLAVOR_REF.name())
                .default("1")
                .help("Valid primary flavor to use in tests."),
            Opt::string(compute::FIXED_NETWORK_NAME.name())
                .help("Name of the fixed network that is visible to all test projects."),
        ],
    )?;
    Ok(())
}

/// The Heat Tempest plugin's `register_opts`, for what the scenario tests read:
/// `[service_available] heat` and `[orchestration]`, as `heat_tempest_plugin/config.py`
/// defines them.
pub fn register_heat_opts(conf: &mut Registry) -> Result<(), RegistryError> {
    let mut ns = conf.namespace(HEAT_NAMESPACE);
    ns.register_opt(
        heat_available::GROUP,
        Opt::bool(heat_available::HEAT.name())
            .default(false)
            .help("Whether or not heat is expected to be available"),
    )?;
    ns.register_opt_group(
        OptGroup::new(orchestration::GROUP).title("Orchestration Service Options"),
        [
            Opt::string(orchestration::CATALOG_TYPE.name())
                .default("orchestration")
                .help("Catalog type of the Orchestration service."),
            Opt::string(orchestration::ENDPOINT_TYPE.name())
                .default("publicURL")
                .choices([
                    "public",
                    "admin",
                    "internal",
                    "publicURL",
                    "adminURL",
                    "internalURL",
                ])
                .help("The endpoint type to use for the orchestration service."),
            Opt::int(orchestration::BUILD_INTERVAL.name())
                .default(1)
                .help("Time in seconds between build status checks."),
            Opt::int(orchestration::BUILD_TIMEOUT.name())
                .default(1200)
                .help("Timeout in seconds to wait for a stack to build."),
        ],
    )?;
    Ok(())
}

/// Every option the suite reads, in registration order: Tempest's (with its `[compute]`), the
/// Valet plugin's, the Heat plugin's, the runner's; built once.
pub fn registry() -> Result<Arc<Registry>, RegistryError> {
    static BUILT: OnceLock<Result<Arc<Registry>, RegistryError>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            builtin::registry_with(&[
                register_compute_opts,
                register_valet_opts,
                register_heat_opts,
            ])
            .map(Arc::new)
        })
        .clone()
}

/// Every option of the suite at its default.
pub fn config() -> Config {
    // The definitions are static and their test proves they register.
    registry()
        .map_err(ConfigError::from)
        .and_then(Config::defaults)
        .unwrap_or_else(|_| Config::new())
}

/// Loads the configuration with the suite's options from `sources`.
pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
    tempest_framework::config::load_with(registry()?, sources)
}

#[cfg(test)]
mod config_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use tempest_framework::config::builtin::TEMPEST_NAMESPACE;
    use tempest_framework::config::{FromValue, Key, Value};

    fn registry() -> Result<Registry, RegistryError> {
        super::registry().map(|r| (*r).clone())
    }

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
                "compute",
                "placement",
                "valet",
                "orchestration",
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

    #[test]
    fn every_key_names_a_registered_option_of_its_type() {
        fn reads<T: FromValue>(c: &Config, key: Key<T>) {
            assert!(c.get(key).is_ok(), "{key:?}");
        }
        let c = config();
        reads(&c, service_available::VALET);
        reads(&c, placement::CATALOG_TYPE);
        reads(&c, placement::ENDPOINT_TYPE);
        for k in [
            valet::TRIES_TO_CREATE,
            valet::PAUSE,
            valet::TRIES_TO_SHOW_SERVER,
        ] {
            reads(&c, k);
        }
    }
}
