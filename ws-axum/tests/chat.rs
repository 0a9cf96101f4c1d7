//! The example application over real sockets: its page, the chat room over
//! HTTP/1.1 (ws-client) and HTTP/2 extended CONNECT (an h2 client), both on one
//! port at once, and the refusals (unknown `:protocol`, plain CONNECT, `:protocol`
//! where extended CONNECT is off, foreign `Origin`).

#[path = "../examples/chat/app.rs"]
#[allow(dead_code)]
mod app;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_axum::{Message, OriginPolicy, UpgradeConfig};
use ws_handshake::{ClientRequest, DeflateOffer, Limits, Outcome};
use ws_session::{Session, SessionConfig};
use ws_tokio::http2::H2Stream;
use ws_tokio::SessionInfo;

/// Generous bound on every wait: a hang fails the test instead of blocking CI.
const WAIT: Duration = Duration::from_secs(20);

async fn serve(config: UpgradeConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app::app(config)).await });
    addr
}

fn client_config() -> ws_client::ClientConfig {
    ws_client::ClientConfig::default().with_proxy(ws_client::Proxy::none())
}

/// Opens an HTTP/2 connection with prior knowledge and waits until the server's
/// SETTINGS have arrived (a PING's answer follows them).
async fn h2_connection(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, mut connection) = h2::client::handshake(tcp).await.unwrap();
    let mut ping = connection.ping_pong().expect("ping_pong");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    ping.ping(h2::Ping::opaque()).await.unwrap();
    client
}

/// Sends an extended CONNECT for `path` with `protocol` and `fields`; the response
/// head and the stream pair.
async fn h2_request(
    client: &mut h2::client::SendRequest<Bytes>,
    addr: SocketAddr,
    path: &str,
    protocol: Option<&str>,
    fields: &[(&str, &str)],
) -> Result<(http::Response<h2::RecvStream>, h2::SendStream<Bytes>), h2::Error> {
    let mut request = http::Request::builder()
        .method("CONNECT")
        .uri(format!("http://{addr}{path}"))
        .header("sec-websocket-version", "13");
    for (name, value) in fields {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).unwrap();
    if let Some(p) = protocol {
        request.extensions_mut().insert(h2::ext::Protocol::from(p));
    }
    let mut ready = client.clone().ready().await?;
    let (response, send) = ready.send_request(request, false)?;
    *client = ready;
    Ok((response.await?, send))
}

/// A client WebSocket on an HTTP/2 stream of `client`, made as a client does:
/// the request from `ws_handshake::ClientRequest::to_http2`, the answer checked by
/// `classify_http`, the session configured from what was negotiated.
async fn h2_websocket(
    client: &mut h2::client::SendRequest<Bytes>,
    addr: SocketAddr,
    path: &str,
    protocol: Option<&str>,
    deflate: bool,
) -> ws_tokio::WebSocket<H2Stream> {
    let mut offer = ClientRequest::new(&format!("ws://{addr}{path}"), [9; 16]).unwrap();
    if let Some(p) = protocol {
        offer = offer.protocol(p).unwrap();
    }
    if deflate {
        offer = offer.deflate(DeflateOffer::default());
    }
    let mut request = offer.to_http2();
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from(ws_handshake::WEBSOCKET_PROTOCOL));
    let mut ready = client.clone().ready().await.unwrap();
    let (response, send) = ready.send_request(request, false).unwrap();
    *client = ready;
    let (answer, body) = response.await.unwrap().into_parts();
    let Outcome::Accepted(established) = offer
        .handshake(Limits::default())
        .classify_http(&answer)
        .unwrap()
    else {
        panic!("{path}: not accepted: {}", answer.status);
    };
    let stream = H2Stream::new(send, body);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let masks = move || rand::Rng::random::<[u8; 4]>(&mut rng);
    let deflate = established
        .deflate
        .as_ref()
        .map(|p| ws_tokio::deflate_config(ws_session::DeflateConfig::default(), p));
    let config = SessionConfig::default().with_deflate(deflate);
    let session = Session::client(config, masks, Instant::now());
    let info = SessionInfo::new(path).with_deflate(established.deflate);
    ws_tokio::WebSocket::from_session(stream, session, info)
}

async fn next_text<S>(ws: &mut ws_tokio::WebSocket<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("in time")
    {
        Some(Ok(Message::Text(t))) => t,
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test]
async fn page_is_served_by_axum() {
    let addr = serve(UpgradeConfig::default()).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("new WebSocket("), "{page}");
}

