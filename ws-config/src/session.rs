//! [`Config`] -> [`ws_session::SessionConfig`].

use ws_session::SessionConfig;

use crate::table::Config;

impl Config {
    /// The effective `textBufferSize`: its own value, else `DEFAULT_BUFFER_SIZE`.
    pub fn effective_text_buffer_size(&self) -> usize {
        self.text_buffer_size()
            .unwrap_or_else(|| self.default_buffer_size())
    }

    /// The effective `binaryBufferSize`: its own value, else `DEFAULT_BUFFER_SIZE`.
    pub fn effective_binary_buffer_size(&self) -> usize {
        self.binary_buffer_size()
            .unwrap_or_else(|| self.default_buffer_size())
    }

    /// The session configuration: [`SessionConfig::default`] with the Tomcat keys
    /// applied.
    ///
    /// | field | key |
    /// |---|---|
    /// | `text_buffer_size` | `textBufferSize`, else `DEFAULT_BUFFER_SIZE` |
    /// | `binary_buffer_size` | `binaryBufferSize`, else `DEFAULT_BUFFER_SIZE` |
    /// | `session_close_timeout` | `SESSION_CLOSE_TIMEOUT` |
    /// | `abnormal_close_send_timeout` | `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT` |
    /// | `read_idle_timeout` | `READ_IDLE_TIMEOUT_MS` |
    /// | `write_idle_timeout` | `WRITE_IDLE_TIMEOUT_MS` |
    ///
    /// Delivery modes are chosen by the handlers the application registers, and the
    /// other fields have no Tomcat key: they keep their defaults. `BLOCKING_SEND_TIMEOUT`
    /// is a front-end matter: see [`ServerSettings`](crate::ServerSettings) and
    /// [`ClientSettings`](crate::ClientSettings).
    pub fn session_config(&self) -> SessionConfig {
        SessionConfig::default()
            .with_text_buffer_size(self.effective_text_buffer_size())
            .with_binary_buffer_size(self.effective_binary_buffer_size())
            .with_session_close_timeout(self.session_close_timeout())
            .with_abnormal_close_send_timeout(self.abnormal_session_close_send_timeout())
            .with_read_idle_timeout(self.read_idle_timeout())
            .with_write_idle_timeout(self.write_idle_timeout())
    }
}
