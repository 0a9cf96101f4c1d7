//! [`split`]: a [`WebSocket`] as a read half and a write half for two tasks.
//!
//! Both halves share the WebSocket behind a short `std` mutex, taken only inside
//! synchronous `poll_*` calls (never across an `.await`). The read half also
//! writes: the pongs and close replies its input produces go out while it polls,
//! so a reader alone keeps the connection healthy.
//!
//! Wake-ups: a transport may keep one waker for reads and writes together (a TLS
//! stream's read can need a write), so a half that registered its waker could be
//! overwritten by the other half's and never woken. Each half therefore polls the
//! transport with a [`BothHalves`] waker that wakes both halves' tasks: at worst a
//! spurious wake-up of the other half, never a lost one.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use futures::task::AtomicWaker;
use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::CloseCode;
use ws_session::{CloseInfo, Message, MessageKind};

use crate::error::Error;
use crate::websocket::{Part, WebSocket};
use crate::writer::{sealed, MessageWriter, SendSide};

/// The wakers of both halves, woken together.
#[derive(Debug, Default)]
struct BothHalves {
    read: AtomicWaker,
    write: AtomicWaker,
}

impl Wake for BothHalves {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.read.wake();
        self.write.wake();
    }
}

struct Inner<S> {
    ws: Mutex<WebSocket<S>>,
    wakers: Arc<BothHalves>,
    waker: Waker,
}

impl<S> Inner<S> {
    fn lock(&self) -> MutexGuard<'_, WebSocket<S>> {
        self.ws.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the WebSocket with a context whose waker wakes both halves,
    /// after registering the calling half's waker in `own`.
    fn with<R>(
        &self,
        cx: &mut Context<'_>,
        own: fn(&BothHalves) -> &AtomicWaker,
        f: impl FnOnce(&mut WebSocket<S>, &mut Context<'_>) -> R,
    ) -> R {
        own(&self.wakers).register(cx.waker());
        let mut both = Context::from_waker(&self.waker);
        f(&mut self.lock(), &mut both)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Splits into a read half and a write half that can live in different tasks
    /// (see [`split`]).
    pub fn split(self) -> (WebSocketRead<S>, WebSocketWrite<S>) {
        split(self)
    }
}

/// Splits `ws` into a read half (a `Stream` of messages, and parts) and a write half
/// (a `Sink` of messages, pings, closes, and message writers). Every method stays
/// cancellation-safe. [`reunite`] puts them back together.
///
/// ```no_run
/// use futures::{SinkExt, StreamExt};
///
/// # async fn run(ws: ws_tokio::WebSocket<tokio::net::TcpStream>) {
/// let (mut read, mut write) = ws.split();
/// let reader = tokio::spawn(async move {
///     while let Some(message) = read.next().await {
///         println!("{:?}", message);
///     }
/// });
/// write.send("hello".into()).await.unwrap();
/// write.close().await.unwrap();
/// reader.await.unwrap();
/// # }
/// ```
pub fn split<S>(ws: WebSocket<S>) -> (WebSocketRead<S>, WebSocketWrite<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let wakers = Arc::new(BothHalves::default());
    let inner = Arc::new(Inner {
        ws: Mutex::new(ws),
        waker: Waker::from(Arc::clone(&wakers)),
        wakers,
    });
    (
        WebSocketRead {
            inner: Arc::clone(&inner),
        },
        WebSocketWrite { inner },
    )
}

/// The two halves of one WebSocket back as one; `Err` with both if they come from
/// different WebSockets.
pub fn reunite<S>(
    read: WebSocketRead<S>,
    write: WebSocketWrite<S>,
) -> Result<WebSocket<S>, (WebSocketRead<S>, WebSocketWrite<S>)> {
    if !Arc::ptr_eq(&read.inner, &write.inner) {
        return Err((read, write));
    }
    drop(write);
    match Arc::try_unwrap(read.inner) {
        Ok(inner) => Ok(inner.ws.into_inner().unwrap_or_else(|e| e.into_inner())),
        Err(_) => unreachable!("both halves were given"),
    }
}

/// The read half of a split [`WebSocket`]: a `Stream` of messages, and
/// [`next_part`](Self::next_part).
pub struct WebSocketRead<S> {
    inner: Arc<Inner<S>>,
}

/// The write half of a split [`WebSocket`]: a `Sink` of messages, pings, closes and
/// [`send_writer`](Self::send_writer).
pub struct WebSocketWrite<S> {
    inner: Arc<Inner<S>>,
}

impl<S> std::fmt::Debug for WebSocketRead<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebSocketRead")
    }
}

impl<S> std::fmt::Debug for WebSocketWrite<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebSocketWrite")
    }
}

fn read_waker(w: &BothHalves) -> &AtomicWaker {
    &w.read
}

fn write_waker(w: &BothHalves) -> &AtomicWaker {
    &w.write
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketRead<S> {
    /// The next part of a message (see [`WebSocket::next_part`]).
    pub async fn next_part(&mut self) -> Option<Result<Part, Error>> {
        std::future::poll_fn(|cx| {
            self.inner
                .with(cx, read_waker, |ws, cx| ws.poll_next_part(cx))
        })
        .await
    }

    /// How the session closed, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.inner.lock().close_info().cloned()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketRead<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner
            .with(cx, read_waker, |ws, cx| Pin::new(ws).poll_next(cx))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketWrite<S> {
    /// Queues a ping (see [`WebSocket::ping`]).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.inner.lock().ping(payload)
    }

    /// Queues a close frame (see [`WebSocket::close_with`]).
    pub fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.inner.lock().close_with(code, reason)
    }

    /// A writer for one message of unknown length (see [`WebSocket::send_writer`]).
    pub fn send_writer(&mut self, kind: MessageKind) -> MessageWriter<'_, Self> {
        MessageWriter::new(self, kind)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketWrite<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .with(cx, write_waker, |ws, cx| Pin::new(ws).poll_ready(cx))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut *self.inner.lock()).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .with(cx, write_waker, |ws, cx| Pin::new(ws).poll_flush(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .with(cx, write_waker, |ws, cx| Pin::new(ws).poll_close(cx))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> sealed::Sealed for WebSocketWrite<S> {}

impl<S: AsyncRead + AsyncWrite + Unpin> SendSide for WebSocketWrite<S> {
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.with(cx, write_waker, |ws, cx| ws.poll_room(cx))
    }
    fn queue_part(&mut self, kind: MessageKind, data: Bytes, last: bool) -> Result<(), Error> {
        self.inner.lock().queue_part(kind, data, last)
    }
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .with(cx, write_waker, |ws, cx| ws.poll_write_all(cx))
    }
    fn queue_ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.ping(payload)
    }
}
