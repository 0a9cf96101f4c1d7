//! Client side: build the upgrade request, then classify the server's response.
//!
//! [`ClientRequest`] writes the request from a caller-drawn 16-byte nonce;
//! [`ClientRequest::handshake`] gives the [`ClientHandshake`] that reads the response
//! as it arrives and yields an [`Outcome`] with the bytes after the head.

mod error;
mod http;
mod proxy;
mod uri;

pub use error::ClientError;
pub use proxy::{ProxyConnect, ProxyHandshake, ProxyOutcome};
pub use uri::WsUri;

use crate::auth::{parse_challenges, Challenge};
use crate::deflate::{DeflateOffer, DeflateParams, PERMESSAGE_DEFLATE};
use crate::extension::{format_extensions, parse_extensions, Extension};
use crate::head::{parse_response, HeadError, HeadReader, RawResponse};
use crate::server::{
    CONNECTION, HOST, SEC_ACCEPT, SEC_EXTENSIONS, SEC_KEY, SEC_PROTOCOL, SEC_VERSION, UPGRADE,
};
use crate::status::StatusCode;
use crate::syntax::{is_field_value_byte, is_token, list_contains};
use crate::{Headers, Limits};

/// An upgrade request to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    uri: WsUri,
    key: String,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
    headers: Headers,
}

impl ClientRequest {
    /// A request for `uri` (`ws://` or `wss://`), with `nonce` as the key: 16 bytes
    /// the caller draws from a CSPRNG for each connection.
    pub fn new(uri: &str, nonce: [u8; 16]) -> Result<Self, ClientError> {
        Ok(ClientRequest {
            uri: WsUri::parse(uri)?,
            key: crate::accept::encode_key(nonce),
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Headers::new(),
        })
    }

    /// Offers a subprotocol (in order of preference). It must be a token.
    pub fn protocol(mut self, name: impl Into<String>) -> Result<Self, ClientError> {
        let name = name.into();
        if !is_token(&name) {
            return Err(ClientError::InvalidProtocol(name));
        }
        self.protocols.push(name);
        Ok(self)
    }

    /// Offers `permessage-deflate` with these parameters. Several offers may be made,
    /// most preferred first.
    pub fn deflate(mut self, offer: DeflateOffer) -> Self {
        self.extensions.push(offer.to_extension());
        self
    }

    /// Offers any other extension.
    pub fn extension(mut self, ext: Extension) -> Result<Self, ClientError> {
        if !ext.is_well_formed() {
            return Err(ClientError::InvalidExtension(ext.to_string()));
        }
        self.extensions.push(ext);
        Ok(self)
    }

    /// Adds a field such as `Origin`, `Authorization` or `Cookie`. The fields the
    /// handshake writes itself are refused, and so are values with control
    /// characters (header injection).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, ClientError> {
        let reserved = [
            HOST,
            UPGRADE,
            CONNECTION,
            SEC_KEY,
            SEC_VERSION,
            SEC_PROTOCOL,
            SEC_EXTENSIONS,
        ];
        check_header(name, value, &reserved)?;
        self.headers.push(name, value.trim());
        Ok(self)
    }

    /// The parsed URI (host and port to connect to, TLS or not).
    pub fn uri(&self) -> &WsUri {
        &self.uri
    }

    /// The `Sec-WebSocket-Key` value.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The request bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(256);
        out.push_str("GET ");
        out.push_str(&self.uri.target);
        out.push_str(" HTTP/1.1\r\n");
        let mut field = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        };
        field(HOST, &self.uri.host_header());
        field(UPGRADE, "websocket");
        field(CONNECTION, "Upgrade");
        field(SEC_KEY, &self.key);
        field(SEC_VERSION, "13");
        if !self.protocols.is_empty() {
            field(SEC_PROTOCOL, &self.protocols.join(", "));
        }
        if !self.extensions.is_empty() {
            field(SEC_EXTENSIONS, &format_extensions(&self.extensions));
        }
        for h in self.headers.iter() {
            // Values were checked to be text in `header`.
            field(h.name, &String::from_utf8_lossy(h.value));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// The reader for the response to this request, bounded by `limits` (use
    /// `max_header_bytes` for `MAX_HTTP_RESPONSE_HEADER_BYTES`, default 8192).
    pub fn handshake(&self, limits: Limits) -> ClientHandshake {
        ClientHandshake {
            response: ResponseReader::new(limits),
            accept: crate::accept::accept_key(self.key.as_bytes()),
            protocols: self.protocols.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

/// A 101 that passed every check: the connection is a WebSocket now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Established {
    /// The subprotocol the server chose (one the client offered).
    pub protocol: Option<String>,
    /// Every extension the server answered (each one offered, each at most once).
    pub extensions: Vec<Extension>,
    /// The `permessage-deflate` answer, if any, already checked against the offers.
    pub deflate: Option<DeflateParams>,
    /// All response fields.
    pub headers: Headers,
}

/// A redirect (300, 301, 302, 303, 305, 307, 308) with a `Location`. Whether and how
/// to follow it (relative references, scheme mapping, credentials) is policy and lives
/// in the client front-end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The status.
    pub status: StatusCode,
    /// The `Location` value as sent (may be relative).
    pub location: String,
    /// All response fields.
    pub headers: Headers,
}

/// A 401 with `WWW-Authenticate` or a 407 with `Proxy-Authenticate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthChallenge {
    /// 401 or 407.
    pub status: StatusCode,
    /// The challenges, in the order the server sent them.
    pub challenges: Vec<Challenge>,
    /// All response fields.
    pub headers: Headers,
}

