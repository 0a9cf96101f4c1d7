//! A `tokio-tungstenite` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`); no permessage-deflate: tungstenite 0.30 has none, and
//! tokio-tungstenite 0.30 no feature for it, so `--deflate` is refused. Whole text and
//! binary messages are echoed on any path, in the idiomatic fast way: every message
//! that is already readable is `feed`-ed to the sink, and the sink is flushed only
//! when no more are ready, so many echoes share one write.
//!
//! ```text
//! cargo run --release -p ws-benches --example tungstenite_echo -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use peer::{Deflate, MAX_MESSAGE};

fn main() -> ExitCode {
    peer::serve("tungstenite_echo", Deflate::Unsupported, |stream, _| {
        echo(stream)
    })
}

async fn echo(stream: TcpStream) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    peer::echo_batched(ws, |m: &Message| {
        matches!(m, Message::Text(_) | Message::Binary(_))
    })
    .await;
}
