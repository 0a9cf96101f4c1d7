//! The [`Broker`] trait: how the topics of several servers meet (publish,
//! subscribe, unsubscribe, a stream of incoming messages), with the status a
//! health check reports; and [`InProcessBroker`], which links the [`Topics`] of
//! several servers in one process.
//!
//! Implementations for Redis pub/sub and NATS live in the `ws-broker` crate, so
//! this crate depends on no broker client.
//!
//! [`Topics`]: crate::Topics

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::Stream;
use tokio::sync::mpsc;

/// One message from the broker: the topic it was published on and the bytes as
/// published (the topics' envelope: origin node, kind, payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerMessage {
    /// The topic.
    pub topic: String,
    /// The published bytes.
    pub payload: Bytes,
}

/// The stream of incoming messages of a [`Broker`].
pub type BrokerStream = Pin<Box<dyn Stream<Item = BrokerMessage> + Send>>;

/// A message broker between servers (Redis pub/sub, NATS subjects, or
/// [`InProcessBroker`]). The [`Topics`](crate::Topics) of a server relay every
/// publish through it and subscribe on it to the topics that have local
/// subscribers.
///
/// Every method returns at once: an implementation queues the command for its
/// own connection task, which reconnects with backoff when the broker goes away
/// and subscribes again to every topic subscribed. Delivery is **at most once**
/// (Redis pub/sub and NATS core are): messages published while the connection is
/// down, or that overflow the implementation's bounded queues, are dropped and
/// counted ([`BrokerStatus::dropped`]).
pub trait Broker: Send + Sync + 'static {
    /// Publishes `payload` on `topic` to every node subscribed to it (this one
    /// included, if subscribed: the topics skip their own messages).
    fn publish(&self, topic: &str, payload: Bytes);

    /// Starts receiving `topic`'s messages (idempotent).
    fn subscribe(&self, topic: &str);

    /// Stops receiving `topic`'s messages.
    fn unsubscribe(&self, topic: &str);

    /// The stream of messages of the subscribed topics: handed out once (`None`
    /// afterwards). It ends when the broker is dropped.
    fn messages(&self) -> Option<BrokerStream>;

    /// The connection's state and counters.
    fn status(&self) -> BrokerStatus;
}

/// Where a broker connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerState {
    /// Connected: publishes go out, subscriptions deliver.
    Connected,
    /// Not (yet, or no longer) connected: trying again with backoff. Publishes
    /// are dropped meanwhile; local delivery goes on.
    Connecting,
}

impl BrokerState {
    /// `connected` or `connecting`.
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerState::Connected => "connected",
            BrokerState::Connecting => "connecting",
        }
    }
}

/// A broker's state and counters, for logs and health checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerStatus {
    /// `in-process`, `redis`, `nats`...
    pub kind: &'static str,
    /// Where it connects (`redis://127.0.0.1:6379`), without credentials.
    pub address: String,
    /// The connection's state.
    pub state: BrokerState,
    /// Messages handed to the broker.
    pub published: u64,
    /// Messages received from the broker.
    pub received: u64,
    /// Messages dropped: published while disconnected, or past a bounded queue.
    pub dropped: u64,
    /// Connections made after the first (reconnects).
    pub reconnects: u64,
}

/// Thread-safe counters and state behind a [`BrokerStatus`], for implementations.
#[derive(Debug, Default)]
pub struct BrokerStats {
    state: AtomicU8,
    published: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    connects: AtomicU64,
}

