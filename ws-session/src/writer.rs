//! The output side: frames encoded (and masked, for clients) into an outbound queue
//! that front-ends drain with vectored writes.
//!
//! # Queue rule
//!
//! There is no "one send in flight" rule. Every accepted command appends frames to a
//! queue bounded by `max_outbound_bytes` (a send that does not fit is refused whole,
//! with nothing queued). Frames leave in this order:
//!
//! 1. the frame already partly written (frames are never interleaved mid-frame);
//! 2. queued control frames (pings, pongs, failure closes), oldest first: they jump
//!    ahead of queued data frames, including in the middle of a fragmented message;
//! 3. data frames, in the order the messages and parts were sent. A close requested
//!    by the application (or a reply to the peer's close) queues behind them, so
//!    everything sent before `close` still goes out.
//!
//! Automatic pongs coalesce: a new one replaces an unsent earlier one (RFC 6455
//! section 5.5.3 allows answering only the latest ping), so a ping flood cannot grow
//! the queue.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};
use ws_frame::{apply_mask, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

use crate::config::Role;

/// Supplies client masking keys (RFC 6455 section 5.3: a fresh, unpredictable key per
/// frame). The session draws no randomness itself: the front-end passes a source backed
/// by its random number generator. Closures `FnMut() -> [u8; 4]` implement it.
/// Servers never mask; a server session never calls it.
pub trait MaskSource {
    /// The key for the next frame.
    fn next_mask(&mut self) -> [u8; 4];
}

impl<F: FnMut() -> [u8; 4]> MaskSource for F {
    fn next_mask(&mut self) -> [u8; 4] {
        self()
    }
}

/// What a queued frame is, for ordering and close bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Data,
    Control,
    AutoPong,
    Close,
}

/// One encoded frame: header bytes inline, payload shared.
struct OutFrame {
    head: [u8; MAX_HEADER_LEN],
    head_len: u8,
    payload: Bytes,
    tag: Tag,
}

impl OutFrame {
    fn len(&self) -> usize {
        usize::from(self.head_len) + self.payload.len()
    }
}

/// The outbound queue; see the module docs.
pub(crate) struct Writer {
    role: Role,
    masks: Box<dyn MaskSource + Send>,
    current: Option<OutFrame>,
    /// Bytes of `current` already written.
    pos: usize,
    control: VecDeque<OutFrame>,
    data: VecDeque<OutFrame>,
    queued: usize,
    close_written: bool,
}

impl Writer {
    pub(crate) fn new(role: Role, masks: Box<dyn MaskSource + Send>) -> Writer {
        Writer {
            role,
            masks,
            current: None,
            pos: 0,
            control: VecDeque::new(),
            data: VecDeque::new(),
            queued: 0,
            close_written: false,
        }
    }

    /// Unwritten bytes in the queue.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Whether a close frame has been completely written out.
    pub(crate) fn close_written(&self) -> bool {
        self.close_written
    }

    /// Wire size of a frame with `len` payload bytes.
    pub(crate) fn frame_len(&self, len: usize) -> usize {
        let mask = if self.role == Role::Client { 4 } else { 0 };
        let ext = if len < 126 {
            0
        } else if len <= 0xFFFF {
            2
        } else {
            8
        };
        2 + ext + mask + len
    }

    fn encode(
        &mut self,
        opcode: OpCode,
        rsv: Rsv,
        fin: bool,
        payload: Bytes,
        tag: Tag,
    ) -> OutFrame {
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.fin = fin;
        header.rsv = rsv;
        let mut head = [0u8; MAX_HEADER_LEN];
        let payload = if self.role == Role::Client {
            let key = self.masks.next_mask();
            header.mask = Some(key);
            // Mask in place when we own the only reference (no copy), else copy.
            let mut masked = payload
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
            apply_mask(&mut masked, key, 0);
            masked.freeze()
        } else {
            payload
        };
        let head_len = header.encode(&mut head) as u8;
        OutFrame {
            head,
            head_len,
            payload,
            tag,
        }
    }

    /// Queues one data frame.
    pub(crate) fn push_data(&mut self, opcode: OpCode, rsv: Rsv, fin: bool, payload: Bytes) {
        let frame = self.encode(opcode, rsv, fin, payload, Tag::Data);
        self.queued += frame.len();
        self.data.push_back(frame);
    }

