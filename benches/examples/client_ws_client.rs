//! The echo client of `cargo xtask loadtest --clients` for ws-client: N connections,
//! K messages in flight each, every echo checked, msgs/s as one JSON line (see
//! `client/mod.rs`). Uses nothing of ws-client but `connect` (and its config) and the
//! `WebSocket`'s `Stream` + `Sink`, so it follows the API as it changes.
//!
//! ```text
//! cargo run --release -p ws-benches --example client_ws_client -- --url ws://127.0.0.1:PORT/echo --size 1k [--deflate]
//! ```
#![forbid(unsafe_code)]

mod client;

use std::process::ExitCode;

use client::{Codec, Deflate, MAX_MESSAGE};
use ws_client::{ClientConfig, Message, Proxy, SessionConfig};
use ws_loadgen::payload::PayloadKind;

fn main() -> ExitCode {
    let codec = Codec {
        make: |payload, kind| match kind {
            PayloadKind::Binary => Message::Binary(payload.into()),
            PayloadKind::Text => Message::Text(client::text(payload)),
        },
        data: |message| match message {
            Message::Binary(b) => Some((PayloadKind::Binary, b)),
            Message::Text(t) => Some((PayloadKind::Text, t.as_bytes())),
        },
    };
    client::run("ws-client", Deflate::Supported, connect, codec)
}

async fn connect(url: String, deflate: bool) -> Result<ws_client::WebSocket, String> {
    let config = ClientConfig::default()
        .with_proxy(Proxy::none())
        .with_deflate(deflate)
        .with_session(
            SessionConfig::default()
                .with_binary_buffer_size(MAX_MESSAGE)
                .with_text_buffer_size(MAX_MESSAGE),
        );
    ws_client::connect(&url, &config)
        .await
        .map_err(|e| e.to_string())
}
