//! The throughput sender's queue: message frames built from a pre-masked pattern,
//! written with vectored writes.
//!
//! Re-masking every message would make the generator, not the server, the
//! bottleneck at large sizes (at 1 MiB, masking and copying each message took about a
//! fifth of the generator's core). So a throughput run masks with one random key for
//! the whole run and masks the message bodies once ([`MaskedWire`]): the pattern once
//! per alignment, or each compressed body once (they always start at the same payload
//! offset). A message is then its header and prefix (sequence number, a few bytes,
//! encoded per message) plus a slice of masked bytes, written without a copy. One key
//! per run is enough here: the RFC's fresh key per frame protects intermediaries from
//! scripted cache poisoning, and the generator talks to loopback; the server cannot
//! tell.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;

use ws_frame::{apply_mask, FrameHeader, Rsv, MAX_HEADER_LEN};

use crate::payload::SEQ_LEN;
use crate::wire::Wire;

/// Bodies below this size are copied into the small-bytes buffer (one write covers
/// many messages); larger ones are written from the masked bodies in place.
const COPY_BELOW: usize = 4096;

/// Slices per vectored write.
const MAX_SLICES: usize = 64;

/// The message bodies of a run masked with the run's key.
#[derive(Debug)]
pub struct MaskedWire {
    wire: Arc<Wire>,
    key: [u8; 4],
    /// Uncompressed: `masked[r]` is the pattern's bytes masked so that a body starting
    /// at a pattern offset `o` with `o % 4 == r` reads masked from `masked[r][o..]`.
    /// Compressed: `masked[i]` is compressed body number `i`, masked.
    masked: Vec<Vec<u8>>,
}

impl MaskedWire {
    /// Masks the bodies of `wire` with `key`.
    pub fn new(wire: Arc<Wire>, key: [u8; 4]) -> MaskedWire {
        let masked = if wire.is_compressed() {
            // Every compressed body starts at the same payload offset.
            let phase = wire.prefix_len() % 4;
            (0..wire.pattern().period() as usize)
                .map(|index| {
                    let mut bytes = wire.compressed_body(index).unwrap_or_default().to_vec();
                    apply_mask(&mut bytes, key, phase);
                    bytes
                })
                .collect()
        } else {
            (0..4)
                .map(|r| {
                    let mut bytes = wire.pattern().bytes().to_vec();
                    // A body starts at frame payload offset SEQ_LEN, and the mask index
                    // is the payload offset mod 4: byte `j` of the pattern, in a body
                    // starting at pattern offset `o`, sits at payload offset
                    // SEQ_LEN + j - o.
                    let phase = (SEQ_LEN + 4 - r) % 4;
                    apply_mask(&mut bytes, key, phase);
                    bytes
                })
                .collect()
        };
        MaskedWire { wire, key, masked }
    }

    /// The wire form this masks.
    pub fn wire(&self) -> &Arc<Wire> {
        &self.wire
    }

    /// The masked body of message `seq`.
    fn body(&self, seq: u64) -> &[u8] {
        let pattern = self.wire.pattern();
        if self.wire.is_compressed() {
            &self.masked[pattern.body_index(seq)]
        } else {
            let start = pattern.body_start(seq);
            &self.masked[start % 4][start..start + pattern.size() - SEQ_LEN]
        }
    }
}

/// A queued piece of output.
#[derive(Debug)]
enum Piece {
    /// Encoded bytes (headers, sequence numbers, small bodies, pongs).
    Bytes(Vec<u8>),
    /// The masked body of message `seq`.
    Body(u64),
}

/// Frames waiting to be written, in order.
#[derive(Debug)]
pub struct Outbox {
    masked: Arc<MaskedWire>,
    pieces: VecDeque<Piece>,
    /// Bytes of the front piece already written.
    pos: usize,
    queued: usize,
}

impl Outbox {
    /// An empty outbox for messages of `masked`'s wire form.
    pub fn new(masked: Arc<MaskedWire>) -> Outbox {
        Outbox {
            masked,
            pieces: VecDeque::new(),
            pos: 0,
            queued: 0,
        }
    }

    /// Bytes not yet written.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Small bytes go at the end of the last bytes piece when it is last in line.
    fn bytes_tail(&mut self) -> &mut Vec<u8> {
        if !matches!(self.pieces.back(), Some(Piece::Bytes(_))) {
            self.pieces.push_back(Piece::Bytes(Vec::new()));
        }
        match self.pieces.back_mut() {
            Some(Piece::Bytes(b)) => b,
            _ => unreachable!("a bytes piece was just pushed"),
        }
    }

