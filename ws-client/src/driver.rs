//! The driver task: pumps a [`Session`] over the transport in the order ws-session
//! documents — inputs, then events, then transmit, then the next deadline.
//!
//! One hand-written poll function instead of `select!` so the read half, the write
//! half, the deadline, the command channel and the event channel are all polled on
//! the same `&mut` transport without splitting it. Commands are drained in batches
//! (up to [`COMMAND_BATCH`]) before writing, so many small sends leave in one
//! vectored write; the transport is flushed only once the transmit queue is empty.
//! Backpressure both ways: no commands are taken while the session is above its
//! high-water mark, and no bytes are read while an event waits for the application.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::channel::{mpsc, oneshot};
use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use ws_frame::CloseCode;
use ws_session::{CloseInfo, Event, Message, MessageKind, Session};

use crate::error::Error;
use crate::transport::Transport;

/// Commands taken per round before writing.
const COMMAND_BATCH: usize = 64;
/// Slices per vectored write.
const IOV: usize = 64;
/// Read buffer size.
const READ_BUF: usize = 64 * 1024;
/// Rounds with progress before yielding to the runtime.
const ROUNDS: usize = 32;

/// Completion of a command: `Ok` once its bytes are written.
pub(crate) type Reply = Option<oneshot::Sender<Result<(), Error>>>;

/// What the application asks of the driver.
pub(crate) enum Command {
    /// A whole message.
    Send(Message, Reply),
    /// Whole messages buffered by the `Sink` (one command, one wake-up, per flush).
    Batch(Vec<Message>),
    /// A part of a message.
    Part(MessageKind, Bytes, bool, Reply),
    /// A ping.
    Ping(Bytes, Reply),
    /// Start the close handshake.
    Close(CloseCode, String, Reply),
    /// Completes when everything queued before it is written.
    Flush(Reply),
    /// New idle timeouts: read, write, both directions.
    SetIdle([Option<std::time::Duration>; 3], Reply),
}

/// State shared between the driver and the handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The negotiated subprotocol.
    pub(crate) protocol: Option<String>,
    /// The negotiated permessage-deflate parameters.
    pub(crate) deflate: Option<ws_handshake::DeflateParams>,
    /// How the session ended, once it has.
    pub(crate) closed: Mutex<Option<CloseInfo>>,
    /// The first refusal of a send that had no reply channel (the `Sink`), reported
    /// by the next flush.
    pub(crate) unreported: Mutex<Option<ws_session::SendError>>,
}

impl Shared {
    pub(crate) fn close_info(&self) -> Option<CloseInfo> {
        self.closed.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The driver's state.
pub(crate) struct Driver {
    io: Transport,
    session: Session,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    events: mpsc::Sender<Event>,
    events_open: bool,
    backlog: VecDeque<Event>,
    /// Replies waiting for the transmit counter to reach their mark.
    acks: VecDeque<(u64, oneshot::Sender<Result<(), Error>>)>,
    written: u64,
    needs_flush: bool,
    write_failed: bool,
    read_closed: bool,
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    read_buf: Box<[u8]>,
    shared: Arc<Shared>,
}

impl Driver {
    pub(crate) fn new(
        io: Transport,
        session: Session,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<Event>,
        shared: Arc<Shared>,
    ) -> Self {
        Driver {
            io,
            session,
            commands,
            commands_open: true,
            events,
            events_open: true,
            backlog: VecDeque::new(),
            acks: VecDeque::new(),
            written: 0,
            needs_flush: false,
            write_failed: false,
            read_closed: false,
            sleep: Box::pin(tokio::time::sleep(std::time::Duration::ZERO)),
            armed: None,
            read_buf: vec![0; READ_BUF].into_boxed_slice(),
            shared,
        }
    }

    /// Runs until the session is finished and the transport shut down.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll_drive(cx)).await;
        let info = self.shared.close_info();
        tracing::debug!(?info, "driver finished");
        for (_, tx) in self.acks.drain(..) {
            let _ = tx.send(Err(Error::Closed));
        }
    }

    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..ROUNDS {
            let mut progress = false;
            progress |= self.take_events();
            progress |= self.deliver(cx);
            progress |= self.take_commands(cx);
            progress |= self.write(cx);
            progress |= self.read(cx);
            progress |= self.timer(cx);
            // Inputs above may have produced events: never finish before they are
            // taken (the close event in particular).
            progress |= self.take_events();
            progress |= self.deliver(cx);
            if self.done(cx) {
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn take_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.session.poll_event() {
            if let Event::Closed(info) = &event {
                if let Ok(mut slot) = self.shared.closed.lock() {
                    *slot = Some(info.clone());
                }
            }
            if self.events_open {
                self.backlog.push_back(event);
            }
            any = true;
        }
        any
    }

    fn deliver(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        while !self.backlog.is_empty() {
            match Pin::new(&mut self.events).poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    let event = self.backlog.pop_front().expect("non-empty");
                    if Pin::new(&mut self.events).start_send(event).is_err() {
                        self.drop_events();
                    }
                    any = true;
                }
                Poll::Ready(Err(_)) => {
                    self.drop_events();
                    any = true;
                }
                Poll::Pending => break,
            }
        }
        any
    }

