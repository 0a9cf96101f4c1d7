//! Message payloads that carry their own check: a sequence number and a pattern.
//!
//! A message of `size` bytes (at least [`SEQ_LEN`]) is laid out as:
//!
//! * bytes `0..8`: its sequence number on the connection: little endian for binary
//!   messages, eight lowercase hex digits (the low 32 bits) for text messages;
//! * bytes `8..size`: a slice of a fixed pattern (the same for every connection of a
//!   run), the `seq % period`-th of `period` slices ([`Pattern::body_start`]).
//!
//! Consecutive bodies share no bytes that a deflate window could still see: bodies up
//! to [`WINDOW_SPAN`] + [`GAP`] long are consecutive slices of the pattern (message
//! `n + 1` goes on where message `n` ended), longer ones start [`GAP`] bytes apart,
//! so that a byte repeated from the message before lies further back than any
//! window; and the period is long enough that a body comes round again only after
//! [`WINDOW_SPAN`] bytes of others. A compressor that keeps its context therefore
//! finds in it only what real records share (keys, small vocabularies), not a copy
//! of the message before. Until 2026-12-06 the bodies started one byte apart, so each
//! was the one before shifted by a byte: a compressor found almost the whole message
//! in its window, which made compression several times cheaper than on real records
//! and made its cost depend on how the window slid (docs/performance.md).
//!
//! Two kinds of pattern ([`PayloadKind`]): pseudo-random bytes, sent as binary
//! messages, which deflate cannot shrink; and JSON-like ASCII records, sent as text
//! messages, which it shrinks several times over (the two ends of what a browser
//! application sends).
//!
//! A [`Checker`] verifies echoed messages as their bytes arrive, chunk by chunk and
//! without buffering a message: the sequence number must be the next one expected
//! (order, nothing lost or duplicated), every body byte must match (content) and the
//! length must be exact.

use thiserror::Error;
use ws_frame::OpCode;

use crate::rng::Rng;

/// Bytes of the sequence number at the start of every message.
pub const SEQ_LEN: usize = 8;

/// Fewest distinct bodies by default (a prime, so that runs of equal messages are
/// rare whatever the in-flight depth); small messages get more, see
/// [`Pattern::with_kind`].
pub const PERIOD: u64 = 251;

/// Bytes of other bodies between two sends of the same body, at least: more than
/// deflate's largest window (32 KiB), with room for the sequence numbers.
pub const WINDOW_SPAN: usize = 40 * 1024;

/// Distance between the starts of consecutive bodies longer than
/// `WINDOW_SPAN + GAP`: what they share with the body before lies `len - GAP`
/// (more than [`WINDOW_SPAN`]) bytes back.
pub const GAP: usize = 4099;

/// What the messages of a run carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PayloadKind {
    /// Pseudo-random bytes in binary messages: incompressible.
    #[default]
    Binary,
    /// JSON-like ASCII records in text messages: compressible.
    Text,
}

impl PayloadKind {
    /// The opcode of the messages.
    pub fn opcode(self) -> OpCode {
        match self {
            PayloadKind::Binary => OpCode::Binary,
            PayloadKind::Text => OpCode::Text,
        }
    }

    /// The name on the command line and in reports: `binary` or `text`.
    pub fn name(self) -> &'static str {
        match self {
            PayloadKind::Binary => "binary",
            PayloadKind::Text => "text",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn parse(text: &str) -> Option<PayloadKind> {
        match text {
            "binary" => Some(PayloadKind::Binary),
            "text" => Some(PayloadKind::Text),
            _ => None,
        }
    }
}

/// An echoed message is not the one that was sent.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A message size below [`SEQ_LEN`] cannot carry its sequence number.
    #[error("message size {0} is below the minimum of {SEQ_LEN} bytes")]
    TooSmall(usize),
    /// A different message arrived than the next one sent: reordered, lost or
    /// duplicated.
    #[error("message {expected} expected, message {got} arrived (reordered, lost or duplicated)")]
    OutOfOrder {
        /// The sequence number expected next.
        expected: u64,
        /// The sequence number that arrived.
        got: u64,
    },
    /// A byte of the body differs from what was sent.
    #[error("message {seq}: byte {offset} differs from what was sent")]
    Corrupt {
        /// The message.
        seq: u64,
        /// Offset of the first differing byte in the message.
        offset: usize,
    },
    /// The message is longer or shorter than sent.
    #[error("message {seq}: at least {got} bytes arrived where {expected} were sent")]
    WrongLength {
        /// The message.
        seq: u64,
        /// Its size as sent.
        expected: usize,
        /// The bytes that arrived (for a message that is too long: at least this many).
        got: usize,
    },
}

