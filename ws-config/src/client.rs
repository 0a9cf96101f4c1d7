//! [`ClientSettings`]: the Tomcat keys a WebSocket client front-end reads.

use std::path::PathBuf;
use std::time::Duration;

use crate::table::Config;
use crate::tls::TlsVersion;
use crate::value::{Secret, TlsContext};

/// A user name and password answered to an HTTP authentication challenge, optionally
/// limited to one realm. `Debug` shows the password as `***`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The user name.
    pub user_name: String,
    /// The password.
    pub password: Secret,
    /// When set, the credentials answer only a challenge for this realm.
    pub realm: Option<String>,
}

impl Credentials {
    /// Credentials for any realm.
    pub fn new(user_name: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credentials {
            user_name: user_name.into(),
            password: password.into(),
            realm: None,
        }
    }

    /// Limits the credentials to `realm`.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }
}

/// For the handshake crate's challenge answering (`ws_handshake::auth`). The password
/// leaves its [`Secret`] here; `ws_handshake::auth::Credentials` redacts it in `Debug`
/// too.
impl From<&Credentials> for ws_handshake::auth::Credentials {
    fn from(c: &Credentials) -> Self {
        ws_handshake::auth::Credentials {
            username: c.user_name.clone(),
            password: c.password.expose().to_owned(),
            realm: c.realm.clone(),
        }
    }
}

/// TLS settings of the client.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TlsSettings {
    /// `SSL_CONTEXT` (code only): a complete TLS client configuration; when set, the
    /// other fields are ignored. Default `None`.
    pub context: Option<TlsContext>,
    /// `SSL_PROTOCOLS` (comma-separated list): the TLS versions to enable. Default
    /// `None`: the TLS library's default.
    pub protocols: Option<Vec<TlsVersion>>,
    /// `SSL_TRUSTSTORE` (file path): trust store for server certificates. Default
    /// `None`: the platform's roots.
    pub truststore: Option<PathBuf>,
    /// `SSL_TRUSTSTORE_PWD` (string, secret): the trust store password. Default
    /// `changeit`.
    pub truststore_password: Secret,
}

/// Client-side settings.
///
/// `ws-client` does not exist yet, so `ws-config` owns this plain struct and the
/// client will read it. Public fields, Tomcat defaults ([`Default`]) and `with_*`
/// setters. `Debug` never shows passwords.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClientSettings {
    /// `IO_TIMEOUT_MS` (milliseconds): timeout of each I/O step while connecting.
    /// Default 5 s.
    pub io_timeout: Duration,
    /// `MAX_HTTP_RESPONSE_HEADER_BYTES` (bytes): largest upgrade or proxy CONNECT
    /// response header accepted. Default 8192.
    pub max_http_response_header_bytes: usize,
    /// `MAX_REDIRECTIONS` (count): redirects to follow; 0 disables. Default 20.
    pub max_redirections: u32,
    /// `BLOCKING_SEND_TIMEOUT` (milliseconds; `-1` = `None` = no timeout): write
    /// timeout of a blocking send on client sessions. Default 20 s.
    pub blocking_send_timeout: Option<Duration>,
    /// `WS_AUTHENTICATION_USER_NAME`, `WS_AUTHENTICATION_PASSWORD`,
    /// `WS_AUTHENTICATION_REALM`: answer to a 401 challenge. Default `None`.
    pub credentials: Option<Credentials>,
    /// `WS_AUTHENTICATION_PROXY_USER_NAME`, `..._PASSWORD`, `..._REALM` (also spelled
    /// `WS_PROXY_AUTHENTICATION_*`): answer to a proxy's 407 challenge. Default
    /// `None`.
    pub proxy_credentials: Option<Credentials>,
    /// `SSL_CONTEXT`, `SSL_PROTOCOLS`, `SSL_TRUSTSTORE`, `SSL_TRUSTSTORE_PWD`.
    pub tls: TlsSettings,
    /// `DEFAULT_ORIGIN_HEADER_VALUE` (string): the `Origin` header sent when the
    /// request sets none. Default `None`: no `Origin` header.
    pub default_origin: Option<String>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Config::default().client_settings()
    }
}

