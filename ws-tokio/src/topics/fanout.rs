//! Delivering one published message to a topic's local subscribers: each form of
//! the message is encoded once ([`Frames`]) and queued in every session that takes
//! that form; slow subscribers are handled by the topic's policy.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use ws_session::{Message, Session, SharedCompressor, SharedForm, SharedFrame};

use crate::inbox::{Delivered, Item, SlowConsumer};
use crate::shared::{Core, Shared};
use crate::topics::registry::{Counters, Topic};

/// The forms of one message, each encoded at most once, when first needed.
struct Frames<'a> {
    message: &'a Message,
    plain: Option<SharedFrame>,
    deflated: Vec<SharedFrame>,
    compressors: &'a Mutex<Vec<SharedCompressor>>,
    /// Copies for sessions that encode the message themselves.
    own: u64,
}

impl<'a> Frames<'a> {
    fn new(message: &'a Message, compressors: &'a Mutex<Vec<SharedCompressor>>) -> Self {
        Frames {
            message,
            plain: None,
            deflated: Vec::new(),
            compressors,
            own: 0,
        }
    }

    /// Adds what was encoded to `counters`.
    fn count(&self, counters: &Counters) {
        Counters::add(&counters.plain_frames, u64::from(self.plain.is_some()));
        Counters::add(&counters.deflated_frames, self.deflated.len() as u64);
        Counters::add(&counters.own_encodings, self.own);
    }

    /// The message in the form `session` takes.
    fn item(&mut self, session: &Session) -> Item {
        match session.shared_form(self.message.as_bytes().len()) {
            SharedForm::Plain => Item::Frame(
                self.plain
                    .get_or_insert_with(|| SharedFrame::plain(self.message))
                    .clone(),
            ),
            SharedForm::Deflated(params) => {
                let form = SharedForm::Deflated(params);
                if let Some(frame) = self.deflated.iter().find(|f| f.form() == form) {
                    return Item::Frame(frame.clone());
                }
                let frame = {
                    let mut pool = self.compressors.lock().unwrap_or_else(|e| e.into_inner());
                    let at = match pool.iter().position(|c| c.params() == params) {
                        Some(at) => at,
                        None => {
                            pool.push(SharedCompressor::new(params));
                            pool.len() - 1
                        }
                    };
                    pool[at].compress(self.message)
                };
                self.deflated.push(frame.clone());
                Item::Frame(frame)
            }
            // Encoded by the session itself (context takeover, client, fragments).
            _ => {
                self.own += 1;
                Item::Own(self.message.clone())
            }
        }
    }
}

/// Delivers into one locked session: its inbox decides (see `inbox.rs`).
fn deliver(
    core: &mut Core,
    now: Instant,
    topic: &str,
    frames: &mut Frames<'_>,
    policy: SlowConsumer,
) -> Delivered {
    let Core { session, inbox, .. } = core;
    match inbox.as_deref_mut() {
        Some(inbox) => inbox.deliver(session, now, topic, |s| frames.item(s), policy),
        None => Delivered::Refused,
    }
}

/// Hands `message` to the topic's listeners in server code (a full queue drops
/// it: at most once, bounded); how many took it.
fn listeners(listeners: &[(u64, mpsc::Sender<Message>)], message: &Message) -> usize {
    listeners
        .iter()
        .filter(|(_, tx)| tx.try_send(message.clone()).is_ok())
        .count()
}

/// Wakes a subscriber's driver after a delivery, unless it is handing out events
/// right now (it writes right after: the publisher is its own callback).
fn wake(shared: &Shared, core: std::sync::MutexGuard<'_, Core>) {
    let driving = core.is_driving();
    drop(core);
    if !driving {
        shared.wake.notify();
    }
}

/// Fans `message` out to `topic`'s subscribers without waiting (policies other
/// than [`SlowConsumer::Wait`]), under the topic's lock: every subscriber of this
/// node sees the topic's messages in one order. Returns how many subscribers got
/// it (queued or waiting).
pub(crate) fn now(
    topic: &Topic,
    message: &Message,
    compressors: &Mutex<Vec<SharedCompressor>>,
    counters: &Counters,
) -> usize {
    let state = topic.lock();
    let policy = state.policy;
    let mut frames = Frames::new(message, compressors);
    let now = Instant::now();
    let mut count = 0;
    let mut closed = 0;
    for shared in &state.subs {
        let mut core = shared.lock();
        if !core.accepts_sends() {
            continue;
        }
        match deliver(&mut core, now, &topic.name, &mut frames, policy) {
            Delivered::Queued | Delivered::Waiting => count += 1,
            Delivered::Closed => closed += 1,
            Delivered::Refused => {}
        }
        wake(shared, core);
    }
    count += listeners(&state.listeners, message);
    drop(state);
    frames.count(counters);
    Counters::add(&counters.delivered, count as u64);
    Counters::add(&counters.closed_slow, closed);
    count
}

/// Fans `message` out under [`SlowConsumer::Wait`]: the subscribers as they are
/// now, one after the other, each as soon as it has room.
pub(crate) async fn waiting(
    topic: &Topic,
    message: &Message,
    compressors: &Mutex<Vec<SharedCompressor>>,
    counters: &Counters,
) -> usize {
    let (subs, heard): (Vec<Arc<Shared>>, usize) = {
        let state = topic.lock();
        (state.subs.clone(), listeners(&state.listeners, message))
    };
    let mut frames = Frames::new(message, compressors);
    let mut count = heard;
    for shared in subs {
        loop {
            // Registered before the check, so a drain in between is not missed.
            let notified = shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let done = {
                let mut core = shared.lock();
                let room = core
                    .inbox
                    .as_deref()
                    .map(|inbox| inbox.has_room(&core.session, &topic.name));
                match room {
                    _ if !core.accepts_sends() => true,
                    None => true,
                    Some(true) => {
                        let now = Instant::now();
                        let delivered =
                            deliver(&mut core, now, &topic.name, &mut frames, SlowConsumer::Wait);
                        if matches!(delivered, Delivered::Queued | Delivered::Waiting) {
                            count += 1;
                        }
                        wake(&shared, core);
                        true
                    }
                    Some(false) => false,
                }
            };
            if done {
                break;
            }
            notified.await;
        }
    }
    frames.count(counters);
    Counters::add(&counters.delivered, count as u64);
    count
}
