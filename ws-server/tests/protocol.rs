//! Messages over loopback: echo (whole and partial, deflate), limits and protocol
//! errors with their close codes, control frames, session metadata.

mod common;

use bytes::Bytes;
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use ws_server::{
    CloseInfo, Endpoint, Error, Initiator, Message, MessageKind, PartialEcho, Server, SessionHandle,
};
use ws_session::{CloseCode, DeflateConfig, SessionConfig};

/// Echoes, and reports errors and closes to the test.
struct Recorder(mpsc::UnboundedSender<String>);

impl Endpoint for Recorder {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, m: Message) {
        let _ = s.send(m).await;
    }
    async fn on_error(&self, _: &mut Self::State, _: &SessionHandle, e: &Error) {
        let _ = self.0.send(format!("error {e}"));
    }
    async fn on_close(&self, _: &mut Self::State, _: &SessionHandle, c: &CloseInfo) {
        let _ = self.0.send(format!("close {} {:?}", c.code.0, c.initiator));
    }
}

async fn recorder_server() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Server::builder().build();
    server.add_endpoint("/rec", Recorder(tx)).unwrap();
    (start(&server).await, rx)
}

/// A masked client frame with a zero mask (payload as given).
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut f = vec![first, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

/// The close code in the first close frame in `bytes` (unmasked, from the server).
fn close_code(bytes: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i + 2 <= bytes.len() {
        let (op, len) = (bytes[i] & 0x0f, (bytes[i + 1] & 0x7f) as usize);
        assert!(len < 126, "test helper reads short frames only");
        if op == 8 && len >= 2 {
            return Some(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        }
        i += 2 + len;
    }
    None
}

#[tokio::test]
async fn echo_text_and_binary_whole() {
    let (_, addr) = serve("/echo", Echo).await;
    let mut c = connect(addr, "/echo").await;
    c.send("hello").await;
    assert_eq!(c.recv().await, Message::Text("hello".into()));
    let blob: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    c.send(blob.clone()).await;
    assert_eq!(c.recv().await, Message::Binary(blob.into()));
    // Many messages in one write come back in order.
    for i in 0..200 {
        c.session
            .send_text(std::time::Instant::now(), &format!("m{i}"))
            .unwrap();
    }
    c.flush().await;
    for i in 0..200 {
        assert_eq!(c.recv().await, Message::Text(format!("m{i}")));
    }
    c.close(CloseCode::NORMAL).await;
    let info = c.closed().await;
    assert_eq!(
        (info.code, info.initiator),
        (CloseCode::NORMAL, Initiator::Local)
    );
}

#[tokio::test]
async fn echo_partial_parts_as_they_come() {
    let (_, addr) = serve("/p", PartialEcho).await;
    let big = SessionConfig::default()
        .with_binary_buffer_size(1 << 20)
        .with_text_buffer_size(1 << 20);
    let mut c = connect_with(addr, "/p", |r| r, big).await.unwrap();
    // Larger than the 8 KiB buffer: partial delivery has no such limit.
    let blob: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    c.send(blob.clone()).await;
    assert_eq!(c.recv().await, Message::Binary(blob.into()));
    // Sent in parts, text.
    c.send_part(MessageKind::Text, "héllo ".as_bytes(), false)
        .await;
    c.send_part(MessageKind::Text, b"world", true).await;
    assert_eq!(c.recv().await, Message::Text("héllo world".into()));
}

#[tokio::test]
async fn deflate_is_negotiated_and_echoes() {
    let (_, addr) = serve("/echo", Echo).await;
    let mut c = connect_with(addr, "/echo", with_deflate, SessionConfig::default())
        .await
        .unwrap();
    assert!(c.established.deflate.is_some());
    let text = "compress me please ".repeat(300);
    c.send(text.as_str()).await;
    assert_eq!(c.recv().await, Message::Text(text));

    // Off on the server: declined.
    let server = Server::builder().deflate(false).build();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;
    let mut c = connect_with(addr, "/echo", with_deflate, SessionConfig::default())
        .await
        .unwrap();
    assert!(c.established.deflate.is_none());
    c.send("plain").await;
    assert_eq!(c.recv().await, Message::Text("plain".into()));
}

/// What a browser negotiates (`permessage-deflate; client_max_window_bits`, answered
/// with a 12-bit client window) keeps its meaning across many messages: the
/// server's decompressor goes back to its thread's pool at every message's end and
/// the next message is inflated from the kept window (`ws-session`'s
/// `INFLATE_BITS`). Four connections take turns on one thread, so a pooled
/// decompressor serves each of them in turn, and every message repeats text of the
/// ones before it: a lost or mixed-up context would fail to inflate (1007) or echo
/// the wrong text.
#[tokio::test]
async fn a_browser_offer_keeps_its_context_across_messages_and_connections() {
    use ws_handshake::{ClientMaxWindowBits, DeflateOffer};
    let (_, addr) = serve("/echo", Echo).await;
    let browser = |r: ws_handshake::ClientRequest| {
        r.deflate(DeflateOffer {
            client_max_window_bits: Some(ClientMaxWindowBits::Supported),
            ..DeflateOffer::default()
        })
    };
    let mut clients = Vec::new();
    for _ in 0..4 {
        let c = connect_with(addr, "/echo", browser, SessionConfig::default())
            .await
            .unwrap();
        let params = c.established.deflate.expect("deflate negotiated");
        assert_eq!(params.client_window_bits(), 12);
        assert!(!params.client_no_context_takeover);
        clients.push(c);
    }
    for round in 0..40usize {
        for (i, c) in clients.iter_mut().enumerate() {
            // A JSON-like record that shares most of its text with the previous
            // round's, and every seventh round one longer than the 4 KiB window.
            let repeat = if round % 7 == 6 { 150 } else { 6 };
            let text = format!(
                "{{\"connection\":{i},\"round\":{round},\"items\":[{}]}}",
                (0..repeat)
                    .map(|k| format!("{{\"id\":{k},\"name\":\"item {k} of {i}\"}}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            c.send(text.as_str()).await;
            assert_eq!(
                c.recv().await,
                Message::Text(text),
                "connection {i}, round {round}"
            );
        }
    }
}

#[tokio::test]
async fn oversized_whole_message_closes_with_1009() {
    let (addr, mut rx) = recorder_server().await;
    let mut c = connect(addr, "/rec").await;
    c.send("x".repeat(8193)).await;
    let info = c.closed().await;
    assert_eq!(info.code, CloseCode::MESSAGE_TOO_BIG);
    assert_eq!(info.initiator, Initiator::Remote);
    let first = guard(rx.recv()).await.unwrap();
    assert!(
        first.starts_with("error protocol error: message larger than"),
        "{first}"
    );
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1009 Local");
}

/// A raw socket to an echo server whose sessions start from `tuning`, upgraded
/// with `offer` (a `Sec-WebSocket-Extensions` line) and permessage-deflate agreed.
async fn deflate_echo_socket(tuning: DeflateConfig, offer: &str) -> tokio::net::TcpStream {
    let server = Server::builder()
        .session_config(SessionConfig::default().with_deflate(Some(tuning)))
        .build();
    server.add_endpoint("/echo", ws_server::Echo).unwrap();
    let addr = start(&server).await;
    let (head, tcp) = raw(addr, &upgrade_request(addr, "/echo", offer)).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("permessage-deflate"), "{head}");
    tcp
}

/// The deflate tuning given to the builder's session configuration reaches the
/// sessions (the handshake sets only the negotiated parameters on top of it): with a
/// threshold no message reaches, permessage-deflate is negotiated but the echo of a
/// 100-byte text goes out as it is (RSV1 clear); with the default threshold the
/// same echo is compressed (RSV1 set).
#[tokio::test]
async fn the_builders_deflate_tuning_reaches_the_session() {
    for (threshold, compressed) in [(usize::MAX, false), (32, true)] {
        let tuning = DeflateConfig::default().with_compression_threshold(threshold);
        let offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        let mut tcp = deflate_echo_socket(tuning, offer).await;
        tcp.write_all(&masked(0x81, &[b'a'; 100])).await.unwrap();
        let mut first = [0u8; 2];
        guard(tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut first))
            .await
            .unwrap();
        assert_eq!(first[0] & 0x0f, 0x1, "a text frame: {first:?}");
        assert_eq!(
            first[0] & 0x40 != 0,
            compressed,
            "threshold {threshold}: {first:?}"
        );
    }
}

/// Over a real socket: a browser-like client that negotiated permessage-deflate
/// sends random binary messages of 1 KiB (plain, as RFC 7692 allows). ws-server's
/// echoes are compressed for the first, then plain for pauses of 2, 4 and 8
/// messages between looks (`DeflateConfig::skip_incompressible`, on by default),
/// and a plain echo carries the message as sent; with the setting off, every echo
/// is compressed.
#[tokio::test]
async fn random_binary_echoes_go_plain_between_looks_over_a_socket() {
    for (skip, expected) in [(true, "c..c....c........c"), (false, "cccccccccccccccccc")] {
        let tuning = DeflateConfig::default().with_skip_incompressible(skip);
        let offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
        let mut tcp = deflate_echo_socket(tuning, offer).await;
        let mut marks = String::new();
        for i in 0..expected.len() {
            let body = ws_session::fuzzing::noise(i as u64, 1024);
            // A masked binary frame of 1,024 bytes with a zero mask.
            let mut frame = vec![0x82, 0x80 | 126, 0x04, 0x00, 0, 0, 0, 0];
            frame.extend_from_slice(&body);
            tcp.write_all(&frame).await.unwrap();
            let mut head = [0u8; 2];
            guard(tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut head))
                .await
                .unwrap();
            assert_eq!(head[0] & 0x0f, 0x2, "message {i}: a binary frame: {head:?}");
            let len = match head[1] {
                126 => {
                    let mut ext = [0u8; 2];
                    guard(tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut ext))
                        .await
                        .unwrap();
                    u16::from_be_bytes(ext) as usize
                }
                n => panic!("message {i}: length byte {n}, expected 126"),
            };
            let mut payload = vec![0u8; len];
            guard(tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut payload))
                .await
                .unwrap();
            if head[0] & 0x40 != 0 {
                marks.push('c');
            } else {
                marks.push('.');
                assert_eq!(payload, body, "message {i}: a plain echo is the message");
            }
        }
        assert_eq!(marks, expected, "skip_incompressible {skip}");
    }
}

