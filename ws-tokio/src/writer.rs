//! [`MessageWriter`]: one message of unknown length sent as an `AsyncWrite`, in
//! bounded memory (Tomcat's `getSendStream` / `getSendWriter`).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_session::{MessageKind, SendError};

use crate::error::Error;
use crate::websocket::WebSocket;

/// Something a [`MessageWriter`] can send through: a [`WebSocket`] or its write
/// half. Sealed: implemented by this crate only.
pub trait SendSide: sealed::Sealed {
    #[doc(hidden)]
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;
    #[doc(hidden)]
    fn queue_part(&mut self, kind: MessageKind, data: Bytes, last: bool) -> Result<(), Error>;
    #[doc(hidden)]
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;
    #[doc(hidden)]
    fn queue_ping(&mut self, payload: &[u8]) -> Result<(), Error>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// A writer that sends one message of `kind` in parts, each write queued as a
    /// frame (waiting above the high-water mark): for messages of unknown length,
    /// in bounded memory (Tomcat's `getSendStream` / `getSendWriter`). Finish the
    /// message with `shutdown()` (`AsyncWriteExt::shutdown`), which sends the last
    /// frame and flushes. Text must be UTF-8 as a whole; a write may end inside a
    /// character. Until it is finished, other messages are refused
    /// (`SendError::MessageInProgress`).
    pub fn send_writer(&mut self, kind: MessageKind) -> MessageWriter<'_, Self> {
        MessageWriter::new(self, kind)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> sealed::Sealed for WebSocket<S> {}

impl<S: AsyncRead + AsyncWrite + Unpin> SendSide for WebSocket<S> {
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        WebSocket::poll_room(self, cx)
    }
    fn queue_part(&mut self, kind: MessageKind, data: Bytes, last: bool) -> Result<(), Error> {
        WebSocket::queue_part(self, kind, data, last)
    }
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        WebSocket::poll_write_all(self, cx)
    }
    fn queue_ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.ping(payload)
    }
}

/// Sends one message in parts as it is written: each `write` becomes one frame,
/// queued once the session's queue is below its high-water mark (so memory stays
/// bounded by that mark however long the message). `shutdown` ends the message
/// (an empty final frame) and flushes; `flush` writes what is queued.
///
/// Every method is a `poll_*` over the session, hence cancellation-safe: a write
/// either queued its bytes (and returned their count) or queued nothing.
///
/// ```no_run
/// use tokio::io::AsyncWriteExt;
/// use ws_session::MessageKind;
///
/// # async fn run(mut ws: ws_tokio::WebSocket<tokio::net::TcpStream>) -> std::io::Result<()> {
/// let mut file = tokio::fs::File::open("upload.bin").await?;
/// let mut writer = ws.send_writer(MessageKind::Binary);
/// tokio::io::copy(&mut file, &mut writer).await?;
/// writer.shutdown().await?; // the last frame
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MessageWriter<'a, T> {
    side: &'a mut T,
    kind: MessageKind,
    finished: bool,
}

impl<'a, T: SendSide> MessageWriter<'a, T> {
    pub(crate) fn new(side: &'a mut T, kind: MessageKind) -> Self {
        MessageWriter {
            side,
            kind,
            finished: false,
        }
    }

    /// The kind of the message being written.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// Queues a ping between the message's frames (a keep-alive during a long
    /// upload); it goes out at the next frame boundary.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.side.queue_ping(payload)
    }
}

fn to_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        Error::Send(SendError::InvalidUtf8) => io::Error::new(io::ErrorKind::InvalidData, e),
        Error::Closed => io::Error::new(io::ErrorKind::BrokenPipe, e),
        e => io::Error::other(e),
    }
}

impl<T: SendSide + Unpin> AsyncWrite for MessageWriter<'_, T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the message is finished",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(this.side.poll_room(cx)).map_err(to_io)?;
        this.side
            .queue_part(this.kind, Bytes::copy_from_slice(buf), false)
            .map_err(to_io)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().side.poll_write_all(cx).map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            this.side
                .queue_part(this.kind, Bytes::new(), true)
                .map_err(to_io)?;
            this.finished = true;
        }
        this.side.poll_write_all(cx).map_err(to_io)
    }
}
