//! A tokio WebSocket client (RFC 6455, RFC 7692 permessage-deflate) with Tomcat's
//! client properties: an IO timeout on every connection step, TLS trust from PEM or
//! PKCS#12 trust stores, redirects, Basic/Digest authentication and HTTP `CONNECT`
//! proxies.
//!
//! Two APIs, both from `ws-tokio`, the runtime layer shared with `ws-server` (one set
//! of semantics for both roles; see its docs):
//!
//! * [`connect`] returns a [`WebSocket`], owned by the caller's task: a
//!   [`Stream`](futures::Stream) of [`Message`]s and a [`Sink`](futures::Sink) of
//!   messages, with parts, a message writer and split halves. No task and no
//!   channel sit between the socket and the caller.
//! * [`connect_endpoint`] drives an [`Endpoint`] (`on_open` returning the session's
//!   typed state, `on_message` / `on_part`, `on_pong`, `on_error`, `on_close`) in a
//!   task of its own, calling it in place, and returns a cloneable
//!   [`SessionHandle`] with queued, flushed, blocking and partial sends, ping and
//!   close.
//!
//! Settings come from [`ClientConfig`], usually built from Tomcat's keys with
//! [`ClientConfig::from_properties_file`] or [`ClientConfig::from_config`].
//!
//! # Example
//!
//! ```no_run
//! use futures::{SinkExt, StreamExt};
//! use ws_client::{connect, ClientConfig, Message};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::default().with_protocol("chat");
//! let mut ws = connect("wss://example.com/echo", &config).await?;
//! ws.send(Message::Text("hello".into())).await?;
//! while let Some(message) = ws.next().await {
//!     println!("{:?}", message?);
//!     ws.close().await?;
//! }
//! println!("closed: {:?}", ws.close_info());
//! # Ok(()) }
//! ```
//!
//! # Connecting
//!
//! Each I/O step — DNS and TCP connect, proxy `CONNECT`, TLS handshake, writing the
//! request, each read of the response — runs under `IO_TIMEOUT_MS`; a timeout is
//! [`ConnectError::Timeout`] naming its [`Step`]. Response heads are bounded by
//! `MAX_HTTP_RESPONSE_HEADER_BYTES`. The client checks `Sec-WebSocket-Accept`, the
//! chosen subprotocol and extensions (Tomcat does not). Redirects (300, 301, 302,
//! 303, 305, 307, 308) are followed up to `MAX_REDIRECTIONS`, relative `Location`s
//! resolved, `http`/`https` mapped to `ws`/`wss`, loops detected. A 401 is answered
//! once with Basic or Digest (MD5, SHA-256, `-sess`) when credentials are
//! configured; `Authorization` and `Cookie` headers and configured credentials are
//! never used for another origin (scheme, host, port) than the first URI's.
//! Randomness (keys, masks, Digest `cnonce`s) comes from the OS CSPRNG (see the
//! `rng` module).
//!
//! # HTTP/2
//!
//! WebSockets open over HTTP/2 (RFC 8441 extended CONNECT) when asked
//! ([`Http2::Prefer`]: `ws://` with prior knowledge too) or, by default, when a
//! `wss://` server chooses `h2` by ALPN and its SETTINGS allow extended CONNECT;
//! otherwise over HTTP/1.1. WebSockets to one origin share one HTTP/2 connection
//! ([`Http2Pool`], shared by clones of a [`ClientConfig`]), each on its own stream
//! with its own flow control. Redirects, authentication, the proxy tunnel, TLS
//! trust and the per-step timeout apply as over HTTP/1.1.
//!
//! # Decisions
//!
//! * **Trust**: without `SSL_TRUSTSTORE` the Mozilla roots compiled in from
//!   `webpki-roots` (the same on every machine, no dependency on a CA bundle in the
//!   image); host-name verification is always on. An `SSL_CONTEXT`
//!   ([`TlsContext`] holding an `Arc<rustls::ClientConfig>` or a
//!   `rustls::ClientConfig`) replaces the trust store keys entirely, as in Tomcat.
//! * **Proxy**: [`ClientConfig::default`] reads `HTTPS_PROXY` / `HTTP_PROXY` /
//!   `NO_PROXY` from the process environment, as curl does; [`Proxy::none`],
//!   [`Proxy::http`] and [`Proxy::from_env`] (injectable variables) override it. A
//!   407 is answered once, on a new connection, with the proxy credentials (Digest
//!   over method `CONNECT` and URI `host:port`).
//! * **Authentication** goes only to the origin of the URI given to `connect`: a
//!   redirect to another origin gets neither the caller's `Authorization` / `Cookie`
//!   headers nor an answer to its 401. A computed `Authorization` is dropped on every
//!   redirect (it answered one challenge for one URI).
//! * **Sends** follow ws-tokio's rule for both roles: `send` resolves when queued
//!   (waiting only above the high-water mark), `send_flushed` / `flush` when written,
//!   within `BLOCKING_SEND_TIMEOUT` (on expiry [`Error::SendTimeout`] and 1001 to the
//!   server), `send_blocking` blocks a thread that is not a runtime's.
//! * **Closing**: close with `SinkExt::close` (1000) or
//!   [`WebSocket::close_with`](ws_tokio::WebSocket::close_with); dropping a
//!   [`WebSocket`] drops the connection without a close frame. With
//!   [`connect_endpoint`] the driver holds the session until either side closes it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod connect;
mod error;
mod handshake;
mod http2;
mod proxy;
mod redirect;
mod rng;
mod steps;
mod tls;
mod transport;

pub use bytes::Bytes;
pub use config::ClientConfig;
pub use connect::{connect, connect_endpoint, WebSocket};
pub use error::{ConnectError, Error, Step, TlsConfigError};
pub use http2::{Http2, Http2Pool};
pub use proxy::Proxy;
pub use transport::Transport;
pub use ws_config::{ClientSettings, Credentials, TlsContext, TlsVersion};
pub use ws_handshake::DeflateParams;
pub use ws_session::{
    CloseCause, CloseCode, CloseInfo, Delivery, Initiator, Message, MessageKind, SessionConfig,
    TimeoutKind,
};
pub use ws_tokio::{
    Echo, Endpoint, HttpVersion, MessageWriter, Part, SessionHandle, WebSocketRead, WebSocketWrite,
};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The repository README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
