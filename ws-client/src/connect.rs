//! [`connect`] and [`connect_endpoint`]: open a connection, then run it with
//! `ws-tokio`: as a [`WebSocket`] owned by the caller's task, or driven by an
//! [`Endpoint`] in a task of its own. No channel and no extra task sits between the
//! socket and the application.

use std::sync::Arc;
use std::time::Instant;

use ws_session::{Session, SessionConfig};
use ws_tokio::{Endpoint, HttpVersion, Opened, SessionHandle, SessionInfo};

use crate::config::ClientConfig;
use crate::error::ConnectError;
use crate::handshake::{self, Upgraded};
use crate::rng::Masks;
use crate::transport::Transport;

/// An open client connection: `ws-tokio`'s [`WebSocket`](ws_tokio::WebSocket) over
/// the client's [`Transport`] (a `Stream` + `Sink` of messages, parts, a message
/// writer, split halves).
pub type WebSocket = ws_tokio::WebSocket<Transport>;

/// Opens a `ws://` or `wss://` connection and returns it as a
/// [`Stream`](futures::Stream) + [`Sink`](futures::Sink) of messages, owned by the
/// caller's task.
///
/// The session configuration's delivery modes apply: whole messages by default;
/// for a type set to `Delivery::Partial`, read its messages with
/// [`WebSocket::next_part`](ws_tokio::WebSocket::next_part).
pub async fn connect(uri: &str, config: &ClientConfig) -> Result<WebSocket, ConnectError> {
    let (upgraded, session, info) = open(uri, config, config.session.clone()).await?;
    let ws = ws_tokio::WebSocket::from_session(upgraded.transport, session, info);
    Ok(ws.with_leftover(&upgraded.leftover))
}

/// Opens a connection driven by `endpoint`'s callbacks (see [`Endpoint`]) in a task
/// of its own, and returns a handle for sending. `on_open` runs before any other
/// callback. The endpoint's `text_delivery` / `binary_delivery` and
/// `session_config` apply.
pub async fn connect_endpoint<E: Endpoint>(
    uri: &str,
    config: &ClientConfig,
    endpoint: E,
) -> Result<SessionHandle, ConnectError> {
    let session_config = endpoint
        .session_config(config.session.clone())
        .with_text_delivery(endpoint.text_delivery())
        .with_binary_delivery(endpoint.binary_delivery());
    let (upgraded, session, info) = open(uri, config, session_config).await?;
    let opened = Opened::new(session, info, None).with_leftover(upgraded.leftover);
    let handle = opened.handle().clone();
    let endpoint = Arc::new(endpoint);
    tokio::spawn(async move { opened.run(&*endpoint, upgraded.transport).await });
    Ok(handle)
}

/// The opening phase, then the session for what was negotiated.
async fn open(
    uri: &str,
    config: &ClientConfig,
    session_config: SessionConfig,
) -> Result<(Upgraded, Session, SessionInfo), ConnectError> {
    let upgraded = handshake::open(uri, config).await?;
    let established = &upgraded.established;
    let session = Session::client(
        ws_tokio::negotiated_session(session_config, established.deflate.as_ref()),
        Masks::new(),
        Instant::now(),
    );
    let http = if upgraded.transport.is_http2() {
        HttpVersion::Http2
    } else {
        HttpVersion::Http11
    };
    let info = SessionInfo::new(upgraded.target.clone())
        .with_http_version(http)
        .with_protocol(established.protocol.clone())
        .with_deflate(established.deflate)
        .with_blocking_send_timeout(config.settings.blocking_send_timeout);
    Ok((upgraded, session, info))
}