impl AuthChallenge {
    /// Whether this came from a proxy (407).
    pub fn is_proxy(&self) -> bool {
        self.status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
    }

    /// The request field that carries the answer: `Authorization` or
    /// `Proxy-Authorization`.
    pub fn answer_header(&self) -> &'static str {
        if self.is_proxy() {
            "Proxy-Authorization"
        } else {
            "Authorization"
        }
    }
}

/// Any other response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The status.
    pub status: StatusCode,
    /// The reason phrase as sent.
    pub reason: String,
    /// All response fields.
    pub headers: Headers,
}

/// What the server's response means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A valid 101.
    Accepted(Established),
    /// A redirect to follow or not.
    Redirect(Redirect),
    /// Credentials are asked for.
    Challenge(AuthChallenge),
    /// Anything else.
    Rejected(Rejected),
}

/// Reads one response head, once: the part the upgrade and the proxy CONNECT
/// handshakes share. After a result (a head or an error) more input is
/// [`ClientError::Malformed`].
#[derive(Clone, Debug)]
pub(crate) struct ResponseReader {
    reader: HeadReader,
    finished: bool,
}

impl ResponseReader {
    pub(crate) fn new(limits: Limits) -> Self {
        ResponseReader {
            reader: HeadReader::new(limits),
            finished: false,
        }
    }

    /// Takes the next bytes: `Ok(None)` while the head is incomplete, then the parsed
    /// head and the bytes after it.
    pub(crate) fn push(
        &mut self,
        bytes: &[u8],
    ) -> Result<Option<(RawResponse, Vec<u8>)>, ClientError> {
        if self.finished {
            return Err(ClientError::Malformed(
                "input after the response head".into(),
            ));
        }
        let result = self.read(bytes);
        if !matches!(result, Ok(None)) {
            self.finished = true;
        }
        result
    }

    fn read(&mut self, bytes: &[u8]) -> Result<Option<(RawResponse, Vec<u8>)>, ClientError> {
        let Some((head, leftover)) = self.reader.push(bytes).map_err(from_head)? else {
            return Ok(None);
        };
        let raw = parse_response(&head, self.reader.limits()).map_err(from_head)?;
        Ok(Some((raw, leftover)))
    }
}

/// Reads one handshake response from bytes as they arrive.
#[derive(Clone, Debug)]
pub struct ClientHandshake {
    response: ResponseReader,
    accept: String,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
}

impl ClientHandshake {
    /// Takes the next bytes from the connection. Returns `Ok(None)` while the head is
    /// incomplete, then the outcome and the bytes after the head (for a 101: the
    /// first frames, to hand to the session). A 101 that fails a check is an error,
    /// not a [`Rejected`]. Input after a result is [`ClientError::Malformed`].
    pub fn handle_input(
        &mut self,
        bytes: &[u8],
    ) -> Result<Option<(Outcome, Vec<u8>)>, ClientError> {
        let Some((raw, leftover)) = self.response.push(bytes)? else {
            return Ok(None);
        };
        Ok(Some((self.classify(raw)?, leftover)))
    }

    /// The `Sec-WebSocket-Accept` value expected from the server.
    pub fn expected_accept(&self) -> &str {
        &self.accept
    }

    fn classify(&self, raw: RawResponse) -> Result<Outcome, ClientError> {
        let status = StatusCode(raw.status);
        if status == StatusCode::SWITCHING_PROTOCOLS {
            if raw.minor_version < 1 {
                return Err(ClientError::Malformed("101 in an HTTP/1.0 response".into()));
            }
            return self.check_101(raw.headers).map(Outcome::Accepted);
        }
        classify_other(status, raw.reason, raw.headers)
    }