#[tokio::test]
async fn bad_utf8_closes_with_1007() {
    let (addr, mut rx) = recorder_server().await;
    let (head, mut tcp) = raw(addr, &upgrade_request(addr, "/rec", "")).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp.write_all(&masked(0x81, &[b'o', b'k', 0xff, 0xfe]))
        .await
        .unwrap();
    let reply = read_to_end(&mut tcp).await;
    assert_eq!(close_code(&reply), Some(1007));
    assert!(guard(rx.recv()).await.unwrap().contains("UTF-8"));
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1007 Local");
}

#[tokio::test]
async fn unmasked_client_frame_closes_with_1002() {
    let (addr, mut rx) = recorder_server().await;
    let (head, mut tcp) = raw(addr, &upgrade_request(addr, "/rec", "")).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    let reply = read_to_end(&mut tcp).await;
    assert_eq!(close_code(&reply), Some(1002));
    assert!(guard(rx.recv()).await.unwrap().contains("unmasked"));
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1002 Local");
}

#[tokio::test]
async fn peer_vanishing_is_reported_as_1006() {
    let (addr, mut rx) = recorder_server().await;
    let c = connect(addr, "/rec").await;
    drop(c);
    // An end without a close handshake is an error for both roles (ws-tokio's one
    // rule): on_error, then on_close.
    assert_eq!(
        guard(rx.recv()).await.unwrap(),
        "error connection failed: 1006 connection ended without a close frame"
    );
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1006 Remote");
}

