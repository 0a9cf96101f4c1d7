//! The client's typed path: the HTTP/2 extended `CONNECT` of RFC 8441 as an
//! `http::Request`, and its answer read from `http::response::Parts`.
//!
//! The request carries what an HTTP/1.1 upgrade carries but the key and the
//! connection-specific fields (`Upgrade`, `Connection`, `Host`: the authority is
//! in the URI). The `:protocol = websocket` pseudo-header is not part of
//! `http::Request`; the front-end sets it in its HTTP/2 library's extension type
//! (e.g. `h2::ext::Protocol`), from [`WEBSOCKET_PROTOCOL`](crate::WEBSOCKET_PROTOCOL).

use http::header::{HeaderName, HeaderValue};

use super::{classify_other, ClientError, ClientHandshake, ClientRequest, Outcome};
use crate::extension::format_extensions;
use crate::status::StatusCode;
use crate::Headers;

impl ClientRequest {
    /// The extended `CONNECT` for this request (RFC 8441 section 4-5): method
    /// `CONNECT`, version HTTP/2, URI `https://` (or `http://` for `ws://`) with
    /// the authority and path, `sec-websocket-version: 13`, the offered
    /// subprotocols and extensions and the extra fields. Set `:protocol` to
    /// [`WEBSOCKET_PROTOCOL`](crate::WEBSOCKET_PROTOCOL) in the HTTP/2 library's
    /// extension before sending it.
    ///
    /// ```
    /// use ws_handshake::ClientRequest;
    ///
    /// let request = ClientRequest::new("wss://example.com/chat", [1; 16])?
    ///     .protocol("chat")?
    ///     .to_http2();
    /// assert_eq!(request.method(), http::Method::CONNECT);
    /// assert_eq!(request.uri(), "https://example.com/chat");
    /// assert_eq!(request.headers()["sec-websocket-protocol"], "chat");
    /// assert!(request.headers().get("sec-websocket-key").is_none());
    /// # Ok::<(), ws_handshake::ClientError>(())
    /// ```
    pub fn to_http2(&self) -> http::Request<()> {
        let uri = &self.uri;
        let scheme = if uri.secure { "https" } else { "http" };
        let mut request = http::Request::new(());
        *request.method_mut() = http::Method::CONNECT;
        *request.version_mut() = http::Version::HTTP_2;
        // The URI was checked when the request was built: this parse cannot fail
        // for a valid `WsUri`, and a failure leaves the default `/`, which the
        // server refuses.
        if let Ok(parsed) = format!("{scheme}://{}{}", uri.host_header(), uri.target).parse() {
            *request.uri_mut() = parsed;
        }
        let fields = request.headers_mut();
        fields.insert(
            http::header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        if !self.protocols.is_empty() {
            push(fields, "sec-websocket-protocol", &self.protocols.join(", "));
        }
        if !self.extensions.is_empty() {
            push(
                fields,
                "sec-websocket-extensions",
                &format_extensions(&self.extensions),
            );
        }
        for h in self.headers.iter() {
            // Checked in `header`: a token name and a value without controls.
            push(fields, h.name, &String::from_utf8_lossy(h.value));
        }
        request
    }
}

/// Appends a field this crate checked already (names are lowercased by `http`).
fn push(fields: &mut http::HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        fields.append(name, value);
    }
}

impl ClientHandshake {
    /// Classifies the answer to an extended `CONNECT` (or any response given as
    /// `http` parts): a 2xx is accepted after the same checks as a 101 but the
    /// accept key (an offered subprotocol, offered extensions each at most once, a
    /// deflate answer that fits an offer); redirects, challenges and other statuses
    /// as for HTTP/1.1. A 101 here is malformed: HTTP/2 has no upgrade.
    pub fn classify_http(&self, parts: &http::response::Parts) -> Result<Outcome, ClientError> {
        let mut headers = Headers::new();
        for (name, value) in &parts.headers {
            headers.push(name.as_str(), value.as_bytes());
        }
        let status = StatusCode(parts.status.as_u16());
        if parts.status.is_informational() {
            return Err(ClientError::Malformed(format!(
                "{} answer to an extended CONNECT",
                status.0
            )));
        }
        if parts.status.is_success() {
            return self.check_answers(headers).map(Outcome::Accepted);
        }
        let reason = parts.status.canonical_reason().unwrap_or("").to_owned();
        classify_other(status, reason, headers)
    }
}
