//! UTF-8 validation for text messages, one-shot and incremental (RFC 6455 section 8.1).
//!
//! The heavy lifting is `simdutf8` (SIMD on x86-64 and aarch64, scalar elsewhere);
//! this module adds the streaming part: a character split across frames or reads is
//! carried over (at most 3 bytes) and checked when its last byte arrives.

use core::fmt;

/// Why text is not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Utf8Error {
    /// A byte that no valid text can contain at that position. Reported as soon as the
    /// byte arrives, not at the end of the message.
    Invalid,
    /// The message ended in the middle of a character (only from
    /// [`Utf8Validator::finish`]).
    Incomplete,
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Utf8Error::Invalid => "invalid UTF-8",
            Utf8Error::Incomplete => "text ends inside a UTF-8 character",
        })
    }
}

impl core::error::Error for Utf8Error {}

/// Validates a complete text and returns it as `&str`.
#[inline]
pub fn validate(bytes: &[u8]) -> Result<&str, Utf8Error> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| Utf8Error::Invalid)
}

/// Incremental validator for a text message that arrives in pieces.
///
/// Feeding the pieces in order gives the same verdict as validating their
/// concatenation, whatever the split points (a property test checks every split).
///
/// ```
/// use ws_frame::{Utf8Error, Utf8Validator};
/// let text = "κόσμε".as_bytes();
/// let mut v = Utf8Validator::new();
/// v.feed(&text[..3]).unwrap();   // ends inside 'ό'
/// assert_eq!(v.pending(), 1);
/// v.feed(&text[3..]).unwrap();
/// assert_eq!(v.finish(), Ok(()));
///
/// let mut v = Utf8Validator::new();
/// assert_eq!(v.feed(b"ok \xff more"), Err(Utf8Error::Invalid));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// Start of a character whose remaining bytes have not arrived yet.
    carry: [u8; 4],
    carry_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Utf8Validator {
        Utf8Validator {
            carry: [0; 4],
            carry_len: 0,
        }
    }

    /// Bytes (0 to 3) at the end of the input so far that start a character not yet
    /// complete. `fed - pending()` is the end of the last complete character, which is
    /// where a streaming consumer may cut text.
    #[inline]
    pub const fn pending(&self) -> usize {
        self.carry_len as usize
    }

    /// Validates the next piece. After an error the validator's state is unspecified;
    /// the message is invalid and the caller stops.
    #[inline]
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), Utf8Error> {
        if self.carry_len > 0 {
            chunk = self.complete_carry(chunk)?;
            if self.carry_len > 0 {
                return Ok(()); // the chunk ended before the character did
            }
        }
        if simdutf8::basic::from_utf8(chunk).is_ok() {
            return Ok(());
        }
        match simdutf8::compat::from_utf8(chunk) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Utf8Error::Invalid),
            Err(e) => {
                // A valid prefix of a character at the very end: carry it over.
                let tail = &chunk[e.valid_up_to()..];
                self.carry[..tail.len()].copy_from_slice(tail);
                self.carry_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// Moves bytes from `chunk` into the carried character until it is complete (or the
    /// chunk runs out) and returns the rest of the chunk.
    fn complete_carry<'c>(&mut self, chunk: &'c [u8]) -> Result<&'c [u8], Utf8Error> {
        let have = self.carry_len as usize;
        let width = char_width(self.carry[0]);
        let take = (width - have).min(chunk.len());
        self.carry[have..have + take].copy_from_slice(&chunk[..take]);
        let len = have + take;
        match simdutf8::compat::from_utf8(&self.carry[..len]) {
            Ok(_) => self.carry_len = 0,
            Err(e) if e.error_len().is_some() => return Err(Utf8Error::Invalid),
            Err(_) => self.carry_len = len as u8,
        }
        Ok(&chunk[take..])
    }

    /// Ends the message: an unfinished character is [`Utf8Error::Incomplete`].
    #[inline]
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.carry_len == 0 {
            Ok(())
        } else {
            Err(Utf8Error::Incomplete)
        }
    }

    /// Forgets any carried bytes, for the next message.
    #[inline]
    pub fn reset(&mut self) {
        self.carry_len = 0;
    }
}

/// Length of the character a (valid) lead byte starts. Only called on bytes that
/// `simdutf8` accepted as the start of an incomplete character, so 2 to 4.
#[inline]
fn char_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(pieces: &[&[u8]]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        for p in pieces {
            v.feed(p)?;
        }
        v.finish()
    }

    #[test]
    fn fails_at_first_invalid_byte_not_at_end() {
        let mut v = Utf8Validator::new();
        // 0xF4 0x90 would start a code point above U+10FFFF: wrong on the second byte.
        assert_eq!(v.feed(b"\xf4"), Ok(()));
        assert_eq!(v.feed(b"\x90"), Err(Utf8Error::Invalid));
        // Surrogates are wrong on their second byte too.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"ab\xed\xa0"), Err(Utf8Error::Invalid));
    }

    #[test]
    fn incomplete_versus_invalid_at_end() {
        assert_eq!(feed_all(&[b"\xe2\x82"]), Err(Utf8Error::Incomplete));
        assert_eq!(feed_all(&[b"\xe2\x82\xac"]), Ok(()));
        assert_eq!(feed_all(&[b"\xe2", b"\x82", b"\xac"]), Ok(()));
        assert_eq!(feed_all(&[b"\xe2", b"", b"\x28"]), Err(Utf8Error::Invalid));
        assert_eq!(feed_all(&[b"\xc0\xaf"]), Err(Utf8Error::Invalid));
    }

    #[test]
    fn carry_never_exceeds_three_bytes() {
        let mut v = Utf8Validator::new();
        v.feed(b"\xf0\x9f\x98").unwrap();
        assert_eq!(v.pending(), 3);
        v.feed(b"\x80xyz").unwrap();
        assert_eq!(v.pending(), 0);
    }
}
