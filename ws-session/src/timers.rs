//! Deadlines: idle timeouts while open, the close-handshake timeout and the flush
//! deadline of an abnormal close. Every timer is an absolute [`Instant`] computed from
//! inputs; a timer fires when `now >= deadline`, never earlier, and there is no
//! polling period.

use std::time::{Duration, Instant};

use crate::config::SessionConfig;
use crate::event::TimeoutKind;

/// The session's deadlines.
pub(crate) struct Timers {
    read_idle: Option<Duration>,
    write_idle: Option<Duration>,
    max_idle: Option<Duration>,
    last_read: Instant,
    last_write: Instant,
    /// A send happened while nothing read send times, so `last_write` may be older
    /// than the last send (see `Session::send_reads_time`).
    write_time_unknown: bool,
    /// Idle timers run only while the session is open.
    idle_armed: bool,
    /// `SESSION_CLOSE_TIMEOUT`: waiting for the peer's close after ours.
    pub(crate) close: Option<Instant>,
    /// `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT`: our non-1000 close must be written by then.
    pub(crate) flush: Option<Instant>,
}

/// The earlier of two optional instants (`None` is never).
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Timers {
    pub(crate) fn new(config: &SessionConfig, now: Instant) -> Timers {
        Timers {
            read_idle: config.read_idle_timeout,
            write_idle: config.write_idle_timeout,
            max_idle: config.max_idle_timeout,
            last_read: now,
            last_write: now,
            write_time_unknown: false,
            idle_armed: true,
            close: None,
            flush: None,
        }
    }

    /// Replaces the idle timeouts; the deadlines follow from the last activity. A
    /// send whose time was not kept counts as made at `now`.
    pub(crate) fn set_idle(
        &mut self,
        now: Instant,
        read: Option<Duration>,
        write: Option<Duration>,
        max: Option<Duration>,
    ) {
        if self.write_time_unknown && (write.is_some() || max.is_some()) {
            self.last_write = self.last_write.max(now);
            self.write_time_unknown = false;
        }
        self.read_idle = read;
        self.write_idle = write;
        self.max_idle = max;
    }

    /// A data frame was received.
    pub(crate) fn on_read(&mut self, now: Instant) {
        self.last_read = self.last_read.max(now);
    }

    /// A data message (or part) was sent; `timed`: `now` is the time of the send,
    /// not an earlier instant a front-end passed because nothing reads it.
    pub(crate) fn on_write(&mut self, now: Instant, timed: bool) {
        self.last_write = self.last_write.max(now);
        self.write_time_unknown |= !timed;
    }

    /// When the last data frame was received.
    pub(crate) fn last_read(&self) -> Instant {
        self.last_read
    }

    /// When the last data message (or part) was sent.
    pub(crate) fn last_write(&self) -> Instant {
        self.last_write
    }

    /// Stops the idle timers (the session is closing).
    pub(crate) fn disarm_idle(&mut self) {
        self.idle_armed = false;
    }

    /// The idle deadlines, earliest first on ties in the order read, write, max.
    fn idle(&self) -> [(Option<Instant>, TimeoutKind); 3] {
        let at = |base: Instant, d: Option<Duration>| {
            d.filter(|_| self.idle_armed)
                .and_then(|d| base.checked_add(d))
        };
        [
            (at(self.last_read, self.read_idle), TimeoutKind::ReadIdle),
            (at(self.last_write, self.write_idle), TimeoutKind::WriteIdle),
            (
                at(self.last_read.max(self.last_write), self.max_idle),
                TimeoutKind::MaxIdle,
            ),
        ]
    }

    /// The earliest deadline of all. Asked at every turn of a front-end that is
    /// about to wait, so written out rather than through [`idle`](Self::idle)'s
    /// array (a third of the instructions).
    pub(crate) fn next(&self) -> Option<Instant> {
        let mut next = earliest(self.close, self.flush);
        if self.idle_armed {
            let after = |base: Instant, d: Option<Duration>| base.checked_add(d?);
            next = earliest(next, after(self.last_read, self.read_idle));
            next = earliest(next, after(self.last_write, self.write_idle));
            if self.max_idle.is_some() {
                let last = self.last_read.max(self.last_write);
                next = earliest(next, after(last, self.max_idle));
            }
        }
        next
    }

    /// The idle timer that has expired at `now`, if any.
    pub(crate) fn expired_idle(&self, now: Instant) -> Option<TimeoutKind> {
        self.idle()
            .into_iter()
            .filter_map(|(d, kind)| d.filter(|d| *d <= now).map(|d| (d, kind)))
            .min_by_key(|(d, _)| *d)
            .map(|(_, kind)| kind)
    }
}
