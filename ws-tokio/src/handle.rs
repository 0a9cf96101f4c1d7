//! [`SessionHandle`]: the cloneable handle user code sends through, in either role.
//!
//! # Sending: the concurrency rule
//!
//! There is no "already writing" error (Tomcat throws `IllegalStateException` when a
//! second send starts before the first finished). Any number of tasks and threads
//! may send through clones of one handle at once; every send is queued whole into the
//! session's outbound queue, in the order the calls took the session's lock, and the
//! session's driver writes the queue out (many messages per write).
//!
//! The queue is bounded twice:
//!
//! * **backpressure**: while the queued bytes exceed the session's
//!   `outbound_high_water_mark` (256 KiB by default), [`send`](SessionHandle::send)
//!   and its siblings wait for the driver to drain the queue below it;
//! * **hard bound**: a send that would take the queue past `max_outbound_bytes`
//!   fails with [`Error::Send`] (`QueueFull`) and queues nothing.
//!
//! # One semantics per verb
//!
//! | method | resolves when | waits |
//! |---|---|---|
//! | [`send`](SessionHandle::send), `send_text`, `send_binary`, `send_part` | the message is **queued** | only above the high-water mark |
//! | [`send_flushed`](SessionHandle::send_flushed), `send_part_flushed`, [`flush`](SessionHandle::flush) | the bytes are **written** to the transport | at most `BLOCKING_SEND_TIMEOUT`; on expiry [`Error::SendTimeout`] and 1001 to the peer |
//! | [`send_blocking`](SessionHandle::send_blocking), `send_part_blocking` | as `send_flushed`, blocking the thread | [`Error::BlockingOnRuntime`] where blocking would stall the session |
//! | [`ping`](SessionHandle::ping), [`pong`](SessionHandle::pong), [`close`](SessionHandle::close) | queued at once (control frames skip the high-water mark) | never |
//!
//! # Cancellation safety
//!
//! Every `async` method is cancellation-safe in `tokio::select!`: a send future
//! dropped before it completes either queued the whole message (it is sent) or
//! nothing; bytes are never half-queued and frames never corrupted. A dropped
//! flushed send stops waiting; its message, once queued, still goes out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ws_frame::CloseCode;
use ws_handshake::DeflateParams;
use ws_session::{CloseInfo, Message, MessageKind, SendError, Session};

use crate::blocking;
use crate::error::Error;
use crate::group::Group;
use crate::info::{HttpVersion, PathParams, SessionInfo};
use crate::properties::Properties;
use crate::shared::{Core, Life, Shared};
use crate::topics::Topics;

/// A handle on one open WebSocket session: cheap to clone, usable from any task or
/// thread.
///
/// # Sending
///
/// Any number of tasks and threads may send through clones at once; every send
/// is queued whole, in the order the calls took the session's lock. The queue is
/// bounded twice: above `outbound_high_water_mark` (256 KiB by default) sends
/// wait for the driver to drain it; a send that would pass `max_outbound_bytes`
/// fails with [`Error::Send`] and queues nothing. `send` resolves when queued,
/// `send_flushed` when written (within `BLOCKING_SEND_TIMEOUT`), `send_blocking`
/// blocks a thread that is not a runtime's; `ping`, `pong` and `close` are queued
/// at once. Every async method is cancellation-safe: a dropped send queued its
/// whole message or nothing (see the [crate docs](crate)).
#[derive(Clone)]
pub struct SessionHandle {
    pub(crate) shared: Arc<Shared>,
    /// The group the session belongs to (a server endpoint's sessions), if any.
    pub(crate) group: Option<Arc<SessionGroup>>,
    /// The topics it can subscribe to and publish on (a server's), if any.
    pub(crate) topics: Option<Topics>,
}

/// The open sessions of a server endpoint: a [`Group`] of [`SessionHandle`]s.
pub type SessionGroup = Group<SessionHandle>;

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("id", &self.shared.id)
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

/// Removes a flushed send's registration when its future ends (or is dropped).
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.lock().flushed.remove(self.id);
    }
}

