//! A tokio WebSocket server (RFC 6455, RFC 7692 permessage-deflate) with an endpoint
//! API in the JSR-356 spirit, on top of the sans-I/O `ws-handshake` and
//! `ws-session` crates.
//!
//! * [`Server`] ([`ServerBuilder`]): endpoints at exact paths or URI templates
//!   (`/rooms/{room}`), deployable while running (unless `noAddAfterHandshake`),
//!   small static resources for plain `GET`s, an origin policy, TLS, a handshake
//!   timeout, graceful shutdown ([`Server::shutdown`]: 1001 to every session).
//! * [`Endpoint`]: `on_open` (returns the session's typed state), `on_message`
//!   (whole) or `on_part` (partial, chosen per message type), `on_pong`, `on_error`,
//!   `on_close`, as `async fn`s.
//! * [`SessionHandle`]: cloneable; queued, flushed (Tomcat's blocking send, with
//!   `BLOCKING_SEND_TIMEOUT`) and thread-blocking sends, parts, ping, close, user
//!   [`Properties`], path parameters, query, subprotocol, extensions, the open
//!   sessions of the endpoint. Sends never fail with "already writing": they queue
//!   (see `ws_tokio`'s `SessionHandle` docs for the rule and its bounds).
//! * [`Topics`]: sessions subscribe to named topics ([`SessionHandle::subscribe`]);
//!   [`Server::publish`] and [`SessionHandle::publish`] reach every subscriber with
//!   one encoding; [`ServerBuilder::broker`] relays them to other servers (Redis or
//!   NATS from `ws-broker`); [`Server::add_health_check`] reports the broker.
//! * [`accept`] / [`WebSocket::from_upgraded`]: the lower-level API, a futures
//!   `Stream` + `Sink` of [`Message`]s over any `AsyncRead + AsyncWrite`, with parts,
//!   a message writer and split halves.
//!
//! The endpoint, handle and WebSocket types come from `ws-tokio`, the runtime layer
//! shared with `ws-client`: one set of semantics for both roles (see its docs).
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use ws_server::{Endpoint, Message, Server, SessionHandle};
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
//! struct Room;
//!
//! impl Endpoint for Room {
//!     type State = ();
//!     async fn on_open(&self, _: &SessionHandle) {}
//!     async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
//!         // Broadcast to everyone in the same room (`/rooms/{room}`).
//!         for peer in session.open_sessions() {
//!             if peer.path_param("room") == session.path_param("room") {
//!                 let _ = peer.send(message.clone()).await;
//!             }
//!         }
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::builder().handshake_timeout(Duration::from_secs(5)).build();
//! server.add_endpoint("/echo", Echo)?;
//! server.add_endpoint("/rooms/{room}", Room)?;
//! server.add_static("/", "text/html", "<h1>hello</h1>")?;
//!
//! let listener = Server::bind("127.0.0.1:8080").await?;
//! tokio::spawn(server.clone().serve(listener));
//! // ... later, e.g. on Ctrl-C:
//! server.shutdown(Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```
//!
//! The lower-level API, e.g. behind a custom listener:
//!
//! ```no_run
//! use futures::{SinkExt, StreamExt};
//! use ws_server::{accept, AcceptConfig};
//!
//! # async fn run(tcp: tokio::net::TcpStream) -> Result<(), Box<dyn std::error::Error>> {
//! let mut ws = accept(tcp, AcceptConfig::default()).await?;
//! while let Some(message) = ws.next().await {
//!     ws.send(message?).await?; // echo
//! }
//! # Ok(()) }
//! ```
//!
//! # Decisions
//!
//! * **Origin**: cross-origin browser requests are refused with 403 by default
//!   ([`OriginPolicy`]); requests without `Origin` are allowed.
//! * **permessage-deflate** is negotiated by default ([`ServerBuilder::deflate`]
//!   turns it off); the negotiated parameters become the session's
//!   `DeflateConfig`.
//! * **Memory**: an idle connection holds no read or write buffer: reads use one
//!   256 KiB buffer per runtime thread (and go straight into the message buffer while
//!   a large frame is under way), writes go straight from the session's queue with
//!   vectored writes.
//! * **Callbacks** of one session run one at a time, in order; see [`Endpoint`].
//! * **HTTP/2** on the same port (RFC 8441, the `h2` crate): under TLS by ALPN
//!   (`h2`, `http/1.1`), on plain TCP by the preface (prior knowledge). Each
//!   extended CONNECT stream is one session, run by the same driver on
//!   `ws_tokio::http2::H2Stream`; static pages are served over it too.
//!   [`ServerBuilder::http2`] and [`ServerBuilder::websockets_over_http2`] turn
//!   them off. `SessionHandle::http_version` tells the two apart.
//! * **Plain HTTP** on the WebSocket port: static resources for `GET` and `HEAD`
//!   ([`Server::add_static`]); a plain request to an endpoint's path gets `426
//!   Upgrade Required` with `Upgrade: websocket`; other paths 404, other methods 405.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accept;
mod builder;
mod conn;
mod connections;
mod deployment;
mod error;
mod health;
mod http2;
mod listener;
mod prefixed;
mod request;
mod route;
mod server;
mod shutdown;
mod statics;
mod tls;
mod upgrade;

pub use accept::{accept, AcceptConfig};
pub use builder::{ServerBuilder, DEFAULT_HANDSHAKE_TIMEOUT};
pub use error::{AcceptError, DeployError, Error, TlsError};
pub use server::{Server, LISTEN_BACKLOG};
pub use tls::TlsConfig;

pub use bytes::Bytes;
pub use ws_frame::CloseCode;
/// The origin policy lives in `ws-handshake`, shared with the other front-ends.
pub use ws_handshake::OriginPolicy;
pub use ws_session::{
    CloseCause, CloseInfo, Delivery, Initiator, Message, MessageKind, SessionConfig,
};
pub use ws_tokio::{
    Broker, BrokerState, BrokerStatus, Echo, Endpoint, HttpVersion, InProcessBroker, MessageWriter,
    Part, PartialEcho, PathParams, Properties, SessionHandle, SlowConsumer, TopicListener,
    TopicStats, Topics, WebSocket, WebSocketRead, WebSocketWrite,
};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
