//! Sans-I/O WebSocket session (RFC 6455, RFC 7692).
//!
//! Work in progress: the configuration is public first so that `ws-config` can build it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[allow(dead_code)] // crate-internal helpers are used by the session, which lands next
mod config;

pub use config::{DeflateConfig, Delivery, Role, SessionConfig};
