//! [`UpgradeConfig`]: what an upgrade accepts and how its session runs, with the
//! same defaults as `ws-server` and Tomcat's keys from `ws-config`.

use ws_config::ServerSettings;
use ws_handshake::{DeflateConfig, Limits, OriginPolicy};
use ws_session::SessionConfig;

/// Settings of an upgrade: request limits, origin policy, subprotocols,
/// permessage-deflate, the session configuration and the server settings of
/// Tomcat's keys.
///
/// Defaults: `ws-server`'s (same-origin policy, deflate negotiated, 8 KiB / 100
/// fields, Tomcat's buffer sizes and `BLOCKING_SEND_TIMEOUT`). Put one in the
/// router with `axum::Extension` and every [`WebSocketUpgrade`](crate::WebSocketUpgrade)
/// of that router starts from it; adjust one upgrade with the extractor's methods.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UpgradeConfig {
    /// Bounds on the request's fields (431 beyond).
    pub limits: Limits,
    /// Which pages may open WebSockets (403 otherwise).
    pub origin: OriginPolicy,
    /// Subprotocols for [`on_upgrade`](crate::Upgrade::on_upgrade), in the server's
    /// order of preference (an [`Endpoint`](ws_tokio::Endpoint) chooses its own).
    pub protocols: Vec<String>,
    /// The permessage-deflate policy. Default:
    /// [`DeflateConfig::lean`](ws_handshake::DeflateConfig::lean), as `ws-server`'s:
    /// a client whose offer lets the server choose (browsers' do) is asked for a
    /// 12-bit window, so an idle connection keeps 4 KiB of its context instead of
    /// 32 KiB.
    pub deflate: DeflateConfig,
    /// The configuration of every session (buffer sizes, timeouts, limits).
    pub session: SessionConfig,
    /// Server settings (`BLOCKING_SEND_TIMEOUT`; the buffer sizes are in
    /// [`session`](Self::session)).
    pub settings: ServerSettings,
}

impl Default for UpgradeConfig {
    fn default() -> Self {
        let settings = ServerSettings::default();
        UpgradeConfig {
            limits: Limits::default(),
            origin: OriginPolicy::default(),
            protocols: Vec::new(),
            deflate: DeflateConfig::lean(),
            session: SessionConfig::default()
                .with_text_buffer_size(settings.text_buffer_size)
                .with_binary_buffer_size(settings.binary_buffer_size),
            settings,
        }
    }
}

impl UpgradeConfig {
    /// From resolved Tomcat keys: the session configuration (buffer sizes,
    /// timeouts) and the server settings.
    pub fn from_config(config: &ws_config::Config) -> Self {
        UpgradeConfig {
            session: config.session_config(),
            settings: config.server_settings(),
            ..UpgradeConfig::default()
        }
    }

    /// Sets the origin policy.
    pub fn with_origin_policy(mut self, origin: OriginPolicy) -> Self {
        self.origin = origin;
        self
    }

    /// Sets the subprotocols (server preference order).
    pub fn with_protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.protocols = p.into_iter().map(Into::into).collect();
        self
    }

    /// Turns permessage-deflate on (default) or off.
    pub fn with_deflate(mut self, on: bool) -> Self {
        self.deflate.enabled = on;
        self
    }

    /// Sets the session configuration.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Sets the request limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}