impl ClientSettings {
    /// The limits for reading the upgrade (or proxy CONNECT) response head:
    /// `max_header_bytes` is
    /// [`max_http_response_header_bytes`](Self::max_http_response_header_bytes), the
    /// header count keeps the handshake crate's default.
    pub fn response_limits(&self) -> ws_handshake::Limits {
        ws_handshake::Limits {
            max_header_bytes: self.max_http_response_header_bytes,
            ..ws_handshake::Limits::default()
        }
    }

    /// Sets [`io_timeout`](Self::io_timeout).
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// Sets [`max_http_response_header_bytes`](Self::max_http_response_header_bytes).
    pub fn with_max_http_response_header_bytes(mut self, bytes: usize) -> Self {
        self.max_http_response_header_bytes = bytes;
        self
    }

    /// Sets [`max_redirections`](Self::max_redirections) (0 disables redirects).
    pub fn with_max_redirections(mut self, count: u32) -> Self {
        self.max_redirections = count;
        self
    }

    /// Sets [`blocking_send_timeout`](Self::blocking_send_timeout) (`None` = no
    /// timeout).
    pub fn with_blocking_send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.blocking_send_timeout = timeout;
        self
    }

    /// Sets [`credentials`](Self::credentials).
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.credentials = credentials;
        self
    }

    /// Sets [`proxy_credentials`](Self::proxy_credentials).
    pub fn with_proxy_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.proxy_credentials = credentials;
        self
    }

    /// Sets [`TlsSettings::context`].
    pub fn with_tls_context(mut self, context: Option<TlsContext>) -> Self {
        self.tls.context = context;
        self
    }

    /// Sets [`TlsSettings::protocols`].
    pub fn with_tls_protocols(mut self, protocols: Option<Vec<TlsVersion>>) -> Self {
        self.tls.protocols = protocols;
        self
    }

    /// Sets [`TlsSettings::truststore`].
    pub fn with_truststore(mut self, path: Option<PathBuf>) -> Self {
        self.tls.truststore = path;
        self
    }

    /// Sets [`TlsSettings::truststore_password`].
    pub fn with_truststore_password(mut self, password: impl Into<Secret>) -> Self {
        self.tls.truststore_password = password.into();
        self
    }

    /// Sets [`default_origin`](Self::default_origin).
    pub fn with_default_origin(mut self, origin: Option<String>) -> Self {
        self.default_origin = origin;
        self
    }
}

impl Config {
    /// The client settings. Credentials are complete or absent: resolving rejects a
    /// user name without a password and the like.
    pub fn client_settings(&self) -> ClientSettings {
        let credentials = |user: Option<String>, password: Option<Secret>, realm| {
            Some(Credentials {
                user_name: user?,
                password: password?,
                realm,
            })
        };
        ClientSettings {
            io_timeout: self.io_timeout(),
            max_http_response_header_bytes: self.max_http_response_header_bytes(),
            max_redirections: self.max_redirections(),
            blocking_send_timeout: self.blocking_send_timeout(),
            credentials: credentials(
                self.ws_authentication_user_name(),
                self.ws_authentication_password(),
                self.ws_authentication_realm(),
            ),
            proxy_credentials: credentials(
                self.ws_authentication_proxy_user_name(),
                self.ws_authentication_proxy_password(),
                self.ws_authentication_proxy_realm(),
            ),
            tls: TlsSettings {
                context: self.ssl_context(),
                protocols: self.ssl_protocols(),
                truststore: self.ssl_truststore(),
                truststore_password: self.ssl_truststore_pwd(),
            },
            default_origin: self.default_origin_header_value(),
        }
    }
}
