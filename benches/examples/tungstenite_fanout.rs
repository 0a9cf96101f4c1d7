//! A `tokio-tungstenite` pub/sub server fanning out through
//! `tokio::sync::broadcast`, the usual axum/tokio pattern: a comparison peer for
//! `cargo xtask loadtest --fanout`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, prints
//! `listening on ws://ADDR`). Every connection subscribes to one broadcast
//! channel (capacity 1024; a receiver that lags skips what it missed), except one
//! opened with `?publisher` in its URL; every data message received is sent on the
//! channel. Each subscriber's task encodes and writes every message itself
//! (`feed` while more are ready, then one flush).
//!
//! ```text
//! cargo run --release -p ws-benches --example tungstenite_fanout -- --addr 127.0.0.1:0 --threads 1
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// Messages the channel keeps for a slow receiver.
const CAPACITY: usize = 1024;

fn channel() -> &'static broadcast::Sender<Message> {
    static CHANNEL: OnceLock<broadcast::Sender<Message>> = OnceLock::new();
    CHANNEL.get_or_init(|| broadcast::channel(CAPACITY).0)
}

fn main() -> ExitCode {
    peer::serve(
        "tungstenite_fanout",
        peer::Deflate::Unsupported,
        |stream, _| connection(stream),
    )
}

// The callback's signature is tokio-tungstenite's (its error is a whole response).
#[allow(clippy::result_large_err)]
async fn connection(stream: TcpStream) {
    let publisher = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&publisher);
    let callback = move |request: &Request, response: Response| {
        let query = request.uri().query().unwrap_or("");
        seen.store(
            query.split('&').any(|p| p == "publisher"),
            Ordering::Relaxed,
        );
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    if publisher.load(Ordering::Relaxed) {
        publish(ws).await;
    } else {
        subscribe(ws).await;
    }
}

async fn publish(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>) {
    while let Some(Ok(message)) = ws.next().await {
        if message.is_binary() || message.is_text() {
            let _ = channel().send(message);
        }
    }
}

async fn subscribe(ws: tokio_tungstenite::WebSocketStream<TcpStream>) {
    let mut rx = channel().subscribe();
    let (mut sink, mut incoming) = ws.split();
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(message) => {
                    if sink.feed(message).await.is_err() {
                        return;
                    }
                    loop {
                        match rx.try_recv() {
                            Ok(message) => {
                                if sink.feed(message).await.is_err() {
                                    return;
                                }
                            }
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    if sink.flush().await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            message = incoming.next() => match message {
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
