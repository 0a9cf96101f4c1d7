//! Session lifecycle over loopback: idle timeouts, blocking sends and their timeout,
//! sends from many tasks and threads, broadcast, graceful shutdown, a panicking
//! endpoint.

mod common;

use std::time::Duration;

use common::*;
use tokio::sync::mpsc;
use ws_config::ServerSettings;
use ws_server::{CloseInfo, Endpoint, Error, Initiator, Message, Server, SessionHandle};
use ws_session::{CloseCode, SessionConfig};

/// Closes idle sessions after 200 ms of no input.
struct Idle;

impl Endpoint for Idle {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        config.with_read_idle_timeout(Some(Duration::from_millis(200)))
    }
}

#[tokio::test]
async fn idle_timeout_closes_with_1001() {
    let (_, addr) = serve("/idle", Idle).await;
    let mut c = connect(addr, "/idle").await;
    let info = c.closed().await;
    assert_eq!(
        (info.code, info.initiator),
        (CloseCode::GOING_AWAY, Initiator::Remote)
    );
}

/// No idle timeout for the endpoint; the first message sets this session's.
struct SetsIdle;

impl Endpoint for SetsIdle {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, _: Message) {
        s.set_idle_timeouts(None, None, Some(Duration::from_millis(200)));
        assert_eq!(
            s.idle_timeouts(),
            (None, None, Some(Duration::from_millis(200)))
        );
    }
}

#[tokio::test]
async fn idle_timeout_set_on_a_live_session_closes_it_with_1001() {
    let (_, addr) = serve("/idle", SetsIdle).await;
    let mut quiet = connect(addr, "/idle").await;
    let mut c = connect(addr, "/idle").await;
    c.send("set it").await;
    let started = std::time::Instant::now();
    let info = c.closed().await;
    assert_eq!(
        (info.code, info.initiator),
        (CloseCode::GOING_AWAY, Initiator::Remote)
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    // The other session of the endpoint kept no timeout: still open, it answers our
    // close normally.
    quiet.close(CloseCode::NORMAL).await;
    let info = quiet.closed().await;
    assert_eq!(
        (info.code, info.initiator),
        (CloseCode::NORMAL, Initiator::Local)
    );
}

/// On "go", sends 4 MiB messages with `send_flushed` until one fails.
struct Flood(mpsc::UnboundedSender<String>);

impl Endpoint for Flood {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, _: Message) {
        let blob = bytes::Bytes::from(vec![7u8; 4 << 20]);
        for _ in 0..64 {
            if let Err(e) = s.send_flushed(blob.clone()).await {
                let _ = self.0.send(format!("send failed: {e}"));
                return;
            }
        }
        let _ = self.0.send("all sent".into());
    }
    async fn on_close(&self, _: &mut Self::State, _: &SessionHandle, c: &CloseInfo) {
        let _ = self.0.send(format!("close {}", c.code.0));
    }
}

#[tokio::test]
async fn blocking_send_times_out_against_a_client_that_stops_reading() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let settings =
        ServerSettings::default().with_blocking_send_timeout(Some(Duration::from_millis(300)));
    let server = Server::builder().settings(settings).build();
    server.add_endpoint("/flood", Flood(tx)).unwrap();
    let addr = start(&server).await;
    // A client with a small receive buffer that never reads after "go".
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let mut c = handshake(
        tcp,
        &format!("ws://{addr}/flood"),
        |r| r,
        SessionConfig::default(),
    )
    .await
    .unwrap();
    c.send("go").await;
    assert_eq!(
        guard(rx.recv()).await.unwrap(),
        "send failed: blocking send timed out"
    );
    assert_eq!(guard(rx.recv()).await.unwrap(), "close 1006");
    // The server dropped the connection: reading drains what was buffered, then ends.
    let mut sink = Vec::new();
    let _ = guard(tokio::io::AsyncReadExt::read_to_end(
        &mut c.stream,
        &mut sink,
    ))
    .await;
}

/// Hands each session's handle to the test.
struct Handles(mpsc::UnboundedSender<SessionHandle>);

impl Endpoint for Handles {
    type State = ();

    async fn on_open(&self, s: &SessionHandle) {
        let _ = self.0.send(s.clone());
    }
}