/// The messages of one run: a size, a kind and the pattern their bodies are cut from.
#[derive(Clone, Debug)]
pub struct Pattern {
    size: usize,
    kind: PayloadKind,
    period: u64,
    /// Bytes between the starts of consecutive bodies.
    stride: usize,
    bytes: Vec<u8>,
}

impl Pattern {
    /// The pattern for binary messages of `size` bytes.
    pub fn new(size: usize) -> Result<Pattern, PayloadError> {
        Pattern::with_kind(size, PayloadKind::Binary, PERIOD)
    }

    /// The pattern for messages of `size` bytes and `kind`, with at least
    /// `min_period` different bodies: more when that many would come round again
    /// within [`WINDOW_SPAN`] bytes (the next prime that does not).
    pub fn with_kind(
        size: usize,
        kind: PayloadKind,
        min_period: u64,
    ) -> Result<Pattern, PayloadError> {
        if size < SEQ_LEN {
            return Err(PayloadError::TooSmall(size));
        }
        let body = size - SEQ_LEN;
        let stride = if body > WINDOW_SPAN + GAP {
            GAP
        } else {
            body.max(1)
        };
        // The same body comes round after `period - 1` others.
        let needed = WINDOW_SPAN.div_ceil(body.max(1)) as u64 + 1;
        let period = next_prime(min_period.max(needed));
        let len = body + (period as usize - 1) * stride;
        let bytes = match kind {
            PayloadKind::Binary => {
                let mut bytes = vec![0; len];
                Rng::fixed(size as u64).fill(&mut bytes);
                bytes
            }
            PayloadKind::Text => json_like(len, &mut Rng::fixed(size as u64)),
        };
        Ok(Pattern {
            size,
            kind,
            period,
            stride,
            bytes,
        })
    }

    /// The size of every message.
    pub fn size(&self) -> usize {
        self.size
    }

    /// What the messages carry.
    pub fn kind(&self) -> PayloadKind {
        self.kind
    }

    /// How many different bodies messages cycle through.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// Which of the [`period`](Self::period) bodies message `seq` carries.
    pub fn body_index(&self, seq: u64) -> usize {
        (seq % self.period) as usize
    }

    /// The sequence number of message `seq` as it starts the message.
    pub fn seq_bytes(&self, seq: u64) -> [u8; SEQ_LEN] {
        match self.kind {
            PayloadKind::Binary => seq.to_le_bytes(),
            PayloadKind::Text => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let low = seq as u32;
                std::array::from_fn(|i| HEX[(low >> (28 - 4 * i) & 0xf) as usize])
            }
        }
    }

    /// The sequence number written as `bytes`, if they are one.
    pub fn parse_seq(&self, bytes: &[u8; SEQ_LEN]) -> Option<u64> {
        match self.kind {
            PayloadKind::Binary => Some(u64::from_le_bytes(*bytes)),
            PayloadKind::Text => {
                let text = std::str::from_utf8(bytes).ok()?;
                u32::from_str_radix(text, 16).ok().map(u64::from)
            }
        }
    }

    /// The body (everything after the sequence number) of message `seq`.
    pub fn body(&self, seq: u64) -> &[u8] {
        let start = self.body_start(seq);
        &self.bytes[start..start + self.size - SEQ_LEN]
    }

    /// Where in [`bytes`](Self::bytes) the body of message `seq` starts.
    pub fn body_start(&self, seq: u64) -> usize {
        self.body_index(seq) * self.stride
    }

    /// The whole pattern every body is cut from.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends message `seq` to `out`.
    pub fn write(&self, seq: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq_bytes(seq));
        out.extend_from_slice(self.body(seq));
    }

    /// Message `seq` as a vector.
    pub fn message(&self, seq: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size);
        self.write(seq, &mut out);
        out
    }
}

