//! The echo client of `cargo xtask loadtest --clients` for tokio-tungstenite:
//! `client_async_with_config` over a `TcpStream` with `TCP_NODELAY`, then its
//! `Stream` + `Sink` (see `client/mod.rs`). No permessage-deflate (tokio-tungstenite
//! 0.30 has none).
//!
//! ```text
//! cargo run --release -p ws-benches --example client_tungstenite -- --url ws://127.0.0.1:PORT/echo --size 1k
//! ```
#![forbid(unsafe_code)]

mod client;

use std::process::ExitCode;

use client::{Codec, Deflate, MAX_MESSAGE};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use ws_loadgen::payload::PayloadKind;

fn main() -> ExitCode {
    let codec = Codec {
        make: |payload, kind| match kind {
            PayloadKind::Binary => Message::Binary(payload.into()),
            PayloadKind::Text => Message::Text(client::text(payload).into()),
        },
        data: |message| match message {
            Message::Binary(b) => Some((PayloadKind::Binary, &b[..])),
            Message::Text(t) => Some((PayloadKind::Text, t.as_str().as_bytes())),
            _ => None,
        },
    };
    client::run("tokio-tungstenite", Deflate::Unsupported, connect, codec)
}

async fn connect(url: String, _deflate: bool) -> Result<WebSocketStream<TcpStream>, String> {
    let (tcp, _, _) = client::tcp(&url).await?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let (ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(config))
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}
