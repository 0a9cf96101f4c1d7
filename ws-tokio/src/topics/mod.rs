//! Topics: publish once, deliver to every subscribed session, on this server and,
//! through a [`Broker`], on the others.
//!
//! A session subscribes with [`SessionHandle::subscribe`](crate::SessionHandle::subscribe)
//! (from any task, or from its callbacks) and leaves with
//! [`unsubscribe`](crate::SessionHandle::unsubscribe); when it closes it leaves
//! every topic before `on_close` runs. Anyone holding the [`Topics`] (a server
//! hands it out) or a session handle publishes.
//!
//! # Encode once
//!
//! A server frame is unmasked, so one encoding serves every subscriber: a publish
//! encodes the plain frame once, and once more per set of deflate parameters of
//! subscribers that negotiated `server_no_context_takeover` (they share one
//! compressed frame per window and level); the frame is queued in each session
//! without a copy for large messages (`ws_session::SharedFrame`). Subscribers whose
//! compressor keeps its context compress the message themselves.
//!
//! # Slow subscribers
//!
//! Publishing never waits on a subscriber (unless its topic's policy is
//! [`SlowConsumer::Wait`]): a message for a session whose queue is above its
//! high-water mark (`outbound_high_water_mark`) waits beside it, and the topic's
//! [`SlowConsumer`] policy bounds what waits: drop the oldest and tell the
//! subscriber how many it missed, or close it with 1008 past a bound of messages
//! or bytes (the default: 1,000 messages or 1,000,000 bytes), or make the
//! publisher wait. The waiting messages move into the queue as the driver drains
//! it below the mark. Set policies with [`Topics::set_policy`] before
//! subscribers come (a topic's policy applies to the messages published after).
//!
//! # Order
//!
//! Per publisher, per topic: messages one publisher publishes on one topic reach
//! every subscriber in the order published (one task's publishes, or one
//! thread's). On one node every subscriber of a topic even sees the same order
//! for all publishers of that node, since the fan-out holds the topic. Across
//! nodes, messages of different nodes may interleave differently on each node.
//! Nothing orders topic messages against a session's own sends, nor messages of
//! different topics, once a subscriber is slow.
//!
//! # Across servers
//!
//! [`Topics::with_broker`] relays every publish through the broker and subscribes
//! on it to exactly the topics that have local subscribers (the first local
//! subscriber subscribes, the last one to leave unsubscribes). A message comes
//! back from the broker to the node that published it only to be skipped (each
//! node has a random id in the envelope), so it is delivered there once, locally,
//! at once. Broker delivery is at most once (Redis pub/sub and NATS core are):
//! while a broker is unreachable its implementation reconnects with backoff, each
//! server goes on delivering its own publishes to its own subscribers, and what is
//! published meanwhile does not reach the other servers (it is dropped and
//! counted, never replayed). A client connected to another server than the
//! publisher misses those messages and sees nothing else: no error, no close.

mod broker;
mod envelope;
mod fanout;
mod registry;
mod relay;

use std::sync::Arc;

use ws_session::Message;

pub use broker::{
    Broker, BrokerMessage, BrokerState, BrokerStats, BrokerStatus, BrokerStream, InProcessBroker,
    InProcessHub,
};

use crate::error::Error;
use crate::inbox::SlowConsumer;
use crate::shared::Shared;
use registry::{Counters, Registry};

/// A listener on one topic in server code ([`Topics::listen`]); a `Stream` of the
/// messages published on it. Dropping it stops listening.
pub struct TopicListener {
    topics: Topics,
    topic: String,
    id: u64,
    rx: tokio::sync::mpsc::Receiver<Message>,
}

impl std::fmt::Debug for TopicListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicListener")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl TopicListener {
    /// The next message published on the topic.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// The next message if one is waiting (no waiting).
    pub fn try_recv(&mut self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// The topic listened to.
    pub fn topic(&self) -> &str {
        &self.topic
    }
}

impl futures::Stream for TopicListener {
    type Item = Message;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Message>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for TopicListener {
    fn drop(&mut self) {
        self.topics.inner.unlisten(&self.topic, self.id);
    }
}

/// What a node's topics did since they were made: messages published here,
/// deliveries to local subscribers, and the encodings the fan-out made (one plain
/// frame per message at most, one deflated frame per parameter set, and one copy
/// per subscriber that compresses with context takeover).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TopicStats {
    /// Messages published on this node.
    pub published: u64,
    /// Messages queued (or kept waiting) for local subscribers, broker deliveries
    /// included.
    pub delivered: u64,
    /// Plain shared frames encoded.
    pub plain_frames: u64,
    /// Deflated shared frames encoded (one per publish and parameter set).
    pub deflated_frames: u64,
    /// Messages handed to a session to encode itself (context takeover, fragments).
    pub own_encodings: u64,
    /// Subscribers closed with 1008 for passing their topic's bound.
    pub closed_slow: u64,
}

/// A server's topics (see the [module docs](self)): cheap to clone, all clones the
/// same registry.
///
/// ```
/// use ws_tokio::{SlowConsumer, Topics};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let topics = Topics::new();
/// topics.set_policy("chat", SlowConsumer::DropOldest { keep: 10, notice: None });
/// // Nobody subscribed yet: delivered to no one.
/// assert_eq!(topics.publish("chat", "hello").await, 0);
/// # }
/// ```
#[derive(Clone)]
pub struct Topics {
    inner: Arc<Registry>,
}