impl SessionHandle {
    /// This session's id, unique within the process.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// How the session was opened (target, route, negotiation).
    pub fn info(&self) -> &SessionInfo {
        &self.shared.info
    }

    /// The request path (without the query).
    pub fn path(&self) -> &str {
        self.shared.info.path()
    }

    /// The endpoint path this session matched (`/rooms/{room}`).
    pub fn endpoint_path(&self) -> &str {
        self.shared.info.endpoint_path()
    }

    /// The query string after `?`, if any (still percent-encoded).
    pub fn query(&self) -> Option<&str> {
        self.shared.info.query()
    }

    /// The path parameters bound by the endpoint's URI template.
    pub fn path_params(&self) -> &PathParams {
        self.shared.info.path_params()
    }

    /// One path parameter.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.shared.info.path_params().get(name)
    }

    /// The negotiated subprotocol.
    pub fn protocol(&self) -> Option<&str> {
        self.shared.info.protocol()
    }

    /// The negotiated permessage-deflate parameters, if compression is on.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.shared.info.deflate()
    }

    /// The negotiated extensions as sent in the response (`permessage-deflate; ...`).
    pub fn extensions(&self) -> Vec<String> {
        self.deflate()
            .iter()
            .map(|d| d.to_extension().to_string())
            .collect()
    }

    /// The HTTP version the session was opened over.
    pub fn http_version(&self) -> HttpVersion {
        self.shared.info.http_version()
    }

    /// The session's user properties (a typed map shared by all clones; Tomcat's
    /// `getUserProperties`). Endpoints usually keep per-session data in their typed
    /// [`Endpoint::State`](crate::Endpoint::State) instead.
    pub fn properties(&self) -> &Properties {
        &self.shared.properties
    }

    /// `BLOCKING_SEND_TIMEOUT` for this session (`None`: no timeout).
    pub fn blocking_send_timeout(&self) -> Option<Duration> {
        self.shared.info.blocking_send_timeout()
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
    /// once.
    pub fn set_idle_timeouts(
        &self,
        read: Option<Duration>,
        write: Option<Duration>,
        max: Option<Duration>,
    ) {
        self.shared
            .lock()
            .session
            .set_idle_timeouts(Instant::now(), read, write, max);
        // The driver sleeps until the old deadline: have it read the new one.
        self.shared.wake.notify();
    }

    /// Whether messages can still be sent (open, not closing).
    pub fn is_open(&self) -> bool {
        self.shared.lock().accepts_sends()
    }

    /// How the session ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.shared.lock().close_info().cloned()
    }

    /// Every open session of this session's group (a server endpoint's sessions),
    /// this one included; empty for a session without a group.
    pub fn open_sessions(&self) -> Vec<SessionHandle> {
        self.group.as_ref().map(|g| g.members()).unwrap_or_default()
    }

    /// Bytes queued for the peer and not yet written (the browser API's
    /// `bufferedAmount`).
    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().session.pending_transmit()
    }

    /// The topics this session can subscribe to and publish on (its server's);
    /// `None` for a session opened without them.
    pub fn topics(&self) -> Option<&Topics> {
        self.topics.as_ref()
    }

    /// Subscribes this session to `topic`: from now on every message published on
    /// it (here, or on another server through the broker) is queued for it, under
    /// the topic's slow-consumer policy (see [`Topics`]). Returns `false` if it
    /// was subscribed already. All its subscriptions end when it closes.
    pub fn subscribe(&self, topic: &str) -> Result<bool, Error> {
        self.topics
            .as_ref()
            .ok_or(Error::NoTopics)?
            .subscribe(&self.shared, topic)
    }

    /// Unsubscribes this session from `topic` (messages of it still waiting for
    /// the session are dropped); `false` if it was not subscribed.
    pub fn unsubscribe(&self, topic: &str) -> bool {
        self.topics
            .as_ref()
            .is_some_and(|t| t.unsubscribe(&self.shared, topic))
    }

    /// The topics this session subscribes to.
    pub fn subscriptions(&self) -> Vec<String> {
        let core = self.shared.lock();
        core.inbox
            .as_ref()
            .map(|i| i.topics().map(|t| t.to_string()).collect())
            .unwrap_or_default()
    }

    /// Publishes `message` on `topic` through this session's [`Topics`] (this
    /// session receives it too if it subscribes); returns how many local
    /// subscribers got it. See [`Topics::publish`].
    pub async fn publish(&self, topic: &str, message: impl Into<Message>) -> Result<usize, Error> {
        let topics = self.topics.as_ref().ok_or(Error::NoTopics)?;
        Ok(topics.publish(topic, message).await)
    }

    /// Queues a whole message; waits while the queue is above its high-water mark.
    ///
    /// The message is converted when this is called; it is queued when the future is
    /// first polled (a dropped future sends nothing).
    pub fn send(
        &self,
        message: impl Into<Message>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let message = message.into();
        self.with_room(move |core, now| Ok(core.session.send(now, message)?))
    }

    /// Queues a text message (as [`send`](Self::send)).
    pub fn send_text(
        &self,
        text: impl Into<String>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.send(Message::Text(text.into()))
    }

    /// Queues a binary message (as [`send`](Self::send)).
    pub fn send_binary(
        &self,
        data: impl Into<Bytes>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.send(Message::Binary(data.into()))
    }

    /// Queues one part of a message sent in parts (`last` ends it), as
    /// [`send`](Self::send). Parts of a text message together must be UTF-8 (a part
    /// may end inside a character).
    pub fn send_part(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let data = data.into();
        self.with_room(move |core, now| Ok(core.session.send_part(now, kind, data, last)?))
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

    /// Waits until everything queued before is written, within
    /// `BLOCKING_SEND_TIMEOUT` (as [`send_flushed`](Self::send_flushed)).
    pub async fn flush(&self) -> Result<(), Error> {
        self.flushed(|_, _| Ok(())).await
    }

    /// [`send_flushed`](Self::send_flushed) blocking the calling thread, for code
    /// that is not async (a thread of your own, `spawn_blocking`). Returns
    /// [`Error::BlockingOnRuntime`] instead of blocking where that would stall the
    /// session (from this session's callbacks, or on a current-thread runtime's
    /// thread); see the crate docs.
    pub fn send_blocking(&self, message: impl Into<Message>) -> Result<(), Error> {
        blocking::block_on(self.shared.id, self.send_flushed(message))?
    }

    /// [`send_part_flushed`](Self::send_part_flushed), blocking like
    /// [`send_blocking`](Self::send_blocking).
    pub fn send_part_blocking(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), Error> {
        blocking::block_on(self.shared.id, self.send_part_flushed(kind, data, last))?
    }

    /// Queues a ping (at most 125 bytes), ahead of queued data; the pong arrives at
    /// [`Endpoint::on_pong`](crate::Endpoint::on_pong).
    pub fn ping(&self, payload: &[u8]) -> Result<(), Error> {
        self.command(|s, now| s.ping(now, payload))
    }

    /// Queues an unsolicited pong (a heartbeat; pings are answered automatically).
    pub fn pong(&self, payload: &[u8]) -> Result<(), Error> {
        self.command(|s, now| s.pong(now, payload))
    }

    /// Starts the close handshake: queues a close frame behind queued data (which
    /// still goes out), then waits for the peer's close (`SESSION_CLOSE_TIMEOUT`).
    /// The end is reported to [`Endpoint::on_close`](crate::Endpoint::on_close).
    pub fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.command(|s, now| s.close(now, code, reason))
    }

    /// Ends the session at once, without a close handshake: the driver drops the
    /// transport at its next turn, and the endpoint sees `on_close` with 1006. For
    /// forced shutdowns after a grace period.
    pub fn terminate(&self) {
        {
            let mut core = self.shared.lock();
            if core.life() == Life::Running {
                core.set_life(Life::Killed);
            }
        }
        self.shared.wake.notify();
    }

    fn command(
        &self,
        f: impl FnOnce(&mut Session, Instant) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        {
            let mut core = self.shared.lock();
            if core.life() != Life::Running {
                return Err(Error::Closed);
            }
            let now = core.now();
            f(&mut core.session, now)?;
        }
        self.shared.wake.notify();
        Ok(())
    }

    /// Waits until the queue is below its high-water mark, then runs `op` under the
    /// lock and wakes the driver (see [`WithRoom`]).
    fn with_room<'a, R, Op>(&'a self, op: Op) -> WithRoom<'a, Op, R>
    where
        Op: FnOnce(&mut Core, Instant) -> Result<R, Error> + Send + Unpin + 'a,
        R: Send + 'a,
    {
        WithRoom {
            handle: self,
            op: Some(op),
            waiting: None,
        }
    }

    /// Runs `op` if the session is open and the queue below its high-water mark;
    /// `None` to wait.
    fn try_with_room<R>(
        &self,
        op: &mut Option<impl FnOnce(&mut Core, Instant) -> Result<R, Error>>,
    ) -> Option<Result<R, Error>> {
        let shared = &*self.shared;
        let mut core = shared.lock();
        if !core.accepts_sends() {
            return Some(Err(core.closed_error()));
        }
        if core.session.is_above_high_water() {
            return None;
        }
        let op = op.take().expect("runs at most once");
        let now = core.now();
        let result = op(&mut core, now);
        let wake = !core.is_driving();
        drop(core);
        if wake {
            shared.wake.notify();
        }
        Some(result)
    }

    /// The slow path of [`WithRoom`]: waits for the driver to drain the queue below
    /// its high-water mark.
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

    /// Queues with `op`, then waits until what was queued is written, within the
    /// blocking send timeout (enforced by the driver).
    async fn flushed(
        &self,
        op: impl FnOnce(&mut Session, Instant) -> Result<(), SendError> + Send + Unpin,
    ) -> Result<(), Error> {
        let shared = &*self.shared;
        let deadline = shared
            .info
            .blocking_send_timeout()
            .map(|t| Instant::now() + t);
        let id = shared.lock().flushed.register(deadline);
        let _registration = Registration { shared, id };
        // The driver enforces the deadline from now on, also while we wait for room.
        shared.wake.notify();
        let target = self
            .with_room(move |core, now| {
                op(&mut core.session, now)?;
                let target = core.queued_mark();
                core.flushed.set_target(id, target);
                Ok(target)
            })
            .await?;
        loop {
            let notified = shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let core = shared.lock();
                if core.written() >= target {
                    return Ok(());
                }
                if core.life() != Life::Running || core.session.is_closed() {
                    return Err(core.closed_error());
                }
            }
            notified.await;
        }
    }
}

