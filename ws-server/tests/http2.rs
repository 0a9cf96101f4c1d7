//! HTTP/2 on the server's own listener (RFC 8441) over real sockets: prior
//! knowledge and ALPN, both versions on one port, static pages, refusals, resets,
//! flow control with a stream that stops reading, graceful shutdown.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use common::trust::trusting;
use common::version::HttpVersionReport;
use common::{guard, start, Echo};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use ws_handshake::{ClientRequest, DeflateOffer, Limits, Outcome};
use ws_server::{CloseCode, CloseInfo, Endpoint, Message, PartialEcho, Server, SessionHandle};
use ws_session::{Session, SessionConfig};
use ws_tokio::http2::H2Stream;
use ws_tokio::{SessionInfo, WebSocket};

/// Connects with prior knowledge (or over `io`) and waits for the server's
/// SETTINGS (a PING's answer follows them). Returns the request handle and the
/// connection task.
async fn h2_over<T>(io: T) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<()>)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, mut connection) = h2::client::Builder::new()
        .initial_window_size(256 * 1024)
        .initial_connection_window_size(8 << 20)
        .handshake(io)
        .await
        .unwrap();
    let mut ping = connection.ping_pong().unwrap();
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    guard(ping.ping(h2::Ping::opaque())).await.unwrap();
    (client, task)
}

async fn h2(addr: SocketAddr) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<()>) {
    h2_over(TcpStream::connect(addr).await.unwrap()).await
}

/// Sends `request` and waits for the response head.
async fn send(
    client: &mut h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
) -> Result<(http::Response<h2::RecvStream>, h2::SendStream<Bytes>), h2::Error> {
    let mut ready = client.clone().ready().await?;
    let (response, stream) = ready.send_request(request, false)?;
    *client = ready;
    Ok((guard(response).await?, stream))
}

/// An extended CONNECT for `path` with `:protocol = protocol`.
fn connect_request(addr: SocketAddr, path: &str, protocol: &str) -> http::Request<()> {
    let mut request = ClientRequest::new(&format!("ws://{addr}{path}"), [1; 16])
        .unwrap()
        .to_http2();
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from(protocol));
    request
}

/// A client WebSocket on a new stream of `client`; `deflate` offers compression.
async fn websocket(
    client: &mut h2::client::SendRequest<Bytes>,
    addr: SocketAddr,
    path: &str,
    deflate: bool,
    config: SessionConfig,
) -> WebSocket<H2Stream> {
    let mut offer = ClientRequest::new(&format!("ws://{addr}{path}"), [1; 16]).unwrap();
    if deflate {
        offer = offer.deflate(DeflateOffer::default());
    }
    let mut request = offer.to_http2();
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("websocket"));
    let (response, send_stream) = send(client, request).await.unwrap();
    let (head, body) = response.into_parts();
    let Outcome::Accepted(established) = offer
        .handshake(Limits::default())
        .classify_http(&head)
        .unwrap()
    else {
        panic!("{path}: refused with {}", head.status);
    };
    let deflate = established
        .deflate
        .as_ref()
        .map(|p| ws_tokio::deflate_config(ws_session::DeflateConfig::default(), p));
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let masks = move || rand::Rng::random::<[u8; 4]>(&mut rng);
    let session = Session::client(config.with_deflate(deflate), masks, Instant::now());
    let info = SessionInfo::new(path).with_deflate(established.deflate);
    WebSocket::from_session(H2Stream::new(send_stream, body), session, info)
}

async fn body_text(response: http::Response<h2::RecvStream>) -> String {
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(chunk) = guard(body.data()).await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    String::from_utf8(out).unwrap()
}

fn server() -> Server {
    let server = Server::builder().build();
    server.add_endpoint("/echo", Echo).unwrap();
    server.add_endpoint("/version", HttpVersionReport).unwrap();
    server
        .add_static("/page.html", "text/html", "<h1>over HTTP/2 too</h1>")
        .unwrap();
    server
}

