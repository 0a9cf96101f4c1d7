//! The generator against a tiny echo server built from `ws-handshake` and
//! `ws-session` over real loopback sockets: honest echoes pass every mode; corrupted,
//! reordered, truncated and refused echoes fail the run, and so does a server that
//! declines a deflate offer the run requires. The compressed paths run against
//! ws-server itself (`tests/deflate.rs`). No timing assertions: the windows are short
//! only to keep the test fast.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_handshake::{Limits, ServerConfig, ServerHandshake, StatusCode};
use ws_loadgen::connections::{self, ConnectionsConfig};
use ws_loadgen::latency::{self, LatencyConfig};
use ws_loadgen::payload::{PayloadError, PayloadKind};
use ws_loadgen::throughput::{self, ThroughputConfig};
use ws_loadgen::{LoadError, Target};
use ws_session::{Bytes, Event, Message, Session, SessionConfig};

/// What the test server does with each message.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Echoes it.
    Echo,
    /// Flips a body byte of the fourth message.
    Corrupt,
    /// Swaps the second and third messages.
    Swap,
    /// Drops the last byte of the second message.
    Truncate,
    /// Answers the upgrade with 404.
    Refuse,
    /// Keeps the default 8 KiB message limit (closes larger messages with 1009).
    SmallLimit,
}

async fn start(behaviour: Behaviour) -> Target {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, behaviour));
        }
    });
    Target::parse(&format!("ws://{addr}/echo")).unwrap()
}

fn alter(
    behaviour: Behaviour,
    index: u64,
    message: Message,
    held: &mut Option<Message>,
) -> Vec<Message> {
    let Message::Binary(bytes) = message else {
        return vec![message];
    };
    let mut bytes = bytes.to_vec();
    match (behaviour, index) {
        (Behaviour::Corrupt, 3) => {
            let last = bytes.len() - 1;
            bytes[last] ^= 0x40;
        }
        (Behaviour::Truncate, 1) => {
            bytes.pop();
        }
        (Behaviour::Swap, 1) => {
            *held = Some(Message::Binary(Bytes::from(bytes)));
            return vec![];
        }
        (Behaviour::Swap, 2) => {
            return vec![Message::Binary(Bytes::from(bytes))]
                .into_iter()
                .chain(held.take())
                .collect();
        }
        _ => {}
    }
    vec![Message::Binary(Bytes::from(bytes))]
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut handshake = ServerHandshake::new(Limits::default());
    let upgrade = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        match handshake.handle_input(&buf[..n]) {
            Ok(Some(upgrade)) => break upgrade,
            Ok(None) => {}
            Err(e) => return stream.write_all(&e.response()).await,
        }
    };
    if let Behaviour::Refuse = behaviour {
        let response = ws_handshake::error_response(StatusCode(404), &[]);
        return stream.write_all(&response).await;
    }
    // This server cannot compress: it declines permessage-deflate offers.
    let mut server_config = ServerConfig::default();
    server_config.deflate.enabled = false;
    stream
        .write_all(&upgrade.accept(&server_config).response())
        .await?;
    let config = match behaviour {
        Behaviour::SmallLimit => SessionConfig::default(),
        _ => SessionConfig::default()
            .with_binary_buffer_size(16 << 20)
            .with_text_buffer_size(16 << 20),
    };
    let mut session = Session::server(config, Instant::now());
    session.handle_input(Instant::now(), upgrade.leftover());
    let (mut index, mut held, mut out) = (0u64, None, Vec::new());
    loop {
        while let Some(event) = session.poll_event() {
            if let Event::Message(message) = event {
                for reply in alter(behaviour, index, message, &mut held) {
                    session
                        .send(Instant::now(), reply)
                        .expect("echo fits the queue");
                }
                index += 1;
            }
        }
        session.transmit_into(&mut out);
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if session.is_finished() {
            return Ok(());
        }
        match stream.read(&mut buf).await? {
            0 => {
                session.handle_eof(Instant::now());
                session.transmit_into(&mut out);
                return stream.write_all(&out).await;
            }
            n => session.handle_input(Instant::now(), &buf[..n]),
        }
    }
}

fn throughput_config(target: Target, size: usize) -> ThroughputConfig {
    ThroughputConfig {
        target,
        label: "test".into(),
        connections: 4,
        in_flight: 4,
        size,
        kind: PayloadKind::Binary,
        deflate: false,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(300),
        // The test server runs in this process.
        server_pid: Some(std::process::id()),
    }
}

