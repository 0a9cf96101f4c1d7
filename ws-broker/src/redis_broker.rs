//! [`RedisBroker`]: topics over Redis pub/sub (`PUBLISH`, `SUBSCRIBE`).
//!
//! Two connections, each kept by a task of its own that reconnects with backoff:
//! one publishes (every publish waiting in the queue goes out in one pipeline, one
//! round trip), one subscribes (Redis reserves a subscribed connection for
//! messages) and is subscribed again to every topic when it comes back. The
//! broker is connected when both are.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use ws_tokio::{Broker, BrokerMessage, BrokerState, BrokerStats, BrokerStatus, BrokerStream};

use crate::incoming::Incoming;
use crate::names::{redis_channel, redis_topic};
use crate::{backoff, redacted, BrokerError, PUBLISH_QUEUE};

/// Channel prefix of every topic.
const PREFIX: &str = "ws:";
/// Most publishes in one pipeline.
const BATCH: usize = 512;
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A subscription change for the subscriber task.
enum Change {
    Subscribe(String),
    Unsubscribe(String),
}

/// State shared with the two connection tasks.
struct Link {
    address: String,
    stats: BrokerStats,
    publisher_up: AtomicBool,
    subscriber_up: AtomicBool,
    /// Held while a half's change and the state it implies are written, so the
    /// state is always computed from both halves' latest values. (Without it, the
    /// two tasks could interleave: one reads both up and writes Connected, the
    /// other, having read its peer still down, then writes Connecting last, and
    /// the broker stayed "connecting" while connected: seen under load in CI.)
    changing: Mutex<()>,
}

impl Link {
    /// One half went up or down: the broker is connected when both are up.
    fn set(&self, half: &AtomicBool, up: bool, what: &str) {
        let _changing = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        if half.swap(up, Ordering::AcqRel) == up {
            return;
        }
        let both =
            self.publisher_up.load(Ordering::Acquire) && self.subscriber_up.load(Ordering::Acquire);
        if up {
            tracing::info!(broker = %self.address, "redis {what} connection up");
        } else {
            tracing::warn!(broker = %self.address, "redis {what} connection lost; reconnecting");
        }
        let state = if both {
            BrokerState::Connected
        } else {
            BrokerState::Connecting
        };
        if state != self.stats.state() {
            tracing::info!(broker = %self.address, state = state.as_str(), "broker state");
        }
        self.stats.set_state(state);
    }
}

/// Topics over Redis pub/sub; see the [crate docs](crate).
pub struct RedisBroker {
    link: Arc<Link>,
    publishes: mpsc::Sender<(String, Bytes)>,
    changes: mpsc::UnboundedSender<Change>,
    messages: Incoming,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("address", &self.link.address)
            .finish_non_exhaustive()
    }
}

impl RedisBroker {
    /// Starts the connections to the Redis server at `url`
    /// (`redis://[:PASSWORD@]HOST:PORT[/DB]`) in the background; call it inside a
    /// tokio runtime. Only a malformed URL fails.
    pub fn connect(url: &str) -> Result<Arc<RedisBroker>, BrokerError> {
        let client = redis::Client::open(url).map_err(|e| BrokerError::InvalidUrl {
            url: redacted(url),
            reason: e.to_string(),
        })?;
        let link = Arc::new(Link {
            address: redacted(url),
            stats: BrokerStats::default(),
            publisher_up: AtomicBool::new(false),
            subscriber_up: AtomicBool::new(false),
            changing: Mutex::new(()),
        });
        let (publishes, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (changes, change_rx) = mpsc::unbounded_channel();
        let (incoming, messages) = Incoming::channel();
        tracing::info!(broker = %link.address, "connecting to redis");
        tokio::spawn(publisher(client.clone(), publish_rx, Arc::clone(&link)));
        tokio::spawn(subscriber(client, change_rx, incoming, Arc::clone(&link)));
        Ok(Arc::new(RedisBroker {
            link,
            publishes,
            changes,
            messages,
        }))
    }
}

impl Broker for RedisBroker {
    fn publish(&self, topic: &str, payload: Bytes) {
        if !self.link.publisher_up.load(Ordering::Acquire)
            || self
                .publishes
                .try_send((topic.to_owned(), payload))
                .is_err()
        {
            self.link.stats.dropped();
        }
    }

    fn subscribe(&self, topic: &str) {
        let _ = self.changes.send(Change::Subscribe(topic.to_owned()));
    }

    fn unsubscribe(&self, topic: &str) {
        let _ = self.changes.send(Change::Unsubscribe(topic.to_owned()));
    }

    fn messages(&self) -> Option<BrokerStream> {
        self.messages.take_stream()
    }

    fn status(&self) -> BrokerStatus {
        self.link.stats.status("redis", &self.link.address)
    }
}

/// Waits `delay`, dropping (and counting) the publishes that come meanwhile;
/// `false` once the broker is gone.
async fn wait_dropping(
    delay: Duration,
    rx: &mut mpsc::Receiver<(String, Bytes)>,
    link: &Link,
) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            message = rx.recv() => match message {
                Some(_) => link.stats.dropped(),
                None => return false,
            },
        }
    }
}