#[tokio::test]
async fn sends_from_threads_and_many_tasks_all_arrive_in_per_sender_order() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_, addr) = serve("/h", Handles(tx)).await;
    let mut c = connect(addr, "/h").await;
    let handle = guard(rx.recv()).await.unwrap();

    // A plain thread with the blocking send.
    let h = handle.clone();
    // (Never block the runtime's own thread: the driver needs it.)
    let sent = tokio::task::spawn_blocking(move || h.send_blocking("from a thread"));
    guard(sent).await.unwrap().unwrap();
    assert_eq!(c.recv().await, Message::Text("from a thread".into()));

    // Eight tasks sending at once: no "already writing", nothing lost.
    let mut tasks = Vec::new();
    for t in 0..8 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                h.send_text(format!("{t}:{i}")).await.unwrap();
            }
        }));
    }
    let mut next = [0; 8];
    for _ in 0..800 {
        let Message::Text(t) = c.recv().await else {
            panic!()
        };
        let (task, i) = t.split_once(':').unwrap();
        let (task, i): (usize, usize) = (task.parse().unwrap(), i.parse().unwrap());
        assert_eq!(next[task], i, "per-sender order");
        next[task] += 1;
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Closed sessions refuse sends.
    c.close(CloseCode::NORMAL).await;
    c.closed().await;
    let err = guard(async {
        loop {
            match handle.send_text("late").await {
                Err(e) => return e,
                Ok(()) => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert!(matches!(err, Error::Closed), "{err:?}");
}

/// Broadcasts every message to all open sessions of the endpoint.
struct Chat;

impl Endpoint for Chat {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, m: Message) {
        for peer in s.open_sessions() {
            let _ = peer.send(m.clone()).await;
        }
    }
}

#[tokio::test]
async fn broadcast_reaches_every_open_session() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = Server::builder().build();
    server.add_endpoint("/chat", Chat).unwrap();
    server.add_endpoint("/h", Handles(tx)).unwrap();
    let addr = start(&server).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(connect(addr, "/chat").await);
    }
    // Make sure all three are registered before broadcasting.
    let _other = connect(addr, "/h").await;
    let h = guard(rx.recv()).await.unwrap();
    assert_eq!(h.open_sessions().len(), 1); // only its own endpoint's sessions
    guard(async {
        while server.open_sessions().len() < 4 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    clients[0].send("hi all").await;
    for c in &mut clients {
        assert_eq!(c.recv().await, Message::Text("hi all".into()));
    }
}

#[tokio::test]
async fn graceful_shutdown_sends_1001_and_waits_for_the_replies() {
    let (server, addr) = serve("/echo", Echo).await;
    let mut a = connect(addr, "/echo").await;
    let mut b = connect(addr, "/echo").await;
    a.send("x").await;
    a.recv().await;
    b.send("y").await;
    b.recv().await;
    let s = server.clone();
    let shutdown = tokio::spawn(async move { s.shutdown(Duration::from_secs(10)).await });
    for c in [&mut a, &mut b] {
        let info = c.closed().await; // our session answers the close
        assert_eq!(
            (info.code, info.initiator),
            (CloseCode::GOING_AWAY, Initiator::Remote)
        );
        assert_eq!(info.reason, "server shutting down");
    }
    guard(shutdown).await.unwrap();
    assert_eq!(server.connections(), 0);
    // The listener is gone.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_drops_sessions_that_never_answer_after_the_grace_period() {
    let (server, addr) = serve("/echo", Echo).await;
    // Upgraded, then silent: never reads, never answers the close.
    let (head, _silent) = raw(addr, &upgrade_request(addr, "/echo", "")).await;
    assert!(head.starts_with("HTTP/1.1 101"));
    // And one stuck in its handshake.
    let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stuck, b"GET /echo HTTP/1.1\r\n")
        .await
        .unwrap();
    guard(async {
        while server.connections() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    guard(server.shutdown(Duration::from_millis(300))).await;
    assert_eq!(server.connections(), 0);
    // The half-sent handshake was answered, not reset: 503, then the end.
    let answer = String::from_utf8(guard(read_to_end(&mut stuck)).await).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer:?}"
    );
}

/// Panics on "boom" (an endpoint bug), echoes anything else.
struct Panics;

impl Endpoint for Panics {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut Self::State, s: &SessionHandle, m: Message) {
        if m.as_bytes() == b"boom" {
            panic!("endpoint bug, expected by the test");
        }
        let _ = s.send(m).await;
    }
}

#[tokio::test]
async fn a_panicking_callback_ends_only_its_own_connection() {
    let (server, addr) = serve("/p", Panics).await;
    let mut other = connect(addr, "/p").await;
    let mut victim = connect(addr, "/p").await;
    victim.send("boom").await;
    // Its connection is dropped without a close frame.
    let info = guard(victim.closed()).await;
    assert_eq!(info.code, CloseCode::ABNORMAL);
    // The server keeps serving the others, and new connections.
    other.send("still here").await;
    assert_eq!(
        guard(other.recv()).await,
        Message::Text("still here".into())
    );
    let mut fresh = connect(addr, "/p").await;
    fresh.send("hi").await;
    assert_eq!(guard(fresh.recv()).await, Message::Text("hi".into()));
    // The dead session left the server's books (shutdown waits on the count).
    guard(async {
        while server.connections() != 2 || server.open_sessions().len() != 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
