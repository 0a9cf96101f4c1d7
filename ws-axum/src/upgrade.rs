//! [`Upgrade`]: one validated WebSocket request inside a hyper service, for HTTP/1.1
//! upgrades and HTTP/2 extended CONNECTs alike; the helper for users of hyper
//! without axum, and what the axum extractor wraps.
//!
//! The request is validated by `ws_handshake::UpgradeRequest::from_http` (the same
//! rules and limits as `ws-server`'s byte path), the origin policy and the
//! negotiation (subprotocol, permessage-deflate) run when the response is made,
//! and the session runs in a task of its own once hyper hands the connection (or
//! the HTTP/2 stream) over: `ws-tokio`'s driver for an [`Endpoint`], or an owned
//! [`WebSocket`] for a callback.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use ws_handshake::{ServerConfig, ServerError, UpgradeRequest};
use ws_session::{Session, SessionConfig};
use ws_tokio::{Endpoint, HttpVersion, Opened, SessionGroup, SessionInfo};

use crate::config::UpgradeConfig;

/// The connection a WebSocket runs on: hyper's upgraded HTTP/1.1 connection or
/// HTTP/2 stream, as tokio `AsyncRead + AsyncWrite`.
pub type Upgraded = TokioIo<hyper::upgrade::Upgraded>;

/// An open WebSocket behind hyper or axum: `ws-tokio`'s owned `WebSocket` (a
/// `Stream` + `Sink` of messages, parts, a message writer, split halves).
pub type WebSocket = ws_tokio::WebSocket<Upgraded>;

/// Why a request does not become a WebSocket; [`response`](Self::response) is the
/// answer to send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The request breaks a handshake rule (RFC 6455 / RFC 8441) or a limit.
    #[error("WebSocket request refused: {error}")]
    Handshake {
        /// What was wrong, with its status.
        error: ServerError,
        /// The request's HTTP version (the answer differs on HTTP/2).
        version: http::Version,
    },
    /// The server cannot hand this connection over (no `hyper::upgrade::OnUpgrade`
    /// in the request: an HTTP/2 server without extended CONNECT enabled, or a
    /// request that did not come from hyper).
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl Rejection {
    /// The HTTP status of the answer.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Rejection::Handshake { error, .. } => http::StatusCode::from_u16(error.status().0)
                .unwrap_or(http::StatusCode::BAD_REQUEST),
            Rejection::NotUpgradable => http::StatusCode::UPGRADE_REQUIRED,
        }
    }

    /// The answer: the status and a one-line plain-text reason.
    pub fn response(&self) -> http::Response<String> {
        match self {
            Rejection::Handshake { error, version } => error.http_response(*version),
            Rejection::NotUpgradable => {
                let mut response = http::Response::new(format!("{self}\n"));
                *response.status_mut() = self.status();
                response
            }
        }
    }
}

/// A validated WebSocket request in a hyper service (see the module docs).
///
/// ```no_run
/// use std::convert::Infallible;
/// use hyper::{body::Incoming, Request, Response};
/// use ws_axum::{Upgrade, UpgradeConfig};
///
/// async fn service(mut request: Request<Incoming>) -> Result<Response<String>, Infallible> {
///     let upgrade = match Upgrade::from_request(&mut request, UpgradeConfig::default()) {
///         Ok(upgrade) => upgrade,
///         Err(rejection) => return Ok(rejection.response()),
///     };
///     Ok(upgrade.on_upgrade(|mut ws| async move {
///         use futures::{SinkExt, StreamExt};
///         while let Some(Ok(message)) = ws.next().await {
///             if ws.send(message).await.is_err() {
///                 break;
///             }
///         }
///     }))
/// }
/// ```
///
/// Serve it with hyper's HTTP/2 builder's `enable_connect_protocol()` for
/// WebSockets over HTTP/2 (RFC 8441), and `with_upgrades()` on HTTP/1.1
/// connections.
pub struct Upgrade {
    request: UpgradeRequest,
    on_upgrade: OnUpgrade,
    config: UpgradeConfig,
    group: Option<Arc<SessionGroup>>,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrade")
            .field("request", &self.request)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Upgrade {
    /// Validates `request` (an HTTP/1.1 upgrade `GET` or an HTTP/2 extended
    /// `CONNECT`) under `config`'s limits and takes hyper's upgrade out of it.
    pub fn from_request<B>(
        request: &mut http::Request<B>,
        config: UpgradeConfig,
    ) -> Result<Self, Rejection> {
        let upgrade = UpgradeRequest::from_http_request(
            request,
            protocol_of(request.extensions()).as_deref(),
            config.limits,
        );
        let version = request.version();
        Upgrade::new(upgrade, version, request.extensions_mut(), config)
    }

    /// As [`from_request`](Self::from_request), from request parts (what an axum
    /// extractor sees).
    pub fn from_parts(
        parts: &mut http::request::Parts,
        config: UpgradeConfig,
    ) -> Result<Self, Rejection> {
        let protocol = protocol_of(&parts.extensions);
        let upgrade = UpgradeRequest::from_http(parts, protocol.as_deref(), config.limits);
        Upgrade::new(upgrade, parts.version, &mut parts.extensions, config)
    }

    fn new(
        request: Result<UpgradeRequest, ServerError>,
        version: http::Version,
        extensions: &mut http::Extensions,
        config: UpgradeConfig,
    ) -> Result<Self, Rejection> {
        let request = request.map_err(|error| Rejection::Handshake { error, version })?;
        let on_upgrade = extensions
            .remove::<OnUpgrade>()
            .ok_or(Rejection::NotUpgradable)?;
        Ok(Upgrade {
            request,
            on_upgrade,
            config,
            group: None,
        })
    }

    /// The validated request (path, query, host, `Origin`, offers, fields, HTTP
    /// version).
    pub fn request(&self) -> &UpgradeRequest {
        &self.request
    }

    /// The settings this upgrade will use.
    pub fn config_mut(&mut self) -> &mut UpgradeConfig {
        &mut self.config
    }

    /// Makes the session a member of `group` while it is open (its
    /// `SessionHandle::open_sessions` lists the group: a chat room, a topic).
    pub fn group(mut self, group: Arc<SessionGroup>) -> Self {
        self.group = Some(group);
        self
    }

    /// Accepts and hands the open [`WebSocket`] to `callback`, in a task of its own
    /// once hyper has switched the connection (or stream) over. The subprotocol is
    /// the first one the client offers that the configuration lists. Returns the
    /// response to send: the 101 (HTTP/1.1) or 200 (HTTP/2), or a refusal (403 for
    /// a foreign `Origin`).
    pub fn on_upgrade<F, Fut>(self, callback: F) -> http::Response<String>
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let protocols = self.config.protocols.clone();
        let session = self.config.session.clone();
        let accepted = self.accept(
            |offered| offered.iter().position(|p| protocols.contains(p)),
            session,
        );
        let (response, pending) = match accepted {
            Ok(accepted) => accepted,
            Err(refusal) => return refusal.response(),
        };
        tokio::spawn(async move {
            if let Some((io, session, info)) = pending.connection().await {
                callback(ws_tokio::WebSocket::from_session(io, session, info)).await;
            }
        });
        response
    }

