//! WebSockets over HTTP/2 (RFC 8441) against this project's server: prior
//! knowledge when asked, ALPN `h2` by default under TLS, one shared connection per
//! origin, and the fallbacks to HTTP/1.1.

mod support;

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use support::version::HttpVersionReport;
use support::{config, temp_file, TestPki};
use ws_client::{connect, connect_endpoint, ClientConfig, Http2, Message};
use ws_config::{keys, Sources};
use ws_server::{Endpoint, HttpVersion, Server, SessionHandle};

async fn start(server: Server) -> (Server, std::net::SocketAddr) {
    server.add_endpoint("/version", HttpVersionReport).unwrap();
    let listener = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.clone().serve(listener));
    (server, addr)
}

/// Connects and returns the HTTP version the server saw; echoes once.
async fn version(uri: &str, cfg: &ClientConfig) -> String {
    let mut ws = connect(uri, cfg).await.unwrap();
    let Some(Ok(Message::Text(seen))) = ws.next().await else {
        panic!("no version message");
    };
    let local = ws.info().http_version();
    assert_eq!(
        local == HttpVersion::Http2,
        seen == "HTTP/2",
        "client and server disagree on the version"
    );
    assert_eq!(ws.get_ref().is_http2(), seen == "HTTP/2");
    ws.send(Message::Text("echo".into())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("echo".into())
    );
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    seen
}

/// A TLS server offering `h2` and `http/1.1`, and a client trusting it.
async fn tls_server(builder: ws_server::ServerBuilder) -> (Server, String, ClientConfig) {
    let pki = TestPki::new(&["localhost"]);
    let mut tls = (*pki.server).clone();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let server = builder
        .tls(ws_server::TlsConfig::from_rustls(Arc::new(tls)))
        .build();
    let (server, addr) = start(server).await;
    // One file per server: the tests run at once, each with its own CA.
    let pem = temp_file(&format!("h2-ca-{}.pem", addr.port()), pki.ca_pem.as_bytes());
    let keys = Sources::new()
        .set(keys::SSL_TRUSTSTORE, pem.display().to_string())
        .resolve()
        .unwrap();
    let base = config();
    let mut cfg = ClientConfig::from_config(&keys)
        .with_proxy(ws_client::Proxy::none())
        .with_session(base.session);
    cfg.settings.io_timeout = base.settings.io_timeout;
    (
        server,
        format!("wss://localhost:{}/version", addr.port()),
        cfg,
    )
}

#[tokio::test]
async fn prior_knowledge_when_asked() {
    let (_server, addr) = start(Server::builder().build()).await;
    let uri = format!("ws://{addr}/version");
    assert_eq!(
        version(&uri, &config().with_http2(Http2::Prefer)).await,
        "HTTP/2"
    );
    // ws:// stays HTTP/1.1 unless asked.
    assert_eq!(version(&uri, &config()).await, "HTTP/1.1");
}

#[tokio::test]
async fn alpn_h2_by_default_and_one_shared_connection() {
    let (server, uri, cfg) = tls_server(Server::builder()).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut ws = connect(&uri, &cfg).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::Text("HTTP/2".into())
        );
        sockets.push(ws);
    }
    assert_eq!(cfg.pool.connections(), 1);
    assert_eq!(server.connections(), 1, "three WebSockets, one connection");
    for mut ws in sockets {
        ws.close().await.unwrap();
        assert!(ws.next().await.is_none());
    }
    // The endpoint API rides the same connection.
    let handle = connect_endpoint(&uri, &cfg, HttpVersionReport)
        .await
        .unwrap();
    assert_eq!(handle.http_version(), HttpVersion::Http2);
    assert_eq!(server.connections(), 1);
    handle.close(ws_client::CloseCode::NORMAL, "").unwrap();
}

#[tokio::test]
async fn falls_back_to_http11() {
    // Asked for, but the server has no HTTP/2 at all.
    let (_server, addr) = start(Server::builder().http2(false).build()).await;
    let uri = format!("ws://{addr}/version");
    assert_eq!(
        version(&uri, &config().with_http2(Http2::Prefer)).await,
        "HTTP/1.1"
    );
    // The server chooses h2 but does not allow extended CONNECT.
    let (_server, uri, cfg) = tls_server(Server::builder().websockets_over_http2(false)).await;
    assert_eq!(version(&uri, &cfg).await, "HTTP/1.1");
    // HTTP/2 turned off in the client.
    let (_server, uri, cfg) = tls_server(Server::builder()).await;
    assert_eq!(version(&uri, &cfg.with_http2(Http2::Off)).await, "HTTP/1.1");
}

/// Closes with 1000 when the session came over HTTP/2, with 4000 otherwise.
struct Http2Only;

impl Endpoint for Http2Only {
    type State = ();
    async fn on_open(&self, session: &SessionHandle) {
        let _ = session.send_text("ping").await;
    }
    async fn on_message(&self, _: &mut (), session: &SessionHandle, _: Message) {
        let code = match session.http_version() {
            HttpVersion::Http2 => ws_client::CloseCode::NORMAL,
            _ => ws_client::CloseCode(4000),
        };
        let _ = session.close(code, "");
    }
}

/// The CLI's one flag: `--http2` (prior knowledge on `ws://`); exit status 0 means
/// the server closed with 1000, which it does only for an HTTP/2 session.
#[tokio::test]
async fn cli_flag_asks_for_http2() {
    let server = Server::builder().build();
    server.add_endpoint("/h2only", Http2Only).unwrap();
    let (_server, addr) = start(server).await;
    let uri = format!("ws://{addr}/h2only");
    let run = |flags: &'static [&'static str]| {
        let uri = uri.clone();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ws-client"))
            .args(flags)
            .arg(uri)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
    };
    assert_eq!(run(&["--echo", "--http2"]).await.unwrap().code(), Some(0));
    assert_eq!(run(&["--echo"]).await.unwrap().code(), Some(3));
}
