//! The state one session's driver shares with its [`SessionHandle`](crate::SessionHandle)s.
//!
//! The [`Session`] lives behind a short `std` mutex ([`Shared::lock`]): a send locks,
//! queues straight into the session and wakes the driver (no channel hop, no
//! "already writing"). The driver takes the same lock once per step of its pipeline.
//! This was measured against a command channel (the client's former design: two task
//! hops per message) and kept: one uncontended lock is cheaper than a channel round
//! trip, and it lets a callback's send skip the wake-up entirely (see
//! [`Core::driving`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Context;
use std::time::Instant;

use futures::task::AtomicWaker;
use tokio::sync::Notify;
use ws_session::{CloseInfo, Session};

use crate::inbox::Inbox;
use crate::info::SessionInfo;
use crate::properties::Properties;

/// The mutable state shared by the driver and the handles.
pub(crate) struct Core {
    /// The protocol state machine.
    pub(crate) session: Session,
    /// Bytes written to the transport so far.
    written: u64,
    /// Flushed sends waiting for their bytes to be written.
    pub(crate) flushed: FlushedSends,
    /// `Some(now)` while the driver hands events to the endpoint: it writes right
    /// after, so a send made from a callback needs not wake it (waking it anyway cost
    /// a quarter of the instructions per 16 B echo), and `now` is the time the driver
    /// fed the session, used to stamp such sends instead of a fresh clock read.
    driving: Option<Instant>,
    /// Where the driver is in its life, as far as the handles need to know.
    life: Life,
    /// How the session ended, once it has.
    close: Option<CloseInfo>,
    /// Its topic subscriptions and what waits for them; `None` (no cost) until it
    /// subscribes.
    pub(crate) inbox: Option<Box<Inbox>>,
}

/// The driver's life as the handles see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    /// The driver runs the session.
    Running,
    /// Forced shutdown: the driver is to drop the transport at its next turn.
    Killed,
    /// The driver has ended; nothing will be written any more.
    Gone,
}

impl Core {
    /// Whether handles may still queue messages.
    pub(crate) fn accepts_sends(&self) -> bool {
        self.life == Life::Running && self.session.state() == ws_session::State::Open
    }

    /// The error a refused send reports: a flushed send's timeout closed the session,
    /// or it is simply closed.
    pub(crate) fn closed_error(&self) -> crate::Error {
        if self.flushed.expired {
            crate::Error::SendTimeout
        } else {
            crate::Error::Closed
        }
    }

    /// The time to stamp a command with (see [`Core::driving`]).
    pub(crate) fn now(&self) -> Instant {
        self.driving.unwrap_or_else(Instant::now)
    }

    /// Whether the driver is handing events to the endpoint (a send needs no wake).
    pub(crate) fn is_driving(&self) -> bool {
        self.driving.is_some()
    }

    /// The driver starts (`Some(fed_at)`) or stops (`None`) handing out events.
    pub(crate) fn set_driving(&mut self, fed_at: Option<Instant>) {
        self.driving = fed_at;
    }

    /// Bytes written to the transport so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// The queue went from above its high-water mark to below it: messages of
    /// topics waiting for room move into it (see `inbox.rs`).
    pub(crate) fn queue_drained(&mut self, now: Instant) {
        if let Some(inbox) = self.inbox.as_deref_mut() {
            inbox.refill(&mut self.session, now);
        }
    }

    /// The driver wrote `n` bytes.
    pub(crate) fn add_written(&mut self, n: usize) {
        self.written += n as u64;
    }

    /// The total written count at which everything queued now is out.
    pub(crate) fn queued_mark(&self) -> u64 {
        self.written + self.session.pending_transmit() as u64
    }

    pub(crate) fn life(&self) -> Life {
        self.life
    }

    pub(crate) fn set_life(&mut self, life: Life) {
        self.life = life;
    }

    pub(crate) fn close_info(&self) -> Option<&CloseInfo> {
        self.close.as_ref()
    }

    pub(crate) fn set_close_info(&mut self, info: CloseInfo) {
        self.close = Some(info);
    }
}

