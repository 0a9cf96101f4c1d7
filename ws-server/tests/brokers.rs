//! Topics across two server processes through a real Redis and a real NATS: the
//! demo binary's chat room with `--broker`, clients on both servers. Every message
//! published on one server reaches the members on both exactly once, in order per
//! publisher; the broker is killed mid-test (each server keeps serving its own
//! members, the other server's members miss what is published meanwhile), then
//! restarted on the same port, after which delivery resumes.
//!
//! The brokers are Debian's `redis-server` and `nats-server`, started here on free
//! loopback ports; `scripts/brokers.sh install` installs them. A missing one fails
//! the test with that command (never a skip).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ws_server::Message;

/// How long a broker or server may take to come up or go down.
const PATIENCE: Duration = Duration::from_secs(30);

fn find_binary(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            "/usr/sbin".into(),
            "/usr/bin".into(),
            "/usr/local/bin".into(),
        ])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: install it with `scripts/brokers.sh install` \
                 (apt-get install -y redis-server nats-server)"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until `ready` holds.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Redis,
    Nats,
}

/// A broker process on a fixed loopback port; killed on drop.
struct BrokerProcess {
    kind: Kind,
    port: u16,
    child: Option<Child>,
}

impl BrokerProcess {
    fn start(kind: Kind) -> BrokerProcess {
        let mut broker = BrokerProcess {
            kind,
            port: free_port(),
            child: None,
        };
        broker.restart();
        broker
    }

    fn url(&self) -> String {
        match self.kind {
            Kind::Redis => format!("redis://127.0.0.1:{}", self.port),
            Kind::Nats => format!("nats://127.0.0.1:{}", self.port),
        }
    }

