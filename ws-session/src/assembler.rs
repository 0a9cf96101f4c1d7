//! Assembly of incoming data frames into messages or parts: limits, UTF-8 validation,
//! whole/partial delivery and inflation.
//!
//! Invariants: buffers grow only by bytes actually received (or inflated), never by a
//! length the peer announces (a binary message may instead take a buffer the thread
//! already keeps, sized for its frame: `buffers.rs`, bounded per thread); a
//! message's size is checked against its limit from the frame header before any of
//! its payload is buffered (uncompressed messages) or after each bounded inflate
//! step (compressed ones); text is validated as it arrives.
//!
//! A fragment costs O(1): a few counters in [`InMessage`], no list entry and no
//! allocation of its own (in partial delivery each non-empty fragment ends a part,
//! an event that carries its own bytes). There is no limit on the number of
//! fragments; what stops a peer that sends endless tiny or empty fragments (which
//! never reach a size limit) is the framing bound: the wire bytes of one message
//! (headers and payload) may be at most [`FRAMING_FACTOR`] per payload byte plus
//! [`FRAMING_ALLOWANCE`], checked from each frame header.

use bytes::BytesMut;

use crate::arena::PayloadArena;
use crate::buffers::SpareBuffers;
use ws_frame::{apply_mask, FrameHeader, OpCode, Utf8Validator};

use crate::config::{Delivery, SessionConfig};
use crate::deflate::Inflater;
use crate::event::{Event, Events, Message, MessageKind};
use crate::masked::extend_masked;
use crate::ProtocolError;

/// Scratch capacity kept between messages; a larger scratch is freed when a message
/// ends, so idle connections do not hold a whole read's worth of compressed input.
const SCRATCH_KEEP: usize = 4 * 1024;

/// Buffer capacity a message may reserve before any of its payload arrived:
/// what a peer that announces a large frame and then stalls can make us hold.
const RESERVE_FLOOR: usize = 16 * 1024;

/// How far ahead of the bytes received a message buffer may be reserved:
/// allocated capacity never exceeds `max(RESERVE_FLOOR, RESERVE_GROWTH × received)`
/// (nor the message limit), whatever size the peer announces. Reserving ahead lets payload be
/// read straight into the buffer (see [`Assembler::lend`]) and keeps regrowth copies
/// small (doubling would copy as much as the message itself); the price is that a
/// peer that stalls mid-message makes us hold up to this many times what it sent.
const RESERVE_GROWTH: usize = 8;

/// Spare room below which a message buffer grows before a direct read.
const MIN_SPARE: usize = 4 * 1024;

/// The framing bound's factor: the wire bytes of one message's frames (headers and
/// payload, as announced) may be at most this many per payload byte (compressed
/// size for compressed messages), plus [`FRAMING_ALLOWANCE`]. Legal framing never
/// comes near it unless frames are empty: the costliest non-empty frame is a masked
/// 1-byte fragment, 7 wire bytes per payload byte (a 1 MiB message in 1-byte
/// fragments is 7 MiB on the wire and passes, whatever the message limit).
pub(crate) const FRAMING_FACTOR: u64 = 8;

/// The framing bound's allowance, bytes: room for empty frames (a streaming sender's
/// empty last frame) beyond [`FRAMING_FACTOR`]. A message of only empty masked
/// continuations (6 bytes each) fails at its 10,923rd frame after a 1-byte start.
pub(crate) const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// The message being received.
struct InMessage {
    text: bool,
    compressed: bool,
    partial: bool,
    /// Payload bytes announced by its frame headers so far (compressed size if
    /// compressed).
    wire_len: u64,
    /// Wire bytes of its frames so far: headers plus announced payload.
    framed_len: u64,
    /// Plain (inflated) bytes so far.
    len: u64,
    /// The plain-size limit for this message.
    limit: u64,
    /// Largest part handed out in partial mode.
    part_size: usize,
    utf8: Utf8Validator,
}

/// Where plain bytes go: the whole message, or the current part.
struct Sink {
    msg: Option<InMessage>,
    buf: BytesMut,
}

impl Sink {
    /// Appends plain bytes (unmasking them in place when `mask` is given, with the
    /// frame offset of `data[0]`), validating text and cutting parts.
    fn append(
        &mut self,
        mut data: &[u8],
        mask: Option<([u8; 4], usize)>,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        let mut offset = mask.map_or(0, |(_, o)| o);
        while !data.is_empty() {
            let Some(room) = self.room() else {
                return Ok(());
            };
            let take = room.min(data.len());
            let start = self.buf.len();
            self.buf.extend_from_slice(&data[..take]);
            self.accept(start, mask.map(|(key, _)| (key, offset)), events)?;
            offset += take;
            data = &data[take..];
        }
        Ok(())
    }

