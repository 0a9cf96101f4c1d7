//! The driver: runs one session to its end, pumping a [`Session`] over any
//! `AsyncRead + AsyncWrite` and calling an [`Endpoint`], for servers and clients
//! alike.
//!
//! # The pipeline
//!
//! [`Opened::run`] is an `async fn` that writes the opening response (a server's
//! 101), then polls one [`Driver`] until the session is over. Each poll goes round a
//! fixed pipeline of named steps until none makes progress (then every waker it
//! needs is registered):
//!
//! 1. [`take_wakeup`](Driver::take_wakeup): a handle asked for something the
//!    driver must act on (a forced end; a deadline moved, which step 4 re-reads
//!    before the driver waits);
//! 2. [`advance_callback`](Driver::advance_callback): poll the callback that
//!    waits, if any (`on_open`, or a callback in the [`CallbackSlot`]);
//! 3. [`transfer`](Driver::transfer), under one lock of the session: take the next
//!    event if one is queued; else write what is queued, then read and feed the
//!    session and take the first event that yields.
//!    An event goes to [`dispatch`](Driver::dispatch), which creates its callback
//!    and polls it once, in place;
//! 4. [`check_timers`](Driver::check_timers), only once a round moved nothing (the
//!    driver is about to wait; a transfer that wrote all that was queued and found
//!    no input counts as nothing, since the next round would find no work) or the
//!    poll's rounds ran out: the session's
//!    deadline, flushed sends' deadlines, and the linger bound of a closed session
//!    that cannot flush. A busy session does not compute its next deadline at
//!    every turn (that cost a thirtieth of a 16 B echo); nothing is late for it,
//!    since every poll ends in one of those two cases.
//!
//! All available input is parsed and every callback runs before the next write, so
//! many replies leave in one write; an echo costs one read, one write and three
//! uncontended locks (read and hand out, the callback's send, write), and no extra
//! wake-up of the task. While a callback waits, the driver keeps writing and keeps
//! the timers, but reads nothing.
//!
//! # Code size
//!
//! The rare branches of a turn (a forced end, a transport failure, the close, a
//! deadline that fired, the linger bound) are functions kept out of line. Inlined,
//! they sat between the hot lines and one 16 B echo touched more code than a
//! 32 KiB instruction cache holds: `valgrind --tool=callgrind --cache-sim=yes`
//! counted 44 instruction-cache misses per echo with one connection, 8 with them
//! out of line, for the same instructions (docs/performance.md).
//!
//! # State
//!
//! Where the session is lives in [`Phase`] (opening, running, closing, ended); what
//! the transport can still do in [`Transport`]; which callback runs in the
//! [`CallbackSlot`] (a whole message, a part, a pong or the close) and, while none
//! runs, the endpoint's per-session state in `Driver::state`.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ws_frame::CloseCode;
use ws_session::{CloseInfo, Event, Message, MessageKind, Session};

use crate::blocking::PollingGuard;
use crate::callback::CallbackSlot;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::handle::{SessionGroup, SessionHandle};
use crate::info::SessionInfo;
use crate::shared::{Core, Life, Shared};
use crate::timer::Timer;
use crate::topics::Topics;
use crate::transfer::{poll_read_session, poll_write_session};

/// Rounds of the pipeline in one poll before yielding to the runtime: tokio's
/// transports yield on their own after a budget of reads; this bounds any other.
const ROUNDS: usize = 512;

/// A session ready to run: the state its handles share, and what the driver writes
/// and reads first. Front-ends build it when their handshake succeeds.
///
/// ```no_run
/// use ws_session::{Session, SessionConfig};
/// use ws_tokio::{Endpoint, Message, Opened, SessionHandle, SessionInfo};
///
/// struct Echo;
///
/// impl Endpoint for Echo {
///     type State = ();
///     async fn on_open(&self, _: &SessionHandle) {}
///     async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
///         let _ = session.send(message).await;
///     }
/// }
///
/// # async fn run(transport: tokio::net::TcpStream, response: Vec<u8>) {
/// let now = std::time::Instant::now();
/// let session = Session::server(SessionConfig::default(), now);
/// let opened = Opened::new(session, SessionInfo::new("/echo"), None).with_response(response);
/// let handle = opened.handle().clone(); // for sending from elsewhere
/// opened.run(&Echo, transport).await;
/// assert!(handle.close_info().is_some());
/// # }
/// ```
pub struct Opened {
    handle: SessionHandle,
    response: Vec<u8>,
    leftover: Vec<u8>,
    membership: Option<Membership>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("handle", &self.handle)
            .field("response", &self.response.len())
            .field("leftover", &self.leftover.len())
            .finish()
    }
}

