//! The one error type of the generator.

use std::io;

use thiserror::Error;

use crate::decode::ReadError;
use crate::payload::PayloadError;

/// Why a run failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A bad command line or configuration.
    #[error("{0}")]
    Usage(String),
    /// A socket operation failed.
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    /// The handshake response was not a valid 101.
    #[error("handshake: {0}")]
    Handshake(#[from] ws_handshake::ClientError),
    /// The server answered the upgrade with another status.
    #[error("the server refused the upgrade with status {0}")]
    Refused(u16),
    /// The server broke the frame protocol.
    #[error("protocol: {0}")]
    Protocol(#[from] ReadError),
    /// An echoed message differs from the one sent.
    #[error("echo check failed: {0}")]
    Payload(#[from] PayloadError),
    /// The server echoed a text message for a binary one, or the reverse.
    #[error("the server echoed a message of the other kind (text for binary or binary for text)")]
    WrongKind,
    /// permessage-deflate was offered and must be measured, but the server declined it.
    #[error("the server declined the permessage-deflate offer")]
    DeflateDeclined,
    /// The server closed the connection (close code, if any) or the transport ended
    /// while messages were still expected.
    #[error("the server closed the connection early ({0})")]
    Closed(String),
    /// A bounded step did not finish in time.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// A connection task panicked or was cancelled.
    #[error("connection task failed: {0}")]
    Task(String),
}
