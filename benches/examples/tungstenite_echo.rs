//! A `tokio-tungstenite` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`); no permessage-deflate (tungstenite has none). Whole
//! text and binary messages are echoed on any path, in the idiomatic fast way: every
//! message that is already readable is `feed`-ed to the sink, and the sink is
//! flushed only when no more are ready, so many echoes share one write.
//!
//! ```text
//! cargo run --release -p ws-benches --example tungstenite_echo -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use futures::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Limits well above the largest load-test message (1 MiB).
const MAX_MESSAGE: usize = 64 << 20;

fn main() -> ExitCode {
    peer::serve("tungstenite_echo", echo)
}

async fn echo(stream: TcpStream) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    while let Some(Ok(first)) = ws.next().await {
        let mut next = Some(first);
        let mut open = true;
        while let Some(message) = next.take() {
            if matches!(message, Message::Text(_) | Message::Binary(_))
                && ws.feed(message).await.is_err()
            {
                return;
            }
            match ws.next().now_or_never() {
                Some(Some(Ok(message))) => next = Some(message),
                Some(_) => open = false,
                None => {}
            }
        }
        // Also sends the automatic pong or close reply, if one is queued.
        if ws.flush().await.is_err() || !open {
            return;
        }
    }
}
