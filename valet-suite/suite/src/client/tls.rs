//! HTTPS as Tempest's clients do it ([`TlsSettings`]): the server's certificate is checked
//! against the system's CAs, or only against `[identity] ca_certificates_file`, or not at all
//! with `[identity] disable_ssl_certificate_validation = true`. A certificate the check refuses
//! is named in words with the option that would fix it ([`ClientError::Certificate`]), not as
//! a chain of transport errors.
//!
//! reqwest speaks TLS through rustls with ring as its crypto provider; proxies come from the
//! environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), as in `requests`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use reqwest::blocking::{Client, ClientBuilder};
use rustls::CertificateError;
use subunit_emitter::Timestamp;

use super::error::{ClientError, error_chain};

/// How the server's certificate is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `[identity] ca_certificates_file`: trust only the CAs of this PEM bundle.
    pub ca_certificates_file: Option<PathBuf>,
    /// `[identity] disable_ssl_certificate_validation`: accept any certificate (and ignore
    /// the CA bundle).
    pub disable_validation: bool,
}

/// Installs ring as the process's rustls crypto provider, unless one already is.
pub(crate) fn install_provider() {
    // An error means a provider is installed already: that one is used.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TlsSettings {
    /// The client `builder` makes, checking certificates as these settings say. A CA bundle
    /// that cannot be read or holds no certificate is [`ClientError::Setup`], naming the
    /// option. A system without CAs of its own still reaches `http://` endpoints; every
    /// `https://` certificate is then refused as signed by an unknown CA, a message that names
    /// the option to set.
    pub(crate) fn client(
        &self,
        builder: impl Fn() -> ClientBuilder,
    ) -> Result<Client, ClientError> {
        install_provider();
        let built = if self.disable_validation {
            builder().tls_danger_accept_invalid_certs(true).build()
        } else if let Some(path) = &self.ca_certificates_file {
            builder().tls_certs_only(ca_bundle(path)?).build()
        } else {
            match system_config() {
                Some(config) => builder().tls_backend_preconfigured(config).build(),
                None => builder().tls_certs_only(Vec::new()).build(),
            }
        };
        built.map_err(|e| ClientError::Setup(error_chain(&e)))
    }
}

/// A rustls configuration that checks certificates against the system's CAs, or `None` when
/// the system has none. The CAs are read once per process: reading them for each client (as
/// reqwest would) costs about 28 ms a client in a debug build, twenty of them in a run.
fn system_config() -> Option<rustls::ClientConfig> {
    static CONFIG: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).ok()?;
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            Some(config)
        })
        .clone()
}

/// The certificates of the PEM bundle at `path` (`[identity] ca_certificates_file`).
fn ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let bad = |why: String| {
        ClientError::Setup(format!(
            "[identity] ca_certificates_file {}: {why}",
            path.display()
        ))
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| bad(format!("not a PEM bundle of certificates ({e})")))?;
    if certs.is_empty() {
        return Err(bad("holds no PEM CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// Why the server's certificate was refused, and what to set, when `e` (a transport error
/// and its sources) is a refused certificate.
pub(crate) fn certificate_problem(e: &(dyn Error + 'static)) -> Option<(String, &'static str)> {
    const TRUST: &str = "set [identity] ca_certificates_file to a PEM bundle holding the CA \
                         that signed it, or [identity] disable_ssl_certificate_validation = true \
                         to skip the check";
    const RENEW: &str = "renew the server's certificate, or set [identity] \
                         disable_ssl_certificate_validation = true to skip the check";
    const NAME: &str = "reach the server by a name its certificate holds ([identity] uri_v3 \
                        and the catalog's URLs), or set [identity] \
                        disable_ssl_certificate_validation = true to skip the check";
    let rustls::Error::InvalidCertificate(c) = rustls_error(e)? else {
        return None;
    };
    let date = |t: rustls::pki_types::UnixTime| {
        let secs = u32::try_from(t.as_secs()).unwrap_or(u32::MAX);
        let utc = Timestamp { secs, nanos: 0 }.to_utc();
        format!("{:04}-{:02}-{:02}", utc.year, utc.month, utc.day)
    };
    Some(match c {
        CertificateError::UnknownIssuer => (
            "it is signed by an unknown certificate authority (not among the trusted CAs)".into(),
            TRUST,
        ),
        CertificateError::BadSignature => (
            "its signature does not match the key of the CA it names".into(),
            TRUST,
        ),
        CertificateError::ExpiredContext { not_after, .. } => (
            format!("it expired on {} (its notAfter)", date(*not_after)),
            RENEW,
        ),
        CertificateError::Expired => ("it has expired".into(), RENEW),
        CertificateError::NotValidYetContext { not_before, .. } => (
            format!(
                "it is not valid before {} (its notBefore)",
                date(*not_before)
            ),
            RENEW,
        ),
        CertificateError::NotValidYet => ("it is not valid yet".into(), RENEW),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => (
            format!(
                "it is not valid for the host name {:?}: it names {}",
                expected.to_str(),
                if presented.is_empty() {
                    "no host".to_owned()
                } else {
                    presented
                        .iter()
                        .map(|n| bare_name(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            NAME,
        ),
        CertificateError::NotValidForName => {
            ("it is not valid for the host name in the URL".into(), NAME)
        }
        other => (format!("it is not acceptable ({other})"), TRUST),
    })
}

/// A name as webpki presents it (`DnsName("a.example")`, `IpAddress(10.0.0.1)`), bare.
fn bare_name(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(presented, |inner| inner.trim_matches('"'))
}

/// The rustls error in `e`'s chain, looking inside `io::Error`s too (whose `source()` skips
/// the error they wrap, which may be another `io::Error`).
fn rustls_error<'e>(e: &'e (dyn Error + 'static)) -> Option<&'e rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rustls_error_is_found_inside_an_io_error() {
        let io = std::io::Error::other(std::io::Error::other(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        )));
        let (problem, fix) = certificate_problem(&io).unwrap();
        assert!(
            problem.contains("unknown certificate authority"),
            "{problem}"
        );
        assert!(fix.contains("[identity] ca_certificates_file"), "{fix}");
        let plain = std::io::Error::other("connection refused");
        assert!(certificate_problem(&plain).is_none());
    }

    #[test]
    fn presented_names_are_shown_bare() {
        assert_eq!(bare_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(bare_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(bare_name("plain"), "plain");
    }

    #[test]
    fn an_unreadable_or_empty_ca_bundle_names_the_option() {
        let dir = tempfile::tempdir().unwrap();
        let missing = TlsSettings {
            ca_certificates_file: Some(dir.path().join("absent.pem")),
            disable_validation: false,
        };
        let err = missing.client(Client::builder).unwrap_err();
        assert!(
            err.to_string().contains("[identity] ca_certificates_file"),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let err = TlsSettings {
            ca_certificates_file: Some(empty),
            disable_validation: false,
        }
        .client(Client::builder)
        .unwrap_err();
        assert!(
            err.to_string().contains("no PEM CERTIFICATE block"),
            "{err}"
        );
    }
}
