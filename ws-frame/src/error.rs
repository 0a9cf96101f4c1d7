//! Errors of the frame layer, each mapped to the close code that reports it.

use core::fmt;

use crate::CloseCode;

/// A frame header that violates RFC 6455 section 5.2 syntax.
///
/// Every variant is a protocol error: [`FrameError::close_code`] is the single place
/// that maps them to the wire (always 1002 here). Role rules (masking), limits and
/// extension rules (RSV bits) are policy and live in `ws-session`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The opcode is one of the reserved values `0x3`-`0x7` or `0xB`-`0xF`.
    ReservedOpcode(u8),
    /// A close, ping or pong frame without the FIN bit.
    FragmentedControl,
    /// A control frame whose payload is longer than 125 bytes.
    ControlTooLong(u64),
    /// A 64-bit payload length with its most significant bit set.
    LengthOverflow,
    /// A payload length not written in the fewest bytes (RFC 6455 section 5.2: "the
    /// minimal number of bytes MUST be used"). Rejected so every header has exactly one
    /// encoding.
    NonMinimalLength,
}

impl FrameError {
    /// The close code an endpoint sends when it fails the connection for this error.
    pub const fn close_code(self) -> CloseCode {
        match self {
            FrameError::ReservedOpcode(_)
            | FrameError::FragmentedControl
            | FrameError::ControlTooLong(_)
            | FrameError::LengthOverflow
            | FrameError::NonMinimalLength => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::FragmentedControl => f.write_str("fragmented control frame"),
            FrameError::ControlTooLong(len) => {
                write!(f, "control frame payload of {len} bytes (max 125)")
            }
            FrameError::LengthOverflow => f.write_str("64-bit payload length with the top bit set"),
            FrameError::NonMinimalLength => f.write_str("payload length not minimally encoded"),
        }
    }
}

impl core::error::Error for FrameError {}
