//! Runs every example of this crate (cargo builds them before the tests) and checks
//! what it does: the examples a new user copies from must keep working.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use common::command::example;
use common::{connect, guard};
use ws_server::Message;

/// A server example started with `args`; killed on drop. `addr` is what its
/// `listening on ws://ADDR/...` line names.
struct Running {
    child: Child,
    addr: std::net::SocketAddr,
    line: String,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = example(name)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = loop {
            let line = lines.next().expect("a listening line").unwrap();
            if line.starts_with("listening on ws://") {
                break line;
            }
        };
        // Keep reading what it prints, so its writes never hit a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let authority = &line["listening on ws://".len()..];
        let addr = authority[..authority.find('/').unwrap()].parse().unwrap();
        Running { child, addr, line }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn echo_server_echoes() {
    let server = Running::start("echo_server", &["127.0.0.1:0"]);
    let mut c = connect(server.addr, "/echo").await;
    c.send("hello").await;
    assert_eq!(guard(c.recv()).await, Message::Text("hello".into()));
}

#[tokio::test]
async fn broadcast_room_reaches_everyone_in_the_room_and_no_one_else() {
    let server = Running::start("broadcast_room", &["127.0.0.1:0"]);
    let mut a = connect(server.addr, "/rooms/blue").await;
    let joined = |m: Message| matches!(m, Message::Text(t) if t.ends_with(" joined"));
    assert!(joined(guard(a.recv()).await));
    let mut b = connect(server.addr, "/rooms/blue").await;
    assert!(joined(guard(a.recv()).await));
    assert!(joined(guard(b.recv()).await));
    let mut red = connect(server.addr, "/rooms/red").await;
    assert!(joined(guard(red.recv()).await));
    b.send("hi blue").await;
    for c in [&mut a, &mut b] {
        let got = guard(c.recv()).await;
        assert!(
            matches!(&got, Message::Text(t) if t.ends_with(": hi blue")),
            "{got:?}"
        );
    }
    // The red room hears nothing of it: its next message is its own.
    red.send("hi red").await;
    let got = guard(red.recv()).await;
    assert!(
        matches!(&got, Message::Text(t) if t.ends_with(": hi red")),
        "{got:?}"
    );
}

#[tokio::test]
async fn properties_example_applies_the_shipped_file() {
    let server = Running::start("properties", &[]);
    assert!(server.line.ends_with("/echo"), "{}", server.line);
    let mut c = connect(server.addr, "/echo").await;
    c.send("configured").await;
    assert_eq!(guard(c.recv()).await, Message::Text("configured".into()));
}