    /// Nobody listens any more: discard events from now on.
    fn drop_events(&mut self) {
        self.events_open = false;
        self.backlog.clear();
    }

    fn take_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        for _ in 0..COMMAND_BATCH {
            if !self.commands_open || self.session.is_above_high_water() {
                break;
            }
            match Pin::new(&mut self.commands).poll_next(cx) {
                Poll::Ready(Some(command)) => {
                    self.apply(command);
                    any = true;
                }
                Poll::Ready(None) => {
                    // Every handle is gone: close politely.
                    self.commands_open = false;
                    if !self.session.is_closed() {
                        let _ = self.session.close(Instant::now(), CloseCode::NORMAL, "");
                    }
                    any = true;
                }
                Poll::Pending => break,
            }
        }
        any
    }

    fn apply(&mut self, command: Command) {
        let now = Instant::now();
        let (result, reply) = match command {
            Command::Send(message, reply) => (self.session.send(now, message), reply),
            Command::Batch(messages) => {
                let mut result = Ok(());
                for message in messages {
                    let sent = self.session.send(now, message);
                    if result.is_ok() {
                        result = sent;
                    }
                }
                (result, None)
            }
            Command::Part(kind, data, last, reply) => {
                (self.session.send_part(now, kind, data, last), reply)
            }
            Command::Ping(payload, reply) => (self.session.ping(now, &payload), reply),
            Command::Close(code, reason, reply) => (self.session.close(now, code, &reason), reply),
            Command::Flush(reply) => (Ok(()), reply),
            Command::SetIdle([read, write, max], reply) => {
                self.session.set_idle_timeouts(read, write, max);
                (Ok(()), reply)
            }
        };
        let Some(reply) = reply else {
            if let (Err(e), Ok(mut slot)) = (result, self.shared.unreported.lock()) {
                slot.get_or_insert(e);
            }
            return;
        };
        match result {
            Err(e) => {
                let _ = reply.send(Err(Error::Send(e)));
            }
            Ok(()) => {
                let mark = self.written + self.session.pending_transmit() as u64;
                if mark <= self.written {
                    let _ = reply.send(Ok(()));
                } else {
                    self.acks.push_back((mark, reply));
                }
            }
        }
    }

    fn write(&mut self, cx: &mut Context<'_>) -> bool {
        if self.write_failed {
            return false;
        }
        let mut any = false;
        while self.session.pending_transmit() > 0 {
            let result = {
                let mut bufs = [IoSlice::new(&[]); IOV];
                // Small frames lie together (one slice): a plain write then.
                match self.session.poll_transmit(&mut bufs) {
                    1 => Pin::new(&mut self.io).poll_write(cx, &bufs[0]),
                    n => Pin::new(&mut self.io).poll_write_vectored(cx, &bufs[..n]),
                }
            };
            match result {
                Poll::Ready(Ok(0)) => {
                    self.fail(io::ErrorKind::WriteZero.into());
                    return true;
                }
                Poll::Ready(Ok(n)) => {
                    self.session.advance_transmit(n);
                    self.written += n as u64;
                    self.needs_flush = true;
                    self.settle_acks();
                    any = true;
                }
                Poll::Ready(Err(e)) => {
                    self.fail(e);
                    return true;
                }
                Poll::Pending => return any,
            }
        }
        if self.needs_flush {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.needs_flush = false;
                    any = true;
                }
                Poll::Ready(Err(e)) => {
                    self.fail(e);
                    any = true;
                }
                Poll::Pending => {}
            }
        }
        any
    }

    fn settle_acks(&mut self) {
        while self
            .acks
            .front()
            .is_some_and(|(mark, _)| *mark <= self.written)
        {
            let (_, tx) = self.acks.pop_front().expect("non-empty");
            let _ = tx.send(Ok(()));
        }
    }

    fn read(&mut self, cx: &mut Context<'_>) -> bool {
        // Backpressure: do not read while the application has not taken events.
        if self.read_closed || self.session.is_closed() || !self.backlog.is_empty() {
            return false;
        }
        let polled = match self.session.lend_input() {
            // A large frame under way: its payload goes straight into the message
            // buffer the session lends (no copy, and reads as large as the frame's rest).
            Some(mut loan) => {
                let polled =
                    tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut loan.buf_mut());
                self.session.handle_loan(Instant::now(), loan);
                polled
            }
            None => {
                let mut buf = ReadBuf::new(&mut self.read_buf);
                let polled = Pin::new(&mut self.io).poll_read(cx, &mut buf);
                if !buf.filled().is_empty() {
                    self.session.handle_input(Instant::now(), buf.filled());
                }
                polled.map_ok(|()| buf.filled().len())
            }
        };
        match polled {
            Poll::Ready(Ok(0)) => {
                self.read_closed = true;
                self.session.handle_eof(Instant::now());
                true
            }
            Poll::Ready(Ok(_)) => true,
            Poll::Ready(Err(e)) => {
                tracing::debug!(error = %e, "read failed");
                self.read_closed = true;
                self.session.handle_eof(Instant::now());
                true
            }
            Poll::Pending => false,
        }
    }

    fn timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.session.poll_timeout() else {
            self.armed = None;
            return false;
        };
        if self.armed != Some(deadline) {
            self.sleep
                .as_mut()
                .reset(tokio::time::Instant::from_std(deadline));
            self.armed = Some(deadline);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.armed = None;
            self.session.handle_timeout(Instant::now());
            return true;
        }
        false
    }

    /// A write failed: nothing more can be sent.
    fn fail(&mut self, e: io::Error) {
        tracing::debug!(error = %e, "write failed");
        self.write_failed = true;
        self.read_closed = true;
        self.session.handle_eof(Instant::now());
        for (_, tx) in self.acks.drain(..) {
            let _ = tx.send(Err(Error::Io(io::Error::new(e.kind(), e.to_string()))));
        }
    }

    /// Finished: the session is closed, its bytes are out (or cannot go out), the
    /// events are delivered; then the transport is shut down.
    fn done(&mut self, cx: &mut Context<'_>) -> bool {
        let flushed = self.session.is_finished() || self.write_failed;
        if !(self.session.is_closed() && flushed && self.backlog.is_empty()) {
            return false;
        }
        // Best effort (TLS close_notify, TCP FIN); a peer that is gone is fine.
        if !self.write_failed && Pin::new(&mut self.io).poll_shutdown(cx).is_pending() {
            return false;
        }
        // Make sure the final events reach the receiver before it sees the end.
        if self.events_open && Pin::new(&mut self.events).poll_flush(cx).is_pending() {
            return false;
        }
        true
    }
}

/// Whether a stream of events ended normally.
pub(crate) fn is_clean(info: &CloseInfo) -> bool {
    matches!(info.cause, ws_session::CloseCause::Handshake)
}
