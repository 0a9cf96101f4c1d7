//! [`ServerBuilder`]: every setting of a [`Server`](crate::Server), with defaults
//! (`build` is next to the server, in `server.rs`).

use std::time::Duration;

use ws_config::ServerSettings;
use ws_handshake::Limits;
use ws_session::SessionConfig;
use ws_tokio::{Broker, Topics};

use crate::tls::TlsConfig;
use ws_handshake::OriginPolicy;

/// Default time a client has to complete its opening handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`Server`](crate::Server); every setting has a default.
#[derive(Clone, Debug)]
pub struct ServerBuilder {
    pub(crate) session: SessionConfig,
    pub(crate) settings: ServerSettings,
    pub(crate) handshake_timeout: Duration,
    pub(crate) limits: Limits,
    pub(crate) origin: OriginPolicy,
    pub(crate) deflate: ws_handshake::DeflateConfig,
    pub(crate) tls: Option<TlsConfig>,
    pub(crate) http2: bool,
    pub(crate) extended_connect: bool,
    pub(crate) topics: Option<Topics>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        let settings = ServerSettings::default();
        ServerBuilder {
            session: SessionConfig::default()
                .with_text_buffer_size(settings.text_buffer_size)
                .with_binary_buffer_size(settings.binary_buffer_size),
            settings,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            limits: Limits::default(),
            origin: OriginPolicy::default(),
            deflate: ws_handshake::DeflateConfig::lean(),
            tls: None,
            http2: true,
            extended_connect: true,
            topics: None,
        }
    }
}

impl ServerBuilder {
    /// Takes the Tomcat keys of a resolved [`ws_config::Config`]: the session
    /// configuration (buffer sizes, timeouts) and the server settings
    /// (`noAddAfterHandshake`, `BLOCKING_SEND_TIMEOUT`).
    pub fn config(self, config: &ws_config::Config) -> Self {
        self.session_config(config.session_config())
            .settings(config.server_settings())
    }

    /// The base session configuration of every session (endpoints may adjust it in
    /// [`Endpoint::session_config`](crate::Endpoint::session_config)).
    pub fn session_config(mut self, config: SessionConfig) -> Self {
        self.session = config;
        self
    }

    /// Server settings: `noAddAfterHandshake`, `BLOCKING_SEND_TIMEOUT` (the buffer
    /// sizes in it are applied through [`session_config`](Self::session_config)).
    pub fn settings(mut self, settings: ServerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Time a client has for its opening handshake (TLS included); default 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Bounds on the request head (default 8 KiB, 100 fields; 431 beyond).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The origin policy (default: [`OriginPolicy::same_origin`]).
    pub fn origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origin = policy;
        self
    }

    /// Allows every `Origin` (Tomcat's default; see [`OriginPolicy`]).
    pub fn allow_any_origin(self) -> Self {
        self.origin_policy(OriginPolicy::allow_any_origin())
    }

    /// Turns permessage-deflate on (default) or off.
    pub fn deflate(mut self, on: bool) -> Self {
        self.deflate.enabled = on;
        self
    }

    /// The permessage-deflate negotiation policy (default:
    /// [`DeflateConfig::lean`](ws_handshake::DeflateConfig::lean): context takeover,
    /// the client asked for a 4 KiB window, the server compressing with 32 KiB).
    pub fn deflate_config(mut self, config: ws_handshake::DeflateConfig) -> Self {
        self.deflate = config;
        self
    }

    /// Serves HTTP/2 on the same port (default on): under TLS through ALPN (`h2`
    /// offered before `http/1.1`), on plain TCP when a connection starts with the
    /// HTTP/2 preface (prior knowledge). Static pages and WebSockets (RFC 8441
    /// extended CONNECT) are served over it alike.
    pub fn http2(mut self, on: bool) -> Self {
        self.http2 = on;
        self
    }

    /// Whether HTTP/2 connections advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL`
    /// (default on): off, WebSockets open over HTTP/1.1 only, HTTP/2 still serves
    /// the static pages, and a request with `:protocol` is malformed (RFC 8441
    /// section 4: the stream is reset with `PROTOCOL_ERROR`).
    pub fn websockets_over_http2(mut self, on: bool) -> Self {
        self.extended_connect = on;
        self
    }

    /// The topics its sessions subscribe to and publish on (default: topics of
    /// this server alone, [`Topics::new`]). Several servers in one process may
    /// share one.
    pub fn topics(mut self, topics: Topics) -> Self {
        self.topics = Some(topics);
        self
    }

    /// Relays the server's topics through `broker` to the other servers using it
    /// (Redis or NATS from the `ws-broker` crate); [`Topics::with_broker`], so
    /// call it inside a tokio runtime.
    pub fn broker(self, broker: std::sync::Arc<dyn Broker>) -> Self {
        self.topics(Topics::with_broker(broker))
    }

    /// Serves `wss://` with this TLS configuration.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }
}