/// Keeps a session in its group until dropped.
struct Membership {
    group: Arc<SessionGroup>,
    id: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.group.remove(self.id);
    }
}

impl Opened {
    /// A session described by `info`, a member of `group` (if any) from now until
    /// it closes.
    pub fn new(session: Session, info: SessionInfo, group: Option<Arc<SessionGroup>>) -> Self {
        let handle = SessionHandle {
            shared: Arc::new(Shared::new(session, info)),
            group: group.clone(),
            topics: None,
        };
        let membership = group.map(|group| {
            group.insert(handle.id(), handle.clone());
            Membership {
                group,
                id: handle.id(),
            }
        });
        Opened {
            handle,
            response: Vec::new(),
            leftover: Vec::new(),
            membership,
        }
    }

    /// Gives the session `topics` to subscribe to and publish on (a server's); it
    /// leaves every topic when it closes.
    pub fn with_topics(mut self, topics: Topics) -> Self {
        self.handle.topics = Some(topics);
        if let Some(membership) = &self.membership {
            // The group's copy of the handle gets them too.
            membership
                .group
                .insert(self.handle.id(), self.handle.clone());
        }
        self
    }

    /// Bytes to write before any frame: a server's 101 response. They are written
    /// after `on_open` if it completes without waiting (so a client that sees the
    /// 101 knows `on_open` ran), else before it.
    pub fn with_response(mut self, response: Vec<u8>) -> Self {
        self.response = response;
        self
    }

    /// Bytes the peer sent right after its handshake head, fed to the session after
    /// `on_open`.
    pub fn with_leftover(mut self, leftover: Vec<u8>) -> Self {
        self.leftover = leftover;
        self
    }

    /// The session's handle (clone it to send from elsewhere).
    pub fn handle(&self) -> &SessionHandle {
        &self.handle
    }

    /// Runs the session on `stream` with `endpoint`'s callbacks until it is over,
    /// then shuts the transport down. `on_close` has run when this returns.
    pub async fn run<E, S>(self, endpoint: &E, stream: S)
    where
        E: Endpoint,
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let Opened {
            handle,
            response,
            leftover,
            membership,
        } = self;
        let shared = &*handle.shared;
        // Also runs if a callback panics: the session is gone for its handles.
        let _ended = Ended {
            shared,
            topics: handle.topics.as_ref(),
            _membership: membership,
        };
        let mut io = Transport::new(stream);
        // Boxed: it runs once, and the session's task should not keep its size.
        let mut on_open: Pin<Box<dyn Future<Output = E::State> + Send + '_>> =
            Box::pin(endpoint.on_open(&handle));
        let opened = {
            let _polling = PollingGuard::enter(shared.id);
            futures::poll!(on_open.as_mut())
        };
        if !response.is_empty() {
            if let Err(e) = io.stream.write_all(&response).await {
                tracing::debug!(error = %e, "writing the handshake response failed");
                io.fail(shared, e);
            } else {
                io.unflushed = true;
            }
        }
        // Not kept for the session's life.
        drop(response);
        let (phase, state) = match opened {
            Poll::Ready(state) => (Phase::Running, Some(state)),
            Poll::Pending => (Phase::Opening(on_open), None),
        };
        if !leftover.is_empty() {
            shared
                .lock()
                .session
                .handle_input(Instant::now(), &leftover);
        }
        drop(leftover);
        let on = &handle;
        let make = move |state, call| call_endpoint(endpoint, on, state, call);
        let mut storage = pin!(None);
        let mut driver = Driver {
            shared,
            group: handle.group.as_deref(),
            topics: handle.topics.as_ref(),
            io,
            slot: CallbackSlot::new(storage.as_mut()),
            make,
            state,
            phase,
            timer: Timer::default(),
            linger: None,
        };
        poll_fn(|cx| driver.poll(cx)).await;
        driver.io.finish().await;
    }
}

