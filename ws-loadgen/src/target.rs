//! The server under test: a `ws://` URL on the loopback interface.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ws_handshake::WsUri;

use crate::error::LoadError;

/// A `ws://` URL whose host is a loopback address (the generator never targets
/// anything else).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    url: String,
    addr: SocketAddr,
}

impl Target {
    /// Parses `ws://HOST:PORT/PATH`, where `HOST` is `localhost` or a loopback IP
    /// literal (`127.0.0.0/8`, `[::1]`). `wss://` is refused.
    pub fn parse(url: &str) -> Result<Target, LoadError> {
        let bad = |why: &str| LoadError::Usage(format!("--url {url}: {why}"));
        let uri = WsUri::parse(url).map_err(|e| bad(&e.to_string()))?;
        if uri.secure {
            return Err(bad("wss:// is not supported"));
        }
        let ip = match uri.connect_host() {
            h if h.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            h => h
                .parse::<IpAddr>()
                .map_err(|_| bad("the host must be localhost or a loopback IP address"))?,
        };
        if !ip.is_loopback() {
            return Err(bad("only loopback addresses are targeted"));
        }
        Ok(Target {
            url: url.to_owned(),
            addr: SocketAddr::new(ip, uri.port),
        })
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_parse() {
        let t = Target::parse("ws://127.0.0.1:9000/echo").unwrap();
        assert_eq!(t.addr(), "127.0.0.1:9000".parse().unwrap());
        assert_eq!(t.url(), "ws://127.0.0.1:9000/echo");
        assert_eq!(
            Target::parse("ws://localhost:1/").unwrap().addr(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(
            Target::parse("ws://[::1]:2/x").unwrap().addr(),
            "[::1]:2".parse().unwrap()
        );
        assert!(Target::parse("ws://127.9.9.9:3/").is_ok());
    }

    #[test]
    fn other_targets_are_refused() {
        for url in [
            "ws://10.0.0.1:80/",
            "ws://192.168.1.1/",
            "ws://example.com/",
            "wss://127.0.0.1/",
            "http://127.0.0.1/",
            "ws://8.8.8.8:53/",
        ] {
            assert!(
                matches!(Target::parse(url), Err(LoadError::Usage(_))),
                "{url}"
            );
        }
    }
}
