//! Cancellation safety inside `tokio::select!`, once for both roles, over an
//! in-memory duplex pipe and over loopback TCP: every `Stream`, `Sink`, writer and
//! handle future is raced against a ticker that wins often; no message is lost or
//! duplicated, none arrives corrupted, and the peer never sees a protocol error.

mod support;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::{link, pattern, session, websocket, CASES};
use tokio::io::AsyncWriteExt;
use ws_session::{CloseCode, Message, MessageKind};
use ws_tokio::{Endpoint, Opened, SessionHandle, SessionInfo};

/// The `i`-th test message: sizes from 0 B to 96 KiB, text and binary, the pattern
/// at an offset that names the message.
fn message(i: usize) -> Message {
    let len = [0, 1, 125, 126, 1000, 65_535, 65_536, 98_304][i % 8] + i % 7;
    let data = pattern(i as u64 * 1_000_003, len);
    if i % 3 == 0 {
        let text: String = data.iter().map(|b| char::from(b'a' + b % 26)).collect();
        Message::Text(text)
    } else {
        Message::Binary(data.into())
    }
}

/// A ticker that keeps interrupting whatever it races (a zero-length sleep after a
/// yield: it wins whenever the raced future is not ready at once).
async fn interrupt() {
    tokio::task::yield_now().await;
}

const COUNT: usize = 300;

#[tokio::test]
async fn stream_next_cancelled_loses_nothing() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let mut ws = websocket(role, ours, support::roomy());
        let mut peer = websocket(role.peer(), theirs, support::roomy());
        let sender = tokio::spawn(async move {
            for i in 0..COUNT {
                peer.send(message(i)).await.unwrap();
            }
            peer.close().await.unwrap();
            while peer.next().await.is_some() {}
        });
        let (mut got, mut cancelled) = (0, 0);
        loop {
            tokio::select! {
                m = ws.next() => match m {
                    Some(m) => {
                        let m = m.unwrap();
                        assert!(m == message(got), "{case}: message {got} differs");
                        got += 1;
                    }
                    None => break,
                },
                () = interrupt() => cancelled += 1,
            }
        }
        sender.await.unwrap();
        assert_eq!(got, COUNT, "{case}");
        assert!(cancelled > 0, "{case}: the race never cancelled a next()");
        assert_eq!(ws.close_info().unwrap().code, CloseCode::NORMAL, "{case}");
    }
}

#[tokio::test]
async fn sink_send_and_next_part_cancelled_lose_nothing() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let mut ws = websocket(role, ours, support::roomy());
        // The peer takes parts (partial delivery), racing its own reads.
        let partial = support::roomy()
            .with_text_delivery(ws_session::Delivery::Partial)
            .with_binary_delivery(ws_session::Delivery::Partial)
            .with_text_buffer_size(4096)
            .with_binary_buffer_size(4096);
        let mut peer = websocket(role.peer(), theirs, partial);
        let receiver = tokio::spawn(async move {
            let mut messages = Vec::new();
            let mut current = Vec::new();
            loop {
                tokio::select! {
                    part = peer.next_part() => match part {
                        Some(part) => {
                            let part = part.unwrap();
                            current.extend_from_slice(&part.data);
                            if part.last {
                                messages.push((part.kind, std::mem::take(&mut current)));
                            }
                        }
                        None => break,
                    },
                    () = interrupt() => {}
                }
            }
            messages
        });
        // Sends raced against the ticker: a cancelled `send` may or may not have
        // queued its message (start_send runs once the sink is ready); either way
        // it is whole. Track which ones completed.
        let mut completed = Vec::new();
        for i in 0..COUNT {
            let send = ws.send(message(i));
            tokio::select! {
                r = send => { r.unwrap(); completed.push(i); }
                () = interrupt() => {}
            }
        }
        ws.close().await.unwrap();
        while ws.next().await.is_some() {}
        let received = receiver.await.unwrap();
        // Every completed send arrived; anything else that arrived is a whole test
        // message, in order (an in-order match against the sent sequence).
        let mut received_ids = Vec::new();
        let mut from = 0;
        for (kind, data) in &received {
            let i = (from..COUNT)
                .find(|&i| message(i).kind() == *kind && message(i).as_bytes() == &data[..])
                .unwrap_or_else(|| panic!("{case}: a corrupted or reordered message"));
            received_ids.push(i);
            from = i + 1;
        }
        for c in &completed {
            assert!(
                received_ids.contains(c),
                "{case}: completed send {c} never arrived"
            );
        }
    }
}

