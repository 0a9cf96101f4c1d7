//! The completion rule of each send flavour, once for both roles, over an in-memory
//! duplex pipe and over loopback TCP: `send` resolves when queued and waits only
//! above the high-water mark; `send_flushed` resolves when written and, past
//! `BLOCKING_SEND_TIMEOUT`, fails with `SendTimeout` after sending 1001;
//! `send_blocking` refuses runtime threads where it would stall the session.
//!
//! The clock is paused: a send that is still pending when every task is idle lets
//! tokio's auto-advance fire the probe's timeout, so "pending" is decided without any
//! wall-clock timing.

mod support;

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use futures::StreamExt;
use support::{link, session, websocket, Io, Role, CASES};
use ws_session::{CloseCode, Message, SessionConfig};
use ws_tokio::{Endpoint, Error, Opened, SessionHandle, SessionInfo};

/// Does nothing but exist.
struct Idle;

impl Endpoint for Idle {
    type State = ();
    async fn on_open(&self, _: &SessionHandle) {}
}

/// Runs an `Idle` endpoint of `role` on `io`; returns its handle.
fn run_idle(
    role: Role,
    io: Io,
    config: SessionConfig,
    blocking: Option<Duration>,
) -> SessionHandle {
    let info = SessionInfo::new("/test").with_blocking_send_timeout(blocking);
    let opened = Opened::new(session(role, config), info, None);
    let handle = opened.handle().clone();
    tokio::spawn(async move { opened.run(&Idle, io).await });
    handle
}

/// Whether `fut` is still pending once every task is idle (paused clock).
async fn stays_pending<F: std::future::Future>(fut: F) -> bool {
    tokio::time::timeout(Duration::from_secs(3600), fut)
        .await
        .is_err()
}

fn binary(len: usize) -> Message {
    Message::Binary(vec![0x5a; len].into())
}

#[tokio::test(start_paused = true)]
async fn send_resolves_when_queued_and_waits_only_above_the_high_water_mark() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let config = support::roomy().with_outbound_high_water_mark(256 * 1024);
        let handle = run_idle(role, ours, config, None);
        // The peer reads nothing yet: sends still resolve (queued), until the queue
        // passes the high-water mark, which takes more than the transport absorbs.
        let mut queued = 0usize;
        let mut blocked = false;
        for _ in 0..256 {
            if stays_pending(handle.send(binary(256 * 1024))).await {
                blocked = true;
                break;
            }
            queued += 1;
        }
        assert!(
            blocked,
            "{case}: the high-water mark never held a send back"
        );
        assert!(
            queued >= 1,
            "{case}: the first send waited although the queue was empty"
        );
        // The pending send was dropped: nothing of it was queued. Once the peer
        // reads, a new send goes through and every queued message arrives whole.
        let mut peer = websocket(role.peer(), theirs, support::roomy());
        let reader = tokio::spawn(async move {
            let mut got = 0;
            while let Some(Ok(m)) = peer.next().await {
                let want = if got < queued { 256 * 1024 } else { 1 };
                assert!(
                    m == binary(want),
                    "message {got}: {} bytes",
                    m.as_bytes().len()
                );
                got += 1;
            }
            got
        });
        handle.send(binary(1)).await.unwrap();
        handle.close(CloseCode::NORMAL, "").unwrap();
        assert_eq!(reader.await.unwrap(), queued + 1, "{case}");
    }
}

