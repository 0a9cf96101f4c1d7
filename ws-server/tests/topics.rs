//! Topics over real sockets: subscribe, unsubscribe, leaving on close, publishing
//! from outside a session, each slow-consumer policy against a client that stops
//! reading (with the process's memory measured), and one deflated frame shared by
//! the subscribers that negotiated `server_no_context_takeover`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use tokio::io::AsyncReadExt;
use ws_frame::{Decoded, FrameHeader, OpCode, Rsv};
use ws_handshake::DeflateOffer;
use ws_server::{Endpoint, Message, Server, SessionHandle, SlowConsumer};
use ws_session::{CloseCode, Event, SessionConfig};

/// Commands: `sub T`, `unsub T`, `pub T text`; answers `ok ...` on its own.
struct PubSub;

impl Endpoint for PubSub {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let Message::Text(text) = message else { return };
        let mut words = text.splitn(3, ' ');
        let (verb, topic) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let reply = match verb {
            "sub" => format!("ok sub {}", session.subscribe(topic).unwrap()),
            "unsub" => format!("ok unsub {}", session.unsubscribe(topic)),
            "pub" => {
                let n = session.publish(topic, words.next().unwrap_or("")).await;
                format!("ok pub {}", n.unwrap())
            }
            _ => return,
        };
        let _ = session.send_text(reply).await;
    }
}

fn text(s: &str) -> Message {
    Message::Text(s.to_owned())
}

async fn pubsub_server(configure: impl FnOnce(&Server)) -> (Server, std::net::SocketAddr) {
    // A subscriber closed for being slow reads its close frame only once it reads
    // again, after the flood: give it that long.
    let config = SessionConfig::default()
        .with_abnormal_close_send_timeout(std::time::Duration::from_secs(60));
    let server = Server::builder().session_config(config).build();
    configure(&server);
    server.add_endpoint("/ps", PubSub).unwrap();
    let addr = start(&server).await;
    (server, addr)
}

#[tokio::test]
async fn subscribe_publish_unsubscribe() {
    let (server, addr) = pubsub_server(|_| {}).await;
    let mut a = connect(addr, "/ps").await;
    let mut b = connect(addr, "/ps").await;
    a.send("sub news").await;
    assert_eq!(a.recv().await, text("ok sub true"));
    a.send("sub news").await;
    assert_eq!(a.recv().await, text("ok sub false"), "already subscribed");
    b.send("sub sport").await;
    assert_eq!(b.recv().await, text("ok sub true"));
    assert_eq!(server.topics().subscribers("news"), 1);

    // Published by a session: the subscriber gets it, the other topic's does not.
    b.send("pub news hello").await;
    assert_eq!(b.recv().await, text("ok pub 1"));
    assert_eq!(a.recv().await, text("hello"));
    assert_eq!(server.publish("sport", "goal").await, 1);
    assert_eq!(b.recv().await, text("goal"));

    // Unsubscribed: the next news message does not come; the sentinel on another
    // topic proves the order.
    a.send("unsub news").await;
    assert_eq!(a.recv().await, text("ok unsub true"));
    a.send("sub sentinel").await;
    assert_eq!(a.recv().await, text("ok sub true"));
    assert_eq!(server.publish("news", "missed").await, 0);
    assert_eq!(server.publish("sentinel", "next").await, 1);
    assert_eq!(a.recv().await, text("next"));
    assert_eq!(server.topics().subscribers("news"), 0);
    assert!(!server.topics().topics().contains(&"news".to_string()));
}

