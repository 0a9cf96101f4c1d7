//! A validated upgrade request (RFC 6455 section 4.2.1, RFC 9112).

use super::ServerError;
use crate::extension::{parse_extensions, Extension};
use crate::host::parse_authority;
use crate::syntax::{list_contains, token_list};
use crate::Headers;

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

/// A request that passed every check of RFC 6455 section 4.2.1. Route it with
/// [`path`](Self::path), apply an origin policy with [`origin`](Self::origin) (answer
/// [`ServerError::OriginRejected`] to refuse), then accept it with
/// [`accept`](Self::accept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub(crate) target: String,
    pub(crate) path_len: usize,
    pub(crate) host: String,
    pub(crate) key: String,
    pub(crate) protocols: Vec<String>,
    pub(crate) extensions: Vec<Extension>,
    pub(crate) headers: Headers,
    pub(crate) leftover: Vec<u8>,
}

impl UpgradeRequest {
    /// Validates a request parsed by another HTTP stack: its method, request target,
    /// HTTP/1.x minor version and header fields.
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
        let path_len = target.find('?').unwrap_or(target.len());

        let host = match headers.count(HOST) {
            0 => return Err(ServerError::MissingHost),
            1 => headers.get_str(HOST).ok_or(ServerError::InvalidHost)?,
            _ => return Err(ServerError::DuplicateHost),
        };
        if parse_authority(host).is_none() {
            return Err(ServerError::InvalidHost);
        }
        let host = host.to_owned();

        for once in [SEC_KEY, SEC_VERSION] {
            if headers.count(once) > 1 {
                return Err(ServerError::DuplicateHeader(once));
            }
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
        super::body::check_no_body(&headers)?;
        if headers.get(SEC_VERSION).map(<[u8]>::trim_ascii) != Some(b"13") {
            return Err(ServerError::UnsupportedVersion);
        }
        let key = headers.get(SEC_KEY).ok_or(ServerError::MissingKey)?;
        if !crate::accept::is_valid_key(key) {
            return Err(ServerError::InvalidKey);
        }
        // is_valid_key guarantees ASCII.
        let key = String::from_utf8_lossy(key).into_owned();

        let mut protocols = Vec::new();
        for value in headers.get_all(SEC_PROTOCOL) {
            let list = token_list(value).ok_or(ServerError::InvalidProtocolHeader)?;
            protocols.extend(list.into_iter().map(str::to_owned));
        }
        let extensions = parse_extensions(headers.get_all(SEC_EXTENSIONS))
            .ok_or(ServerError::InvalidExtensionHeader)?;

        Ok(UpgradeRequest {
            target: target.to_owned(),
            path_len,
            host,
            key,
            protocols,
            extensions,
            headers,
            leftover: Vec::new(),
        })
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

    /// The `Host` value.
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

    /// The `Sec-WebSocket-Key` value.
    pub fn key(&self) -> &str {
        &self.key
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
fn origin_form(target: &str) -> Option<&str> {
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
