//! The connection driver: one task per session pumping a [`ws_session::Session`]
//! (shared with the [`SessionHandle`]s) over any transport, calling the endpoint.
//!
//! Loop: dispatch every queued event to the endpoint (callbacks may queue sends),
//! then wait for the first of: transport I/O, a wake-up from a handle (something
//! queued, a forced shutdown), or the next deadline (session timers, blocking sends).
//!
//! The I/O wait is where the hot path lives, so a message costs no turn of the loop:
//! it writes what is queued, reads and feeds the session, then hands the new
//! messages, parts and pongs to the endpoint right there, polling each callback once,
//! and goes round again to write the replies, until the transport has nothing more
//! to read. It returns to the loop only for what the loop must do: a callback that
//! waits (then finished there), a close to dispatch, the end of input, a closed
//! session that wrote. All available input is parsed and all callbacks run before
//! the next write, so many echoes leave in one write. While a callback is pending
//! the driver keeps writing and keeps the timers, but does not read.
//!
//! The driver is built for each endpoint type ([`run`] is generic; the server reaches
//! it through `DynEndpoint`): a message, part or pong becomes one future type (`C`
//! below), kept in a pinned slot of the driver's own future while it waits, so a
//! callback costs no allocation. Plain TCP is called directly, and its session runs
//! in a task of its own that holds just the driver (`DynEndpoint::spawn_tcp`: the
//! handshake's task ends at the 101, so an idle connection keeps the least); other
//! transports run in place through a trait object (`io::Conn`, `DynEndpoint::drive`).
//!
//! Wake-ups: a send made while the driver is handing events to the endpoint does
//! not wake it (`Core::driving`: it writes right after). Every handle call that can
//! bring a deadline earlier (close, ping, idle timeouts, flushed sends) wakes it
//! always, so the loop re-arms its timer; input alone only moves deadlines later,
//! or ends the session (a close event, which the loop handles).

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use futures::future::Either;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ws_frame::CloseCode;
use ws_session::{CloseCause, Event};

use crate::endpoint::{BoxFut, Endpoint};
use crate::error::Error;
use crate::handle::{SessionHandle, Shared};
use crate::io::{poll_read_session, poll_write_session};
use crate::server::Opened;

/// Why the driver woke up.
enum Wakeup {
    Io(io::Result<()>),
    Command,
    Timer,
}

/// Steps of the I/O wait (a write and a read, or one callback) before it yields to
/// the runtime: tokio's transports yield on their own after a budget of reads;
/// this bounds any other.
const IO_ROUNDS: usize = 512;

/// The driver's state. `C` turns a message, part or pong into the endpoint's
/// callback future `F` (one type for the three, so a callback that waits is kept
/// in place, in a pinned slot of the driver's own future: no allocation per call).
/// Any other event it gives back.
struct Driver<'a, S, E, C> {
    stream: S,
    shared: &'a Shared,
    endpoint: &'a E,
    handle: &'a SessionHandle,
    call: C,
    /// An event the I/O wait leaves to the loop (a close).
    held: Option<Event>,
    /// The read side ended or the transport failed: no more reads.
    eof: bool,
    /// The transport failed: no more writes either.
    broken: bool,
    /// An I/O error to report to the endpoint before its `on_close`.
    error: Option<io::Error>,
    /// Something was written since the last flush (TLS buffers records).
    unflushed: bool,
    /// When the session closed with bytes still queued: they get
    /// `session_close_timeout` to leave, then the transport is dropped.
    linger: Option<Instant>,
}

