//! HTTP `CONNECT` proxies: which proxy (if any) serves a target, and the tunnel.
//!
//! The environment convention (curl, Go, reqwest): `HTTPS_PROXY` for `wss`,
//! `HTTP_PROXY` for `ws` (lowercase spellings too, lowercase first), and `NO_PROXY`:
//! comma-separated host names, domain suffixes (`example.com` or `.example.com`
//! match `a.example.com`), optional `:port`, or `*` for every host. The environment
//! is injectable ([`Proxy::from_env`]) so tests never touch the process's.

use std::collections::HashMap;

use tokio::net::TcpStream;
use ws_config::ClientSettings;
use ws_handshake::auth::{answer_challenges, DigestRequest};
use ws_handshake::{ClientRequest, Outcome, WsUri};

use crate::error::{ConnectError, Step};
use crate::rng;
use crate::steps::{read_head, tcp_connect, write_all};

/// How to reach servers: directly, through one proxy, or as the environment says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxy {
    mode: Mode,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    Direct,
    Fixed(String),
    Env {
        http: Option<String>,
        https: Option<String>,
        no_proxy: Option<String>,
    },
}

/// A proxy address: `host`, `port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProxyAddr {
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Proxy {
    /// No proxy.
    pub fn none() -> Self {
        Proxy { mode: Mode::Direct }
    }

    /// Every connection through the HTTP proxy at `address` (`host:port` or
    /// `http://host:port`; port 80 when omitted).
    pub fn http(address: impl Into<String>) -> Self {
        Proxy {
            mode: Mode::Fixed(address.into()),
        }
    }

    /// From environment variables given as pairs (`HTTP_PROXY`, `HTTPS_PROXY`,
    /// `NO_PROXY`, or their lowercase forms, which win). Other pairs are ignored.
    pub fn from_env<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        let get = |name: &str| {
            vars.get(&name.to_ascii_lowercase())
                .or_else(|| vars.get(name))
                .filter(|v| !v.trim().is_empty())
                .cloned()
        };
        Proxy {
            mode: Mode::Env {
                http: get("HTTP_PROXY"),
                https: get("HTTPS_PROXY"),
                no_proxy: get("NO_PROXY"),
            },
        }
    }

    /// From the process environment (see [`from_env`](Self::from_env)).
    pub fn from_process_env() -> Self {
        Self::from_env(std::env::vars())
    }

    /// The proxy for `target`, if one applies.
    pub(crate) fn for_target(&self, target: &WsUri) -> Result<Option<ProxyAddr>, ConnectError> {
        let address = match &self.mode {
            Mode::Direct => return Ok(None),
            Mode::Fixed(a) => a,
            Mode::Env {
                http,
                https,
                no_proxy,
            } => {
                if no_proxy
                    .as_deref()
                    .is_some_and(|list| bypasses(list, target))
                {
                    return Ok(None);
                }
                match if target.secure { https } else { http } {
                    Some(a) => a,
                    None => return Ok(None),
                }
            }
        };
        parse_address(address).map(Some)
    }
}

/// `[http://]host[:port][/]`.
fn parse_address(address: &str) -> Result<ProxyAddr, ConnectError> {
    let bad = || ConnectError::BadProxy(address.to_owned());
    let rest = match address.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => return Err(bad()),
        None => address,
    };
    let authority = rest.trim_end_matches('/');
    if authority.contains(['/', '@', '?', '#']) || authority.is_empty() {
        return Err(bad());
    }
    // Reuse the WebSocket URI parser for host and port syntax (IPv6 brackets too).
    let uri = WsUri::parse(&format!("ws://{authority}/")).map_err(|_| bad())?;
    Ok(ProxyAddr {
        host: uri.connect_host().to_owned(),
        port: uri.port,
    })
}

/// Whether `NO_PROXY` excludes `target`.
fn bypasses(list: &str, target: &WsUri) -> bool {
    let host = target.connect_host().to_ascii_lowercase();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let (name, port) = match entry.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') || n.ends_with(']') => (n, p.parse::<u16>().ok()),
            _ => (entry, None),
        };
        if port.is_some_and(|p| p != target.port) {
            return false;
        }
        let name = name
            .trim_start_matches('.')
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        !name.is_empty()
            && (host == name
                || host
                    .strip_suffix(&name)
                    .is_some_and(|rest| rest.ends_with('.')))
    })
}