/// The publishing connection: batches what waits into one pipeline per round trip.
async fn publisher(
    client: redis::Client,
    mut rx: mpsc::Receiver<(String, Bytes)>,
    link: Arc<Link>,
) {
    let mut attempt = 0;
    loop {
        let connected =
            tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection()).await;
        let mut conn = match connected {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                if attempt == 0 {
                    tracing::warn!(broker = %link.address, error = %e, "redis unreachable; retrying with backoff");
                }
                tracing::debug!(broker = %link.address, error = %e, attempt, "redis publisher connect failed");
                if !wait_dropping(backoff::delay(attempt), &mut rx, &link).await {
                    return;
                }
                attempt += 1;
                continue;
            }
            Err(_) => {
                tracing::debug!(broker = %link.address, attempt, "redis publisher connect timed out");
                attempt += 1;
                continue;
            }
        };
        attempt = 0;
        link.set(&link.publisher_up, true, "publisher");
        loop {
            let Some((topic, payload)) = rx.recv().await else {
                return;
            };
            let mut pipe = redis::pipe();
            pipe.cmd("PUBLISH")
                .arg(redis_channel(PREFIX, &topic))
                .arg(&payload[..])
                .ignore();
            let mut n = 1;
            while n < BATCH {
                let Ok((topic, payload)) = rx.try_recv() else {
                    break;
                };
                pipe.cmd("PUBLISH")
                    .arg(redis_channel(PREFIX, &topic))
                    .arg(&payload[..])
                    .ignore();
                n += 1;
            }
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => (0..n).for_each(|_| link.stats.published()),
                Err(e) => {
                    (0..n).for_each(|_| link.stats.dropped());
                    tracing::debug!(broker = %link.address, error = %e, "redis publish failed");
                    break;
                }
            }
        }
        link.set(&link.publisher_up, false, "publisher");
    }
}

/// Applies a subscription change to the set kept across connections: whether it
/// changed the set, and the topic; `None` once the broker is gone.
fn apply(change: Option<Change>, topics: &mut HashSet<String>) -> Option<(bool, String)> {
    match change? {
        Change::Subscribe(t) => Some((topics.insert(t.clone()), t)),
        Change::Unsubscribe(t) => Some((topics.remove(&t), t)),
    }
}

/// The subscribing connection: subscribed again to every topic on each new
/// connection; forwards messages to the topics' relay.
async fn subscriber(
    client: redis::Client,
    mut changes: mpsc::UnboundedReceiver<Change>,
    incoming: mpsc::Sender<BrokerMessage>,
    link: Arc<Link>,
) {
    let mut topics: HashSet<String> = HashSet::new();
    let mut attempt = 0;
    loop {
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await;
        let pubsub = match connected {
            Ok(Ok(pubsub)) => Some(pubsub),
            Ok(Err(e)) => {
                tracing::debug!(broker = %link.address, error = %e, attempt, "redis subscriber connect failed");
                None
            }
            Err(_) => None,
        };
        let Some(pubsub) = pubsub else {
            // Keep the set of topics current while waiting.
            let sleep = tokio::time::sleep(backoff::delay(attempt));
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    change = changes.recv() => {
                        if apply(change, &mut topics).is_none() {
                            return;
                        }
                    }
                }
            }
            attempt += 1;
            continue;
        };
        let (mut sink, mut stream) = pubsub.split();
        let channels: Vec<String> = topics.iter().map(|t| redis_channel(PREFIX, t)).collect();
        if !channels.is_empty() && sink.subscribe(&channels).await.is_err() {
            attempt += 1;
            continue;
        }
        attempt = 0;
        link.set(&link.subscriber_up, true, "subscriber");
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let Some((changed, topic)) = apply_change(change, &mut topics) else {
                        return;
                    };
                    let Some(subscribe) = changed else { continue };
                    let channel = redis_channel(PREFIX, &topic);
                    let sent = if subscribe {
                        sink.subscribe(&channel).await
                    } else {
                        sink.unsubscribe(&channel).await
                    };
                    if sent.is_err() {
                        break;
                    }
                }
                message = stream.next() => {
                    let Some(message) = message else { break };
                    let Some(topic) = redis_topic(PREFIX, message.get_channel_name()) else {
                        continue;
                    };
                    link.stats.received();
                    let message = BrokerMessage {
                        topic: topic.to_owned(),
                        payload: Bytes::copy_from_slice(message.get_payload_bytes()),
                    };
                    if incoming.try_send(message).is_err() {
                        link.stats.dropped();
                    }
                }
            }
        }
        link.set(&link.subscriber_up, false, "subscriber");
    }
}

/// Like [`apply`], saying whether the change was a (new) subscription
/// (`Some(true)`), a removal (`Some(false)`) or nothing new (`None`).
fn apply_change(
    change: Option<Change>,
    topics: &mut HashSet<String>,
) -> Option<(Option<bool>, String)> {
    let subscribe = matches!(change, Some(Change::Subscribe(_)));
    let (changed, topic) = apply(change, topics)?;
    Some((changed.then_some(subscribe), topic))
}