    /// Before `incoming` bytes of a message are appended with `rest` more of the
    /// frame to come: makes room (for partial delivery, up to the part size), ahead as
    /// far as the [`RESERVE_GROWTH`] rule allows. The buffer grows only when the bytes
    /// (or a useful read) no longer fit, or in one step to the frame's end as soon as
    /// the rule allows that; and it grows to at least twice what it holds (within
    /// that rule and the limit), so a message in many small frames is not copied
    /// once per frame. Regrowth copies in all stay below twice the message's size
    /// (below a seventh of it when its frames are large), and a message of several
    /// frames leaves with at most twice its size in capacity (a single frame:
    /// exactly).
    fn reserve_ahead(&mut self, incoming: usize, rest: u64) {
        let Some(msg) = self.msg.as_ref() else {
            return;
        };
        let len = self.buf.len();
        let capacity = self.buf.capacity();
        // The buffer holds the message, or in partial delivery the current part.
        let limit = if msg.partial {
            msg.part_size
        } else {
            usize::try_from(msg.limit).unwrap_or(usize::MAX)
        };
        let frame_end = usize::try_from(rest)
            .unwrap_or(usize::MAX)
            .saturating_add(len + incoming)
            .min(limit);
        let received = usize::try_from(msg.len)
            .unwrap_or(usize::MAX)
            .saturating_add(incoming);
        let allowed = received.saturating_mul(RESERVE_GROWTH).max(RESERVE_FLOOR);
        let target = frame_end.min(allowed);
        let cramped = capacity - len < incoming.max(MIN_SPARE);
        if target > capacity && (cramped || target == frame_end) {
            if !msg.partial && !msg.text && frame_end > PayloadArena::MAX_PAYLOAD {
                // A kept buffer that fits the whole frame, if the thread has one: no
                // regrowth at all, and it goes back when the message is dropped (see
                // `end_frame`). Already allocated, so sizing it by the announced
                // length holds nothing more (`buffers.rs`). Not for text, which
                // leaves as a `String` and would take the buffer out of the pool.
                if let Some(mut kept) = SpareBuffers::take_fitting(frame_end) {
                    kept.extend_from_slice(&self.buf);
                    self.buf = BytesMut::from(bytes::Bytes::from(kept));
                    return;
                }
            }
            // Exactly this (`reserve` could double past the bound), keeping the bytes
            // so far. Through `Vec::reserve_exact`, a `realloc`: the allocator can
            // grow the buffer where it lies (or remap it) instead of copying it into
            // a new one (half the `memcpy` per 1 MiB echo on a server, callgrind).
            let target = target.max(len.saturating_mul(2).min(allowed).min(limit));
            let mut grown = Vec::from(std::mem::take(&mut self.buf));
            grown.reserve_exact(target - len);
            self.buf = BytesMut::from(bytes::Bytes::from(grown));
        }
    }

    /// How many more bytes the buffer takes before a part must be handed out
    /// (unbounded for whole messages); `None` with no message in progress.
    fn room(&self) -> Option<usize> {
        let msg = self.msg.as_ref()?;
        Some(if msg.partial {
            msg.part_size - self.buf.len()
        } else {
            usize::MAX
        })
    }

    /// The bytes of `buf` from `start` on have just been added: unmasks them in place
    /// (`mask`: key and frame offset of `buf[start]`), validates text, counts them and
    /// hands out the part once it is full.
    fn accept(
        &mut self,
        start: usize,
        mask: Option<([u8; 4], usize)>,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        let Some(msg) = self.msg.as_mut() else {
            return Ok(());
        };
        if let Some((key, offset)) = mask {
            apply_mask(&mut self.buf[start..], key, offset);
        }
        if msg.text && msg.utf8.feed(&self.buf[start..]).is_err() {
            return Err(ProtocolError::InvalidUtf8);
        }
        msg.len += (self.buf.len() - start) as u64;
        if msg.partial && self.buf.len() >= msg.part_size {
            Self::emit_part(msg, &mut self.buf, false, events);
        }
        Ok(())
    }

