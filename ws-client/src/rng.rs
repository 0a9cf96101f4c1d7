//! Randomness: handshake keys and Digest client nonces straight from the operating
//! system's CSPRNG, masking keys from a per-connection ChaCha generator seeded once
//! from it.
//!
//! `rand` rather than bare `getrandom`: masks are drawn for every frame, and a
//! system call per frame is measurable; `StdRng` (ChaCha12) seeded from the OS is a
//! CSPRNG, so masks stay unpredictable (RFC 6455 section 10.3) at memory speed.

use rand::rngs::{OsRng, StdRng};
use rand::{RngCore, SeedableRng, TryRngCore};
use ws_session::MaskSource;

/// 16 random bytes for `Sec-WebSocket-Key`.
pub(crate) fn handshake_nonce() -> [u8; 16] {
    let mut nonce = [0u8; 16];
    fill_os(&mut nonce);
    nonce
}

/// A fresh Digest `cnonce`: 16 random bytes as 32 hex digits.
pub(crate) fn cnonce() -> String {
    let mut raw = [0u8; 16];
    fill_os(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn fill_os(buf: &mut [u8]) {
    // The OS generator failing is not recoverable for a security-relevant nonce.
    OsRng
        .try_fill_bytes(buf)
        .expect("the operating system's random number generator failed");
}

/// Masking keys for one client session.
pub(crate) struct Masks(StdRng);

impl Masks {
    /// A generator seeded from the OS.
    pub(crate) fn new() -> Self {
        let mut seed = [0u8; 32];
        fill_os(&mut seed);
        Masks(StdRng::from_seed(seed))
    }
}

impl MaskSource for Masks {
    fn next_mask(&mut self) -> [u8; 4] {
        self.0.next_u32().to_ne_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_and_cnonce_is_hex() {
        assert_ne!(handshake_nonce(), handshake_nonce());
        let c = cnonce();
        assert_eq!(c.len(), 32);
        assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(c, cnonce());
        let mut m = Masks::new();
        let a: Vec<_> = (0..8).map(|_| m.next_mask()).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }
}
