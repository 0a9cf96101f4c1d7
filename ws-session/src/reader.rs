//! The input side: frame headers accumulated across reads, role and extension rules,
//! payload routed to the assembler (data) or a small buffer (control, at most 125 bytes).

use bytes::{Bytes, BytesMut};
use ws_frame::{apply_mask, Decoded, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

use crate::assembler::Assembler;
use crate::config::Role;
use crate::event::Events;
use crate::ProtocolError;

/// The smallest rest of a data frame worth a direct read: below it, one ordinary read
/// that also takes the frames after it costs less than a read that stops at the
/// frame's end.
const LEND_MIN_REMAINING: u64 = 32 * 1024;

/// A data frame at least this long cannot arrive whole in one read of a front-end's
/// shared 256 KiB read buffer: after one, the next read takes only a header (see
/// [`Reader::read_limit`]).
const LARGE_FRAME: u64 = 256 * 1024;

/// A complete control frame for the session to act on.
#[derive(Debug)]
pub(crate) enum Control {
    Ping(Bytes),
    Pong(Bytes),
    Close(Bytes),
}

/// The frame whose payload is being read.
struct InFrame {
    header: FrameHeader,
    remaining: u64,
    offset: usize,
}

/// Parses the peer's byte stream; see the module docs.
pub(crate) struct Reader {
    role: Role,
    deflate: bool,
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    frame: Option<InFrame>,
    control: Vec<u8>,
    pub(crate) assembler: Assembler,
    /// Data frame headers seen so far (read-idle activity).
    pub(crate) data_frames: u64,
    /// The last data frame begun was at least [`LARGE_FRAME`] long.
    after_large_frame: bool,
}

impl Reader {
    pub(crate) fn new(role: Role, deflate: bool, assembler: Assembler) -> Reader {
        Reader {
            role,
            deflate,
            head: [0; MAX_HEADER_LEN],
            head_len: 0,
            frame: None,
            control: Vec::new(),
            assembler,
            data_frames: 0,
            after_large_frame: false,
        }
    }

    /// Consumes bytes from `input` until it is empty or a control frame is complete.
    /// Data events go to `events`.
    pub(crate) fn read(
        &mut self,
        input: &mut &[u8],
        events: &mut Events,
    ) -> Result<Option<Control>, ProtocolError> {
        while !input.is_empty() || self.frame.as_ref().is_some_and(|f| f.remaining == 0) {
            let Some(frame) = self.frame.as_mut() else {
                self.read_header(input, events)?;
                continue;
            };
            let take = (frame.remaining.min(input.len() as u64)) as usize;
            let (chunk, rest) = input.split_at(take);
            *input = rest;
            let header = frame.header;
            if header.opcode.is_control() {
                self.control.extend_from_slice(chunk);
            } else if take > 0 {
                self.assembler.push(
                    chunk,
                    header.mask,
                    frame.offset,
                    frame.remaining - take as u64,
                    events,
                )?;
            }
            frame.offset += take;
            frame.remaining -= take as u64;
            if frame.remaining == 0 {
                self.frame = None;
                if let Some(control) = self.end_frame(header, events)? {
                    return Ok(Some(control));
                }
            }
        }
        Ok(None)
    }

    /// The most the next read should take, when it matters: between frames, after a
    /// data frame of at least [`LARGE_FRAME`] bytes, a frame header's worth. If the
    /// next frame is large too, its payload then goes straight into the message
    /// buffer ([`lend`](Self::lend)) instead of partly through the shared read buffer
    /// and a copy (a 1 MiB echo copied up to a quarter of each message that way); the
    /// price is one more read per large frame.
    pub(crate) fn read_limit(&self) -> Option<usize> {
        (self.after_large_frame && self.frame.is_none() && self.head_len == 0)
            .then_some(MAX_HEADER_LEN)
    }

    /// Lends the message buffer for a direct read of the current data frame's payload
    /// (see [`Assembler::lend`]), when enough of it is still to come.
    pub(crate) fn lend(&mut self) -> Option<(BytesMut, usize)> {
        let frame = self.frame.as_ref()?;
        if !frame.header.opcode.is_data() || frame.remaining < LEND_MIN_REMAINING {
            return None;
        }
        self.assembler.lend(frame.remaining)
    }

    /// Takes back the buffer from [`lend`](Self::lend) with the bytes from `start` on
    /// read into it (at most what was lent, which is at most the frame's rest).
    pub(crate) fn read_lent(
        &mut self,
        buf: BytesMut,
        start: usize,
        events: &mut Events,
    ) -> Result<(), ProtocolError> {
        let n = buf.len() - start;
        let Some(frame) = self.frame.as_mut() else {
            return Ok(());
        };
        let header = frame.header;
        self.assembler
            .push_lent(buf, start, header.mask, frame.offset, events)?;
        frame.offset += n;
        frame.remaining -= n as u64;
        if frame.remaining == 0 {
            self.frame = None;
            // A data frame: its end yields no control frame.
            self.end_frame(header, events)?;
        }
        Ok(())
    }

    /// The short way for the common frame: a whole uncompressed message in one frame
    /// whose header and payload are both in `input` (just past the header), for whole
    /// delivery. Takes its payload (advancing `input`) and returns true, or leaves
    /// everything as it was and returns false: any frame that breaks a rule or a
    /// limit goes the long way, which reports the error.
    fn take_whole(&mut self, header: &FrameHeader, input: &mut &[u8], events: &mut Events) -> bool {
        let well_formed = header.fin
            && header.rsv.bits() == 0
            && header.mask.is_some() == (self.role == Role::Server)
            && matches!(header.opcode, OpCode::Text | OpCode::Binary);
        let Ok(len) = usize::try_from(header.payload_len) else {
            return false;
        };
        if !well_formed || len > input.len() {
            return false;
        }
        let (payload, rest) = input.split_at(len);
        if !self.assembler.take_whole(header, payload, events) {
            return false;
        }
        *input = rest;
        self.data_frames += 1;
        true
    }

    fn read_header(&mut self, input: &mut &[u8], events: &mut Events) -> Result<(), ProtocolError> {
        let had = self.head_len;
        if had == 0 {
            // The common case: the whole header is in the input; decode it there.
            if let Decoded::Complete(header, len) = FrameHeader::decode(input)? {
                *input = &input[len..];
                self.note_header(&header);
                if self.take_whole(&header, input, events) {
                    return Ok(());
                }
                return self.start_frame(header);
            }
        }
        let take = (MAX_HEADER_LEN - had).min(input.len());
        self.head[had..had + take].copy_from_slice(&input[..take]);
        match FrameHeader::decode(&self.head[..had + take])? {
            Decoded::Incomplete(_) => {
                self.head_len = had + take;
                *input = &input[take..];
            }
            Decoded::Complete(header, len) => {
                self.head_len = 0;
                *input = &input[len - had..];
                self.note_header(&header);
                self.start_frame(header)?;
            }
        }
        Ok(())
    }

    /// Remembers whether a data frame is large, for [`read_limit`](Self::read_limit).
    fn note_header(&mut self, header: &FrameHeader) {
        if header.opcode.is_data() {
            self.after_large_frame = header.payload_len >= LARGE_FRAME;
        }
    }

    fn start_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let allowed = match header.opcode {
            OpCode::Text | OpCode::Binary if self.deflate => Rsv::RSV1.bits(),
            _ => 0,
        };
        let bits = header.rsv.bits();
        if bits & !allowed != 0 {
            return Err(ProtocolError::ReservedBits(bits));
        }
        if header.opcode.is_data() {
            self.data_frames += 1;
            self.assembler.start_frame(&header)?;
        } else {
            self.control.clear();
        }
        self.frame = Some(InFrame {
            header,
            remaining: header.payload_len,
            offset: 0,
        });
        Ok(())
    }

    fn end_frame(
        &mut self,
        header: FrameHeader,
        events: &mut Events,
    ) -> Result<Option<Control>, ProtocolError> {
        if header.opcode.is_data() {
            self.assembler.end_frame(header.fin, events)?;
            return Ok(None);
        }
        if let Some(key) = header.mask {
            apply_mask(&mut self.control, key, 0);
        }
        let payload = Bytes::copy_from_slice(&self.control);
        Ok(Some(match header.opcode {
            OpCode::Ping => Control::Ping(payload),
            OpCode::Pong => Control::Pong(payload),
            _ => Control::Close(payload),
        }))
    }
}