/// Reports its metadata on open, answers pongs, closes on "bye".
struct Meta;

#[derive(Clone)]
struct Counter(u32);

impl Endpoint for Meta {
    type State = ();

    fn protocols(&self) -> Vec<String> {
        vec!["chat".into(), "superchat".into()]
    }
    async fn on_open(&self, s: &SessionHandle) {
        s.properties().insert(Counter(0));
        let text = format!(
            "{} {} {:?} {:?} {:?} {}",
            s.endpoint_path(),
            s.path(),
            s.path_param("room"),
            s.query(),
            s.protocol(),
            s.open_sessions().len()
        );
        s.send_text(text).await.unwrap();
        s.ping(b"p1").unwrap();
    }
    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, m: Message) {
        let n = s.properties().get::<Counter>().unwrap().0 + 1;
        s.properties().insert(Counter(n));
        if m == Message::Text("bye".into()) {
            s.close(CloseCode::NORMAL, "done").unwrap();
        } else {
            s.send_text(format!("{n}")).await.unwrap();
        }
    }
    async fn on_pong(&self, _: &mut Self::State, s: &SessionHandle, payload: Bytes) {
        let text = format!("pong:{}", String::from_utf8_lossy(&payload));
        s.send_text(text).await.unwrap();
    }
}

#[tokio::test]
async fn metadata_properties_control_frames_and_server_close() {
    let (_, addr) = serve("/rooms/{room}", Meta).await;
    let offer =
        |r: ws_handshake::ClientRequest| r.protocol("superchat").unwrap().protocol("chat").unwrap();
    let mut c = connect_with(addr, "/rooms/blue?x=1", offer, SessionConfig::default())
        .await
        .unwrap();
    assert_eq!(c.established.protocol.as_deref(), Some("superchat"));
    assert_eq!(
        c.recv().await,
        Message::Text(
            r#"/rooms/{room} /rooms/blue Some("blue") Some("x=1") Some("superchat") 1"#.into()
        )
    );
    // The server's ping went out ahead of the text; our automatic pong reached on_pong.
    assert_eq!(c.recv().await, Message::Text("pong:p1".into()));
    c.session.pong(std::time::Instant::now(), b"hb").unwrap();
    c.flush().await;
    assert_eq!(c.recv().await, Message::Text("pong:hb".into()));
    c.send("a").await;
    assert_eq!(c.recv().await, Message::Text("1".into()));
    c.send("b").await;
    assert_eq!(c.recv().await, Message::Text("2".into()));
    c.send("bye").await;
    let info = c.closed().await;
    assert_eq!(
        (info.code.0, info.initiator, info.reason.as_str()),
        (1000, Initiator::Remote, "done")
    );
}