    /// Queues a ping or pong ahead of data frames. `auto` pongs replace an unsent
    /// earlier automatic pong.
    pub(crate) fn push_control(&mut self, opcode: OpCode, payload: Bytes, auto: bool) {
        let tag = if auto { Tag::AutoPong } else { Tag::Control };
        let frame = self.encode(opcode, Rsv::NONE, true, payload, tag);
        if auto {
            if let Some(old) = self.control.iter_mut().find(|f| f.tag == Tag::AutoPong) {
                self.queued = self.queued - old.len() + frame.len();
                *old = frame;
                return;
            }
        }
        self.queued += frame.len();
        self.control.push_back(frame);
    }

    /// Queues a close frame: behind queued data (`urgent == false`), or, for failures
    /// and timeouts, ahead of it, discarding data frames not yet started.
    pub(crate) fn push_close(&mut self, payload: Bytes, urgent: bool) {
        let frame = self.encode(OpCode::Close, Rsv::NONE, true, payload, Tag::Close);
        self.queued += frame.len();
        if urgent {
            let dropped: usize = self.data.drain(..).map(|f| f.len()).sum();
            self.queued -= dropped;
            self.control.push_back(frame);
        } else {
            self.data.push_back(frame);
        }
    }

    /// Drops everything not yet written (the transport is being abandoned).
    pub(crate) fn clear(&mut self) {
        self.current = None;
        self.pos = 0;
        self.control.clear();
        self.data.clear();
        self.queued = 0;
    }

    fn frames(&self) -> impl Iterator<Item = &OutFrame> {
        self.current
            .iter()
            .chain(self.control.iter())
            .chain(self.data.iter())
    }

    /// Hands `f` the unwritten bytes in send order, as the non-empty pieces they are
    /// stored in (each frame's header, then its payload; the first may start
    /// mid-piece), until it breaks. A plain loop: this is on every write's path.
    fn for_each_unwritten<'a>(&'a self, mut f: impl FnMut(&'a [u8]) -> ControlFlow<()>) {
        let mut skip = self.pos;
        for frame in self.frames() {
            let head = &frame.head[..usize::from(frame.head_len)];
            for part in [head, &frame.payload[..]] {
                if skip >= part.len() {
                    skip -= part.len();
                    continue;
                }
                let rest = &part[skip..];
                skip = 0;
                if f(rest).is_break() {
                    return;
                }
            }
        }
    }

    /// Fills `bufs` with the next unwritten chunks, in send order; returns how many
    /// slices were filled.
    pub(crate) fn io_slices<'a>(&'a self, bufs: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        self.for_each_unwritten(|part| {
            if n == bufs.len() {
                return ControlFlow::Break(());
            }
            bufs[n] = IoSlice::new(part);
            n += 1;
            ControlFlow::Continue(())
        });
        n
    }

    /// Copies the next unwritten bytes, in send order, to the front of `out` (as many
    /// as fit); returns how many. Nothing is marked written.
    pub(crate) fn copy_out(&self, out: &mut [u8]) -> usize {
        let mut n = 0;
        self.for_each_unwritten(|part| {
            let take = part.len().min(out.len() - n);
            out[n..n + take].copy_from_slice(&part[..take]);
            n += take;
            if n == out.len() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        n
    }

    /// Marks `n` bytes as written.
    pub(crate) fn advance(&mut self, mut n: usize) {
        n = n.min(self.queued);
        self.queued -= n;
        while n > 0 {
            let Some(frame) = self.current.as_ref() else {
                self.current = self.control.pop_front().or_else(|| self.data.pop_front());
                self.pos = 0;
                if self.current.is_none() {
                    break;
                }
                continue;
            };
            let left = frame.len() - self.pos;
            let step = left.min(n);
            self.pos += step;
            n -= step;
            if self.pos == frame.len() {
                if frame.tag == Tag::Close {
                    self.close_written = true;
                }
                self.current = None;
                self.pos = 0;
            }
        }
    }

    /// Copies every unwritten byte to `out` and marks it written.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.queued;
        out.reserve(n);
        self.for_each_unwritten(|part| {
            out.extend_from_slice(part);
            ControlFlow::Continue(())
        });
        self.advance(n);
        n
    }
}
