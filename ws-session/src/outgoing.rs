//! Turning send commands into frames: compression, fragmentation at
//! `fragment_size`, and the state of a message sent in parts.

use bytes::Bytes;
use ws_frame::{OpCode, Rsv, Utf8Validator};

use crate::deflate::Deflater;
use crate::event::MessageKind;
use crate::writer::Writer;
use crate::SendError;

/// A message being sent in parts.
struct PartialSend {
    kind: MessageKind,
    compressed: bool,
    utf8: Utf8Validator,
}

/// Builds outgoing data frames; see the module docs.
pub(crate) struct Outgoing {
    /// Boxed: a session without deflate should not carry its size.
    deflater: Option<Box<Deflater>>,
    fragment_size: Option<usize>,
    partial: Option<PartialSend>,
}

fn opcode(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}

impl Outgoing {
    /// Whether the deflater holds a zlib state now.
    pub(crate) fn holds_deflate_state(&self) -> bool {
        self.deflater.as_ref().is_some_and(|d| d.holds_state())
    }

    /// Whether the deflater holds a state it could give back now (between messages).
    pub(crate) fn can_release_deflater(&self) -> bool {
        self.partial.is_none() && self.holds_deflate_state()
    }

    /// Gives the deflater's state back to the thread's spare pool (between messages).
    pub(crate) fn release_deflater(&mut self) {
        if self.partial.is_none() {
            if let Some(d) = self.deflater.as_mut() {
                d.release();
            }
        }
    }

    pub(crate) fn new(deflater: Option<Box<Deflater>>, fragment_size: Option<usize>) -> Outgoing {
        Outgoing {
            deflater,
            fragment_size: fragment_size.map(|n| n.max(1)),
            partial: None,
        }
    }

    /// Whether a message sent in parts is unfinished.
    pub(crate) fn in_progress(&self) -> bool {
        self.partial.is_some()
    }

    /// Encodes a whole message; fails (queuing nothing) if it does not fit in `room`.
    pub(crate) fn message(
        &mut self,
        writer: &mut Writer,
        kind: MessageKind,
        payload: Bytes,
        room: usize,
    ) -> Result<(), SendError> {
        if self.partial.is_some() {
            return Err(SendError::MessageInProgress);
        }
        let len = payload.len();
        let compress = self.deflater.as_ref().is_some_and(|d| d.wants(kind, len));
        // The room check comes first, on an upper bound of the compressed size: a
        // refused send must not advance the compressor's shared context.
        let bound = if compress {
            compress_bound(payload.len())
        } else {
            payload.len()
        };
        self.check_room(writer, bound, room)?;
        let (payload, rsv) = match self.deflater.as_mut() {
            Some(d) if compress => {
                let mut out = Vec::with_capacity(compress_bound(len));
                d.compress(&payload, true, &mut out);
                d.compressed(kind, len, out.len());
                (Bytes::from(out), Rsv::RSV1)
            }
            Some(d) => {
                d.sent_plain(kind, len);
                (payload, Rsv::NONE)
            }
            None => (payload, Rsv::NONE),
        };
        self.frames(writer, opcode(kind), rsv, payload, true);
        Ok(())
    }

    /// Encodes a whole small message straight from `payload` into the writer's flat
    /// lane, when nothing asks for more: no part in progress, no compression, one
    /// frame, and the lane open. `None` when the message needs
    /// [`message`](Self::message) (which then takes an owned payload).
    #[inline]
    pub(crate) fn small_message(
        &mut self,
        writer: &mut Writer,
        kind: MessageKind,
        payload: &[u8],
        room: usize,
    ) -> Option<Result<(), SendError>> {
        let len = payload.len();
        if self.partial.is_some()
            || self.deflater.as_ref().is_some_and(|d| d.wants(kind, len))
            || self.fragment_size.is_some_and(|size| len > size)
            || !writer.flat_open(len)
        {
            return None;
        }
        // One frame (checked above), so its wire length needs no fragment arithmetic.
        let needed = writer.frame_len(len);
        if needed > room {
            return Some(Err(queue_full(writer, needed, room)));
        }
        writer.push_flat(opcode(kind), Rsv::NONE, true, payload);
        if let Some(d) = self.deflater.as_mut() {
            d.sent_plain(kind, len);
        }
        Some(Ok(()))
    }

