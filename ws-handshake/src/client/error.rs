//! Why a client refuses to build a request or to trust a response.

use crate::deflate::DeflateParamError;

/// A client-side handshake failure. Every variant means the connection must not be
/// used (RFC 6455 section 4.1: "fail the WebSocket connection").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URI is not `ws://` or `wss://` with a valid authority and no fragment.
    #[error("invalid WebSocket URI: {0}")]
    InvalidUri(String),
    /// A subprotocol to offer is not a token.
    #[error("invalid subprotocol {0:?}")]
    InvalidProtocol(String),
    /// An extension to offer is not made of tokens.
    #[error("invalid extension offer {0:?}")]
    InvalidExtension(String),
    /// An extra header has an invalid name or a value with control characters.
    #[error("invalid header {0:?}")]
    InvalidHeader(String),
    /// An extra header would override a field the handshake sets itself.
    #[error("header {0:?} is set by the handshake")]
    ReservedHeader(String),
    /// The response head did not end within the byte limit.
    #[error("response head larger than {0} bytes")]
    HeadTooLarge(usize),
    /// More header fields than the limit.
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    /// Not a well-formed HTTP/1.x response head, or input after it was complete.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A 101 whose `Upgrade` does not list `websocket`.
    #[error("101 without Upgrade: websocket")]
    NotWebSocketUpgrade,
    /// A 101 whose `Connection` does not list `upgrade`.
    #[error("101 without Connection: upgrade")]
    MissingConnectionUpgrade,
    /// A 101 without `Sec-WebSocket-Accept`.
    #[error("101 without Sec-WebSocket-Accept")]
    MissingAccept,
    /// `Sec-WebSocket-Accept` does not match the key sent.
    #[error("Sec-WebSocket-Accept does not match the key")]
    AcceptMismatch,
    /// A field that must appear at most once appears more often.
    #[error("header {0} repeated")]
    DuplicateHeader(&'static str),
    /// The server chose a subprotocol the client did not offer (or sent a list).
    #[error("server chose subprotocol {0:?}, which was not offered")]
    UnofferedProtocol(String),
    /// `Sec-WebSocket-Extensions` does not follow RFC 6455 section 9.1.
    #[error("malformed Sec-WebSocket-Extensions")]
    InvalidExtensionHeader,
    /// The server answered an extension the client did not offer.
    #[error("server answered extension {0:?}, which was not offered")]
    UnofferedExtension(String),
    /// The server answered the same extension twice.
    #[error("server answered extension {0:?} twice")]
    DuplicateExtension(String),
    /// The `permessage-deflate` answer has invalid parameters.
    #[error("invalid permessage-deflate answer: {0}")]
    InvalidDeflate(DeflateParamError),
    /// The `permessage-deflate` answer accepts none of the offers.
    #[error("permessage-deflate answer matches no offer")]
    DeflateMismatch,
    /// A `WWW-Authenticate` / `Proxy-Authenticate` value that cannot be parsed.
    #[error("malformed authentication challenge")]
    InvalidChallenge,
}
