//! A tokio WebSocket client (RFC 6455, RFC 7692 permessage-deflate) with Tomcat's
//! client properties: an IO timeout on every connection step, TLS trust from PEM or
//! PKCS#12 trust stores, redirects, Basic/Digest authentication and HTTP `CONNECT`
//! proxies.
//!
//! Two APIs over the same connection machinery:
//!
//! * [`connect`] returns a [`WebSocket`]: a [`Stream`](futures::Stream) of
//!   [`Message`]s and a [`Sink`](futures::Sink) of messages.
//! * [`connect_endpoint`] drives an [`Endpoint`] (`on_open`, `on_message` /
//!   `on_part`, `on_pong`, `on_error`, `on_close`) and returns a cloneable
//!   [`SessionHandle`] with async, blocking and partial sends, ping and close.
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
//! * **Sends complete when written**, not when queued, for every API: awaiting a send
//!   is backpressure and `BLOCKING_SEND_TIMEOUT` is a real write timeout. Queued
//!   bytes are bounded by the session (`max_outbound_bytes`); the driver stops taking
//!   commands above the high-water mark.
//! * **Closing**: dropping the last [`WebSocket`] / [`SessionHandle`] closes with
//!   1000. With [`connect_endpoint`] the endpoint's task holds a handle, so such a
//!   connection lives until either side closes it.
//! * **Blocking send timeout**: on expiry the client starts a 1001 close and returns
//!   [`Error::SendTimeout`]; the close frame waits behind the unwritten data and the
//!   session gives up after `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT` (reported as 1006).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod connect;
mod driver;
mod endpoint;
mod error;
mod handle;
mod handshake;
mod proxy;
mod redirect;
mod rng;
mod socket;
mod steps;
mod tls;
mod transport;

pub use bytes::Bytes;
pub use config::ClientConfig;
pub use connect::{connect, connect_endpoint};
pub use endpoint::Endpoint;
pub use error::{ConnectError, Error, Step, TlsConfigError};
pub use handle::SessionHandle;
pub use proxy::Proxy;
pub use socket::WebSocket;
pub use ws_config::{ClientSettings, Credentials, TlsContext, TlsVersion};
pub use ws_handshake::DeflateParams;
pub use ws_session::{
    CloseCause, CloseCode, CloseInfo, Delivery, Initiator, Message, MessageKind, SessionConfig,
    TimeoutKind,
};
