//! [`WebSocketUpgrade`]: the axum extractor, in the spirit of axum's own: a handler
//! takes it, sets what it wants, and returns [`on_upgrade`](WebSocketUpgrade::on_upgrade)
//! (an owned [`WebSocket`]) or [`run`](WebSocketUpgrade::run) (an
//! [`Endpoint`]) as its response. The same route serves HTTP/1.1 upgrades and
//! HTTP/2 extended CONNECTs (route it with `axum::routing::any`, since the method
//! is `GET` on one and `CONNECT` on the other).

use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use ws_handshake::{OriginPolicy, UpgradeRequest};
use ws_session::SessionConfig;
use ws_tokio::{Endpoint, SessionGroup};

use crate::config::UpgradeConfig;
use crate::upgrade::{Rejection, Upgrade, WebSocket};

/// The axum extractor of a WebSocket request (see the module docs).
///
/// Its settings start from the router's [`UpgradeConfig`] when one is installed
/// with `axum::Extension`, else from the defaults. A request that is not a valid
/// WebSocket request is refused by the extractor with its status (400, 403, 405,
/// 426, 431).
///
/// ```no_run
/// use axum::{response::Response, routing::any, Router};
/// use ws_axum::{Message, WebSocketUpgrade};
///
/// async fn echo(ws: WebSocketUpgrade) -> Response {
///     ws.protocols(["echo"]).on_upgrade(|mut socket| async move {
///         use futures::{SinkExt, StreamExt};
///         while let Some(Ok(message)) = socket.next().await {
///             if socket.send(message).await.is_err() {
///                 break;
///             }
///         }
///     })
/// }
///
/// let app: Router = Router::new().route("/echo", any(echo));
/// ```
#[derive(Debug)]
pub struct WebSocketUpgrade(Upgrade);

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let config = parts
            .extensions
            .get::<UpgradeConfig>()
            .cloned()
            .unwrap_or_default();
        Upgrade::from_parts(parts, config).map(WebSocketUpgrade)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.response().into_response()
    }
}

impl WebSocketUpgrade {
    /// The validated request (path, query, `Origin`, offers, HTTP version).
    pub fn request(&self) -> &UpgradeRequest {
        self.0.request()
    }

    /// The subprotocols [`on_upgrade`](Self::on_upgrade) may choose, in the
    /// server's order of preference (the first one the client offers is chosen).
    pub fn protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.0.config_mut().protocols = p.into_iter().map(Into::into).collect();
        self
    }

    /// The origin policy for this request.
    pub fn origin_policy(mut self, origin: OriginPolicy) -> Self {
        self.0.config_mut().origin = origin;
        self
    }

    /// Turns permessage-deflate on or off for this request.
    pub fn deflate(mut self, on: bool) -> Self {
        self.0.config_mut().deflate.enabled = on;
        self
    }

    /// The session configuration (limits, buffer sizes, timeouts, delivery modes).
    pub fn session_config(mut self, session: SessionConfig) -> Self {
        self.0.config_mut().session = session;
        self
    }

    /// Makes the session a member of `group` while it is open.
    pub fn group(self, group: Arc<SessionGroup>) -> Self {
        WebSocketUpgrade(self.0.group(group))
    }

    /// Accepts and hands the open [`WebSocket`] to `callback` in a task of its own;
    /// returns the response (101, 200 over HTTP/2, or 403 for a foreign `Origin`).
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.0.on_upgrade(callback).into_response()
    }

    /// Accepts and runs `endpoint` on the session with `ws-tokio`'s driver;
    /// returns the response.
    pub fn run<E: Endpoint>(self, endpoint: Arc<E>) -> Response {
        self.0.run(endpoint).into_response()
    }
}
