//! The crate's errors: [`Error`] for connections and sends, [`DeployError`] for
//! adding endpoints.

use std::io;

use ws_handshake::ServerError;
use ws_session::{ProtocolError, SendError};

/// Something that went wrong on a connection or with a send.
///
/// A normal close is not an error: endpoints see it in
/// [`Endpoint::on_close`](crate::Endpoint::on_close), streams simply end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The upgrade request was refused (the response with its status was written).
    #[error("handshake refused: {0}")]
    Handshake(#[from] ServerError),
    /// The request path matches no endpoint (404 was written).
    #[error("no endpoint at {0}")]
    NotFound(String),
    /// The client did not complete its handshake within the handshake timeout.
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// The peer broke the protocol or a limit; the session sent the mapped close code.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The session refused a command (closed, queue full, bad payload...).
    #[error("send refused: {0}")]
    Send(#[from] SendError),
    /// A blocking send was not written within `BLOCKING_SEND_TIMEOUT`; the session
    /// was closed with 1001.
    #[error("blocking send timed out")]
    SendTimeout,
    /// The session is closed (or its connection is gone).
    #[error("session closed")]
    Closed,
    /// TLS setup failed (certificate or key files).
    #[error("TLS: {0}")]
    Tls(String),
}

impl Error {
    /// Whether the error only means the session is closed (not a failure of its own).
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed | Error::Send(SendError::Closed))
    }
}

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
