//! The broker between servers, from `--broker URL` or the `.properties` file.
//!
//! The file key is `ws-server.broker` (this server's own setting, not one of
//! Tomcat's keys, so it has this binary's prefix and `ws-config` ignores it): for
//! example `ws-server.broker=redis://127.0.0.1:6379`. The flag wins over the file.
//! Any other key under the `ws-server.` prefix is refused (a usage error naming the
//! file and line), as ws-config refuses unknown keys under Tomcat's prefix: a typo
//! such as `ws-server.brokr` must not leave the server silently without a broker.

use std::path::Path;
use std::sync::Arc;

use ws_server::Broker;

/// The `.properties` key naming the broker.
pub const KEY: &str = "ws-server.broker";

/// The prefix of this binary's own `.properties` keys.
const PREFIX: &str = "ws-server.";

/// The broker URL: the flag, else the file's [`KEY`], else none.
pub fn url(flag: Option<&str>, file: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(url) = flag {
        return Ok(Some(url.to_owned()));
    }
    let Some(file) = file else { return Ok(None) };
    let properties = ws_config::Properties::read(file).map_err(|e| e.to_string())?;
    if let Some((name, _, origin)) = properties
        .iter()
        .find(|(name, _, _)| name.starts_with(PREFIX) && *name != KEY)
    {
        return Err(format!(
            "unknown key {name} ({origin}); did you mean {KEY}?"
        ));
    }
    match properties.get(KEY) {
        None => Ok(None),
        Some(ws_config::Value::Str(url)) => Ok(Some(url.trim().to_owned())),
        Some(other) => Err(format!("{KEY}: expected a URL, got {other:?}")),
    }
}

/// `url` if it names a broker `ws-broker` knows (`redis://`, `nats://`), else the
/// error to print (a usage error: the server does not start).
pub fn checked(url: String) -> Result<String, String> {
    ws_broker::check(&url).map_err(|e| e.to_string())?;
    Ok(url)
}

/// Connects (in the background) to the broker at `url`.
pub async fn connect(url: &str) -> Result<Arc<dyn Broker>, ws_broker::BrokerError> {
    ws_broker::connect(url).await
}
