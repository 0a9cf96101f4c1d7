//! Message payloads that carry their own check: a sequence number and a pattern.
//!
//! A message of `size` bytes (at least [`SEQ_LEN`]) is laid out as:
//!
//! * bytes `0..8`: its sequence number on the connection, little endian;
//! * bytes `8..size`: a fixed pseudo-random pattern (the same for every connection of
//!   a run), read from offset `seq % PERIOD`, so consecutive messages differ.
//!
//! A [`Checker`] verifies echoed messages as their bytes arrive, chunk by chunk and
//! without buffering a message: the sequence number must be the next one expected
//! (order, nothing lost or duplicated), every body byte must match (content) and the
//! length must be exact.

use thiserror::Error;

use crate::rng::Rng;

/// Bytes of the sequence number at the start of every message.
pub const SEQ_LEN: usize = 8;

/// Number of distinct pattern offsets (a prime, so that runs of equal messages are
/// rare whatever the in-flight depth).
pub const PERIOD: u64 = 251;

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

/// The messages of one run: a size and the pattern their bodies are cut from.
#[derive(Clone, Debug)]
pub struct Pattern {
    size: usize,
    bytes: Vec<u8>,
}

impl Pattern {
    /// The pattern for messages of `size` bytes.
    pub fn new(size: usize) -> Result<Pattern, PayloadError> {
        if size < SEQ_LEN {
            return Err(PayloadError::TooSmall(size));
        }
        let mut bytes = vec![0; size - SEQ_LEN + PERIOD as usize];
        Rng::fixed(size as u64).fill(&mut bytes);
        Ok(Pattern { size, bytes })
    }

    /// The size of every message.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The body (everything after the sequence number) of message `seq`.
    pub fn body(&self, seq: u64) -> &[u8] {
        let start = self.body_start(seq);
        &self.bytes[start..start + self.size - SEQ_LEN]
    }

    /// Where in [`bytes`](Self::bytes) the body of message `seq` starts.
    pub fn body_start(&self, seq: u64) -> usize {
        (seq % PERIOD) as usize
    }

    /// The whole pattern every body is cut from.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends message `seq` to `out`.
    pub fn write(&self, seq: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(self.body(seq));
    }

    /// Message `seq` as a vector.
    pub fn message(&self, seq: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size);
        self.write(seq, &mut out);
        out
    }
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
            if self.offset == SEQ_LEN {
                let got = u64::from_le_bytes(self.seq);
                if got != self.next {
                    return Err(PayloadError::OutOfOrder {
                        expected: self.next,
                        got,
                    });
                }
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
        assert_eq!(pattern.body(0), pattern.body(PERIOD));
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
    fn sizes_below_the_sequence_number_are_refused() {
        assert_eq!(Pattern::new(7).unwrap_err(), PayloadError::TooSmall(7));
    }
}
