//! Close codes and close frame payloads (RFC 6455 sections 5.5.1 and 7.4).

use core::fmt;

use crate::utf8;

/// Longest close reason: a control payload holds 125 bytes, two of them the code.
pub const MAX_CLOSE_REASON: usize = 123;

/// A close status code. Unknown values stay representable (a `u16` newtype), so a
/// code from the 3000-4999 ranges or a future registration round-trips untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page left, idle timeout).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1004: reserved; never valid on the wire.
    pub const RESERVED: CloseCode = CloseCode(1004);
    /// 1005: no status code was present. Reported locally, never sent.
    pub const NO_STATUS_RECEIVED: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a close frame. Reported locally, never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data inconsistent with the message type (invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a policy was violated.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry, after RFC 6455).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry, after RFC 6455).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: bad gateway (IANA registry, after RFC 6455).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Reported locally, never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether an endpoint may put this code in a close frame it sends.
    ///
    /// Allowed: 1000-1003, 1007-1014, 3000-4999. Decision on 1012-1014: IANA registered
    /// them after RFC 6455 and servers send them (restart, overload, gateway), so they
    /// are valid both ways. 1004 is reserved; 1005, 1006 and 1015 are local reports that
    /// RFC 6455 section 7.4.1 forbids on the wire; 1016-2999 are unassigned protocol
    /// codes; 0-999 and 5000+ are outside every range.
    pub const fn may_send(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether a received close frame may carry this code; any other code fails the
    /// connection with 1002. The rule is the same set as [`may_send`](Self::may_send):
    /// what no endpoint may send, no endpoint may accept.
    pub const fn is_valid_received(self) -> bool {
        self.may_send()
    }

    /// The RFC or IANA name, if the code has one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "normal closure",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1004 => "reserved",
            1005 => "no status received",
            1006 => "abnormal closure",
            1007 => "invalid frame payload data",
            1008 => "policy violation",
            1009 => "message too big",
            1010 => "mandatory extension",
            1011 => "internal error",
            1012 => "service restart",
            1013 => "try again later",
            1014 => "bad gateway",
            1015 => "TLS handshake",
            _ => return None,
        })
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why a close payload is unacceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseError {
    /// A one-byte payload: too short for a code.
    TruncatedCode,
    /// A code that [`CloseCode::is_valid_received`] (or, when building,
    /// [`CloseCode::may_send`]) rejects.
    InvalidCode(CloseCode),
    /// The reason is not valid UTF-8.
    InvalidUtf8,
    /// The reason is longer than 123 bytes, or the payload longer than 125.
    TooLong,
}

impl CloseError {
    /// The close code that answers a received payload with this error: 1007 for a
    /// reason that is not UTF-8 (as for text data), 1002 for everything else.
    pub const fn close_code(self) -> CloseCode {
        match self {
            CloseError::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            CloseError::TruncatedCode | CloseError::InvalidCode(_) | CloseError::TooLong => {
                CloseCode::PROTOCOL_ERROR
            }
        }
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::TruncatedCode => f.write_str("close payload of one byte"),
            CloseError::InvalidCode(code) => write!(f, "invalid close code {}", code.0),
            CloseError::InvalidUtf8 => f.write_str("close reason is not valid UTF-8"),
            CloseError::TooLong => f.write_str("close reason longer than 123 bytes"),
        }
    }
}

impl core::error::Error for CloseError {}

/// The body of a close frame: a code and a UTF-8 reason, borrowed from the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The reason, at most 123 bytes of UTF-8.
    pub reason: &'a str,
}

