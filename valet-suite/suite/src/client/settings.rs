//! What the clients read from the configuration, once ([`ClientSettings`]).

use std::time::Duration;

use tempest_framework::config::builtin::{identity, service_clients};
use tempest_framework::config::{Config, ConfigError};

use super::tls::TlsSettings;
use crate::options::placement;

/// What the clients read from the configuration, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// `[identity] uri_v3`.
    pub identity_uri: Option<String>,
    /// `[identity] region`.
    pub region: String,
    /// `[identity] catalog_type`.
    pub identity_catalog_type: String,
    /// `[identity] v3_endpoint_type`.
    pub identity_interface: String,
    /// `[identity] default_domain_id`: where dynamic credentials make projects and users.
    pub default_domain_id: String,
    /// `[placement] catalog_type`.
    pub catalog_type: String,
    /// `[placement] endpoint_type`.
    pub endpoint_type: String,
    /// `[service-clients] http_timeout`.
    pub http_timeout: Duration,
    /// `[identity] ca_certificates_file` and `disable_ssl_certificate_validation`.
    pub tls: TlsSettings,
}

impl ClientSettings {
    /// The settings `config` gives.
    pub fn from_config(config: &Config) -> Result<ClientSettings, ConfigError> {
        Ok(ClientSettings {
            identity_uri: config.get(identity::URI_V3)?,
            region: config.get(identity::REGION)?,
            identity_catalog_type: config.get(identity::CATALOG_TYPE)?,
            identity_interface: config.get(identity::V3_ENDPOINT_TYPE)?,
            default_domain_id: config.get(identity::DEFAULT_DOMAIN_ID)?,
            catalog_type: config.get(placement::CATALOG_TYPE)?,
            endpoint_type: config.get(placement::ENDPOINT_TYPE)?,
            http_timeout: Duration::from_secs(
                config
                    .get_or_default(service_clients::HTTP_TIMEOUT)?
                    .max(1)
                    .unsigned_abs(),
            ),
            tls: TlsSettings {
                ca_certificates_file: config.get(identity::CA_CERTIFICATES_FILE)?.map(Into::into),
                disable_validation: config.get(identity::DISABLE_SSL_CERTIFICATE_VALIDATION)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_configuration() {
        let c = crate::options::config()
            .with("service-clients", "http_timeout", "7")
            .unwrap()
            .with("placement", "endpoint_type", "internalURL")
            .unwrap();
        let s = ClientSettings::from_config(&c).unwrap();
        assert_eq!(s.http_timeout, Duration::from_secs(7));
        assert_eq!(s.endpoint_type, "internalURL");
        assert_eq!(s.catalog_type, "placement");
        assert_eq!(s.region, "RegionOne");
        assert_eq!(s.identity_uri, None);
        assert_eq!(s.tls, TlsSettings::default());
        let c = c
            .with("identity", "ca_certificates_file", "/etc/ssl/cloud-ca.pem")
            .unwrap()
            .with("identity", "disable_ssl_certificate_validation", "true")
            .unwrap();
        let s = ClientSettings::from_config(&c).unwrap();
        assert_eq!(
            s.tls.ca_certificates_file.as_deref(),
            Some(std::path::Path::new("/etc/ssl/cloud-ca.pem"))
        );
        assert!(s.tls.disable_validation);
    }
}