/// Marks the session gone for its handles when the driver ends (or unwinds), and
/// takes it out of its group.
struct Ended<'a> {
    shared: &'a Shared,
    topics: Option<&'a Topics>,
    _membership: Option<Membership>,
}

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        self.shared.lock().set_life(Life::Gone);
        if let Some(topics) = self.topics {
            topics.leave_all(self.shared);
        }
        self.shared.progress.notify_waiters();
    }
}

/// Where the session is.
enum Phase<'a, St> {
    /// `on_open` waited: it runs to completion first; writes and timers go on,
    /// nothing is read.
    Opening(Pin<Box<dyn Future<Output = St> + Send + 'a>>),
    /// Input is read and handed to the endpoint.
    Running,
    /// The session closed and its close callback was started: no more events; what
    /// is queued is still written (for at most the linger bound).
    Closing,
    /// The close callback has run; the driver ends once the output is flushed (or
    /// cannot be).
    Ended,
}

/// What the driver hands to the endpoint: one type for every callback after
/// `on_open`, so one [`CallbackSlot`] holds any of them.
enum Call {
    Message(Message),
    Part(MessageKind, Bytes, bool),
    Pong(Bytes),
    Closed(Box<(CloseInfo, Option<Error>)>),
}

/// Runs the callback for `call` with the session's state, and gives the state back.
async fn call_endpoint<E: Endpoint>(
    endpoint: &E,
    session: &SessionHandle,
    mut state: E::State,
    call: Call,
) -> E::State {
    match call {
        Call::Message(m) => endpoint.on_message(&mut state, session, m).await,
        Call::Part(kind, data, last) => {
            endpoint
                .on_part(&mut state, session, kind, data, last)
                .await
        }
        Call::Pong(p) => endpoint.on_pong(&mut state, session, p).await,
        // Boxed: once per session, and the slot should not keep their size.
        Call::Closed(closed) => {
            Box::pin(close_callbacks(endpoint, &mut state, session, *closed)).await
        }
    }
    state
}

/// `on_error` (for an unclean end) then `on_close`.
async fn close_callbacks<E: Endpoint>(
    endpoint: &E,
    state: &mut E::State,
    session: &SessionHandle,
    (info, error): (CloseInfo, Option<Error>),
) {
    if let Some(error) = error {
        endpoint.on_error(state, session, &error).await;
    }
    endpoint.on_close(state, session, &info).await;
}

/// The transport and what it can still do.
struct Transport<S> {
    stream: S,
    state: TransportState,
    /// Something was written since the last flush (TLS buffers records).
    unflushed: bool,
    /// A transport failure, reported to `on_error` before `on_close`.
    error: Option<io::Error>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransportState {
    /// Reads and writes.
    Open,
    /// The peer's end of stream was read: writes only.
    ReadClosed,
    /// Failed or dropped on purpose: no more I/O.
    Broken,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Transport<S> {
    fn new(stream: S) -> Self {
        Transport {
            stream,
            state: TransportState::Open,
            unflushed: false,
            error: None,
        }
    }

    /// The transport failed (or is dropped on purpose): no more I/O; the session
    /// ends with 1006 unless it already closed.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, shared: &Shared, error: io::Error) {
        self.state = TransportState::Broken;
        let mut core = shared.lock();
        if !core.session.is_closed() {
            self.error = Some(error);
        }
        core.session.handle_eof(Instant::now());
    }

    /// After the session: FIN (or TLS close_notify), then a lingering close.
    async fn finish(&mut self) {
        if self.state == TransportState::Broken {
            return;
        }
        // Best effort; never wait long for it.
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(1), self.stream.shutdown()).await;
        if self.state == TransportState::Open {
            // Dropping a socket with unread input resets it, and the reset can destroy
            // our close frame before the peer reads it (e.g. a 1009 while the peer is
            // still sending the oversized message). Read and discard until the peer's
            // end of stream, briefly.
            let drain = Box::pin(drain(&mut self.stream));
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
        }
    }
}