async fn text(ws: &mut WebSocket<H2Stream>) -> String {
    match guard(ws.next()).await {
        Some(Ok(Message::Text(t))) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

/// HTTP/1.1 and HTTP/2 (prior knowledge) clients on one port at once, WebSockets
/// and the static page on both; the session knows how it arrived.
#[tokio::test]
async fn http11_and_http2_on_one_port() {
    let server = server();
    let addr = start(&server).await;
    let mut old = common::connect(addr, "/version").await;
    assert_eq!(old.recv().await, Message::Text("HTTP/1.1".into()));
    let (mut client, _task) = h2(addr).await;
    assert!(client.is_extended_connect_protocol_enabled());
    let mut ws = websocket(
        &mut client,
        addr,
        "/version",
        true,
        SessionConfig::default(),
    )
    .await;
    assert!(ws.deflate().is_some());
    assert_eq!(text(&mut ws).await, "HTTP/2");
    old.send("still HTTP/1.1").await;
    assert_eq!(old.recv().await, Message::Text("still HTTP/1.1".into()));
    ws.send(Message::Text("over a stream".into()))
        .await
        .unwrap();
    assert_eq!(text(&mut ws).await, "over a stream");

    let page = http::Request::builder()
        .uri(format!("http://{addr}/page.html"))
        .body(())
        .unwrap();
    let (response, _) = send(&mut client, page).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(body_text(response).await, "<h1>over HTTP/2 too</h1>");

    ws.close().await.unwrap();
    assert!(guard(ws.next()).await.is_none());
    assert_eq!(ws.close_info().unwrap().code, CloseCode::NORMAL);
}

/// Under TLS the server offers `h2` and `http/1.1` by ALPN.
#[tokio::test]
async fn alpn_chooses_http2_under_tls() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let tls = ws_server::TlsConfig::from_pem(
        generated.cert.pem().as_bytes(),
        generated.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let server = Server::builder().tls(tls).build();
    server.add_endpoint("/version", HttpVersionReport).unwrap();
    let addr = start(&server).await;
    for (alpn, expect) in [(&b"h2"[..], "HTTP/2"), (&b"http/1.1"[..], "HTTP/1.1")] {
        let mut config = trusting(generated.cert.der().clone());
        config.alpn_protocols = vec![alpn.to_vec()];
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
        if expect == "HTTP/2" {
            let (mut client, _task) = h2_over(tls).await;
            let mut ws = websocket(
                &mut client,
                addr,
                "/version",
                false,
                SessionConfig::default(),
            )
            .await;
            assert_eq!(text(&mut ws).await, expect);
        } else {
            let uri = format!("wss://localhost:{}/version", addr.port());
            let mut c = common::handshake(tls, &uri, |r| r, SessionConfig::default())
                .await
                .unwrap();
            assert_eq!(c.recv().await, Message::Text(expect.into()));
        }
    }
}

#[tokio::test]
async fn unknown_protocol_and_plain_connect_are_refused() {
    let server = server();
    let addr = start(&server).await;
    let (mut client, _task) = h2(addr).await;
    let (response, _) = send(&mut client, connect_request(addr, "/echo", "webtransport"))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(body_text(response).await.contains("webtransport"));

    // A tunnel request: no :protocol, authority-form.
    let plain = http::Request::builder()
        .method("CONNECT")
        .uri(format!("{addr}"))
        .body(())
        .unwrap();
    let (response, _) = send(&mut client, plain).await.unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());

    // No endpoint: 404; the connection serves on.
    let (response, _) = send(&mut client, connect_request(addr, "/nowhere", "websocket"))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let mut ws = websocket(&mut client, addr, "/echo", false, SessionConfig::default()).await;
    ws.send(Message::Text("still serving".into()))
        .await
        .unwrap();
    assert_eq!(text(&mut ws).await, "still serving");
}

/// RFC 8441 section 4: `:protocol` where the server did not enable extended
/// CONNECT is malformed; HTTP/2 still serves the pages.
#[tokio::test]
async fn protocol_without_enable_connect_protocol_is_malformed() {
    let server = Server::builder().websockets_over_http2(false).build();
    server.add_endpoint("/echo", Echo).unwrap();
    server.add_static("/", "text/plain", "hi").unwrap();
    let addr = start(&server).await;
    let (mut client, _task) = h2(addr).await;
    assert!(!client.is_extended_connect_protocol_enabled());
    let e = send(&mut client, connect_request(addr, "/echo", "websocket"))
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Some(h2::Reason::PROTOCOL_ERROR), "{e}");
    let page = http::Request::builder()
        .uri(format!("http://{addr}/"))
        .body(())
        .unwrap();
    let (response, _) = send(&mut client, page).await.unwrap();
    assert_eq!(body_text(response).await, "hi");
}

/// Reports every session's close to the test.
struct Reporting(mpsc::UnboundedSender<CloseInfo>);

impl Endpoint for Reporting {
    type State = ();
    async fn on_open(&self, _: &SessionHandle) {}
    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        if message == Message::Text("terminate".into()) {
            session.terminate();
        }
    }
    async fn on_close(&self, _: &mut (), _: &SessionHandle, close: &CloseInfo) {
        let _ = self.0.send(close.clone());
    }
}

