//! `ws://` and `wss://` URIs (RFC 6455 section 3).

use super::ClientError;
use crate::host::parse_authority;

/// A parsed WebSocket URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsUri {
    /// `wss` (TLS) rather than `ws`.
    pub secure: bool,
    /// Host as written: a name, an IPv4 address, or an IPv6 literal in brackets.
    pub host: String,
    /// Port, explicit or the scheme's default (80 or 443).
    pub port: u16,
    /// Request target: path (at least `/`) and query.
    pub target: String,
}

impl WsUri {
    /// Parses `ws://host[:port][/path][?query]` or the `wss` form. The scheme is
    /// case-insensitive; user info and fragments are refused.
    pub fn parse(uri: &str) -> Result<Self, ClientError> {
        let bad = || ClientError::InvalidUri(uri.to_owned());
        let (scheme, rest) = uri.split_once("://").ok_or_else(bad)?;
        let secure = if scheme.eq_ignore_ascii_case("wss") {
            true
        } else if scheme.eq_ignore_ascii_case("ws") {
            false
        } else {
            return Err(bad());
        };
        if rest.contains('#') {
            return Err(bad());
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        let (host, port) = parse_authority(authority).ok_or_else(bad)?;
        if !target.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad());
        }
        let target = if target.starts_with('/') {
            target.to_owned()
        } else {
            format!("/{target}")
        };
        Ok(WsUri {
            secure,
            host: host.to_owned(),
            port: port.unwrap_or(if secure { 443 } else { 80 }),
            target,
        })
    }

    /// The scheme's default port.
    pub fn default_port(&self) -> u16 {
        if self.secure {
            443
        } else {
            80
        }
    }

    /// The `Host` value: the port is omitted when it is the default.
    pub fn host_header(&self) -> String {
        if self.port == self.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The host to connect to: brackets of an IPv6 literal removed.
    pub fn connect_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let u = WsUri::parse("ws://example.com/chat?room=1").unwrap();
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.target.as_str()),
            (false, "example.com", 80, "/chat?room=1")
        );
        assert_eq!(u.host_header(), "example.com");
        let u = WsUri::parse("WSS://[::1]:8443").unwrap();
        assert_eq!((u.secure, u.port, u.target.as_str()), (true, 8443, "/"));
        assert_eq!(u.host_header(), "[::1]:8443");
        assert_eq!(u.connect_host(), "::1");
        let u = WsUri::parse("wss://h:443?x").unwrap();
        assert_eq!(
            (u.host_header(), u.target.as_str()),
            ("h".to_owned(), "/?x")
        );
        assert_eq!(WsUri::parse("ws://h:80/").unwrap().host_header(), "h");
        for bad in [
            "http://h/",
            "ws:/h",
            "ws://",
            "ws://h/#frag",
            "ws://u@h/",
            "ws://h:99999/",
            "ws://h/a b",
        ] {
            assert!(WsUri::parse(bad).is_err(), "{bad}");
        }
    }
}
