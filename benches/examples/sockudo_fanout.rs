//! A sockudo-ws pub/sub server (its `PubSub`, uWebSockets-style topics): a
//! comparison peer for `cargo xtask loadtest --fanout`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`). Its own HTTP/1.1 handshake functions, then
//! `WebSocketStream::server` split in two; every connection is a subscriber of the
//! topic `fanout` (an unbounded channel per subscriber, as the crate's pub/sub
//! examples do), except one opened with `?publisher`; every data message received
//! is published on the topic.
//!
//! ```text
//! cargo run --release -p ws-benches --example sockudo_fanout -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use sockudo_ws::handshake::{build_response, generate_accept_key, parse_request};
use sockudo_ws::pubsub::PubSub;
use sockudo_ws::{Config, Message, WebSocketStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const TOPIC: &str = "fanout";
/// Limits well above the benchmark's messages.
const MAX_MESSAGE: usize = 64 << 20;

fn pubsub() -> &'static Arc<PubSub> {
    static PUBSUB: OnceLock<Arc<PubSub>> = OnceLock::new();
    PUBSUB.get_or_init(|| Arc::new(PubSub::new()))
}

fn main() -> ExitCode {
    sockudo_ws::init_clock();
    peer::serve("sockudo_fanout", peer::Deflate::Unsupported, |stream, _| {
        connection(stream)
    })
}

/// The handshake: whether the client asked to publish, or `None` if it failed.
async fn handshake(stream: &mut TcpStream) -> Option<bool> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if stream.read_buf(&mut buf).await.ok()? == 0 {
            return None;
        }
        if let Some((request, _)) = parse_request(&buf).ok()? {
            let publisher = request.path.contains("publisher");
            let response = build_response(&generate_accept_key(request.key), None, None);
            stream.write_all(&response).await.ok()?;
            return Some(publisher);
        }
    }
}

async fn connection(mut stream: TcpStream) {
    let Some(publisher) = handshake(&mut stream).await else {
        return;
    };
    let config = Config::builder()
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .build();
    let (mut reader, mut writer) = WebSocketStream::server(stream, config).split();
    if publisher {
        while let Some(Ok(message)) = reader.next().await {
            if matches!(message, Message::Binary(_) | Message::Text(_)) {
                pubsub().publish(TOPIC, message);
            }
        }
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = pubsub().create_subscriber(tx);
    pubsub().subscribe(id, TOPIC);
    loop {
        tokio::select! {
            message = rx.recv() => {
                let Some(message) = message else { break };
                if writer.send(message).await.is_err() {
                    break;
                }
            }
            incoming = reader.next() => match incoming {
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    pubsub().remove_subscriber(id);
}
