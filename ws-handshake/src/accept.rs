//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 sections 1.3 and 4.2.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest as _, Sha1};

/// The GUID RFC 6455 appends to the key before hashing.
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value (the base64 text
/// exactly as sent): base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// The `Sec-WebSocket-Key` value for 16 caller-drawn random bytes.
pub fn encode_key(nonce: [u8; 16]) -> String {
    STANDARD.encode(nonce)
}

/// Whether a `Sec-WebSocket-Key` value is 24 characters of canonical base64 that
/// decode to exactly 16 bytes.
pub fn is_valid_key(value: &[u8]) -> bool {
    let mut raw = [0u8; 18];
    value.len() == 24 && STANDARD.decode_slice(value, &mut raw) == Ok(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_sample() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(encode_key(*b"the sample nonce"), "dGhlIHNhbXBsZSBub25jZQ==");
    }

    #[test]
    fn key_validity() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        // 15 and 17 bytes.
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZXM="));
        // Not base64, and non-canonical trailing bits.
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ!="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_valid_key(b""));
    }
}
