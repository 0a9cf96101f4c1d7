//! One HTTP/2 stream as a byte stream (RFC 8441): [`H2Stream`] turns the stream pair
//! an extended `CONNECT` opens (`h2::SendStream`, `h2::RecvStream`) into
//! `AsyncRead + AsyncWrite`, so [`Opened::run`](crate::Opened::run) and
//! [`WebSocket`](crate::WebSocket) drive a WebSocket on it exactly as on a TCP
//! connection. Both roles use it: `ws-server`'s listener for each accepted stream,
//! `ws-client` for each stream it opens (behind this crate's `h2` feature, so the
//! adapter exists once).
//!
//! # Flow control
//!
//! * **Receiving**: capacity goes back to the peer (`release_capacity`) only for
//!   bytes the session has read out of the stream, so a session that stops reading
//!   (a slow callback, a full outbound queue) stops its own peer after one window,
//!   and nobody else: the connection window it holds is its stream window at most.
//! * **Sending**: bytes are handed to h2 only within the capacity h2 assigned
//!   (`reserve_capacity` / `poll_capacity`), never beyond: h2 buffers nothing
//!   unbounded for us, and a peer that stops reading makes `poll_write` wait, which
//!   is the session's backpressure as on TCP.
//!
//! # Ends
//!
//! * `poll_shutdown` (the driver's clean end, after the close handshake) sends an
//!   empty DATA frame with `END_STREAM`.
//! * Dropping the stream before that (a failed or terminated session, a linger
//!   that ran out) resets it with `RST_STREAM(CANCEL)`. Dropped after it, the
//!   stream lingers (at most two seconds, reading and discarding) for the peer's
//!   `END_STREAM`, so h2 does not reset it before our last frames leave.
//! * A reset from the peer (or the connection going away) fails the next read or
//!   write with `ConnectionReset` / `ConnectionAborted`: the session ends as an
//!   abnormal close (1006) locally.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ::h2::{Reason, RecvStream, SendStream};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// At most this much is asked of h2's send capacity per write (it cuts DATA frames
/// itself).
const MAX_WRITE: usize = 1 << 20;

/// An HTTP/2 stream as `AsyncRead + AsyncWrite` (see the module docs).
#[derive(Debug)]
pub struct H2Stream {
    send: SendStream<Bytes>,
    /// Always `Some` until dropped (taken by the lingering drain).
    recv: Option<RecvStream>,
    /// Received bytes not yet read out; their capacity is released as they are.
    pending: Bytes,
    /// `END_STREAM` was sent.
    ended: bool,
    /// The peer's `END_STREAM` was read.
    eof: bool,
}

impl H2Stream {
    /// The byte stream of an extended CONNECT's stream pair: for a server, the
    /// `SendStream` of its 2xx response and the request's body; for a client, the
    /// `SendStream` of its request and the response's body.
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Stream {
            send,
            recv: Some(recv),
            pending: Bytes::new(),
            ended: false,
            eof: false,
        }
    }

    /// The HTTP/2 stream id.
    pub fn stream_id(&self) -> ::h2::StreamId {
        self.send.stream_id()
    }

    /// Resets the stream with `reason` now (dropping it resets with `CANCEL`).
    pub fn reset(&mut self, reason: Reason) {
        if !self.ended {
            self.ended = true;
            self.send.send_reset(reason);
        }
    }

    /// An h2 failure as an I/O error: a reset is `ConnectionReset`, the connection
    /// going away `ConnectionAborted`, the rest `BrokenPipe` or `Other`.
    fn io_error(e: ::h2::Error) -> io::Error {
        let kind = if e.is_reset() {
            io::ErrorKind::ConnectionReset
        } else if e.is_go_away() {
            io::ErrorKind::ConnectionAborted
        } else if e.is_io() {
            io::ErrorKind::BrokenPipe
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, e)
    }

    /// Waits for send capacity for up to `wanted` bytes; `Ok(0)` never.
    fn poll_send_capacity(
        &mut self,
        cx: &mut Context<'_>,
        wanted: usize,
    ) -> Poll<io::Result<usize>> {
        if self.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let wanted = wanted.min(MAX_WRITE);
        loop {
            let available = self.send.capacity();
            if available > 0 {
                return Poll::Ready(Ok(available.min(wanted)));
            }
            self.send.reserve_capacity(wanted);
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(0)) => continue,
                Some(Ok(n)) => return Poll::Ready(Ok(n.min(wanted))),
                Some(Err(e)) => return Poll::Ready(Err(Self::io_error(e))),
                // The stream is closed for sending: a reset, or our own end.
                None => {
                    return match self.send.poll_reset(cx) {
                        Poll::Ready(Ok(reason)) => Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            format!("stream reset by the peer: {reason}"),
                        ))),
                        Poll::Ready(Err(e)) => Poll::Ready(Err(Self::io_error(e))),
                        Poll::Pending => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
                    }
                }
            }
        }
    }

    fn send(&mut self, data: Bytes) -> io::Result<()> {
        self.send.send_data(data, false).map_err(Self::io_error)
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(recv) = this.recv.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while this.pending.is_empty() {
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            match ready!(recv.poll_data(cx)) {
                Some(Ok(data)) => this.pending = data,
                Some(Err(e)) => return Poll::Ready(Err(Self::io_error(e))),
                None => this.eof = true,
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        // Consumed: the peer may send as much again.
        let _ = recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        let n = ready!(this.poll_send_capacity(cx, buf.len()))?;
        this.send(Bytes::copy_from_slice(&buf[..n]))?;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        let n = ready!(this.poll_send_capacity(cx, total))?;
        // One DATA payload for all the slices that fit (h2 needs owned bytes).
        let mut data = BytesMut::with_capacity(n);
        for b in bufs {
            let room = n - data.len();
            if room == 0 {
                break;
            }
            data.put_slice(&b[..b.len().min(room)]);
        }
        this.send(data.freeze())?;
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // h2's connection task writes what was handed over; there is no per-stream
        // buffer of ours to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ended {
            this.ended = true;
            this.send
                .send_data(Bytes::new(), true)
                .map_err(Self::io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}

/// How long a stream we ended cleanly is kept for the peer's `END_STREAM`.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

impl Drop for H2Stream {
    fn drop(&mut self) {
        if !self.ended {
            // Not ended cleanly: the session failed or was dropped.
            self.reset(Reason::CANCEL);
            return;
        }
        if self.eof {
            return;
        }
        // We ended cleanly and the peer has not yet: dropping the stream now would
        // make h2 reset it at once, and the reset can go out before our last DATA
        // (the close frame). Keep the receiving half, reading and discarding,
        // until the peer's END_STREAM or the linger bound: the driver's lingering
        // close, for the owned WebSocket and any other user.
        let (Some(mut recv), Ok(runtime)) =
            (self.recv.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(async move {
            let drain = async {
                while let Some(Ok(data)) = recv.data().await {
                    let _ = recv.flow_control().release_capacity(data.len());
                }
            };
            let _ = tokio::time::timeout(LINGER, drain).await;
        });
    }
}