/// Flushed ("blocking") sends waiting for their bytes: each has a target byte count
/// and a deadline, which the driver enforces (so the waiting side needs no timer and
/// a thread-blocking send needs no runtime).
#[derive(Debug, Default)]
pub(crate) struct FlushedSends {
    waiting: Vec<Flushed>,
    next_id: u64,
    /// A flushed send missed its deadline and closed the session.
    pub(crate) expired: bool,
}

#[derive(Debug)]
struct Flushed {
    id: u64,
    /// Total bytes written at which the message is out (`u64::MAX` while queuing).
    target: u64,
    deadline: Option<Instant>,
}

impl FlushedSends {
    /// Registers a send with its deadline; returns its id.
    pub(crate) fn register(&mut self, deadline: Option<Instant>) -> u64 {
        self.next_id += 1;
        self.waiting.push(Flushed {
            id: self.next_id,
            target: u64::MAX,
            deadline,
        });
        self.next_id
    }

    /// The send `id` is queued; it is out once `target` bytes are written.
    pub(crate) fn set_target(&mut self, id: u64, target: u64) {
        if let Some(f) = self.waiting.iter_mut().find(|f| f.id == id) {
            f.target = target;
        }
    }

    /// The send `id` ended (done, failed or cancelled).
    pub(crate) fn remove(&mut self, id: u64) {
        self.waiting.retain(|f| f.id != id);
    }

    /// Whether any send waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The earliest deadline of a send not yet written.
    pub(crate) fn deadline(&self, written: u64) -> Option<Instant> {
        self.waiting
            .iter()
            .filter(|f| f.target > written)
            .filter_map(|f| f.deadline)
            .min()
    }

    /// Whether a send not yet written is past its deadline.
    pub(crate) fn is_expired(&self, now: Instant, written: u64) -> bool {
        self.deadline(written).is_some_and(|d| d <= now)
    }
}

/// Wakes the driver task: a flag plus the driver's waker, cheaper per turn than a
/// `Notify` (no waiter list to join and leave). A wake that comes while the driver
/// is not waiting is kept (the flag) and seen at its next wait.
#[derive(Debug, Default)]
pub(crate) struct DriverWake {
    pending: AtomicBool,
    waker: AtomicWaker,
}

impl DriverWake {
    /// Wakes the driver (or has its next wait return at once).
    pub(crate) fn notify(&self) {
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// For the driver, at every turn: whether a wake came since the last call
    /// (cleared). A plain load when none came, the common case.
    pub(crate) fn take(&self) -> bool {
        self.pending.load(Ordering::Acquire) && self.pending.swap(false, Ordering::AcqRel)
    }

    /// For the driver, before it waits: registers the waker, then says whether a
    /// wake came meanwhile (left for the next [`take`](Self::take)): a wake between
    /// the driver's last look and the registration is not lost.
    pub(crate) fn register(&self, cx: &mut Context<'_>) -> bool {
        self.waker.register(cx.waker());
        self.pending.load(Ordering::Acquire)
    }
}

/// Everything a session's handles and its driver share.
pub(crate) struct Shared {
    core: Mutex<Core>,
    /// Wakes the driver (something queued, a deadline moved, a forced shutdown).
    pub(crate) wake: DriverWake,
    /// Wakes waiting senders (queue drained, bytes written, closed).
    pub(crate) progress: Notify,
    /// Process-unique id of the session.
    pub(crate) id: u64,
    pub(crate) info: SessionInfo,
    pub(crate) properties: Properties,
}

impl Shared {
    pub(crate) fn new(session: Session, info: SessionInfo) -> Self {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Shared {
            core: Mutex::new(Core {
                session,
                written: 0,
                flushed: FlushedSends::default(),
                driving: None,
                life: Life::Running,
                close: None,
                inbox: None,
            }),
            wake: DriverWake::default(),
            progress: Notify::new(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            info,
            properties: Properties::default(),
        }
    }

    /// Locks the core (a panic elsewhere does not poison it for everyone).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.id)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}
