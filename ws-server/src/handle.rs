//! [`SessionHandle`]: the cloneable handle user code sends through, and the state it
//! shares with the connection's driver.
//!
//! # Sending: the concurrency rule
//!
//! There is no "already writing" error (Tomcat throws `IllegalStateException` when a
//! second send starts before the first finished). Any number of tasks and threads may
//! send through clones of one handle at once; every send is queued whole into the
//! session's outbound queue, in the order the calls took the session's lock, and the
//! connection's driver writes the queue out (many messages per write).
//!
//! The queue is bounded twice:
//!
//! * **backpressure**: while the queued bytes exceed the session's
//!   `outbound_high_water_mark` (256 KiB by default), [`send`](SessionHandle::send)
//!   and its siblings wait for the driver to drain the queue below it;
//! * **hard bound**: a send that would take the queue past `max_outbound_bytes`
//!   fails with [`SendError::QueueFull`] and queues nothing.
//!
//! Sends come in three strengths:
//!
//! * [`send`](SessionHandle::send) (and `send_text`, `send_binary`, `send_part`):
//!   resolves when the message is *queued*;
//! * [`send_flushed`](SessionHandle::send_flushed): the blocking send of Tomcat as an
//!   async method: resolves when the message is *written* to the transport, within
//!   `BLOCKING_SEND_TIMEOUT` (default 20 s; `None` waits forever). On expiry the
//!   send fails with [`Error::SendTimeout`] and the session is closed with 1001 to
//!   the peer (1006 locally);
//! * [`send_blocking`](SessionHandle::send_blocking): the same, blocking the calling
//!   thread, for code that is not async. Never call it on an async runtime's thread.
//!
//! Pings, pongs and closes ([`ping`](SessionHandle::ping),
//! [`close`](SessionHandle::close)) are queued at once without waiting; pings and
//! pongs go out ahead of queued data.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::task::AtomicWaker;
use tokio::sync::Notify;
use ws_frame::CloseCode;
use ws_handshake::DeflateParams;
use ws_session::{Message, MessageKind, SendError, Session, State};

use crate::endpoint::DynEndpoint;
use crate::error::Error;
use crate::properties::Properties;
use crate::route::PathParams;

/// One deployed endpoint and its open sessions.
pub(crate) struct EndpointSlot {
    pub(crate) path: String,
    pub(crate) endpoint: Arc<dyn DynEndpoint>,
    pub(crate) sessions: Mutex<HashMap<u64, SessionHandle>>,
}

impl EndpointSlot {
    pub(crate) fn sessions(&self) -> MutexGuard<'_, HashMap<u64, SessionHandle>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A blocking send waiting to be written.
pub(crate) struct Blocking {
    pub(crate) id: u64,
    /// Total bytes written at which the message is out (`u64::MAX` while queuing).
    pub(crate) target: u64,
    pub(crate) deadline: Option<Instant>,
}

/// The mutable state shared by the driver and the handles.
pub(crate) struct Core {
    pub(crate) session: Session,
    /// Bytes written to the transport so far.
    pub(crate) written: u64,
    pub(crate) blocking: Vec<Blocking>,
    next_blocking: u64,
    /// A blocking send timed out and closed the session.
    pub(crate) timed_out: bool,
    /// Forced shutdown: the driver drops the connection.
    pub(crate) kill: bool,
    /// The driver has ended; nothing will be written any more.
    pub(crate) gone: bool,
    /// The driver is handing events to the endpoint and writes right after: a send
    /// needs not wake it. (Waking it anyway cost a quarter of the instructions per
    /// 16 B echo: a second poll of the task and an extra turn of its loop.)
    pub(crate) driving: bool,
    /// While `driving`: the time the driver gave the session with the input that
    /// yielded the events being handed out. Sends made from those callbacks use it
    /// instead of reading the clock again (a callback that runs synchronously for
    /// long stamps its sends that much early; idle timeouts are seconds apart).
    pub(crate) clock: Option<Instant>,
}

impl Core {
    /// The earliest deadline of a blocking send not yet written.
    pub(crate) fn blocking_deadline(&self) -> Option<Instant> {
        self.blocking
            .iter()
            .filter(|b| b.target > self.written)
            .filter_map(|b| b.deadline)
            .min()
    }