impl std::fmt::Debug for Topics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topics")
            .field("node", &self.inner.node)
            .field("broker", &self.broker_status())
            .finish_non_exhaustive()
    }
}

impl Default for Topics {
    fn default() -> Self {
        Topics::new()
    }
}

impl Topics {
    /// Topics of this process alone (no broker, no setup).
    pub fn new() -> Topics {
        Topics {
            inner: Arc::new(Registry::new(None)),
        }
    }

    /// Topics relayed through `broker` to the other servers using it. Starts the
    /// task that delivers the broker's messages here: call it inside a tokio
    /// runtime.
    pub fn with_broker(broker: Arc<dyn Broker>) -> Topics {
        let stream = broker.messages();
        let inner = Arc::new(Registry::new(Some(broker)));
        if let Some(stream) = stream {
            tokio::spawn(relay::run(Arc::downgrade(&inner), stream));
        } else {
            tracing::warn!("broker gave no message stream (already taken): publishing only");
        }
        Topics { inner }
    }

    /// This node's id in the messages it relays.
    pub fn node_id(&self) -> u64 {
        self.inner.node
    }

    /// The broker's status, if there is a broker.
    pub fn broker_status(&self) -> Option<BrokerStatus> {
        self.inner.broker.as_ref().map(|b| b.status())
    }

    /// Sets the slow-consumer policy of the topics `pattern` names: an exact topic
    /// name, or a prefix ending in `*` (`rooms/*`; `*` alone for all). The newest
    /// matching pattern wins; topics no pattern matches have
    /// [`SlowConsumer::default`].
    pub fn set_policy(&self, pattern: &str, policy: SlowConsumer) {
        self.inner.set_policy(pattern, policy);
    }

    /// The policy `topic` has (or would have).
    pub fn policy(&self, topic: &str) -> SlowConsumer {
        self.inner.policy_for(topic)
    }

    /// Publishes `message` on `topic`: relayed to the other servers (with a
    /// broker) and queued for every subscriber here. Returns how many local
    /// subscribers got it (queued, or waiting under their topic's policy).
    ///
    /// Never waits on a subscriber, unless the topic's policy is
    /// [`SlowConsumer::Wait`]. Cancelling the future of a `Wait` topic's publish
    /// leaves the subscribers not reached yet without the message.
    pub async fn publish(&self, topic: &str, message: impl Into<Message>) -> usize {
        let message = message.into();
        Counters::add(&self.inner.counters.published, 1);
        if let Some(broker) = &self.inner.broker {
            broker.publish(topic, envelope::encode(self.inner.node, &message));
        }
        self.deliver_local(topic, &message).await
    }

    /// Delivers to this node's subscribers only.
    async fn deliver_local(&self, topic: &str, message: &Message) -> usize {
        let Some(topic) = self.inner.get(topic) else {
            return 0;
        };
        let policy = topic.lock().policy;
        let (compressors, counters) = (&self.inner.compressors, &self.inner.counters);
        if matches!(policy, SlowConsumer::Wait) {
            fanout::waiting(&topic, message, compressors, counters).await
        } else {
            fanout::now(&topic, message, compressors, counters)
        }
    }

    /// What the topics did so far (see [`TopicStats`]).
    pub fn stats(&self) -> TopicStats {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.inner.counters;
        TopicStats {
            published: c.published.load(Relaxed),
            delivered: c.delivered.load(Relaxed),
            plain_frames: c.plain_frames.load(Relaxed),
            deflated_frames: c.deflated_frames.load(Relaxed),
            own_encodings: c.own_encodings.load(Relaxed),
            closed_slow: c.closed_slow.load(Relaxed),
        }
    }

    /// Listens to `topic` from server code (no session): every message published
    /// on it, here or (with a broker) on another server, is handed to the returned
    /// [`TopicListener`] until it is dropped. It holds up to `capacity` messages;
    /// more are dropped (at most once, like the broker). A listener counts as a
    /// local subscriber: the topic is subscribed on the broker while it lives.
    pub fn listen(&self, topic: &str, capacity: usize) -> TopicListener {
        let (id, rx) = self.inner.listen(topic, capacity);
        TopicListener {
            topics: self.clone(),
            topic: topic.to_owned(),
            id,
            rx,
        }
    }

    /// How many sessions of this node subscribe to `topic` (listeners not
    /// counted).
    pub fn subscribers(&self, topic: &str) -> usize {
        self.inner.get(topic).map_or(0, |t| t.lock().subs.len())
    }

    /// The topics with subscribers on this node.
    pub fn topics(&self) -> Vec<String> {
        self.inner.names()
    }

    pub(crate) fn subscribe(&self, shared: &Arc<Shared>, topic: &str) -> Result<bool, Error> {
        self.inner.subscribe(shared, topic)
    }

    pub(crate) fn unsubscribe(&self, shared: &Shared, topic: &str) -> bool {
        self.inner.unsubscribe(shared, topic)
    }

    pub(crate) fn leave_all(&self, shared: &Shared) {
        self.inner.leave_all(shared);
    }
}