    /// Hands out the buffered part (text: up to the last complete character).
    fn emit_part(msg: &InMessage, buf: &mut BytesMut, last: bool, events: &mut Events) {
        let keep = if msg.text { msg.utf8.pending() } else { 0 };
        let n = buf.len() - keep;
        if n == 0 && !last {
            return;
        }
        let kind = if msg.text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        events.push_back(Event::Part {
            kind,
            data: buf.split_to(n).freeze(),
            last,
        });
    }
}

/// Assembles data frames; see the module docs.
pub(crate) struct Assembler {
    text_delivery: Delivery,
    binary_delivery: Delivery,
    text_buffer_size: usize,
    binary_buffer_size: usize,
    max_message_size: u64,
    /// Boxed: a session without deflate should not carry its size.
    inflater: Option<Box<Inflater>>,
    /// Unmasked compressed input, reused.
    scratch: Vec<u8>,
    sink: Sink,
}

impl Assembler {
    /// Whether the inflater holds a zlib state now.
    pub(crate) fn holds_deflate_state(&self) -> bool {
        self.inflater.as_ref().is_some_and(|i| i.holds_state())
    }

    /// Whether the inflater holds a state it could give back now: between
    /// messages, with its context kept as a history.
    pub(crate) fn can_release_inflater(&self) -> bool {
        self.sink.msg.is_none() && self.inflater.as_ref().is_some_and(|i| i.releasable())
    }

    /// Gives the inflater's state back to the thread's spare pool (between messages).
    pub(crate) fn release_inflater(&mut self) {
        if self.can_release_inflater() {
            if let Some(i) = self.inflater.as_mut() {
                i.release();
            }
        }
    }

    pub(crate) fn new(config: &SessionConfig, inflater: Option<Box<Inflater>>) -> Assembler {
        Assembler {
            text_delivery: config.text_delivery,
            binary_delivery: config.binary_delivery,
            text_buffer_size: config.text_buffer_size.max(4),
            binary_buffer_size: config.binary_buffer_size.max(1),
            max_message_size: config.max_message_size,
            inflater,
            scratch: Vec::new(),
            sink: Sink {
                msg: None,
                buf: BytesMut::new(),
            },
        }
    }

    /// A whole message in one uncompressed, final data frame (`header`, checked by the
    /// reader) with all of its `payload` (still masked) at hand: handed out as one
    /// event, exactly as [`start_frame`](Self::start_frame), [`push`](Self::push) and
    /// [`end_frame`](Self::end_frame) would, in one allocation and one pass. Returns
    /// false, changing nothing, unless no message is in progress, the kind is
    /// delivered whole, the payload is within the limit, and text is valid UTF-8: the
    /// long way handles (and reports) the rest.
    pub(crate) fn take_whole(
        &mut self,
        header: &FrameHeader,
        payload: &[u8],
        events: &mut Events,
    ) -> bool {
        let text = header.opcode == OpCode::Text;
        let (delivery, buffer) = if text {
            (self.text_delivery, self.text_buffer_size)
        } else {
            (self.binary_delivery, self.binary_buffer_size)
        };
        let limit = self.max_message_size.min(buffer as u64);
        if self.sink.msg.is_some() || delivery != Delivery::Whole || payload.len() as u64 > limit {
            return false;
        }
        let message = if text {
            let data = match header.mask {
                Some(key) => {
                    let mut data = Vec::with_capacity(payload.len());
                    extend_masked(&mut data, payload, key);
                    data
                }
                None => payload.to_vec(),
            };
            match String::from_utf8(data) {
                Ok(text) => Message::Text(text),
                Err(_) => return false,
            }
        } else if payload.len() > PayloadArena::MAX_PAYLOAD
            && payload.len() <= SpareBuffers::MESSAGE_MAX
        {
            Message::Binary(SpareBuffers::message(payload, header.mask))
        } else {
            let mut data = PayloadArena::copy(payload);
            if let Some(key) = header.mask {
                apply_mask(&mut data, key, 0);
            }
            Message::Binary(data.freeze())
        };
        if self.scratch.capacity() > SCRATCH_KEEP {
            // As at the end of any message (see `end_frame`).
            self.scratch = Vec::new();
        }
        events.push_back(Event::Message(message));
        true
    }