    /// Encodes one part of a message sent in parts. A message sent in parts is
    /// compressed (when deflate is on for our direction) whatever its size, since its
    /// size is unknown up front; each part is sync-flushed so the peer can inflate it.
    pub(crate) fn part(
        &mut self,
        writer: &mut Writer,
        kind: MessageKind,
        payload: Bytes,
        last: bool,
        room: usize,
    ) -> Result<(), SendError> {
        let first = match &self.partial {
            Some(p) if p.kind != kind => return Err(SendError::MessageInProgress),
            Some(_) => false,
            None => true,
        };
        let compressed = match &self.partial {
            Some(p) => p.compressed,
            None => self.deflater.is_some(),
        };
        let mut utf8 = self
            .partial
            .as_ref()
            .map_or(Utf8Validator::new(), |p| p.utf8);
        if kind == MessageKind::Text
            && (utf8.feed(&payload).is_err() || (last && utf8.finish().is_err()))
        {
            return Err(SendError::InvalidUtf8);
        }
        let bound = if compressed {
            compress_bound(payload.len())
        } else {
            payload.len()
        };
        self.check_room(writer, bound, room)?;
        let (wire, rsv) = match self.deflater.as_mut() {
            Some(d) if compressed => {
                let mut out = Vec::with_capacity(bound);
                d.compress(&payload, last, &mut out);
                (Bytes::from(out), if first { Rsv::RSV1 } else { Rsv::NONE })
            }
            _ => (payload, Rsv::NONE),
        };
        let op = if first {
            opcode(kind)
        } else {
            OpCode::Continuation
        };
        self.frames(writer, op, rsv, wire, last);
        self.partial = (!last).then_some(PartialSend {
            kind,
            compressed,
            utf8,
        });
        Ok(())
    }

    /// Wire bytes of `len` payload bytes after fragmentation.
    fn wire_len(&self, writer: &Writer, len: usize) -> usize {
        let size = self.fragment_size.unwrap_or(usize::MAX);
        let count = len.div_ceil(size).max(1);
        if count == 1 {
            writer.frame_len(len)
        } else {
            (count - 1) * writer.frame_len(size) + writer.frame_len(len - (count - 1) * size)
        }
    }

    fn check_room(&self, writer: &Writer, len: usize, room: usize) -> Result<(), SendError> {
        let needed = self.wire_len(writer, len);
        if needed > room {
            return Err(queue_full(writer, needed, room));
        }
        Ok(())
    }

    /// Splits `payload` into frames of at most `fragment_size` and queues them
    /// (the room was checked by the caller).
    fn frames(&mut self, writer: &mut Writer, op: OpCode, rsv: Rsv, payload: Bytes, fin: bool) {
        let size = self.fragment_size.unwrap_or(usize::MAX);
        let count = payload.len().div_ceil(size).max(1);
        if count == 1 {
            writer.push_data(op, rsv, fin, payload);
            return;
        }
        for i in 0..count {
            let start = i * size;
            let end = (start + size).min(payload.len());
            let (op, rsv) = if i == 0 {
                (op, rsv)
            } else {
                (OpCode::Continuation, Rsv::NONE)
            };
            writer.push_data(op, rsv, fin && i == count - 1, payload.slice(start..end));
        }
    }
}

/// The error for a message of `needed` wire bytes that does not fit in `room`.
#[cold]
fn queue_full(writer: &Writer, needed: usize, room: usize) -> SendError {
    SendError::QueueFull {
        queued: writer.queued(),
        needed,
        bound: writer.queued().saturating_add(room),
    }
}

/// An upper bound of the deflate output for `len` input bytes, sync flush included
/// (stored blocks cost 5 bytes per 64 KiB; the rest is slack).
fn compress_bound(len: usize) -> usize {
    len + len / 8 + 64
}