#[tokio::test]
async fn message_writer_cancelled_writes_either_whole_or_nothing() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        // The peer starts reading only once a write had to wait and was cancelled:
        // until then the transport fills up (more than any socket buffer holds).
        let mut ws = websocket(role, ours, support::roomy());
        let mut peer = websocket(role.peer(), theirs, support::roomy());
        let (start, started) = tokio::sync::oneshot::channel::<()>();
        let receiver = tokio::spawn(async move {
            let _ = started.await;
            let m = peer.next().await.unwrap().unwrap();
            peer.close().await.unwrap();
            while peer.next().await.is_some() {}
            m
        });
        let mut written = Vec::new();
        {
            let mut writer = ws.send_writer(MessageKind::Binary);
            let mut offset = 0u64;
            let mut start = Some(start);
            while offset < 24 << 20 {
                let chunk = pattern(offset, 65_537);
                tokio::select! {
                    n = writer.write(&chunk) => {
                        let n = n.unwrap();
                        written.extend_from_slice(&chunk[..n]);
                        offset += n as u64;
                    }
                    () = tokio::time::sleep(Duration::from_millis(20)) => {
                        if let Some(start) = start.take() {
                            let _ = start.send(());
                        }
                    }
                }
            }
            assert!(start.is_none(), "{case}: the race never cancelled a write");
            writer.shutdown().await.unwrap();
        }
        while ws.next().await.is_some() {}
        let got = receiver.await.unwrap();
        assert!(
            got.as_bytes() == &written[..],
            "{case}: {} bytes arrived, {} written",
            got.as_bytes().len(),
            written.len()
        );
    }
}

/// Counts messages; its state is the count.
struct Counter(tokio::sync::mpsc::UnboundedSender<Message>);

impl Endpoint for Counter {
    type State = ();
    async fn on_open(&self, _: &SessionHandle) {}
    async fn on_message(&self, _: &mut (), _: &SessionHandle, message: Message) {
        let _ = self.0.send(message);
    }
}

#[tokio::test]
async fn handle_sends_cancelled_queue_whole_messages_or_nothing() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, theirs) = link(how).await;
        let config = support::roomy().with_outbound_high_water_mark(64 * 1024);
        let opened = Opened::new(session(role, config), SessionInfo::new("/"), None);
        let handle = opened.handle().clone();
        struct Idle;
        impl Endpoint for Idle {
            type State = ();
            async fn on_open(&self, _: &SessionHandle) {}
        }
        let driver = tokio::spawn(async move { opened.run(&Idle, ours).await });
        // The peer runs an endpoint too, collecting what arrives.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let peer = Opened::new(
            session(role.peer(), support::roomy()),
            SessionInfo::new("/"),
            None,
        );
        let peer_handle = peer.handle().clone();
        tokio::spawn(async move { peer.run(&Counter(tx), theirs).await });
        let mut completed = Vec::new();
        for i in 0..COUNT {
            let m = message(i);
            let done = if i % 2 == 0 {
                tokio::select! {
                    r = handle.send(m) => r.is_ok(),
                    () = interrupt() => false,
                }
            } else {
                tokio::select! {
                    r = handle.send_flushed(m) => r.is_ok(),
                    () = tokio::time::sleep(Duration::from_micros(50)) => false,
                }
            };
            if done {
                completed.push(i);
            }
        }
        handle.flush().await.unwrap();
        handle.close(CloseCode::NORMAL, "").unwrap();
        driver.await.unwrap();
        let mut from = 0;
        let mut arrived = Vec::new();
        while let Some(m) = rx.recv().await {
            let i = (from..COUNT)
                .find(|&i| message(i) == m)
                .unwrap_or_else(|| panic!("{case}: a corrupted or reordered message"));
            arrived.push(i);
            from = i + 1;
        }
        for c in &completed {
            assert!(
                arrived.contains(c),
                "{case}: completed send {c} never arrived"
            );
        }
        let info = peer_handle.close_info().unwrap();
        assert_eq!(
            info.code,
            CloseCode::NORMAL,
            "{case}: the peer saw {info:?}"
        );
    }
}
