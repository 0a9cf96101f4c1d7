//! Loopback test servers built from ws-handshake + ws-session + tokio, and a test CA.
#![allow(dead_code)]

/// Frames as raw bytes and a parser for what the client sent (shared with
/// ws-server's tests, which play the other role).
#[path = "../../../ws-server/tests/common/wire.rs"]
pub mod wire;

/// The process's fds and memory, for the fault tests (shared with ws-server's).
#[path = "../../../ws-server/tests/common/process.rs"]
pub mod process;

/// The fault tests' rounds, records and raw-peer moves (shared with ws-server's).
#[path = "../../../ws-server/tests/common/faults.rs"]
pub mod faults;

/// The in-order failure tests' recording endpoint and checks (shared with ws-server's).
#[path = "../../../ws-server/tests/common/in_order.rs"]
pub mod in_order;

/// Running the built examples and binaries (shared with ws-server's tests).
#[path = "../../../ws-server/tests/common/command.rs"]
pub mod command;

/// A rustls client configuration trusting one certificate (shared with ws-server's tests).
#[path = "../../../ws-server/tests/common/trust.rs"]
pub mod trust;

/// The demo server's `/http-version` endpoint: names the HTTP version a session
/// arrived over, then echoes (one copy for the demo and the tests of both roles).
#[path = "../../../ws-server/src/bin/ws-server/demo/version.rs"]
pub mod version;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_client::{ClientConfig, ClientSettings, Proxy};
use ws_handshake::{DeflateParams, Limits, ServerConfig, ServerHandshake};
use ws_session::{DeflateConfig, Event, Session, SessionConfig};

/// A config for tests: no proxy from the environment, short IO timeout.
pub fn config() -> ClientConfig {
    ClientConfig::default()
        .with_proxy(Proxy::none())
        .with_settings(ClientSettings::default().with_io_timeout(Duration::from_secs(5)))
        .with_session(
            SessionConfig::default()
                .with_text_buffer_size(16 << 20)
                .with_binary_buffer_size(16 << 20),
        )
}

/// Request heads a server received.
pub type Log = Arc<Mutex<Vec<String>>>;

/// What a scripted server does with one request.
pub enum Reply {
    /// Write this response and close.
    Raw(String),
    /// Write these bytes and close.
    Bytes(Vec<u8>),
    /// Upgrade (offering these subprotocols) and echo.
    Echo(Vec<String>),
    /// Read the request and never answer.
    Stall,
}

/// Binds a loopback listener.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

/// Reads up to the end of a request head; returns it (empty if the peer closed).
pub async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Vec<u8> {
    wire::read_head_bytes(s).await
}

/// A server answering each request with `script(head)`; records every head.
pub async fn scripted(script: impl Fn(&str) -> Reply + Send + Sync + 'static) -> (SocketAddr, Log) {
    let (l, addr) = listener().await;
    let log: Log = Arc::default();
    let script = Arc::new(script);
    let log2 = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let script = script.clone();
            let log = log2.clone();
            tokio::spawn(async move {
                let head = read_head(&mut s).await;
                let text = String::from_utf8_lossy(&head).into_owned();
                log.lock().unwrap().push(text.clone());
                match script(&text) {
                    Reply::Raw(r) => {
                        let _ = s.write_all(r.as_bytes()).await;
                        let _ = s.shutdown().await;
                    }
                    Reply::Bytes(r) => {
                        let _ = s.write_all(&r).await;
                        let _ = s.shutdown().await;
                    }
                    Reply::Echo(protocols) => upgrade_and_echo(s, &head, protocols).await,
                    Reply::Stall => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        drop(s);
                    }
                }
            });
        }
    });
    (addr, log)
}

/// A plain echo server.
pub async fn echo_server() -> SocketAddr {
    scripted(|_| Reply::Echo(vec![])).await.0
}

/// The value of header `name` in a recorded head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn deflate_config(p: DeflateParams) -> DeflateConfig {
    DeflateConfig::default()
        .with_server_no_context_takeover(p.server_no_context_takeover)
        .with_client_no_context_takeover(p.client_no_context_takeover)
        .with_server_max_window_bits(p.server_window_bits())
        .with_client_max_window_bits(p.client_window_bits())
}