impl BrokerStats {
    /// Counts a message handed to the broker.
    pub fn published(&self) {
        self.published.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message received.
    pub fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message dropped.
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the connection's state (counting connections).
    pub fn set_state(&self, state: BrokerState) {
        let code = match state {
            BrokerState::Connecting => 0,
            BrokerState::Connected => 1,
        };
        if self.state.swap(code, Ordering::AcqRel) != code && code == 1 {
            self.connects.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The connection's state.
    pub fn state(&self) -> BrokerState {
        match self.state.load(Ordering::Acquire) {
            1 => BrokerState::Connected,
            _ => BrokerState::Connecting,
        }
    }

    /// The status, with this kind and address.
    pub fn status(&self, kind: &'static str, address: &str) -> BrokerStatus {
        BrokerStatus {
            kind,
            address: address.to_owned(),
            state: self.state(),
            published: self.published.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            reconnects: self.connects.load(Ordering::Relaxed).saturating_sub(1),
        }
    }
}

/// Messages a node of an [`InProcessBroker`] may have waiting; more are dropped.
const IN_PROCESS_QUEUE: usize = 4096;

/// One node attached to the hub.
struct Node {
    id: u64,
    topics: HashSet<String>,
    tx: mpsc::Sender<BrokerMessage>,
    stats: Arc<BrokerStats>,
}

/// The nodes of one in-process hub.
#[derive(Default)]
struct Hub {
    nodes: Mutex<Vec<Node>>,
    next: AtomicU64,
}

/// A broker inside one process: several [`Topics`](crate::Topics) (several
/// servers in one process, or tests) attached to one hub relay to each other as
/// they would through Redis or NATS, with the same at-most-once rule (a node's
/// queue holds 4096 messages; more are dropped and counted).
///
/// ```
/// use ws_tokio::{InProcessBroker, Topics};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let hub = InProcessBroker::hub();
/// let a = Topics::with_broker(hub.attach());
/// let b = Topics::with_broker(hub.attach());
/// assert_ne!(a.node_id(), b.node_id());
/// # }
/// ```
pub struct InProcessBroker {
    hub: Arc<Hub>,
    id: u64,
    rx: Mutex<Option<mpsc::Receiver<BrokerMessage>>>,
    stats: Arc<BrokerStats>,
}

/// A hub that [`InProcessBroker`]s attach to.
#[derive(Clone, Default)]
pub struct InProcessHub {
    hub: Arc<Hub>,
}

impl std::fmt::Debug for InProcessHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessHub").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for InProcessBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessBroker")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl InProcessBroker {
    /// A new hub.
    pub fn hub() -> InProcessHub {
        InProcessHub::default()
    }
}

impl InProcessHub {
    /// A broker for one more node of this hub.
    pub fn attach(&self) -> Arc<InProcessBroker> {
        let (tx, rx) = mpsc::channel(IN_PROCESS_QUEUE);
        let id = self.hub.next.fetch_add(1, Ordering::Relaxed);
        let stats = Arc::new(BrokerStats::default());
        stats.set_state(BrokerState::Connected);
        self.hub.lock().push(Node {
            id,
            topics: HashSet::new(),
            tx,
            stats: Arc::clone(&stats),
        });
        Arc::new(InProcessBroker {
            hub: Arc::clone(&self.hub),
            id,
            rx: Mutex::new(Some(rx)),
            stats,
        })
    }
}

impl InProcessBroker {
    /// The topics this node is subscribed to on the hub, sorted.
    pub fn subscriptions(&self) -> Vec<String> {
        let nodes = self.hub.lock();
        let mut topics: Vec<String> = nodes
            .iter()
            .find(|n| n.id == self.id)
            .map(|n| n.topics.iter().cloned().collect())
            .unwrap_or_default();
        topics.sort();
        topics
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Node>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for InProcessBroker {
    fn drop(&mut self) {
        // Dropping the node's sender ends its stream.
        self.hub.lock().retain(|n| n.id != self.id);
    }
}

impl Broker for InProcessBroker {
    fn publish(&self, topic: &str, payload: Bytes) {
        self.stats.published();
        for node in self.hub.lock().iter() {
            if !node.topics.contains(topic) {
                continue;
            }
            let message = BrokerMessage {
                topic: topic.to_owned(),
                payload: payload.clone(),
            };
            match node.tx.try_send(message) {
                Ok(()) => node.stats.received(),
                Err(_) => node.stats.dropped(),
            }
        }
    }

    fn subscribe(&self, topic: &str) {
        if let Some(node) = self.hub.lock().iter_mut().find(|n| n.id == self.id) {
            node.topics.insert(topic.to_owned());
        }
    }

    fn unsubscribe(&self, topic: &str) {
        if let Some(node) = self.hub.lock().iter_mut().find(|n| n.id == self.id) {
            node.topics.remove(topic);
        }
    }

    fn messages(&self) -> Option<BrokerStream> {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|m| (m, rx))
        })))
    }

    fn status(&self) -> BrokerStatus {
        self.stats.status("in-process", "in-process")
    }
}
