//! A validated upgrade request (RFC 6455 section 4.2.1, RFC 9112).

use super::ServerError;
use crate::extension::{parse_extensions, Extension};
use crate::host::parse_authority;
use crate::syntax::{list_contains, token_list};
use crate::{Headers, OriginPolicy};

/// Field names.
pub(crate) const HOST: &str = "Host";
pub(crate) const UPGRADE: &str = "Upgrade";
pub(crate) const CONNECTION: &str = "Connection";
pub(crate) const SEC_KEY: &str = "Sec-WebSocket-Key";
pub(crate) const SEC_VERSION: &str = "Sec-WebSocket-Version";
pub(crate) const SEC_PROTOCOL: &str = "Sec-WebSocket-Protocol";
pub(crate) const SEC_EXTENSIONS: &str = "Sec-WebSocket-Extensions";
pub(crate) const SEC_ACCEPT: &str = "Sec-WebSocket-Accept";
pub(crate) const ORIGIN: &str = "Origin";

/// A request that passed every check of RFC 6455 section 4.2.1 (an HTTP/1.1
/// upgrade `GET`) or of RFC 8441 section 4-5 (an HTTP/2 extended `CONNECT`). Route it
/// with [`path`](Self::path), apply an origin policy with
/// [`check_origin_policy`](Self::check_origin_policy) (a refusal is
/// [`ServerError::OriginRejected`]), then accept it with [`accept`](Self::accept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub(crate) target: String,
    pub(crate) path_len: usize,
    pub(crate) host: String,
    /// `None` for HTTP/2: RFC 8441 uses no key.
    pub(crate) key: Option<String>,
    pub(crate) protocols: Vec<String>,
    pub(crate) extensions: Vec<Extension>,
    pub(crate) headers: Headers,
    pub(crate) leftover: Vec<u8>,
    pub(crate) version: http::Version,
}

/// What both kinds of request offer once their own framing is checked.
pub(crate) struct Offers {
    pub(crate) protocols: Vec<String>,
    pub(crate) extensions: Vec<Extension>,
}

/// The rules an HTTP/1.1 upgrade and an HTTP/2 extended CONNECT share (RFC 8441
/// section 5: `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` as in RFC 6455),
/// in one place for both paths: at most one `Sec-WebSocket-Version`, no body
/// (`body.rs`), version 13.
pub(crate) fn check_shared_rules(headers: &Headers) -> Result<(), ServerError> {
    if headers.count(SEC_VERSION) > 1 {
        return Err(ServerError::DuplicateHeader(SEC_VERSION));
    }
    super::body::check_no_body(headers)?;
    if headers.get(SEC_VERSION).map(<[u8]>::trim_ascii) != Some(b"13") {
        return Err(ServerError::UnsupportedVersion);
    }
    Ok(())
}

/// The offered subprotocols and extensions, parsed by the shared grammar.
pub(crate) fn parse_offers(headers: &Headers) -> Result<Offers, ServerError> {
    let mut protocols = Vec::new();
    for value in headers.get_all(SEC_PROTOCOL) {
        let list = token_list(value).ok_or(ServerError::InvalidProtocolHeader)?;
        protocols.extend(list.into_iter().map(str::to_owned));
    }
    let extensions = parse_extensions(headers.get_all(SEC_EXTENSIONS))
        .ok_or(ServerError::InvalidExtensionHeader)?;
    Ok(Offers {
        protocols,
        extensions,
    })
}

/// A valid `host[:port]`, owned.
pub(crate) fn checked_host(host: &str) -> Result<String, ServerError> {
    match parse_authority(host) {
        Some(_) => Ok(host.to_owned()),
        None => Err(ServerError::InvalidHost),
    }
}