/// Reads and drops input until end of stream or an error.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(1..) = stream.read(&mut buf).await {}
}

/// What one [`transfer`](Driver::transfer) step did.
struct Transferred {
    /// The next event for the endpoint, if one was taken.
    event: Option<Event>,
    /// Bytes moved or the end of input seen, and more may be done at once (not
    /// when the I/O [settled](Moved::settled)).
    progress: bool,
}

impl Transferred {
    /// An event taken from the queue; nothing else looked at.
    fn event(event: Event) -> Self {
        Transferred {
            event: Some(event),
            progress: true,
        }
    }

    /// The transport failed: the loop goes round to take the close event.
    fn failed() -> Self {
        Transferred {
            event: None,
            progress: true,
        }
    }
}

/// What the I/O of one transfer step did.
#[derive(Default)]
struct Moved {
    /// Bytes moved or the end of input seen.
    progress: bool,
    /// Senders waiting for room or for their bytes may go on.
    wake_senders: bool,
    /// The time the session was fed, if it was.
    fed_at: Option<Instant>,
    /// Nothing is left to do until a waker fires: the read (if any) waits for input
    /// and nothing is queued to write. Another round would find no work, so the
    /// driver goes straight to its timers and waits (a round fewer per turn).
    settled: bool,
}

/// The driver of one session (see the module docs). `F` is the type of every
/// callback future after `on_open`, made by `M`.
struct Driver<'a, St, S, F, M> {
    shared: &'a Shared,
    /// The session's group, left when the session closes.
    group: Option<&'a SessionGroup>,
    /// The topics whose subscriptions it leaves when it closes.
    topics: Option<&'a Topics>,
    io: Transport<S>,
    slot: CallbackSlot<'a, F>,
    make: M,
    /// The endpoint's per-session state, while no callback holds it.
    state: Option<St>,
    phase: Phase<'a, St>,
    timer: Timer,
    /// When a closed session that cannot flush gives up (`session_close_timeout`).
    linger: Option<Instant>,
}