    /// Whether a blocking send is past its deadline.
    pub(crate) fn blocking_expired(&self, now: Instant) -> bool {
        self.blocking
            .iter()
            .any(|b| b.target > self.written && b.deadline.is_some_and(|d| d <= now))
    }
}

/// Everything one session's handles and driver share.
pub(crate) struct Shared {
    pub(crate) core: Mutex<Core>,
    /// Wakes the driver (something was queued, or a kill).
    pub(crate) wake: DriverWake,
    /// Wakes waiting senders (queue drained, bytes written, closed).
    pub(crate) progress: Notify,
    pub(crate) id: u64,
    pub(crate) target: String,
    pub(crate) path_len: usize,
    pub(crate) params: PathParams,
    pub(crate) protocol: Option<String>,
    pub(crate) deflate: Option<DeflateParams>,
    pub(crate) blocking_timeout: Option<Duration>,
    pub(crate) properties: Properties,
    pub(crate) slot: Arc<EndpointSlot>,
}

/// Wakes the driver task: a flag plus the driver's waker, cheaper per turn of the
/// driver's loop than a `Notify` (no waiter list to join and leave). A wake that
/// comes while the driver is not waiting is kept (the flag) and seen at its next wait.
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

    /// For the driver: ready once a wake came since the last ready.
    pub(crate) fn poll_woken(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.pending.swap(false, Ordering::AcqRel) {
            return std::task::Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A wake between the check and the registration must not be lost.
        if self.pending.swap(false, Ordering::AcqRel) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a new session's handle knows about its request.
pub(crate) struct SessionInit {
    pub(crate) id: u64,
    pub(crate) target: String,
    pub(crate) path_len: usize,
    pub(crate) params: PathParams,
    pub(crate) protocol: Option<String>,
    pub(crate) deflate: Option<DeflateParams>,
    pub(crate) blocking_timeout: Option<Duration>,
    pub(crate) slot: Arc<EndpointSlot>,
}

/// A handle on one open WebSocket session: cheap to clone, usable from any task or
/// thread. See the [module docs](self) for the concurrency rule of sends.
#[derive(Clone)]
pub struct SessionHandle {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("id", &self.shared.id)
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

/// Removes a blocking send's registration when its future ends (or is dropped).
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.lock().blocking.retain(|b| b.id != self.id);
    }
}

impl SessionHandle {
    pub(crate) fn new(init: SessionInit, session: Session) -> SessionHandle {
        SessionHandle {
            shared: Arc::new(Shared {
                core: Mutex::new(Core {
                    session,
                    written: 0,
                    blocking: Vec::new(),
                    next_blocking: 0,
                    timed_out: false,
                    kill: false,
                    gone: false,
                    driving: false,
                    clock: None,
                }),
                wake: DriverWake::default(),
                progress: Notify::new(),
                id: init.id,
                target: init.target,
                path_len: init.path_len,
                params: init.params,
                protocol: init.protocol,
                deflate: init.deflate,
                blocking_timeout: init.blocking_timeout,
                properties: Properties::default(),
                slot: init.slot,
            }),
        }
    }

    /// This session's id, unique within the server.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// The request path (without the query).
    pub fn path(&self) -> &str {
        &self.shared.target[..self.shared.path_len]
    }

    /// The endpoint path this session matched (`/rooms/{room}`).
    pub fn endpoint_path(&self) -> &str {
        &self.shared.slot.path
    }

    /// The query string after `?`, if any (still percent-encoded).
    pub fn query(&self) -> Option<&str> {
        self.shared.target.get(self.shared.path_len + 1..)
    }

    /// The path parameters bound by the endpoint's URI template.
    pub fn path_params(&self) -> &PathParams {
        &self.shared.params
    }

    /// One path parameter.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.shared.params.get(name)
    }

    /// The negotiated subprotocol.
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// The negotiated permessage-deflate parameters, if compression is on.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.shared.deflate.as_ref()
    }

