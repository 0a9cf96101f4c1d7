//! Server side: read and validate the upgrade request, negotiate, answer.
//!
//! [`ServerHandshake::handle_input`] takes bytes as they arrive and yields a validated
//! [`UpgradeRequest`] or a [`ServerError`] (whose [`response`](ServerError::response)
//! is written back). [`UpgradeRequest::accept`] negotiates the subprotocol and
//! `permessage-deflate` and gives the 101 response.

mod body;
mod error;
mod http;
mod request;

pub use self::http::WEBSOCKET_PROTOCOL;
pub use error::ServerError;
pub use request::UpgradeRequest;
pub(crate) use request::{
    CONNECTION, HOST, SEC_ACCEPT, SEC_EXTENSIONS, SEC_KEY, SEC_PROTOCOL, SEC_VERSION, UPGRADE,
};

use crate::deflate::{DeflateConfig, DeflateOffer, DeflateParams, PERMESSAGE_DEFLATE};
use crate::head::{parse_request, HeadError, HeadReader};
use crate::{Headers, Limits};

/// What the server supports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Bounds on the request head.
    pub limits: Limits,
    /// Supported subprotocols. The default choice is the first protocol in the
    /// client's list that appears here (Tomcat's rule).
    pub protocols: Vec<String>,
    /// `permessage-deflate` policy.
    pub deflate: DeflateConfig,
}

/// Reads one upgrade request from bytes as they arrive.
#[derive(Clone, Debug)]
pub struct ServerHandshake {
    reader: HeadReader,
    finished: bool,
}

impl ServerHandshake {
    /// A reader bounded by `limits`.
    pub fn new(limits: Limits) -> Self {
        ServerHandshake {
            reader: HeadReader::new(limits),
            finished: false,
        }
    }

    /// Takes the next bytes from the connection. Returns `Ok(None)` while the head is
    /// incomplete, then the validated request (with any bytes after the head in
    /// [`UpgradeRequest::leftover`]) or the rejection. Call it again after a result
    /// and it fails with [`ServerError::Malformed`].
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<Option<UpgradeRequest>, ServerError> {
        if self.finished {
            return Err(ServerError::Malformed(
                "input after the request head".into(),
            ));
        }
        let result = self.read(bytes);
        if !matches!(result, Ok(None)) {
            self.finished = true;
        }
        result
    }

    fn read(&mut self, bytes: &[u8]) -> Result<Option<UpgradeRequest>, ServerError> {
        let Some((head, leftover)) = self.reader.push(bytes).map_err(from_head)? else {
            return Ok(None);
        };
        let raw = parse_request(&head, self.reader.limits()).map_err(from_head)?;
        let mut request =
            UpgradeRequest::from_parts(&raw.method, &raw.target, raw.minor_version, raw.headers)?;
        request.leftover = leftover;
        Ok(Some(request))
    }
}

fn from_head(e: HeadError) -> ServerError {
    match e {
        HeadError::TooLarge(n) => ServerError::HeadTooLarge(n),
        HeadError::TooManyHeaders(n) => ServerError::TooManyHeaders(n),
        HeadError::Malformed(why) => ServerError::Malformed(why),
    }
}

/// The outcome of negotiation: what the 101 (HTTP/1.1) or 200 (HTTP/2 extended
/// CONNECT) response announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// `Sec-WebSocket-Accept` value for an HTTP/1.1 upgrade; `None` for an extended
    /// CONNECT, which has no key (RFC 8441 section 5) and is answered 200.
    pub accept: Option<String>,
    /// The chosen subprotocol (always one the client offered).
    pub protocol: Option<String>,
    /// Negotiated `permessage-deflate` parameters, if any offer was accepted.
    pub deflate: Option<DeflateParams>,
    /// Extra fields for the 101 (e.g. `Set-Cookie`); add before calling
    /// [`response`](Self::response). They are written as given: never put
    /// unchecked peer input (CR, LF) in them.
    pub headers: Headers,
}

impl Accepted {
    /// The complete 101 response as HTTP/1.1 bytes (for an extended CONNECT use
    /// [`http_response`](Self::http_response): its 200 goes on an HTTP/2 stream).
    pub fn response(&self) -> Vec<u8> {
        let mut out = String::with_capacity(160);
        out.push_str(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
        );
        if let Some(accept) = &self.accept {
            push_field(&mut out, SEC_ACCEPT, accept);
        }
        if let Some(p) = &self.protocol {
            push_field(&mut out, SEC_PROTOCOL, p);
        }
        if let Some(d) = &self.deflate {
            push_field(&mut out, SEC_EXTENSIONS, &d.to_extension().to_string());
        }
        let mut bytes = out.into_bytes();
        for h in self.headers.iter() {
            bytes.extend_from_slice(h.name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(h.value);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

fn push_field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(value);
    out.push_str("\r\n");
}

impl UpgradeRequest {
    /// Accepts with the default subprotocol rule: the first protocol in the client's
    /// list that `config.protocols` contains.
    pub fn accept(&self, config: &ServerConfig) -> Accepted {
        self.accept_with(config, |offered| {
            offered.iter().position(|p| config.protocols.contains(p))
        })
    }

    /// Accepts with a custom subprotocol choice: `select` gets the client's offered
    /// protocols and returns the index of the one to use, or `None`. Returning an
    /// index guarantees the answer is a protocol the client offered.
    pub fn accept_with(
        &self,
        config: &ServerConfig,
        select: impl FnOnce(&[String]) -> Option<usize>,
    ) -> Accepted {
        let protocol = select(&self.protocols).and_then(|i| self.protocols.get(i).cloned());
        Accepted {
            accept: self
                .key
                .as_ref()
                .map(|key| crate::accept::accept_key(key.as_bytes())),
            protocol,
            deflate: self.negotiate_deflate(&config.deflate),
            headers: Headers::new(),
        }
    }

    /// The first `permessage-deflate` offer that is valid and acceptable under
    /// `config`, answered. Invalid offers (unknown or duplicate parameters, windows
    /// outside 8-15) are skipped, as RFC 7692 section 5 asks.
    pub fn negotiate_deflate(&self, config: &DeflateConfig) -> Option<DeflateParams> {
        self.extensions
            .iter()
            .filter(|e| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
            .filter_map(|e| DeflateOffer::from_extension(e).ok())
            .find_map(|offer| config.negotiate(&offer))
    }
}