/// A reset by the client in the middle of a message is an abnormal close (1006)
/// for the server; a session the server ends abnormally resets its stream
/// (RST_STREAM with CANCEL).
#[tokio::test]
async fn stream_resets_both_ways() {
    let (tx, mut closes) = mpsc::unbounded_channel();
    let server = Server::builder().build();
    server.add_endpoint("/r", Reporting(tx)).unwrap();
    let addr = start(&server).await;
    let (mut client, _task) = h2(addr).await;

    // Half of a masked 1000-byte binary frame, then RST_STREAM(CANCEL).
    let (response, mut stream) = send(&mut client, connect_request(addr, "/r", "websocket"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut frame = vec![0x82, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4];
    frame.extend_from_slice(&[0u8; 500]);
    stream.reserve_capacity(frame.len());
    stream.send_data(Bytes::from(frame), false).unwrap();
    // The session has read the half message once the server's window update for
    // it comes back; the reset then lands mid-message.
    tokio::task::yield_now().await;
    stream.send_reset(h2::Reason::CANCEL);
    let close = guard(closes.recv()).await.unwrap();
    assert_eq!(close.code, CloseCode::ABNORMAL);

    // The server terminates a session: the client sees its stream reset.
    let (response, mut stream) = send(&mut client, connect_request(addr, "/r", "websocket"))
        .await
        .unwrap();
    let mut body = response.into_body();
    let mut frame = vec![0x81, 0x80 | 9, 9, 9, 9, 9];
    frame.extend(b"terminate".iter().map(|b| b ^ 9));
    stream.send_data(Bytes::from(frame), false).unwrap();
    let e = loop {
        match guard(body.data()).await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("stream ended cleanly, expected a reset"),
        }
    };
    assert_eq!(e.reason(), Some(h2::Reason::CANCEL), "{e}");
    assert_eq!(
        guard(closes.recv()).await.unwrap().code,
        CloseCode::ABNORMAL
    );
}

/// 100 WebSockets on one HTTP/2 connection each echo 1 MiB while one more stream
/// sends 1 MiB and never reads its echo: flow control stops that stream only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_streams_echo_while_one_stops_reading() {
    const SIZE: usize = 1 << 20;
    let server = Server::builder().build();
    // Part by part: bounded memory whatever the messages' size.
    server.add_endpoint("/echo", PartialEcho).unwrap();
    let addr = start(&server).await;
    let (mut client, _task) = h2(addr).await;

    // The stuck stream: a masked 1 MiB binary frame sent, its echo never read.
    let (response, mut stuck) = send(&mut client, connect_request(addr, "/echo", "websocket"))
        .await
        .unwrap();
    let _unread = response.into_body();
    let mut frame = vec![0x82, 0x80 | 127];
    frame.extend_from_slice(&(SIZE as u64).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.resize(frame.len() + SIZE, 7);
    stuck.reserve_capacity(frame.len());
    stuck.send_data(Bytes::from(frame), false).unwrap();

    let config = SessionConfig::default().with_binary_buffer_size(2 * SIZE);
    let mut sockets = Vec::new();
    for _ in 0..100 {
        sockets.push(websocket(&mut client, addr, "/echo", false, config.clone()).await);
    }
    // Each socket writes and reads at once (split halves), as an echo needs once
    // the message exceeds the windows.
    let echoes = sockets.into_iter().enumerate().map(|(i, ws)| async move {
        let payload = Bytes::from(vec![i as u8; SIZE]);
        let (mut read, mut write) = ws.split();
        let (sent, echoed) =
            tokio::join!(write.send(Message::Binary(payload.clone())), read.next());
        sent.unwrap();
        match echoed {
            Some(Ok(Message::Binary(b))) => assert!(b == payload, "stream {i}: echo differs"),
            other => panic!("stream {i}: {other:?}"),
        }
        write.close().await.unwrap();
    });
    guard(futures::future::join_all(echoes)).await;
    // The stuck stream is still open, its data unread: nothing was lost or reset.
    assert!(!server.open_sessions().is_empty());
}

/// Graceful shutdown over HTTP/2: 1001 on every stream, then GOAWAY ends the
/// connection.
#[tokio::test]
async fn shutdown_sends_1001_and_goaway() {
    let server = server();
    let addr = start(&server).await;
    let (mut client, task) = h2(addr).await;
    let mut a = websocket(&mut client, addr, "/echo", false, SessionConfig::default()).await;
    let mut b = websocket(&mut client, addr, "/echo", true, SessionConfig::default()).await;
    a.send(Message::Text("a".into())).await.unwrap();
    assert_eq!(text(&mut a).await, "a");
    let shutdown = {
        let server = server.clone();
        tokio::spawn(async move { server.shutdown(std::time::Duration::from_secs(10)).await })
    };
    for ws in [&mut a, &mut b] {
        // The close handshake completes; the stream ends cleanly.
        while let Some(m) = guard(ws.next()).await {
            m.unwrap();
        }
        assert_eq!(ws.close_info().unwrap().code, CloseCode::GOING_AWAY);
    }
    guard(shutdown).await.unwrap();
    guard(task).await.unwrap();
    assert_eq!(server.connections(), 0);
}