    /// The negotiated extensions as sent in the 101 (`permessage-deflate; ...`).
    pub fn extensions(&self) -> Vec<String> {
        self.shared
            .deflate
            .iter()
            .map(|d| d.to_extension().to_string())
            .collect()
    }

    /// The session's user properties (a typed map shared by all clones).
    pub fn properties(&self) -> &Properties {
        &self.shared.properties
    }

    /// `BLOCKING_SEND_TIMEOUT` for this session (`None`: no timeout).
    pub fn blocking_send_timeout(&self) -> Option<Duration> {
        self.shared.blocking_timeout
    }

    /// The idle timeouts in force: (read, write, both directions).
    pub fn idle_timeouts(&self) -> (Option<Duration>, Option<Duration>, Option<Duration>) {
        let core = self.shared.lock();
        let c = core.session.config();
        (
            c.read_idle_timeout,
            c.write_idle_timeout,
            c.max_idle_timeout,
        )
    }

    /// Changes this session's idle timeouts while it runs (JSR 356's
    /// `setMaxIdleTimeout`, and Tomcat's per-session read and write idle timeouts):
    /// read, write and both directions, `None` for off. They count from the last
    /// activity; a timeout that has already passed closes the session with 1001 at
    /// once. Other sessions of the endpoint keep theirs.
    pub fn set_idle_timeouts(
        &self,
        read: Option<Duration>,
        write: Option<Duration>,
        max: Option<Duration>,
    ) {
        self.shared
            .lock()
            .session
            .set_idle_timeouts(read, write, max);
        // The driver sleeps until the old deadline: have it read the new one.
        self.shared.wake.notify();
    }

    /// Whether messages can still be sent (open, not closing).
    pub fn is_open(&self) -> bool {
        let core = self.shared.lock();
        !core.gone && core.session.state() == State::Open
    }

    /// Every open session of the same endpoint, this one included (for broadcast).
    pub fn open_sessions(&self) -> Vec<SessionHandle> {
        self.shared.slot.sessions().values().cloned().collect()
    }

