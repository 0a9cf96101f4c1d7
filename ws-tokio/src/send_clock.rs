//! [`SendClock`]: the instant a [`WebSocket`](crate::WebSocket) gives its session
//! with each message it sends, read from the clock only when the session uses it.

use std::time::Instant;

use ws_session::Session;

/// The time passed with each send. A session reads a send's time only for a write
/// or both-ways idle timeout, or to release an idle compressor
/// ([`Session::send_reads_time`]); otherwise this passes the last instant it read
/// (never later than now, which is all the session asks) and the clock is not
/// read. At 16 bytes a clock read per message was the largest single cost of a
/// client's sends (about 8% of its CPU time in a profile).
#[derive(Debug)]
pub(crate) struct SendClock {
    last: Instant,
}

impl SendClock {
    /// A clock whose last reading is `now`.
    pub(crate) fn new(now: Instant) -> SendClock {
        SendClock { last: now }
    }

    /// The instant to pass with a send on `session`.
    pub(crate) fn for_send(&mut self, session: &Session) -> Instant {
        if session.send_reads_time() {
            self.last = Instant::now();
        }
        self.last
    }
}
