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
//! 2. queued control frames (pings, pongs, and the urgent closes of idle timeouts
//!    and aborts), oldest first: they jump ahead of queued data frames, including in
//!    the middle of a fragmented message;
//! 3. data frames, in the order the messages and parts were sent. A close requested
//!    by the application, a reply to the peer's close and the close of a protocol
//!    failure queue behind them, so everything sent before still goes out.
//!
//! # Automatic pongs
//!
//! Every ping is answered by its own pong, in order, with its payload. What the
//! automatic pongs waiting in the queue (not yet started) may hold is bounded by
//! `max_queued_pongs` frames and `max_queued_pong_bytes` payload bytes; a pong that
//! would go past either bound replaces the newest waiting automatic pong instead
//! (RFC 6455 section 5.5.3 allows answering only the latest ping). So a peer that
//! pings and never reads our output holds at most that many pongs here, and the
//! latest ping is always answered.
//!
//! # The flat lane
//!
//! Most frames are small. A data frame with up to [`FLAT_MAX`] payload bytes, queued
//! while no large data frame waits, is encoded straight into one byte buffer, header
//! and payload back to back (its payload copied; masked there for clients). A run of
//! small frames then leaves in one plain write from that buffer: no per-frame queue
//! entry, no shared payload kept alive until written, no copy at write time. Larger
//! payloads keep their shared buffer (no copy) as a queue entry, written vectored.
//! Every frame of the lane precedes every queued large data frame, so data keeps its
//! order; control frames still go at the next frame boundary, found by reading the
//! lane's own headers from a known frame start.
//!
//! A client masks every byte it sends, so it copies anyway: its data frames up to
//! [`MASKED_FLAT_MAX`] take the flat lane too, masked while being copied, and the
//! caller's payload is freed at once. A larger frame is masked while copied into a
//! buffer of the thread's [`SpareBuffers`] (which goes back there once written),
//! not masked in place in the caller's buffer: masking in place would save no work
//! (every byte is read and written either way) but would keep the caller's
//! allocation until the frame is written, and an application that allocates a
//! payload per message then frees them in bursts, which glibc answers by giving the
//! heap's top back and faulting it in again (30 to 120 page faults per 1 MiB echo
//! in the load test's echo client, with 4 x 4 in flight). Freed at once, the
//! caller's buffer is what its next allocation of that size gets.
//!
//! A lane that grew past [`FLAT_KEEP`] is given
//! to the thread's [`SpareBuffers`] once drained, and a lane that must grow takes
//! from there first, so bursts of large messages do not allocate (and fault in) a
//! large buffer each (see `buffers.rs`). A lane that must grow while a frame is
//! being written first drops the frames already written.
//!
//! A frame encoded elsewhere (a server's shared frame, `Session::send_shared`)
//! follows the same rules: a small one is copied into the flat lane, a larger one
//! is one more queue entry referring to the shared bytes (no header of its own).

use std::collections::VecDeque;
use std::io::IoSlice;
use std::ops::ControlFlow;

use bytes::Bytes;
use ws_frame::{Decoded, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

use crate::buffers::SpareBuffers;
use crate::config::Role;
use crate::masked::extend_masked;

/// Data frames with at most this many payload bytes go to the flat lane (see the
/// module docs): at this size a copy costs less than a queue entry and a slice.
pub(crate) const FLAT_MAX: usize = 1024;

/// A client's data frames with at most this many payload bytes go to the flat lane
/// too (see the module docs): it masks them while copying them there. Larger ones
/// are masked while copied into a spare buffer of the thread's, as a queue entry.
pub(crate) const MASKED_FLAT_MAX: usize = 256 * 1024;

/// A drained flat lane keeps its allocation up to this capacity, so a session that
/// goes idle after a burst does not hold a large buffer; a larger one goes to the
/// thread's [`SpareBuffers`].
const FLAT_KEEP: usize = 4096;

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
    /// The control or large data frame being written, once started.
    current: Option<OutFrame>,
    /// Bytes of `current` already written.
    pos: usize,
    control: VecDeque<OutFrame>,
    /// The flat lane: small data frames, encoded back to back. Written after
    /// `current`, before `data`.
    flat: Vec<u8>,
    /// Bytes of `flat` already written.
    flat_pos: usize,
    /// A frame start in `flat` at or before `flat_pos`: where the search for the
    /// frame being written starts (it only moves forward, so every frame is read
    /// at most once).
    flat_mark: usize,
    data: VecDeque<OutFrame>,
    queued: usize,
    close_written: bool,
    /// Automatic pongs waiting in `control` (not yet started), and their payload
    /// bytes; bounded by a [`PongBound`]. (`u32`: a session carries them.)
    auto_pongs: u32,
    auto_pong_bytes: u32,
}

