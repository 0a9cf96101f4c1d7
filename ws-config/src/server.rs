//! [`ServerSettings`]: the Tomcat keys a WebSocket server front-end reads.

use std::time::Duration;

use crate::table::Config;

/// Server-side settings that are not per-session state (the session's own settings
/// are [`ws_session::SessionConfig`], from [`Config::session_config`]).
///
/// `ws-server` does not exist yet, so `ws-config` owns this plain struct and the
/// server will read it. Public fields, Tomcat defaults ([`Default`]) and `with_*`
/// setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerSettings {
    /// `noAddAfterHandshake` (boolean): refuse adding endpoints once the first
    /// handshake has started. Default: the value of `STRICT_SPEC_COMPLIANCE`
    /// (false); an explicit `noAddAfterHandshake` always wins.
    pub no_add_after_handshake: bool,
    /// `BLOCKING_SEND_TIMEOUT` (milliseconds; `-1` = `None` = no timeout): write
    /// timeout of a blocking send. Default 20 s.
    pub blocking_send_timeout: Option<Duration>,
    /// `textBufferSize` (bytes): largest text message delivered whole. Default
    /// `DEFAULT_BUFFER_SIZE` (8192).
    pub text_buffer_size: usize,
    /// `binaryBufferSize` (bytes): largest binary message delivered whole. Default
    /// `DEFAULT_BUFFER_SIZE` (8192).
    pub binary_buffer_size: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Config::default().server_settings()
    }
}

impl ServerSettings {
    /// Sets [`no_add_after_handshake`](Self::no_add_after_handshake).
    pub fn with_no_add_after_handshake(mut self, on: bool) -> Self {
        self.no_add_after_handshake = on;
        self
    }

    /// Sets [`blocking_send_timeout`](Self::blocking_send_timeout) (`None` = no
    /// timeout).
    pub fn with_blocking_send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.blocking_send_timeout = timeout;
        self
    }

    /// Sets [`text_buffer_size`](Self::text_buffer_size) in bytes.
    pub fn with_text_buffer_size(mut self, bytes: usize) -> Self {
        self.text_buffer_size = bytes;
        self
    }

    /// Sets [`binary_buffer_size`](Self::binary_buffer_size) in bytes.
    pub fn with_binary_buffer_size(mut self, bytes: usize) -> Self {
        self.binary_buffer_size = bytes;
        self
    }
}

impl Config {
    /// The effective `noAddAfterHandshake`: its explicit value if any source set it,
    /// else `STRICT_SPEC_COMPLIANCE`.
    pub fn effective_no_add_after_handshake(&self) -> bool {
        self.no_add_after_handshake()
            .unwrap_or_else(|| self.strict_spec_compliance())
    }

    /// The server settings.
    pub fn server_settings(&self) -> ServerSettings {
        ServerSettings {
            no_add_after_handshake: self.effective_no_add_after_handshake(),
            blocking_send_timeout: self.blocking_send_timeout(),
            text_buffer_size: self.effective_text_buffer_size(),
            binary_buffer_size: self.effective_binary_buffer_size(),
        }
    }
}