#[tokio::test(start_paused = true)]
async fn send_flushed_resolves_when_written_and_times_out_with_1001() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let handle = run_idle(role, ours, support::roomy(), Some(Duration::from_secs(5)));
        let mut peer = websocket(role.peer(), theirs, support::roomy());
        // A reading peer: written, so resolved.
        let echo = tokio::spawn(async move {
            let first = peer.next().await.unwrap().unwrap();
            (first, peer)
        });
        handle.send_flushed(binary(100_000)).await.unwrap();
        let (first, mut peer) = echo.await.unwrap();
        assert!(first == binary(100_000), "{case}");
        // A peer that stops reading: more than the transport holds is never written;
        // after BLOCKING_SEND_TIMEOUT the send fails and the session sends 1001.
        let big = binary(32 << 20);
        let result = handle.send_flushed(big).await;
        assert!(
            matches!(result, Err(Error::SendTimeout)),
            "{case}: {result:?}"
        );
        assert!(
            matches!(handle.send(binary(1)).await, Err(Error::SendTimeout)),
            "{case}: later sends report the timeout"
        );
        // Reading now: the frame already started is finished (frames are never cut),
        // then the close; nothing queued after it was sent.
        let mut lengths = Vec::new();
        while let Some(m) = peer.next().await {
            lengths.push(m.map(|m| m.as_bytes().len()).map_err(|e| e.to_string()));
        }
        assert!(lengths.len() <= 1, "{case}: {lengths:?}");
        let info = peer.close_info().unwrap();
        assert_eq!(info.code, CloseCode::GOING_AWAY, "{case}: {info:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn flush_waits_for_everything_queued_before() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let handle = run_idle(role, ours, support::roomy(), None);
        handle.send(binary(8 << 20)).await.unwrap();
        // Nobody reads: the flush cannot complete.
        assert!(stays_pending(handle.flush()).await, "{case}");
        let mut peer = websocket(role.peer(), theirs, support::roomy());
        let reader = tokio::spawn(async move { peer.next().await.unwrap().unwrap() });
        handle.flush().await.unwrap();
        assert!(reader.await.unwrap() == binary(8 << 20), "{case}");
    }
}

/// Calls `send_blocking` from its callback and reports the result.
struct BlocksInCallback(std_mpsc::Sender<Result<(), String>>);

impl Endpoint for BlocksInCallback {
    type State = ();
    async fn on_open(&self, _: &SessionHandle) {}
    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let result = session.send_blocking(message).map_err(|e| e.to_string());
        self.0.send(result).unwrap();
    }
}

async fn blocking_from_callback(role: Role) -> Result<(), String> {
    let (ours, theirs) = link(support::Link::Loopback).await;
    let (tx, rx) = std_mpsc::channel();
    let opened = Opened::new(
        session(role, SessionConfig::default()),
        SessionInfo::new("/"),
        None,
    );
    tokio::spawn(async move { opened.run(&BlocksInCallback(tx), ours).await });
    let mut peer = websocket(role.peer(), theirs, SessionConfig::default());
    futures::SinkExt::send(&mut peer, Message::Text("hi".into()))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || rx.recv().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_send_from_a_callback_returns_the_error_on_a_multi_thread_runtime() {
    for role in [Role::Server, Role::Client] {
        let result = blocking_from_callback(role).await;
        let error = result.expect_err("refused");
        assert!(error.contains("runtime thread"), "{role:?}: {error}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_blocking_send_on_a_current_thread_runtime_returns_the_error() {
    for role in [Role::Server, Role::Client] {
        let result = blocking_from_callback(role).await;
        assert!(result.is_err(), "{role:?}: from the callback: {result:?}");

        // From the runtime's own thread (this test's body), outside any callback.
        let (ours, theirs) = link(support::Link::Loopback).await;
        let handle = run_idle(role, ours, SessionConfig::default(), None);
        let mut peer = websocket(role.peer(), theirs, SessionConfig::default());
        tokio::task::yield_now().await; // the driver has run on this thread
        let result = handle.send_blocking(Message::Text("x".into()));
        assert!(
            matches!(result, Err(Error::BlockingOnRuntime)),
            "{role:?}: {result:?}"
        );

        // From a spawn_blocking thread of the same runtime it blocks and succeeds.
        let h = handle.clone();
        let blocking =
            tokio::task::spawn_blocking(move || h.send_blocking(Message::Text("y".into())));
        assert_eq!(
            peer.next().await.unwrap().unwrap(),
            Message::Text("y".into())
        );
        blocking.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_send_works_from_plain_threads_and_multi_thread_tasks() {
    for role in [Role::Server, Role::Client] {
        let (ours, theirs) = link(support::Link::Loopback).await;
        let handle = run_idle(role, ours, SessionConfig::default(), None);
        let mut peer = websocket(role.peer(), theirs, SessionConfig::default());
        let h = handle.clone();
        std::thread::spawn(move || h.send_blocking(Message::Text("thread".into())))
            .join()
            .unwrap()
            .unwrap();
        let h = handle.clone();
        // A task on a multi-thread runtime: through block_in_place.
        tokio::spawn(async move { h.send_blocking(Message::Text("task".into())) })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            peer.next().await.unwrap().unwrap(),
            Message::Text("thread".into())
        );
        assert_eq!(
            peer.next().await.unwrap().unwrap(),
            Message::Text("task".into())
        );
    }
}
