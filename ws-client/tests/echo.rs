//! Round trips over both APIs against loopback echo servers, and the response checks.

mod support;

use std::sync::mpsc as std_mpsc;

use futures::{SinkExt, StreamExt};
use std::time::Duration;
use support::{config, echo_server, scripted, Reply};
use tokio::io::AsyncWriteExt;

use ws_client::{
    connect, connect_endpoint, Bytes, CloseCause, CloseCode, CloseInfo, ConnectError, Delivery,
    Endpoint, Message, MessageKind, SessionHandle, TimeoutKind,
};

#[tokio::test]
async fn stream_sink_round_trips_text_binary_large() {
    let addr = echo_server().await;
    let cfg = config();
    let mut ws = connect(&format!("ws://{addr}/echo"), &cfg).await.unwrap();
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let messages = vec![
        Message::Text("hello".into()),
        Message::Binary(Bytes::from_static(&[0, 1, 2, 255])),
        Message::Text(String::new()),
        Message::Binary(Bytes::from(large)),
        Message::Text("é€😀".repeat(1000)),
    ];
    for m in &messages {
        ws.send(m.clone()).await.unwrap();
    }
    for m in &messages {
        assert_eq!(&ws.next().await.unwrap().unwrap(), m);
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    let info = ws.close_info().unwrap();
    assert_eq!(info.code, CloseCode::NORMAL);
}

#[tokio::test]
async fn without_deflate_and_many_small_messages() {
    let addr = echo_server().await;
    let cfg = config().with_deflate(false);
    let ws = connect(&format!("ws://{addr}/"), &cfg).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    let writer = tokio::spawn(async move {
        for i in 0..2000 {
            tx.feed(Message::Text(format!("m{i}"))).await.unwrap();
        }
        tx.flush().await.unwrap();
        tx
    });
    for i in 0..2000 {
        assert_eq!(
            rx.next().await.unwrap().unwrap(),
            Message::Text(format!("m{i}"))
        );
    }
    let mut tx = writer.await.unwrap();
    tx.close().await.unwrap();
    assert!(rx.next().await.is_none());
}

#[tokio::test]
async fn fragmented_send_is_echoed_whole() {
    let addr = echo_server().await;
    let mut ws = connect(&format!("ws://{addr}/"), &config()).await.unwrap();
    // A message sent in parts through the writer, with a ping between its frames.
    let mut writer = ws.send_writer(MessageKind::Text);
    writer.write_all(b"frag").await.unwrap();
    writer.ping(b"between").unwrap();
    writer.write_all(b"mented").await.unwrap();
    writer.shutdown().await.unwrap();
    // Fragments from the session's fragment size too.
    ws.send(Message::Binary(Bytes::from(vec![7u8; 100_000])))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("fragmented".into())
    );
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Binary(Bytes::from(vec![7u8; 100_000]))
    );
    ws.close_with(CloseCode::GOING_AWAY, "done").unwrap();
    assert!(ws.next().await.is_none());
    assert_eq!(ws.close_info().unwrap().code, CloseCode::GOING_AWAY);
}

/// Records callbacks; answers the first echo with a binary message.
struct Recorder {
    out: std_mpsc::Sender<String>,
}

impl Endpoint for Recorder {
    type State = ();

