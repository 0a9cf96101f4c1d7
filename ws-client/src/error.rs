//! The client's errors, one type per phase: [`ConnectError`] (opening a connection,
//! naming the step that failed), [`TlsConfigError`] (unusable TLS settings), and
//! for an open connection `ws_tokio::Error`, re-exported as [`Error`], the same type
//! as the server's.

use std::io;
use std::time::Duration;

use ws_handshake::auth::AuthError;
use ws_handshake::ClientError;

/// One I/O step of opening a connection; each runs under `IO_TIMEOUT_MS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Name resolution and the TCP connect (to the server or the proxy).
    Connect,
    /// The HTTP `CONNECT` exchange with a proxy (each write and read).
    ProxyConnect,
    /// The TLS handshake with the server.
    TlsHandshake,
    /// The HTTP/2 connection preface and the server's SETTINGS.
    Http2Setup,
    /// Writing the upgrade request.
    WriteRequest,
    /// One read of the upgrade response.
    ReadResponse,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connect => "TCP connect",
            Step::ProxyConnect => "proxy CONNECT",
            Step::TlsHandshake => "TLS handshake",
            Step::Http2Setup => "HTTP/2 connection setup",
            Step::WriteRequest => "writing the upgrade request",
            Step::ReadResponse => "reading the upgrade response",
        })
    }
}

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// `SSL_CONTEXT` holds something other than an `Arc<rustls::ClientConfig>` or a
    /// `rustls::ClientConfig`.
    #[error("SSL_CONTEXT is not a rustls::ClientConfig")]
    ContextType,
    /// `SSL_PROTOCOLS` enables no version this client supports.
    #[error("SSL_PROTOCOLS enables no TLS version")]
    NoProtocols,
    /// The trust store file cannot be read.
    #[error("cannot read SSL_TRUSTSTORE {path}: {source}")]
    ReadTrustStore {
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The trust store is neither PEM nor a PKCS#12 file this password opens.
    #[error(
        "cannot open SSL_TRUSTSTORE {path} (PEM or PKCS#12 with SSL_TRUSTSTORE_PWD): {reason}"
    )]
    BadTrustStore {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The trust store holds no usable certificate.
    #[error("SSL_TRUSTSTORE {0} holds no trusted certificate")]
    EmptyTrustStore(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Why [`connect`](crate::connect) failed. Every I/O failure names its [`Step`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URI (or a redirect target) is not a valid `ws`/`wss` URI, or an extra
    /// header / subprotocol is invalid.
    #[error("invalid request: {0}")]
    Request(ClientError),
    /// A step did not finish within `IO_TIMEOUT_MS`.
    #[error("{step} timed out after {after:?}")]
    Timeout {
        /// The step.
        step: Step,
        /// The configured timeout.
        after: Duration,
    },
    /// A step failed with an I/O error (TLS failures, such as an untrusted
    /// certificate or a wrong host name, arrive here with [`Step::TlsHandshake`]).
    #[error("{step} failed: {source}")]
    Io {
        /// The step.
        step: Step,
        /// The cause.
        source: io::Error,
    },
    /// The peer closed the connection before the response head was complete.
    #[error("connection closed during {0}")]
    Closed(Step),
    /// The TLS settings are unusable.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// The upgrade response broke RFC 6455 (bad `Sec-WebSocket-Accept`, an unoffered
    /// subprotocol or extension, a head over `MAX_HTTP_RESPONSE_HEADER_BYTES`, ...).
    #[error("invalid upgrade response: {0}")]
    Handshake(ClientError),
    /// The server answered with a status that is not 101, a redirect or a 401.
    #[error("server refused the upgrade: {status} {reason}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A redirect came while `MAX_REDIRECTIONS` is 0.
    #[error("redirect ({status}) to {location} but redirects are disabled")]
    RedirectsDisabled {
        /// The status.
        status: u16,
        /// The `Location`.
        location: String,
    },
    /// More than `MAX_REDIRECTIONS` redirects.
    #[error("more than {0} redirects")]
    TooManyRedirects(u32),
    /// A redirect led back to a URI already visited.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// A `Location` that cannot be resolved to a `ws`/`wss`/`http`/`https` URI.
    #[error("cannot follow redirect to {0:?}")]
    BadRedirect(String),
    /// A 401 and no credentials to answer it with (or a 401 from another origin than
    /// the one the credentials are for).
    #[error("server requires authentication and no credentials apply")]
    AuthenticationRequired,
    /// The challenge could not be answered (realm mismatch, unsupported scheme, ...).
    #[error("cannot answer the authentication challenge: {0}")]
    Auth(AuthError),
    /// A second 401 after credentials were sent: they were refused.
    #[error("credentials refused (second 401)")]
    AuthenticationFailed,
    /// The proxy refused the tunnel.
    #[error("proxy refused CONNECT: {status} {reason}")]
    ProxyRejected {
        /// The HTTP status.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A 407 and no proxy credentials.
    #[error("proxy requires authentication and no proxy credentials are configured")]
    ProxyAuthenticationRequired,
    /// The proxy's challenge could not be answered.
    #[error("cannot answer the proxy's challenge: {0}")]
    ProxyAuth(AuthError),
    /// A second 407 after proxy credentials were sent.
    #[error("proxy credentials refused (second 407)")]
    ProxyAuthenticationFailed,
    /// The proxy's response was malformed or too large.
    #[error("invalid proxy response: {0}")]
    ProxyResponse(ClientError),
    /// The proxy setting (or `HTTP(S)_PROXY`) is not `[http://]host[:port]`.
    #[error("invalid proxy address {0:?}")]
    BadProxy(String),
}

pub use ws_tokio::Error;
