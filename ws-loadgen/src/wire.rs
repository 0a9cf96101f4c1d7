//! How a run's messages go on the wire: as they are, or compressed with
//! permessage-deflate (RFC 7692) the way a browser's offer lets a client compress.
//!
//! Compressing every message as it is sent would make the generator, not the
//! server, the bottleneck (the server inflates what it gets and deflates what it
//! echoes, and so would the generator). So a compressed message is built from parts
//! compressed once per run: its sequence number in a stored deflate block (5 bytes of
//! block header, then the 8 bytes as they are), followed by the body, compressed
//! alone at zlib's default level 6 and ended with a sync flush whose `00 00 ff ff`
//! tail is removed (RFC 7692 section 7.2.1). A deflate stream may be any sequence of
//! blocks, and the stored block ends on a byte boundary, so the two parts join into
//! one valid message whatever the body. The body refers to nothing before it:
//! compressing each message on its own is what a client that drops its context per
//! message does, which RFC 7692 allows without negotiating it; the server keeps its
//! inflate window as it would for a browser and cannot tell the difference. The
//! compressed bodies depend only on which body a message carries, so compressed runs
//! use as few bodies as keep one from coming round within a deflate window
//! ([`DEFLATE_PERIOD`] at least) to bound the memory they take.

use std::sync::{Arc, Mutex};

use flate2::{Compress, Compression, FlushCompress};
use ws_frame::OpCode;

use crate::error::LoadError;
use crate::payload::{Pattern, PayloadKind, PERIOD, SEQ_LEN};

/// Fewest bodies of a compressed run: each is compressed once and kept (seven
/// compressed 1 MiB bodies of random bytes are 7 MiB). Small messages get more, so
/// that the server's compressor does not find the same body again in its window
/// ([`Pattern::with_kind`]): 43 at 1 KiB.
pub const DEFLATE_PERIOD: u64 = 7;

/// The deflate block header that stores the next [`SEQ_LEN`] bytes as they are: a
/// non-final stored block (three zero bits, padded to the byte), then `LEN` and its
/// one's complement `NLEN`, little endian.
pub const STORED_SEQ_HEADER: [u8; 5] = [0x00, SEQ_LEN as u8, 0x00, !(SEQ_LEN as u8), 0xff];

/// The tail of a sync flush, removed by the sender and appended by the receiver.
pub const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// zlib's default compression level.
const LEVEL: u32 = 6;

/// The messages of a run as they go on the wire.
#[derive(Debug)]
pub struct Wire {
    pattern: Arc<Pattern>,
    /// The compressed body per pattern offset; `None` when messages go uncompressed.
    compressed: Option<Vec<Vec<u8>>>,
}

impl Wire {
    /// Messages as they are.
    pub fn plain(pattern: Arc<Pattern>) -> Wire {
        Wire {
            pattern,
            compressed: None,
        }
    }

