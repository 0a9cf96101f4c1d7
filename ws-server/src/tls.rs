//! TLS (`wss://`) with rustls and its `ring` provider, from PEM files.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// The ALPN name of HTTP/2 over TLS.
pub(crate) const ALPN_H2: &[u8] = b"h2";

/// A server TLS configuration for [`ServerBuilder::tls`](crate::ServerBuilder::tls).
#[derive(Clone, Debug)]
pub struct TlsConfig {
    pub(crate) config: Arc<rustls::ServerConfig>,
}

impl TlsConfig {
    /// Loads a certificate chain (PEM, leaf first) and its private key (PEM: PKCS#8,
    /// PKCS#1 or SEC1). TLS 1.2 and 1.3, ALPN `h2` and `http/1.1` (`h2` is left
    /// out when the server's HTTP/2 is off).
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, TlsError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let certs = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError(format!("{}: {e}", cert.display())))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| TlsError(format!("{}: {e}", key.display())))?;
        Self::from_der(certs, key)
    }

    /// Builds from PEM text already in memory.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError(format!("certificate: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsError(format!("key: {e}")))?;
        Self::from_der(certs, key)
    }

    fn from_der(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsError> {
        if certs.is_empty() {
            return Err(TlsError("no certificate found".into()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError(e.to_string()))?;
        config.alpn_protocols = vec![ALPN_H2.to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            config: Arc::new(config),
        })
    }

    /// The same configuration without `h2` in its ALPN list (for a server whose
    /// HTTP/2 is off).
    pub(crate) fn without_h2(&self) -> Self {
        if !self.config.alpn_protocols.iter().any(|p| p == ALPN_H2) {
            return self.clone();
        }
        let mut config = (*self.config).clone();
        config.alpn_protocols.retain(|p| p != ALPN_H2);
        TlsConfig {
            config: Arc::new(config),
        }
    }

    /// Uses a complete rustls configuration (client auth, resumption, ...); its
    /// ALPN list decides whether TLS clients may choose HTTP/2.
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        TlsConfig { config }
    }
}
