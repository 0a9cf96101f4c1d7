//! The topics that have local subscribers, each with its subscribers and policy;
//! subscribing, unsubscribing and leaving every topic at close.
//!
//! Lock order: the map, then a topic's state, then a session's core. A session's
//! core is never held while a topic is locked from the other side: leaving takes
//! the session's subscriptions out of its core first, then visits the topics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::sync::mpsc;
use ws_session::{Message, SharedCompressor};

use crate::error::Error;
use crate::inbox::SlowConsumer;
use crate::shared::Shared;
use crate::topics::broker::Broker;

/// Everything a server's [`Topics`](crate::Topics) share.
pub(crate) struct Registry {
    /// This node's id in envelopes (random per process and registry).
    pub(crate) node: u64,
    map: RwLock<HashMap<Arc<str>, Arc<Topic>>>,
    /// Policies by pattern (exact name, or a prefix ending in `*`), newest first.
    policies: RwLock<Vec<(String, SlowConsumer)>>,
    /// Compressors for deflated shared frames, one per parameter set.
    pub(crate) compressors: Mutex<Vec<SharedCompressor>>,
    pub(crate) broker: Option<Arc<dyn Broker>>,
    pub(crate) counters: Counters,
    next_listener: AtomicU64,
}

/// What the fan-out did so far (see [`TopicStats`](crate::topics::TopicStats)).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) plain_frames: AtomicU64,
    pub(crate) deflated_frames: AtomicU64,
    pub(crate) own_encodings: AtomicU64,
    pub(crate) closed_slow: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// One topic with local subscribers.
pub(crate) struct Topic {
    pub(crate) name: Arc<str>,
    state: Mutex<TopicState>,
}

/// A topic's subscribers and policy.
pub(crate) struct TopicState {
    /// The subscribers' sessions, in subscription order (swap-removed).
    pub(crate) subs: Vec<Arc<Shared>>,
    /// Session id -> index in `subs`.
    index: HashMap<u64, usize>,
    pub(crate) policy: SlowConsumer,
    /// Listeners in server code ([`Topics::listen`](crate::Topics::listen)): id
    /// and channel.
    pub(crate) listeners: Vec<(u64, mpsc::Sender<Message>)>,
    /// Removed from the map (its last subscriber left): subscribe again afresh.
    dead: bool,
}

impl TopicState {
    /// Whether nothing on this node listens to the topic any more.
    fn is_unused(&self) -> bool {
        self.subs.is_empty() && self.listeners.is_empty()
    }
}

impl Topic {
    pub(crate) fn lock(&self) -> MutexGuard<'_, TopicState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A random 64-bit id without a random number generator dependency: the standard
/// library seeds every `RandomState` from the operating system's randomness.
fn random_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish()
}

fn matches(pattern: &str, topic: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => topic.starts_with(prefix),
        None => pattern == topic,
    }
}

impl Registry {
    pub(crate) fn new(broker: Option<Arc<dyn Broker>>) -> Registry {
        Registry {
            node: random_id(),
            map: RwLock::new(HashMap::new()),
            policies: RwLock::new(Vec::new()),
            compressors: Mutex::new(Vec::new()),
            broker,
            counters: Counters::default(),
            next_listener: AtomicU64::new(1),
        }
    }

