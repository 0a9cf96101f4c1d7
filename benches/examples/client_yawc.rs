//! The echo client of `cargo xtask loadtest --clients` for yawc: `WebSocket::handshake`
//! over a `TcpStream` with `TCP_NODELAY`, then its `Stream` (of frames, wrapped into
//! `Ok`) + `Sink` (see `client/mod.rs`). With `--deflate`, the offer of
//! `Options::with_balanced_compression` (level 6, context takeover).
//!
//! ```text
//! cargo run --release -p ws-benches --example client_yawc -- --url ws://127.0.0.1:PORT/echo --size 1k [--deflate]
//! ```
#![forbid(unsafe_code)]

mod client;

use std::convert::Infallible;
use std::process::ExitCode;

use client::{Codec, Deflate, MAX_MESSAGE};
use futures::{Sink, Stream, StreamExt};
use ws_loadgen::payload::PayloadKind;
use yawc::{Frame, OpCode, Options, WebSocket};

fn main() -> ExitCode {
    let codec = Codec {
        make: |payload, kind| match kind {
            PayloadKind::Binary => Frame::binary(payload),
            PayloadKind::Text => Frame::text(payload),
        },
        data: |frame: &Frame| match frame.opcode() {
            OpCode::Binary => Some((PayloadKind::Binary, &frame.payload()[..])),
            OpCode::Text => Some((PayloadKind::Text, &frame.payload()[..])),
            _ => None,
        },
    };
    client::run("yawc", Deflate::Supported, connect, codec)
}

async fn connect(
    url: String,
    deflate: bool,
) -> Result<
    impl Stream<Item = Result<Frame, Infallible>>
        + Sink<Frame, Error = yawc::WebSocketError>
        + Unpin
        + Send
        + 'static,
    String,
> {
    let (tcp, _, _) = client::tcp(&url).await?;
    let options = Options::default()
        .with_max_payload_read(MAX_MESSAGE)
        .with_max_read_buffer(MAX_MESSAGE);
    let options = if deflate {
        options.with_balanced_compression()
    } else {
        options.without_compression()
    };
    let url = url.parse().map_err(|e| format!("{e}"))?;
    let ws = WebSocket::handshake(url, tcp, options)
        .await
        .map_err(|e| e.to_string())?;
    // yawc's stream yields frames, not results: it ends on errors.
    Ok(ws.map(Ok))
}