    /// Messages compressed with a window of at most `window_bits` (the server's
    /// `client_max_window_bits`, 8 to 15). zlib cannot deflate with a window of 8, so
    /// below 9 the bodies are stored uncompressed (still valid deflate data, and
    /// referring to no window at all).
    pub fn deflated(pattern: Arc<Pattern>, window_bits: u8) -> Result<Wire, LoadError> {
        let (level, bits) = if window_bits < 9 {
            (0, 9)
        } else {
            (LEVEL, window_bits.min(15))
        };
        let compressed = (0..pattern.period())
            .map(|index| deflate_sync(pattern.body(index), level, bits))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Wire {
            pattern,
            compressed: Some(compressed),
        })
    }

    /// The pattern the messages carry.
    pub fn pattern(&self) -> &Arc<Pattern> {
        &self.pattern
    }

    /// Whether messages are compressed (RSV1 set on their frames).
    pub fn is_compressed(&self) -> bool {
        self.compressed.is_some()
    }

    /// The opcode of every message.
    pub fn opcode(&self) -> OpCode {
        self.pattern.kind().opcode()
    }

    /// Bytes of a message's payload before its body.
    pub fn prefix_len(&self) -> usize {
        if self.is_compressed() {
            STORED_SEQ_HEADER.len() + SEQ_LEN
        } else {
            SEQ_LEN
        }
    }

    /// Appends the payload bytes of message `seq` that come before its body: the
    /// sequence number, in a stored block when compressed.
    pub fn write_prefix(&self, seq: u64, out: &mut Vec<u8>) {
        if self.is_compressed() {
            out.extend_from_slice(&STORED_SEQ_HEADER);
        }
        out.extend_from_slice(&self.pattern.seq_bytes(seq));
    }

    /// The body of message `seq` as it goes on the wire.
    pub fn body(&self, seq: u64) -> &[u8] {
        match &self.compressed {
            Some(bodies) => &bodies[self.pattern.body_index(seq)],
            None => self.pattern.body(seq),
        }
    }

    /// The compressed body number `index` (`None` when uncompressed).
    pub fn compressed_body(&self, index: usize) -> Option<&[u8]> {
        self.compressed.as_ref().map(|b| b[index].as_slice())
    }

    /// Payload bytes of message `seq` on the wire.
    pub fn payload_len(&self, seq: u64) -> usize {
        self.prefix_len() + self.body(seq).len()
    }

    /// Appends the whole payload of message `seq` (unmasked).
    pub fn write_payload(&self, seq: u64, out: &mut Vec<u8>) {
        self.write_prefix(seq, out);
        out.extend_from_slice(self.body(seq));
    }

    /// The most payload bytes a server's echo of one message may take on the wire:
    /// the message itself, or compressed (deflate can grow incompressible data by a
    /// few bytes per block).
    pub fn max_echo_len(&self) -> u64 {
        let size = self.pattern.size() as u64;
        if self.is_compressed() {
            size + size / 8 + 1024
        } else {
            size
        }
    }
}

/// `input` as raw deflate blocks ended by a sync flush, without its 4-byte tail.
fn deflate_sync(input: &[u8], level: u32, window_bits: u8) -> Result<Vec<u8>, LoadError> {
    let mut deflater = Compress::new_with_window_bits(Compression::new(level), false, window_bits);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.len().max(1024));
        }
        let consumed = deflater.total_in() as usize;
        deflater
            .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
            .map_err(|e| LoadError::Usage(format!("deflate: {e}")))?;
        // The flush is complete once all input is in and zlib left output room unused.
        if deflater.total_in() as usize == input.len() && out.len() < out.capacity() {
            break;
        }
    }
    if !out.ends_with(&SYNC_TAIL) {
        return Err(LoadError::Usage(
            "deflate: a sync flush did not end with 00 00 ff ff".into(),
        ));
    }
    out.truncate(out.len() - SYNC_TAIL.len());
    Ok(out)
}

/// The message pattern of a run and its wire forms, built on first use: plain, and
/// compressed per window size a server asked for (the same for every connection of
/// a server, so it is compressed once).
#[derive(Debug)]
pub struct Wires {
    plain: Arc<Wire>,
    /// Index: `client_max_window_bits`.
    deflated: Mutex<[Option<Arc<Wire>>; 16]>,
}

impl Wires {
    /// The wire forms of messages of `size` bytes and `kind`; `deflate` picks the
    /// short pattern period compressed runs use.
    pub fn new(size: usize, kind: PayloadKind, deflate: bool) -> Result<Arc<Wires>, LoadError> {
        let period = if deflate { DEFLATE_PERIOD } else { PERIOD };
        let pattern = Arc::new(Pattern::with_kind(size, kind, period)?);
        Ok(Arc::new(Wires {
            plain: Arc::new(Wire::plain(pattern)),
            deflated: Mutex::new(Default::default()),
        }))
    }

    /// The pattern.
    pub fn pattern(&self) -> &Arc<Pattern> {
        self.plain.pattern()
    }

    /// Messages as they are.
    pub fn plain(&self) -> Arc<Wire> {
        self.plain.clone()
    }