/// Counts `on_open` calls.
struct Opens(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Endpoint for Opens {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_client_that_saw_the_101_knows_on_open_has_run() {
    let opens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (_, addr) = serve("/o", Opens(opens.clone())).await;
    for n in 1..=20 {
        let _c = connect(addr, "/o").await;
        assert_eq!(opens.load(std::sync::atomic::Ordering::SeqCst), n);
    }
}

/// Closes the session from `on_message`; gives the peer 300 ms to answer.
struct ClosesOnMessage(mpsc::UnboundedSender<String>);

impl Endpoint for ClosesOnMessage {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        config.with_session_close_timeout(std::time::Duration::from_millis(300))
    }
    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, _: Message) {
        s.close(CloseCode::NORMAL, "bye").unwrap();
    }
    async fn on_close(&self, _: &mut Self::State, _: &SessionHandle, c: &CloseInfo) {
        let _ = self.0.send(format!("close {} {:?}", c.code.0, c.initiator));
    }
}

/// A close started by a callback arms the close-handshake timer: the driver runs
/// callbacks inside its I/O wait, whose timer was set before, so `close()` must wake
/// it to re-arm even though plain sends from a callback do not. A peer that never
/// answers is dropped after the timeout, not kept forever.
#[tokio::test]
async fn close_from_a_callback_times_out_against_a_silent_peer() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_, addr) = serve("/close", ClosesOnMessage(tx)).await;
    let (head, mut tcp) = raw(addr, &upgrade_request(addr, "/close", "")).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let started = std::time::Instant::now();
    tcp.write_all(&masked(0x81, b"hi")).await.unwrap();
    // We never answer the close: the server ends the connection on its own.
    let reply = read_to_end(&mut tcp).await;
    assert_eq!(close_code(&reply), Some(1000));
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1006 Local");
}