    /// Checks a data frame header against the message state, the limits and the
    /// framing bound, before any of its payload is buffered. `compressed` is the RSV1
    /// bit (already checked to be allowed).
    pub(crate) fn start_frame(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        match (header.opcode, self.sink.msg.as_mut()) {
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (OpCode::Continuation, Some(_)) => {}
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (op, None) => {
                let text = op == OpCode::Text;
                let partial = match if text {
                    self.text_delivery
                } else {
                    self.binary_delivery
                } {
                    Delivery::Whole => false,
                    Delivery::Partial => true,
                };
                let buffer = if text {
                    self.text_buffer_size
                } else {
                    self.binary_buffer_size
                };
                let limit = if partial {
                    self.max_message_size
                } else {
                    self.max_message_size.min(buffer as u64)
                };
                self.sink.msg = Some(InMessage {
                    text,
                    compressed: header.rsv.rsv1(),
                    partial,
                    wire_len: 0,
                    framed_len: 0,
                    len: 0,
                    limit,
                    part_size: buffer,
                    utf8: Utf8Validator::new(),
                });
            }
        }
        let msg = self.sink.msg.as_mut().expect("set above");
        let wire = msg.wire_len.saturating_add(header.payload_len);
        // Uncompressed: the wire size is the message size, known from the header.
        // Compressed: the plain size is counted while inflating; the wire size is
        // bounded by the same absolute limit so empty deflate blocks cannot run forever.
        let wire_limit = if msg.compressed {
            self.max_message_size
        } else {
            msg.limit
        };
        if wire > wire_limit {
            return Err(ProtocolError::MessageTooBig { limit: wire_limit });
        }
        // The framing bound (see the module docs), on announced lengths, so it does
        // not depend on how the input is split.
        let framed = msg
            .framed_len
            .saturating_add(header.encoded_len() as u64)
            .saturating_add(header.payload_len);
        let allowed = wire
            .saturating_mul(FRAMING_FACTOR)
            .saturating_add(FRAMING_ALLOWANCE);
        if framed > allowed {
            return Err(ProtocolError::FramingOverhead {
                framed,
                payload: wire,
            });
        }
        msg.wire_len = wire;
        msg.framed_len = framed;
        Ok(())
    }

