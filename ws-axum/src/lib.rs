//! WebSockets of the ws-stack crates behind axum and hyper, over HTTP/1.1 upgrades
//! and HTTP/2 extended CONNECT (RFC 8441) alike.
//!
//! * [`WebSocketUpgrade`]: an axum extractor in the spirit of axum's own; a handler
//!   returns [`WebSocketUpgrade::on_upgrade`] (an owned [`WebSocket`]: `Stream` +
//!   `Sink`, parts, a message writer, split halves) or [`WebSocketUpgrade::run`]
//!   (an [`Endpoint`] with typed per-session state, driven in place).
//! * [`Upgrade`]: the same for a plain hyper 1.x service, without axum.
//! * [`UpgradeConfig`]: limits, origin policy, subprotocols, permessage-deflate,
//!   the session configuration and Tomcat's keys ([`UpgradeConfig::from_config`]),
//!   with `ws-server`'s defaults.
//!
//! The request is validated by `ws-handshake` (the rules and limits `ws-server`
//! applies to bytes: `http` types at the edge), the session is `ws-tokio`'s (the
//! driver both front-ends use): this crate only joins them to hyper's upgrade.
//! [`SessionInfo::http_version`](ws_tokio::SessionInfo::http_version) tells an
//! HTTP/2 stream from an HTTP/1.1 connection.
//!
//! # Serving HTTP/2
//!
//! WebSockets over HTTP/2 need the server to advertise extended CONNECT
//! (`SETTINGS_ENABLE_CONNECT_PROTOCOL`): `axum::serve` does; with hyper, call
//! `enable_connect_protocol()` on its HTTP/2 builder. Route WebSocket paths with
//! `axum::routing::any`: the request is a `GET` over HTTP/1.1 and a `CONNECT`
//! over HTTP/2.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{response::Response, routing::any, Extension, Router};
//! use ws_axum::{Endpoint, Message, SessionHandle, UpgradeConfig, WebSocketUpgrade};
//!
//! struct Echo;
//!
//! impl Endpoint for Echo {
//!     type State = ();
//!     async fn on_open(&self, _: &SessionHandle) {}
//!     async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
//!         let _ = session.send(message).await;
//!     }
//! }
//!
//! async fn echo(ws: WebSocketUpgrade) -> Response {
//!     ws.run(Arc::new(Echo))
//! }
//!
//! # async fn serve() -> std::io::Result<()> {
//! let app = Router::new()
//!     .route("/echo", any(echo))
//!     .layer(Extension(UpgradeConfig::default().with_deflate(false)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod extract;
mod upgrade;

pub use config::UpgradeConfig;
pub use extract::WebSocketUpgrade;
pub use upgrade::{Rejection, Upgrade, Upgraded, WebSocket};

pub use ws_handshake::OriginPolicy;
pub use ws_tokio::{
    CloseCode, CloseInfo, Endpoint, HttpVersion, Message, SessionGroup, SessionHandle, SessionInfo,
};

/// The README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
