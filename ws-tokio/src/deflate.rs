//! The one mapping from the handshake's negotiated permessage-deflate parameters
//! (`ws_handshake::DeflateParams`) to the session's compression configuration
//! (`ws_session::DeflateConfig`). `ws-session` and `ws-handshake` do not depend on
//! each other, so this layer joins them, once, for both roles.

use ws_handshake::DeflateParams;
use ws_session::{DeflateConfig, SessionConfig};

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

/// `config` for a session whose handshake negotiated `params` (`None`: no
/// permessage-deflate): its `deflate` becomes the negotiated configuration. Every
/// front-end opens its sessions through this.
///
/// A `deflate` already set in `config` is the tuning the negotiated parameters go
/// on top of: compression level, the size below which messages go uncompressed,
/// the idle release (`ws_session::DeflateConfig`'s fields the handshake does not
/// cover). Unset, they are the defaults. Without a negotiation it is dropped:
/// a session compresses only what was agreed.
///
/// ```
/// use ws_handshake::DeflateParams;
/// use ws_session::{DeflateConfig, SessionConfig};
///
/// let tuned = SessionConfig::default()
///     .with_deflate(Some(DeflateConfig::default().with_compression_level(1)));
/// let params = DeflateParams {
///     client_max_window_bits: Some(12),
///     ..DeflateParams::default()
/// };
/// let session = ws_tokio::negotiated_session(tuned.clone(), Some(&params));
/// let deflate = session.deflate.expect("negotiated");
/// assert_eq!(deflate.compression_level, 1);
/// assert_eq!(deflate.client_max_window_bits, 12);
/// assert!(ws_tokio::negotiated_session(tuned, None).deflate.is_none());
/// ```
pub fn negotiated_session(config: SessionConfig, params: Option<&DeflateParams>) -> SessionConfig {
    let base = config.deflate.unwrap_or_default();
    config.with_deflate(params.map(|p| deflate_config(base, p)))
}
