//! A minimal test client built from `ws-handshake` + `ws-session` over any tokio
//! stream, plus raw-byte helpers for hostile peers.
#![allow(dead_code)]

pub mod command;
pub mod faults;
pub mod in_order;
pub mod process;
pub mod trust;
pub mod wire;

/// The demo server's `/http-version` endpoint: names the HTTP version a session
/// arrived over, then echoes (one copy for the demo and the tests of both roles).
#[path = "../../src/bin/ws-server/demo/version.rs"]
pub mod version;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_handshake::{ClientRequest, DeflateOffer, Established, Limits, Outcome};
use ws_server::{Endpoint, Message, Server};
use ws_session::{CloseCode, CloseInfo, Event, MessageKind, Session, SessionConfig};

/// Hang guard for every await in the tests (never a timing assertion).
pub const GUARD: Duration = Duration::from_secs(20);

pub async fn guard<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(GUARD, f)
        .await
        .expect("test hang guard expired")
}

/// The library's echo endpoint, which the tests deploy at `/echo`.
#[allow(unused_imports)] // each test binary uses part of this module
pub use ws_server::Echo;

/// Starts `server` on a free loopback port.
pub async fn start(server: &Server) -> SocketAddr {
    let listener = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.clone().serve(listener));
    addr
}

/// A server with `endpoint` deployed at `path`, started on a free loopback port.
pub async fn serve(path: &str, endpoint: impl Endpoint) -> (Server, SocketAddr) {
    let server = Server::builder().build();
    server.add_endpoint(path, endpoint).unwrap();
    let addr = start(&server).await;
    (server, addr)
}

fn nonce() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mut out = [0x5a; 16];
    out[..8].copy_from_slice(&n.to_le_bytes());
    out
}

pub struct Client<S> {
    pub stream: S,
    pub session: Session,
    pub established: Established,
    pub eof: bool,
}

/// The outcome of a connect that was not a 101.
#[derive(Debug)]
pub struct Refused(pub u16);

pub async fn connect(addr: SocketAddr, path: &str) -> Client<TcpStream> {
    connect_with(addr, path, |r| r, SessionConfig::default())
        .await
        .expect("upgrade refused")
}

pub async fn connect_with(
    addr: SocketAddr,
    path: &str,
    req: impl FnOnce(ClientRequest) -> ClientRequest,
    config: SessionConfig,
) -> Result<Client<TcpStream>, Refused> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    handshake(tcp, &format!("ws://{addr}{path}"), req, config).await
}

pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    uri: &str,
    req: impl FnOnce(ClientRequest) -> ClientRequest,
    config: SessionConfig,
) -> Result<Client<S>, Refused> {
    let request = req(ClientRequest::new(uri, nonce()).unwrap());
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut hs = request.handshake(Limits::default());
    let mut buf = vec![0u8; 4096];
    let (outcome, leftover) = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed during the handshake");
        if let Some(r) = hs.handle_input(&buf[..n]).unwrap() {
            break r;
        }
    };
    let established = match outcome {
        Outcome::Accepted(e) => e,
        Outcome::Rejected(r) => return Err(Refused(r.status.0)),
        other => panic!("unexpected outcome {other:?}"),
    };
    let deflate = established.deflate.map(|p| {
        ws_session::DeflateConfig::default()
            .with_server_no_context_takeover(p.server_no_context_takeover)
            .with_client_no_context_takeover(p.client_no_context_takeover)
            .with_server_max_window_bits(p.server_window_bits())
            .with_client_max_window_bits(p.client_window_bits())
    });
    let mut n = 0u8;
    let masks = move || {
        n = n.wrapping_add(1);
        [n, 0x37, 0x91, 0xc4]
    };
    let mut session = Session::client(config.with_deflate(deflate), masks, Instant::now());
    session.handle_input(Instant::now(), &leftover);
    Ok(Client {
        stream,
        session,
        established,
        eof: false,
    })
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub async fn flush(&mut self) {
        let mut out = Vec::new();
        self.session.transmit_into(&mut out);
        if !out.is_empty() {
            let _ = self.stream.write_all(&out).await;
        }
    }

    pub async fn send(&mut self, message: impl Into<Message>) {
        self.session.send(Instant::now(), message).unwrap();
        self.flush().await;
    }

    pub async fn send_part(&mut self, kind: MessageKind, data: &[u8], last: bool) {
        self.session
            .send_part(Instant::now(), kind, data.to_vec(), last)
            .unwrap();
        self.flush().await;
    }

    pub async fn close(&mut self, code: CloseCode) {
        self.session.close(Instant::now(), code, "bye").unwrap();
        self.flush().await;
    }

    /// The next event (reading as needed); `None` once the transport ended.
    pub async fn event(&mut self) -> Option<Event> {
        guard(async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                if let Some(e) = self.session.poll_event() {
                    self.flush().await;
                    return Some(e);
                }
                if self.eof {
                    return None;
                }
                let n = self.stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    self.eof = true;
                    self.session.handle_eof(Instant::now());
                } else {
                    self.session.handle_input(Instant::now(), &buf[..n]);
                }
            }
        })
        .await
    }

    /// The next data message (skipping pings and pongs); panics on close.
    pub async fn recv(&mut self) -> Message {
        loop {
            match self.event().await {
                Some(Event::Message(m)) => return m,
                Some(Event::Ping(_) | Event::Pong(_)) => {}
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// Reads until the session closes; returns its close info.
    pub async fn closed(&mut self) -> CloseInfo {
        loop {
            match self.event().await {
                Some(Event::Closed(info)) => return info,
                Some(_) => {}
                None => panic!("transport ended without a Closed event"),
            }
        }
    }
}

/// Sends `request` raw and returns the response head (up to the blank line) and the
/// stream.
pub async fn raw(addr: SocketAddr, request: &str) -> (String, TcpStream) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut tcp).await;
    (head, tcp)
}

pub async fn read_head(tcp: &mut TcpStream) -> String {
    String::from_utf8(guard(wire::read_head_bytes(tcp)).await).unwrap()
}

/// A valid upgrade request for `path` with extra header lines.
pub fn upgrade_request(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Offers permessage-deflate.
pub fn with_deflate(r: ClientRequest) -> ClientRequest {
    r.deflate(DeflateOffer::default())
}

/// Reads until the server ends the transport; returns every byte received.
pub async fn read_to_end(tcp: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    guard(tcp.read_to_end(&mut out)).await.ok();
    out
}