/// Opens a tunnel to `target` through `proxy`: `CONNECT host:port`, answering one
/// 407 with the proxy credentials (on a new connection, since proxies commonly
/// close after a 407).
pub(crate) async fn tunnel(
    proxy: &ProxyAddr,
    target: &WsUri,
    settings: &ClientSettings,
) -> Result<TcpStream, ConnectError> {
    let io = settings.io_timeout;
    let authority = format!("{}:{}", target.host, target.port);
    let mut authorization: Option<String> = None;
    loop {
        let mut tcp = tcp_connect(&proxy.host, proxy.port, io).await?;
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(value) = &authorization {
            request.push_str("Proxy-Authorization: ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        write_all(&mut tcp, request.as_bytes(), Step::ProxyConnect, io).await?;
        // The upgrade response reader is a bounded HTTP/1.1 head parser; a 2xx to
        // CONNECT comes out as `Rejected` with that status.
        let mut reader = ClientRequest::new(&format!("ws://{authority}/"), [0; 16])
            .map_err(ConnectError::Request)?
            .handshake(settings.response_limits());
        let (outcome, _leftover) = read_head(
            &mut tcp,
            &mut reader,
            Step::ProxyConnect,
            io,
            ConnectError::ProxyResponse,
        )
        .await?;
        match outcome {
            Outcome::Rejected(r) if (200..300).contains(&r.status.0) => return Ok(tcp),
            Outcome::Challenge(c) if c.is_proxy() => {
                if authorization.is_some() {
                    return Err(ConnectError::ProxyAuthenticationFailed);
                }
                let creds = settings
                    .proxy_credentials
                    .as_ref()
                    .ok_or(ConnectError::ProxyAuthenticationRequired)?;
                let cnonce = rng::cnonce();
                let request = DigestRequest {
                    method: "CONNECT",
                    uri: &authority,
                    cnonce: &cnonce,
                    nc: 1,
                };
                let value = answer_challenges(&c.challenges, &creds.into(), &request)
                    .map_err(ConnectError::ProxyAuth)?;
                authorization = Some(value);
            }
            Outcome::Rejected(r) => {
                return Err(ConnectError::ProxyRejected {
                    status: r.status.0,
                    reason: r.reason,
                })
            }
            Outcome::Redirect(r) => {
                return Err(ConnectError::ProxyRejected {
                    status: r.status.0,
                    reason: "redirect".into(),
                })
            }
            Outcome::Challenge(c) => {
                return Err(ConnectError::ProxyRejected {
                    status: c.status.0,
                    reason: "authentication challenge".into(),
                })
            }
            Outcome::Accepted(_) => {
                return Err(ConnectError::ProxyRejected {
                    status: 101,
                    reason: "Switching Protocols".into(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> WsUri {
        WsUri::parse(uri).unwrap()
    }

    #[test]
    fn environment_selection() {
        let env = Proxy::from_env([
            ("HTTP_PROXY", "http://plain:3128"),
            ("https_proxy", "secure:8443"),
            ("HTTPS_PROXY", "ignored:1"),
            ("NO_PROXY", "localhost, .internal.example, 10.0.0.1:9000"),
        ]);
        let pick = |u: &str| env.for_target(&target(u)).unwrap();
        assert_eq!(
            pick("ws://example.com/"),
            Some(ProxyAddr {
                host: "plain".into(),
                port: 3128
            })
        );
        assert_eq!(
            pick("wss://example.com/"),
            Some(ProxyAddr {
                host: "secure".into(),
                port: 8443
            })
        );
        assert_eq!(pick("ws://localhost:8080/"), None);
        assert_eq!(pick("ws://a.internal.example/"), None);
        assert_eq!(pick("ws://internal.example/"), None);
        assert!(pick("ws://notinternal.example/").is_some());
        assert_eq!(pick("ws://10.0.0.1:9000/"), None);
        assert!(pick("ws://10.0.0.1:9001/").is_some());
        let all = Proxy::from_env([("HTTP_PROXY", "p:1"), ("no_proxy", "*")]);
        assert_eq!(all.for_target(&target("ws://x/")).unwrap(), None);
        assert_eq!(
            Proxy::from_env([("X", "y")])
                .for_target(&target("ws://x/"))
                .unwrap(),
            None
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_address("http://[::1]:8080/").unwrap().host, "::1");
        assert_eq!(parse_address("proxy").unwrap().port, 80);
        for bad in ["socks5://p:1", "http://u:p@h:1", "", "http://h/x"] {
            assert!(parse_address(bad).is_err(), "{bad}");
        }
    }
}
