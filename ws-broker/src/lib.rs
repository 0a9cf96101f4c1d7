//! Brokers between servers for `ws-tokio`'s topics: [`RedisBroker`] (Redis pub/sub)
//! and [`NatsBroker`] (NATS core subjects), both implementations of
//! [`ws_tokio::Broker`]. The in-process broker needs no client and lives in
//! `ws-tokio` ([`ws_tokio::InProcessBroker`]); this crate keeps the Redis and NATS
//! clients out of the runtime layer.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = ws_broker::connect("redis://127.0.0.1:6379").await?;
//! let topics = ws_tokio::Topics::with_broker(broker);
//! topics.publish("chat", "hello, every server").await;
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! * **Connecting never fails for a broker that is down**: [`connect`] returns at
//!   once (only a malformed URL is an error) and the connection is made in the
//!   background, then remade whenever it is lost, with exponential backoff (100 ms
//!   doubling to 5 s, with jitter). Each loss and each (re)connection is logged
//!   (`tracing`, target `ws_broker`), and [`Broker::status`] reports the state and
//!   counters (a server's health check shows them).
//! * **Subscriptions** are kept by the broker object and made again on every new
//!   connection: after an outage, delivery resumes for every topic subscribed.
//! * **Delivery is at most once**, as Redis pub/sub and NATS core are: a message
//!   published while the connection is down is dropped (counted in
//!   [`BrokerStatus::dropped`]), not buffered for later; a message published while
//!   a subscriber's connection is down never reaches it; nothing is replayed. So
//!   across an outage a client of another server misses what was published during
//!   it, and sees nothing else (no error, no close); the server it is connected to
//!   goes on serving its own publishers meanwhile.
//! * **Bounded**: publishes wait in a queue of [`PUBLISH_QUEUE`] messages for the
//!   connection task (Redis batches them into one pipeline per round trip);
//!   incoming messages wait in one of [`INCOMING_QUEUE`] for the topics' relay;
//!   past either bound messages are dropped and counted.
//! * **Names**: a topic is the Redis channel `ws:TOPIC`, or the NATS subject
//!   `ws.TOPIC` with every byte other than ASCII letters, digits, `-` and `_`
//!   written `%XX` (so a topic is one subject token, never a wildcard).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backoff;
mod incoming;
mod names;
mod nats_broker;
mod redis_broker;

use std::sync::Arc;

pub use nats_broker::NatsBroker;
pub use redis_broker::RedisBroker;
pub use ws_tokio::{Broker, BrokerState, BrokerStatus};

/// Messages waiting to be published; more are dropped and counted.
pub const PUBLISH_QUEUE: usize = 16 * 1024;
/// Messages received and waiting for the topics' relay; more are dropped and
/// counted.
pub const INCOMING_QUEUE: usize = 16 * 1024;

/// Why a broker could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The URL names no broker this crate knows (`redis://` and `nats://` do).
    #[error("unknown broker {0:?}: expected redis://HOST:PORT or nats://HOST:PORT")]
    UnknownScheme(String),
    /// The URL is malformed.
    #[error("invalid broker URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Connects to the broker at `url` (`redis://HOST:PORT` or `nats://HOST:PORT`)
/// in the background; see the crate docs. Call it inside a tokio runtime.
pub async fn connect(url: &str) -> Result<Arc<dyn Broker>, BrokerError> {
    match kind(url)? {
        Kind::Redis => Ok(RedisBroker::connect(url)?),
        Kind::Nats => Ok(NatsBroker::connect(url).await?),
    }
}

/// Checks, without connecting, that `url` names a broker this crate knows: what
/// [`connect`] refuses with [`BrokerError::UnknownScheme`], refused here first (a
/// command line can report it as a usage error before it starts anything).
pub fn check(url: &str) -> Result<(), BrokerError> {
    kind(url).map(|_| ())
}

/// The brokers this crate knows, by URL scheme.
enum Kind {
    Redis,
    Nats,
}

fn kind(url: &str) -> Result<Kind, BrokerError> {
    match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("redis") => Ok(Kind::Redis),
        Some("nats") => Ok(Kind::Nats),
        _ => Err(BrokerError::UnknownScheme(url.to_owned())),
    }
}

/// `url` without credentials (`user:password@`), for logs and status.
pub(crate) fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_out_of_the_status() {
        assert_eq!(
            redacted("redis://:secret@127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(redacted("nats://u:p@h:4222"), "nats://h:4222");
        assert_eq!(redacted("nats://h:4222"), "nats://h:4222");
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        assert!(matches!(
            connect("amqp://127.0.0.1").await,
            Err(BrokerError::UnknownScheme(_))
        ));
        assert!(matches!(
            connect("127.0.0.1:6379").await,
            Err(BrokerError::UnknownScheme(_))
        ));
        assert!(check("redis://h:6379").is_ok() && check("nats://h:4222").is_ok());
        assert!(matches!(
            check("http://h"),
            Err(BrokerError::UnknownScheme(_))
        ));
    }
}

/// The README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
