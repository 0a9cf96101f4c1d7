//! The generator's browser-like permessage-deflate against ws-server, in-process over
//! real loopback sockets: the Chromium offer is accepted, compressed messages of both
//! kinds go out, the server's compressed echoes are inflated and every one checked, in
//! every mode; the connections mode reads memory with compression on. No timing or
//! memory-size assertions: only that each step ran and was checked.

use std::time::Duration;

use ws_loadgen::connections::{self, ConnectionsConfig};
use ws_loadgen::latency::{self, LatencyConfig};
use ws_loadgen::payload::PayloadKind;
use ws_loadgen::throughput::{self, ThroughputConfig};
use ws_loadgen::Target;
use ws_server::{Echo, Server};

/// ws-server with its default permessage-deflate policy on, messages up to 16 MiB.
async fn start_ws_server() -> Target {
    let limits = ws_session::SessionConfig::default()
        .with_text_buffer_size(16 << 20)
        .with_binary_buffer_size(16 << 20);
    let server = Server::builder()
        .session_config(limits)
        .deflate(true)
        .build();
    server.add_endpoint("/echo", Echo).unwrap();
    let listener = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve(listener));
    Target::parse(&format!("ws://{addr}/echo")).unwrap()
}

fn deflate_run(target: Target, size: usize, kind: PayloadKind) -> ThroughputConfig {
    ThroughputConfig {
        target,
        label: "ws-server".into(),
        connections: 3,
        in_flight: 4,
        size,
        kind,
        deflate: true,
        warmup: Duration::from_millis(50),
        duration: Duration::from_millis(300),
        server_pid: Some(std::process::id()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_with_deflate_checks_every_compressed_echo() {
    let target = start_ws_server().await;
    // 70,000 bytes: compressed frames span reads, inflated output spans pieces.
    for kind in [PayloadKind::Text, PayloadKind::Binary] {
        for size in [16, 1024, 70_000] {
            let report = throughput::run(&deflate_run(target.clone(), size, kind))
                .await
                .unwrap();
            assert!(report.total_messages > 0, "{report:?}");
            assert_eq!(report.clean_closes, 3);
            let answer = report.deflate.as_deref().unwrap_or_default();
            assert!(answer.starts_with("permessage-deflate"), "{answer}");
            assert_eq!(report.json()["kind"], kind.name());
            assert!(report.generator_cpu_seconds >= 0.0);
            assert!(report.compressed_echoes <= report.total_messages);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_with_deflate() {
    let target = start_ws_server().await;
    let report = latency::run(&LatencyConfig {
        target,
        label: "ws-server".into(),
        size: 1024,
        kind: PayloadKind::Text,
        deflate: true,
        warmup: Duration::from_millis(20),
        duration: Duration::from_millis(200),
    })
    .await
    .unwrap();
    assert!(report.nanos.count > 0);
    assert!(report.clean_close);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_per_connection_with_deflate_before_and_after_traffic() {
    let target = start_ws_server().await;
    let report = connections::run(&ConnectionsConfig {
        target,
        label: "ws-server".into(),
        connections: 50,
        messages: 4,
        size: 1024,
        kind: PayloadKind::Text,
        deflate: true,
        later: Duration::from_millis(100),
        server_pid: Some(std::process::id()),
    })
    .await
    .unwrap();
    assert_eq!(report.clean_closes, 50);
    assert!(report.deflate.is_some());
    assert!(report.bytes_per_connection_open().is_some());
    assert!(report.bytes_per_connection().is_some());
    assert!(report.bytes_per_connection_later().is_some());
    let json = report.json();
    assert_eq!(json["messages"], 4);
    assert!(json["deflate"]
        .as_str()
        .unwrap()
        .starts_with("permessage-deflate"));
}
