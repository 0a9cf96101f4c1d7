//! A `tokio-websockets` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`); no permessage-deflate (tokio-websockets 0.13 has none,
//! so `--deflate` is refused). The upgrade is the library's own
//! `ServerBuilder::accept` on the raw `TcpStream`, as its examples do.
//!
//! Whole messages are echoed in batches: every message already readable is taken
//! first (at most [`BATCH`]), then all are `feed`-ed and flushed once. Its examples
//! `send` each echo, and the tungstenite peer's loop (`feed`, then poll for the next
//! message) would not batch here either: tokio-websockets' `poll_next` writes queued
//! frames before it reads, so both write once per message. On this machine that
//! measured about a fifth of the batched loop's messages per server CPU-second (1 KiB,
//! 4 connections x 16 in flight), and a peer is measured at its best.
//!
//! Its own benchmark server also wraps each connection in
//! `tokio::task::unconstrained` (no cooperative-scheduling budget); this one does not,
//! because every server in the load test runs with the same runtime settings as
//! ws-server.
//!
//! ```text
//! cargo run --release -p ws-benches --example tokio_websockets_echo -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use futures::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_websockets::{Limits, ServerBuilder};

use peer::{Deflate, MAX_MESSAGE};

/// Most messages taken before their echoes are written (as yawc's benchmark server).
const BATCH: usize = 32;

fn main() -> ExitCode {
    peer::serve(
        "tokio_websockets_echo",
        Deflate::Unsupported,
        |stream, _| echo(stream),
    )
}

async fn echo(stream: TcpStream) {
    let accepted = ServerBuilder::new()
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)))
        .accept(stream)
        .await;
    let Ok((_request, mut ws)) = accepted else {
        return;
    };
    let mut batch = Vec::with_capacity(BATCH);
    // Pings and the close are the library's to answer; it ends the stream after.
    while let Some(Ok(first)) = ws.next().await {
        batch.push(first);
        while batch.len() < BATCH {
            match ws.next().now_or_never() {
                Some(Some(Ok(message))) => batch.push(message),
                _ => break,
            }
        }
        for message in batch.drain(..) {
            if (message.is_text() || message.is_binary()) && ws.feed(message).await.is_err() {
                return;
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}