impl UpgradeRequest {
    /// Validates a request parsed by another HTTP stack: its method, request target,
    /// HTTP/1.x minor version and header fields. For requests given as `http` types
    /// (HTTP/1.1 and HTTP/2 alike) see [`from_http`](Self::from_http).
    pub fn from_parts(
        method: &str,
        target: &str,
        http_minor_version: u8,
        headers: Headers,
    ) -> Result<Self, ServerError> {
        if method != "GET" {
            return Err(ServerError::MethodNotAllowed(method.to_owned()));
        }
        if http_minor_version < 1 {
            return Err(ServerError::HttpVersion(http_minor_version));
        }
        let target = origin_form(target).ok_or(ServerError::InvalidTarget)?;

        let host = match headers.count(HOST) {
            0 => return Err(ServerError::MissingHost),
            1 => headers.get_str(HOST).ok_or(ServerError::InvalidHost)?,
            _ => return Err(ServerError::DuplicateHost),
        };
        let host = checked_host(host)?;

        if headers.count(SEC_KEY) > 1 {
            return Err(ServerError::DuplicateHeader(SEC_KEY));
        }
        if !headers
            .get_all(UPGRADE)
            .any(|v| list_contains(v, "websocket"))
        {
            return Err(ServerError::NotWebSocketUpgrade);
        }
        if !headers
            .get_all(CONNECTION)
            .any(|v| list_contains(v, "upgrade"))
        {
            return Err(ServerError::MissingConnectionUpgrade);
        }
        check_shared_rules(&headers)?;
        let key = headers.get(SEC_KEY).ok_or(ServerError::MissingKey)?;
        if !crate::accept::is_valid_key(key) {
            return Err(ServerError::InvalidKey);
        }
        // is_valid_key guarantees ASCII.
        let key = String::from_utf8_lossy(key).into_owned();
        let offers = parse_offers(&headers)?;
        Ok(UpgradeRequest::new(
            target,
            host,
            Some(key),
            offers,
            headers,
            http::Version::HTTP_11,
        ))
    }

    /// A request from checked pieces.
    pub(crate) fn new(
        target: &str,
        host: String,
        key: Option<String>,
        offers: Offers,
        headers: Headers,
        version: http::Version,
    ) -> Self {
        UpgradeRequest {
            target: target.to_owned(),
            path_len: target.find('?').unwrap_or(target.len()),
            host,
            key,
            protocols: offers.protocols,
            extensions: offers.extensions,
            headers,
            leftover: Vec::new(),
            version,
        }
    }

    /// The request target in origin-form (`/path?query`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The query after `?`, if any (still percent-encoded).
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The `Host` value (HTTP/2: the `:authority`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The `Origin` value, if sent (browsers always send it). Non-UTF-8 values are
    /// reported as absent; check [`headers`](Self::headers) for the raw bytes.
    pub fn origin(&self) -> Option<&str> {
        self.headers.get_str(ORIGIN)
    }

    /// Applies an origin policy: `allow` gets the `Origin` value (`None` when absent)
    /// and a refusal becomes [`ServerError::OriginRejected`] (403). Browsers always
    /// send `Origin`; allowing every origin (Tomcat's default) invites cross-site
    /// WebSocket hijacking.
    pub fn check_origin(
        &self,
        allow: impl FnOnce(Option<&str>) -> bool,
    ) -> Result<(), ServerError> {
        if allow(self.origin()) {
            Ok(())
        } else {
            Err(ServerError::OriginRejected)
        }
    }

    /// Applies an [`OriginPolicy`] to this request's `Origin` and `Host`.
    pub fn check_origin_policy(&self, policy: &OriginPolicy) -> Result<(), ServerError> {
        self.check_origin(|origin| policy.allows(origin, &self.host))
    }

    /// The `Sec-WebSocket-Key` value; `None` for HTTP/2 (RFC 8441 uses no key).
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The HTTP version the request came over: `HTTP_11` for an upgrade `GET`,
    /// `HTTP_2` (or `HTTP_3`) for an extended `CONNECT`.
    pub fn version(&self) -> http::Version {
        self.version
    }

    /// Whether the request is an extended `CONNECT` (RFC 8441, RFC 9220), answered
    /// with 200 on its own stream rather than 101 on the connection.
    pub fn is_extended_connect(&self) -> bool {
        self.key.is_none()
    }

    /// Offered subprotocols, in the client's order of preference.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// Offered extensions, in the client's order of preference.
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// Every header field of the request.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Bytes that arrived after the request head (a client should send none before
    /// the 101; hand them to the session if you allow it).
    pub fn leftover(&self) -> &[u8] {
        &self.leftover
    }
}

/// The origin-form of a request target: itself if it starts with `/`, or the path
/// and query of an absolute-form target with an http, https, ws or wss scheme.
pub(crate) fn origin_form(target: &str) -> Option<&str> {
    let form = if target.starts_with('/') {
        target
    } else {
        let (scheme, rest) = target.split_once("://")?;
        let known = ["http", "https", "ws", "wss"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme));
        if !known {
            return None;
        }
        let slash = rest.find('/')?;
        parse_authority(&rest[..slash])?;
        &rest[slash..]
    };
    let ok = form.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
    ok.then_some(form)
}
