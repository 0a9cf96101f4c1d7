//! The one mapping from the handshake's negotiated permessage-deflate parameters
//! (`ws_handshake::DeflateParams`) to the session's compression configuration
//! (`ws_session::DeflateConfig`). `ws-session` and `ws-handshake` do not depend on
//! each other, so this layer joins them, once, for both roles.

use ws_handshake::DeflateParams;
use ws_session::DeflateConfig;

/// The session's deflate configuration for the negotiated `params`, on top of
/// `base` (compression level, threshold: settings the negotiation does not cover).
///
/// ```
/// use ws_handshake::DeflateParams;
/// use ws_session::DeflateConfig;
///
/// let params = DeflateParams {
///     server_no_context_takeover: true,
///     client_max_window_bits: Some(10),
///     ..DeflateParams::default()
/// };
/// let config = ws_tokio::deflate_config(DeflateConfig::default(), &params);
/// assert!(config.server_no_context_takeover);
/// assert_eq!(config.client_max_window_bits, 10);
/// assert_eq!(config.server_max_window_bits, 15);
/// ```
pub fn deflate_config(base: DeflateConfig, params: &DeflateParams) -> DeflateConfig {
    base.with_server_no_context_takeover(params.server_no_context_takeover)
        .with_client_no_context_takeover(params.client_no_context_takeover)
        .with_server_max_window_bits(params.server_window_bits())
        .with_client_max_window_bits(params.client_window_bits())
}
