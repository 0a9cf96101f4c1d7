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
pub use ws_session::{CloseCode, CloseInfo, Delivery, Message, MessageKind, SessionConfig};
