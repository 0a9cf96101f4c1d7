//! TLS client configuration from `SSL_CONTEXT`, `SSL_PROTOCOLS`, `SSL_TRUSTSTORE` and
//! `SSL_TRUSTSTORE_PWD`, and the TLS handshake step.
//!
//! * Host-name verification is always on: rustls's WebPKI verifier checks the name
//!   and nothing here can turn it off (Tomcat's CVE-2018-8034 was its absence). An
//!   `SSL_CONTEXT` built by the caller is used as given.
//! * Default trust: the Mozilla root program compiled in (`webpki-roots`), so a
//!   client behaves the same on every machine and in minimal containers without a
//!   CA bundle. Callers who want the platform store build an `SSL_CONTEXT`.
//! * `SSL_TRUSTSTORE`: a PEM bundle (detected by `-----BEGIN`) or a PKCS#12 file
//!   opened with `SSL_TRUSTSTORE_PWD`, whose trusted-certificate entries (what
//!   `keytool -importcert` writes) become the roots. Certificates of key entries
//!   are not trust anchors, as in Java.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig as RustlsConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use ws_config::{TlsSettings, TlsVersion};

use crate::error::{ConnectError, Step, TlsConfigError};
use crate::steps::timed;
use tokio_rustls::client::TlsStream;

/// The ALPN name of HTTP/2 over TLS.
pub(crate) const ALPN_H2: &[u8] = b"h2";

/// The rustls configuration these settings describe; ALPN offers `h2` and
/// `http/1.1` when `h2`, else `http/1.1` only. An `SSL_CONTEXT` is used as given
/// (its own ALPN list).
pub(crate) fn rustls_config(
    settings: &TlsSettings,
    h2: bool,
) -> Result<Arc<RustlsConfig>, TlsConfigError> {
    if let Some(context) = &settings.context {
        if let Some(config) = context.downcast_ref::<Arc<RustlsConfig>>() {
            return Ok(Arc::clone(config));
        }
        if let Some(config) = context.downcast_ref::<RustlsConfig>() {
            return Ok(Arc::new(config.clone()));
        }
        return Err(TlsConfigError::ContextType);
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = match &settings.protocols {
        None => rustls::DEFAULT_VERSIONS.to_vec(),
        Some(list) => list
            .iter()
            .filter_map(|v| match v {
                TlsVersion::Tls12 => Some(&rustls::version::TLS12),
                TlsVersion::Tls13 => Some(&rustls::version::TLS13),
                _ => None,
            })
            .collect(),
    };
    if versions.is_empty() {
        return Err(TlsConfigError::NoProtocols);
    }
    let roots = match &settings.truststore {
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
        Some(path) => load_truststore(path, settings.truststore_password.expose())?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = RustlsConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = if h2 {
        vec![ALPN_H2.to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// Reads a PEM bundle or a PKCS#12 trust store.
fn load_truststore(
    path: &std::path::Path,
    password: &str,
) -> Result<RootCertStore, TlsConfigError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| TlsConfigError::ReadTrustStore {
        path: name.clone(),
        source,
    })?;
    let bad = |reason: String| TlsConfigError::BadTrustStore {
        path: name.clone(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = if is_pem(&bytes) {
        CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?
    } else {
        let store = p12_keystore::KeyStore::from_pkcs12(
            &bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(|e| bad(e.to_string()))?;
        store
            .entries()
            .filter_map(|(_, entry)| match entry {
                p12_keystore::KeyStoreEntry::Certificate(cert) => {
                    Some(CertificateDer::from(cert.as_der().to_vec()))
                }
                _ => None,
            })
            .collect()
    };
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(TlsConfigError::EmptyTrustStore(name));
    }
    Ok(roots)
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(10).any(|w| w == b"-----BEGIN")
}

/// The TLS handshake over `tcp` for `host`, under the IO timeout.
pub(crate) async fn handshake(
    config: Arc<RustlsConfig>,
    host: &str,
    tcp: TcpStream,
    after: std::time::Duration,
) -> Result<TlsStream<TcpStream>, ConnectError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| ConnectError::Io {
        step: Step::TlsHandshake,
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
    })?;
    let connector = TlsConnector::from(config);
    timed(Step::TlsHandshake, after, connector.connect(name, tcp)).await
}
