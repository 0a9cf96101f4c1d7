//! The opening handshake of one connection, under the handshake timeout: read the
//! request, answer plain HTTP, or route the upgrade, apply the origin policy,
//! negotiate (subprotocol through the endpoint, permessage-deflate) and prepare the
//! session ([`ws_tokio::Opened`], whose driver writes the 101).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ws_handshake::{error_response, ServerConfig, StatusCode, UpgradeRequest};
use ws_session::Session;
use ws_tokio::{Opened, SessionInfo};

use crate::deployment::EndpointSlot;
use crate::error::AcceptError;
use crate::request::{read_request, Request};
use crate::server::Inner;

/// An opened session and the endpoint that runs it.
pub(crate) struct Upgraded {
    pub(crate) slot: Arc<EndpointSlot>,
    pub(crate) opened: Opened,
}

/// The opening handshake under its timeout (refused with 503 once shutdown has
/// started): `Some` for an opened session, `None` when the connection is done
/// (answered, refused, failed).
pub(crate) async fn open<S>(inner: &Inner, stream: &mut S) -> Option<Upgraded>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if inner.stopping() {
        refuse_during_shutdown(stream).await;
        return None;
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
            return None;
        }
    };
    match opened {
        Ok(opened) => opened,
        Err(e) => {
            tracing::debug!(error = %e, "handshake failed");
            None
        }
    }
}

/// Reads the request and answers it; `Some` for an opened session.
async fn handshake<S>(inner: &Inner, stream: &mut S) -> Result<Option<Upgraded>, AcceptError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    match read_request(stream, inner.builder.limits).await? {
        Request::Eof => Ok(None),
        Request::Plain(plain) => {
            let endpoint = inner.router().lookup(&plain.path).is_some();
            inner
                .statics
                .answer(stream, &plain.method, &plain.path, endpoint)
                .await?;
            Ok(None)
        }
        Request::Rejected(e) => {
            tracing::debug!(status = e.status().0, error = %e, "upgrade refused");
            stream.write_all(&e.response()).await?;
            Err(AcceptError::Handshake(e))
        }
        Request::Upgrade(upgrade) => upgrade_to(inner, stream, upgrade).await,
    }
}

/// Routes and negotiates a valid upgrade request.
async fn upgrade_to<S>(
    inner: &Inner,
    stream: &mut S,
    upgrade: UpgradeRequest,
) -> Result<Option<Upgraded>, AcceptError>
where
    S: AsyncWrite + Unpin,
{
    let b = &inner.builder;
    {
        let _deploying = inner.deploy.lock().unwrap_or_else(|e| e.into_inner());
        inner.handshake_started.store(true, Ordering::Release);
    }
    let refuse = |status: StatusCode| error_response(status, &[]);
    if inner.stopping() {
        stream
            .write_all(&refuse(StatusCode::SERVICE_UNAVAILABLE))
            .await?;
        return Ok(None);
    }
    let Some((slot, params)) = inner.router().lookup(upgrade.path()) else {
        tracing::debug!(path = upgrade.path(), "no endpoint");
        stream.write_all(&refuse(StatusCode::NOT_FOUND)).await?;
        return Err(AcceptError::NotFound(upgrade.path().to_owned()));
    };
    if let Err(e) = upgrade.check_origin(|o| b.origin.allows(o, upgrade.host())) {
        tracing::debug!(origin = ?upgrade.origin(), "origin refused");
        stream.write_all(&e.response()).await?;
        return Err(AcceptError::Handshake(e));
    }
    let endpoint = &slot.endpoint;
    let config = ServerConfig {
        limits: b.limits,
        protocols: Vec::new(),
        deflate: b.deflate,
    };
    let accepted = upgrade.accept_with(&config, |offered| endpoint.select_protocol(offered));
    let deflate = accepted
        .deflate
        .as_ref()
        .map(|p| ws_tokio::deflate_config(ws_session::DeflateConfig::default(), p));
    let session_config = endpoint
        .session_config(b.session.clone())
        .with_text_delivery(endpoint.text_delivery())
        .with_binary_delivery(endpoint.binary_delivery())
        .with_deflate(deflate);
    tracing::debug!(path = upgrade.path(), protocol = ?accepted.protocol,
        deflate = accepted.deflate.is_some(), "session opened");
    let info = SessionInfo::new(upgrade.target())
        .with_route(slot.path.clone(), params)
        .with_protocol(accepted.protocol.clone())
        .with_deflate(accepted.deflate)
        .with_blocking_send_timeout(b.settings.blocking_send_timeout);
    let session = Session::server(session_config, Instant::now());
    // The 101 is written by the driver, after `on_open` if that completes at once.
    let opened = Opened::new(session, info, Some(Arc::clone(&slot.group)))
        .with_topics(inner.topics.clone())
        .with_response(accepted.response())
        .with_leftover(upgrade.leftover().to_vec());
    Ok(Some(Upgraded { slot, opened }))
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
