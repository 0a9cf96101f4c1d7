//! [`SessionInfo`]: what a session knows about how it was opened, filled in by the
//! front-end (request target, route parameters, negotiated subprotocol and
//! compression, the HTTP version it arrived over) and read through the
//! [`SessionHandle`](crate::SessionHandle).

use std::time::Duration;

use ws_handshake::DeflateParams;

/// Parameters bound by a front-end's URI template (`/rooms/{room}` matched by
/// `/rooms/blue` binds `room = blue`), in template order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(String, String)>);

impl PathParams {
    /// Parameters from `(name, value)` pairs, in template order.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        PathParams(pairs)
    }

    /// The value of parameter `name` (still percent-encoded, as in the request).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All parameters as `(name, value)`, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (an exact path matched).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The HTTP version a WebSocket was opened over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVersion {
    /// An HTTP/1.1 `Upgrade` (RFC 6455): the WebSocket owns the connection.
    #[default]
    Http11,
    /// An HTTP/2 extended `CONNECT` (RFC 8441): the WebSocket is one stream of a
    /// shared connection.
    Http2,
}

/// How a session was opened. Built by the front-end with the `with_*` methods.
///
/// ```
/// use ws_tokio::SessionInfo;
///
/// let info = SessionInfo::new("/rooms/blue?nick=ada").with_protocol(Some("chat".into()));
/// assert_eq!(info.path(), "/rooms/blue");
/// assert_eq!(info.query(), Some("nick=ada"));
/// assert_eq!(info.protocol(), Some("chat"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct SessionInfo {
    target: String,
    path_len: usize,
    endpoint_path: String,
    params: PathParams,
    protocol: Option<String>,
    deflate: Option<DeflateParams>,
    blocking_send_timeout: Option<Duration>,
    http: HttpVersion,
}

impl SessionInfo {
    /// Info for a session opened at `target` (the request path with its query; a
    /// client passes the path and query of the URI it connected to).
    pub fn new(target: impl Into<String>) -> Self {
        let target = target.into();
        let path_len = target.find('?').unwrap_or(target.len());
        SessionInfo {
            target,
            path_len,
            ..SessionInfo::default()
        }
    }

    /// Sets the endpoint path (the route pattern that matched, e.g. `/rooms/{room}`)
    /// and the parameters it bound.
    pub fn with_route(mut self, endpoint_path: impl Into<String>, params: PathParams) -> Self {
        self.endpoint_path = endpoint_path.into();
        self.params = params;
        self
    }

    /// Sets the negotiated subprotocol.
    pub fn with_protocol(mut self, protocol: Option<String>) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the negotiated permessage-deflate parameters.
    pub fn with_deflate(mut self, deflate: Option<DeflateParams>) -> Self {
        self.deflate = deflate;
        self
    }

    /// Sets `BLOCKING_SEND_TIMEOUT` for flushed sends (`None`: no timeout).
    pub fn with_blocking_send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.blocking_send_timeout = timeout;
        self
    }

    /// Sets the HTTP version the session was opened over.
    pub fn with_http_version(mut self, http: HttpVersion) -> Self {
        self.http = http;
        self
    }

    /// The request target: path and query.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The request path (without the query).
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The query string after `?`, if any (still percent-encoded).
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The endpoint path this session matched (`/rooms/{room}`); empty when no
    /// routing took place (clients, lower-level accepts).
    pub fn endpoint_path(&self) -> &str {
        &self.endpoint_path
    }

    /// The parameters bound by the endpoint's URI template.
    pub fn path_params(&self) -> &PathParams {
        &self.params
    }

    /// The negotiated subprotocol.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The negotiated permessage-deflate parameters, if compression is on.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// `BLOCKING_SEND_TIMEOUT` for flushed sends (`None`: no timeout).
    pub fn blocking_send_timeout(&self) -> Option<Duration> {
        self.blocking_send_timeout
    }

    /// The HTTP version the session was opened over.
    pub fn http_version(&self) -> HttpVersion {
        self.http
    }
}
