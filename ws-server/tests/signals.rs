//! The binary's shutdown signals, sent the instant it says it listens.
//!
//! A supervisor (systemd, Kubernetes, a test script) starts the server, waits for
//! `listening on ...`, and may send SIGTERM or SIGINT right then. The server must
//! already handle both at that moment: a signal that arrives before its handlers
//! are installed kills it on the spot (no 1001 to anyone, exit by signal) or, where
//! the parent ignores SIGINT, is lost and the server keeps running.
//!
//! Each run starts the binary, sends the signal the instant the line is read, then
//! connects a WebSocket client, and requires a graceful shutdown: exit status 0,
//! and a client that got its 101 receives a close frame with 1001 (never a dropped
//! connection). A client cannot be connected *before* a signal sent at that
//! instant (the 101 needs the accept loop, which starts after the line), so the
//! client races the shutdown: refused, answered 503 or upgraded and closed with
//! 1001 are all graceful; what the test rules out is an upgraded connection that
//! ends without the close frame. The deterministic check that a connected client
//! gets 1001 is `binary_closes_connected_clients_with_1001_on_sigint` below and the
//! SIGTERM test in `binary.rs`.
//!
//! 100 runs per signal, a few processes at a time (each run is a process start and
//! a shutdown, tens of milliseconds).

mod common;

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Instant;

use common::{connect, guard, upgrade_request};
use rustix::process::{kill_process, Pid, Signal};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use ws_session::{CloseCode, Event, Session, SessionConfig};

/// Runs per signal.
const RUNS: usize = 100;
/// Server processes started at once.
const PARALLEL: usize = 4;

/// What the client that connects right after the signal saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientSaw {
    /// No TCP connection, or no answer to the upgrade request: the server had
    /// stopped accepting.
    NotServed,
    /// `503 Service Unavailable`: the handshake was under way when shutdown began.
    Unavailable,
    /// Upgraded, then a close frame with this code.
    Closed(CloseCode),
    /// Upgraded, then the connection ended without a close frame.
    Dropped,
    /// Any other response status.
    Status(u16),
}

#[derive(Debug)]
struct Run {
    status: Option<ExitStatus>,
    client: ClientSaw,
    stderr: String,
}

impl Run {
    fn graceful(&self) -> bool {
        let exited_0 = self.status.is_some_and(|s| s.success());
        let client_ok = matches!(
            self.client,
            ClientSaw::NotServed
                | ClientSaw::Unavailable
                | ClientSaw::Closed(CloseCode::GOING_AWAY)
        );
        exited_0 && client_ok
    }
}

fn send_signal(child: &Child, signal: Signal) {
    let pid = Pid::from_raw(child.id().expect("child still running") as i32).unwrap();
    kill_process(pid, signal).unwrap();
}

/// Starts the binary, signals it the instant the line appears, connects a client.
async fn run_once(signal: Signal) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(["--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    guard(stdout.read_line(&mut line)).await.unwrap();
    send_signal(&child, signal);
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("listening on ws://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    let client = guard(client_after_signal(addr)).await;
    let status = match tokio::time::timeout(common::GUARD, child.wait()).await {
        Ok(status) => Some(status.unwrap()),
        // Still running: the signal was lost.
        Err(_) => {
            let _ = child.kill().await;
            None
        }
    };
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await;
    Run {
        status,
        client,
        stderr,
    }
}

/// Connects to `/echo` and follows the connection to its end.
async fn client_after_signal(addr: SocketAddr) -> ClientSaw {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return ClientSaw::NotServed;
    };
    if tcp
        .write_all(upgrade_request(addr, "/echo", "").as_bytes())
        .await
        .is_err()
    {
        return ClientSaw::NotServed;
    }
    let head = common::wire::read_head_bytes(&mut tcp).await;
    let head = String::from_utf8_lossy(&head);
    let status: u16 = match head.split(' ').nth(1).and_then(|s| s.parse().ok()) {
        Some(status) => status,
        None => return ClientSaw::NotServed,
    };
    match status {
        101 => {}
        503 => return ClientSaw::Unavailable,
        other => return ClientSaw::Status(other),
    }
    // The frames after the 101, read with a client session; it answers the close.
    let mut session = Session::client(SessionConfig::default(), || [7, 7, 7, 7], Instant::now());
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(event) = session.poll_event() {
            if let Event::Closed(info) = event {
                let mut out = Vec::new();
                session.transmit_into(&mut out);
                let _ = tcp.write_all(&out).await;
                return if info.code == CloseCode::ABNORMAL {
                    ClientSaw::Dropped
                } else {
                    ClientSaw::Closed(info.code)
                };
            }
        }
        let mut out = Vec::new();
        session.transmit_into(&mut out);
        if !out.is_empty() {
            let _ = tcp.write_all(&out).await;
        }
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => session.handle_eof(Instant::now()),
            Ok(n) => session.handle_input(Instant::now(), &buf[..n]),
        }
    }
}

/// `RUNS` runs, `PARALLEL` at a time; panics listing every run that was not
/// graceful.
async fn check_signal(signal: Signal, name: &str) {
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let permit = limit.clone().acquire_owned().await.unwrap();
        runs.push(tokio::spawn(async move {
            let run = run_once(signal).await;
            drop(permit);
            run
        }));
    }
    let mut failed = Vec::new();
    let mut upgraded = 0;
    for run in runs {
        let run = run.await.unwrap();
        if matches!(run.client, ClientSaw::Closed(_) | ClientSaw::Dropped) {
            upgraded += 1;
        }
        if !run.graceful() {
            failed.push(run);
        }
    }
    eprintln!(
        "{name}: {} of {RUNS} runs graceful; the racing client was upgraded in {upgraded}",
        RUNS - failed.len()
    );
    let killed = failed
        .iter()
        .filter(|r| r.status.is_some_and(|s| s.code().is_none()))
        .count();
    let running = failed.iter().filter(|r| r.status.is_none()).count();
    if failed.is_empty() {
        return;
    }
    panic!(
        "{name} the instant the server said it listens: {} of {RUNS} runs not graceful \
         (exit status 0 and 1001 to an upgraded client): {killed} killed by the signal, \
         {running} still running (signal lost); first: {:?} {:?}, its log:\n{}",
        failed.len(),
        failed[0].status,
        failed[0].client,
        failed[0].stderr,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_right_after_listening_shuts_down_gracefully() {
    check_signal(Signal::TERM, "SIGTERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_right_after_listening_shuts_down_gracefully() {
    check_signal(Signal::INT, "SIGINT").await;
}

#[tokio::test]
async fn binary_closes_connected_clients_with_1001_on_sigint() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(["--addr", "127.0.0.1:0", "--threads", "1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("listening on ws://")
        .unwrap()
        .parse()
        .unwrap();
    let mut client = connect(addr, "/echo").await;
    client.send("before").await;
    assert_eq!(
        client.recv().await,
        ws_server::Message::Text("before".into())
    );
    send_signal(&child, Signal::INT);
    assert_eq!(client.closed().await.code, CloseCode::GOING_AWAY);
    drop(client);
    let status = guard(child.wait()).await.unwrap();
    assert!(status.success(), "{status:?}");
}