    /// Messages compressed within `window_bits` (8 to 15), compressed on first use.
    pub fn deflated(&self, window_bits: u8) -> Result<Arc<Wire>, LoadError> {
        let bits = window_bits.clamp(8, 15);
        let mut cache = self
            .deflated
            .lock()
            .map_err(|_| LoadError::Task("a thread compressing messages panicked".into()))?;
        if let Some(wire) = &cache[bits as usize] {
            return Ok(wire.clone());
        }
        let wire = Arc::new(Wire::deflated(self.pattern().clone(), bits)?);
        cache[bits as usize] = Some(wire.clone());
        Ok(wire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    /// Inflates one message payload the way a server does: append the sync tail,
    /// inflate with a window of 15.
    fn inflate(payload: &[u8], inflater: &mut Decompress) -> Vec<u8> {
        let mut input = payload.to_vec();
        input.extend_from_slice(&SYNC_TAIL);
        let mut out = Vec::with_capacity(1 << 21);
        let before = inflater.total_in();
        inflater
            .decompress_vec(&input, &mut out, FlushDecompress::Sync)
            .unwrap();
        assert_eq!(inflater.total_in() - before, input.len() as u64);
        out
    }

    #[test]
    fn compressed_messages_inflate_to_the_plain_ones_in_one_context() {
        for kind in [PayloadKind::Text, PayloadKind::Binary] {
            for size in [8, 16, 1024, 70_000] {
                let wires = Wires::new(size, kind, true).unwrap();
                let plain = wires.plain();
                for bits in [8, 9, 12, 15] {
                    let wire = wires.deflated(bits).unwrap();
                    assert!(wire.is_compressed());
                    // One inflater for the whole run: context takeover on the server.
                    let mut inflater = Decompress::new_with_window_bits(false, 15);
                    for seq in 0..10 {
                        let mut payload = Vec::new();
                        wire.write_payload(seq, &mut payload);
                        assert_eq!(payload.len(), wire.payload_len(seq));
                        let mut expected = Vec::new();
                        plain.write_payload(seq, &mut expected);
                        assert_eq!(
                            inflate(&payload, &mut inflater),
                            expected,
                            "{kind:?} {size} B, window {bits}, message {seq}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn text_compresses_and_random_bytes_do_not() {
        let text = Wires::new(65536, PayloadKind::Text, true).unwrap();
        let text = text.deflated(15).unwrap();
        assert!(text.payload_len(0) < 65536 / 3, "{}", text.payload_len(0));
        let binary = Wires::new(65536, PayloadKind::Binary, true).unwrap();
        let binary = binary.deflated(15).unwrap();
        assert!(binary.payload_len(0) > 65536, "{}", binary.payload_len(0));
        assert!((binary.payload_len(0) as u64) < binary.max_echo_len());
    }

    #[test]
    fn each_window_is_compressed_once() {
        let wires = Wires::new(1024, PayloadKind::Text, true).unwrap();
        let a = wires.deflated(15).unwrap();
        assert!(Arc::ptr_eq(&a, &wires.deflated(15).unwrap()));
        assert!(!Arc::ptr_eq(&a, &wires.deflated(10).unwrap()));
        // 1016-byte bodies: 41 of them span a window, 43 is the next prime above 42.
        assert_eq!(wires.pattern().period(), 43);
        assert_eq!(
            Wires::new(1024, PayloadKind::Text, false)
                .unwrap()
                .pattern()
                .period(),
            PERIOD
        );
        let large = Wires::new(1 << 20, PayloadKind::Binary, true).unwrap();
        assert_eq!(large.pattern().period(), DEFLATE_PERIOD);
    }

    #[test]
    fn plain_messages_are_the_pattern() {
        let wires = Wires::new(64, PayloadKind::Binary, false).unwrap();
        let wire = wires.plain();
        let mut payload = Vec::new();
        wire.write_payload(3, &mut payload);
        assert_eq!(payload, wires.pattern().message(3));
        assert_eq!(wire.opcode(), OpCode::Binary);
        assert_eq!(wire.max_echo_len(), 64);
    }
}
