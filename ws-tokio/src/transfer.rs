//! Moving bytes between a transport and a [`Session`], shared by the
//! [driver](crate::driver) and [`WebSocket`](crate::WebSocket).
//!
//! * **Reads** go into the [`ReadBuffer`] of the thread (no read buffer per
//!   connection), and are parsed by the session before the buffer is released.
//!   While a large frame is under way the session lends its message buffer instead
//!   ([`Session::lend_input`]) and the payload is read straight into it: no copy,
//!   and reads as large as the frame's rest.
//! * **Writes** come from the session's queue: when everything queued lies together
//!   (small frames are encoded back to back in the session's flat lane) one plain
//!   write straight from there; small output in pieces is copied into the thread's
//!   buffer for one plain write (cheaper in the kernel than a vectored write of tiny
//!   pieces); anything else leaves as one vectored write.

use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ws_session::{InputLoan, Session};

use crate::aligned::AlignedBytes;

/// Slices per vectored write (two per small frame: header and payload).
const MAX_SLICES: usize = 64;
/// Queued output up to this size is copied into one buffer for a plain write.
const COALESCE_MAX: usize = 2048;

/// One read buffer per thread, borrowed only inside a synchronous `poll_read` and
/// handed at once to the consumer, so an idle connection holds no read buffer.
///
/// It starts on a cache line (`AlignedBytes`): the kernel's copy into it took four
/// to five times the CPU per byte when it did not (measured in the `aligned` module).
///
/// 256 KiB rather than 64 KiB: fewer reads per large message (64 KiB echoes nearly
/// doubled in throughput when this grew). The buffer is also where small pieces of
/// output are joined for one plain write: reads and writes never hold it at once.
pub struct ReadBuffer;

impl ReadBuffer {
    /// Bytes per thread.
    pub const SIZE: usize = 256 * 1024;

    /// Runs `f` with the thread's buffer; a re-entrant call (never made by this
    /// crate) gets a small fresh buffer instead of panicking.
    fn with<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
        thread_local! {
            static BUF: RefCell<AlignedBytes> =
                RefCell::new(AlignedBytes::zeroed(ReadBuffer::SIZE));
        }
        BUF.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => f(buf.as_mut_slice()),
            Err(_) => f(&mut vec![0; 4096]),
        })
    }
}

/// Polls one read into the thread's buffer and hands the bytes to `consume` (an
/// empty slice means end of stream). Returns the byte count and what `consume`
/// returned. For readers of a request head before any session exists.
pub fn poll_read_into<S, R>(
    stream: &mut S,
    cx: &mut Context<'_>,
    consume: impl FnOnce(&[u8]) -> R,
) -> Poll<io::Result<(usize, R)>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    poll_read_at_most(stream, cx, usize::MAX, consume)
}

/// [`poll_read_into`] reading at most `limit` bytes.
fn poll_read_at_most<S, R>(
    stream: &mut S,
    cx: &mut Context<'_>,
    limit: usize,
    consume: impl FnOnce(&[u8]) -> R,
) -> Poll<io::Result<(usize, R)>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    ReadBuffer::with(|buf| {
        let len = buf.len().min(limit);
        let mut rb = ReadBuf::new(&mut buf[..len]);
        ready!(Pin::new(stream).poll_read(cx, &mut rb))?;
        let filled = rb.filled();
        Poll::Ready(Ok((filled.len(), consume(filled))))
    })
}

/// Polls one read and feeds it to the session: straight into the message buffer
/// when the session lends it, else through the thread's buffer. Returns the byte
/// count; `Ok(0)` is the end of the stream, already reported to the session.
/// `fed_at` gets the time given to the session, when it was given one (the clock is
/// read only then: a read that finds nothing costs no clock read).
#[inline(always)]
pub(crate) fn poll_read_session<S>(
    stream: &mut S,
    cx: &mut Context<'_>,
    session: &mut Session,
    fed_at: &mut Option<Instant>,
) -> Poll<io::Result<usize>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut now = || *fed_at.insert(Instant::now());
    let polled = match session.lend_input() {
        Some(mut loan) => {
            let polled = poll_read_loan(stream, cx, &mut loan);
            session.handle_loan(now(), loan);
            polled
        }
        None => {
            let limit = session.read_limit().unwrap_or(usize::MAX);
            poll_read_at_most(stream, cx, limit, |bytes| {
                if !bytes.is_empty() {
                    session.handle_input(now(), bytes);
                }
            })
            .map_ok(|(n, ())| n)
        }
    };
    if let Poll::Ready(Ok(0)) = polled {
        session.handle_eof(Instant::now());
    }
    polled
}

/// Polls one read into a buffer lent by the session; `Ok(0)` means end of stream.
fn poll_read_loan<S>(
    stream: &mut S,
    cx: &mut Context<'_>,
    loan: &mut InputLoan,
) -> Poll<io::Result<usize>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    tokio_util::io::poll_read_buf(Pin::new(stream), cx, &mut loan.buf_mut())
}

/// Writes what the session has queued until it is empty or the transport would
/// block. Returns the bytes written (0 with nothing queued); `Pending` only if
/// nothing could be written (the waker is then registered for writability).
#[inline(always)]
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
        let pending = session.pending_transmit();
        if pending == 0 {
            break;
        }
        let chunk = session.transmit_chunk();
        let polled = if chunk.len() == pending {
            // Everything lies together: one plain write, no copy.
            Pin::new(&mut *stream).poll_write(cx, chunk)
        } else if pending <= COALESCE_MAX {
            ReadBuffer::with(|joined| {
                let n = session.copy_transmit(&mut joined[..pending]);
                Pin::new(&mut *stream).poll_write(cx, &joined[..n])
            })
        } else {
            poll_write_slices(stream, cx, session)
        };
        match polled {
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
    Poll::Ready(Ok(total))
}

/// One write of the queued frames as slices: vectored, or plain for a single slice.
fn poll_write_slices<S>(
    stream: &mut S,
    cx: &mut Context<'_>,
    session: &Session,
) -> Poll<io::Result<usize>>
where
    S: AsyncWrite + Unpin + ?Sized,
{
    let mut slices = [IoSlice::new(&[]); MAX_SLICES];
    match session.poll_transmit(&mut slices) {
        1 => Pin::new(stream).poll_write(cx, &slices[0]),
        n => Pin::new(stream).poll_write_vectored(cx, &slices[..n]),
    }
}
