//! TLS: trust stores (PEM, PKCS#12 with default and custom password), host-name
//! verification, default roots, protocol versions, SSL_CONTEXT override.

mod support;

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use support::{config, temp_file, tls_echo_server, TestPki};
use ws_client::{connect, ClientConfig, ConnectError, Message, Step, TlsConfigError, TlsContext};
use ws_config::{keys, Sources};

/// A config from Tomcat keys set in code, with the test defaults.
fn from_keys(sources: Sources) -> ClientConfig {
    let resolved = sources.resolve().unwrap();
    let base = config();
    ClientConfig::from_config(&resolved)
        .with_proxy(ws_client::Proxy::none())
        .with_session(base.session)
}

async fn round_trip(uri: &str, cfg: &ClientConfig) {
    let mut ws = connect(uri, cfg).await.unwrap();
    ws.send(Message::Text("over tls".into())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("over tls".into())
    );
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
}

fn tls_failure(err: &ConnectError) -> String {
    match err {
        ConnectError::Io {
            step: Step::TlsHandshake,
            source,
        } => source.to_string(),
        other => panic!("expected a TLS handshake failure, got {other:?}"),
    }
}

#[tokio::test]
async fn pem_truststore() {
    let pki = TestPki::new(&["localhost"]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let pem = temp_file("ca.pem", pki.ca_pem.as_bytes());
    let cfg = from_keys(Sources::new().set(keys::SSL_TRUSTSTORE, pem.display().to_string()));
    round_trip(&format!("wss://localhost:{}/", addr.port()), &cfg).await;
}

#[tokio::test]
async fn pkcs12_truststore_default_and_custom_password() {
    let pki = TestPki::new(&["localhost"]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let uri = format!("wss://localhost:{}/", addr.port());

    let default = temp_file("default.p12", &pki.pkcs12("changeit"));
    let cfg = from_keys(Sources::new().set(keys::SSL_TRUSTSTORE, default.display().to_string()));
    round_trip(&uri, &cfg).await;

    let custom = temp_file("custom.p12", &pki.pkcs12("s3cret"));
    let cfg = from_keys(
        Sources::new()
            .set(keys::SSL_TRUSTSTORE, custom.display().to_string())
            .set(keys::SSL_TRUSTSTORE_PWD, "s3cret"),
    );
    round_trip(&uri, &cfg).await;

    // The default password does not open a store written with another one.
    let cfg = from_keys(Sources::new().set(keys::SSL_TRUSTSTORE, custom.display().to_string()));
    let err = connect(&uri, &cfg).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Tls(TlsConfigError::BadTrustStore { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_host_name_refused() {
    let pki = TestPki::new(&["other.example"]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let pem = temp_file("ca-other.pem", pki.ca_pem.as_bytes());
    let cfg = from_keys(Sources::new().set(keys::SSL_TRUSTSTORE, pem.display().to_string()));
    let err = connect(&format!("wss://localhost:{}/", addr.port()), &cfg)
        .await
        .unwrap_err();
    let why = tls_failure(&err);
    assert!(why.contains("not valid for name"), "{why}");
}

#[tokio::test]
async fn default_roots_do_not_trust_a_private_ca() {
    let pki = TestPki::new(&["localhost"]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let err = connect(&format!("wss://localhost:{}/", addr.port()), &config())
        .await
        .unwrap_err();
    let why = tls_failure(&err);
    assert!(why.contains("UnknownIssuer"), "{why}");
}

#[tokio::test]
async fn protocol_list_honoured() {
    let pki = TestPki::with_versions(&["localhost"], &[&rustls::version::TLS12]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let uri = format!("wss://localhost:{}/", addr.port());
    let pem = temp_file("ca-12.pem", pki.ca_pem.as_bytes());
    let store = pem.display().to_string();

    let only13 = from_keys(
        Sources::new()
            .set(keys::SSL_TRUSTSTORE, store.clone())
            .set(keys::SSL_PROTOCOLS, "TLSv1.3"),
    );
    let err = connect(&uri, &only13).await.unwrap_err();
    tls_failure(&err);

    let both = from_keys(
        Sources::new()
            .set(keys::SSL_TRUSTSTORE, store)
            .set(keys::SSL_PROTOCOLS, "TLSv1.2,TLSv1.3"),
    );
    round_trip(&uri, &both).await;

    // Anything else is a configuration error naming the key.
    let err = Sources::new()
        .set(keys::SSL_PROTOCOLS, "SSLv3")
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("SSL_PROTOCOLS"), "{err}");
}

#[tokio::test]
async fn ssl_context_overrides_truststore_keys() {
    let pki = TestPki::new(&["localhost"]);
    let addr = tls_echo_server(pki.server.clone()).await;
    let context = support::trust::trusting(pki.ca_der.clone().into());
    // The trust store named here does not exist: it must not even be opened.
    let cfg = from_keys(
        Sources::new()
            .set(keys::SSL_CONTEXT, TlsContext::new(Arc::new(context)))
            .set(keys::SSL_TRUSTSTORE, "/nonexistent/store.p12"),
    );
    round_trip(&format!("wss://localhost:{}/", addr.port()), &cfg).await;

    // Without the context the missing trust store is reported.
    let cfg = from_keys(Sources::new().set(keys::SSL_TRUSTSTORE, "/nonexistent/store.p12"));
    let err = connect(&format!("wss://localhost:{}/", addr.port()), &cfg)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::Tls(TlsConfigError::ReadTrustStore { .. })
        ),
        "{err:?}"
    );
}
