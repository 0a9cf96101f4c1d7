//! The chat room (`/chat`): every message goes to everyone, HTML-escaped, as
//! `Guest7: text`; joins and departures are announced.
//!
//! Each member has a writer task that sends one message at a time and waits until it
//! is written (a flushed send). Messages broadcast while a member's send is in
//! progress wait in its [`Backlog`] of at most [`BACKLOG_LIMIT`] messages; when a slow
//! member's backlog would overflow, the backlog is dropped and the member is told
//! `[skipped N messages]` before the next message, as in Tomcat's chat example. A slow
//! member never slows the others down.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use ws_server::{CloseInfo, Endpoint, Message, SessionHandle};

use super::escape::html_escape;

/// Messages a member may have waiting (Tomcat's chat: 10).
pub const BACKLOG_LIMIT: usize = 10;

/// The messages waiting for one member, bounded.
#[derive(Debug)]
pub struct Backlog {
    queue: VecDeque<String>,
    skipped: usize,
    limit: usize,
}

impl Backlog {
    /// An empty backlog holding at most `limit` messages.
    pub fn new(limit: usize) -> Self {
        Backlog {
            queue: VecDeque::new(),
            skipped: 0,
            limit,
        }
    }

    /// Queues `message`; if the backlog is full, drops everything waiting (counting
    /// it as skipped) and keeps only `message`.
    pub fn push(&mut self, message: String) {
        if self.queue.len() >= self.limit {
            self.skipped += self.queue.len();
            self.queue.clear();
        }
        self.queue.push_back(message);
    }

    /// The next message to send: the `[skipped N messages]` notice first if messages
    /// were dropped, then the waiting messages in order.
    pub fn pop(&mut self) -> Option<String> {
        if self.skipped > 0 {
            let n = std::mem::take(&mut self.skipped);
            let s = if n == 1 { "" } else { "s" };
            return Some(format!("[skipped {n} message{s}]"));
        }
        self.queue.pop_front()
    }

    /// Messages waiting (the notice not counted).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queue.len()
    }
}

/// One member of the room: the session's state, also stored in its properties.
#[derive(Clone)]
pub struct Member(Arc<MemberState>);

struct MemberState {
    name: String,
    backlog: Mutex<Backlog>,
    /// Wakes the writer task (a message was queued, or the member left).
    wake: Notify,
}

impl Member {
    fn deliver(&self, message: &str) {
        self.0
            .backlog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message.to_owned());
        self.0.wake.notify_one();
    }

    fn next(&self) -> Option<String> {
        self.0
            .backlog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
    }
}

/// The chat endpoint: one room for everyone connected to it.
#[derive(Default)]
pub struct Chat {
    next_guest: AtomicU64,
}

/// Sends `text` to every member of the room `session` is in.
fn broadcast(session: &SessionHandle, text: &str) {
    for peer in session.open_sessions() {
        if let Some(member) = peer.properties().get::<Member>() {
            member.deliver(text);
        }
    }
}

/// Sends a member's backlog, one flushed message at a time, until the session ends.
async fn writer(session: SessionHandle, member: Member) {
    loop {
        while let Some(text) = member.next() {
            if session.send_flushed(Message::Text(text)).await.is_err() {
                return;
            }
        }
        if !session.is_open() {
            return;
        }
        member.0.wake.notified().await;
    }
}

impl Endpoint for Chat {
    /// The member (also in the session's properties, where broadcasts find it).
    type State = Member;

    async fn on_open(&self, session: &SessionHandle) -> Member {
        let name = format!("Guest{}", self.next_guest.fetch_add(1, Ordering::Relaxed));
        let member = Member(Arc::new(MemberState {
            name: name.clone(),
            backlog: Mutex::new(Backlog::new(BACKLOG_LIMIT)),
            wake: Notify::new(),
        }));
        session.properties().insert(member.clone());
        tokio::spawn(writer(session.clone(), member.clone()));
        broadcast(session, &format!("* {name} has joined."));
        member
    }

    async fn on_message(&self, member: &mut Member, session: &SessionHandle, message: Message) {
        let Message::Text(text) = message else {
            return;
        };
        let line = format!("{}: {}", member.0.name, html_escape(&text));
        broadcast(session, &line);
    }

    async fn on_close(&self, member: &mut Member, session: &SessionHandle, _close: &CloseInfo) {
        session.properties().remove::<Member>();
        member.0.wake.notify_one();
        broadcast(session, &format!("* {} has disconnected.", member.0.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(b: &mut Backlog) -> Vec<String> {
        std::iter::from_fn(|| b.pop()).collect()
    }

    #[test]
    fn messages_come_out_in_order() {
        let mut b = Backlog::new(BACKLOG_LIMIT);
        for i in 0..BACKLOG_LIMIT {
            b.push(format!("m{i}"));
        }
        assert_eq!(b.len(), BACKLOG_LIMIT);
        let expected: Vec<String> = (0..BACKLOG_LIMIT).map(|i| format!("m{i}")).collect();
        assert_eq!(drain(&mut b), expected);
        assert_eq!(b.pop(), None);
    }

    #[test]
    fn overflow_drops_the_backlog_and_reports_the_count() {
        let mut b = Backlog::new(BACKLOG_LIMIT);
        for i in 0..=BACKLOG_LIMIT {
            b.push(format!("m{i}"));
        }
        // The 11th message dropped the ten waiting ones and is kept.
        assert_eq!(b.len(), 1);
        assert_eq!(drain(&mut b), ["[skipped 10 messages]", "m10"]);
    }

    #[test]
    fn skipped_counts_add_up_over_several_overflows() {
        let mut b = Backlog::new(3);
        for i in 0..10 {
            b.push(format!("m{i}"));
        }
        // 0,1,2 dropped at 3; 3,4,5 at 6; 6,7,8 at 9; 9 kept.
        assert_eq!(drain(&mut b), ["[skipped 9 messages]", "m9"]);
        b.push("x".into());
        assert_eq!(drain(&mut b), ["x"], "the count is reported once");
    }

    #[test]
    fn a_single_skipped_message_is_singular() {
        let mut b = Backlog::new(1);
        b.push("a".into());
        b.push("b".into());
        assert_eq!(drain(&mut b), ["[skipped 1 message]", "b"]);
    }
}
