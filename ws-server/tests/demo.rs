//! The demo binary over real sockets: the index page links the examples, chat
//! broadcasts (HTML-escaped) between two clients and tells a slow member how many
//! messages it skipped, snake ticks reach a player and a dead player leaves the
//! board, the streaming echo returns messages whole and negotiates its subprotocols.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::*;
use tokio::io::AsyncWriteExt;
use ws_server::Message;
use ws_session::CloseCode;

/// The demo binary on a free loopback port; killed on drop.
struct Demo {
    child: Child,
    addr: SocketAddr,
}

impl Demo {
    fn start() -> Demo {
        Demo::start_with(&[])
    }

    fn start_with(args: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the ws-server binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ws://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        Demo { child, addr }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(m: Message) -> String {
    match m {
        Message::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

#[tokio::test]
async fn index_page_links_the_examples() {
    let demo = Demo::start();
    let (head, mut tcp) = raw(
        demo.addr,
        &format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", demo.addr),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = String::from_utf8(read_to_end(&mut tcp).await).unwrap();
    for page in ["/echo.html", "/chat.html", "/snake.html", "/drawboard.html"] {
        assert!(
            body.contains(&format!("href=\"{page}\"")),
            "{page} in {body}"
        );
        let (head, _) = raw(
            demo.addr,
            &format!("GET {page} HTTP/1.1\r\nHost: {}\r\n\r\n", demo.addr),
        )
        .await;
        assert!(head.starts_with("HTTP/1.1 200"), "{page}: {head}");
    }
}

#[tokio::test]
async fn chat_broadcasts_escaped_messages_between_two_clients() {
    let demo = Demo::start();
    let mut a = connect(demo.addr, "/chat").await;
    let joined_a = text(a.recv().await);
    assert!(joined_a.starts_with("* Guest") && joined_a.ends_with(" has joined."));
    let name_a = joined_a
        .trim_start_matches("* ")
        .trim_end_matches(" has joined.")
        .to_owned();

    let mut b = connect(demo.addr, "/chat").await;
    let joined_b = text(b.recv().await);
    assert_ne!(joined_b, joined_a);
    assert_eq!(text(a.recv().await), joined_b, "A sees B join");

    a.send(Message::Text("<b>hi</b> & \"bye\"".into())).await;
    let expected = format!("{name_a}: &lt;b&gt;hi&lt;/b&gt; &amp; &quot;bye&quot;");
    assert_eq!(text(b.recv().await), expected, "B gets A's message");
    assert_eq!(text(a.recv().await), expected, "A gets its own message");

    a.close(CloseCode::NORMAL).await;
    a.closed().await;
    assert_eq!(
        text(b.recv().await),
        format!("* {name_a} has disconnected.")
    );
}

#[tokio::test]
async fn snake_player_receives_ticks_with_its_snake() {
    let demo = Demo::start();
    let mut p = connect(demo.addr, "/snake").await;
    let join = text(p.recv().await);
    let id: u64 = join
        .strip_prefix(r#"{"type":"join","id":"#)
        .and_then(|s| s.strip_suffix('}'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("join message {join:?}"));
    p.send(Message::Text("south".into())).await;
    let mut last_tick = 0;
    for _ in 0..3 {
        let state = text(p.recv().await);
        assert!(state.starts_with(r#"{"type":"state","tick":"#), "{state}");
        assert!(state.contains(&format!(r#"{{"id":{id},"#)), "{state}");
        let tick: u64 = state[r#"{"type":"state","tick":"#.len()..]
            .split(',')
            .next()
            .and_then(|t| t.parse().ok())
            .expect("a tick number");
        assert!(tick > last_tick, "ticks increase");
        last_tick = tick;
    }
}

#[tokio::test]
async fn streaming_echo_returns_messages_whole_with_a_subprotocol() {
    let demo = Demo::start();
    let mut c = connect_with(
        demo.addr,
        "/echo-stream",
        |r| {
            r.protocol("nope")
                .and_then(|r| r.protocol("echo.v2"))
                .and_then(|r| r.protocol("echo.v1"))
                .unwrap()
        },
        ws_session::SessionConfig::default(),
    )
    .await
    .expect("upgrade accepted");
    assert_eq!(c.established.protocol.as_deref(), Some("echo.v2"));
    // 8000 bytes: under the default textBufferSize, two parts on the way back.
    let big = "ü".repeat(4_000);
    c.send(Message::Text(big.clone())).await;
    assert_eq!(text(c.recv().await), big);
    c.send(Message::Binary(bytes::Bytes::new())).await;
    assert_eq!(c.recv().await, Message::Binary(bytes::Bytes::new()));
    c.stream.shutdown().await.ok();
}

#[tokio::test]
async fn a_slow_chat_member_is_told_how_many_messages_it_skipped() {
    // No blocking-send timeout: the slow member stays connected however long the
    // flood takes (the key prefix is assembled so that it stays in ws-config).
    let properties =
        std::env::temp_dir().join(format!("demo-chat-{}.properties", std::process::id()));
    let prefix = ["org.apache", ".tomcat.websocket."].concat();
    std::fs::write(&properties, format!("{prefix}BLOCKING_SEND_TIMEOUT=-1\n")).unwrap();
    let demo = Demo::start_with(&["--config", properties.to_str().unwrap()]);

    // `slow` reads nothing until the flood is over.
    let mut slow = connect(demo.addr, "/chat").await;
    let mut fast = connect(demo.addr, "/chat").await;
    let name = text(fast.recv().await)
        .trim_start_matches("* ")
        .trim_end_matches(" has joined.")
        .to_owned();
    // 3,000 messages of 7 KB: far more than the socket buffers between the server
    // and `slow` hold, so its backlog overflows. `fast` reads each of its own messages
    // back before sending the next.
    const N: usize = 3_000;
    let filler = "x".repeat(7_000);
    for i in 0..N {
        fast.send(Message::Text(format!("{i} {filler}"))).await;
        while !text(fast.recv().await).starts_with(&format!("{name}: {i} ")) {}
    }
    fast.send(Message::Text("done".into())).await;

    let (mut delivered, mut skipped, mut notices) = (0, 0, 0);
    loop {
        let m = text(slow.recv().await);
        if let Some(n) = m.strip_prefix("[skipped ") {
            notices += 1;
            skipped += n.split(' ').next().unwrap().parse::<usize>().unwrap();
            continue;
        }
        delivered += 1;
        if m == format!("{name}: done") {
            break;
        }
    }
    std::fs::remove_file(&properties).ok();
    assert!(notices > 0 && skipped > 0, "the backlog overflowed");
    // Two join notices, N messages and "done": each delivered or counted as skipped.
    assert_eq!(delivered + skipped, N + 3);
}

#[tokio::test]
async fn a_dead_snake_player_leaves_the_board() {
    let demo = Demo::start();
    let mut alive = connect(demo.addr, "/snake").await;
    let alive_join = text(alive.recv().await);
    let mut dead = connect(demo.addr, "/snake").await;
    let dead_join = text(dead.recv().await);
    let dead_id = dead_join
        .trim_start_matches(r#"{"type":"join","id":"#)
        .trim_end_matches('}')
        .to_owned();
    assert_ne!(alive_join, dead_join);
    let listed = format!(r#"{{"id":{dead_id},"#);
    // Both are on the board, then the connection of one is dropped without a close.
    while !text(alive.recv().await).contains(&listed) {}
    drop(dead);
    for _ in 0..1_000 {
        if !text(alive.recv().await).contains(&listed) {
            return;
        }
    }
    panic!("the dead player is still on the board after 1,000 ticks");
}

#[tokio::test]
async fn drawboard_members_share_strokes_and_a_newcomer_gets_the_picture() {
    let demo = Demo::start();
    let mut a = connect(demo.addr, "/drawboard").await;
    assert_eq!(text(a.recv().await), "picture");
    a.send("#FF0000,3,10,10,20,20").await;
    a.send("not a stroke").await;
    a.send("#00ff00,5,0,0,900,600").await;
    assert_eq!(text(a.recv().await), "#ff0000,3,10,10,20,20");
    assert_eq!(text(a.recv().await), "#00ff00,5,0,0,900,600");
    let mut b = connect(demo.addr, "/drawboard").await;
    assert_eq!(
        text(b.recv().await),
        "picture\n#ff0000,3,10,10,20,20\n#00ff00,5,0,0,900,600"
    );
    b.send("#0000ff,1,1,2,3,4").await;
    assert_eq!(text(a.recv().await), "#0000ff,1,1,2,3,4");
    assert_eq!(text(b.recv().await), "#0000ff,1,1,2,3,4");
}

/// The health check's JSON body.
async fn health(addr: SocketAddr) -> String {
    let (head, mut tcp) = raw(
        addr,
        &format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    String::from_utf8(read_to_end(&mut tcp).await).unwrap()
}

#[tokio::test]
async fn a_drawboard_member_that_falls_behind_is_closed_with_1008() {
    // The closed member reads its close frame only after the flood: give the
    // server that long to write it (the key prefix is assembled so that it stays
    // in ws-config).
    let properties =
        std::env::temp_dir().join(format!("demo-draw-{}.properties", std::process::id()));
    let prefix = ["org.apache", ".tomcat.websocket."].concat();
    std::fs::write(
        &properties,
        format!("{prefix}ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT=60000\n"),
    )
    .unwrap();
    let demo = Demo::start_with(&["--config", properties.to_str().unwrap()]);
    let mut slow = connect(demo.addr, "/drawboard").await;
    assert_eq!(text(slow.recv().await), "picture");
    let mut fast = connect(demo.addr, "/drawboard").await;
    assert_eq!(text(fast.recv().await), "picture");
    assert!(health(demo.addr).await.contains(r#""closed_slow":0"#));
    // `fast` draws in batches and reads its strokes back; `slow` reads nothing,
    // until the server has closed it (more than 1,000 strokes behind).
    let mut sent = 0u32;
    let closed = loop {
        for _ in 0..200 {
            let x = sent % 900;
            fast.session
                .send(
                    std::time::Instant::now(),
                    Message::Text(format!("#123456,2,{x},1,{x},2")),
                )
                .unwrap();
            sent += 1;
        }
        fast.flush().await;
        for _ in 0..200 {
            text(fast.recv().await);
        }
        if sent % 10_000 == 0 && health(demo.addr).await.contains(r#""closed_slow":1"#) {
            break true;
        }
        if sent >= 2_000_000 {
            break false;
        }
    };
    assert!(closed, "the slow member is still open after {sent} strokes");
    // It gets what was written before, in order, then the close with 1008.
    let mut received = 0u32;
    let info = loop {
        match slow.event().await {
            Some(ws_session::Event::Message(m)) => {
                assert_eq!(
                    text(m),
                    format!("#123456,2,{x},1,{x},2", x = received % 900)
                );
                received += 1;
            }
            Some(ws_session::Event::Closed(info)) => break info,
            Some(_) => {}
            None => panic!("the transport ended without a close frame"),
        }
    };
    std::fs::remove_file(&properties).ok();
    assert_eq!(info.peer_code, Some(CloseCode::POLICY_VIOLATION));
    assert!(received < sent - 1_000, "{received} of {sent}");
}
