//! The opening handshake over HTTP/1.1 (RFC 6455 section 4), both roles, written
//! apart from `ws-handshake`.
//!
//! This is the only place that knows the transport is HTTP/1.1: it turns a fresh
//! byte stream into a WebSocket byte stream plus the negotiated permessage-deflate
//! parameters and any bytes read past the head. [`crate::conn::Conn::new`] takes
//! those three; an RFC 8441 (HTTP/2 extended CONNECT) transport would give the same
//! three from a stream's request and response headers (see the crate docs).

pub mod client;
pub mod server;

use base64::Engine;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The GUID of RFC 6455 section 1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest request or response head the suite reads.
pub const MAX_HEAD: usize = 16 * 1024;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Reads up to and including the blank line that ends an HTTP head; returns the head
/// and the bytes read after it.
pub async fn read_head<S: AsyncRead + Unpin + ?Sized>(
    io: &mut S,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = io
            .read(&mut chunk)
            .await
            .map_err(|e| format!("reading the head: {e}"))?;
        if n == 0 {
            return Err(format!(
                "connection closed after {} bytes of the head",
                buf.len()
            ));
        }
        // Resume the terminator search a few bytes back from the new data.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = from + end + 4;
            let rest = buf.split_off(end);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(format!("head longer than {MAX_HEAD} bytes"));
        }
    }
}

/// Whether a comma-separated header value holds `token` (case-insensitive).
pub fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// All values of a header, joined with `, ` as RFC 9110 allows for list headers.
fn header_values(headers: &[httparse::Header<'_>], name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_accept_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn tokens_in_lists() {
        assert!(has_token("keep-alive, Upgrade", "upgrade"));
        assert!(!has_token("upgraded", "upgrade"));
    }

    #[tokio::test]
    async fn head_and_leftover_are_split_at_the_blank_line() {
        let mut input: &[u8] = b"HTTP/1.1 101 X\r\nA: b\r\n\r\n\x81\x00";
        let (head, rest) = read_head(&mut input).await.unwrap();
        assert!(head.ends_with(b"\r\n\r\n"));
        assert_eq!(rest, [0x81, 0x00]);
    }
}
