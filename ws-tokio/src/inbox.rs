//! What one session holds of its topic subscriptions: per topic, the messages
//! published while its outbound queue was above the high-water mark, and what the
//! topic's [`SlowConsumer`] policy does with them.
//!
//! It lives in the session's `Core` (under the session's lock) as an
//! `Option<Box<Inbox>>`: `None`, and so no cost, for a session that never
//! subscribed. The driver calls [`Inbox::refill`] only when a write takes the
//! queue from above the high-water mark to below it (a step it already detects to
//! wake waiting senders), so sessions without topics pay nothing per message.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ws_frame::CloseCode;
use ws_session::{Message, Session, SharedFrame};

/// What a topic does with a subscriber that does not keep up: one whose outbound
/// queue is above its high-water mark (`outbound_high_water_mark`, 256 KiB by
/// default) when a message is published. Messages for a subscriber that keeps up
/// go straight into its queue.
#[derive(Clone, Copy, Debug)]
pub enum SlowConsumer {
    /// Keep at most `keep` messages waiting for the subscriber (beyond its
    /// queue); a newer message drops the oldest one waiting. When it catches up
    /// it gets `notice(n)` first, if given (`[skipped 3 messages]`), then the
    /// messages kept, in order. Tomcat's chat example behaves so.
    DropOldest {
        /// Most messages waiting (at least 1).
        keep: usize,
        /// The message that tells the subscriber how many it missed.
        notice: Option<fn(u64) -> Message>,
    },
    /// Close the subscriber with 1008 (policy violation) once more than
    /// `max_messages` messages or `max_bytes` bytes wait for it (beyond its
    /// queue): Tomcat's drawboard closes a member that falls 1,000 messages or
    /// 1,000,000 bytes behind. The default, with those numbers.
    Close {
        /// Most messages waiting.
        max_messages: usize,
        /// Most payload bytes waiting.
        max_bytes: usize,
    },
    /// The publisher waits until the subscriber has room (nothing is dropped; a
    /// slow subscriber slows every publisher of the topic down). Messages from
    /// other servers wait too: the broker's relay delivers one message at a time,
    /// so a slow subscriber of a `Wait` topic also delays the other topics' messages
    /// from the broker.
    Wait,
}

impl Default for SlowConsumer {
    fn default() -> Self {
        SlowConsumer::Close {
            max_messages: 1000,
            max_bytes: 1_000_000,
        }
    }
}

/// A message waiting for a subscriber: the frame of its form, or the message
/// itself for a session that encodes its own (see `ws_session::SharedForm`).
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Frame(SharedFrame),
    Own(Message),
}

impl Item {
    fn len(&self) -> usize {
        match self {
            Item::Frame(f) => f.message_len(),
            Item::Own(m) => m.as_bytes().len(),
        }
    }

    /// Queues the item in `session`.
    fn send(&self, session: &mut Session, now: Instant) -> Result<(), ws_session::SendError> {
        match self {
            Item::Frame(f) => session.send_shared(now, f),
            Item::Own(m) => session.send(now, m.clone()),
        }
    }
}

/// One subscription of the session.
#[derive(Debug)]
struct Entry {
    topic: Arc<str>,
    waiting: VecDeque<Item>,
    /// Payload bytes in `waiting`.
    bytes: usize,
    /// Messages dropped since the subscriber last caught up.
    skipped: u64,
    /// The notice for `skipped` (from the policy that dropped them).
    notice: Option<fn(u64) -> Message>,
}

/// What [`Inbox::deliver`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivered {
    /// Queued in the session.
    Queued,
    /// Kept waiting (possibly dropping an older one).
    Waiting,
    /// The subscriber passed the bound and is being closed with 1008.
    Closed,
    /// Not delivered: no such subscription, or the session refused it.
    Refused,
}

/// The session's subscriptions (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    entries: Vec<Entry>,
}

impl Inbox {
    /// Adds a subscription; `false` if it was there already.
    pub(crate) fn add(&mut self, topic: Arc<str>) -> bool {
        if self.find(&topic).is_some() {
            return false;
        }
        self.entries.push(Entry {
            topic,
            waiting: VecDeque::new(),
            bytes: 0,
            skipped: 0,
            notice: None,
        });
        true
    }

