//! HTTP status codes used by the handshake, and plain error responses.

/// An HTTP status code. A newtype so any code a peer sends stays representable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 101: the connection switches to WebSocket.
    pub const SWITCHING_PROTOCOLS: StatusCode = StatusCode(101);
    /// 400: the request is malformed or not a valid upgrade.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401: the server wants credentials.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403: refused, e.g. by the origin policy.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404: no endpoint at this path.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405: the method is not GET.
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 407: the proxy wants credentials.
    pub const PROXY_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(407);
    /// 426: the WebSocket version is not supported.
    pub const UPGRADE_REQUIRED: StatusCode = StatusCode(426);
    /// 431: the head exceeds the header byte or count limit.
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// 500: the server failed.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 503: the server is unavailable.
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);

    /// Whether a client treats this as a redirect it may follow (RFC 9110 section
    /// 15.4; 304 is not one).
    pub const fn is_redirect(self) -> bool {
        matches!(self.0, 300 | 301 | 302 | 303 | 305 | 307 | 308)
    }

    /// The standard reason phrase, or `"Unknown"`.
    pub const fn reason(self) -> &'static str {
        match self.0 {
            101 => "Switching Protocols",
            200 => "OK",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            305 => "Use Proxy",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            426 => "Upgrade Required",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Unknown",
        }
    }
}

/// A complete error response without a body, closing the connection: the status
/// line, `extra` header lines, `Connection: close`, `Content-Length: 0`.
pub fn error_response(status: StatusCode, extra: &[(&str, &str)]) -> Vec<u8> {
    error_response_with_text(status, extra, "")
}

/// As [`error_response`], with `text` as a `text/plain` body (none when empty).
pub(crate) fn error_response_with_text(
    status: StatusCode,
    extra: &[(&str, &str)],
    text: &str,
) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", status.0, status.reason());
    for (name, value) in extra {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n");
    if !text.is_empty() {
        out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", text.len()));
    out.push_str(text);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_and_reasons() {
        let redirects: Vec<u16> = (100..600)
            .filter(|&c| StatusCode(c).is_redirect())
            .collect();
        assert_eq!(redirects, [300, 301, 302, 303, 305, 307, 308]);
        assert_eq!(StatusCode::UPGRADE_REQUIRED.reason(), "Upgrade Required");
        assert_eq!(StatusCode(299).reason(), "Unknown");
        assert_eq!(
            error_response(StatusCode::NOT_FOUND, &[("X", "y")]),
            b"HTTP/1.1 404 Not Found\r\nX: y\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
    }
}
