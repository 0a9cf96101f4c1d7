//! [`WebSocket`]: one session over any `AsyncRead + AsyncWrite`, owned by the
//! caller's task, as a futures [`Stream`] of messages and a [`Sink`] of messages,
//! with streaming in both directions ([`WebSocket::next_part`], and
//! `send_writer` in `writer.rs`) and `split` into halves (in `split.rs`).
//!
//! No task of its own and no channel: every method is a `poll_*` function that
//! moves bytes between the caller's transport and the session, so each message
//! crosses no task boundary, and the API is cancellation-safe: dropping a `next()`,
//! `send()` or `write()` future loses nothing (bytes read are already parsed into
//! the session, messages given to the sink are already queued whole).

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::CloseCode;
use ws_handshake::Accepted;
use ws_session::{CloseInfo, Event, Message, MessageKind, Session, SessionConfig, State};

use crate::deflate::negotiated_session;
use crate::error::Error;
use crate::info::SessionInfo;
use crate::send_clock::SendClock;
use crate::timer::Timer;
use crate::transfer::{poll_read_session, poll_write_session};

/// A piece of a received message, from [`WebSocket::next_part`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Text or binary.
    pub kind: MessageKind,
    /// The bytes of this part; a text part is whole UTF-8 characters.
    pub data: Bytes,
    /// Whether this part ends the message.
    pub last: bool,
}

/// An open WebSocket: a [`Stream`] of received messages and a [`Sink`] of messages
/// to send, for either role.
///
/// * **Receiving**: the stream yields whole messages (pings are answered
///   automatically, pongs skipped). It ends (`None`) after a clean close; a protocol
///   violation, a timeout, a transport failure or an end without a close handshake
///   is yielded once as an error first, once our close frame (with the violation's
///   code) is written or cannot be, so a caller that stops at the error loses
///   nothing. [`close_info`](Self::close_info) tells how it ended. Messages that
///   arrived before a violation are yielded before its error. For messages too large to hold, configure [`Delivery::Partial`]
///   (`ws_session::Delivery`) for their type and read them with
///   [`next_part`](Self::next_part), in bounded memory; the `Stream` would hand out
///   each such part as a message of its own.
/// * **Sending**: the sink's `poll_ready` applies backpressure at the session's
///   high-water mark; `start_send` queues the message whole; `poll_flush` writes
///   everything queued; `poll_close` queues a 1000 close and flushes it (keep
///   polling the stream to read the peer's answer). A message of unknown length
///   goes through [`send_writer`](Self::send_writer), an `AsyncWrite`.
/// * **Concurrency**: [`split`](Self::split) gives a read half and a write half
///   that can live in different tasks.
///
/// After a clean close the stream shuts the transport down (TCP FIN, TLS
/// `close_notify`, HTTP/2 `END_STREAM`) before it ends. Dropping a `WebSocket`
/// drops the transport without a close frame: close first (`SinkExt::close`) for a
/// clean end.
///
/// [`Delivery::Partial`]: ws_session::Delivery::Partial
pub struct WebSocket<S> {
    stream: S,
    session: Session,
    timer: Timer,
    send_clock: SendClock,
    /// The peer's end of stream was read (or the transport failed).
    eof: bool,
    /// Something was written since the last flush (TLS buffers records).
    unflushed: bool,
    /// A transport failure, reported instead of the close's own error.
    io_error: Option<io::Error>,
    /// How the session ended, once its close event was taken.
    close: Option<CloseInfo>,
    /// The error that reports an unclean end, held until the close frame is out.
    end_error: Option<Error>,
    /// The end was reported: the error, if any, was yielded and `None` follows.
    ended: bool,
    /// Our end of the transport was shut down after a clean close (FIN, TLS
    /// `close_notify`, HTTP/2 `END_STREAM`).
    shut_down: bool,
    info: SessionInfo,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("session", &self.session)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// A WebSocket over `stream` running `session` (either role), described by
    /// `info`. Front-ends call this when their handshake completes.
    pub fn from_session(stream: S, session: Session, info: SessionInfo) -> Self {
        WebSocket {
            stream,
            session,
            timer: Timer::default(),
            send_clock: SendClock::new(Instant::now()),
            eof: false,
            unflushed: false,
            io_error: None,
            close: None,
            end_error: None,
            ended: false,
            shut_down: false,
            info,
        }
    }