    /// Payload bytes of the current data frame, still masked with `mask` (if any);
    /// `offset` is the position of `chunk[0]` in the frame payload, `rest` how many
    /// of its bytes follow `chunk`.
    pub(crate) fn push(
        &mut self,
        chunk: &[u8],
        mask: Option<[u8; 4]>,
        offset: usize,
        rest: u64,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        let Some(msg) = self.sink.msg.as_ref() else {
            return Ok(());
        };
        if !msg.compressed {
            let incoming = chunk.len().min(self.sink.room().unwrap_or(0));
            self.sink.reserve_ahead(incoming, rest);
            return self.sink.append(chunk, mask.map(|k| (k, offset)), events);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(chunk);
        if let Some(key) = mask {
            apply_mask(&mut self.scratch, key, offset);
        }
        self.inflate(false, events)
    }

    /// Lends the message buffer for reading up to `remaining` payload bytes of the
    /// current frame straight from the transport, with room reserved: the buffer (its
    /// current length is where the new bytes start) and the most bytes to append.
    /// `None` unless an uncompressed message is in progress (compressed input goes
    /// through the inflater anyway). The room follows the reservation rule of
    /// [`RESERVE_GROWTH`]: sized by what has arrived, never by what is announced.
    pub(crate) fn lend(&mut self, remaining: u64) -> Option<(BytesMut, usize)> {
        let msg = self.sink.msg.as_ref()?;
        if msg.compressed {
            return None;
        }
        let room = self.sink.room()?;
        self.sink.reserve_ahead(0, remaining);
        let spare = self.sink.buf.capacity() - self.sink.buf.len();
        let want = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(room)
            .min(spare);
        if want == 0 {
            return None;
        }
        Some((std::mem::take(&mut self.sink.buf), want))
    }

    /// Takes back the buffer lent by [`lend`](Self::lend), whose bytes from `start` on
    /// are payload of the current frame (at most what was lent), still masked with
    /// `mask`; `offset` is the position of `buf[start]` in the frame payload.
    pub(crate) fn push_lent(
        &mut self,
        buf: BytesMut,
        start: usize,
        mask: Option<[u8; 4]>,
        offset: usize,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        self.sink.buf = buf;
        if self.sink.buf.len() == start {
            return Ok(());
        }
        self.sink.accept(start, mask.map(|k| (k, offset)), events)
    }

    fn inflate(&mut self, finish: bool, events: &mut Events) -> Result<(), ProtocolError> {
        let Some(msg) = self.sink.msg.as_ref() else {
            return Ok(());
        };
        let budget = msg.limit - msg.len;
        let too_big = ProtocolError::MessageTooBig { limit: msg.limit };
        let Some(inflater) = self.inflater.as_mut() else {
            return Err(ProtocolError::ReservedBits(0x40));
        };
        let sink = &mut self.sink;
        inflater.inflate(&self.scratch, finish, budget, too_big, &mut |plain| {
            sink.append(plain, None, events)
        })
    }

    /// The current data frame has ended; `fin` ends the message.
    pub(crate) fn end_frame(
        &mut self,
        fin: bool,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        let Some(msg) = self.sink.msg.as_ref() else {
            return Ok(());
        };
        // An empty compressed message: nothing to inflate. (A valid deflate stream is
        // never empty; we tolerate peers that send RSV1 with no payload and leave the
        // shared window untouched.)
        if fin && msg.compressed && msg.wire_len > 0 {
            self.scratch.clear();
            self.inflate(true, events)?;
        }
        if fin && self.scratch.capacity() > SCRATCH_KEEP {
            // Idle connections hold no large scratch space: a message's compressed
            // chunks may have grown it to a whole read's size.
            self.scratch = Vec::new();
        }
        let msg = self.sink.msg.as_ref().expect("message in progress");
        if !fin {
            if msg.partial {
                Sink::emit_part(msg, &mut self.sink.buf, false, events);
            }
            return Ok(());
        }
        if msg.text && msg.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8);
        }
        let msg = self.sink.msg.take().expect("message in progress");
        if msg.partial {
            Sink::emit_part(&msg, &mut self.sink.buf, true, events);
            // What capacity is left shares the last part's allocation: keeping it
            // would pin that part while the connection idles.
            self.sink.buf = BytesMut::new();
        } else {
            // The buffer goes out whole: it was reserved for this message (exactly, for
            // a single frame), so it has no spare room worth keeping, and a split
            // would cost a shared-ownership header and pin the allocation. Text
            // becomes a `String` without a copy.
            let data = std::mem::take(&mut self.sink.buf);
            let message = if msg.text {
                // Validated as it arrived; `from_utf8` re-checks (no unsafe here).
                Message::Text(
                    String::from_utf8(Vec::from(data)).map_err(|_| ProtocolError::InvalidUtf8)?,
                )
            } else if !msg.compressed && data.capacity() > PayloadArena::MAX_PAYLOAD {
                // Its buffer goes back to the thread's spare buffers when the message
                // is dropped, for the next large message to take (`reserve_ahead`).
                // Not an inflated one: inflation never takes from there, so handing
                // it back would only cost the owner's allocation per message.
                Message::Binary(SpareBuffers::hand_out(Vec::from(data)))
            } else {
                Message::Binary(data.freeze())
            };
            events.push_back(Event::Message(message));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DeflateConfig, Role};
    use crate::deflate::Deflater;
    use ws_frame::Rsv;