/// One member over HTTP/1.1 (ws-client) and one over HTTP/2 (a stream of an h2
/// connection), in the same room on the same port at once.
#[tokio::test]
async fn http11_and_http2_members_chat_on_one_port() {
    let addr = serve(UpgradeConfig::default()).await;
    let config = client_config().with_protocol("chat");
    let mut a = ws_client::connect(&format!("ws://{addr}/chat"), &config)
        .await
        .unwrap();
    assert_eq!(a.protocol(), Some("chat"));
    assert_eq!(next_text(&mut a).await, "* Guest1 has joined");

    let mut client = h2_connection(addr).await;
    assert!(client.is_extended_connect_protocol_enabled());
    let mut b = h2_websocket(&mut client, addr, "/chat", Some("chat"), false).await;
    assert_eq!(next_text(&mut a).await, "* Guest2 has joined");
    assert_eq!(next_text(&mut b).await, "* Guest2 has joined");

    a.send(Message::Text("hello from HTTP/1.1".into()))
        .await
        .unwrap();
    assert_eq!(next_text(&mut b).await, "Guest1: hello from HTTP/1.1");
    assert_eq!(next_text(&mut a).await, "Guest1: hello from HTTP/1.1");
    b.send(Message::Text("hello from HTTP/2".into()))
        .await
        .unwrap();
    assert_eq!(next_text(&mut a).await, "Guest2: hello from HTTP/2");
    assert_eq!(next_text(&mut b).await, "Guest2: hello from HTTP/2");

    b.close().await.unwrap();
    assert!(tokio::time::timeout(WAIT, b.next())
        .await
        .unwrap()
        .is_none());
    assert_eq!(b.close_info().unwrap().code, ws_axum::CloseCode::NORMAL);
    assert_eq!(next_text(&mut a).await, "* Guest2 has left");
    a.close().await.unwrap();
}

/// The default policy is ws-server's: a client that offers `client_max_window_bits`
/// (ws-client does, as browsers do) is asked for 12 bits, and chats over it.
#[tokio::test]
async fn a_browser_like_offer_is_asked_for_a_12_bit_window_by_default() {
    let addr = serve(UpgradeConfig::default()).await;
    let config = client_config().with_protocol("chat").with_deflate(true);
    let mut a = ws_client::connect(&format!("ws://{addr}/chat"), &config)
        .await
        .unwrap();
    let params = a.deflate().copied().expect("deflate negotiated");
    assert_eq!(params.client_max_window_bits, Some(12));
    assert_eq!(next_text(&mut a).await, "* Guest1 has joined");
    let line = "{\"text\":\"hello, compressed\"} ".repeat(10);
    a.send(Message::Text(line.clone())).await.unwrap();
    assert_eq!(next_text(&mut a).await, format!("Guest1: {line}"));
    a.close().await.unwrap();
}

/// The server side reports the HTTP version: the proof of an extended CONNECT.
#[tokio::test]
async fn info_reports_the_http_version() {
    let addr = serve(UpgradeConfig::default()).await;
    let mut client = h2_connection(addr).await;
    let mut ws = h2_websocket(&mut client, addr, "/info", None, false).await;
    assert_eq!(next_text(&mut ws).await, "HTTP/2");
    let mut ws = ws_client::connect(&format!("ws://{addr}/info"), &client_config())
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, "HTTP/1.1");
}

/// Several WebSockets on one HTTP/2 connection, each echoing with deflate on.
#[tokio::test]
async fn streams_of_one_connection_echo_with_deflate() {
    let addr = serve(UpgradeConfig::default()).await;
    let mut client = h2_connection(addr).await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let ws = h2_websocket(&mut client, addr, "/echo", None, true).await;
        assert!(ws.deflate().is_some());
        sockets.push(ws);
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        let text = format!("{i}: {}", "compressible ".repeat(500));
        ws.send(Message::Text(text.clone())).await.unwrap();
        assert_eq!(next_text(ws).await, text);
    }
}

#[tokio::test]
async fn unknown_protocol_and_plain_connect_are_refused() {
    let addr = serve(UpgradeConfig::default()).await;
    let mut client = h2_connection(addr).await;
    let (response, _) = h2_request(&mut client, addr, "/echo", Some("webtransport"), &[])
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = read_body(response).await;
    assert!(body.contains("webtransport"), "{body}");

    // A plain CONNECT (authority-form, no :protocol) is a tunnel request.
    let request = http::Request::builder()
        .method("CONNECT")
        .uri(format!("{addr}"))
        .body(())
        .unwrap();
    let mut ready = client.clone().ready().await.unwrap();
    let (response, _send) = ready.send_request(request, false).unwrap();
    let response = response.await.unwrap();
    assert_ne!(response.status(), 200);
    assert!(response.status().is_client_error(), "{}", response.status());
}

#[tokio::test]
async fn foreign_origin_is_refused_over_both_versions() {
    let addr =
        serve(UpgradeConfig::default().with_origin_policy(OriginPolicy::same_origin())).await;
    let mut client = h2_connection(addr).await;
    let (response, _) = h2_request(
        &mut client,
        addr,
        "/echo",
        Some("websocket"),
        &[("origin", "https://evil.example")],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 403);
    let config = client_config().with_header("Origin", "https://evil.example");
    let e = ws_client::connect(&format!("ws://{addr}/echo"), &config)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ws_client::ConnectError::Rejected { status: 403, .. }),
        "{e}"
    );
}

/// RFC 8441 section 4: `:protocol` on a connection where the server did not send
/// SETTINGS_ENABLE_CONNECT_PROTOCOL is malformed (a stream error).
#[tokio::test]
async fn protocol_without_enable_connect_protocol_is_malformed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app::app(UpgradeConfig::default());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let service = hyper_util::service::TowerToHyperService::new(router);
        // hyper's HTTP/2 server without enable_connect_protocol().
        let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
            .await;
    });
    let mut client = h2_connection(addr).await;
    assert!(!client.is_extended_connect_protocol_enabled());
    let e = h2_request(&mut client, addr, "/echo", Some("websocket"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Some(h2::Reason::PROTOCOL_ERROR), "{e}");
}

async fn read_body(response: http::Response<h2::RecvStream>) -> String {
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    String::from_utf8(out).unwrap()
}
