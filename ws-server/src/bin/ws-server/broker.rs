//! The broker between servers, from `--broker URL` or the `.properties` file.
//!
//! The file key is `ws-server.broker` (this server's own setting, not one of
//! Tomcat's keys, so it has this binary's prefix and `ws-config` ignores it): for
//! example `ws-server.broker=redis://127.0.0.1:6379`. The flag wins over the file.

use std::path::Path;
use std::sync::Arc;

use ws_server::Broker;

/// The `.properties` key naming the broker.
pub const KEY: &str = "ws-server.broker";

/// The broker URL: the flag, else the file's [`KEY`], else none.
pub fn url(flag: Option<&str>, file: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(url) = flag {
        return Ok(Some(url.to_owned()));
    }
    let Some(file) = file else { return Ok(None) };
    let properties = ws_config::Properties::read(file).map_err(|e| e.to_string())?;
    match properties.get(KEY) {
        None => Ok(None),
        Some(ws_config::Value::Str(url)) => Ok(Some(url.trim().to_owned())),
        Some(other) => Err(format!("{KEY}: expected a URL, got {other:?}")),
    }
}

/// Connects (in the background) to the broker at `url`.
pub async fn connect(url: &str) -> Result<Arc<dyn Broker>, ws_broker::BrokerError> {
    ws_broker::connect(url).await
}
