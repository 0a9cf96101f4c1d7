//! The echo client of `cargo xtask loadtest --clients` for sockudo-ws:
//! `WebSocketClient::<Http1>::connect_raw` over a `TcpStream` with `TCP_NODELAY`,
//! then its `Stream` + `Sink` (see `client/mod.rs`). No permessage-deflate: the Tokio
//! HTTP/1.1 client of sockudo-ws 3.1 does not offer it.
//!
//! ```text
//! cargo run --release -p ws-benches --example client_sockudo -- --url ws://127.0.0.1:PORT/echo --size 1k
//! ```
#![forbid(unsafe_code)]

mod client;

use std::process::ExitCode;

use client::{Codec, Deflate, MAX_MESSAGE};
use sockudo_ws::client::WebSocketClient;
use sockudo_ws::{Config, Http1, Message, WebSocketStream};
use tokio::net::TcpStream;
use ws_loadgen::payload::PayloadKind;

fn main() -> ExitCode {
    sockudo_ws::init_clock();
    let codec = Codec {
        make: |payload, kind| match kind {
            PayloadKind::Binary => Message::Binary(payload.into()),
            PayloadKind::Text => Message::Text(payload.into()),
        },
        data: |message| match message {
            Message::Binary(b) => Some((PayloadKind::Binary, &b[..])),
            Message::Text(t) => Some((PayloadKind::Text, &t[..])),
            _ => None,
        },
    };
    client::run("sockudo-ws", Deflate::Unsupported, connect, codec)
}

async fn connect(url: String, _deflate: bool) -> Result<WebSocketStream<TcpStream>, String> {
    let (tcp, host, path) = client::tcp(&url).await?;
    let config = Config::builder()
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .build();
    let (ws, _) = WebSocketClient::<Http1>::new(config)
        .connect_raw(tcp, &host, &path, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}