impl<'a> CloseFrame<'a> {
    /// Parses a received (already unmasked) close payload. An empty payload is valid
    /// and carries no status (`Ok(None)`; report it as 1005).
    ///
    /// ```
    /// use ws_frame::{CloseCode, CloseFrame};
    /// let frame = CloseFrame::parse(b"\x03\xe8bye").unwrap().unwrap();
    /// assert_eq!((frame.code, frame.reason), (CloseCode::NORMAL, "bye"));
    /// assert!(CloseFrame::parse(b"\x03").is_err());
    /// ```
    pub fn parse(payload: &'a [u8]) -> Result<Option<CloseFrame<'a>>, CloseError> {
        match payload {
            [] => Ok(None),
            [_] => Err(CloseError::TruncatedCode),
            [hi, lo, reason @ ..] => {
                if reason.len() > MAX_CLOSE_REASON {
                    return Err(CloseError::TooLong);
                }
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_valid_received() {
                    return Err(CloseError::InvalidCode(code));
                }
                let reason = utf8::validate(reason).map_err(|_| CloseError::InvalidUtf8)?;
                Ok(Some(CloseFrame { code, reason }))
            }
        }
    }

    /// Writes the payload of a close frame to send into `out` and returns its length.
    /// Fails for a code that may not be sent or a reason over 123 bytes.
    pub fn encode(&self, out: &mut [u8; 125]) -> Result<usize, CloseError> {
        if !self.code.may_send() {
            return Err(CloseError::InvalidCode(self.code));
        }
        let reason = self.reason.as_bytes();
        if reason.len() > MAX_CLOSE_REASON {
            return Err(CloseError::TooLong);
        }
        out[..2].copy_from_slice(&self.code.0.to_be_bytes());
        out[2..2 + reason.len()].copy_from_slice(reason);
        Ok(2 + reason.len())
    }
}

/// The longest prefix of `reason` that fits in a close frame (123 bytes), cut on a
/// character boundary. Handy when a reason comes from an error message.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_code_ranges() {
        let valid = [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ];
        for code in valid.into_iter().chain([3000, 3999, 4000, 4999]) {
            assert!(CloseCode(code).is_valid_received(), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(code).is_valid_received(), "{code}");
            assert!(!CloseCode(code).may_send(), "{code}");
        }
    }

    #[test]
    fn parse_rules() {
        assert_eq!(CloseFrame::parse(b""), Ok(None));
        assert_eq!(CloseFrame::parse(b"\x03"), Err(CloseError::TruncatedCode));
        assert_eq!(
            CloseFrame::parse(b"\x03\xed"),
            Err(CloseError::InvalidCode(CloseCode::NO_STATUS_RECEIVED))
        );
        assert_eq!(
            CloseFrame::parse(b"\x03\xe8\xff"),
            Err(CloseError::InvalidUtf8)
        );
        assert_eq!(
            CloseError::InvalidUtf8.close_code(),
            CloseCode::INVALID_PAYLOAD
        );
        assert_eq!(
            CloseError::TruncatedCode.close_code(),
            CloseCode::PROTOCOL_ERROR
        );
    }

    #[test]
    fn encode_round_trips_and_bounds_the_reason() {
        let mut out = [0u8; 125];
        let frame = CloseFrame {
            code: CloseCode(4000),
            reason: "ünïcode",
        };
        let n = frame.encode(&mut out).unwrap();
        assert_eq!(CloseFrame::parse(&out[..n]), Ok(Some(frame)));
        let long = "x".repeat(124);
        let too_long = CloseFrame {
            code: CloseCode::NORMAL,
            reason: &long,
        };
        assert_eq!(too_long.encode(&mut out), Err(CloseError::TooLong));
        let bad = CloseFrame {
            code: CloseCode::ABNORMAL,
            reason: "",
        };
        assert_eq!(
            bad.encode(&mut out),
            Err(CloseError::InvalidCode(CloseCode::ABNORMAL))
        );
    }

    #[test]
    fn truncate_reason_cuts_on_char_boundary() {
        let s = "é".repeat(100); // 200 bytes
        let cut = truncate_reason(&s);
        assert_eq!(cut.len(), 122);
        assert_eq!(truncate_reason("short"), "short");
    }
}
