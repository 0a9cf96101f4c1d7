//! HTTP/2 for the client (RFC 8441): when to use it ([`Http2`]), the connections
//! shared by WebSockets to one origin ([`Http2Pool`]), the connection setup, and
//! one WebSocket as one extended CONNECT stream, run on `ws-tokio`'s
//! `http2::H2Stream` (the adapter the server uses too).
//!
//! * Setup: the h2 handshake, then a PING whose answer proves the server's
//!   SETTINGS arrived, so `SETTINGS_ENABLE_CONNECT_PROTOCOL` is known before the
//!   first request (each under `IO_TIMEOUT_MS`, [`Step::Http2Setup`]). A server
//!   that does not allow extended CONNECT (or, with prior knowledge, does not
//!   speak HTTP/2) is left for a new HTTP/1.1 connection.
//! * Windows: 256 KiB per stream, 8 MiB per connection, so a WebSocket that stops
//!   reading holds its own stream window, never the whole connection's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_handshake::{ClientRequest, Limits, Outcome, WEBSOCKET_PROTOCOL};
use ws_tokio::http2::H2Stream;

use crate::error::{ConnectError, Step};
use crate::steps::timed;

/// Receive window of each stream.
const STREAM_WINDOW: u32 = 256 * 1024;
/// Receive window of a connection.
const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;
/// h2's budget for the overhead of buffered small DATA frames (see ws-server's
/// `http2.rs`: small WebSocket messages are one small frame each).
const DATA_FRAME_BUDGET: usize = 32 << 20;

/// When the client opens WebSockets over HTTP/2 (RFC 8441).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Http2 {
    /// HTTP/1.1 only: `h2` is not offered by ALPN.
    Off,
    /// `wss://` offers `h2` and `http/1.1` by ALPN and uses HTTP/2 when the server
    /// chooses `h2` and its SETTINGS allow extended CONNECT; HTTP/1.1 otherwise
    /// (a new connection when the server chose `h2` without extended CONNECT).
    /// `ws://` uses HTTP/1.1. The default, as browsers do.
    #[default]
    Auto,
    /// Asked for: as `Auto`, and `ws://` too with prior knowledge (the HTTP/2
    /// preface on plain TCP), falling back to a new HTTP/1.1 connection when the
    /// server does not speak HTTP/2 or does not allow extended CONNECT.
    Prefer,
}

/// HTTP/2 connections kept for reuse: WebSockets to one origin (scheme, host,
/// port, proxy) share one connection, each on a stream of its own. Cheap to clone
/// (clones share); [`ClientConfig`](crate::ClientConfig)s cloned from one another
/// share their pool. A connection that failed or went away is replaced.
#[derive(Clone, Default)]
pub struct Http2Pool {
    connections: Arc<Mutex<HashMap<String, Pooled>>>,
}

/// One pooled connection: the handle that opens streams, and the task that drives
/// the connection.
pub(crate) struct Pooled {
    pub(crate) requests: SendRequest<Bytes>,
    pub(crate) task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Http2Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http2Pool")
            .field("connections", &self.connections())
            .finish()
    }
}

impl Http2Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Http2Pool::default()
    }

    /// How many HTTP/2 connections the pool holds.
    pub fn connections(&self) -> usize {
        self.lock().len()
    }

    /// Closes the pool: no new stream goes on its connections, and this waits
    /// until each one has ended, which it does once its last WebSocket is closed
    /// (HTTP/2 writes happen in the connection's task: a process about to exit waits
    /// here so its last close frames leave). Bound it with a timeout.
    pub async fn close(&self) {
        let tasks: Vec<_> = self
            .lock()
            .drain()
            .filter_map(|(_, pooled)| pooled.task)
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pooled>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, key: &str) -> Option<SendRequest<Bytes>> {
        self.lock().get(key).map(|p| p.requests.clone())
    }

    pub(crate) fn put(&self, key: String, connection: Pooled) {
        self.lock().insert(key, connection);
    }

    pub(crate) fn remove(&self, key: &str) {
        self.lock().remove(key);
    }
}

fn io_error(e: h2::Error) -> std::io::Error {
    if e.is_io() {
        if let Some(io) = e.into_io() {
            return io;
        }
        return std::io::ErrorKind::BrokenPipe.into();
    }
    std::io::Error::other(e)
}

/// The HTTP/2 handshake on `io` and the server's SETTINGS: the connection if it
/// allows extended CONNECT, `None` if not. The connection is driven by a task of
/// its own until it ends.
pub(crate) async fn handshake<T>(
    io: T,
    limits: Limits,
    after: Duration,
) -> Result<Option<Pooled>, ConnectError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::client::Builder::new();
    builder
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .data_frame_budget(DATA_FRAME_BUDGET)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    let handshake = async { builder.handshake::<_, Bytes>(io).await.map_err(io_error) };
    let (client, mut connection) = timed(Step::Http2Setup, after, handshake).await?;
    let mut ping = connection.ping_pong();
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "HTTP/2 connection ended");
        }
    });
    if let Some(ping) = ping.as_mut() {
        let pong = async { ping.ping(h2::Ping::opaque()).await.map_err(io_error) };
        timed(Step::Http2Setup, after, pong).await?;
    }
    let enabled = client.is_extended_connect_protocol_enabled();
    tracing::debug!(extended_connect = enabled, "HTTP/2 connection");
    Ok(enabled.then_some(Pooled {
        requests: client,
        task: Some(task),
    }))
}

/// One extended CONNECT on `connection`: the classified answer, and the stream
/// when it was accepted.
pub(crate) async fn open_stream(
    connection: &SendRequest<Bytes>,
    request: &ClientRequest,
    limits: Limits,
    after: Duration,
) -> Result<(Outcome, Option<H2Stream>), ConnectError> {
    let mut head = request.to_http2();
    head.extensions_mut()
        .insert(h2::ext::Protocol::from(WEBSOCKET_PROTOCOL));
    let ready = async { connection.clone().ready().await.map_err(io_error) };
    let mut ready = timed(Step::WriteRequest, after, ready).await?;
    let (response, send) = ready
        .send_request(head, false)
        .map_err(|e| ConnectError::Io {
            step: Step::WriteRequest,
            source: io_error(e),
        })?;
    let response = async { response.await.map_err(io_error) };
    let (parts, body) = timed(Step::ReadResponse, after, response)
        .await?
        .into_parts();
    let outcome = request
        .handshake(limits)
        .classify_http(&parts)
        .map_err(ConnectError::Handshake)?;
    let stream = matches!(outcome, Outcome::Accepted(_)).then(|| H2Stream::new(send, body));
    Ok((outcome, stream))
}
