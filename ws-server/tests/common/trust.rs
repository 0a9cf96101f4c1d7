//! A rustls client configuration that trusts exactly one certificate, for the TLS
//! tests of both front-ends (ws-client's through a `#[path]` module).

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

/// A client configuration (ring provider, safe default versions) whose only root
/// is `cert`.
pub fn trusting(cert: CertificateDer<'static>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}