    fn check_101(&self, headers: Headers) -> Result<Established, ClientError> {
        if !headers
            .get_all(UPGRADE)
            .any(|v| list_contains(v, "websocket"))
        {
            return Err(ClientError::NotWebSocketUpgrade);
        }
        if !headers
            .get_all(CONNECTION)
            .any(|v| list_contains(v, "upgrade"))
        {
            return Err(ClientError::MissingConnectionUpgrade);
        }
        if headers.count(SEC_ACCEPT) > 1 {
            return Err(ClientError::DuplicateHeader(SEC_ACCEPT));
        }
        let accept = headers.get(SEC_ACCEPT).ok_or(ClientError::MissingAccept)?;
        if accept.trim_ascii() != self.accept.as_bytes() {
            return Err(ClientError::AcceptMismatch);
        }
        self.check_answers(headers)
    }

    /// The checks a 101 and an extended CONNECT's 2xx share: the subprotocol and
    /// the extensions answered must be ones offered, each at most once, and a
    /// permessage-deflate answer must fit an offer.
    fn check_answers(&self, headers: Headers) -> Result<Established, ClientError> {
        if headers.count(SEC_PROTOCOL) > 1 {
            return Err(ClientError::DuplicateHeader(SEC_PROTOCOL));
        }
        let protocol = match headers.get(SEC_PROTOCOL) {
            None => None,
            Some(value) => {
                let value = String::from_utf8_lossy(value.trim_ascii()).into_owned();
                if !self.protocols.contains(&value) {
                    return Err(ClientError::UnofferedProtocol(value));
                }
                Some(value)
            }
        };
        let extensions = parse_extensions(headers.get_all(SEC_EXTENSIONS))
            .ok_or(ClientError::InvalidExtensionHeader)?;
        let mut deflate = None;
        for (i, ext) in extensions.iter().enumerate() {
            let same = |e: &Extension| e.name.eq_ignore_ascii_case(&ext.name);
            if !self.extensions.iter().any(same) {
                return Err(ClientError::UnofferedExtension(ext.name.clone()));
            }
            if extensions[..i].iter().any(same) {
                return Err(ClientError::DuplicateExtension(ext.name.clone()));
            }
            if ext.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) {
                let params =
                    DeflateParams::from_extension(ext).map_err(ClientError::InvalidDeflate)?;
                let answered = self
                    .extensions
                    .iter()
                    .filter(|e| e.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
                    .filter_map(|e| DeflateOffer::from_extension(e).ok())
                    .any(|offer| params.answers(&offer));
                if !answered {
                    return Err(ClientError::DeflateMismatch);
                }
                deflate = Some(params);
            }
        }
        Ok(Established {
            protocol,
            extensions,
            deflate,
            headers,
        })
    }
}

/// A response that is not a WebSocket answer: a redirect with a `Location`, a 401 /
/// 407 with challenges, or any other status (HTTP/1.1 and HTTP/2 alike).
fn classify_other(
    status: StatusCode,
    reason: String,
    headers: Headers,
) -> Result<Outcome, ClientError> {
    if status.is_redirect() {
        if let Some(location) = headers.get_str("Location") {
            return Ok(Outcome::Redirect(Redirect {
                status,
                location: location.to_owned(),
                headers,
            }));
        }
    }
    let challenge_field = match status {
        StatusCode::UNAUTHORIZED => Some("WWW-Authenticate"),
        StatusCode::PROXY_AUTHENTICATION_REQUIRED => Some("Proxy-Authenticate"),
        _ => None,
    };
    if let Some(field) = challenge_field {
        if headers.count(field) > 0 {
            let challenges =
                parse_challenges(headers.get_all(field)).ok_or(ClientError::InvalidChallenge)?;
            return Ok(Outcome::Challenge(AuthChallenge {
                status,
                challenges,
                headers,
            }));
        }
    }
    Ok(Outcome::Rejected(Rejected {
        status,
        reason,
        headers,
    }))
}

/// Refuses a reserved field name, a name that is not a token, or a value with control
/// characters (header injection).
fn check_header(name: &str, value: &str, reserved: &[&str]) -> Result<(), ClientError> {
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(ClientError::ReservedHeader(name.to_owned()));
    }
    if !is_token(name) || !value.bytes().all(is_field_value_byte) {
        return Err(ClientError::InvalidHeader(name.to_owned()));
    }
    Ok(())
}

fn from_head(e: HeadError) -> ClientError {
    match e {
        HeadError::TooLarge(n) => ClientError::HeadTooLarge(n),
        HeadError::TooManyHeaders(n) => ClientError::TooManyHeaders(n),
        HeadError::Malformed(why) => ClientError::Malformed(why),
    }
}
