//! [`WebSocket`]: the connection as a `Stream` of messages and a `Sink` of messages.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures::channel::{mpsc, oneshot};
use futures::{Sink, Stream};
use ws_frame::CloseCode;
use ws_session::{CloseInfo, Event, Message};

use crate::driver::{is_clean, Command, Shared};

/// Bytes of messages the `Sink` buffers before handing them to the driver without a
/// flush.
const BATCH_BYTES: usize = 64 * 1024;
use crate::error::Error;
use crate::handle::SessionHandle;
use ws_handshake::DeflateParams;

/// An open client connection as a [`Stream`] of received messages and a [`Sink`] of
/// messages to send. Both halves are cancellation-safe: every piece of state lives
/// in the struct, so dropping a `next()` or `send()` future loses nothing.
///
/// * The stream yields whole messages (pings are answered automatically; pongs and
///   parts are not shown here — use the [`Endpoint`](crate::Endpoint) API for those).
///   It ends (`None`) after a close handshake; an abnormal end (protocol error,
///   timeout, transport lost) yields one [`Error::Abnormal`] first.
///   [`close_info`](Self::close_info) tells how it ended.
/// * Like any `Sink`, `start_send` only buffers: messages go to the connection's
///   driver at the next `poll_flush` (or once 64 KiB are waiting) as one command, so
///   a batch of `feed`s costs one wake-up and leaves in a few vectored writes.
///   `SinkExt::send` flushes.
/// * The sink's `poll_flush` completes when everything sent is written to the
///   transport, and reports the first send the session refused since the last flush
///   (queue full, message too long for a control frame, already closing...); `poll_close` sends a 1000 close and waits until it is written; keep
///   reading the stream to see the server's answer.
/// * Dropping the `WebSocket` (and every [`SessionHandle`] from
///   [`handle`](Self::handle)) closes with 1000.
#[derive(Debug)]
pub struct WebSocket {
    events: mpsc::Receiver<Event>,
    commands: mpsc::Sender<Command>,
    handle: SessionHandle,
    shared: Arc<Shared>,
    /// Messages given to `start_send`, not yet handed to the driver.
    batch: Vec<Message>,
    /// Their payload bytes.
    batch_bytes: usize,
    /// Sends started since the last completed flush.
    unflushed: bool,
    flush: Option<oneshot::Receiver<Result<(), Error>>>,
    close_sent: bool,
    ended: bool,
}

impl WebSocket {
    pub(crate) fn new(
        events: mpsc::Receiver<Event>,
        commands: mpsc::Sender<Command>,
        handle: SessionHandle,
        shared: Arc<Shared>,
    ) -> Self {
        WebSocket {
            events,
            commands,
            handle,
            shared,
            batch: Vec::new(),
            batch_bytes: 0,
            unflushed: false,
            flush: None,
            close_sent: false,
            ended: false,
        }
    }

    /// A handle for sending from elsewhere (pings, parts, close with a code).
    pub fn handle(&self) -> SessionHandle {
        self.handle.clone()
    }

    /// The subprotocol the server chose.
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// The permessage-deflate parameters the server accepted, if any.
    pub fn deflate(&self) -> Option<DeflateParams> {
        self.shared.deflate
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.shared.close_info()
    }

    /// Hands the buffered messages to the driver as one command.
    fn poll_push_batch(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.batch.is_empty() {
            return Poll::Ready(Ok(()));
        }
        ready!(self.commands.poll_ready(cx)).map_err(|_| Error::Closed)?;
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        self.commands
            .start_send(Command::Batch(batch))
            .map_err(|_| Error::Closed)?;
        Poll::Ready(Ok(()))
    }

    fn poll_flushed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_push_batch(cx))?;
        if self.flush.is_none() {
            if !self.unflushed {
                return Poll::Ready(Ok(()));
            }
            ready!(self.commands.poll_ready(cx)).map_err(|_| Error::Closed)?;
            let (tx, rx) = oneshot::channel();
            self.commands
                .start_send(Command::Flush(Some(tx)))
                .map_err(|_| Error::Closed)?;
            self.flush = Some(rx);
        }
        let rx = self.flush.as_mut().expect("set above");
        let result = ready!(Pin::new(rx).poll(cx)).unwrap_or(Err(Error::Closed));
        self.flush = None;
        self.unflushed = false;
        let refused = self
            .shared
            .unreported
            .lock()
            .ok()
            .and_then(|mut e| e.take());
        match refused {
            Some(e) => Poll::Ready(Err(Error::Send(e))),
            None => Poll::Ready(result),
        }
    }
}

use std::future::Future;

impl Stream for WebSocket {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            match ready!(Pin::new(&mut this.events).poll_next(cx)) {
                Some(Event::Message(m)) => return Poll::Ready(Some(Ok(m))),
                Some(Event::Closed(info)) => {
                    this.ended = true;
                    if !is_clean(&info) {
                        return Poll::Ready(Some(Err(Error::Abnormal(info))));
                    }
                }
                Some(_) => {}
                None => this.ended = true,
            }
        }
    }
}

impl Sink<Message> for WebSocket {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.batch_bytes >= BATCH_BYTES {
            ready!(self.poll_push_batch(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.unflushed = true;
        // Count a small fixed cost per message too, so tiny messages batch finitely.
        self.batch_bytes += item.as_bytes().len() + 16;
        self.batch.push(item);
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flushed(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !self.close_sent {
            ready!(self.poll_push_batch(cx))?;
            ready!(self.commands.poll_ready(cx)).map_err(|_| Error::Closed)?;
            self.commands
                .start_send(Command::Close(CloseCode::NORMAL, String::new(), None))
                .map_err(|_| Error::Closed)?;
            self.close_sent = true;
            self.unflushed = true;
        }
        match ready!(self.poll_flushed(cx)) {
            // Already closed by the peer: closing is done.
            Err(Error::Closed | Error::Send(ws_session::SendError::Closed)) => Poll::Ready(Ok(())),
            other => Poll::Ready(other),
        }
    }
}
