//! A `fastwebsockets` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`); no permessage-deflate (fastwebsockets has none). The
//! upgrade is read with our `ws-handshake` directly on the `TcpStream` (deflate
//! declined), then `WebSocket::after_handshake` runs on the raw stream: that is the
//! fastest way to drive fastwebsockets (no hyper `Upgraded` indirection), so the peer
//! is measured at its best. A `FragmentCollector` assembles whole messages, which are
//! echoed as they arrive (fastwebsockets writes each frame immediately).
//!
//! ```text
//! cargo run --release -p ws-benches --example fastwebsockets_echo -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_handshake::{DeflateConfig, Limits, ServerConfig, ServerHandshake};

use peer::{Deflate, MAX_MESSAGE};

fn main() -> ExitCode {
    peer::serve("fastwebsockets_echo", Deflate::Unsupported, |stream, _| {
        echo(stream)
    })
}

/// Reads the upgrade request and answers it; `None` if the connection is not a
/// valid WebSocket upgrade (answered with its error status) or went away.
async fn upgrade(stream: &mut TcpStream) -> Option<()> {
    let mut handshake = ServerHandshake::new(Limits::default());
    let mut buf = [0u8; 4096];
    let request = loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        match handshake.handle_input(&buf[..n]) {
            Ok(Some(request)) => break request,
            Ok(None) => {}
            Err(e) => {
                let _ = stream.write_all(&e.response()).await;
                return None;
            }
        }
    };
    // A client sends no frame before it has seen the 101.
    if !request.leftover().is_empty() {
        return None;
    }
    let config = ServerConfig {
        deflate: DeflateConfig {
            enabled: false,
            ..DeflateConfig::default()
        },
        ..ServerConfig::default()
    };
    stream
        .write_all(&request.accept(&config).response())
        .await
        .ok()
}

async fn echo(mut stream: TcpStream) {
    if upgrade(&mut stream).await.is_none() {
        return;
    }
    let mut ws = WebSocket::after_handshake(stream, Role::Server);
    ws.set_max_message_size(MAX_MESSAGE);
    ws.set_auto_close(true);
    ws.set_auto_pong(true);
    let mut ws = FragmentCollector::new(ws);
    while let Ok(frame) = ws.read_frame().await {
        let echoed = match frame.opcode {
            OpCode::Close => return,
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await,
            _ => Ok(()),
        };
        if echoed.is_err() {
            return;
        }
    }
}
