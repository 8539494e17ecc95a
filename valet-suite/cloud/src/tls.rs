//! HTTPS on the one port: the certificate and key the server presents ([`TlsIdentity`]),
//! read from PEM files or made on the spot with a CA of its own ([`TlsIdentity::self_signed`]),
//! and the listener that completes each TLS handshake before axum sees the connection.
//!
//! Handshakes run as tasks of their own (each bounded by [`HANDSHAKE_TIMEOUT`]), so a client
//! that connects and says nothing, or one that refuses the certificate, never holds up the
//! next connection.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::errors::ServerError;

/// How long a client has to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate chain (the server's own first) and private key the server presents.
pub struct TlsIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for TlsIdentity {
    fn clone(&self) -> Self {
        TlsIdentity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"<hidden>")
            .finish()
    }
}

/// A certificate the server made for itself, and the CA that signed it.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// What the server presents.
    pub identity: TlsIdentity,
    /// The CA's certificate, PEM: what a client trusts (`[identity] ca_certificates_file`).
    pub ca_pem: String,
}

impl TlsIdentity {
    /// The chain and key from PEM text: every `CERTIFICATE` block of `cert_pem`, the server's
    /// first, and the first private key (PKCS#8, PKCS#1 or SEC1) of `key_pem`.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsIdentity, String> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
        if chain.is_empty() {
            return Err("the certificate file holds no CERTIFICATE block".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| format!("the key file holds no usable private key: {e}"))?;
        let identity = TlsIdentity { chain, key };
        // Refuse a key that does not match, or that rustls cannot use, now rather than at
        // the first handshake.
        identity.server_config()?;
        Ok(identity)
    }

    /// [`TlsIdentity::from_pem`] on the contents of two files (`serve --tls-cert --tls-key`).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsIdentity, ServerError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| ServerError::Tls(format!("{}: {e}", p.display())))
        };
        TlsIdentity::from_pem(&read(cert)?, &read(key)?)
            .map_err(|e| ServerError::Tls(format!("{} and {}: {e}", cert.display(), key.display())))
    }

    /// A new CA (ECDSA P-256, its own name) and a certificate it signs for `names` (host
    /// names or IP addresses, each a subject alternative name).
    pub fn self_signed(names: &[String]) -> Result<SelfSigned, ServerError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let err = |e: rcgen::Error| ServerError::Tls(format!("making a certificate: {e}"));
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "valet-suite serve self-signed CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::new(names.to_vec()).map_err(err)?;
        leaf.distinguished_name.push(
            DnType::CommonName,
            names.first().map_or("valet-suite", |n| n),
        );
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = leaf.signed_by(&key, &issuer).map_err(err)?;
        let identity = TlsIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| ServerError::Tls(format!("making a certificate: the key: {e}")))?,
        };
        Ok(SelfSigned {
            identity,
            ca_pem: ca_cert.pem(),
        })
    }

    /// The server's rustls configuration: ring, TLS 1.2 and 1.3, HTTP/1.1.
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// A listener whose connections have completed their TLS handshake.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp` (from a task of the current runtime), handing on each connection
    /// whose handshake with `config` succeeds.
    pub(crate) fn new(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            while !tx.is_closed() {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    // Out of descriptors and the like: wait, as axum's own listener does.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accepting task ended (its runtime is stopping): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_round_trips_through_pem() {
        let made = TlsIdentity::self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert!(made.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(made.identity.chain.len(), 1);
        made.identity.server_config().unwrap();
    }

    #[test]
    fn bad_pem_is_refused_with_its_reason() {
        let made = TlsIdentity::self_signed(&["localhost".into()]).unwrap();
        let err = TlsIdentity::from_pem(b"not a certificate", b"").unwrap_err();
        assert!(err.contains("no CERTIFICATE block"), "{err}");
        let err = TlsIdentity::from_pem(made.ca_pem.as_bytes(), b"no key here").unwrap_err();
        assert!(err.contains("no usable private key"), "{err}");
        // The CA's certificate with another key: they do not go together.
        let other = TlsIdentity::self_signed(&["localhost".into()]).unwrap();
        let key_pem = match &other.identity.key {
            PrivateKeyDer::Pkcs8(k) => rcgen::KeyPair::try_from(k.secret_pkcs8_der())
                .unwrap()
                .serialize_pem(),
            _ => unreachable!("rcgen makes PKCS#8 keys"),
        };
        let err = TlsIdentity::from_pem(made.ca_pem.as_bytes(), key_pem.as_bytes()).unwrap_err();
        assert!(err.contains("do not go together"), "{err}");
    }
}
