//! An upgrade request has no body (RFC 6455 section 4.1: a GET; RFC 9110 section
//! 9.3.1: content in a GET has no defined meaning). A request that announces one is
//! refused: a proxy in front of us that frames the body differently would see bytes
//! we take for WebSocket frames as a second request (request smuggling).
//!
//! Refused: any `Transfer-Encoding` field (whatever its value), a `Content-Length`
//! other than 0, and `Content-Length` values that are malformed or differ from each
//! other. Identical repeated values (`Content-Length: 0, 0`, or the field twice) are
//! one value, as RFC 9110 section 8.6 allows.

use super::ServerError;
use crate::Headers;

const TRANSFER_ENCODING: &str = "Transfer-Encoding";
const CONTENT_LENGTH: &str = "Content-Length";

/// Checks that `headers` announce no request body.
pub(crate) fn check_no_body(headers: &Headers) -> Result<(), ServerError> {
    if headers.count(TRANSFER_ENCODING) > 0 {
        return Err(ServerError::TransferEncoding);
    }
    // The one value every `Content-Length` item must agree on, without leading zeros
    // (compared as digits, so no length ever overflows).
    let mut length: Option<&[u8]> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for item in value.split(|&b| b == b',') {
            let digits = item.trim_ascii();
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ServerError::InvalidContentLength);
            }
            let first = digits.iter().position(|&b| b != b'0');
            let significant = first.map_or(&b""[..], |i| &digits[i..]);
            match length {
                Some(seen) if seen != significant => return Err(ServerError::InvalidContentLength),
                _ => length = Some(significant),
            }
        }
    }
    match length {
        Some(digits) if !digits.is_empty() => Err(ServerError::ContentLength),
        _ => Ok(()),
    }
}
