//! A small non-cryptographic generator for masking keys, handshake nonces and the
//! payload pattern.
//!
//! Masking keys only have to be unpredictable to intermediaries, and a load generator
//! talks to loopback; xorshift64* seeded from the standard library's per-process
//! random hash keys is plenty and needs no dependency.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// An xorshift64* generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from process randomness mixed with `stream` (for example a
    /// connection index), so that connections draw different keys.
    pub fn seeded(stream: u64) -> Rng {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(stream);
        Rng(hasher.finish() | 1)
    }

    /// A generator with a fixed seed: the same sequence in every process.
    pub fn fixed(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A masking key for one client frame.
    pub fn mask(&mut self) -> [u8; 4] {
        ((self.next_u64() >> 32) as u32).to_le_bytes()
    }

    /// A 16-byte `Sec-WebSocket-Key` nonce.
    pub fn nonce(&mut self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_seeds_repeat_and_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::fixed(1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut one = Rng::fixed(1);
        let mut two = Rng::fixed(2);
        assert_ne!(one.next_u64(), two.next_u64());
    }

    #[test]
    fn fill_covers_odd_lengths() {
        let mut rng = Rng::fixed(7);
        let mut buf = [0u8; 13];
        rng.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
        let mut again = [0u8; 13];
        Rng::fixed(7).fill(&mut again);
        assert_eq!(buf, again);
    }

    #[test]
    fn nonces_differ_between_draws() {
        let mut rng = Rng::seeded(3);
        assert_ne!(rng.nonce(), rng.nonce());
    }
}
