//! HTTP `CONNECT` through a proxy (RFC 9110 section 9.3.6), before the upgrade.

use super::{check_header, AuthChallenge, ClientError, Rejected, ResponseReader, WsUri};
use crate::auth::parse_challenges;
use crate::status::StatusCode;
use crate::{Headers, Limits};

/// A `CONNECT host:port` request to an HTTP proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConnect {
    authority: String,
    headers: Headers,
}

impl ProxyConnect {
    /// A tunnel request to the host and port of `uri` (the port is always written).
    pub fn new(uri: &WsUri) -> Self {
        ProxyConnect {
            authority: format!("{}:{}", uri.host, uri.port),
            headers: Headers::new(),
        }
    }

    /// Adds a field such as `Proxy-Authorization`; `Host` is written by the request
    /// itself, and values with control characters are refused.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, ClientError> {
        check_header(name, value, &["Host"])?;
        self.headers.push(name, value.trim());
        Ok(self)
    }

    /// The request target, `host:port`: also the Digest `uri` for a 407 answer.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The request bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", self.authority).into_bytes();
        for h in self.headers.iter() {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The reader for the proxy's response, bounded by `limits` (Tomcat applies
    /// `MAX_HTTP_RESPONSE_HEADER_BYTES` here too).
    pub fn handshake(&self, limits: Limits) -> ProxyHandshake {
        ProxyHandshake {
            response: ResponseReader::new(limits),
        }
    }
}

/// What the proxy answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyOutcome {
    /// A 2xx: the tunnel is open; start TLS (for `wss`) and the upgrade through it.
    Tunnel(Headers),
    /// A 407 with `Proxy-Authenticate`.
    Challenge(AuthChallenge),
    /// Anything else.
    Rejected(Rejected),
}

/// Reads a proxy's response to [`ProxyConnect`].
#[derive(Clone, Debug)]
pub struct ProxyHandshake {
    response: ResponseReader,
}

impl ProxyHandshake {
    /// Takes the next bytes. Returns `Ok(None)` while the head is incomplete, then the
    /// outcome and the bytes after the head (tunnelled data that arrived early).
    pub fn handle_input(
        &mut self,
        bytes: &[u8],
    ) -> Result<Option<(ProxyOutcome, Vec<u8>)>, ClientError> {
        let Some((raw, leftover)) = self.response.push(bytes)? else {
            return Ok(None);
        };
        let status = StatusCode(raw.status);
        let headers = raw.headers;
        let outcome = if (200..300).contains(&raw.status) {
            ProxyOutcome::Tunnel(headers)
        } else if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
            && headers.count("Proxy-Authenticate") > 0
        {
            let challenges = parse_challenges(headers.get_all("Proxy-Authenticate"))
                .ok_or(ClientError::InvalidChallenge)?;
            ProxyOutcome::Challenge(AuthChallenge {
                status,
                challenges,
                headers,
            })
        } else {
            ProxyOutcome::Rejected(Rejected {
                status,
                reason: raw.reason,
                headers,
            })
        };
        Ok(Some((outcome, leftover)))
    }
}
