//! Client throughput: echo round trips over loopback TCP against an in-process
//! `ws-server` echo endpoint, for 16 B, 1 KiB and 64 KiB binary messages. One
//! iteration pipelines [`BATCH`] messages (sent, flushed once) and reads their echoes,
//! over a connection kept open across iterations. The iteration runs as a task on
//! the runtime (2 worker threads, shared with the server), as application code does:
//! driven from outside the runtime (`block_on`), every hop of ws-client's driver task
//! is a thread wake-up, which no application pays.
//!
//! Rows (same server, same runtime, same run):
//! * `ws-client`: `ws_client::connect`, the `Sink` (`feed` + `flush`) and `Stream`.
//! * `tokio-tungstenite`: `tokio_tungstenite::client_async` over a `TcpStream`, the
//!   same `feed` + `flush` and `next`.
//!
//! permessage-deflate is off for both (tokio-tungstenite has none).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::{SinkExt, StreamExt};
use tokio::runtime::Runtime;
use ws_server::Echo;

const SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];
const BATCH: usize = 64;

fn start_server(rt: &Runtime) -> std::net::SocketAddr {
    rt.block_on(async {
        let big = ws_session::SessionConfig::default()
            .with_text_buffer_size(1 << 20)
            .with_binary_buffer_size(1 << 20);
        let server = ws_server::Server::builder()
            .session_config(big)
            .deflate(false)
            .build();
        server.add_endpoint("/echo", Echo).unwrap();
        let listener = ws_server::Server::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server.serve(listener));
        addr
    })
}

fn client(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = start_server(&rt);
    let uri = format!("ws://{addr}/echo");
    let mut group = c.benchmark_group("client_echo");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (size, name) in SIZES {
        group.throughput(Throughput::Bytes((size * BATCH) as u64));
        let payload = bytes::Bytes::from(vec![0x5au8; size]);

        let config = ws_client::ClientConfig::default()
            .with_proxy(ws_client::Proxy::none())
            .with_deflate(false)
            .with_session(
                ws_client::SessionConfig::default()
                    .with_binary_buffer_size(1 << 20)
                    .with_text_buffer_size(1 << 20),
            );
        let mut ours = Some(rt.block_on(ws_client::connect(&uri, &config)).unwrap());
        group.bench_with_input(BenchmarkId::new("ws-client", name), &payload, |b, p| {
            b.iter(|| {
                let mut ws = ours.take().unwrap();
                let p = p.clone();
                // The loop runs as a task on the runtime, as application code does.
                let task = rt.spawn(async move {
                    for _ in 0..BATCH {
                        ws.feed(ws_client::Message::Binary(p.clone()))
                            .await
                            .unwrap();
                    }
                    ws.flush().await.unwrap();
                    for _ in 0..BATCH {
                        ws.next().await.unwrap().unwrap();
                    }
                    ws
                });
                ours = Some(rt.block_on(task).unwrap());
            })
        });
        rt.block_on(ours.take().unwrap().close()).unwrap();

        let peer = rt.block_on(async {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            tokio_tungstenite::client_async(uri.as_str(), tcp)
                .await
                .unwrap()
                .0
        });
        let mut peer = Some(peer);
        group.bench_with_input(
            BenchmarkId::new("tokio-tungstenite", name),
            &payload,
            |b, p| {
                b.iter(|| {
                    let mut ws = peer.take().unwrap();
                    let p = p.clone();
                    let task = rt.spawn(async move {
                        for _ in 0..BATCH {
                            ws.feed(tokio_tungstenite::tungstenite::Message::Binary(p.clone()))
                                .await
                                .unwrap();
                        }
                        ws.flush().await.unwrap();
                        for _ in 0..BATCH {
                            ws.next().await.unwrap().unwrap();
                        }
                        ws
                    });
                    peer = Some(rt.block_on(task).unwrap());
                })
            },
        );
        let mut peer = peer.take().unwrap();
        rt.block_on(peer.close(None)).unwrap();
    }
    group.finish();
}

criterion_group!(benches, client);
criterion_main!(benches);
