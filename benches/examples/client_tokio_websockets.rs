//! The echo client of `cargo xtask loadtest --clients` for tokio-websockets:
//! `ClientBuilder::connect_on` over a `TcpStream` with `TCP_NODELAY`, then its
//! `Stream` + `Sink` (see `client/mod.rs`). No permessage-deflate (tokio-websockets
//! 0.13 has none).
//!
//! ```text
//! cargo run --release -p ws-benches --example client_tokio_websockets -- --url ws://127.0.0.1:PORT/echo --size 1k
//! ```
#![forbid(unsafe_code)]

mod client;

use std::process::ExitCode;

use client::{Codec, Deflate, MAX_MESSAGE};
use tokio::net::TcpStream;
use tokio_websockets::{ClientBuilder, Limits, Message, WebSocketStream};
use ws_loadgen::payload::PayloadKind;

fn main() -> ExitCode {
    let codec = Codec {
        make: |payload, kind| match kind {
            PayloadKind::Binary => Message::binary(payload),
            PayloadKind::Text => Message::text(client::text(payload)),
        },
        data: |message: &Message| {
            let kind = if message.is_text() {
                PayloadKind::Text
            } else if message.is_binary() {
                PayloadKind::Binary
            } else {
                return None;
            };
            Some((kind, &message.as_payload()[..]))
        },
    };
    client::run("tokio-websockets", Deflate::Unsupported, connect, codec)
}

async fn connect(url: String, _deflate: bool) -> Result<WebSocketStream<TcpStream>, String> {
    let (tcp, _, _) = client::tcp(&url).await?;
    let (ws, _) = ClientBuilder::new()
        .uri(&url)
        .map_err(|e| e.to_string())?
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)))
        .connect_on(tcp)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}
