//! Moving bytes between a transport and a session without per-connection buffers.
//!
//! Reads go into one 256 KiB buffer per thread, borrowed only for the duration of a
//! synchronous `poll_read` and handed straight to the consumer (the session parses
//! them before the buffer is released), so an idle connection holds no read buffer.
//! Writes take the session's queued frames as `IoSlice`s for one vectored write.

use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ws_session::Session;

/// Size of the per-thread read buffer.
const READ_BUF: usize = 256 * 1024;
/// Slices per vectored write (two per small frame: header and payload).
const MAX_SLICES: usize = 64;

thread_local! {
    static BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUF].into_boxed_slice());
}

/// Polls one read into the thread's buffer and hands the bytes to `consume` (an
/// empty slice means end of stream). Returns the byte count.
pub(crate) fn poll_read_into<S, R>(
    stream: &mut S,
    cx: &mut Context<'_>,
    consume: impl FnOnce(&[u8]) -> R,
) -> Poll<io::Result<(usize, R)>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => read_with(stream, cx, &mut buf, consume),
        // Re-entered from inside `consume` (never by this crate): use a fresh buffer.
        Err(_) => read_with(stream, cx, &mut vec![0; 4096], consume),
    })
}

fn read_with<S, R>(
    stream: &mut S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
    consume: impl FnOnce(&[u8]) -> R,
) -> Poll<io::Result<(usize, R)>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut rb = ReadBuf::new(buf);
    ready!(Pin::new(stream).poll_read(cx, &mut rb))?;
    let filled = rb.filled();
    Poll::Ready(Ok((filled.len(), consume(filled))))
}

/// Writes what the session has queued until it is empty or the transport would
/// block. Returns the bytes written (0 with nothing queued); `Pending` only if nothing
/// could be written (the waker is then registered for writability).
pub(crate) fn poll_write_session<S>(
    stream: &mut S,
    cx: &mut Context<'_>,
    session: &mut Session,
) -> Poll<io::Result<usize>>
where
    S: AsyncWrite + Unpin + ?Sized,
{
    let mut total = 0;
    loop {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let n = session.poll_transmit(&mut slices);
        if n == 0 {
            return Poll::Ready(Ok(total));
        }
        match Pin::new(&mut *stream).poll_write_vectored(cx, &slices[..n]) {
            Poll::Ready(Ok(0)) => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "transport accepted no bytes",
                )))
            }
            Poll::Ready(Ok(w)) => {
                session.advance_transmit(w);
                total += w;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending if total > 0 => return Poll::Ready(Ok(total)),
            Poll::Pending => return Poll::Pending,
        }
    }
}