/// The future of a send that queues (made by `SessionHandle::with_room`).
///
/// Its first poll locks the session and runs the operation if the queue is below
/// its high-water mark: the common case completes there, with no waiter
/// registered. Only above the mark does it box the wait for room. It is a named
/// type rather than an `async fn` for its size: an `async fn` keeps each argument
/// beside the future it is moved into, and a callback that sends keeps this future
/// in the driver's callback slot, where it is moved once per message (measured: a
/// 16 B echo's send future went from 144 to 56 bytes).
pub(crate) struct WithRoom<'a, Op, R> {
    handle: &'a SessionHandle,
    /// The operation, until it ran (or moved into `waiting`).
    op: Option<Op>,
    /// The wait for room, above the high-water mark.
    waiting: Option<WaitForRoom<'a, R>>,
}

/// The boxed wait of a [`WithRoom`] above the high-water mark.
type WaitForRoom<'a, R> = Pin<Box<dyn Future<Output = Result<R, Error>> + Send + 'a>>;

impl<'a, Op, R> Future for WithRoom<'a, Op, R>
where
    Op: FnOnce(&mut Core, Instant) -> Result<R, Error> + Send + Unpin + 'a,
    R: Send + 'a,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.waiting.is_none() {
            if let Some(result) = this.handle.try_with_room(&mut this.op) {
                return Poll::Ready(result);
            }
            let op = this.op.take();
            this.waiting = Some(Box::pin(this.handle.wait_for_room(op)));
        }
        let waiting = this.waiting.as_mut().expect("set above");
        waiting.as_mut().poll(cx)
    }
}