    /// Queues a whole message; waits while the queue is above its high-water mark.
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.with_room(move |core, now| Ok(core.session.send(now, message)?))
            .await
    }

    /// Queues a text message.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.send(Message::Text(text.into())).await
    }

    /// Queues a binary message.
    pub async fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send(Message::Binary(data.into())).await
    }

    /// Queues one part of a message sent in parts (`last` ends it). Parts of a text
    /// message together must be UTF-8.
    pub async fn send_part(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), Error> {
        let data = data.into();
        self.with_room(move |core, now| Ok(core.session.send_part(now, kind, data, last)?))
            .await
    }

    /// Sends a whole message and waits until it is written to the transport, within
    /// `BLOCKING_SEND_TIMEOUT`; on expiry the session closes with 1001 and this
    /// returns [`Error::SendTimeout`].
    pub async fn send_flushed(&self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.flushed(move |session, now| session.send(now, message))
            .await
    }

    /// [`send_flushed`](Self::send_flushed) for one part of a message.
    pub async fn send_part_flushed(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), Error> {
        let data = data.into();
        self.flushed(move |session, now| session.send_part(now, kind, data, last))
            .await
    }

    /// [`send_flushed`](Self::send_flushed) blocking the calling thread: for code
    /// outside async contexts (e.g. a thread pool of blocking work). Calling it on an
    /// async runtime's thread blocks that thread (and may deadlock a single-threaded
    /// runtime).
    pub fn send_blocking(&self, message: impl Into<Message>) -> Result<(), Error> {
        futures::executor::block_on(self.send_flushed(message))
    }

    /// Queues a ping (at most 125 bytes), ahead of queued data.
    pub fn ping(&self, payload: &[u8]) -> Result<(), Error> {
        self.command(|s, now| s.ping(now, payload))
    }

    /// Queues an unsolicited pong (a heartbeat; pings are answered automatically).
    pub fn pong(&self, payload: &[u8]) -> Result<(), Error> {
        self.command(|s, now| s.pong(now, payload))
    }

    /// Starts the close handshake: queues a close frame behind queued data (which
    /// still goes out), then waits for the peer's close (`SESSION_CLOSE_TIMEOUT`).
    pub fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.command(|s, now| s.close(now, code, reason))
    }

    fn command(
        &self,
        f: impl FnOnce(&mut Session, Instant) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        {
            let mut core = self.shared.lock();
            if core.gone {
                return Err(Error::Closed);
            }
            f(&mut core.session, Instant::now()).map_err(send_error)?;
        }
        self.shared.wake.notify();
        Ok(())
    }

    /// Waits until the queue is below its high-water mark, then runs `op` under the
    /// lock and wakes the driver. With room at once (the common case) no waiter is
    /// registered at all, and the future stays small: the wait for room is boxed, so
    /// a callback that sends keeps little state in the driver while it runs.
    async fn with_room<R>(
        &self,
        op: impl FnOnce(&mut Core, Instant) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut op = Some(op);
        if let Some(result) = self.try_with_room(&mut op) {
            return result;
        }
        Box::pin(self.wait_for_room(op)).await
    }

    /// Runs `op` if the session is open and the queue below its high-water mark;
    /// `None` to wait.
    fn try_with_room<R>(
        &self,
        op: &mut Option<impl FnOnce(&mut Core, Instant) -> Result<R, Error>>,
    ) -> Option<Result<R, Error>> {
        let shared = &*self.shared;
        let mut core = shared.lock();
        if core.gone || core.session.state() != State::Open {
            return Some(Err(if core.timed_out {
                Error::SendTimeout
            } else {
                Error::Closed
            }));
        }
        if core.session.is_above_high_water() {
            return None;
        }
        let op = op.take().expect("runs at most once");
        let now = match core.clock {
            Some(now) if core.driving => now,
            _ => Instant::now(),
        };
        let result = op(&mut core, now).map_err(|e| match e {
            Error::Send(e) => send_error(e),
            e => e,
        });
        let wake = !core.driving;
        drop(core);
        if wake {
            shared.wake.notify();
        }
        Some(result)
    }

    /// The slow path of [`with_room`](Self::with_room): waits for the driver to drain
    /// the queue below its high-water mark.
    async fn wait_for_room<R>(
        &self,
        mut op: Option<impl FnOnce(&mut Core, Instant) -> Result<R, Error>>,
    ) -> Result<R, Error> {
        loop {
            // Registered before the re-check, so a drain in between is not missed.
            let notified = self.shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = self.try_with_room(&mut op) {
                return result;
            }
            notified.await;
        }
    }

    async fn flushed(
        &self,
        op: impl FnOnce(&mut Session, Instant) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        let shared = &*self.shared;
        let id = {
            let mut core = shared.lock();
            core.next_blocking += 1;
            let id = core.next_blocking;
            let deadline = shared.blocking_timeout.map(|t| Instant::now() + t);
            core.blocking.push(Blocking {
                id,
                target: u64::MAX,
                deadline,
            });
            id
        };
        let _registration = Registration { shared, id };
        // The driver enforces the deadline from now on, also while we wait for room.
        shared.wake.notify();
        let target = self
            .with_room(move |core, now| {
                op(&mut core.session, now)?;
                let target = core.written + core.session.pending_transmit() as u64;
                if let Some(b) = core.blocking.iter_mut().find(|b| b.id == id) {
                    b.target = target;
                }
                Ok(target)
            })
            .await?;
        loop {
            let notified = shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let core = shared.lock();
                if core.written >= target {
                    return Ok(());
                }
                if core.gone || core.session.is_closed() {
                    return Err(if core.timed_out {
                        Error::SendTimeout
                    } else {
                        Error::Closed
                    });
                }
            }
            notified.await;
        }
    }
}

fn send_error(e: SendError) -> Error {
    match e {
        SendError::Closed => Error::Closed,
        e => Error::Send(e),
    }
}