    /// Removes a subscription (and what waits for it); `false` if there was none.
    pub(crate) fn remove(&mut self, topic: &str) -> bool {
        match self.find(topic) {
            Some(i) => {
                self.entries.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// The topics subscribed to.
    pub(crate) fn topics(&self) -> impl Iterator<Item = &Arc<str>> {
        self.entries.iter().map(|e| &e.topic)
    }

    /// Whether nothing is subscribed.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, topic: &str) -> Option<usize> {
        self.entries.iter().position(|e| &*e.topic == topic)
    }

    /// Whether `topic`'s subscription can take a message right now without
    /// waiting: nothing of it waits and the queue is below its high-water mark.
    pub(crate) fn has_room(&self, session: &Session, topic: &str) -> bool {
        !session.is_above_high_water()
            && self
                .find(topic)
                .is_some_and(|i| self.entries[i].waiting.is_empty())
    }

    /// A message published on `topic`: queued if the subscriber keeps up (nothing
    /// of the topic waiting, queue below its high-water mark), else handled by
    /// `policy`. Messages of one topic reach the session in publish order.
    pub(crate) fn deliver(
        &mut self,
        session: &mut Session,
        now: Instant,
        topic: &str,
        make: impl FnOnce(&Session) -> Item,
        policy: SlowConsumer,
    ) -> Delivered {
        let Some(i) = self.find(topic) else {
            return Delivered::Refused;
        };
        let entry = &mut self.entries[i];
        let item = make(session);
        if entry.waiting.is_empty() && !session.is_above_high_water() {
            match item.send(session, now) {
                Ok(()) => return Delivered::Queued,
                Err(ws_session::SendError::QueueFull { .. }) => {}
                Err(_) => return Delivered::Refused,
            }
        }
        entry.bytes += item.len();
        entry.waiting.push_back(item);
        match policy {
            SlowConsumer::DropOldest { keep, notice } => {
                while entry.waiting.len() > keep.max(1) {
                    if let Some(old) = entry.waiting.pop_front() {
                        entry.bytes -= old.len();
                        entry.skipped += 1;
                    }
                }
                if entry.skipped > 0 {
                    entry.notice = notice;
                }
                Delivered::Waiting
            }
            SlowConsumer::Close {
                max_messages,
                max_bytes,
            } => {
                if entry.waiting.len() <= max_messages && entry.bytes <= max_bytes {
                    return Delivered::Waiting;
                }
                tracing::debug!(
                    topic,
                    waiting = entry.waiting.len(),
                    bytes = entry.bytes,
                    "topic subscriber too slow: closing with 1008"
                );
                self.entries.iter_mut().for_each(Entry::clear);
                let _ = session.abort(now, CloseCode::POLICY_VIOLATION, "too slow for its topics");
                Delivered::Closed
            }
            // The publisher waited for room (see `Topics::publish`); a message
            // that still found none waits like any other.
            SlowConsumer::Wait => Delivered::Waiting,
        }
    }

    /// The session's queue went below its high-water mark: moves waiting messages
    /// into it (each topic's notice first), until it is above the mark again.
    pub(crate) fn refill(&mut self, session: &mut Session, now: Instant) {
        for entry in &mut self.entries {
            if entry.skipped > 0 {
                let skipped = std::mem::take(&mut entry.skipped);
                if let Some(notice) = entry.notice.take() {
                    if session.send(now, notice(skipped)).is_err() {
                        return;
                    }
                }
            }
            while !session.is_above_high_water() {
                let Some(item) = entry.waiting.pop_front() else {
                    break;
                };
                match item.send(session, now) {
                    Ok(()) => entry.bytes -= item.len(),
                    Err(ws_session::SendError::QueueFull { .. }) => {
                        entry.waiting.push_front(item);
                        return;
                    }
                    // Closed: nothing more goes to this session.
                    Err(_) => return,
                }
            }
            if session.is_above_high_water() {
                return;
            }
        }
    }
}

impl Entry {
    fn clear(&mut self) {
        self.waiting.clear();
        self.bytes = 0;
        self.skipped = 0;
    }
}