    /// A compressed client message whose single frame is far larger than
    /// `SCRATCH_KEEP`: the scratch grows for it and is released at the message end.
    #[test]
    fn scratch_is_released_after_a_large_compressed_message() {
        let deflate = DeflateConfig::default();
        let config = SessionConfig::default()
            .with_binary_buffer_size(1 << 20)
            .with_deflate(Some(deflate));
        let mut assembler = Assembler::new(
            &config,
            Some(Box::new(Inflater::new(&deflate, Role::Server))),
        );
        let plain: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut wire = Vec::new();
        Deflater::new(&deflate, Role::Client)
            .expect("window 15 compresses")
            .compress(&plain, true, &mut wire);
        assert!(wire.len() > SCRATCH_KEEP);
        let mut header = FrameHeader::new(OpCode::Binary, wire.len() as u64);
        header.rsv = Rsv::RSV1;
        let mut events = Events::default();
        assembler.start_frame(&header).unwrap();
        assembler.push(&wire, None, 0, 0, &mut events).unwrap();
        assert!(assembler.scratch.capacity() >= wire.len());
        assembler.end_frame(true, &mut events).unwrap();
        assert!(assembler.scratch.capacity() <= SCRATCH_KEEP);
        match events.pop_front() {
            Some(Event::Message(Message::Binary(data))) => assert_eq!(&data[..], &plain[..]),
            other => panic!("expected the whole message, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod growth_tests {
    use super::*;

    /// A whole message in many small frames: the buffer's regrowth copies, summed,
    /// stay below twice the message's length (growth is geometric, not a step per
    /// frame; before, 1 MiB in 1000-byte frames copied 550 MB), and its capacity
    /// ends within twice its length.
    #[test]
    fn small_frames_grow_the_buffer_geometrically() {
        for frame in [1usize, 64, 1000] {
            let config = SessionConfig::default()
                .with_binary_buffer_size(4 << 20)
                .with_max_message_size(4 << 20);
            let mut assembler = Assembler::new(&config, None);
            let mut events = Events::default();
            let total = 1 << 20;
            let mut copied = 0;
            let mut sent = 0;
            while sent < total {
                let op = if sent == 0 {
                    OpCode::Binary
                } else {
                    OpCode::Continuation
                };
                let size = frame.min(total - sent);
                let mut header = FrameHeader::new(op, size as u64);
                header.fin = sent + size == total;
                assembler.start_frame(&header).unwrap();
                let before = assembler.sink.buf.capacity();
                let len = assembler.sink.buf.len();
                assembler
                    .push(&vec![7; size], None, 0, 0, &mut events)
                    .unwrap();
                if assembler.sink.buf.capacity() != before {
                    copied += len;
                }
                if !header.fin {
                    assembler.end_frame(false, &mut events).unwrap();
                }
                sent += size;
            }
            let capacity = assembler.sink.buf.capacity();
            assert!(
                copied <= 2 * total,
                "{frame}-byte frames: {copied} bytes copied"
            );
            assert!(
                capacity <= 2 * total,
                "{frame}-byte frames: capacity {capacity}"
            );
            assembler.end_frame(true, &mut events).unwrap();
            assert!(
                matches!(events.pop_front(), Some(Event::Message(Message::Binary(b))) if b.len() == total)
            );
        }
    }

    /// Receives one frame of `total` bytes through loans of `step` bytes, as the
    /// front-end reads a large frame straight into the message buffer; returns the
    /// message and the buffer capacities seen after each loan.
    fn receive_lent(
        assembler: &mut Assembler,
        op: OpCode,
        total: usize,
        step: usize,
    ) -> (Message, Vec<usize>) {
        let mut events = Events::default();
        assembler
            .start_frame(&FrameHeader::new(op, total as u64))
            .unwrap();
        let mut capacities = Vec::new();
        let mut got = 0;
        while got < total {
            let (mut buf, max) = assembler.lend((total - got) as u64).expect("lent");
            let start = buf.len();
            let n = max.min(step);
            buf.extend_from_slice(&vec![b'a'; n]);
            assembler
                .push_lent(buf, start, None, got, &mut events)
                .unwrap();
            capacities.push(assembler.sink.buf.capacity());
            got += n;
        }
        assembler.end_frame(true, &mut events).unwrap();
        match events.pop_front() {
            Some(Event::Message(m)) => (m, capacities),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// A large binary message read through loans gives its buffer back to the
    /// thread when dropped, and the next one of its size takes that buffer whole at
    /// once: no regrowth (each a `realloc` copy) and no fresh pages. Text leaves as a
    /// `String` and does not take kept buffers.
    #[test]
    fn large_binary_messages_reuse_one_buffer() {
        let total = 1 << 20;
        let config = SessionConfig::default().with_binary_buffer_size(4 << 20);
        let mut assembler = Assembler::new(&config, None);
        let (first, grew) = receive_lent(&mut assembler, OpCode::Binary, total, 64 << 10);
        assert!(
            grew.first() < grew.last(),
            "the first message grows: {grew:?}"
        );
        let Message::Binary(first) = first else {
            panic!("binary expected")
        };
        assert_eq!(first.len(), total);
        let at = first.as_ptr();
        drop(first);
        assert_eq!(SpareBuffers::capacities(), vec![total]);

        let (second, capacities) = receive_lent(&mut assembler, OpCode::Binary, total, 64 << 10);
        assert!(
            capacities.iter().all(|&c| c == total),
            "taken whole at the start: {capacities:?}"
        );
        let Message::Binary(second) = second else {
            panic!("binary expected")
        };
        assert_eq!(second.as_ptr(), at, "the same buffer");
        assert!(second.iter().all(|&b| b == b'a'));
        assert!(SpareBuffers::capacities().is_empty(), "held by the message");
        drop(second);

        let config = config.with_text_buffer_size(4 << 20);
        let mut assembler = Assembler::new(&config, None);
        let (text, _) = receive_lent(&mut assembler, OpCode::Text, total, 64 << 10);
        assert!(matches!(text, Message::Text(t) if t.len() == total));
        assert_eq!(SpareBuffers::capacities(), vec![total], "left in the pool");
        while SpareBuffers::take(0).is_some() {}
    }
}
