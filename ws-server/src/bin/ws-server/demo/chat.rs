//! The chat room (`/chat`): every message goes to everyone, HTML-escaped, as
//! `Guest7: text`; joins and departures are announced. The room is the topic
//! [`TOPIC`], so with a broker (`--broker`) members connected to different servers
//! chat together.
//!
//! A slow member never slows the others down: messages for a member whose queue
//! is above [`HIGH_WATER`] wait beside it, at most [`BACKLOG_LIMIT`] of them; a
//! newer one drops the oldest, and the member is told `[skipped N messages]`
//! before the next message it gets, as in Tomcat's chat example (the topic's
//! [`SlowConsumer::DropOldest`] policy).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use ws_server::{CloseInfo, Endpoint, Message, SessionConfig, SessionHandle, SlowConsumer, Topics};

use super::escape::html_escape;

/// The room's topic.
pub const TOPIC: &str = "chat";
/// Messages a slow member may have waiting (Tomcat's chat: 10).
pub const BACKLOG_LIMIT: usize = 10;
/// A member's queue beyond which messages wait (and may be skipped): a few dozen
/// lines of chat.
pub const HIGH_WATER: usize = 4 * 1024;

/// The notice of skipped messages.
pub fn skipped(n: u64) -> Message {
    let s = if n == 1 { "" } else { "s" };
    Message::Text(format!("[skipped {n} message{s}]"))
}

/// Sets the room's slow-consumer policy.
pub fn configure(topics: &Topics) {
    topics.set_policy(
        TOPIC,
        SlowConsumer::DropOldest {
            keep: BACKLOG_LIMIT,
            notice: Some(skipped),
        },
    );
}

/// The chat endpoint: one room for everyone connected to it (on every server of
/// the broker).
pub struct Chat {
    next_guest: AtomicU64,
}

impl Default for Chat {
    /// Guest numbers start at a random offset, so that two servers sharing a room
    /// do not both have a `Guest0`.
    fn default() -> Self {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(0);
        Chat {
            next_guest: AtomicU64::new(hasher.finish() % 9000 * 100),
        }
    }
}

async fn say(session: &SessionHandle, text: String) {
    let _ = session.publish(TOPIC, text).await;
}

impl Endpoint for Chat {
    /// The member's name.
    type State = String;

    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        config.with_outbound_high_water_mark(HIGH_WATER)
    }

    async fn on_open(&self, session: &SessionHandle) -> String {
        let name = format!("Guest{}", self.next_guest.fetch_add(1, Ordering::Relaxed));
        if session.subscribe(TOPIC).is_ok() {
            say(session, format!("* {name} has joined.")).await;
        }
        name
    }

    async fn on_message(&self, name: &mut String, session: &SessionHandle, message: Message) {
        let Message::Text(text) = message else {
            return;
        };
        say(session, format!("{name}: {}", html_escape(&text))).await;
    }

    async fn on_close(&self, name: &mut String, session: &SessionHandle, _close: &CloseInfo) {
        // The session has left the room already: the others hear it.
        say(session, format!("* {name} has disconnected.")).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_counts_in_english() {
        assert_eq!(skipped(1), Message::Text("[skipped 1 message]".into()));
        assert_eq!(skipped(10), Message::Text("[skipped 10 messages]".into()));
    }
}
