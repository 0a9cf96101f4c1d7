//! The demo binary over real sockets: the index page links the examples, chat
//! broadcasts (HTML-escaped) between two clients, snake ticks reach a player, the
//! streaming echo returns messages whole and negotiates its subprotocols.

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
        let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
            .args(["--addr", "127.0.0.1:0"])
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
    for page in ["/echo.html", "/chat.html", "/snake.html"] {
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
