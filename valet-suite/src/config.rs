//! The configuration the lifecycle reads: `[section] key = value` values, read once at start.
//!
//! This is the in-memory form only; reading `tempest.conf` and registering typed plugin options
//! come with the configuration work (issue 4, part 4). Lookups parse values the way oslo.config
//! parses booleans, and a bad value is an error, never a silent default.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::failure::Failure;

/// A configuration value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("[{section}] {key} = {value:?}: {expected}")]
pub struct ConfigError {
    /// The section.
    pub section: String,
    /// The key.
    pub key: String,
    /// The value found.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Failure {
        Failure::new("ConfigError", e.to_string())
    }
}

/// Configuration values by section and key (keys compare with `-` read as `_`, as oslo.config
/// maps option names to attributes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    values: BTreeMap<String, BTreeMap<String, String>>,
}

fn norm(key: &str) -> String {
    key.replace('-', "_")
}

impl Config {
    /// An empty configuration (every option at its default).
    pub fn new() -> Config {
        Config::default()
    }

    /// This configuration with `[section] key = value` set.
    pub fn with(mut self, section: &str, key: &str, value: &str) -> Config {
        self.set(section, key, value);
        self
    }

    /// Sets `[section] key = value`.
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        self.values
            .entry(norm(section))
            .or_default()
            .insert(norm(key), value.to_owned());
    }

    /// The raw value of `[section] key`.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.values
            .get(&norm(section))?
            .get(&norm(key))
            .map(String::as_str)
    }

    /// A boolean option, read as oslo.config reads one (`true/false`, `yes/no`, `on/off`, `1/0`,
    /// any case); `default` when unset.
    pub fn bool(&self, section: &str, key: &str, default: bool) -> Result<bool, ConfigError> {
        let Some(v) = self.get(section, key) else {
            return Ok(default);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(ConfigError {
                section: section.to_owned(),
                key: key.to_owned(),
                value: v.to_owned(),
                expected: "a boolean (true/false, yes/no, on/off, 1/0)",
            }),
        }
    }

    /// Whether `[service_available] name` is true (Tempest's default for its services is true).
    pub fn service_available(&self, name: &str) -> Result<bool, ConfigError> {
        self.bool("service_available", name, true)
    }

    /// Whether admin credentials are configured (`[auth] admin_username`), which Tempest's
    /// dynamic credentials need for classes asking for `admin`.
    pub fn admin_available(&self) -> bool {
        self.get("auth", "admin_username")
            .is_some_and(|v| !v.trim().is_empty())
    }

    /// Whether a second set of credentials can be had: always with dynamic credentials
    /// (`[auth] use_dynamic_credentials`, default true).
    pub fn alt_available(&self) -> Result<bool, ConfigError> {
        self.bool("auth", "use_dynamic_credentials", true)
    }

    /// The per-test timeout: `OS_TEST_TIMEOUT`-style seconds, 0 or unset meaning none.
    pub fn test_timeout(&self) -> Result<Option<Duration>, ConfigError> {
        let Some(v) = self.get("valet_suite", "test_timeout") else {
            return Ok(None);
        };
        match v.trim().parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(Duration::from_secs(n))),
            Err(_) => Err(ConfigError {
                section: "valet_suite".into(),
                key: "test_timeout".into(),
                value: v.to_owned(),
                expected: "a whole number of seconds",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_defaults() {
        let c = Config::new()
            .with("service_available", "nova", "False")
            .with("service-available", "swift", "on")
            .with("auth", "use_dynamic_credentials", "maybe");
        assert_eq!(c.service_available("nova"), Ok(false));
        assert_eq!(c.service_available("swift"), Ok(true));
        assert_eq!(c.service_available("glance"), Ok(true));
        let e = c.alt_available().unwrap_err();
        assert_eq!(e.key, "use_dynamic_credentials");
        assert!(!c.admin_available());
        assert!(
            c.clone()
                .with("auth", "admin_username", "admin")
                .admin_available()
        );
    }

    #[test]
    fn timeout() {
        assert_eq!(Config::new().test_timeout(), Ok(None));
        let c = Config::new().with("valet_suite", "test_timeout", "3");
        assert_eq!(c.test_timeout(), Ok(Some(Duration::from_secs(3))));
        let c = Config::new().with("valet_suite", "test_timeout", "0");
        assert_eq!(c.test_timeout(), Ok(None));
        assert!(
            Config::new()
                .with("valet_suite", "test_timeout", "x")
                .test_timeout()
                .is_err()
        );
    }
}
