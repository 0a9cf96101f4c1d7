//! Seeded payloads for the permessage-deflate cases: text that compresses well,
//! text with wide characters, structured text, incompressible bytes, and bytes that
//! repeat far apart (back references beyond small windows).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A kind of payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// English-like words (ASCII text).
    Words,
    /// JSON records (ASCII text).
    Json,
    /// Text mixing 1- to 4-byte code points.
    Unicode,
    /// Random bytes (binary, incompressible).
    Random,
    /// A random block of [`FAR`] bytes repeated (binary): its matches lie [`FAR`]
    /// bytes back, beyond every window below 15 bits, so a peer that compresses with
    /// a larger window than agreed is caught.
    Repeating,
}

/// The block length of [`Kind::Repeating`]: within a 15-bit window (zlib reaches
/// at most 32,506 bytes back), beyond a 14-bit one.
pub const FAR: usize = 30_000;

const WORDS: [&str; 24] = [
    "the",
    "socket",
    "frame",
    "message",
    "close",
    "ping",
    "deflate",
    "window",
    "server",
    "client",
    "echo",
    "payload",
    "of",
    "and",
    "a",
    "handshake",
    "fragment",
    "context",
    "takeover",
    "bits",
    "stream",
    "to",
    "is",
    "text",
];

const CHARS: [&str; 12] = [
    "a", "b", " ", "é", "ß", "κ", "ό", "日", "本", "€", "😀", "𝄞",
];

impl Kind {
    /// Whether it is sent as text.
    pub fn is_text(self) -> bool {
        matches!(self, Kind::Words | Kind::Json | Kind::Unicode)
    }

    /// A short name for descriptions.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Words => "English-like text",
            Kind::Json => "JSON text",
            Kind::Unicode => "text with 1- to 4-byte code points",
            Kind::Random => "random bytes",
            Kind::Repeating => "a random 30,000-byte block repeated",
        }
    }

    /// A payload of `n` bytes (text: at most `n`, cut at a character boundary).
    pub fn make(self, n: usize, seed: u64) -> Vec<u8> {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_cafe);
        let mut out = Vec::with_capacity(n + 8);
        match self {
            Kind::Words => {
                while out.len() < n {
                    out.extend_from_slice(WORDS[rng.random_range(0..WORDS.len())].as_bytes());
                    out.push(if rng.random_range(0..12) == 0 {
                        b'.'
                    } else {
                        b' '
                    });
                }
            }
            Kind::Json => {
                let mut id = 0u32;
                while out.len() < n {
                    id += 1;
                    let word = WORDS[rng.random_range(0..WORDS.len())];
                    let value: u32 = rng.random_range(0..100_000);
                    out.extend_from_slice(
                        format!(
                            "{{\"id\":{id},\"name\":\"{word}\",\"value\":{value},\"ok\":{}}},",
                            value % 2 == 0
                        )
                        .as_bytes(),
                    );
                }
            }
            Kind::Unicode => {
                while out.len() < n {
                    out.extend_from_slice(CHARS[rng.random_range(0..CHARS.len())].as_bytes());
                }
                let mut cut = n;
                while std::str::from_utf8(&out[..cut]).is_err() {
                    cut -= 1;
                }
                out.truncate(cut);
            }
            Kind::Random => {
                out.resize(n, 0);
                rng.fill(&mut out[..]);
            }
            Kind::Repeating => {
                let mut block = vec![0u8; FAR];
                rng.fill(&mut block[..]);
                while out.len() < n {
                    out.extend_from_slice(&block);
                }
            }
        }
        out.truncate(n);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_have_their_size_and_text_is_utf8() {
        for kind in [
            Kind::Words,
            Kind::Json,
            Kind::Unicode,
            Kind::Random,
            Kind::Repeating,
        ] {
            for n in [0, 1, 16, 1000, 70_000] {
                let p = kind.make(n, 7);
                if kind == Kind::Unicode {
                    assert!(p.len() <= n && p.len() + 4 > n);
                } else {
                    assert_eq!(p.len(), n);
                }
                if kind.is_text() {
                    assert!(std::str::from_utf8(&p).is_ok());
                }
                assert_eq!(p, kind.make(n, 7), "seeded");
            }
        }
    }
}