/// Completes the server side of the handshake from an already read `head`, then
/// echoes every message until the close.
pub async fn upgrade_and_echo<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    head: &[u8],
    protocols: Vec<String>,
) {
    let mut hs = ServerHandshake::new(Limits::default());
    let Ok(Some(request)) = hs.handle_input(head) else {
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    let server = ServerConfig {
        protocols,
        ..ServerConfig::default()
    };
    let accepted = request.accept(&server);
    if s.write_all(&accepted.response()).await.is_err() {
        return;
    }
    let config = SessionConfig::default()
        .with_text_buffer_size(16 << 20)
        .with_binary_buffer_size(16 << 20)
        .with_deflate(accepted.deflate.map(deflate_config));
    echo_session(s, Session::server(config, Instant::now())).await;
}

/// Echoes every message of `session` over `s` until it is finished.
pub async fn echo_session<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, mut session: Session) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    loop {
        let n = s.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            session.handle_eof(Instant::now());
        } else {
            session.handle_input(Instant::now(), &buf[..n]);
        }
        while let Some(event) = session.poll_event() {
            if let Event::Message(m) = event {
                let _ = session.send(Instant::now(), m);
            }
        }
        out.clear();
        session.transmit_into(&mut out);
        if !out.is_empty() && s.write_all(&out).await.is_err() {
            return;
        }
        if session.is_finished() || n == 0 {
            let _ = s.shutdown().await;
            return;
        }
    }
}

/// A test CA and a server certificate for `names`.
pub struct TestPki {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub server: Arc<rustls::ServerConfig>,
}

impl TestPki {
    pub fn new(names: &[&str]) -> Self {
        Self::with_versions(names, rustls::DEFAULT_VERSIONS)
    }

    pub fn with_versions(
        names: &[&str],
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ws-client test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let chain = vec![cert.der().clone()];
        let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .unwrap();
        TestPki {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
            server: Arc::new(server),
        }
    }

    /// The CA as a PKCS#12 trust store (a trusted-certificate entry, as keytool
    /// writes) with `password`.
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        let mut store = p12_keystore::KeyStore::new();
        let cert = p12_keystore::Certificate::from_der(&self.ca_der).unwrap();
        store.add_entry("test-ca", p12_keystore::KeyStoreEntry::Certificate(cert));
        store.writer(password).write().unwrap()
    }
}

/// A TLS echo server; `stall` makes it read the ClientHello and never answer.
pub async fn tls_echo_server(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let (l, addr) = listener().await;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(s).await else {
                    return;
                };
                let head = read_head(&mut tls).await;
                upgrade_and_echo(tls, &head, vec![]).await;
            });
        }
    });
    addr
}

/// Accepts TCP, reads whatever comes and never answers.
pub async fn silent_server() -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let mut buf = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await;
            held.push(s);
        }
    });
    addr
}

/// Writes `path` under the test's target dir and returns it.
pub fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ws-client-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Connects directly for a raw TCP check.
pub async fn tcp(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

/// Accepts one connection and completes the server handshake (no deflate).
pub async fn accept_session(l: &TcpListener) -> (TcpStream, Session) {
    let (mut s, _) = l.accept().await.unwrap();
    let head = read_head(&mut s).await;
    let mut hs = ServerHandshake::new(Limits::default());
    let request = hs.handle_input(&head).unwrap().unwrap();
    let server = ServerConfig {
        deflate: ws_handshake::DeflateConfig::disabled(),
        ..ServerConfig::default()
    };
    let accepted = request.accept(&server);
    s.write_all(&accepted.response()).await.unwrap();
    let config = SessionConfig::default()
        .with_text_buffer_size(16 << 20)
        .with_binary_buffer_size(16 << 20);
    (s, Session::server(config, Instant::now()))
}

/// Writes what the session has queued, then reads and collects events until `done`
/// says so or the session finishes.
pub async fn pump(
    s: &mut TcpStream,
    session: &mut Session,
    events: &mut Vec<Event>,
    done: impl Fn(&[Event]) -> bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    loop {
        while let Some(e) = session.poll_event() {
            events.push(e);
        }
        out.clear();
        session.transmit_into(&mut out);
        if s.write_all(&out).await.is_err() {
            // The peer is gone (it may have failed the connection mid-message).
            session.handle_eof(Instant::now());
            while let Some(e) = session.poll_event() {
                events.push(e);
            }
            return;
        }
        if done(events) || session.is_finished() {
            return;
        }
        let n = s.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            session.handle_eof(Instant::now());
        } else {
            session.handle_input(Instant::now(), &buf[..n]);
        }
    }
}

/// This project's server's echo endpoint, for tests that run the client against
/// `ws-server` (a dev-dependency): every message back, unchanged.
pub struct ServerEcho;

impl ws_server::Endpoint for ServerEcho {
    type State = ();

    async fn on_open(&self, _: &ws_server::SessionHandle) {}

    async fn on_message(
        &self,
        _: &mut (),
        session: &ws_server::SessionHandle,
        m: ws_server::Message,
    ) {
        let _ = session.send(m).await;
    }
}
