//! The opening handshake of one connection, under the handshake timeout: read the
//! request, answer plain HTTP, hand an HTTP/2 connection (prior knowledge) over to
//! `http2.rs`, or route the upgrade, apply the origin policy, negotiate
//! (subprotocol through the endpoint, permessage-deflate) and prepare the session
//! ([`ws_tokio::Opened`], whose driver writes the 101). [`prepare`] is the one
//! place that routes and negotiates, for HTTP/1.1 upgrades and HTTP/2 extended
//! CONNECTs alike.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ws_handshake::{
    error_response, Accepted, ServerConfig, ServerError, StatusCode, UpgradeRequest,
};
use ws_session::{CloseCode, Session};
use ws_tokio::{HttpVersion, Opened, SessionInfo};

use crate::deployment::EndpointSlot;
use crate::error::AcceptError;
use crate::request::{read_request, Request};
use crate::server::Inner;

/// An opened session and the endpoint that runs it.
pub(crate) struct Upgraded {
    pub(crate) slot: Arc<EndpointSlot>,
    pub(crate) opened: Opened,
}

/// How a connection's opening phase ended.
pub(crate) enum Opening {
    /// An HTTP/1.1 upgrade: the session to run on this connection.
    Session(Upgraded),
    /// The HTTP/2 preface (prior knowledge): the connection is HTTP/2 from here;
    /// the bytes read so far go first to the HTTP/2 server.
    Http2(Vec<u8>),
    /// Answered, refused or failed: the connection is done.
    Done,
}

/// The opening handshake under its timeout (refused with 503 once shutdown has
/// started).
pub(crate) async fn open<S>(inner: &Inner, stream: &mut S) -> Opening
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if inner.stopping() {
        refuse_during_shutdown(stream).await;
        return Opening::Done;
    }
    let timeout = inner.builder.handshake_timeout;
    let mut stop = inner.stop.subscribe();
    // The handshake's state is boxed: it is large and only lives until the 101.
    let opened = tokio::select! {
        r = tokio::time::timeout(timeout, Box::pin(handshake(inner, stream))) => match r {
            Ok(r) => r,
            Err(_) => Err(AcceptError::HandshakeTimeout),
        },
        _ = stop.changed() => {
            refuse_during_shutdown(stream).await;
            return Opening::Done;
        }
    };
    match opened {
        Ok(opened) => opened,
        Err(e) => {
            tracing::debug!(error = %e, "handshake failed");
            Opening::Done
        }
    }
}

/// Reads the request and answers it.
async fn handshake<S>(inner: &Inner, stream: &mut S) -> Result<Opening, AcceptError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let b = &inner.builder;
    match read_request(stream, b.limits, b.http2).await? {
        Request::Eof => Ok(Opening::Done),
        Request::Http2(prefix) => Ok(Opening::Http2(prefix)),
        Request::Plain(plain) => {
            let endpoint = inner.router().lookup(&plain.path).is_some();
            inner
                .statics
                .answer(stream, &plain.method, &plain.path, endpoint)
                .await?;
            Ok(Opening::Done)
        }
        Request::Rejected(e) => {
            tracing::debug!(status = e.status().0, error = %e, "upgrade refused");
            stream.write_all(&e.response()).await?;
            Err(AcceptError::Handshake(e))
        }
        Request::Upgrade(upgrade) => match prepare(inner, &upgrade) {
            Ok((slot, accepted, opened)) => {
                // The 101 is written by the driver, after `on_open` if that
                // completes at once.
                let opened = opened
                    .with_response(accepted.response())
                    .with_leftover(upgrade.leftover().to_vec());
                Ok(Opening::Session(Upgraded { slot, opened }))
            }
            Err(refusal) => {
                stream.write_all(&refusal.response_bytes()).await?;
                Err(refusal.into())
            }
        },
    }
}

/// Why a valid WebSocket request is not opened.
pub(crate) enum Refusal {
    /// Shutdown has started (503).
    Stopping,
    /// No endpoint at the path (404).
    NotFound(String),
    /// The origin policy refused (403).
    Handshake(ServerError),
}

impl Refusal {
    /// The answer as HTTP/1.1 bytes.
    fn response_bytes(&self) -> Vec<u8> {
        match self {
            Refusal::Stopping => error_response(StatusCode::SERVICE_UNAVAILABLE, &[]),
            Refusal::NotFound(_) => error_response(StatusCode::NOT_FOUND, &[]),
            Refusal::Handshake(e) => e.response(),
        }
    }