    /// Queues message `seq` as one masked frame (text or binary, compressed or not,
    /// as the wire form says).
    pub fn push_message(&mut self, seq: u64) {
        let masked = Arc::clone(&self.masked);
        let wire = masked.wire();
        let len = wire.payload_len(seq);
        let mut header = FrameHeader::new(wire.opcode(), len as u64);
        header.mask = Some(masked.key);
        if wire.is_compressed() {
            header.rsv = Rsv::RSV1;
        }
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut head);
        let body = masked.body(seq);
        let tail = self.bytes_tail();
        tail.extend_from_slice(&head[..n]);
        let prefix = tail.len();
        wire.write_prefix(seq, tail);
        apply_mask(&mut tail[prefix..], masked.key, 0);
        if body.len() < COPY_BELOW {
            tail.extend_from_slice(body);
        } else {
            self.pieces.push_back(Piece::Body(seq));
        }
        self.queued += n + len;
    }

    /// Queues an already encoded frame (a pong).
    pub fn push_encoded(&mut self, frame: &[u8]) {
        self.bytes_tail().extend_from_slice(frame);
        self.queued += frame.len();
    }

    /// The next unwritten bytes as slices for one vectored write.
    pub fn slices(&self) -> Vec<IoSlice<'_>> {
        let mut out = Vec::with_capacity(MAX_SLICES.min(self.pieces.len()));
        for (i, piece) in self.pieces.iter().take(MAX_SLICES).enumerate() {
            let bytes = self.piece_bytes(piece);
            let skip = if i == 0 { self.pos } else { 0 };
            out.push(IoSlice::new(&bytes[skip..]));
        }
        out
    }

    fn piece_bytes<'a>(&'a self, piece: &'a Piece) -> &'a [u8] {
        match piece {
            Piece::Bytes(b) => b,
            Piece::Body(seq) => self.masked.body(*seq),
        }
    }

    /// Marks `n` bytes written.
    pub fn advance(&mut self, mut n: usize) {
        self.queued -= n;
        while n > 0 {
            let front = self.pieces.front().expect("advanced past the queue");
            let left = self.piece_bytes(front).len() - self.pos;
            if n < left {
                self.pos += n;
                return;
            }
            n -= left;
            self.pos = 0;
            self.pieces.pop_front();
        }
        if self.pos == 0 && self.pieces.is_empty() {
            self.queued = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::push_message;
    use crate::payload::PayloadKind;
    use crate::wire::Wires;

    /// The outbox writes exactly what the per-message encoder writes with the same
    /// key, whatever the sizes, kinds and compression, however the writes split.
    #[test]
    fn the_outbox_writes_what_the_encoder_writes() {
        let mut cases = Vec::new();
        for size in [16, 1000, 4100, 70_000] {
            for kind in [PayloadKind::Binary, PayloadKind::Text] {
                let wires = Wires::new(size, kind, false).unwrap();
                cases.push((size, wires.plain()));
                let wires = Wires::new(size, kind, true).unwrap();
                cases.push((size, wires.deflated(15).unwrap()));
            }
        }
        for (size, wire) in cases {
            let key = [0x12, 0x9a, 0xfe, 0x01];
            let masked = Arc::new(MaskedWire::new(wire.clone(), key));
            let mut outbox = Outbox::new(masked);
            let mut expected = Vec::new();
            for seq in 0..9 {
                outbox.push_message(seq);
                push_message(&mut expected, &wire, seq, key);
                if seq == 4 {
                    outbox.push_encoded(b"\x8a\x80pong");
                    expected.extend_from_slice(b"\x8a\x80pong");
                }
            }
            assert_eq!(outbox.queued(), expected.len());
            let mut written = Vec::new();
            let mut step = 1;
            while outbox.queued() > 0 {
                let slices = outbox.slices();
                let mut take = step;
                for s in &slices {
                    let n = take.min(s.len());
                    written.extend_from_slice(&s[..n]);
                    take -= n;
                    if take == 0 {
                        break;
                    }
                }
                let n = step - take;
                outbox.advance(n);
                step = step * 3 + 1;
            }
            assert_eq!(written, expected, "size {size}, {:?}", wire.opcode());
        }
    }
}
