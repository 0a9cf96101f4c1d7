//! The crate's errors, one type per phase: [`AcceptError`] for a connection's
//! opening handshake, [`Error`] (from `ws-tokio`) for an open session and its sends,
//! [`DeployError`] for adding endpoints, [`TlsError`] for loading certificates.

use std::io;

use ws_handshake::ServerError;

pub use ws_tokio::Error;

/// Why accepting a WebSocket failed (the opening phase, before any session).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// The transport failed, or ended before a complete request.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The upgrade request was refused (the response with its status was written).
    #[error("handshake refused: {0}")]
    Handshake(#[from] ServerError),
    /// A plain HTTP request, not an upgrade (it was answered: 426 for a WebSocket
    /// path, a static resource, or 404).
    #[error("not a WebSocket upgrade: {method} {path}")]
    NotUpgrade {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The request path matches no endpoint (404 was written).
    #[error("no endpoint at {0}")]
    NotFound(String),
    /// The client did not complete its handshake within the handshake timeout.
    #[error("handshake timed out")]
    HandshakeTimeout,
}

/// TLS setup failed (certificate or key files).
#[derive(Debug, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(pub(crate) String);

/// Why an endpoint or a static resource could not be deployed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The path is not a valid endpoint path (why is in the second field).
    #[error("invalid path {0:?}: {1}")]
    InvalidPath(String, &'static str),
    /// Another endpoint already has this path (or an equivalent template).
    #[error("duplicate path {0:?}")]
    Duplicate(String),
    /// `noAddAfterHandshake` is on and a handshake has already started.
    #[error("endpoints cannot be added after the first handshake (noAddAfterHandshake)")]
    AfterHandshake,
}
