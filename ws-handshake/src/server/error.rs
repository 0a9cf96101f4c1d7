//! Why a server refuses an upgrade request, and the one place that maps each reason to
//! its HTTP status and response.

use crate::status::{error_response_with_text, StatusCode};

/// A rejected upgrade request. [`status`](Self::status) and
/// [`response`](Self::response) give what the server writes before closing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The head did not end within the byte limit.
    #[error("request head larger than {0} bytes")]
    HeadTooLarge(usize),
    /// More header fields than the limit.
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    /// Not a well-formed HTTP/1.x request head.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The method is not GET (HTTP/1.1) or CONNECT (HTTP/2).
    #[error("method {0} does not open a WebSocket (GET over HTTP/1.1, CONNECT over HTTP/2)")]
    MethodNotAllowed(String),
    /// HTTP/1.0: RFC 6455 needs HTTP/1.1 or later.
    #[error("HTTP/1.{0} request; HTTP/1.1 or later is required")]
    HttpVersion(u8),
    /// The request target is not origin-form (or absolute-form with an http(s)/ws(s)
    /// scheme).
    #[error("invalid request target")]
    InvalidTarget,
    /// No `Host` field.
    #[error("missing Host")]
    MissingHost,
    /// More than one `Host` field.
    #[error("more than one Host")]
    DuplicateHost,
    /// A `Host` value that is not `host[:port]`.
    #[error("malformed Host")]
    InvalidHost,
    /// A field that must appear once appears more than once.
    #[error("header {0} repeated")]
    DuplicateHeader(&'static str),
    /// `Upgrade` does not list `websocket`.
    #[error("Upgrade does not list websocket")]
    NotWebSocketUpgrade,
    /// `Connection` does not list `upgrade`.
    #[error("Connection does not list upgrade")]
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Version` is missing or not 13.
    #[error("unsupported WebSocket version")]
    UnsupportedVersion,
    /// `Sec-WebSocket-Key` is missing.
    #[error("missing Sec-WebSocket-Key")]
    MissingKey,
    /// `Sec-WebSocket-Key` does not base64-decode to 16 bytes.
    #[error("invalid Sec-WebSocket-Key")]
    InvalidKey,
    /// `Sec-WebSocket-Protocol` is not a comma list of tokens.
    #[error("malformed Sec-WebSocket-Protocol")]
    InvalidProtocolHeader,
    /// `Sec-WebSocket-Extensions` does not follow RFC 6455 section 9.1.
    #[error("malformed Sec-WebSocket-Extensions")]
    InvalidExtensionHeader,
    /// A `Transfer-Encoding` field (any value): an upgrade request has no body (see
    /// the rule in `server/body.rs`: a body is where smuggled requests hide).
    #[error("Transfer-Encoding in an upgrade request, which has no body")]
    TransferEncoding,
    /// A `Content-Length` other than 0: an upgrade request has no body.
    #[error("Content-Length other than 0 in an upgrade request, which has no body")]
    ContentLength,
    /// `Content-Length` values that are not decimal numbers or differ from each other
    /// (identical repeated values count as one, RFC 9110 section 8.6).
    #[error("malformed or conflicting Content-Length values")]
    InvalidContentLength,
    /// HTTP/2: a `CONNECT` without `:protocol`, a tunnel request rather than a
    /// WebSocket (RFC 8441 section 4).
    #[error("CONNECT without :protocol is not a WebSocket request")]
    MissingProtocol,
    /// HTTP/2: an extended `CONNECT` whose `:protocol` is not `websocket`.
    #[error("extended CONNECT for protocol {0:?}, not websocket")]
    UnknownProtocol(String),
    /// HTTP/2: a `Host` field that differs from `:authority` (RFC 9113 section
    /// 8.3.1), or more than one.
    #[error("Host differs from :authority")]
    AuthorityMismatch,
    /// The server's origin policy refused the `Origin`.
    #[error("origin not allowed")]
    OriginRejected,
}

impl ServerError {
    /// The HTTP status answering this rejection.
    pub const fn status(&self) -> StatusCode {
        match self {
            ServerError::HeadTooLarge(_) | ServerError::TooManyHeaders(_) => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            ServerError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ServerError::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            ServerError::OriginRejected => StatusCode::FORBIDDEN,
            ServerError::Malformed(_)
            | ServerError::HttpVersion(_)
            | ServerError::InvalidTarget
            | ServerError::MissingHost
            | ServerError::DuplicateHost
            | ServerError::InvalidHost
            | ServerError::DuplicateHeader(_)
            | ServerError::NotWebSocketUpgrade
            | ServerError::MissingConnectionUpgrade
            | ServerError::MissingKey
            | ServerError::InvalidKey
            | ServerError::InvalidProtocolHeader
            | ServerError::InvalidExtensionHeader
            | ServerError::TransferEncoding
            | ServerError::ContentLength
            | ServerError::InvalidContentLength
            | ServerError::MissingProtocol
            | ServerError::UnknownProtocol(_)
            | ServerError::AuthorityMismatch => StatusCode::BAD_REQUEST,
        }
    }

    /// The complete response to write before closing the connection: the status, and
    /// a plain-text body saying why (this error's message, one line). A 426 carries
    /// `Sec-WebSocket-Version: 13` (RFC 6455 section 4.4); a 405 carries `Allow: GET`.
    pub fn response(&self) -> Vec<u8> {
        let extra: &[(&str, &str)] = match self {
            ServerError::UnsupportedVersion => {
                &[("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
            }
            ServerError::MethodNotAllowed(_) => &[("Allow", "GET")],
            _ => &[],
        };
        error_response_with_text(self.status(), extra, &format!("{self}\n"))
    }
}