    fn binary_delivery(&self) -> Delivery {
        Delivery::Partial
    }
    async fn on_open(&self, session: &SessionHandle) {
        session.send_text("from on_open").await.unwrap();
        self.out.send("open".into()).unwrap();
    }
    async fn on_message(&self, _: &mut Self::State, session: &SessionHandle, message: Message) {
        self.out.send(format!("message {message:?}")).unwrap();
        if message == Message::Text("from on_open".into()) {
            session
                .send_binary(Bytes::from_static(b"bin"))
                .await
                .unwrap();
        }
    }
    async fn on_part(
        &self,
        _: &mut Self::State,
        _: &SessionHandle,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) {
        self.out
            .send(format!("part {kind:?} {} {last}", data.len()))
            .unwrap();
    }
    async fn on_pong(&self, _: &mut Self::State, _: &SessionHandle, payload: Bytes) {
        self.out.send(format!("pong {payload:?}")).unwrap();
    }
    async fn on_close(&self, _: &mut Self::State, _: &SessionHandle, info: &CloseInfo) {
        self.out.send(format!("close {}", info.code.0)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_api_whole_partial_pong_blocking_close() {
    let addr = echo_server().await;
    let (tx, rx) = std_mpsc::channel();
    let mut cfg = config();
    cfg.session = cfg.session.with_binary_buffer_size(1000);
    let handle = connect_endpoint(&format!("ws://{addr}/"), &cfg, Recorder { out: tx })
        .await
        .unwrap();
    let next = move || rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
    assert_eq!(next(), "open");
    assert_eq!(next(), "message Text(\"from on_open\")");
    assert_eq!(next(), "part Binary 3 true");
    handle.ping(b"p").unwrap();
    assert_eq!(next(), "pong b\"p\"");
    // A blocking send from a thread outside the runtime.
    let h = handle.clone();
    std::thread::spawn(move || h.send_blocking(Message::Binary(Bytes::from(vec![1u8; 2500]))))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(next(), "part Binary 1000 false");
    assert_eq!(next(), "part Binary 1000 false");
    assert_eq!(next(), "part Binary 500 true");
    handle.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(next(), "close 1000");
    assert!(!handle.is_open());
}

#[tokio::test]
async fn subprotocol_negotiated_and_headers_sent() {
    let (addr, log) = scripted(|_| Reply::Echo(vec!["b".into()])).await;
    let mut cfg = config()
        .with_protocol("a")
        .with_protocol("b")
        .with_header("X-Test", "1");
    cfg.settings = cfg
        .settings
        .clone()
        .with_default_origin(Some("https://origin.example".into()));
    let ws = connect(&format!("ws://{addr}/p?q=1"), &cfg).await.unwrap();
    assert_eq!(ws.protocol(), Some("b"));
    let head = log.lock().unwrap()[0].clone();
    assert!(head.starts_with("GET /p?q=1 HTTP/1.1\r\n"));
    assert_eq!(support::header(&head, "X-Test"), Some("1"));
    assert_eq!(
        support::header(&head, "Origin"),
        Some("https://origin.example")
    );
    assert_eq!(
        support::header(&head, "Sec-WebSocket-Protocol"),
        Some("a, b")
    );
    assert!(support::header(&head, "Sec-WebSocket-Extensions")
        .unwrap()
        .contains("permessage-deflate"));
    // An explicit Origin wins over the default.
    let cfg = cfg.with_header("Origin", "https://mine.example");
    connect(&format!("ws://{addr}/"), &cfg).await.unwrap();
    let head = log.lock().unwrap()[1].clone();
    assert_eq!(
        support::header(&head, "Origin"),
        Some("https://mine.example")
    );
    assert_eq!(head.matches("Origin").count(), 1);
}

fn upgrade_reply(head: &str, accept: Option<String>, extra: &str) -> Reply {
    let key = support::header(head, "Sec-WebSocket-Key").unwrap();
    let accept = accept.unwrap_or_else(|| ws_handshake::accept_key(key.as_bytes()));
    Reply::Raw(format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    ))
}

#[tokio::test]
async fn bad_accept_refused() {
    let (addr, _) =
        scripted(|h| upgrade_reply(h, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()), "")).await;
    let err = connect(&format!("ws://{addr}/"), &config())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::Handshake(ws_handshake::ClientError::AcceptMismatch)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn unoffered_subprotocol_refused() {
    let (addr, _) = scripted(|h| upgrade_reply(h, None, "Sec-WebSocket-Protocol: evil\r\n")).await;
    let err = connect(&format!("ws://{addr}/"), &config().with_protocol("good"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Handshake(ws_handshake::ClientError::UnofferedProtocol(ref p)) if p == "evil"),
        "{err:?}"
    );
}

#[tokio::test]
async fn rejected_status_and_oversized_head() {
    let (addr, _) =
        scripted(|_| Reply::Raw("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".into()))
            .await;
    let err = connect(&format!("ws://{addr}/"), &config())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::Rejected { status: 404, .. }),
        "{err:?}"
    );

    let big = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n", "x".repeat(9000));
    let (addr, _) = scripted(move |_| Reply::Raw(big.clone())).await;
    let err = connect(&format!("ws://{addr}/"), &config())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::Handshake(ws_handshake::ClientError::HeadTooLarge(8192))
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_send_times_out_when_the_peer_stops_reading() {
    let (l, addr) = support::listener().await;
    let server = tokio::spawn(async move {
        // Upgrade, then never read again.
        let (s, _session) = support::accept_session(&l).await;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(s);
    });
    let mut cfg = config().with_deflate(false);
    cfg.settings = cfg
        .settings
        .clone()
        .with_blocking_send_timeout(Some(std::time::Duration::from_millis(200)));
    // Thread-blocking sends belong to the endpoint API's handle.
    struct Idle;
    impl Endpoint for Idle {
        type State = ();
        async fn on_open(&self, _: &SessionHandle) {}
    }
    let handle = connect_endpoint(&format!("ws://{addr}/"), &cfg, Idle)
        .await
        .unwrap();
    let result = tokio::task::spawn_blocking(move || {
        handle.send_blocking(Message::Binary(Bytes::from(vec![0u8; 48 << 20])))
    })
    .await
    .unwrap();
    assert!(
        matches!(result, Err(ws_client::Error::SendTimeout)),
        "{result:?}"
    );
    server.abort();
}

#[tokio::test]
async fn protocol_error_from_the_server_ends_the_stream_with_an_error() {
    use tokio::io::AsyncWriteExt;
    let (l, addr) = support::listener().await;
    tokio::spawn(async move {
        let (mut s, _session) = support::accept_session(&l).await;
        // RSV1 set without a negotiated extension: a protocol error (1002).
        s.write_all(&[0xC1, 0x00]).await.unwrap();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut sink).await;
    });
    let mut ws = connect(&format!("ws://{addr}/"), &config().with_deflate(false))
        .await
        .unwrap();
    assert_eq!(abnormal_end(&mut ws).await.code, CloseCode::PROTOCOL_ERROR);
}