/// What the automatic pongs waiting in the queue may hold (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PongBound {
    /// Most waiting automatic pongs (treated as at least 1).
    pub(crate) count: usize,
    /// Most payload bytes in them (treated as at least one full control payload).
    pub(crate) bytes: usize,
}

/// The wire length of the encoded frame at the start of `frame` (one of ours, so
/// complete and valid; were it not, the rest counts as one frame).
fn encoded_len(frame: &[u8]) -> usize {
    match FrameHeader::decode(frame) {
        Ok(Decoded::Complete(header, len)) => len + header.payload_len as usize,
        _ => frame.len(),
    }
}

impl Writer {
    pub(crate) fn new(role: Role, masks: Box<dyn MaskSource + Send>) -> Writer {
        Writer {
            role,
            masks,
            current: None,
            pos: 0,
            control: VecDeque::new(),
            flat: Vec::new(),
            flat_pos: 0,
            flat_mark: 0,
            data: VecDeque::new(),
            queued: 0,
            close_written: false,
            auto_pongs: 0,
            auto_pong_bytes: 0,
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
    #[inline]
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
            // Masked while copied, and the caller's payload freed now rather than
            // when the frame has been written (see the module docs): a large one
            // into a buffer of the thread's, a small one (a control frame, or a
            // data frame behind a large one) into its own.
            if payload.len() > FLAT_MAX {
                SpareBuffers::message(&payload, Some(key))
            } else {
                let mut masked = Vec::with_capacity(payload.len());
                extend_masked(&mut masked, &payload, key);
                Bytes::from(masked)
            }
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

    /// Queues one data frame: small ones into the flat lane while no large data
    /// frame waits (then they still come after it), others as a queue entry.
    pub(crate) fn push_data(&mut self, opcode: OpCode, rsv: Rsv, fin: bool, payload: Bytes) {
        if self.flat_open(payload.len()) {
            self.push_flat(opcode, rsv, fin, &payload);
            return;
        }
        let frame = self.encode(opcode, rsv, fin, payload, Tag::Data);
        self.queued += frame.len();
        self.data.push_back(frame);
    }

    /// Queues a frame encoded elsewhere (unmasked, whole: a server's shared frame):
    /// copied into the flat lane when its payload is small and the lane is open (as
    /// a small send would be), else queued as one more reference to `wire`.
    pub(crate) fn push_encoded(&mut self, wire: &Bytes, payload_len: usize) {
        debug_assert_eq!(self.role, Role::Server, "only servers share frames");
        self.queued += wire.len();
        if self.flat_open(payload_len) {
            self.flat_room(wire.len());
            self.flat.extend_from_slice(wire);
            return;
        }
        self.data.push_back(OutFrame {
            head: [0; MAX_HEADER_LEN],
            head_len: 0,
            payload: wire.clone(),
            tag: Tag::Data,
        });
    }

    /// Whether a data frame with `len` payload bytes goes to the flat lane: it is
    /// small (for a client, up to [`MASKED_FLAT_MAX`]), and no large data frame
    /// waits (it would have to come after it).
    pub(crate) fn flat_open(&self, len: usize) -> bool {
        let max = match self.role {
            Role::Client => MASKED_FLAT_MAX,
            Role::Server => FLAT_MAX,
        };
        len <= max && self.data.is_empty()
    }

    /// Makes room for `extra` more bytes at the end of the flat lane: first by
    /// dropping the frames already written (when the lane is at least half
    /// written), then by moving to a larger buffer, a spare one of the thread's if
    /// there is one (see [`SpareBuffers`]).
    #[inline]
    fn flat_room(&mut self, extra: usize) {
        if self.flat.len() + extra > self.flat.capacity() {
            self.grow_flat(extra);
        }
    }

    /// The slow path of [`flat_room`](Self::flat_room): the lane is full.
    #[cold]
    #[inline(never)]
    fn grow_flat(&mut self, extra: usize) {
        // The start of the frame being written: everything before it is written.
        let done = self.flat_frame().0;
        self.flat_mark = done;
        if done > 0 && done >= self.flat.len() / 2 {
            self.flat.drain(..done);
            self.flat_pos -= done;
            self.flat_mark = 0;
            if self.flat.len() + extra <= self.flat.capacity() {
                return;
            }
        }
        let needed = self.flat.len() + extra;
        // Doubling, as `reserve` would, so a burst copies the lane O(1) times.
        let want = needed.max(2 * self.flat.capacity());
        let mut grown = SpareBuffers::take(needed).unwrap_or_default();
        if grown.capacity() < needed {
            grown = Vec::with_capacity(want);
        }
        grown.extend_from_slice(&self.flat);
        let old = std::mem::replace(&mut self.flat, grown);
        if old.capacity() > FLAT_KEEP {
            SpareBuffers::give(old);
        }
    }

    /// Encodes a small data frame at the end of the flat lane (see
    /// [`flat_open`](Self::flat_open)).
    ///
    /// The two header forms every server frame of the lane and most client frames
    /// take (7- and 16-bit lengths) are spelled out as fixed-size arrays, so their
    /// copy compiles to a few stores where a slice of the encoder's output would be
    /// a `memcpy` call per frame. Spelled out in each arm, not through a shared
    /// helper: callgrind counted 15 more instructions per 16 B client echo with one.
    #[inline]
    pub(crate) fn push_flat(&mut self, opcode: OpCode, rsv: Rsv, fin: bool, payload: &[u8]) {
        let len = payload.len();
        let first = (u8::from(fin) << 7) | rsv.bits() | opcode.as_u8();
        if len < 126 {
            match self.role {
                Role::Server => {
                    self.flat_room(2 + len);
                    self.flat.extend_from_slice(&[first, len as u8]);
                    self.flat.extend_from_slice(payload);
                    self.queued += 2 + len;
                }
                Role::Client => {
                    let [a, b, c, d] = self.masks.next_mask();
                    self.flat_room(6 + len);
                    self.flat
                        .extend_from_slice(&[first, 0x80 | len as u8, a, b, c, d]);
                    extend_masked(&mut self.flat, payload, [a, b, c, d]);
                    self.queued += 6 + len;
                }
            }
            return;
        }
        if len <= 0xFFFF {
            let [hi, lo] = (len as u16).to_be_bytes();
            match self.role {
                Role::Server => {
                    self.flat_room(4 + len);
                    self.flat.extend_from_slice(&[first, 126, hi, lo]);
                    self.flat.extend_from_slice(payload);
                    self.queued += 4 + len;
                }
                Role::Client => {
                    let [a, b, c, d] = self.masks.next_mask();
                    self.flat_room(8 + len);
                    self.flat
                        .extend_from_slice(&[first, 0xFE, hi, lo, a, b, c, d]);
                    extend_masked(&mut self.flat, payload, [a, b, c, d]);
                    self.queued += 8 + len;
                }
            }
            return;
        }
        let mut header = FrameHeader::new(opcode, len as u64);
        header.fin = fin;
        header.rsv = rsv;
        let key = (self.role == Role::Client).then(|| self.masks.next_mask());
        header.mask = key;
        let mut head = [0u8; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        self.flat_room(head_len + len);
        self.flat.extend_from_slice(&head[..head_len]);
        match key {
            None => self.flat.extend_from_slice(payload),
            Some(key) => extend_masked(&mut self.flat, payload, key),
        }
        self.queued += head_len + len;
    }

    /// The frame of the flat lane that `flat_pos` is in, as (start, end); both are
    /// `flat_pos` at a frame boundary.
    fn flat_frame(&self) -> (usize, usize) {
        let mut start = self.flat_mark;
        while start < self.flat_pos {
            let end = start + encoded_len(&self.flat[start..]);
            if end > self.flat_pos {
                return (start, end);
            }
            start = end;
        }
        (start, start)
    }

    /// Marks `n` bytes of the flat lane written (no more than it holds); empties it
    /// once all is written.
    fn advance_flat(&mut self, n: usize) {
        self.flat_pos += n;
        if self.flat_pos == self.flat.len() {
            if self.flat.capacity() > FLAT_KEEP {
                SpareBuffers::give(std::mem::take(&mut self.flat));
            } else {
                self.flat.clear();
            }
            self.flat_pos = 0;
            self.flat_mark = 0;
        }
    }

    /// Queues a ping or pong ahead of data frames, behind the control frames already
    /// queued.
    pub(crate) fn push_control(&mut self, opcode: OpCode, payload: Bytes) {
        let frame = self.encode(opcode, Rsv::NONE, true, payload, Tag::Control);
        self.queued += frame.len();
        self.control.push_back(frame);
        self.catch_up_flat_mark();
    }

    /// Queues the automatic answer to a ping, like
    /// [`push_control`](Self::push_control), within `bound`: past it, the newest
    /// waiting automatic pong takes this payload instead (see the module docs).
    pub(crate) fn push_auto_pong(&mut self, payload: Bytes, bound: PongBound) {
        // A control payload is at most 125 bytes.
        let len = payload.len() as u32;
        let count = bound.count.max(1);
        let bytes = bound.bytes.max(ws_frame::MAX_CONTROL_PAYLOAD);
        let fits =
            (self.auto_pongs as usize) < count && (self.auto_pong_bytes + len) as usize <= bytes;
        let frame = self.encode(OpCode::Pong, Rsv::NONE, true, payload, Tag::AutoPong);
        if !fits {
            // The newest is near the back: only explicit control frames queued after
            // it are passed over.
            if let Some(newest) = self
                .control
                .iter_mut()
                .rev()
                .find(|f| f.tag == Tag::AutoPong)
            {
                self.auto_pong_bytes = self.auto_pong_bytes - newest.payload.len() as u32 + len;
                self.queued = self.queued - newest.len() + frame.len();
                *newest = frame;
                return;
            }
        }
        self.auto_pongs += 1;
        self.auto_pong_bytes += len;
        self.queued += frame.len();
        self.control.push_back(frame);
        self.catch_up_flat_mark();
    }

    /// The next control frame starts: it no longer counts as waiting.
    fn pop_control(&mut self) -> Option<OutFrame> {
        let frame = self.control.pop_front()?;
        if frame.tag == Tag::AutoPong {
            self.auto_pongs -= 1;
            self.auto_pong_bytes -= frame.payload.len() as u32;
        }
        Some(frame)
    }

    /// Moves `flat_mark` up to the frame being written: with control frames waiting,
    /// every write looks for that frame's end.
    fn catch_up_flat_mark(&mut self) {
        self.flat_mark = self.flat_frame().0;
    }

    /// Queues a close frame: behind queued data (`urgent == false`), or, for idle
    /// timeouts and aborts, ahead of it, discarding data frames not yet started.
    pub(crate) fn push_close(&mut self, payload: Bytes, urgent: bool) {
        let frame = self.encode(OpCode::Close, Rsv::NONE, true, payload, Tag::Close);
        self.queued += frame.len();
        if urgent {
            let mut dropped: usize = self.data.drain(..).map(|f| f.len()).sum();
            // Small frames not yet started go too.
            let (_, end) = self.flat_frame();
            dropped += self.flat.len() - end;
            self.flat.truncate(end);
            self.queued -= dropped;
            self.control.push_back(frame);
            if self.flat_pos == self.flat.len() {
                self.advance_flat(0);
            }
            self.catch_up_flat_mark();
        } else {
            self.data.push_back(frame);
        }
    }

    /// Drops everything not yet written (the transport is being abandoned).
    pub(crate) fn clear(&mut self) {
        self.current = None;
        self.pos = 0;
        self.control.clear();
        if self.flat.capacity() > FLAT_KEEP {
            SpareBuffers::give(std::mem::take(&mut self.flat));
        } else {
            self.flat = Vec::new();
        }
        self.flat_pos = 0;
        self.flat_mark = 0;
        self.data.clear();
        self.queued = 0;
        self.auto_pongs = 0;
        self.auto_pong_bytes = 0;
    }

    /// Hands `f` the unwritten bytes in send order, as the non-empty pieces they are
    /// stored in, until it breaks: the rest of `current`; the flat lane's frame under
    /// way; the control frames; the rest of the flat lane; the data frames. Plain
    /// loops: this is on every write's path.
    fn for_each_unwritten<'a>(&'a self, mut f: impl FnMut(&'a [u8]) -> ControlFlow<()>) {
        let mut emit = |piece: &'a [u8]| {
            if piece.is_empty() {
                ControlFlow::Continue(())
            } else {
                f(piece)
            }
        };
        if let Some(frame) = &self.current {
            if frame_pieces(frame, self.pos, &mut emit).is_break() {
                return;
            }
        }
        let split = if self.control.is_empty() {
            self.flat_pos
        } else {
            self.flat_frame().1
        };
        if emit(&self.flat[self.flat_pos..split]).is_break() {
            return;
        }
        for frame in &self.control {
            if frame_pieces(frame, 0, &mut emit).is_break() {
                return;
            }
        }
        if emit(&self.flat[split..]).is_break() {
            return;
        }
        for frame in &self.data {
            if frame_pieces(frame, 0, &mut emit).is_break() {
                return;
            }
        }
    }

    /// The next unwritten bytes that lie together in memory (empty with nothing
    /// queued). With only the flat lane queued, the common case, that is all of it.
    pub(crate) fn first_chunk(&self) -> &[u8] {
        if self.current.is_none() && self.control.is_empty() && self.flat_pos < self.flat.len() {
            return &self.flat[self.flat_pos..];
        }
        let mut first: &[u8] = &[];
        self.for_each_unwritten(|piece| {
            first = piece;
            ControlFlow::Break(())
        });
        first
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

    /// Marks `n` bytes as written, in the order of
    /// [`for_each_unwritten`](Self::for_each_unwritten).
    pub(crate) fn advance(&mut self, mut n: usize) {
        n = n.min(self.queued);
        self.queued -= n;
        if self.current.is_none() && self.control.is_empty() && self.data.is_empty() {
            // Only the flat lane is queued (the common case).
            self.advance_flat(n);
            return;
        }
        while n > 0 {
            if let Some(frame) = self.current.as_ref() {
                let step = (frame.len() - self.pos).min(n);
                self.pos += step;
                n -= step;
                if self.pos == frame.len() {
                    if frame.tag == Tag::Close {
                        self.close_written = true;
                    }
                    self.current = None;
                    self.pos = 0;
                }
                continue;
            }
            if !self.control.is_empty() {
                // Finish the flat lane's frame under way, then the control frames.
                let (start, end) = self.flat_frame();
                self.flat_mark = start;
                if end > self.flat_pos {
                    let step = (end - self.flat_pos).min(n);
                    n -= step;
                    self.advance_flat(step);
                } else {
                    self.current = self.pop_control();
                    self.pos = 0;
                }
                continue;
            }
            let flat_left = self.flat.len() - self.flat_pos;
            if flat_left > 0 {
                let step = flat_left.min(n);
                n -= step;
                self.advance_flat(step);
                continue;
            }
            self.current = self.data.pop_front();
            self.pos = 0;
            if self.current.is_none() {
                break;
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

/// Hands `f` the pieces of `frame` (header, payload) from byte `skip` on.
fn frame_pieces<'a>(
    frame: &'a OutFrame,
    mut skip: usize,
    f: &mut impl FnMut(&'a [u8]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    for part in [
        &frame.head[..usize::from(frame.head_len)],
        &frame.payload[..],
    ] {
        if skip >= part.len() {
            skip -= part.len();
            continue;
        }
        let rest = &part[skip..];
        skip = 0;
        f(rest)?;
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_frame::apply_mask;

    /// The fixed-size header paths in `push_flat` write what the general encoder
    /// writes, for both roles, every 7-bit length, the 16-bit lengths' edges and
    /// lengths past them.
    #[test]
    fn the_fixed_size_header_paths_match_the_encoder() {
        const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
        for (role, len) in [Role::Server, Role::Client].into_iter().flat_map(|role| {
            (0..=130usize)
                .chain([1024, 65_535, 65_536, 70_000])
                .map(move |len| (role, len))
        }) {
            for (opcode, rsv, fin) in [
                (OpCode::Text, Rsv::NONE, true),
                (OpCode::Binary, Rsv::RSV1, false),
                (OpCode::Continuation, Rsv::NONE, false),
            ] {
                let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut writer = Writer::new(role, Box::new(|| KEY));
                writer.push_flat(opcode, rsv, fin, &payload);
                let mut header = FrameHeader::new(opcode, len as u64);
                header.fin = fin;
                header.rsv = rsv;
                header.mask = (role == Role::Client).then_some(KEY);
                let mut head = [0u8; MAX_HEADER_LEN];
                let head_len = header.encode(&mut head);
                let mut expected = head[..head_len].to_vec();
                let mut body = payload.clone();
                if role == Role::Client {
                    apply_mask(&mut body, KEY, 0);
                }
                expected.extend_from_slice(&body);
                let mut out = vec![0u8; expected.len() + 8];
                let n = writer.copy_out(&mut out);
                assert_eq!(&out[..n], &expected[..], "{role:?}, len {len}, {opcode:?}");
                assert_eq!(writer.queued(), expected.len());
            }
        }
    }

    /// A client's frame too large for the flat lane is masked while copied into a
    /// buffer of the thread's: the caller's bytes are left as they were (so the
    /// caller's buffer can be freed at once), the frame on the wire is masked, and
    /// the buffer goes back to the thread's spare buffers once written.
    #[test]
    fn a_large_client_frame_is_masked_into_a_spare_buffer() {
        const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
        let len = MASKED_FLAT_MAX + 1;
        let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let payload = Bytes::from(plain.clone());
        let callers = payload.clone();
        let mut writer = Writer::new(Role::Client, Box::new(|| KEY));
        writer.push_data(OpCode::Binary, Rsv::NONE, true, payload);
        assert_eq!(callers[..], plain[..], "the caller's bytes are not masked");
        assert!(SpareBuffers::capacities().is_empty());

        let mut wire = Vec::new();
        writer.drain_into(&mut wire);
        let Ok(Decoded::Complete(header, at)) = FrameHeader::decode(&wire) else {
            panic!("one whole frame expected");
        };
        assert_eq!(header.mask, Some(KEY));
        let mut body = wire[at..].to_vec();
        apply_mask(&mut body, KEY, 0);
        assert_eq!(body, plain);
        let kept = SpareBuffers::capacities();
        assert_eq!(kept.len(), 1, "written, its buffer is given back");
        assert!(kept[0] >= len);
        while SpareBuffers::take(0).is_some() {}
    }
}