#[tokio::test]
async fn closing_leaves_every_topic() {
    let (server, addr) = pubsub_server(|_| {}).await;
    // A clean close, and a transport dropped without one.
    let mut a = connect(addr, "/ps").await;
    let mut b = connect(addr, "/ps").await;
    for c in [&mut a, &mut b] {
        for topic in ["x", "y"] {
            c.send(format!("sub {topic}")).await;
            assert_eq!(c.recv().await, text("ok sub true"));
        }
    }
    assert_eq!(server.topics().subscribers("x"), 2);
    a.close(CloseCode::NORMAL).await;
    let info = a.closed().await;
    assert_eq!(info.code, CloseCode::NORMAL);
    // The server answered the close: it left its topics before that.
    assert_eq!(server.topics().subscribers("x"), 1);
    drop(b);
    guard(async {
        while !server.topics().topics().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(server.publish("x", "nobody").await, 0);
}

#[tokio::test]
async fn anyone_holding_the_server_or_a_handle_publishes() {
    struct Subscriber(tokio::sync::mpsc::UnboundedSender<SessionHandle>);
    impl Endpoint for Subscriber {
        type State = ();
        async fn on_open(&self, session: &SessionHandle) {
            session.subscribe("feed").unwrap();
            let _ = self.0.send(session.clone());
        }
    }
    let (tx, mut handles) = tokio::sync::mpsc::unbounded_channel();
    let server = Server::builder().build();
    server.add_endpoint("/feed", Subscriber(tx)).unwrap();
    let addr = start(&server).await;
    let mut client = connect(addr, "/feed").await;
    let handle = guard(handles.recv()).await.unwrap();

    // From a task holding the server, from a thread through a runtime handle, and
    // from a task holding a session handle.
    let s = server.clone();
    tokio::spawn(async move { s.publish("feed", "from a task").await })
        .await
        .unwrap();
    assert_eq!(client.recv().await, text("from a task"));
    let rt = tokio::runtime::Handle::current();
    let topics = server.topics().clone();
    let n = tokio::task::spawn_blocking(move || {
        rt.block_on(topics.publish("feed", Message::Binary(vec![1, 2, 3].into())))
    })
    .await
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(client.recv().await, Message::Binary(vec![1, 2, 3].into()));
    tokio::spawn(async move { handle.publish("feed", "from a handle").await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.recv().await, text("from a handle"));
    assert_eq!(handle_count(&server), 1);
}

fn handle_count(server: &Server) -> usize {
    server.topics().subscribers("feed")
}

/// The process's resident memory.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kb * 1024
}

/// Messages published to a client that reads nothing: 64 MiB in 1 KiB messages,
/// far more than the socket buffers hold.
const FLOOD: usize = 64 * 1024;
const SIZE: usize = 1024;

/// Message `i` of the flood: its number, padded to [`SIZE`].
fn numbered(i: usize) -> Message {
    let mut s = format!("{i:08}");
    s.push_str(&"-".repeat(SIZE - s.len()));
    Message::Text(s)
}

fn number(m: &Message) -> Option<usize> {
    match m {
        Message::Text(t) => t.get(..8)?.parse().ok(),
        Message::Binary(_) => None,
    }
}

/// A subscriber on `topic` that will not read until told.
async fn stalled_subscriber(
    addr: std::net::SocketAddr,
    topic: &str,
) -> Client<tokio::net::TcpStream> {
    let mut c = connect(addr, "/ps").await;
    c.send(format!("sub {topic}")).await;
    assert_eq!(c.recv().await, text("ok sub true"));
    c
}

/// The memory tests run one at a time (the tests of this file share a process).
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Publishes the flood and returns the process's memory growth meanwhile. With
/// `pace`, message `i` waits until that reader has received `i - 200`.
async fn flood(server: &Server, topic: &str, pace: Option<&AtomicUsize>) -> u64 {
    let before = rss();
    let mut peak = before;
    for i in 0..FLOOD {
        if let Some(received) = pace {
            guard(async {
                while received.load(Ordering::Relaxed) + 200 < i {
                    tokio::task::yield_now().await;
                }
            })
            .await;
        }
        server.publish(topic, numbered(i)).await;
        if i % 1024 == 0 {
            peak = peak.max(rss());
            tokio::task::yield_now().await;
        }
    }
    peak.max(rss()).saturating_sub(before)
}

/// Unbounded, the flood would hold 64 MiB; each bounded policy holds the socket
/// buffers, the session's queue (its high-water mark, 256 KiB) and what the policy
/// keeps.
const MEMORY_BOUND: u64 = 24 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_oldest_keeps_the_newest_and_reports_the_skipped() {
    fn notice(n: u64) -> Message {
        Message::Text(format!("[skipped {n} messages]"))
    }
    let (server, addr) = pubsub_server(|s| {
        s.topics().set_policy(
            "chat",
            SlowConsumer::DropOldest {
                keep: 10,
                notice: Some(notice),
            },
        )
    })
    .await;
    let _one = MEMORY.lock().await;
    let mut slow = stalled_subscriber(addr, "chat").await;
    let grew = flood(&server, "chat", None).await;
    eprintln!("drop-oldest: memory grew by {} KiB", grew / 1024);
    assert!(grew < MEMORY_BOUND, "grew by {grew} bytes");

    // Reading again: in order, with notices where messages were dropped, the
    // newest 10 after the last notice; every message delivered or counted.
    let mut seen = Vec::new();
    let mut skipped = 0;
    let mut last_notice = None;
    while seen.last() != Some(&(FLOOD - 1)) {
        let m = slow.recv().await;
        match number(&m) {
            Some(i) => seen.push(i),
            None => {
                let Message::Text(t) = &m else { panic!() };
                let n: usize = t
                    .trim_start_matches("[skipped ")
                    .trim_end_matches(" messages]")
                    .parse()
                    .unwrap();
                skipped += n;
                last_notice = Some(seen.len());
            }
        }
    }
    let at = last_notice.expect("a notice");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(
        seen.len() + skipped,
        FLOOD,
        "every message delivered or counted"
    );
    assert_eq!(&seen[at..], &(FLOOD - 10..FLOOD).collect::<Vec<_>>()[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_past_the_bound_with_1008() {
    let (server, addr) = pubsub_server(|s| {
        s.topics().set_policy(
            "board",
            SlowConsumer::Close {
                max_messages: 1000,
                max_bytes: 1_000_000,
            },
        )
    })
    .await;
    let _one = MEMORY.lock().await;
    let mut slow = stalled_subscriber(addr, "board").await;
    let mut fast = stalled_subscriber(addr, "board").await;
    // The fast one reads everything as it comes.
    let received = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&received);
    let reader = tokio::spawn(async move {
        for i in 0..FLOOD {
            assert_eq!(number(&fast.recv().await), Some(i));
            count.fetch_add(1, Ordering::Relaxed);
        }
        fast
    });
    let grew = flood(&server, "board", Some(&received)).await;
    eprintln!("close: memory grew by {} KiB", grew / 1024);
    assert!(grew < MEMORY_BOUND, "grew by {grew} bytes");
    assert_eq!(server.topics().stats().closed_slow, 1);
    let _fast = guard(reader).await.unwrap();
    assert_eq!(
        received.load(Ordering::Relaxed),
        FLOOD,
        "the fast one got all"
    );

    // The slow one: a prefix in order, then the close with 1008.
    let mut last = None;
    let info = loop {
        match slow.event().await {
            Some(Event::Message(m)) => {
                let i = number(&m).unwrap();
                assert_eq!(i, last.map_or(0, |l| l + 1), "in order, no gap");
                last = Some(i);
            }
            Some(Event::Closed(info)) => break info,
            Some(_) => {}
            None => panic!("no close"),
        }
    };
    assert_eq!(info.peer_code, Some(CloseCode::POLICY_VIOLATION));
    assert!(last.unwrap_or(0) < FLOOD - 1000);
    assert_eq!(server.topics().subscribers("board"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_makes_the_publisher_wait_and_drops_nothing() {
    let (server, addr) = pubsub_server(|s| s.topics().set_policy("log", SlowConsumer::Wait)).await;
    let _one = MEMORY.lock().await;
    let mut slow = stalled_subscriber(addr, "log").await;
    let published = Arc::new(AtomicUsize::new(0));
    let before = rss();
    let publisher = {
        let (server, published) = (server.clone(), Arc::clone(&published));
        tokio::spawn(async move {
            for i in 0..FLOOD {
                assert_eq!(server.publish("log", numbered(i)).await, 1);
                published.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // The publisher gets as far as the buffers let it and then waits: whatever
    // the time it is given, it cannot finish while nobody reads 64 MiB.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let stalled_at = published.load(Ordering::Relaxed);
    assert!(stalled_at < FLOOD, "the publisher waits for the subscriber");
    let grew = rss().saturating_sub(before);
    eprintln!(
        "wait: stalled after {stalled_at} messages; memory grew by {} KiB",
        grew / 1024
    );
    assert!(grew < MEMORY_BOUND, "grew by {grew} bytes");
    for i in 0..FLOOD {
        assert_eq!(number(&slow.recv().await), Some(i));
    }
    guard(publisher).await.unwrap();
}

/// The raw frames a client receives (no session: the bytes as sent).
async fn raw_frames(c: &mut Client<tokio::net::TcpStream>, count: usize) -> Vec<(Rsv, Vec<u8>)> {
    guard(async {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while out.len() < count {
            let n = c.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early");
            buf.extend_from_slice(&chunk[..n]);
            while let Ok(Decoded::Complete(h, len)) = FrameHeader::decode(&buf) {
                let end = len + h.payload_len as usize;
                if buf.len() < end {
                    break;
                }
                assert_eq!(h.opcode, OpCode::Text);
                out.push((h.rsv, buf[len..end].to_vec()));
                buf.drain(..end);
            }
        }
        out
    })
    .await
}

#[tokio::test]
async fn no_context_takeover_subscribers_share_one_deflated_frame() {
    struct Sub;
    impl Endpoint for Sub {
        type State = ();
        async fn on_open(&self, session: &SessionHandle) {
            session.subscribe("deflate").unwrap();
        }
    }
    let server = Server::builder().build();
    server.add_endpoint("/sub", Sub).unwrap();
    let addr = start(&server).await;
    let no_takeover = |r: ws_handshake::ClientRequest| {
        r.deflate(DeflateOffer {
            server_no_context_takeover: true,
            ..DeflateOffer::default()
        })
    };
    let mut shared = Vec::new();
    for _ in 0..3 {
        shared.push(
            connect_with(addr, "/sub", no_takeover, SessionConfig::default())
                .await
                .unwrap(),
        );
    }
    let mut takeover = connect_with(addr, "/sub", with_deflate, SessionConfig::default())
        .await
        .unwrap();
    let mut plain = connect(addr, "/sub").await;
    guard(async {
        while server.topics().subscribers("deflate") < 5 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let message = "all the same words, again and again; ".repeat(30);
    for _ in 0..2 {
        assert_eq!(server.publish("deflate", message.as_str()).await, 5);
    }
    // One plain frame, one deflated frame per publish (for the three), and the
    // context-takeover subscriber compressed its own copies.
    let stats = server.topics().stats();
    assert_eq!(
        (
            stats.plain_frames,
            stats.deflated_frames,
            stats.own_encodings
        ),
        (2, 2, 2),
        "{stats:?}"
    );
    let mut first = None;
    for c in &mut shared {
        let frames = raw_frames(c, 2).await;
        assert!(
            frames.iter().all(|(rsv, _)| *rsv == Rsv::RSV1),
            "compressed"
        );
        assert_eq!(frames[0].1, frames[1].1, "no context: each message alike");
        assert!(frames[0].1.len() < message.len() / 4);
        let first = first.get_or_insert_with(|| frames[0].1.clone());
        assert_eq!(&frames[0].1, first, "the same bytes for every subscriber");
    }
    // The context-takeover subscriber: its second copy refers to the first.
    let frames = raw_frames(&mut takeover, 2).await;
    assert!(frames[1].1.len() < frames[0].1.len());
    let frames = raw_frames(&mut plain, 2).await;
    assert!(frames
        .iter()
        .all(|(rsv, p)| *rsv == Rsv::NONE && p == message.as_bytes()));
    // And a session decodes what it got.
    let mut reader = connect_with(addr, "/sub", no_takeover, SessionConfig::default())
        .await
        .unwrap();
    guard(async {
        while server.topics().subscribers("deflate") < 6 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    server.publish("deflate", message.as_str()).await;
    assert_eq!(reader.recv().await, text(&message));
}

#[tokio::test]
async fn two_servers_in_one_process_share_topics_through_an_in_process_broker() {
    let hub = ws_server::InProcessBroker::hub();
    let (broker_a, broker_b) = (hub.attach(), hub.attach());
    let a = Server::builder().broker(broker_a.clone()).build();
    let b = Server::builder().broker(broker_b.clone()).build();
    for s in [&a, &b] {
        s.add_endpoint("/ps", PubSub).unwrap();
    }
    let (addr_a, addr_b) = (start(&a).await, start(&b).await);
    let mut on_a = connect(addr_a, "/ps").await;
    let mut on_b = connect(addr_b, "/ps").await;
    // Subscribed on the broker only to topics with local subscribers.
    assert!(broker_a.subscriptions().is_empty());
    on_a.send("sub news").await;
    assert_eq!(on_a.recv().await, text("ok sub true"));
    assert_eq!(broker_a.subscriptions(), ["news"]);
    assert!(broker_b.subscriptions().is_empty());

    // From B to A's subscriber; and A's own publish reaches it once, not twice.
    on_b.send("pub news from b").await;
    assert_eq!(on_b.recv().await, text("ok pub 0"));
    assert_eq!(on_a.recv().await, text("from b"));
    on_a.send("pub news from a").await;
    assert_eq!(on_a.recv().await, text("from a"));
    assert_eq!(on_a.recv().await, text("ok pub 1"));
    b.publish("news", "sentinel").await;
    assert_eq!(
        on_a.recv().await,
        text("sentinel"),
        "no duplicate of 'from a'"
    );

    // The last local subscriber leaves: unsubscribed on the broker.
    on_a.send("unsub news").await;
    assert_eq!(on_a.recv().await, text("ok unsub true"));
    assert!(broker_a.subscriptions().is_empty());
    assert_eq!(a.topics().broker_status().unwrap().kind, "in-process");
}