/// `len` bytes of JSON-like records, as an application's messages to a browser look:
/// the same keys in every record, values drawn from small vocabularies and random
/// numbers. ASCII only, so any slice of it is valid UTF-8.
fn json_like(len: usize, rng: &mut Rng) -> Vec<u8> {
    const ACTIONS: [&str; 6] = ["create", "update", "delete", "read", "login", "logout"];
    const TAGS: [&str; 8] = ["red", "green", "blue", "fast", "slow", "new", "old", "beta"];
    let mut out = String::with_capacity(len + 200);
    while out.len() < len {
        let mut pick = |n: u64| (rng.next_u64() % n) as usize;
        let (tag1, tag2) = (TAGS[pick(8)], TAGS[pick(8)]);
        let record = format!(
            "{{\"id\":{},\"user\":\"user-{}\",\"action\":\"{}\",\"ts\":{},\"score\":{}.{:03},\"ok\":{},\"tags\":[\"{tag1}\",\"{tag2}\"]}},",
            pick(1_000_000),
            pick(10_000),
            ACTIONS[pick(6)],
            1_700_000_000 + pick(1_000_000),
            pick(100),
            pick(1000),
            pick(2) == 0,
        );
        out.push_str(&record);
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(len);
    bytes
}

/// The smallest prime at least `n` (and at least 2).
fn next_prime(n: u64) -> u64 {
    let is_prime = |k: u64| k >= 2 && (2..).take_while(|d| d * d <= k).all(|d| k % d != 0);
    (n.max(2)..).find(|&k| is_prime(k)).unwrap_or(n)
}

/// Checks the echoes of one connection, in order, starting with message 0.
#[derive(Clone, Debug)]
pub struct Checker {
    next: u64,
    offset: usize,
    seq: [u8; SEQ_LEN],
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    /// A checker expecting message 0.
    pub fn new() -> Checker {
        Checker {
            next: 0,
            offset: 0,
            seq: [0; SEQ_LEN],
        }
    }

    /// The sequence number of the message expected (or being checked) now.
    pub fn expected(&self) -> u64 {
        self.next
    }

    /// Checks the next bytes of the current message.
    pub fn feed(&mut self, pattern: &Pattern, mut chunk: &[u8]) -> Result<(), PayloadError> {
        let size = pattern.size();
        if chunk.len() > size - self.offset {
            return Err(PayloadError::WrongLength {
                seq: self.next,
                expected: size,
                got: self.offset + chunk.len(),
            });
        }
        if self.offset < SEQ_LEN {
            let take = (SEQ_LEN - self.offset).min(chunk.len());
            self.seq[self.offset..self.offset + take].copy_from_slice(&chunk[..take]);
            self.offset += take;
            chunk = &chunk[take..];
            if self.offset == SEQ_LEN && self.seq != pattern.seq_bytes(self.next) {
                return Err(PayloadError::OutOfOrder {
                    expected: self.next,
                    // Not a sequence number at all: reported as the largest one.
                    got: pattern.parse_seq(&self.seq).unwrap_or(u64::MAX),
                });
            }
        }
        if !chunk.is_empty() {
            let start = self.offset - SEQ_LEN;
            let want = &pattern.body(self.next)[start..start + chunk.len()];
            if want != chunk {
                let at = want.iter().zip(chunk).position(|(a, b)| a != b);
                return Err(PayloadError::Corrupt {
                    seq: self.next,
                    offset: self.offset + at.unwrap_or(0),
                });
            }
            self.offset += chunk.len();
        }
        Ok(())
    }

    /// Ends the current message: it must be complete. Returns its sequence number and
    /// expects the next one.
    pub fn finish(&mut self, pattern: &Pattern) -> Result<u64, PayloadError> {
        if self.offset != pattern.size() {
            return Err(PayloadError::WrongLength {
                seq: self.next,
                expected: pattern.size(),
                got: self.offset,
            });
        }
        let seq = self.next;
        self.next += 1;
        self.offset = 0;
        Ok(seq)
    }

    /// Checks one whole message.
    pub fn check(&mut self, pattern: &Pattern, message: &[u8]) -> Result<u64, PayloadError> {
        self.feed(pattern, message)?;
        self.finish(pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_in_order_pass_in_any_split() {
        for size in [8, 16, 1024, 70_001] {
            let pattern = Pattern::new(size).unwrap();
            let mut whole = Checker::new();
            let mut split = Checker::new();
            for seq in 0..5 {
                let msg = pattern.message(seq);
                assert_eq!(msg.len(), size);
                assert_eq!(whole.check(&pattern, &msg), Ok(seq));
                for piece in msg.chunks(3) {
                    split.feed(&pattern, piece).unwrap();
                }
                assert_eq!(split.finish(&pattern), Ok(seq));
            }
        }
    }

    #[test]
    fn consecutive_messages_differ() {
        let pattern = Pattern::new(64).unwrap();
        assert_ne!(pattern.body(0), pattern.body(1));
        assert_eq!(pattern.body(0), pattern.body(pattern.period()));
    }

    #[test]
    fn no_body_is_repeated_within_a_deflate_window() {
        for size in [16, 200, 1024, 40 * 1024, 45 * 1024, 64 * 1024, 1 << 20] {
            for kind in [PayloadKind::Binary, PayloadKind::Text] {
                let pattern = Pattern::with_kind(size, kind, 7).unwrap();
                let body = size - SEQ_LEN;
                let period = pattern.period();
                assert!(
                    period >= 7 && next_prime(period) == period,
                    "{size}: {period}"
                );
                // The same body comes round only after WINDOW_SPAN bytes of others.
                assert!(
                    (period - 1) as usize * body >= WINDOW_SPAN,
                    "{size}: {period}"
                );
                let (a, b) = (pattern.body_start(0), pattern.body_start(1));
                if body > WINDOW_SPAN + GAP {
                    // What message 1 shares with message 0 lies more than the span back.
                    assert_eq!(b - a, GAP);
                    assert!(body - GAP > WINDOW_SPAN);
                } else {
                    // Consecutive slices: message 1 goes on where message 0 ended.
                    assert_eq!(b - a, body);
                }
                let last = pattern.body(period - 1);
                assert_eq!(last.len(), body);
                assert_eq!(pattern.bytes().len(), pattern.body_start(period - 1) + body);
            }
        }
    }

    #[test]
    fn primes() {
        let found: Vec<u64> = [0, 2, 8, 14, 251, 252].map(next_prime).to_vec();
        assert_eq!(found, [2, 2, 11, 17, 251, 257]);
    }

    #[test]
    fn a_flipped_byte_is_found_where_it_is() {
        let pattern = Pattern::new(1024).unwrap();
        for at in [8, 9, 500, 1023] {
            let mut msg = pattern.message(0);
            msg[at] ^= 0x01;
            let mut checker = Checker::new();
            assert_eq!(
                checker.check(&pattern, &msg),
                Err(PayloadError::Corrupt { seq: 0, offset: at })
            );
            let mut split = Checker::new();
            let err = msg
                .chunks(100)
                .map(|piece| split.feed(&pattern, piece))
                .find(Result::is_err);
            assert_eq!(err, Some(Err(PayloadError::Corrupt { seq: 0, offset: at })));
        }
    }

    #[test]
    fn a_corrupted_sequence_number_reads_as_out_of_order() {
        let pattern = Pattern::new(16).unwrap();
        let mut msg = pattern.message(0);
        msg[2] = 1;
        assert!(matches!(
            Checker::new().check(&pattern, &msg),
            Err(PayloadError::OutOfOrder { expected: 0, .. })
        ));
    }

    #[test]
    fn reordering_is_detected() {
        let pattern = Pattern::new(16).unwrap();
        let mut checker = Checker::new();
        checker.check(&pattern, &pattern.message(0)).unwrap();
        assert_eq!(
            checker.check(&pattern, &pattern.message(2)),
            Err(PayloadError::OutOfOrder {
                expected: 1,
                got: 2
            })
        );
    }

    #[test]
    fn duplicates_and_losses_are_detected() {
        let pattern = Pattern::new(32).unwrap();
        let mut checker = Checker::new();
        checker.check(&pattern, &pattern.message(0)).unwrap();
        assert!(checker.check(&pattern, &pattern.message(0)).is_err());
    }

    #[test]
    fn another_messages_body_under_the_right_number_is_corrupt() {
        // Same sequence number, body of another message: caught by content.
        let pattern = Pattern::new(64).unwrap();
        let mut msg = 0u64.to_le_bytes().to_vec();
        msg.extend_from_slice(pattern.body(1));
        assert!(matches!(
            Checker::new().check(&pattern, &msg),
            Err(PayloadError::Corrupt { seq: 0, .. })
        ));
    }

    #[test]
    fn wrong_lengths_are_detected() {
        let pattern = Pattern::new(16).unwrap();
        let msg = pattern.message(0);
        let mut short = Checker::new();
        short.feed(&pattern, &msg[..15]).unwrap();
        assert_eq!(
            short.finish(&pattern),
            Err(PayloadError::WrongLength {
                seq: 0,
                expected: 16,
                got: 15
            })
        );
        let mut long = msg.clone();
        long.push(0);
        assert!(matches!(
            Checker::new().check(&pattern, &long),
            Err(PayloadError::WrongLength { got: 17, .. })
        ));
        let mut tiny = Checker::new();
        tiny.feed(&pattern, &msg[..3]).unwrap();
        assert!(tiny.finish(&pattern).is_err());
    }

    #[test]
    fn text_messages_are_ascii_json_with_a_hex_sequence_number() {
        let pattern = Pattern::with_kind(300, PayloadKind::Text, 7).unwrap();
        assert_eq!(
            (pattern.kind().opcode(), pattern.period()),
            // 292-byte bodies: 141 span a window; 149 is the next prime above 142.
            (OpCode::Text, 149)
        );
        assert!(pattern.bytes().is_ascii());
        assert!(pattern.bytes().starts_with(b"{\"id\":"));
        let msg = pattern.message(0x1234_abcd);
        assert_eq!(&msg[..SEQ_LEN], b"1234abcd");
        assert_eq!(pattern.parse_seq(b"1234abcd"), Some(0x1234_abcd));
        assert_eq!(pattern.parse_seq(b"1234abcx"), None);
        assert_eq!(pattern.body(0), pattern.body(149));
        assert_ne!(pattern.body(0), pattern.body(1));
        let mut checker = Checker::new();
        assert_eq!(checker.check(&pattern, &pattern.message(0)), Ok(0));
        assert_eq!(
            checker.check(&pattern, &pattern.message(5)),
            Err(PayloadError::OutOfOrder {
                expected: 1,
                got: 5
            })
        );
        let mut garbled = pattern.message(0);
        garbled[0] = b'z';
        assert_eq!(
            Checker::new().check(&pattern, &garbled),
            Err(PayloadError::OutOfOrder {
                expected: 0,
                got: u64::MAX
            })
        );
    }

    #[test]
    fn kinds_parse_by_name() {
        for kind in [PayloadKind::Binary, PayloadKind::Text] {
            assert_eq!(PayloadKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(PayloadKind::parse("json"), None);
    }

    #[test]
    fn sizes_below_the_sequence_number_are_refused() {
        assert_eq!(Pattern::new(7).unwrap_err(), PayloadError::TooSmall(7));
    }
}
