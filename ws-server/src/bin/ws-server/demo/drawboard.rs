//! The drawboard (`/drawboard`), after Tomcat's fourth example: one shared canvas
//! that every member draws on. A member sends strokes as
//! `COLOR,WIDTH,X1,Y1,X2,Y2` (`#rrggbb`, 1 to 50, integers inside the
//! [`WIDTH`] x [`HEIGHT`] canvas); every valid stroke goes to every member
//! (the topic [`TOPIC`]; with a broker, to the members on the other servers too).
//!
//! A new member first gets the current picture, one message `picture` followed by
//! a line per stroke, then every stroke as it comes. The session subscribes before
//! the picture is taken, so no stroke falls between them: a stroke that arrives
//! before the picture is drawn after it (the page keeps those), and one that is in
//! both is drawn twice, which changes nothing.
//!
//! Each server keeps the picture from the strokes it hears (a listener on the
//! topic, read whenever a member joins and every 100 ms), the newest
//! [`MAX_STROKES`] of them. A member that falls behind by more
//! than 1,000 strokes or 1,000,000 bytes (Tomcat's drawboard bounds) is closed
//! with 1008: the topic's [`SlowConsumer::Close`] policy.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use ws_server::{Endpoint, Message, SessionHandle, SlowConsumer, TopicListener, Topics};

/// The canvas's topic.
pub const TOPIC: &str = "drawboard";
/// Canvas width in pixels.
pub const WIDTH: u32 = 900;
/// Canvas height in pixels.
pub const HEIGHT: u32 = 600;
/// Strokes the picture keeps (the oldest go first).
pub const MAX_STROKES: usize = 50_000;
/// Strokes a member may fall behind by.
pub const MAX_BEHIND: usize = 1_000;
/// Bytes a member may fall behind by.
pub const MAX_BEHIND_BYTES: usize = 1_000_000;

/// Sets the canvas's slow-consumer policy.
pub fn configure(topics: &Topics) {
    topics.set_policy(
        TOPIC,
        SlowConsumer::Close {
            max_messages: MAX_BEHIND,
            max_bytes: MAX_BEHIND_BYTES,
        },
    );
}

/// The stroke in `line`, written back in its one normal form; `None` if invalid.
pub fn parse_stroke(line: &str) -> Option<String> {
    let mut parts = line.trim().split(',');
    let color = parts.next()?;
    let valid_color = color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_color {
        return None;
    }
    let mut numbers = [0u32; 5];
    for n in &mut numbers {
        *n = parts.next()?.trim().parse().ok()?;
    }
    let [width, x1, y1, x2, y2] = numbers;
    let inside = x1 <= WIDTH && x2 <= WIDTH && y1 <= HEIGHT && y2 <= HEIGHT;
    if parts.next().is_some() || !(1..=50).contains(&width) || !inside {
        return None;
    }
    Some(format!(
        "{},{width},{x1},{y1},{x2},{y2}",
        color.to_ascii_lowercase()
    ))
}

/// The picture a server keeps: the strokes so far, and the listener on the topic
/// that brings the next ones.
struct Picture {
    strokes: VecDeque<String>,
    heard: Option<TopicListener>,
}

impl Picture {
    /// Moves every stroke heard so far into the picture. A publish hands its
    /// stroke to the listener before it returns, so after this the picture has
    /// every stroke published before.
    fn catch_up(&mut self) {
        let Some(heard) = self.heard.as_mut() else {
            return;
        };
        while let Some(message) = heard.try_recv() {
            if let Message::Text(stroke) = message {
                if self.strokes.len() == MAX_STROKES {
                    self.strokes.pop_front();
                }
                self.strokes.push_back(stroke);
            }
        }
    }
}

/// The drawboard endpoint.
pub struct Drawboard {
    topics: Topics,
    picture: Arc<Mutex<Picture>>,
}

impl Drawboard {
    /// The drawboard of the server with these topics.
    pub fn new(topics: Topics) -> Drawboard {
        Drawboard {
            topics,
            picture: Arc::new(Mutex::new(Picture {
                strokes: VecDeque::new(),
                heard: None,
            })),
        }
    }
}

fn lock(picture: &Mutex<Picture>) -> MutexGuard<'_, Picture> {
    picture.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the listener's queue short while nobody joins (a full queue would drop
/// strokes from the picture).
async fn keep_up(picture: Weak<Mutex<Picture>>) {
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    loop {
        interval.tick().await;
        let Some(picture) = picture.upgrade() else {
            return;
        };
        lock(&picture).catch_up();
    }
}

impl Endpoint for Drawboard {
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        {
            let mut picture = lock(&self.picture);
            if picture.heard.is_none() {
                picture.heard = Some(self.topics.listen(TOPIC, 64 * 1024));
                tokio::spawn(keep_up(Arc::downgrade(&self.picture)));
            }
        }
        // Subscribed first: no stroke can fall between the picture and the rest.
        if session.subscribe(TOPIC).is_err() {
            return;
        }
        let text = {
            let mut picture = lock(&self.picture);
            picture.catch_up();
            let mut text = String::with_capacity(8 + picture.strokes.len() * 24);
            text.push_str("picture");
            for stroke in picture.strokes.iter() {
                text.push('\n');
                text.push_str(stroke);
            }
            text
        };
        let _ = session.send_text(text).await;
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let Message::Text(text) = message else { return };
        if let Some(stroke) = parse_stroke(&text) {
            let _ = session.publish(TOPIC, stroke).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_are_checked_and_normalised() {
        assert_eq!(
            parse_stroke("#FF0000,3,0,0,900,600").as_deref(),
            Some("#ff0000,3,0,0,900,600")
        );
        for bad in [
            "red,3,0,0,1,1",
            "#ff000,3,0,0,1,1",
            "#ff0000,0,0,0,1,1",
            "#ff0000,51,0,0,1,1",
            "#ff0000,3,0,0,901,1",
            "#ff0000,3,0,0,1",
            "#ff0000,3,0,0,1,1,1",
            "#ff0000,3,-1,0,1,1",
            "",
        ] {
            assert_eq!(parse_stroke(bad), None, "{bad}");
        }
    }
}
