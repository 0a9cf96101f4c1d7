//! [`ClientConfig`]: everything [`connect`](crate::connect) needs besides the URI.

use std::path::Path;

use ws_config::{ClientSettings, ConfigErrors, Sources};
use ws_session::SessionConfig;

use crate::http2::{Http2, Http2Pool};
use crate::proxy::Proxy;

/// Connection settings: Tomcat's client keys ([`ClientSettings`]), the session
/// settings ([`SessionConfig`]), and what the request offers.
///
/// Defaults: Tomcat's defaults for the keys, no subprotocol, no extra header,
/// permessage-deflate offered, proxy from the process environment
/// ([`Proxy::from_process_env`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `IO_TIMEOUT_MS`, `MAX_HTTP_RESPONSE_HEADER_BYTES`, `MAX_REDIRECTIONS`,
    /// credentials, TLS, `DEFAULT_ORIGIN_HEADER_VALUE`, `BLOCKING_SEND_TIMEOUT`.
    pub settings: ClientSettings,
    /// Buffer sizes, delivery, timeouts of the open session. Its `deflate` field is
    /// ignored: it is filled from the server's answer to our offer.
    pub session: SessionConfig,
    /// Subprotocols to offer, most preferred first.
    pub protocols: Vec<String>,
    /// Extra request headers (`Origin` here overrides the default origin).
    /// `Authorization` and `Cookie` go only to the origin of the URI passed to
    /// `connect`, never to another origin after a redirect.
    pub headers: Vec<(String, String)>,
    /// Offer permessage-deflate (default `true`).
    pub deflate: bool,
    /// How to reach the server.
    pub proxy: Proxy,
    /// When to open WebSockets over HTTP/2 (RFC 8441); default [`Http2::Auto`].
    pub http2: Http2,
    /// The HTTP/2 connections WebSockets to one origin share (clones of this
    /// configuration share it).
    pub pool: Http2Pool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            settings: ClientSettings::default(),
            session: SessionConfig::default(),
            protocols: Vec::new(),
            headers: Vec::new(),
            deflate: true,
            proxy: Proxy::from_process_env(),
            http2: Http2::default(),
            pool: Http2Pool::new(),
        }
    }
}

impl ClientConfig {
    /// From resolved Tomcat keys: client and session settings.
    pub fn from_config(config: &ws_config::Config) -> Self {
        ClientConfig {
            settings: config.client_settings(),
            session: config.session_config(),
            ..ClientConfig::default()
        }
    }

    /// Reads a `.properties` file with Tomcat's keys, then the process environment
    /// (system-property keys only), as `ws_config` documents.
    pub fn from_properties_file(path: impl AsRef<Path>) -> Result<Self, ConfigErrors> {
        let config = Sources::new()
            .properties_file(path)?
            .process_env()
            .resolve()?;
        Ok(Self::from_config(&config))
    }

    /// Replaces the client settings.
    pub fn with_settings(mut self, settings: ClientSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Replaces the session settings.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Adds a subprotocol to offer.
    pub fn with_protocol(mut self, name: impl Into<String>) -> Self {
        self.protocols.push(name.into());
        self
    }

    /// Adds a request header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Turns the permessage-deflate offer on or off.
    pub fn with_deflate(mut self, offer: bool) -> Self {
        self.deflate = offer;
        self
    }

    /// Sets when to use HTTP/2.
    pub fn with_http2(mut self, http2: Http2) -> Self {
        self.http2 = http2;
        self
    }

    /// Sets the proxy.
    pub fn with_proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }
}
