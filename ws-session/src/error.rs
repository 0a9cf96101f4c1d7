//! Errors: protocol violations by the peer (each mapped to its close code by
//! [`ProtocolError::close_code`]) and refused commands ([`SendError`]).
//!
//! A normal close is not an error: it is [`Event::Closed`](crate::Event::Closed).

use ws_frame::{CloseCode, CloseError, FrameError};

/// A violation of RFC 6455 / RFC 7692 or of a configured limit, detected in the peer's
/// input. The session fails the connection by itself: it queues a close frame with
/// [`close_code`](Self::close_code), stops delivering data and reports
/// [`Event::Closed`](crate::Event::Closed) with this error as its cause.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame header that breaks RFC 6455 syntax (reserved opcode, fragmented or
    /// oversized control frame, length with the top bit set, non-minimal length).
    #[error("bad frame header: {0}")]
    Frame(#[from] FrameError),
    /// A server received an unmasked frame.
    #[error("unmasked frame from client")]
    UnmaskedFrame,
    /// A client received a masked frame.
    #[error("masked frame from server")]
    MaskedFrame,
    /// RSV bits that no negotiated extension defines (any bit without
    /// permessage-deflate; RSV2/RSV3 always; RSV1 on a control or continuation frame).
    #[error("reserved bits {0:#04x} set without an extension defining them")]
    ReservedBits(u8),
    /// A continuation frame with no message in progress.
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is unfinished.
    #[error("new data frame inside a fragmented message")]
    ExpectedContinuation,
    /// Text that is not UTF-8, detected in the frame where the first bad byte arrives.
    #[error("invalid UTF-8 in text message")]
    InvalidUtf8,
    /// A message larger than the applicable limit (buffer size in whole delivery,
    /// `max_message_size` always), counted after decompression.
    #[error("message larger than {limit} bytes")]
    MessageTooBig {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// A message whose frames cost too many wire bytes for their payload: more than
    /// 8 per payload byte plus 64 KiB (endless tiny or empty fragments, which never
    /// reach a size limit). Legal framing stays far below: a masked 1-byte fragment
    /// is 7 bytes per payload byte. Mapped to 1008 (policy violation), not 1009: the
    /// payload is within every size limit, and no other code fits.
    #[error("message framed in {framed} wire bytes for {payload} payload bytes (framing bound: 8 per payload byte + 64 KiB)")]
    FramingOverhead {
        /// Wire bytes of the message's frames so far, this frame included.
        framed: u64,
        /// Payload bytes those frames announce.
        payload: u64,
    },
    /// A close frame whose payload is invalid (one byte, bad code, bad UTF-8 reason).
    #[error("invalid close frame: {0}")]
    InvalidClose(CloseError),
    /// Compressed data that does not inflate.
    #[error("invalid compressed data")]
    BadCompressedData,
}

impl ProtocolError {
    /// The close code sent to the peer when the session fails for this error: the one
    /// place where protocol errors map to the wire.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::Frame(e) => e.close_code(),
            ProtocolError::InvalidClose(e) => e.close_code(),
            ProtocolError::UnmaskedFrame
            | ProtocolError::MaskedFrame
            | ProtocolError::ReservedBits(_)
            | ProtocolError::UnexpectedContinuation
            | ProtocolError::ExpectedContinuation => CloseCode::PROTOCOL_ERROR,
            ProtocolError::InvalidUtf8 | ProtocolError::BadCompressedData => {
                CloseCode::INVALID_PAYLOAD
            }
            ProtocolError::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            ProtocolError::FramingOverhead { .. } => CloseCode::POLICY_VIOLATION,
        }
    }
}

/// Why a command (send, ping, pong, close) was refused. Nothing was queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closing or closed: data, pings and pongs are refused once our
    /// close frame is queued.
    #[error("session is closing or closed")]
    Closed,
    /// Queuing this would take the outbound queue past `max_outbound_bytes`.
    #[error("outbound queue full: {queued} bytes queued, {needed} more needed, bound {bound}")]
    QueueFull {
        /// Bytes queued now.
        queued: usize,
        /// Bytes this command would add.
        needed: usize,
        /// The configured bound.
        bound: usize,
    },
    /// A whole message, or a part of another type, while a partial message is
    /// unfinished (finish it with `last = true` first).
    #[error("a partial message of another kind is in progress")]
    MessageInProgress,
    /// Text (a part included) that is not valid UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// A ping or pong payload over 125 bytes.
    #[error("control payload of {0} bytes (max 125)")]
    ControlTooLong(usize),
    /// A shared frame this session cannot take as it is (see
    /// [`Session::send_shared`](crate::Session::send_shared)): send the message with
    /// `send` instead.
    #[error("this session cannot take a frame encoded for others (client, compression context or fragment size)")]
    NotShareable,
    /// A close code that may not be sent, or a reason over 123 bytes.
    #[error("invalid close: {0}")]
    InvalidClose(CloseError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(ProtocolError::InvalidUtf8.close_code().0, 1007);
        assert_eq!(
            ProtocolError::MessageTooBig { limit: 1 }.close_code().0,
            1009
        );
        assert_eq!(
            ProtocolError::FramingOverhead {
                framed: 70_000,
                payload: 1
            }
            .close_code()
            .0,
            1008
        );
        assert_eq!(ProtocolError::UnmaskedFrame.close_code().0, 1002);
        assert_eq!(
            ProtocolError::Frame(FrameError::LengthOverflow)
                .close_code()
                .0,
            1002
        );
        assert_eq!(
            ProtocolError::InvalidClose(CloseError::InvalidUtf8)
                .close_code()
                .0,
            1007
        );
    }
}
