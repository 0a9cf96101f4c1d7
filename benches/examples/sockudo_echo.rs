//! A `sockudo-ws` echo server: a comparison peer for `cargo xtask loadtest`.
//!
//! Same command line as `ws-server` (`--addr`, `--threads`, `--deflate`, prints
//! `listening on ws://ADDR`). Written after the library's README and its
//! `simple_echo` example: the upgrade request is parsed with sockudo-ws' own
//! `handshake::parse_request` on the raw `TcpStream`, answered with its
//! `build_response`, and the stream is wrapped with the bytes read past the request
//! (`from_raw_with_leftover`). Data messages are echoed with `feed`, the echo loop
//! the README recommends for a Tokio stream: `next()` drains the queued replies
//! before it waits for more input, so many echoes share one write.
//!
//! With `--deflate`, offers are negotiated with the library's
//! `deflate::negotiate_server_deflate` against `Compression::Dedicated` (its
//! per-connection compressor: window 15, context takeover both ways, level 6; ws-server
//! runs its own default policy) and the connection runs as a `CompressedWebSocketStream`,
//! which is what its Axum integration does for a negotiated offer (the plain HTTP/1.1
//! accept of sockudo-ws 3.1 does not negotiate compression). sockudo-ws sends
//! messages below 16 bytes uncompressed in this mode (its threshold).
//!
//! ```text
//! cargo run --release -p ws-benches --example sockudo_echo -- --addr 127.0.0.1:0 --threads 1 [--deflate]
//! ```
#![forbid(unsafe_code)]

mod peer;

use std::process::ExitCode;

use bytes::{Buf, Bytes, BytesMut};
use futures::{Sink, SinkExt, Stream, StreamExt};
use sockudo_ws::deflate::negotiate_server_deflate;
use sockudo_ws::handshake::{build_response, generate_accept_key, parse_request};
use sockudo_ws::{CompressedWebSocketStream, Compression, Config, Message, Role, WebSocketStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use peer::{Deflate, MAX_MESSAGE};

fn main() -> ExitCode {
    // The README's advice: calibrate the clock before the runtime serves anything.
    sockudo_ws::init_clock();
    peer::serve("sockudo_echo", Deflate::Supported, echo)
}

/// The handshake's result: what followed the request, and the negotiated deflate
/// parameters if any.
struct Upgraded {
    leftover: Option<Bytes>,
    deflate: Option<sockudo_ws::DeflateConfig>,
}

/// Reads and answers the upgrade request; `None` if it is not one (or the client
/// went away).
async fn upgrade(
    stream: &mut TcpStream,
    policy: Option<&sockudo_ws::DeflateConfig>,
) -> Option<Upgraded> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if stream.read_buf(&mut buf).await.ok()? == 0 {
            return None;
        }
        // `parse_request` refuses a request head above its own size limit.
        let Some((request, consumed)) = parse_request(&buf).ok()? else {
            continue;
        };
        let negotiated = policy.and_then(|policy| {
            request
                .extensions
                .and_then(|offers| negotiate_server_deflate(offers, policy))
        });
        let extensions = negotiated.as_ref().map(|n| n.to_response_header());
        let accept = generate_accept_key(request.key);
        let response = build_response(&accept, None, extensions.as_deref());
        stream.write_all(&response).await.ok()?;
        buf.advance(consumed);
        return Some(Upgraded {
            leftover: (!buf.is_empty()).then(|| buf.freeze()),
            deflate: negotiated.map(|n| n.config),
        });
    }
}

async fn echo(mut stream: TcpStream, deflate: bool) {
    let compression = if deflate {
        Compression::Dedicated
    } else {
        Compression::Disabled
    };
    let config = Config::builder()
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .compression(compression)
        .build();
    let policy = compression.to_deflate_config();
    let Some(upgraded) = upgrade(&mut stream, policy.as_ref()).await else {
        return;
    };
    match upgraded.deflate {
        Some(negotiated) => {
            let ws = CompressedWebSocketStream::server_with_leftover(
                stream,
                config,
                negotiated,
                upgraded.leftover,
            );
            echo_loop(ws).await
        }
        None => {
            let ws = WebSocketStream::from_raw_with_leftover(
                stream,
                Role::Server,
                config,
                upgraded.leftover,
            );
            echo_loop(ws).await
        }
    }
}

/// The README's echo loop: data messages are `feed`-ed; pings, pongs and the close
/// are the stream's to answer, and it is polled until it ends so the close reply
/// goes out.
async fn echo_loop<S>(mut ws: S)
where
    S: Stream<Item = sockudo_ws::Result<Message>> + Sink<Message> + Unpin,
{
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && ws.feed(message).await.is_err()
        {
            return;
        }
    }
}
