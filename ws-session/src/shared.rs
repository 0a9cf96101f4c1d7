//! Frames encoded once and queued in many server sessions (fan-out: topics,
//! broadcasts).
//!
//! A server never masks, so the wire bytes of a message are the same for every
//! peer that receives it in the same form. A [`SharedFrame`] is one whole message
//! encoded as one final frame (header and payload in one [`Bytes`]);
//! [`Session::send_shared`](crate::Session::send_shared) queues it without encoding
//! anything: a small frame is copied into the session's flat lane (as a small send
//! would be), a larger one is queued as one more reference to the same buffer.
//!
//! # Which form a session takes
//!
//! [`Session::shared_form`](crate::Session::shared_form) says, for a message of a
//! given length, which form that session can take ([`SharedForm`]):
//!
//! * [`SharedForm::Plain`]: the uncompressed frame. Always valid on the wire
//!   (RFC 7692 section 6 lets any message go uncompressed), and an uncompressed
//!   message leaves both deflate contexts untouched.
//! * [`SharedForm::Deflated`]: the frame compressed by a [`SharedCompressor`] with
//!   the same [`SharedDeflate`] parameters. Only for sessions that negotiated
//!   `server_no_context_takeover`: their compressor starts every message from an
//!   empty window, so a message compressed elsewhere from an empty window is
//!   exactly what the peer expects, and our own compressor's window (reset after
//!   every message anyway) does not go out of step with the peer's.
//! * [`SharedForm::Own`]: the message must be encoded for this session alone with
//!   [`Session::send`](crate::Session::send): a client (masks differ per frame), a
//!   server whose compressor keeps its context across messages (a frame compressed
//!   elsewhere would leave the peer's window ahead of ours), or a message longer
//!   than the session's `fragment_size`.

use bytes::{BufMut, Bytes, BytesMut};
use ws_frame::{FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

use crate::deflate::Deflater;
use crate::event::{Message, MessageKind};

/// Compression parameters that sessions sharing deflated frames have in common: the
/// server's window (`server_max_window_bits`), our level, and our threshold below
/// which messages go uncompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SharedDeflate {
    /// The LZ77 window of the compressor, 9 to 15.
    pub window_bits: u8,
    /// The compression level, 0 to 9.
    pub level: u32,
}

/// The form of a message a session can take from a fan-out (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharedForm {
    /// The uncompressed frame.
    Plain,
    /// The frame compressed without context with these parameters.
    Deflated(SharedDeflate),
    /// Encoded for this session alone ([`Session::send`](crate::Session::send)).
    Own,
}

/// One whole message encoded as one unmasked final frame, for any number of server
/// sessions (see the module docs). Cloning it is cheap (the bytes are shared).
#[derive(Clone, Debug)]
pub struct SharedFrame {
    wire: Bytes,
    /// Length of the frame's header in `wire`.
    head_len: u8,
    kind: MessageKind,
    /// Length of the message before compression.
    message_len: usize,
    /// `Some` when compressed: with which parameters.
    deflate: Option<SharedDeflate>,
}

fn opcode(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}

/// Header and payload of one unmasked final frame, in one buffer, and the header's
/// length.
fn encode(kind: MessageKind, rsv: Rsv, payload: &[u8]) -> (Bytes, u8) {
    let mut header = FrameHeader::new(opcode(kind), payload.len() as u64);
    header.rsv = rsv;
    let mut head = [0u8; MAX_HEADER_LEN];
    let head_len = header.encode(&mut head);
    let mut wire = BytesMut::with_capacity(head_len + payload.len());
    wire.put_slice(&head[..head_len]);
    wire.put_slice(payload);
    (wire.freeze(), head_len as u8)
}

impl SharedFrame {
    /// The uncompressed frame of `message` ([`SharedForm::Plain`]).
    pub fn plain(message: &Message) -> SharedFrame {
        let payload = message.as_bytes();
        let (wire, head_len) = encode(message.kind(), Rsv::NONE, payload);
        SharedFrame {
            wire,
            head_len,
            kind: message.kind(),
            message_len: payload.len(),
            deflate: None,
        }
    }

    /// The whole frame as it goes on the wire.
    pub fn wire(&self) -> &Bytes {
        &self.wire
    }

    /// Length of the frame's payload on the wire (compressed, if it is).
    pub fn payload_len(&self) -> usize {
        self.wire.len() - usize::from(self.head_len)
    }

    /// Text or binary.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// Length of the message's payload before compression.
    pub fn message_len(&self) -> usize {
        self.message_len
    }

    /// The form of this frame.
    pub fn form(&self) -> SharedForm {
        match self.deflate {
            Some(params) => SharedForm::Deflated(params),
            None => SharedForm::Plain,
        }
    }
}

/// A compressor for [`SharedForm::Deflated`] frames: every message is compressed
/// from an empty window (the compressor is reset after each), so its output suits
/// every session that negotiated `server_no_context_takeover` with the same
/// window. Keep one per [`SharedDeflate`] and reuse it: building one allocates the
/// compressor's state.
pub struct SharedCompressor {
    params: SharedDeflate,
    deflater: Deflater,
    /// Scratch output, kept between messages.
    out: Vec<u8>,
}

impl std::fmt::Debug for SharedCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCompressor")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl SharedCompressor {
    /// A compressor with these parameters (window bits clamped to 9..=15, level to
    /// 0..=9).
    pub fn new(params: SharedDeflate) -> SharedCompressor {
        let params = SharedDeflate {
            window_bits: params.window_bits.clamp(9, 15),
            level: params.level.min(9),
        };
        SharedCompressor {
            deflater: Deflater::without_context(params.window_bits, params.level),
            params,
            out: Vec::new(),
        }
    }

    /// The parameters of the frames this compressor makes.
    pub fn params(&self) -> SharedDeflate {
        self.params
    }

    /// The compressed frame of `message` (RSV1 set).
    pub fn compress(&mut self, message: &Message) -> SharedFrame {
        let payload = message.as_bytes();
        self.out.clear();
        self.deflater.compress(payload, true, &mut self.out);
        let (wire, head_len) = encode(message.kind(), Rsv::RSV1, &self.out);
        if self.out.capacity() > 64 * 1024 {
            // A large message does not leave a large scratch buffer behind.
            self.out = Vec::new();
        }
        SharedFrame {
            wire,
            head_len,
            kind: message.kind(),
            message_len: payload.len(),
            deflate: Some(self.params),
        }
    }
}