    /// The answer on an HTTP/2 stream.
    pub(crate) fn http_response(&self, version: http::Version) -> http::Response<String> {
        let status = match self {
            Refusal::Stopping => http::StatusCode::SERVICE_UNAVAILABLE,
            Refusal::NotFound(_) => http::StatusCode::NOT_FOUND,
            Refusal::Handshake(e) => return e.http_response(version),
        };
        let mut response = http::Response::new(String::new());
        *response.status_mut() = status;
        response
    }
}

impl From<Refusal> for AcceptError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Stopping => AcceptError::Io(std::io::ErrorKind::ConnectionAborted.into()),
            Refusal::NotFound(path) => AcceptError::NotFound(path),
            Refusal::Handshake(e) => AcceptError::Handshake(e),
        }
    }
}

/// Routes a valid WebSocket request (an HTTP/1.1 upgrade or an HTTP/2 extended
/// CONNECT: one path for both), applies the origin policy, negotiates
/// (subprotocol through the endpoint, permessage-deflate) and prepares the session.
pub(crate) fn prepare(
    inner: &Inner,
    upgrade: &UpgradeRequest,
) -> Result<(Arc<EndpointSlot>, Accepted, Opened), Refusal> {
    let b = &inner.builder;
    {
        let _deploying = inner.deploy.lock().unwrap_or_else(|e| e.into_inner());
        inner.handshake_started.store(true, Ordering::Release);
    }
    if inner.stopping() {
        return Err(Refusal::Stopping);
    }
    let Some((slot, params)) = inner.router().lookup(upgrade.path()) else {
        tracing::debug!(path = upgrade.path(), "no endpoint");
        return Err(Refusal::NotFound(upgrade.path().to_owned()));
    };
    if let Err(e) = upgrade.check_origin_policy(&b.origin) {
        tracing::debug!(origin = ?upgrade.origin(), "origin refused");
        return Err(Refusal::Handshake(e));
    }
    let endpoint = &slot.endpoint;
    let config = ServerConfig {
        limits: b.limits,
        protocols: Vec::new(),
        deflate: b.deflate,
    };
    let accepted = upgrade.accept_with(&config, |offered| endpoint.select_protocol(offered));
    let session_config = endpoint
        .session_config(b.session.clone())
        .with_text_delivery(endpoint.text_delivery())
        .with_binary_delivery(endpoint.binary_delivery());
    let session_config = ws_tokio::negotiated_session(session_config, accepted.deflate.as_ref());
    let http = if upgrade.is_extended_connect() {
        HttpVersion::Http2
    } else {
        HttpVersion::Http11
    };
    tracing::debug!(path = upgrade.path(), protocol = ?accepted.protocol,
        deflate = accepted.deflate.is_some(), ?http, "session opened");
    let info = SessionInfo::new(upgrade.target())
        .with_route(slot.path.clone(), params)
        .with_protocol(accepted.protocol.clone())
        .with_deflate(accepted.deflate)
        .with_blocking_send_timeout(b.settings.blocking_send_timeout)
        .with_http_version(http);
    let session = Session::server(session_config, Instant::now());
    let opened =
        Opened::new(session, info, Some(Arc::clone(&slot.group))).with_topics(inner.topics.clone());
    // A shutdown that began since the check above may have listed the sessions to
    // close before this one joined its group: close it here then (its driver writes
    // the 101 or the HTTP/2 response first). Either the shutdown's list sees the
    // join, or this read sees its stop flag: both go through locks, the join before
    // this read, the flag before the list.
    if inner.stopping() {
        let _ = opened
            .handle()
            .close(CloseCode::GOING_AWAY, "server shutting down");
    }
    Ok((slot, accepted, opened))
}

/// Answers a connection whose handshake the shutdown interrupted (or that arrived
/// as it began) with 503, so the client knows to retry elsewhere rather than seeing
/// a reset; best effort, for at most a second.
async fn refuse_during_shutdown<S: AsyncWrite + Unpin>(stream: &mut S) {
    tracing::debug!("handshake refused: shutting down");
    let response = error_response(StatusCode::SERVICE_UNAVAILABLE, &[]);
    let refuse = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), refuse).await;
}