#[tokio::test]
async fn sink_reports_sends_refused_after_close() {
    let addr = echo_server().await;
    let mut ws = connect(&format!("ws://{addr}/"), &config()).await.unwrap();
    ws.close().await.unwrap();
    let err = ws.send(Message::Text("too late".into())).await.unwrap_err();
    assert!(
        matches!(
            err,
            ws_client::Error::Closed | ws_client::Error::Send(ws_session::SendError::Closed)
        ),
        "{err:?}"
    );
    assert!(ws.next().await.is_none());
}

#[tokio::test]
async fn frames_in_the_same_read_as_the_101_are_delivered() {
    let (addr, _) = scripted(|h| {
        let key = support::header(h, "Sec-WebSocket-Key").unwrap();
        let mut reply = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            ws_handshake::accept_key(key.as_bytes())
        )
        .into_bytes();
        reply.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
        Reply::Bytes(reply)
    })
    .await;
    let mut ws = connect(&format!("ws://{addr}/"), &config().with_deflate(false))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("hi".into())
    );
    // The server then drops the connection without a close frame.
    assert_eq!(abnormal_end(&mut ws).await.code, CloseCode::ABNORMAL);
}

#[tokio::test]
async fn compressed_message_over_the_buffer_size_fails_with_1009() {
    use ws_session::{Session, SessionConfig};
    let (l, addr) = support::listener().await;
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let head = support::read_head(&mut s).await;
        let mut hs = ws_handshake::ServerHandshake::new(ws_handshake::Limits::default());
        let request = hs.handle_input(&head).unwrap().unwrap();
        let accepted = request.accept(&ws_handshake::ServerConfig::default());
        let p = accepted.deflate.expect("deflate offered by default");
        tokio::io::AsyncWriteExt::write_all(&mut s, &accepted.response())
            .await
            .unwrap();
        let deflate = ws_session::DeflateConfig::default()
            .with_server_no_context_takeover(p.server_no_context_takeover)
            .with_client_no_context_takeover(p.client_no_context_takeover)
            .with_server_max_window_bits(p.server_window_bits())
            .with_client_max_window_bits(p.client_window_bits());
        let config = SessionConfig::default().with_deflate(Some(deflate));
        let mut session = Session::server(config, std::time::Instant::now());
        session
            .send(
                std::time::Instant::now(),
                Message::Binary(Bytes::from(vec![0u8; (1 << 20) + 1])),
            )
            .unwrap();
        let mut events = Vec::new();
        support::pump(&mut s, &mut session, &mut events, |_| false).await;
    });
    let mut cfg = config();
    cfg.session = cfg.session.with_binary_buffer_size(1 << 20);
    let mut ws = connect(&format!("ws://{addr}/"), &cfg).await.unwrap();
    assert_eq!(abnormal_end(&mut ws).await.code, CloseCode::MESSAGE_TOO_BIG);
}

#[tokio::test]
async fn an_idle_timeout_set_on_a_live_session_closes_it_with_1001() {
    let addr = echo_server().await;
    let mut ws = connect(&format!("ws://{addr}/"), &config()).await.unwrap();
    ws.send(Message::Text("before".into())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("before".into())
    );
    let started = std::time::Instant::now();
    ws.set_idle_timeouts(Some(Duration::from_millis(200)), None, None);
    // Nothing arrives; the read idle timeout ends the session.
    let info = abnormal_end(&mut ws).await;
    assert_eq!(info.code, CloseCode::ABNORMAL);
    assert_eq!(info.cause, CloseCause::Timeout(TimeoutKind::ReadIdle));
    assert!(started.elapsed() >= Duration::from_millis(150));
}

/// The stream's unclean end: one error (`Protocol` for a protocol error,
/// `Abnormal` otherwise), then the end of the stream; returns the close info.
async fn abnormal_end(ws: &mut ws_client::WebSocket) -> CloseInfo {
    let info = match ws.next().await {
        Some(Err(ws_client::Error::Abnormal(info))) => info,
        Some(Err(ws_client::Error::Protocol(_))) => ws.close_info().unwrap().clone(),
        other => panic!("expected an abnormal end, got {other:?}"),
    };
    assert!(ws.next().await.is_none());
    info
}