impl<'a, St, S, F, M> Driver<'a, St, S, F, M>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Future<Output = St>,
    M: Fn(St, Call) -> F,
{
    /// One poll: the pipeline's steps, round and round until none makes progress.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let _polling = PollingGuard::enter(self.shared.id);
        for _ in 0..ROUNDS {
            let mut progress = self.take_wakeup();
            progress |= self.advance_callback(cx);
            let transferred = self.transfer(cx);
            progress |= transferred.progress;
            if let Some(event) = transferred.event {
                self.dispatch(event, cx);
                continue;
            }
            if !progress {
                progress = self.check_timers(cx);
            }
            if self.is_over() {
                return Poll::Ready(());
            }
            if !progress {
                if self.shared.wake.register(cx) {
                    // A handle woke the driver since step 1: another round.
                    continue;
                }
                return Poll::Pending;
            }
        }
        // Let the runtime run other tasks; this poll comes back at once (its timers
        // checked first, as if it waited).
        self.check_timers(cx);
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Step 1: a forced end requested by a handle.
    fn take_wakeup(&mut self) -> bool {
        if !self.shared.wake.take() {
            return false;
        }
        self.end_if_killed();
        true
    }

    /// Drops the transport if a handle asked for a forced end. Out of line, so the
    /// poll's hot loop stays small (the module docs, "Code size").
    #[inline(never)]
    fn end_if_killed(&mut self) {
        if self.shared.lock().life() == Life::Killed && self.io.state != TransportState::Broken {
            tracing::debug!("session terminated");
            let error = io::Error::new(io::ErrorKind::ConnectionAborted, "session terminated");
            self.io.fail(self.shared, error);
        }
    }

    /// Step 2: the callback that waits, if any.
    fn advance_callback(&mut self, cx: &mut Context<'_>) -> bool {
        if let Phase::Opening(on_open) = &mut self.phase {
            let Poll::Ready(state) = on_open.as_mut().poll(cx) else {
                return false;
            };
            self.state = Some(state);
            self.phase = Phase::Running;
            return true;
        }
        let Poll::Ready(state) = self.slot.poll(cx) else {
            return false;
        };
        self.callback_done(state);
        true
    }

    /// A callback completed and gave the state back.
    fn callback_done(&mut self, state: St) {
        if matches!(self.phase, Phase::Closing) {
            // on_close has run: the state's life is over.
            drop(state);
            self.phase = Phase::Ended;
        } else {
            self.state = Some(state);
        }
    }

    /// Whether the endpoint can take an event now.
    fn takes_events(&self) -> bool {
        matches!(self.phase, Phase::Running) && self.state.is_some()
    }

    /// Step 3, under one lock: the next queued event if the endpoint can take one;
    /// else write what is queued, read and feed the session, and take the first
    /// event that yields.
    fn transfer(&mut self, cx: &mut Context<'_>) -> Transferred {
        let shared = self.shared;
        let takes_events = self.takes_events();
        let mut core = shared.lock();
        if takes_events {
            if let Some(event) = core.session.poll_event() {
                let now = core.now();
                core.set_driving(Some(now));
                return Transferred::event(event);
            }
        }
        // The endpoint is done for now: sends wake the driver again.
        core.set_driving(None);
        let moved = match self.move_bytes(&mut core, cx, takes_events) {
            Ok(moved) => moved,
            Err(e) => {
                drop(core);
                return self.transport_failed(e);
            }
        };
        let event = if takes_events {
            core.session.poll_event()
        } else {
            None
        };
        if event.is_some() {
            core.set_driving(Some(moved.fed_at.unwrap_or_else(Instant::now)));
        }
        if self.linger.is_none() && core.session.is_closed() {
            self.start_linger(&core);
        }
        drop(core);
        if moved.wake_senders {
            shared.progress.notify_waiters();
        }
        Transferred {
            progress: moved.progress && (event.is_some() || !moved.settled),
            event,
        }
    }

    /// The transport failed during a transfer.
    #[cold]
    #[inline(never)]
    fn transport_failed(&mut self, error: io::Error) -> Transferred {
        tracing::debug!(error = %error, "transport failed");
        self.io.fail(self.shared, error);
        self.shared.progress.notify_waiters();
        Transferred::failed()
    }

    /// The session has just closed: from now on the driver gives up flushing after
    /// `session_close_timeout`.
    #[cold]
    #[inline(never)]
    fn start_linger(&mut self, core: &Core) {
        self.linger = Some(Instant::now() + core.session.config().session_close_timeout);
    }

    /// The I/O of [`transfer`](Self::transfer): writes what is queued (and flushes),
    /// then, if `read`, reads once and feeds the session.
    fn move_bytes(
        &mut self,
        core: &mut Core,
        cx: &mut Context<'_>,
        read: bool,
    ) -> io::Result<Moved> {
        let mut moved = Moved::default();
        if self.io.state == TransportState::Broken {
            return Ok(moved);
        }
        let above = core.session.is_above_high_water();
        if let Poll::Ready(n) = poll_write_session(&mut self.io.stream, cx, &mut core.session) {
            let n = n?;
            if n > 0 {
                core.add_written(n);
                self.io.unflushed = true;
                moved.progress = true;
                let drained = above && !core.session.is_above_high_water();
                if drained {
                    // Rare (a queue crossing its mark): topic messages waiting for
                    // room move in. Sessions without topics pay nothing more.
                    core.queue_drained(core.now());
                }
                moved.wake_senders =
                    drained || !core.flushed.is_empty() || core.session.is_finished();
            }
        }
        if self.io.unflushed {
            if let Poll::Ready(flushed) = Pin::new(&mut self.io.stream).poll_flush(cx) {
                flushed?;
                self.io.unflushed = false;
            }
        }
        let mut read_waits = true;
        if read && self.io.state == TransportState::Open && !core.session.is_closed() {
            match poll_read_session(
                &mut self.io.stream,
                cx,
                &mut core.session,
                &mut moved.fed_at,
            ) {
                Poll::Ready(Ok(0)) => {
                    self.io.state = TransportState::ReadClosed;
                    moved.progress = true;
                    read_waits = false;
                }
                Poll::Ready(Ok(_)) => {
                    moved.progress = true;
                    read_waits = false;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => {}
            }
        }
        moved.settled = read_waits && core.session.pending_transmit() == 0;
        Ok(moved)
    }

    /// Hands `event` to the endpoint: creates its callback in the slot and polls it
    /// once. A callback that waits stays in the slot (step 2 finishes it).
    fn dispatch(&mut self, event: Event, cx: &mut Context<'_>) {
        let call = match event {
            Event::Message(m) => Call::Message(m),
            Event::Part { kind, data, last } => Call::Part(kind, data, last),
            Event::Pong(p) => Call::Pong(p),
            Event::Closed(info) => Call::Closed(Box::new(self.closed(info))),
            // Pings are answered by the session; nothing else reaches the endpoint.
            _ => return,
        };
        let Some(state) = self.state.take() else {
            return;
        };
        if matches!(call, Call::Closed(_)) {
            self.phase = Phase::Closing;
        }
        let make = &self.make;
        match self.slot.start(|| make(state, call), cx) {
            Poll::Ready(state) => self.callback_done(state),
            // It waits: sends from it (or from elsewhere) wake the driver from now on.
            Poll::Pending => self.shared.lock().set_driving(None),
        }
    }

    /// The session closed: records how for the handles, leaves the group (a
    /// broadcast from `on_close` skips this session), and decides the error for
    /// `on_error`.
    #[cold]
    #[inline(never)]
    fn closed(&mut self, info: CloseInfo) -> (CloseInfo, Option<Error>) {
        self.shared.lock().set_close_info(info.clone());
        if let Some(group) = self.group {
            group.remove(self.shared.id);
        }
        if let Some(topics) = self.topics {
            topics.leave_all(self.shared);
        }
        self.shared.progress.notify_waiters();
        tracing::debug!(
            code = info.code.0,
            peer_code = info.peer_code.map(|c| c.0),
            initiator = ?info.initiator,
            reason = %info.reason,
            "session closed"
        );
        let error = match (self.io.error.take(), Error::from_close(&info)) {
            (_, None) => None,
            (_, Some(e @ Error::Protocol(_))) => {
                if let Error::Protocol(p) = &e {
                    if p.close_code() == CloseCode::MESSAGE_TOO_BIG {
                        tracing::debug!(error = %p, "limit hit");
                    }
                }
                Some(e)
            }
            (Some(io), Some(_)) => Some(Error::Io(io)),
            (None, e) => e,
        };
        (info, error)
    }

    /// Step 4: arms the timer for the next deadline (session timers, flushed sends,
    /// linger) and fires the deadlines that have passed.
    fn check_timers(&mut self, cx: &mut Context<'_>) -> bool {
        let core = self.shared.lock();
        let deadline = [
            core.session.poll_timeout(),
            core.flushed.deadline(core.written()),
            self.linger,
        ]
        .into_iter()
        .flatten()
        .min();
        if self.timer.poll(deadline, cx).is_pending() {
            return false;
        }
        self.fire_timers(core);
        true
    }

    /// A deadline has passed: fires what is due. Out of line, as it runs once per
    /// deadline, not once per turn.
    #[inline(never)]
    fn fire_timers(&mut self, mut core: std::sync::MutexGuard<'_, Core>) {
        let now = Instant::now();
        if core.flushed.is_expired(now, core.written()) && !core.session.is_closed() {
            tracing::debug!("blocking send timed out");
            core.flushed.expired = true;
            let _ = core
                .session
                .abort(now, CloseCode::GOING_AWAY, "blocking send timed out");
        }
        core.session.handle_timeout(now);
        let closed = core.session.is_closed();
        drop(core);
        if closed {
            self.shared.progress.notify_waiters();
        }
        if self.linger.is_some_and(|t| t <= now) && self.io.state != TransportState::Broken {
            tracing::debug!("closed session could not flush in time");
            self.io.state = TransportState::Broken;
        }
    }

    /// Whether the session is over: its close callback has run and its output is
    /// flushed (or cannot be).
    fn is_over(&self) -> bool {
        matches!(self.phase, Phase::Ended)
            && (self.io.state == TransportState::Broken || self.shared.lock().session.is_finished())
    }
}