    /// The topic, if it has local subscribers.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<Topic>> {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Names of the topics with local subscribers.
    pub(crate) fn names(&self) -> Vec<String> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.keys().map(|k| k.to_string()).collect()
    }

    /// The policy for `topic`: the newest pattern that matches, else the default.
    pub(crate) fn policy_for(&self, topic: &str) -> SlowConsumer {
        let policies = self.policies.read().unwrap_or_else(|e| e.into_inner());
        policies
            .iter()
            .find(|(p, _)| matches(p, topic))
            .map(|(_, policy)| *policy)
            .unwrap_or_default()
    }

    /// Sets the policy of the topics `pattern` names, present and future.
    pub(crate) fn set_policy(&self, pattern: &str, policy: SlowConsumer) {
        self.policies
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(0, (pattern.to_owned(), policy));
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        for topic in map.values().filter(|t| matches(pattern, &t.name)) {
            topic.lock().policy = policy;
        }
    }

    /// The topic, created (and subscribed on the broker) if it has no local
    /// subscriber yet.
    fn get_or_create(&self, name: &str) -> Arc<Topic> {
        if let Some(topic) = self.get(name) {
            return topic;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if let Some(topic) = map.get(name) {
            return Arc::clone(topic);
        }
        let name: Arc<str> = name.into();
        let topic = Arc::new(Topic {
            name: Arc::clone(&name),
            state: Mutex::new(TopicState {
                subs: Vec::new(),
                listeners: Vec::new(),
                index: HashMap::new(),
                policy: self.policy_for(&name),
                dead: false,
            }),
        });
        map.insert(name, Arc::clone(&topic));
        // Under the map's lock, so the broker sees subscribes and unsubscribes of
        // one topic in the order they happen here.
        if let Some(broker) = &self.broker {
            broker.subscribe(&topic.name);
        }
        topic
    }

    /// Subscribes the session to `name`; `Ok(false)` if it already was.
    pub(crate) fn subscribe(&self, shared: &Arc<Shared>, name: &str) -> Result<bool, Error> {
        loop {
            let topic = self.get_or_create(name);
            let mut state = topic.lock();
            if state.dead {
                continue;
            }
            if state.index.contains_key(&shared.id) {
                return Ok(false);
            }
            {
                let mut core = shared.lock();
                if !core.accepts_sends() {
                    let error = core.closed_error();
                    drop(core);
                    let empty = state.is_unused();
                    drop(state);
                    if empty {
                        self.remove_if_empty(&topic);
                    }
                    return Err(error);
                }
                core.inbox
                    .get_or_insert_with(Default::default)
                    .add(Arc::clone(&topic.name));
            }
            let at = state.subs.len();
            state.index.insert(shared.id, at);
            state.subs.push(Arc::clone(shared));
            return Ok(true);
        }
    }

    /// Unsubscribes the session from `name`; `false` if it was not subscribed.
    pub(crate) fn unsubscribe(&self, shared: &Shared, name: &str) -> bool {
        let removed = {
            let mut core = shared.lock();
            let removed = core.inbox.as_mut().is_some_and(|i| i.remove(name));
            if core.inbox.as_ref().is_some_and(|i| i.is_empty()) {
                core.inbox = None;
            }
            removed
        };
        if removed {
            self.leave(shared.id, name);
        }
        removed
    }

    /// Takes the session out of every topic it subscribed to (it closed).
    pub(crate) fn leave_all(&self, shared: &Shared) {
        let Some(inbox) = shared.lock().inbox.take() else {
            return;
        };
        for name in inbox.topics() {
            self.leave(shared.id, name);
        }
    }

    /// Takes session `id` out of topic `name`'s subscribers.
    fn leave(&self, id: u64, name: &str) {
        let Some(topic) = self.get(name) else {
            return;
        };
        let empty = {
            let mut state = topic.lock();
            if let Some(i) = state.index.remove(&id) {
                state.subs.swap_remove(i);
                if let Some(moved) = state.subs.get(i) {
                    let moved = moved.id;
                    state.index.insert(moved, i);
                }
            }
            state.is_unused()
        };
        if empty {
            self.remove_if_empty(&topic);
        }
    }

    /// Adds a listener on `name` with a queue of `capacity` messages; its id and
    /// receiver.
    pub(crate) fn listen(&self, name: &str, capacity: usize) -> (u64, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let id = self.next_listener.fetch_add(1, Ordering::Relaxed);
        loop {
            let topic = self.get_or_create(name);
            let mut state = topic.lock();
            if state.dead {
                continue;
            }
            state.listeners.push((id, tx));
            return (id, rx);
        }
    }

    /// Removes listener `id` of `name`.
    pub(crate) fn unlisten(&self, name: &str, id: u64) {
        let Some(topic) = self.get(name) else {
            return;
        };
        let empty = {
            let mut state = topic.lock();
            state.listeners.retain(|(l, _)| *l != id);
            state.is_unused()
        };
        if empty {
            self.remove_if_empty(&topic);
        }
    }

    /// Drops a topic whose last local subscriber left (and unsubscribes on the
    /// broker), unless someone subscribed meanwhile.
    fn remove_if_empty(&self, topic: &Arc<Topic>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let mut state = topic.lock();
        if !state.is_unused() || state.dead {
            return;
        }
        state.dead = true;
        if map.get(&topic.name).is_some_and(|t| Arc::ptr_eq(t, topic)) {
            map.remove(&topic.name);
            if let Some(broker) = &self.broker {
                broker.unsubscribe(&topic.name);
            }
        }
    }
}
