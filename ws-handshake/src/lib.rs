//! The WebSocket opening handshake (RFC 6455 section 4), sans I/O, for servers and
//! clients.
//!
//! Bytes go in, values and bytes come out: the crate never reads a socket or a clock
//! and draws no random numbers (the client key and Digest `cnonce` are inputs).
//!
//! * Server: [`ServerHandshake`] reads a request incrementally within [`Limits`] and
//!   validates it into an [`UpgradeRequest`] (path, query, headers, `Origin`) or a
//!   [`ServerError`] that knows its HTTP status and response. [`UpgradeRequest::accept`]
//!   negotiates the subprotocol and `permessage-deflate` ([`DeflateConfig`]) and
//!   builds the 101.
//! * Client: [`ClientRequest`] writes the request; [`ClientHandshake`] reads the
//!   response and classifies it as an [`Outcome`]: accepted (after checking
//!   `Sec-WebSocket-Accept`, subprotocol and extensions), redirect, authentication
//!   challenge, or rejected. Bytes after the head are handed back. [`ProxyConnect`]
//!   opens a tunnel through an HTTP proxy first.
//! * `http` types at the edge: [`UpgradeRequest::from_http`] validates an HTTP/1.1
//!   upgrade `GET` or an HTTP/2 extended `CONNECT` (RFC 8441) given as
//!   `http::request::Parts` under the same rules and limits as the byte path;
//!   [`Accepted::http_response`] gives the 101 or the 200, and
//!   [`ServerError::http_response`] the rejection. On the client side
//!   [`ClientRequest::to_http2`] builds the extended CONNECT and
//!   [`ClientHandshake::classify_http`] reads the answer.
//! * [`OriginPolicy`]: which browser pages may open WebSockets (same origin by
//!   default), shared by every server front-end.
//! * [`auth`]: Basic (RFC 7617) and Digest (RFC 7616) credentials for a challenge.
//!
//! # Guarantees
//!
//! * Reading a head is linear in its length however it is split: the terminator scan
//!   carries its state across calls and `httparse` runs once, on the complete head.
//!   At most `max_header_bytes` are buffered.
//! * Any split of the input gives the same result (property test and fuzz targets).
//! * Parsing never panics on any input (fuzzed).
//! * A server never answers a subprotocol or extension the client did not offer, and
//!   a client accepts neither.
//! * A server refuses (400) an upgrade request that announces a body: any
//!   `Transfer-Encoding`, a `Content-Length` other than 0, or `Content-Length` values
//!   that are malformed or differ (identical repeats count as one, RFC 9110 section
//!   8.6). Bytes after the head are never taken for a body, so a proxy that frames
//!   one differently cannot smuggle a request through. Every [`ServerError`]
//!   response carries its reason as a one-line plain-text body.
//!
//! # Example
//!
//! ```
//! use ws_handshake::{ClientRequest, DeflateOffer, Limits, Outcome, ServerConfig, ServerHandshake};
//!
//! // Client: the nonce comes from a CSPRNG in real code.
//! let request = ClientRequest::new("ws://example.com/chat?room=1", [7; 16])?
//!     .protocol("chat")?
//!     .deflate(DeflateOffer::default())
//!     .header("Origin", "https://example.com")?;
//! let mut client = request.handshake(Limits::default());
//!
//! // Server: bytes may arrive in any pieces.
//! let wire = request.to_bytes();
//! let mut server = ServerHandshake::new(Limits::default());
//! assert_eq!(server.handle_input(&wire[..10]), Ok(None));
//! let upgrade = server.handle_input(&wire[10..]).unwrap().expect("complete");
//! assert_eq!((upgrade.path(), upgrade.query()), ("/chat", Some("room=1")));
//! assert_eq!(upgrade.origin(), Some("https://example.com"));
//! let config = ServerConfig { protocols: vec!["chat".into()], ..ServerConfig::default() };
//! let accepted = upgrade.accept(&config);
//!
//! // Client: the 101, followed by a first frame in the same read.
//! let mut reply = accepted.response();
//! reply.extend_from_slice(&[0x81, 0x00]);
//! let Some((Outcome::Accepted(est), leftover)) = client.handle_input(&reply)? else {
//!     panic!("expected a 101");
//! };
//! assert_eq!(est.protocol.as_deref(), Some("chat"));
//! assert!(est.deflate.is_some());
//! assert_eq!(leftover, [0x81, 0x00]);
//! # Ok::<(), ws_handshake::ClientError>(())
//! ```
#![forbid(unsafe_code)]

mod accept;
pub mod auth;
mod client;
mod deflate;
mod extension;
mod head;
mod headers;
mod host;
mod origin;
mod server;
mod status;
mod syntax;

#[doc(hidden)]
pub mod fuzzing;

pub use accept::{accept_key, encode_key, is_valid_key, WEBSOCKET_GUID};
pub use client::{
    AuthChallenge, ClientError, ClientHandshake, ClientRequest, Established, Outcome, ProxyConnect,
    ProxyHandshake, ProxyOutcome, Redirect, Rejected, WsUri,
};
pub use deflate::{
    ClientMaxWindowBits, DeflateConfig, DeflateOffer, DeflateParamError, DeflateParams,
    LEAN_WINDOW_BITS, MAX_WINDOW_BITS, MIN_WINDOW_BITS, PERMESSAGE_DEFLATE,
};
pub use extension::{Extension, ExtensionParam};
pub use head::{Limits, DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEADER_BYTES};
pub use headers::{Header, Headers};
pub use origin::OriginPolicy;
pub use server::{
    Accepted, ServerConfig, ServerError, ServerHandshake, UpgradeRequest, WEBSOCKET_PROTOCOL,
};
pub use status::{error_response, StatusCode};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