#[tokio::test]
async fn throughput_against_an_honest_echo_server() {
    let target = start(Behaviour::Echo).await;
    // 70,000 bytes: frames span many reads on both sides.
    for size in [16, 1024, 70_000] {
        let report = throughput::run(&throughput_config(target.clone(), size))
            .await
            .unwrap();
        assert!(report.total_messages > 0, "{report:?}");
        assert_eq!(report.clean_closes, 4);
        assert_eq!(report.size, size);
        assert!(report.server_cpu_seconds.is_some());
        let json = report.json();
        assert_eq!(json["mode"], "throughput");
        assert_eq!(json["size"], size);
        assert!(report.table().contains("| test |"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_on_a_multi_threaded_runtime() {
    let target = start(Behaviour::Echo).await;
    let report = throughput::run(&throughput_config(target, 100))
        .await
        .unwrap();
    assert_eq!(report.clean_closes, 4);
}

#[tokio::test]
async fn latency_against_an_honest_echo_server() {
    let target = start(Behaviour::Echo).await;
    let report = latency::run(&LatencyConfig {
        target,
        label: "test".into(),
        size: 16,
        kind: PayloadKind::Binary,
        deflate: false,
        warmup: Duration::from_millis(20),
        duration: Duration::from_millis(200),
    })
    .await
    .unwrap();
    let s = report.nanos;
    assert!(s.count > 0);
    assert!(s.min <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
    assert!(report.clean_close);
    assert_eq!(report.json()["samples"], s.count);
}

#[tokio::test]
async fn connections_mode_reads_the_server_memory() {
    let target = start(Behaviour::Echo).await;
    // The test server runs in this process.
    let report = connections::run(&ConnectionsConfig {
        target,
        label: "test".into(),
        connections: 300,
        messages: 2,
        size: 16,
        kind: PayloadKind::Binary,
        deflate: false,
        later: Duration::ZERO,
        server_pid: Some(std::process::id()),
    })
    .await
    .unwrap();
    assert_eq!(report.connections, 300);
    assert_eq!(report.clean_closes, 300);
    assert!(report.rss_before.is_some() && report.rss_open.is_some());
    assert!(report.rss_idle.is_some());
    assert!(report.bytes_per_connection().is_some());
    assert!(report.bytes_per_connection_open().is_some());
    assert_eq!(report.bytes_per_connection_later(), None);
    assert_eq!(report.deflate, None);
    assert!(report.table().contains("300"));
    assert_eq!(report.json()["messages"], 2);
}

async fn expect_failure(behaviour: Behaviour, size: usize) -> LoadError {
    let target = start(behaviour).await;
    let mut config = throughput_config(target, size);
    config.connections = 2;
    throughput::run(&config).await.unwrap_err()
}

#[tokio::test]
async fn a_corrupted_echo_fails_the_run() {
    for size in [16, 70_000] {
        match expect_failure(Behaviour::Corrupt, size).await {
            LoadError::Payload(PayloadError::Corrupt { seq: 3, offset }) => {
                assert_eq!(offset, size - 1)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn reordered_echoes_fail_the_run() {
    match expect_failure(Behaviour::Swap, 1024).await {
        LoadError::Payload(PayloadError::OutOfOrder {
            expected: 1,
            got: 2,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_truncated_echo_fails_the_run() {
    match expect_failure(Behaviour::Truncate, 64).await {
        LoadError::Payload(PayloadError::WrongLength {
            seq: 1,
            expected: 64,
            got: 63,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_server_close_is_reported_with_its_code() {
    // The server closes with 1009 while the generator is still writing: the
    // failed write is explained by the close frame that preceded it.
    for size in [10_000, 1 << 20] {
        match expect_failure(Behaviour::SmallLimit, size).await {
            LoadError::Closed(why) => assert!(why.contains("1009"), "{why}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn text_messages_are_echoed_as_text_and_checked() {
    let target = start(Behaviour::Echo).await;
    for size in [8, 100, 70_000] {
        let mut config = throughput_config(target.clone(), size);
        config.kind = PayloadKind::Text;
        let report = throughput::run(&config).await.unwrap();
        assert!(report.total_messages > 0);
        assert_eq!(report.json()["kind"], "text");
    }
}

#[tokio::test]
async fn a_server_that_declines_deflate_fails_a_deflate_run() {
    let target = start(Behaviour::Echo).await;
    let mut config = throughput_config(target, 16);
    config.deflate = true;
    let err = throughput::run(&config).await.unwrap_err();
    assert!(matches!(err, LoadError::DeflateDeclined), "{err:?}");
}

#[tokio::test]
async fn a_refused_upgrade_fails_the_run() {
    assert!(matches!(
        expect_failure(Behaviour::Refuse, 16).await,
        LoadError::Refused(404)
    ));
}

#[tokio::test]
async fn nobody_listening_fails_the_run() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let target = Target::parse(&format!("ws://{addr}/echo")).unwrap();
    let err = throughput::run(&throughput_config(target, 16))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Io(_)), "{err:?}");
}

#[test]
fn the_binary_prints_usage_and_refuses_other_hosts() {
    let bin = env!("CARGO_BIN_EXE_ws-loadgen");
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("throughput"));
    let refused = std::process::Command::new(bin)
        .args(["throughput", "--url", "ws://192.0.2.1:80/echo"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
}