    /// Starts the process (again) on its port and waits until it accepts.
    fn restart(&mut self) {
        let port = self.port.to_string();
        let mut cmd = match self.kind {
            Kind::Redis => {
                let mut c = Command::new(find_binary("redis-server"));
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
                    .args(["--appendonly", "no", "--daemonize", "no"]);
                c
            }
            Kind::Nats => {
                let mut c = Command::new(find_binary("nats-server"));
                c.args(["-a", "127.0.0.1", "-p", &port]);
                c
            }
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the broker");
        self.child = Some(child);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_until("the broker to accept connections", || {
            TcpStream::connect(addr).is_ok()
        });
    }

    /// SIGKILL: the broker goes away without a word.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The demo binary with `--broker`; killed on drop.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(broker: &str) -> Node {
        let log = std::env::temp_dir().join(format!(
            "ws-server-broker-test-{}-{}.log",
            std::process::id(),
            free_port()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
            .args(["--addr", "127.0.0.1:0", "--broker", broker])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the ws-server binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ws://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Node { child, addr }
    }

    /// The health check's body.
    fn health(&self) -> String {
        use std::io::{Read, Write};
        let mut tcp = TcpStream::connect(self.addr).unwrap();
        write!(tcp, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = String::new();
        tcp.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response
    }

    fn broker_state(&self) -> String {
        let health = self.health();
        let state = health.split(r#""state":""#).nth(1).unwrap_or("");
        state.split('"').next().unwrap_or("").to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_state(nodes: &[&Node], state: &str) {
    wait_until(&format!("every server's broker to be {state}"), || {
        nodes.iter().all(|n| n.broker_state() == state)
    });
}

type Member = Client<tokio::net::TcpStream>;

/// A chat member: its name (from its own join line).
async fn join(addr: SocketAddr) -> (Member, String) {
    let mut c = connect(addr, "/chat").await;
    loop {
        let line = text(c.recv().await);
        if let Some(name) = line
            .strip_prefix("* ")
            .and_then(|l| l.strip_suffix(" has joined."))
        {
            // The first join line a member reads is its own (it subscribes first).
            return (c, name.to_owned());
        }
    }
}

fn text(m: Message) -> String {
    match m {
        Message::Text(t) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

/// The text of a chat line from `name`, if it is one.
fn said<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.strip_prefix(name)?.strip_prefix(": ")
}

/// Until the broker carries messages both ways again: `a` and `b` (on different
/// servers) each send probes until the other reads one of them.
async fn until_connected(a: &mut (Member, String), b: &mut (Member, String), round: &str) {
    for from in [0, 1] {
        let mut k = 0;
        'probing: loop {
            let tag = format!("probe {round} {from} {k}");
            let (sender, receiver) = if from == 0 {
                (&mut *a, &mut *b)
            } else {
                (&mut *b, &mut *a)
            };
            sender.0.send(tag.clone()).await;
            // The sender reads its own probe back (local delivery).
            while said(&text(sender.0.recv().await), &sender.1) != Some(&tag) {}
            // Does the receiver get it? It reads until its own marker comes back.
            let marker = format!("marker {round} {from} {k}");
            receiver.0.send(marker.clone()).await;
            loop {
                let line = text(receiver.0.recv().await);
                if said(&line, &sender.1) == Some(&tag) {
                    // Drain up to our marker so the next phase starts clean.
                    while said(&text(receiver.0.recv().await), &receiver.1) != Some(&marker) {}
                    break 'probing;
                }
                if said(&line, &receiver.1) == Some(&marker) {
                    break;
                }
            }
            k += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `publishers` each publish `n` numbered messages (each waits for its previous
/// one to come back), while every member reads; then checks that every member got
/// every publisher's messages exactly once and in order.
async fn exactly_once_in_order(
    members: Vec<(Member, String)>,
    publishers: &[usize],
    n: usize,
    round: &str,
) -> Vec<(Member, String)> {
    let names: Vec<String> = members.iter().map(|m| m.1.clone()).collect();
    let sources: Vec<String> = publishers.iter().map(|&p| names[p].clone()).collect();
    let mut tasks = Vec::new();
    for (i, (mut member, name)) in members.into_iter().enumerate() {
        let publishes = publishers.contains(&i);
        let sources = sources.clone();
        let round = round.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
            let mut sent = 0;
            if publishes {
                member.send(format!("{round} {sent}")).await;
                sent += 1;
            }
            // Until the last message of every publisher has arrived.
            while sources
                .iter()
                .any(|s| seen.get(s).and_then(|v| v.last()) != Some(&(n - 1)))
            {
                let line = text(member.recv().await);
                for source in &sources {
                    let Some(body) = said(&line, source) else {
                        continue;
                    };
                    let Some(k) = body.strip_prefix(&format!("{round} ")) else {
                        continue;
                    };
                    let k: usize = k.parse().unwrap();
                    seen.entry(source.clone()).or_default().push(k);
                    if source == &name && k + 1 == sent && sent < n {
                        member.send(format!("{round} {sent}")).await;
                        sent += 1;
                    }
                }
            }
            (member, name, seen)
        }));
    }
    let mut members = Vec::new();
    for task in tasks {
        let (member, name, seen) = guard(task).await.unwrap();
        for source in &sources {
            let got = &seen[source];
            assert_eq!(
                got,
                &(0..n).collect::<Vec<_>>(),
                "{name} got {source}'s messages of {round} once each, in order"
            );
        }
        members.push((member, name));
    }
    members
}

async fn across_two_servers(kind: Kind) {
    let mut broker = BrokerProcess::start(kind);
    let (a, b) = (Node::start(&broker.url()), Node::start(&broker.url()));
    wait_state(&[&a, &b], "connected");

    let mut a1 = join(a.addr).await;
    let a2 = join(a.addr).await;
    let mut b1 = join(b.addr).await;
    until_connected(&mut a1, &mut b1, "start").await;

    // Two publishers on two servers at once; three members read.
    let members = exactly_once_in_order(vec![a1, a2, b1], &[0, 2], 100, "before").await;
    let [mut a1, mut a2, mut b1]: [(Member, String); 3] = members.try_into().ok().unwrap();

    // The broker goes away: each server keeps serving its own members.
    broker.kill();
    wait_state(&[&a, &b], "connecting");
    a1.0.send("during the outage").await;
    assert_eq!(
        said(&text(a1.0.recv().await), &a1.1),
        Some("during the outage")
    );
    loop {
        let line = text(a2.0.recv().await);
        if said(&line, &a1.1) == Some("during the outage") {
            break;
        }
    }
    b1.0.send("alone on b").await;
    loop {
        let line = text(b1.0.recv().await);
        assert_ne!(
            said(&line, &a1.1),
            Some("during the outage"),
            "crossed without a broker"
        );
        if said(&line, &b1.1) == Some("alone on b") {
            break;
        }
    }

    // Back on the same port: delivery resumes across the servers.
    broker.restart();
    wait_state(&[&a, &b], "connected");
    until_connected(&mut a1, &mut b1, "restart").await;
    let members = exactly_once_in_order(vec![a1, a2, b1], &[0, 2], 100, "after").await;
    let mut b1 = members.into_iter().nth(2).unwrap();
    // Nothing published during the outage ever reached b (at most once, no replay).
    b1.0.send("last").await;
    loop {
        let line = text(b1.0.recv().await);
        assert!(!line.contains("during the outage"), "{line}");
        if said(&line, &b1.1) == Some("last") {
            break;
        }
    }
    let health = a.health();
    assert!(!health.contains(r#""reconnects":0"#), "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_across_two_servers_through_redis() {
    across_two_servers(Kind::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_across_two_servers_through_nats() {
    across_two_servers(Kind::Nats).await;
}