    /// Accepts and runs `endpoint` on the session (`ws-tokio`'s driver, callbacks in
    /// place), in a task of its own once hyper has switched over. The endpoint
    /// chooses the subprotocol and adjusts the session configuration; its delivery
    /// modes apply. Returns the response to send.
    pub fn run<E: Endpoint>(self, endpoint: Arc<E>) -> http::Response<String> {
        let session = endpoint
            .session_config(self.config.session.clone())
            .with_text_delivery(endpoint.text_delivery())
            .with_binary_delivery(endpoint.binary_delivery());
        let select = {
            let endpoint = Arc::clone(&endpoint);
            move |offered: &[String]| endpoint.select_protocol(offered)
        };
        let (response, pending) = match self.accept(select, session) {
            Ok(accepted) => accepted,
            Err(refusal) => return refusal.response(),
        };
        tokio::spawn(async move {
            let group = pending.group.clone();
            if let Some((io, session, info)) = pending.connection().await {
                Opened::new(session, info, group).run(&*endpoint, io).await;
            }
        });
        response
    }

    /// The origin policy, then the negotiation: the response, and what the task
    /// needs once hyper switches over.
    fn accept(
        self,
        select: impl FnOnce(&[String]) -> Option<usize>,
        session: SessionConfig,
    ) -> Result<(http::Response<String>, Pending), Rejection> {
        let version = self.request.version();
        if let Err(error) = self.request.check_origin_policy(&self.config.origin) {
            tracing::debug!(origin = ?self.request.origin(), "origin refused");
            return Err(Rejection::Handshake { error, version });
        }
        let config = ServerConfig {
            limits: self.config.limits,
            protocols: Vec::new(),
            deflate: self.config.deflate,
        };
        let accepted = self.request.accept_with(&config, select);
        let http = if self.request.is_extended_connect() {
            HttpVersion::Http2
        } else {
            HttpVersion::Http11
        };
        let info = SessionInfo::new(self.request.target())
            .with_protocol(accepted.protocol.clone())
            .with_deflate(accepted.deflate)
            .with_blocking_send_timeout(self.config.settings.blocking_send_timeout)
            .with_http_version(http);
        tracing::debug!(path = self.request.path(), ?version, protocol = ?accepted.protocol,
            deflate = accepted.deflate.is_some(), "WebSocket accepted");
        let response = accepted.http_response().map(|()| String::new());
        Ok((
            response,
            Pending {
                on_upgrade: self.on_upgrade,
                session: ws_tokio::negotiated_session(session, accepted.deflate.as_ref()),
                info,
                group: self.group,
            },
        ))
    }
}

/// The `:protocol` pseudo-header hyper keeps for an extended CONNECT.
fn protocol_of(extensions: &http::Extensions) -> Option<String> {
    extensions
        .get::<hyper::ext::Protocol>()
        .map(|p| p.as_str().to_owned())
}

/// What the session's task needs once hyper switches the connection over.
struct Pending {
    on_upgrade: OnUpgrade,
    session: SessionConfig,
    info: SessionInfo,
    group: Option<Arc<SessionGroup>>,
}

impl Pending {
    /// Waits for hyper's upgrade; `None` if it failed (the client went away).
    async fn connection(self) -> Option<(Upgraded, Session, SessionInfo)> {
        match self.on_upgrade.await {
            Ok(upgraded) => {
                let session = Session::server(self.session, Instant::now());
                Some((TokioIo::new(upgraded), session, self.info))
            }
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                None
            }
        }
    }
}