/// Runs a session until it is finished, then shuts the transport down.
///
/// `on_open` runs before the 101 is written when it completes without waiting, so a
/// client that sees the 101 knows `on_open` has run (its sends follow right after
/// the 101); an `on_open` that waits gets the 101 written first, so it can await
/// flushed sends.
pub(crate) async fn run<S, E>(endpoint: &E, stream: S, opened: Opened)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    E: Endpoint,
{
    let Opened {
        handle,
        response,
        leftover,
    } = opened;
    let shared = Arc::clone(&handle.shared);
    // Also runs if a callback panics: the session leaves the endpoint's list.
    let cleanup = Cleanup(&shared);
    let on = &handle;
    let call = move |event: Event| match event {
        Event::Message(m) => Ok(Either::Left(endpoint.on_message(on, m))),
        Event::Part { kind, data, last } => Ok(Either::Right(Either::Left(
            endpoint.on_part(on, kind, data, last),
        ))),
        Event::Pong(p) => Ok(Either::Right(Either::Right(endpoint.on_pong(on, p)))),
        other => Err(other),
    };
    let mut slot = pin!(empty_slot(&call));
    let mut d = Driver {
        stream,
        shared: &shared,
        endpoint,
        handle: &handle,
        call,
        held: None,
        eof: false,
        broken: false,
        error: None,
        unflushed: false,
        linger: None,
    };
    // Boxed: it runs once, and the driver's future should not keep its size.
    let mut on_open: BoxFut<'_> = Box::pin(endpoint.on_open(&handle));
    let opened_at_once = futures::poll!(on_open.as_mut()).is_ready();
    match d.stream.write_all(&response).await {
        Ok(()) => d.unflushed = true,
        Err(e) => {
            tracing::debug!(error = %e, "writing the 101 failed");
            d.fail(e);
        }
    }
    // Not kept for the session's life.
    drop(response);
    if !opened_at_once {
        d.callback(on_open).await;
    } else {
        drop(on_open);
    }
    if !leftover.is_empty() {
        shared
            .lock()
            .session
            .handle_input(Instant::now(), &leftover);
    }
    drop(leftover);
    loop {
        if slot.is_some() {
            // Boxed, as in `callback`: only callbacks that wait pay for it.
            Box::pin(d.finish_call(slot.as_mut())).await;
        }
        if let Some(event) = d.held.take() {
            d.dispatch(event, slot.as_mut()).await;
        }
        loop {
            let event = shared.lock().session.poll_event();
            match event {
                Some(event) => d.dispatch(event, slot.as_mut()).await,
                None => break,
            }
        }
        if d.finished() {
            break;
        }
        let wakeup = d
            .wait(None::<std::future::Pending<()>>, Some(slot.as_mut()))
            .await;
        d.on_wakeup(wakeup);
    }
    drop(cleanup);
    if !d.broken {
        // Best effort: FIN (or TLS close_notify); never wait long for it.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), d.stream.shutdown()).await;
        if !d.eof {
            // Lingering close: dropping a socket with unread input resets it, and the
            // reset can destroy our close frame before the peer reads it (e.g. a 1009
            // while the peer is still sending the oversized message). Read and discard
            // until the peer's EOF, briefly.
            let drain = Box::pin(drain(&mut d.stream));
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
        }
    }
}

/// Reads and drops input until EOF or an error.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(1..) = stream.read(&mut buf).await {}
}

/// Marks the session gone and unregisters it when the driver ends (or unwinds).
struct Cleanup<'a>(&'a Shared);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.0.lock().gone = true;
        self.0.slot.sessions().remove(&self.0.id);
        self.0.progress.notify_waiters();
    }
}

/// The empty slot for the callback futures `call` makes (it names their type).
fn empty_slot<C, F>(_call: &C) -> Option<F>
where
    C: Fn(Event) -> Result<F, Event>,
{
    None
}

/// Polls the callback in `slot`, emptying the slot once it completes; ready at once
/// for an empty slot.
fn poll_slot<F: Future<Output = ()>>(
    mut slot: Pin<&mut Option<F>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if let Some(fut) = slot.as_mut().as_pin_mut() {
        ready!(fut.poll(cx));
        slot.set(None);
    }
    Poll::Ready(())
}

/// The slot the I/O wait puts callbacks in (`None`: it does not read).
type Calls<'s, F> = Option<Pin<&'s mut Option<F>>>;

