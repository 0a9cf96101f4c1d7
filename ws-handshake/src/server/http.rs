//! The typed path: requests and responses as `http` types, for front-ends whose HTTP
//! stack parsed the request already (hyper, axum, h2).
//!
//! Two kinds of request open a WebSocket:
//!
//! * an HTTP/1.1 upgrade `GET` (RFC 6455 section 4): validated by
//!   [`UpgradeRequest::from_parts`], the byte path's own function, and answered 101;
//! * an HTTP/2 extended `CONNECT` with `:protocol = websocket` (RFC 8441 section
//!   4-5; RFC 9220 for HTTP/3): `:scheme`, `:path` and `:authority` present,
//!   `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` as in RFC 6455, no
//!   `Sec-WebSocket-Key` / `-Accept`, no `Upgrade` / `Connection`; answered 200.
//!
//! Both go through the same shared rules as the byte path (`request.rs`: one
//! `Sec-WebSocket-Version`, no announced body, version 13, the offer grammar) and the
//! same head limits, counted over the fields as they would be written.
//!
//! The `:protocol` pseudo-header is not part of `http::Request` (h2 and hyper keep it
//! in an extension type of their own), so the caller passes it in.

use http::header::{HeaderName, HeaderValue};

use super::request::{check_shared_rules, checked_host, origin_form, parse_offers};
use super::{Accepted, ServerError};
use crate::{Headers, Limits, UpgradeRequest};

/// The `:protocol` value of a WebSocket extended CONNECT (RFC 8441 section 4).
pub const WEBSOCKET_PROTOCOL: &str = "websocket";

impl UpgradeRequest {
    /// Validates a request given as `http` parts: an HTTP/1.1 upgrade `GET` or an
    /// HTTP/2 (or HTTP/3) extended `CONNECT`. `protocol` is the request's `:protocol`
    /// pseudo-header (from `h2::ext::Protocol` or `hyper::ext::Protocol`), `None`
    /// when absent or for HTTP/1.1. `limits` bound the fields as the byte path
    /// bounds a head: the field count, and the bytes of the request line and fields
    /// as HTTP/1.1 would write them.
    ///
    /// ```
    /// use ws_handshake::{Limits, UpgradeRequest};
    ///
    /// let request = http::Request::builder()
    ///     .method("CONNECT")
    ///     .version(http::Version::HTTP_2)
    ///     .uri("https://example.com/chat?room=1")
    ///     .header("sec-websocket-version", "13")
    ///     .header("sec-websocket-protocol", "chat")
    ///     .body(())
    ///     .unwrap();
    /// let (parts, ()) = request.into_parts();
    /// let upgrade = UpgradeRequest::from_http(&parts, Some("websocket"), Limits::default()).unwrap();
    /// assert_eq!((upgrade.path(), upgrade.host()), ("/chat", "example.com"));
    /// assert!(upgrade.is_extended_connect());
    ///
    /// // A plain CONNECT (a tunnel request) is not a WebSocket.
    /// assert!(UpgradeRequest::from_http(&parts, None, Limits::default()).is_err());
    /// ```
    pub fn from_http(
        parts: &http::request::Parts,
        protocol: Option<&str>,
        limits: Limits,
    ) -> Result<Self, ServerError> {
        let head = Head {
            method: &parts.method,
            uri: &parts.uri,
            version: parts.version,
            headers: &parts.headers,
        };
        head.validate(protocol, limits)
    }

    /// As [`from_http`](Self::from_http), from a whole request (its body is not
    /// looked at), so a hyper service can validate a request it still owns.
    pub fn from_http_request<B>(
        request: &http::Request<B>,
        protocol: Option<&str>,
        limits: Limits,
    ) -> Result<Self, ServerError> {
        let head = Head {
            method: request.method(),
            uri: request.uri(),
            version: request.version(),
            headers: request.headers(),
        };
        head.validate(protocol, limits)
    }
}

/// The parts of a request head the rules read.
struct Head<'a> {
    method: &'a http::Method,
    uri: &'a http::Uri,
    version: http::Version,
    headers: &'a http::HeaderMap,
}

impl Head<'_> {
    fn validate(
        &self,
        protocol: Option<&str>,
        limits: Limits,
    ) -> Result<UpgradeRequest, ServerError> {
        check_limits(self, limits)?;
        let headers = headers_of(self.headers);
        match self.version {
            http::Version::HTTP_2 | http::Version::HTTP_3 => {
                extended_connect(self, protocol, headers)
            }
            version => {
                let minor = u8::from(
                    version != http::Version::HTTP_10 && version != http::Version::HTTP_09,
                );
                let target = self.uri.to_string();
                UpgradeRequest::from_parts(self.method.as_str(), &target, minor, headers)
            }
        }
    }
}

