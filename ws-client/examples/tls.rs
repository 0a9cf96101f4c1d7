//! `wss://` end to end in one process: a certificate generated on the spot (rcgen),
//! a `ws-server` serving TLS with it, and a `ws-client` that trusts exactly that
//! certificate through an `SSL_CONTEXT`-style rustls configuration.
//!
//! ```sh
//! cargo run --example tls
//! ```

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use ws_client::{connect, ClientConfig, Message, TlsContext};
use ws_server::{Echo, Server, TlsConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A self-signed certificate for "localhost".
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    let cert_pem = generated.cert.pem();
    let key_pem = generated.signing_key.serialize_pem();

    let tls = TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
    let server = Server::builder().tls(tls).build();
    server.add_endpoint("/echo", Echo)?;
    let listener = Server::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(server.clone().serve(listener));

    // The client trusts that one certificate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(generated.cert.der().clone())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config = ClientConfig::default();
    config.settings.tls.context = Some(TlsContext::new(Arc::new(client_tls)));

    let mut ws = connect(&format!("wss://localhost:{port}/echo"), &config).await?;
    ws.send(Message::Text("over TLS".into())).await?;
    println!("echoed: {:?}", ws.next().await.expect("an echo")?);
    ws.close().await?;
    while ws.next().await.is_some() {}
    server.shutdown(std::time::Duration::from_secs(1)).await;
    Ok(())
}