    /// Wraps a stream whose server handshake another HTTP stack (hyper, axum...)
    /// already did, with the negotiation result from
    /// [`ws_handshake::UpgradeRequest::accept`] (whose response was sent).
    pub fn from_upgraded(stream: S, negotiated: &Accepted, config: SessionConfig) -> Self {
        let config = negotiated_session(config, negotiated.deflate.as_ref());
        let session = Session::server(config, Instant::now());
        let info = SessionInfo::default()
            .with_protocol(negotiated.protocol.clone())
            .with_deflate(negotiated.deflate);
        WebSocket::from_session(stream, session, info)
    }

    /// Feeds the bytes the peer sent right after its handshake head, as if read
    /// first.
    pub fn with_leftover(mut self, leftover: &[u8]) -> Self {
        if !leftover.is_empty() {
            self.session.handle_input(Instant::now(), leftover);
        }
        self
    }

    /// How the session was opened (target, negotiation).
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// The request path (empty for [`from_upgraded`](Self::from_upgraded)).
    pub fn path(&self) -> &str {
        self.info.path()
    }

    /// The query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.info.query()
    }

    /// The negotiated subprotocol.
    pub fn protocol(&self) -> Option<&str> {
        self.info.protocol()
    }

    /// The negotiated permessage-deflate parameters, if compression is on.
    pub fn deflate(&self) -> Option<&ws_handshake::DeflateParams> {
        self.info.deflate()
    }

    /// How the session closed, once it has.
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.close.as_ref()
    }

    /// The underlying session (state, queue size, configuration).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// Queues a ping (at most 125 bytes) ahead of queued data; it goes out with the
    /// next flush or poll of the stream.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        Ok(self.session.ping(Instant::now(), payload)?)
    }

    /// Queues an unsolicited pong (a heartbeat).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        Ok(self.session.pong(Instant::now(), payload)?)
    }

    /// Changes the idle timeouts while the session runs (see
    /// [`SessionHandle::set_idle_timeouts`](crate::SessionHandle::set_idle_timeouts));
    /// they are checked while the stream is polled.
    pub fn set_idle_timeouts(
        &mut self,
        read: Option<std::time::Duration>,
        write: Option<std::time::Duration>,
        max: Option<std::time::Duration>,
    ) {
        self.session
            .set_idle_timeouts(Instant::now(), read, write, max);
    }

    /// Queues a close frame with `code` and `reason` behind queued messages; flush
    /// (or keep polling the stream, which reads the peer's answer) to send it.
    pub fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        Ok(self.session.close(Instant::now(), code, reason)?)
    }

    /// The next part of a message (cancellation-safe): for types with partial
    /// delivery the parts as they arrive, in bounded memory; a whole message as one
    /// part with `last` set. `None` after a clean close; an unclean end is yielded
    /// once as an error first, as by the stream.
    pub fn next_part(&mut self) -> impl Future<Output = Option<Result<Part, Error>>> + '_ {
        poll_fn(move |cx| self.poll_next_part(cx))
    }

    /// Polls for the next part (see [`next_part`](Self::next_part)).
    pub fn poll_next_part(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Part, Error>>> {
        self.poll_received(cx, |event| match event {
            Event::Message(m) => Some(Part {
                kind: m.kind(),
                data: match m {
                    Message::Text(s) => Bytes::from(s),
                    Message::Binary(b) => b,
                },
                last: true,
            }),
            Event::Part { kind, data, last } => Some(Part { kind, data, last }),
            _ => None,
        })
    }

    /// Writes what is queued; `Ready` when all is written and flushed.
    pub(crate) fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while self.session.pending_transmit() > 0 {
            ready!(poll_write_session(&mut self.stream, cx, &mut self.session))?;
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes until the queue is below its high-water mark; then the session takes
    /// more (or refuses it as closed).
    pub(crate) fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while self.session.is_above_high_water() {
            ready!(poll_write_session(&mut self.stream, cx, &mut self.session))?;
            self.unflushed = true;
        }
        if self.session.state() != State::Open {
            return Poll::Ready(Err(Error::Closed));
        }
        Poll::Ready(Ok(()))
    }

    /// Queues one part of a message sent in parts.
    pub(crate) fn queue_part(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) -> Result<(), Error> {
        let now = self.send_clock.for_send(&self.session);
        Ok(self.session.send_part(now, kind, data, last)?)
    }

    /// Fires the session's deadline if it passed; registers the timer otherwise.
    fn poll_timer(&mut self, cx: &mut Context<'_>) {
        while self.timer.poll(self.session.poll_timeout(), cx).is_ready() {
            self.session.handle_timeout(Instant::now());
        }
    }

    /// The transport failed: the session ends with 1006; the error is reported once.
    fn fail(&mut self, e: io::Error) {
        self.eof = true;
        if !self.session.is_closed() {
            self.io_error = Some(e);
        }
        self.session.handle_eof(Instant::now());
    }

    /// Drives the session until `pick` takes an event, or the session ends.
    fn poll_received<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Poll<Option<Result<T, Error>>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            while let Some(event) = self.session.poll_event() {
                if let Event::Closed(info) = event {
                    let error = match self.io_error.take() {
                        Some(io) if Error::from_close(&info).is_some() => Some(Error::Io(io)),
                        _ => Error::from_close(&info),
                    };
                    self.close = Some(info);
                    // Reported once the close frame is out (or cannot be): a caller
                    // that stops at the error must not lose our close frame.
                    self.end_error = error;
                } else if let Some(item) = pick(event) {
                    return Poll::Ready(Some(Ok(item)));
                }
            }
            // Write what is queued (pongs, close replies) without waiting for it.
            if let Poll::Ready(Err(e)) = self.poll_write_all(cx) {
                match e {
                    Error::Io(e) => self.fail(e),
                    _ => self.fail(io::ErrorKind::BrokenPipe.into()),
                }
                continue;
            }
            self.poll_timer(cx);
            if self.session.is_closed() {
                if self.close.is_none() {
                    continue; // take the close event first
                }
                if self.session.is_finished() && !self.shut_down {
                    // A clean end ends the transport cleanly too: an HTTP/2 stream
                    // dropped without END_STREAM would be reset, and its reset can
                    // discard our close frame before it leaves.
                    if Pin::new(&mut self.stream).poll_shutdown(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.shut_down = true;
                }
                if self.session.is_finished() || self.eof {
                    self.ended = true;
                    return Poll::Ready(self.end_error.take().map(Err));
                }
                return Poll::Pending;
            }
            if self.eof {
                return Poll::Pending;
            }
            match poll_read_session(&mut self.stream, cx, &mut self.session, &mut None) {
                Poll::Ready(Ok(0)) => self.eof = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => self.fail(e),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S> Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_received(cx, |event| match event {
            Event::Message(m) => Some(m),
            Event::Part { kind, data, .. } => Some(match kind {
                // Parts of text are whole characters.
                MessageKind::Text => Message::Text(String::from_utf8_lossy(&data).into_owned()),
                MessageKind::Binary => Message::Binary(data),
            }),
            _ => None,
        })
    }
}

impl<S> Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_room(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        let now = this.send_clock.for_send(&this.session);
        Ok(this.session.send(now, item)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.session.state() == State::Open {
            let _ = this.session.close(Instant::now(), CloseCode::NORMAL, "");
        }
        match ready!(this.poll_write_all(cx)) {
            // Already closed by the peer and gone: closing is done.
            Err(Error::Io(_)) if this.session.is_closed() => Poll::Ready(Ok(())),
            other => Poll::Ready(other),
        }
    }
}