/// RFC 8441 section 4-5, then the shared rules.
fn extended_connect(
    parts: &Head<'_>,
    protocol: Option<&str>,
    headers: Headers,
) -> Result<UpgradeRequest, ServerError> {
    if *parts.method != http::Method::CONNECT {
        return Err(ServerError::MethodNotAllowed(parts.method.to_string()));
    }
    let protocol = protocol.ok_or(ServerError::MissingProtocol)?;
    if !protocol.eq_ignore_ascii_case(WEBSOCKET_PROTOCOL) {
        return Err(ServerError::UnknownProtocol(protocol.to_owned()));
    }
    // `:scheme` and `:path` must be there (RFC 8441 section 4), the path in
    // origin-form.
    if parts.uri.scheme().is_none() {
        return Err(ServerError::InvalidTarget);
    }
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .and_then(origin_form)
        .ok_or(ServerError::InvalidTarget)?;
    let authority = parts.uri.authority().ok_or(ServerError::MissingHost)?;
    let host = checked_host(authority.as_str())?;
    // A `Host` field beside `:authority` must say the same (RFC 9113 section
    // 8.3.1), else origin checks could read one and routing the other.
    match headers.count(super::HOST) {
        0 => {}
        1 if headers
            .get(super::HOST)
            .is_some_and(|h| h.eq_ignore_ascii_case(host.as_bytes())) => {}
        _ => return Err(ServerError::AuthorityMismatch),
    }
    check_shared_rules(&headers)?;
    let offers = parse_offers(&headers)?;
    Ok(UpgradeRequest::new(
        target,
        host,
        None,
        offers,
        headers,
        parts.version,
    ))
}

/// The field count and the head's size as HTTP/1.1 would write it: request line,
/// `name: value\r\n` per field, the final `\r\n`.
fn check_limits(parts: &Head<'_>, limits: Limits) -> Result<(), ServerError> {
    if parts.headers.len() > limits.max_headers {
        return Err(ServerError::TooManyHeaders(limits.max_headers));
    }
    let line = parts.method.as_str().len()
        + parts.uri.path_and_query().map_or(1, |p| p.as_str().len())
        + " HTTP/1.1\r\n".len()
        + 1;
    let fields: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if line + fields + 2 > limits.max_header_bytes {
        return Err(ServerError::HeadTooLarge(limits.max_header_bytes));
    }
    Ok(())
}

/// The fields as this crate's [`Headers`] (names lowercase, as `http` keeps them).
fn headers_of(map: &http::HeaderMap) -> Headers {
    let mut headers = Headers::new();
    for (name, value) in map {
        headers.push(name.as_str(), value.as_bytes());
    }
    headers
}

/// Whether the response goes out on an HTTP/2 (or HTTP/3) stream, where
/// connection-specific fields (`Upgrade`, `Connection`) are malformed.
fn is_multiplexed(version: http::Version) -> bool {
    version == http::Version::HTTP_2 || version == http::Version::HTTP_3
}

impl Accepted {
    /// The response as an `http` value: for an HTTP/1.1 upgrade the 101 with
    /// `Upgrade`, `Connection` and `Sec-WebSocket-Accept`; for an extended CONNECT
    /// (no accept key) a 200. Both carry the chosen subprotocol, the extension
    /// answer and [`headers`](Self::headers) (fields whose name or value `http`
    /// refuses are left out).
    pub fn http_response(&self) -> http::Response<()> {
        let mut response = http::Response::new(());
        if self.accept.is_some() {
            *response.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
        }
        let fields = response.headers_mut();
        if let Some(accept) = &self.accept {
            fields.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
            fields.insert(
                http::header::CONNECTION,
                HeaderValue::from_static("Upgrade"),
            );
            insert(fields, http::header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(protocol) = &self.protocol {
            insert(fields, http::header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        if let Some(deflate) = &self.deflate {
            let value = deflate.to_extension().to_string();
            insert(fields, http::header::SEC_WEBSOCKET_EXTENSIONS, &value);
        }
        for h in self.headers.iter() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(h.name.as_bytes()),
                HeaderValue::from_bytes(h.value),
            ) {
                fields.append(name, value);
            }
        }
        response
    }
}
/// Inserts a value built from text that this crate produced (tokens, base64).
fn insert(fields: &mut http::HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        fields.insert(name, value);
    }
}

impl ServerError {
    /// The rejection as an `http` response for a request of `version`: the status
    /// of [`status`](Self::status) and the reason as a one-line plain-text body. A
    /// 426 carries `Sec-WebSocket-Version: 13` (and, over HTTP/1.1, `Upgrade:
    /// websocket`); a 405 carries `Allow` (`GET` over HTTP/1.1, `CONNECT` over
    /// HTTP/2). No connection-specific field goes on an HTTP/2 stream.
    pub fn http_response(&self, version: http::Version) -> http::Response<String> {
        let mut response = http::Response::new(format!("{self}\n"));
        *response.status_mut() =
            http::StatusCode::from_u16(self.status().0).unwrap_or(http::StatusCode::BAD_REQUEST);
        let fields = response.headers_mut();
        fields.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        let multiplexed = is_multiplexed(version);
        match self {
            ServerError::UnsupportedVersion => {
                if !multiplexed {
                    fields.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
                }
                fields.insert(
                    http::header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                );
            }
            ServerError::MethodNotAllowed(_) => {
                let allow = if multiplexed { "CONNECT" } else { "GET" };
                fields.insert(http::header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response
    }
}
