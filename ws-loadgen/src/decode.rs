//! Server frames, decoded as they stream in: payload bytes are handed on in the
//! pieces they arrive in, so no message is ever buffered whole.
//!
//! The decoder keeps at most a partial header (13 bytes) and one control frame's
//! payload (125 bytes). It enforces what a client must check of a server: frames are
//! unmasked, no RSV bit is set but RSV1 on the first frame of a data message when
//! permessage-deflate was negotiated (the message is compressed), continuation frames
//! continue a message and data frames do not interleave. Limits apply to the bytes on
//! the wire; inflated output is bounded by the echo checker.

use thiserror::Error;
use ws_frame::{Decoded, FrameError, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

/// What the decoder found, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A data message starts (text or binary).
    Start {
        /// Text or binary.
        opcode: OpCode,
        /// RSV1 was set: the payload is deflate data (RFC 7692).
        compressed: bool,
    },
    /// The next payload bytes of the current message (never empty).
    Data(&'a [u8]),
    /// The current message is complete.
    End,
    /// A ping with its payload.
    Ping(&'a [u8]),
    /// A pong.
    Pong,
    /// A close frame with its status code, if it had one.
    Close(Option<u16>),
}

/// The server broke the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A frame header failed to decode.
    #[error("bad frame header: {0:?}")]
    Frame(FrameError),
    /// A server frame was masked.
    #[error("the server sent a masked frame")]
    Masked,
    /// An RSV bit was set that no negotiated extension defines (RSV1 is allowed
    /// only on the first frame of a data message, with permessage-deflate).
    #[error("the server set RSV bits no negotiated extension allows")]
    Reserved,
    /// A compressed message did not inflate.
    #[error("compressed message: {0}")]
    Inflate(String),
    /// A continuation frame arrived outside a message.
    #[error("continuation frame outside a message")]
    UnexpectedContinuation,
    /// A text or binary frame arrived in the middle of another message.
    #[error("a new message started inside another one")]
    Interleaved,
    /// A message grew beyond the decoder's limit.
    #[error("message of at least {0} bytes exceeds the limit")]
    TooBig(u64),
    /// A close payload of one byte, or with a bad reason.
    #[error("malformed close frame")]
    BadClose,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Header,
    Payload {
        remaining: u64,
        control: Option<OpCode>,
        fin: bool,
    },
}

/// Decodes frames sent by a server.
#[derive(Clone, Debug)]
pub struct FrameReader {
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    state: State,
    control: Vec<u8>,
    in_message: bool,
    message_len: u64,
    max_message: u64,
    deflate: bool,
}

impl FrameReader {
    /// A reader that refuses messages longer than `max_message` bytes on the wire.
    pub fn new(max_message: u64) -> FrameReader {
        FrameReader {
            head: [0; MAX_HEADER_LEN],
            head_len: 0,
            state: State::Header,
            control: Vec::new(),
            in_message: false,
            message_len: 0,
            max_message,
            deflate: false,
        }
    }

    /// The reader for a connection that negotiated permessage-deflate: RSV1 on the
    /// first frame of a data message marks it compressed.
    pub fn with_deflate(max_message: u64) -> FrameReader {
        FrameReader {
            deflate: true,
            ..FrameReader::new(max_message)
        }
    }

    /// Decodes all of `input`, calling `on` for each [`Event`]. A partial header or
    /// control payload at the end is kept for the next call. Stops at the first error,
    /// from the decoder or from `on`.
    pub fn feed<E: From<ReadError>>(
        &mut self,
        mut input: &[u8],
        on: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        while !input.is_empty() {
            match self.state {
                State::Header => {
                    let (header, used) = if self.head_len == 0 {
                        match FrameHeader::decode(input).map_err(ReadError::Frame)? {
                            Decoded::Complete(h, n) => (h, n),
                            Decoded::Incomplete(_) => {
                                // Less than a header: at most 13 bytes.
                                self.head[..input.len()].copy_from_slice(input);
                                self.head_len = input.len();
                                return Ok(());
                            }
                        }
                    } else {
                        let have = self.head_len;
                        let take = (MAX_HEADER_LEN - have).min(input.len());
                        self.head[have..have + take].copy_from_slice(&input[..take]);
                        match FrameHeader::decode(&self.head[..have + take])
                            .map_err(ReadError::Frame)?
                        {
                            Decoded::Complete(h, n) => {
                                self.head_len = 0;
                                (h, n - have)
                            }
                            Decoded::Incomplete(_) => {
                                self.head_len += take;
                                return Ok(());
                            }
                        }
                    };
                    input = &input[used..];
                    self.start_frame(header, on)?;
                }
                State::Payload {
                    remaining,
                    control,
                    fin,
                } => {
                    let take = remaining.min(input.len() as u64) as usize;
                    let (piece, rest) = input.split_at(take);
                    input = rest;
                    if control.is_some() {
                        self.control.extend_from_slice(piece);
                    } else {
                        on(Event::Data(piece))?;
                    }
                    let remaining = remaining - take as u64;
                    self.state = State::Payload {
                        remaining,
                        control,
                        fin,
                    };
                    if remaining == 0 {
                        self.end_frame(on)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn start_frame<E: From<ReadError>>(
        &mut self,
        h: FrameHeader,
        on: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if h.mask.is_some() {
            return Err(ReadError::Masked.into());
        }
        let starts_message = matches!(h.opcode, OpCode::Text | OpCode::Binary);
        let compressed = h.rsv.rsv1();
        let allowed = if self.deflate && starts_message {
            Rsv::RSV1
        } else {
            Rsv::NONE
        };
        if h.rsv.union(allowed) != allowed {
            return Err(ReadError::Reserved.into());
        }
        let control = h.opcode.is_control().then_some(h.opcode);
        match h.opcode {
            OpCode::Continuation if !self.in_message => {
                return Err(ReadError::UnexpectedContinuation.into())
            }
            OpCode::Text | OpCode::Binary if self.in_message => {
                return Err(ReadError::Interleaved.into())
            }
            OpCode::Text | OpCode::Binary => {
                self.in_message = true;
                self.message_len = 0;
                on(Event::Start {
                    opcode: h.opcode,
                    compressed,
                })?;
            }
            _ => {}
        }
        if control.is_none() {
            self.message_len = self.message_len.saturating_add(h.payload_len);
            if self.message_len > self.max_message {
                return Err(ReadError::TooBig(self.message_len).into());
            }
        } else {
            self.control.clear();
        }
        self.state = State::Payload {
            remaining: h.payload_len,
            control,
            fin: h.fin,
        };
        if h.payload_len == 0 {
            self.end_frame(on)?;
        }
        Ok(())
    }

    fn end_frame<E: From<ReadError>>(
        &mut self,
        on: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let State::Payload { control, fin, .. } = self.state else {
            return Ok(());
        };
        self.state = State::Header;
        match control {
            None if fin => {
                self.in_message = false;
                on(Event::End)
            }
            None => Ok(()),
            Some(OpCode::Ping) => on(Event::Ping(&self.control)),
            Some(OpCode::Pong) => on(Event::Pong),
            Some(_) => {
                let code = match self.control.len() {
                    0 => None,
                    1 => return Err(ReadError::BadClose.into()),
                    _ => {
                        if std::str::from_utf8(&self.control[2..]).is_err() {
                            return Err(ReadError::BadClose.into());
                        }
                        Some(u16::from_be_bytes([self.control[0], self.control[1]]))
                    }
                };
                on(Event::Close(code))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Owned {
        Start(OpCode),
        Compressed(OpCode),
        Data(Vec<u8>),
        End,
        Ping(Vec<u8>),
        Pong,
        Close(Option<u16>),
    }

    fn frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.fin = fin;
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut head);
        let mut out = head[..n].to_vec();
        out.extend_from_slice(payload);
        out
    }

    /// Decodes `wire` fed in pieces of `step` bytes; data pieces are merged.
    fn run(wire: &[u8], step: usize) -> Result<Vec<Owned>, ReadError> {
        run_with(FrameReader::new(1 << 20), wire, step)
    }

    fn run_with(
        mut reader: FrameReader,
        wire: &[u8],
        step: usize,
    ) -> Result<Vec<Owned>, ReadError> {
        let mut events = Vec::new();
        for piece in wire.chunks(step) {
            reader.feed(piece, &mut |e: Event<'_>| {
                match (e, events.last_mut()) {
                    (Event::Data(d), Some(Owned::Data(v))) => v.extend_from_slice(d),
                    (Event::Data(d), _) => events.push(Owned::Data(d.to_vec())),
                    (Event::Start { opcode, compressed }, _) => {
                        let start = if compressed {
                            Owned::Compressed(opcode)
                        } else {
                            Owned::Start(opcode)
                        };
                        events.push(start)
                    }
                    (Event::End, _) => events.push(Owned::End),
                    (Event::Ping(p), _) => events.push(Owned::Ping(p.to_vec())),
                    (Event::Pong, _) => events.push(Owned::Pong),
                    (Event::Close(c), _) => events.push(Owned::Close(c)),
                }
                Ok::<(), ReadError>(())
            })?;
        }
        Ok(events)
    }

    #[test]
    fn any_split_gives_the_same_events() {
        let big = vec![7u8; 70_000];
        let mut wire = frame(OpCode::Binary, true, b"hello");
        wire.extend(frame(OpCode::Text, false, b"ab"));
        wire.extend(frame(OpCode::Ping, true, b"p"));
        wire.extend(frame(OpCode::Continuation, true, b"cd"));
        wire.extend(frame(OpCode::Binary, true, &big));
        wire.extend(frame(OpCode::Binary, true, b""));
        wire.extend(frame(OpCode::Pong, true, b""));
        wire.extend(frame(OpCode::Close, true, &[0x03, 0xE8, b'o', b'k']));
        let expected = vec![
            Owned::Start(OpCode::Binary),
            Owned::Data(b"hello".to_vec()),
            Owned::End,
            Owned::Start(OpCode::Text),
            Owned::Data(b"ab".to_vec()),
            Owned::Ping(b"p".to_vec()),
            Owned::Data(b"cd".to_vec()),
            Owned::End,
            Owned::Start(OpCode::Binary),
            Owned::Data(big.clone()),
            Owned::End,
            Owned::Start(OpCode::Binary),
            Owned::End,
            Owned::Pong,
            Owned::Close(Some(1000)),
        ];
        for step in [1, 2, 3, 13, 14, 1000, wire.len()] {
            assert_eq!(run(&wire, step).unwrap(), expected, "step {step}");
        }
    }

    #[test]
    fn masked_frames_are_refused() {
        let mut h = FrameHeader::new(OpCode::Binary, 1);
        h.mask = Some([1, 2, 3, 4]);
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut head);
        let mut wire = head[..n].to_vec();
        wire.push(0);
        assert_eq!(run(&wire, 100), Err(ReadError::Masked));
    }

    fn with_rsv(opcode: OpCode, fin: bool, rsv: Rsv, payload: &[u8]) -> Vec<u8> {
        let mut h = FrameHeader::new(opcode, payload.len() as u64);
        h.fin = fin;
        h.rsv = rsv;
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut head);
        let mut out = head[..n].to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn rsv_bits_are_refused() {
        let wire = with_rsv(OpCode::Binary, true, Rsv::RSV1, b"");
        assert_eq!(run(&wire, 100), Err(ReadError::Reserved));
    }

    #[test]
    fn with_deflate_rsv1_marks_a_compressed_message_and_nothing_else() {
        let deflate = || FrameReader::with_deflate(1 << 20);
        let mut wire = with_rsv(OpCode::Text, false, Rsv::RSV1, b"ab");
        wire.extend(frame(OpCode::Continuation, true, b"c"));
        wire.extend(frame(OpCode::Binary, true, b"d"));
        assert_eq!(
            run_with(deflate(), &wire, 1).unwrap(),
            [
                Owned::Compressed(OpCode::Text),
                Owned::Data(b"abc".to_vec()),
                Owned::End,
                Owned::Start(OpCode::Binary),
                Owned::Data(b"d".to_vec()),
                Owned::End,
            ]
        );
        // RSV1 on a continuation or a control frame, RSV2 or RSV3 anywhere: refused.
        let mut cont = frame(OpCode::Text, false, b"a");
        cont.extend(with_rsv(OpCode::Continuation, true, Rsv::RSV1, b"b"));
        let refused = [
            cont,
            with_rsv(OpCode::Ping, true, Rsv::RSV1, b""),
            with_rsv(OpCode::Binary, true, Rsv::RSV2, b""),
            with_rsv(OpCode::Binary, true, Rsv::RSV1.union(Rsv::RSV3), b""),
        ];
        for wire in refused {
            assert_eq!(run_with(deflate(), &wire, 3), Err(ReadError::Reserved));
        }
    }

    #[test]
    fn continuation_and_interleaving_rules() {
        assert_eq!(
            run(&frame(OpCode::Continuation, true, b"x"), 10),
            Err(ReadError::UnexpectedContinuation)
        );
        let mut wire = frame(OpCode::Binary, false, b"x");
        wire.extend(frame(OpCode::Binary, true, b"y"));
        assert_eq!(run(&wire, 10), Err(ReadError::Interleaved));
    }

    #[test]
    fn the_limit_applies_to_the_declared_length() {
        let wire = frame(OpCode::Binary, true, &[0; 200]);
        let mut reader = FrameReader::new(100);
        let got = reader.feed(&wire[..4], &mut |_| Ok::<(), ReadError>(()));
        assert_eq!(got, Err(ReadError::TooBig(200)));
    }

    #[test]
    fn bad_close_payloads_are_refused() {
        assert_eq!(
            run(&frame(OpCode::Close, true, &[3]), 10),
            Err(ReadError::BadClose)
        );
        assert_eq!(
            run(&frame(OpCode::Close, true, &[3, 0xE8, 0xFF]), 10),
            Err(ReadError::BadClose)
        );
        assert_eq!(
            run(&frame(OpCode::Close, true, &[]), 10).unwrap(),
            [Owned::Close(None)]
        );
    }

    #[test]
    fn errors_from_the_callback_stop_decoding() {
        let wire = frame(OpCode::Binary, true, b"abc");
        let mut reader = FrameReader::new(100);
        let mut seen = 0;
        let got = reader.feed(&wire, &mut |_| {
            seen += 1;
            Err(ReadError::BadClose)
        });
        assert_eq!((got, seen), (Err(ReadError::BadClose), 1));
    }
}
