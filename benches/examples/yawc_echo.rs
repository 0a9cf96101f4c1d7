//! A `yawc` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, `--deflate`, prints
//! `listening on ws://ADDR`). Written after yawc's documented server, its hyper echo
//! example: each connection is served by hyper's HTTP/1.1 server with upgrades,
//! `WebSocket::upgrade_with_options` answers the request (and negotiates
//! permessage-deflate itself), and the upgraded connection runs in a task of its own.
//! The echo loop is the batched one of yawc's benchmark server: `next_frame`, then
//! `feed` every frame that is already readable (at most 32), then one `flush`.
//!
//! With `--deflate`, `Options::with_balanced_compression` (level 6, context takeover
//! both ways, window 15; ws-server runs its own default policy). yawc's `flate2` is
//! built with the zlib-rs backend here, as ours is (features unify in this crate).
//!
//! ```text
//! cargo run --release -p ws-benches --example yawc_echo -- --addr 127.0.0.1:0 --threads 1 [--deflate]
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use bytes::Bytes;
use futures::{FutureExt, SinkExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use yawc::{HttpWebSocket, OpCode, Options, WebSocket};

use peer::{Deflate, MAX_MESSAGE};

/// Frames fed before one flush, as in yawc's benchmark server.
const BATCH: usize = 32;

fn main() -> ExitCode {
    peer::serve("yawc_echo", Deflate::Supported, serve_connection)
}

async fn serve_connection(stream: TcpStream, deflate: bool) {
    let service = service_fn(move |request| upgrade(request, deflate));
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

async fn upgrade(
    mut request: Request<Incoming>,
    deflate: bool,
) -> yawc::Result<Response<Empty<Bytes>>> {
    let options = Options::default()
        .with_max_payload_read(MAX_MESSAGE)
        .with_max_read_buffer(MAX_MESSAGE);
    let options = if deflate {
        options.with_balanced_compression()
    } else {
        options.without_compression()
    };
    let (response, upgraded) = WebSocket::upgrade_with_options(&mut request, options)?;
    tokio::spawn(async move {
        if let Ok(ws) = upgraded.await {
            echo(ws).await;
        }
    });
    Ok(response)
}

async fn echo(mut ws: HttpWebSocket) {
    while let Ok(first) = ws.next_frame().await {
        let mut frame = Some(first);
        let mut fed = 0;
        while let Some(this) = frame.take() {
            if matches!(this.opcode(), OpCode::Text | OpCode::Binary)
                && ws.feed(this).await.is_err()
            {
                return;
            }
            fed += 1;
            if fed < BATCH {
                // An error here comes back on the next `next_frame` and ends the loop.
                frame = ws.next_frame().now_or_never().and_then(Result::ok);
            }
        }
        // Also writes the automatic pong or close reply, if one is queued; the next
        // read after a close ends the loop.
        if ws.flush().await.is_err() {
            return;
        }
    }
}