impl<'a, S, E, C, F> Driver<'a, S, E, C>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    E: Endpoint,
    C: Fn(Event) -> Result<F, Event>,
    F: Future<Output = ()>,
{
    fn finished(&self) -> bool {
        let core = self.shared.lock();
        core.session.is_finished() || (self.broken && core.session.is_closed())
    }

    /// Hands one event to the endpoint and runs its callback to completion.
    async fn dispatch(&mut self, event: Event, mut slot: Pin<&mut Option<F>>) {
        let (endpoint, handle) = (self.endpoint, self.handle);
        let info = match (self.call)(event) {
            Ok(fut) => {
                slot.set(Some(fut));
                if poll_fn(|cx| Poll::Ready(poll_slot(slot.as_mut(), cx)))
                    .await
                    .is_pending()
                {
                    Box::pin(self.finish_call(slot)).await;
                }
                return;
            }
            Err(Event::Closed(info)) => info,
            // Nothing else reaches the endpoint.
            Err(_) => return,
        };
        // Off the list before on_close: a broadcast from there skips us.
        self.shared.slot.sessions().remove(&self.shared.id);
        self.shared.progress.notify_waiters();
        tracing::debug!(
            code = info.code.0,
            peer_code = info.peer_code.map(|c| c.0),
            initiator = ?info.initiator,
            reason = %info.reason,
            "session closed"
        );
        let error = match &info.cause {
            CloseCause::Protocol(e) => {
                if e.close_code() == CloseCode::MESSAGE_TOO_BIG {
                    tracing::debug!(error = %e, "limit hit");
                }
                Some(Error::Protocol(e.clone()))
            }
            _ => self.error.take().map(Error::Io),
        };
        // Boxed: once per session, and the driver's future should not keep their size.
        if let Some(error) = error {
            self.callback(Box::pin(endpoint.on_error(handle, &error)))
                .await;
        }
        self.callback(Box::pin(endpoint.on_close(handle, &info)))
            .await;
    }

    /// Runs a callback to completion, writing and keeping timers meanwhile.
    async fn callback(&mut self, fut: BoxFut<'_>) {
        let mut fut = fut;
        if futures::poll!(fut.as_mut()).is_ready() {
            return;
        }
        // Boxed: only callbacks that wait pay for it, and every task stays small.
        Box::pin(self.until_done(fut)).await;
    }

    /// Runs `fut` (a callback that did not complete at once) to completion, writing
    /// and keeping timers meanwhile.
    async fn until_done<G: Future<Output = ()> + Unpin>(&mut self, mut fut: G) {
        while let Some(wakeup) = self.wait(Some(&mut fut), None).await {
            self.on_wakeup(Some(wakeup));
        }
    }

    /// Runs the callback in `slot` to completion (see [`until_done`](Self::until_done)).
    async fn finish_call(&mut self, mut slot: Pin<&mut Option<F>>) {
        self.until_done(poll_fn(|cx| poll_slot(slot.as_mut(), cx)))
            .await;
    }

    /// Waits for I/O, a command, a deadline, or the callback `fut` (then `None`).
    /// With `calls` (and no `fut`) the I/O wait also reads, handing what comes to
    /// the endpoint; a callback that waits is left in `calls` for the loop.
    async fn wait<G: Future<Output = ()>>(
        &mut self,
        fut: Option<G>,
        calls: Calls<'_, F>,
    ) -> Option<Wakeup> {
        let deadline = {
            let core = self.shared.lock();
            if core.session.is_closed() && self.linger.is_none() {
                self.linger = Some(Instant::now() + core.session.config().session_close_timeout);
            }
            [
                core.session.poll_timeout(),
                core.blocking_deadline(),
                self.linger,
            ]
            .into_iter()
            .flatten()
            .min()
        };
        // No timer at all without a deadline (the common case): nothing to build or
        // register on every turn of the loop.
        let sleep = deadline.map(|d| tokio::time::sleep_until(tokio::time::Instant::from_std(d)));
        let timer = async {
            match sleep {
                Some(sleep) => sleep.await,
                None => std::future::pending().await,
            }
        };
        let shared = self.shared;
        let is_callback = fut.is_some();
        let mut fut = pin!(futures::future::OptionFuture::from(fut));
        tokio::select! {
            biased;
            Some(()) = &mut fut, if is_callback => None,
            r = self.io(calls) => Some(Wakeup::Io(r)),
            () = poll_fn(|cx| shared.wake.poll_woken(cx)) => Some(Wakeup::Command),
            () = timer => Some(Wakeup::Timer),
        }
    }

    /// The transport failed: no more I/O; the session ends with 1006.
    fn fail(&mut self, e: io::Error) {
        self.eof = true;
        self.broken = true;
        let mut core = self.shared.lock();
        if !core.session.is_closed() {
            self.error = Some(e);
        }
        core.session.handle_eof(Instant::now());
    }

    fn on_wakeup(&mut self, wakeup: Option<Wakeup>) {
        let Some(wakeup) = wakeup else { return };
        let mut core = self.shared.lock();
        match wakeup {
            Wakeup::Io(Ok(())) => {}
            Wakeup::Io(Err(e)) => {
                tracing::debug!(error = %e, "transport failed");
                drop(core);
                self.fail(e);
                core = self.shared.lock();
            }
            Wakeup::Command => {
                if core.kill {
                    self.eof = true;
                    self.broken = true;
                    core.session.handle_eof(Instant::now());
                }
            }
            Wakeup::Timer => {
                let now = Instant::now();
                if core.blocking_expired(now) && !core.session.is_closed() {
                    tracing::debug!("blocking send timed out");
                    core.timed_out = true;
                    let _ =
                        core.session
                            .abort(now, CloseCode::GOING_AWAY, "blocking send timed out");
                }
                core.session.handle_timeout(now);
                if self.linger.is_some_and(|t| t <= now) {
                    tracing::debug!("closed session could not flush in time");
                    self.eof = true;
                    self.broken = true;
                }
            }
        }
        if core.session.is_closed() {
            drop(core);
            self.shared.progress.notify_waiters();
        }
    }

    /// Transport I/O: write what is queued, then (if `read`) read, feed the session
    /// and hand what it yields to the endpoint, and go round again. Resolves when the
    /// loop has work (see the module docs), the input ended or failed, or a closed
    /// session wrote; a write alone keeps waiting, with the wakers of this same poll,
    /// so an echo costs no turn of the loop.
    async fn io(&mut self, mut calls: Calls<'_, F>) -> io::Result<()> {
        let read = calls.is_some();
        poll_fn(|cx| {
            for _ in 0..IO_ROUNDS {
                match self.transfer(cx, read) {
                    Ok(Step::Wait) => return Poll::Pending,
                    Ok(Step::Loop) => return Poll::Ready(Ok(())),
                    Ok(Step::Again) => {}
                    Ok(Step::Call(event)) => {
                        let slot = calls.as_mut().expect("events are taken only to call");
                        if !self.call_now(cx, event, slot.as_mut()) {
                            return Poll::Ready(Ok(()));
                        }
                    }
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            // Let the runtime run other tasks; this poll comes back at once.
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await
    }

    /// One step of [`io`](Self::io), under one lock of the session: the next queued
    /// event if there is one; else write what is queued, read and feed the session,
    /// and take the first event that yields.
    fn transfer(&mut self, cx: &mut Context<'_>, read: bool) -> io::Result<Step> {
        if self.broken {
            return Ok(Step::Wait);
        }
        let shared = self.shared;
        let mut core = shared.lock();
        if read {
            if let Some(event) = core.session.poll_event() {
                core.driving = true;
                return Ok(Step::Call(event));
            }
        }
        // The endpoint is done for now: sends wake the driver again.
        core.driving = false;
        let above = core.session.is_above_high_water();
        let (wrote, wake_senders) =
            match poll_write_session(&mut self.stream, cx, &mut core.session) {
                Poll::Ready(Ok(0)) | Poll::Pending => (false, false),
                Poll::Ready(Ok(n)) => {
                    core.written += n as u64;
                    self.unflushed = true;
                    let drained = above && !core.session.is_above_high_water();
                    let wake = drained || !core.blocking.is_empty() || core.session.is_finished();
                    (true, wake)
                }
                Poll::Ready(Err(e)) => return Err(e),
            };
        if self.unflushed {
            match std::pin::Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => {}
            }
        }
        let step = if core.session.is_closed() {
            // A closed session that wrote may now be finished: the loop checks.
            if wrote {
                Step::Loop
            } else {
                Step::Wait
            }
        } else if !read || self.eof {
            Step::Wait
        } else {
            let mut fed_at = None;
            let polled = poll_read_session(&mut self.stream, cx, &mut core.session, &mut fed_at);
            if fed_at.is_some() {
                core.clock = fed_at;
            }
            match polled {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    Step::Loop
                }
                Poll::Ready(Ok(_)) => match core.session.poll_event() {
                    Some(event) => Step::Call(event),
                    // A frame in part, or a ping whose pong is now queued.
                    None => Step::Again,
                },
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => Step::Wait,
            }
        };
        if let Step::Call(_) = step {
            core.driving = true;
        }
        drop(core);
        if wake_senders {
            shared.progress.notify_waiters();
        }
        Ok(step)
    }

    /// Hands `event` to the endpoint, polling the callback once. Returns whether the
    /// I/O wait may go on: not if the callback waits (it stays in `slot`), nor for a
    /// close (kept in `held`); the loop has both.
    fn call_now(
        &mut self,
        cx: &mut Context<'_>,
        event: Event,
        mut slot: Pin<&mut Option<F>>,
    ) -> bool {
        match (self.call)(event) {
            Ok(fut) => {
                slot.set(Some(fut));
                if poll_slot(slot, cx).is_ready() {
                    return true;
                }
            }
            Err(event) => self.held = Some(event),
        }
        self.shared.lock().driving = false;
        false
    }
}

/// What one step of the I/O wait leaves to do.
enum Step {
    /// Nothing until a waker fires.
    Wait,
    /// The driver's loop has work.
    Loop,
    /// Go round again.
    Again,
    /// Hand this event to the endpoint.
    Call(Event),
}
