//! [`Error`]: what can go wrong on an open session, in either role.
//!
//! Errors of the opening phase (accepting a request, connecting to a server) belong
//! to the front-ends (`ws-server`'s `AcceptError`, `ws-client`'s `ConnectError`);
//! this type starts where the session starts.

use std::io;

use ws_session::{CloseCause, CloseInfo, ProtocolError, SendError};

/// Something that went wrong on an open session or with a send.
///
/// A normal close is not an error: endpoints see it in
/// [`Endpoint::on_close`](crate::Endpoint::on_close), streams simply end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session is closed or closing: nothing more can be sent. This is the one
    /// spelling of "closed" (the session's `SendError::Closed` becomes this too).
    #[error("session closed")]
    Closed,
    /// The session refused a command: the queue is full, a message sent in parts is
    /// unfinished, a control payload is too long, ...
    #[error("send refused: {0}")]
    Send(SendError),
    /// The peer broke the protocol or a limit; the session sent the mapped close code.
    #[error("protocol error: {0}")]
    Protocol(ProtocolError),
    /// The session ended without a close handshake: a timeout, the transport ended
    /// without a close frame, or the session was aborted. The info says which.
    #[error("connection failed: {} {}", .0.code.0, .0.reason)]
    Abnormal(CloseInfo),
    /// The transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// A flushed send was not written within `BLOCKING_SEND_TIMEOUT`; the session is
    /// closed with 1001 to the peer (1006 locally).
    #[error("blocking send timed out")]
    SendTimeout,
    /// A thread-blocking call was made on a thread where blocking would stall the
    /// session it waits for (inside this session's callbacks, or on the thread of a
    /// current-thread runtime). Use the `async` form there.
    #[error("thread-blocking send called on a runtime thread; use the async send")]
    BlockingOnRuntime,
    /// A topic command on a session opened without [`Topics`](crate::Topics) (a
    /// server gives its sessions its topics; an owned or client session has none).
    #[error("this session has no topics")]
    NoTopics,
}

impl Error {
    /// Whether the error only means the session is closed (not a failure of its own).
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed)
    }

    /// The error that reports an unclean end described by `info`: `None` for a
    /// completed close handshake (not an error), [`Error::Protocol`] for a protocol
    /// violation, [`Error::Abnormal`] for everything else.
    pub fn from_close(info: &CloseInfo) -> Option<Error> {
        match &info.cause {
            CloseCause::Handshake => None,
            CloseCause::Protocol(e) => Some(Error::Protocol(e.clone())),
            _ => Some(Error::Abnormal(info.clone())),
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Error::Closed,
            e => Error::Send(e),
        }
    }
}
