//! The messages a soak sends: sizes from 0 B to the configured largest, text or
//! binary, compressible or not, all drawn from the lane's seeded generator.

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::Rng;
use ws_client::Message;

/// Words for compressible text (deflate shrinks it several times).
const WORDS: [&str; 12] = [
    "socket ",
    "frame ",
    "échange ",
    "message ",
    "tampon ",
    "fenêtre ",
    "zlib ",
    "écho ",
    "ping ",
    "pong ",
    "fermer ",
    "données ",
];

/// Characters of one to four bytes for incompressible text.
const CHARS: [char; 8] = ['a', 'Z', '7', ' ', 'é', 'ж', '€', '😀'];

/// A message size: mostly small, some medium, a few large, rarely up to `max`;
/// 0 B and `max` itself come up too.
pub fn size(rng: &mut StdRng, max: usize) -> usize {
    let upper = match rng.random_range(0..1000u32) {
        0..=9 => return 0,
        10..=14 => return max,
        15..=409 => 125,
        410..=759 => 16 << 10,
        760..=949 => 256 << 10,
        950..=989 => 1 << 20,
        _ => max,
    };
    rng.random_range(0..=upper.min(max))
}

/// A message of about `len` bytes (text ends on a character boundary at or below
/// `len`); `compressible` picks repetitive content.
pub fn message(rng: &mut StdRng, len: usize, text: bool, compressible: bool) -> Message {
    if text {
        let mut s = String::with_capacity(len);
        loop {
            let piece = if compressible {
                WORDS[rng.random_range(0..WORDS.len())].to_owned()
            } else {
                CHARS[rng.random_range(0..CHARS.len())].to_string()
            };
            if s.len() + piece.len() > len {
                break;
            }
            s.push_str(&piece);
        }
        // Fill up with ASCII to the exact length.
        while s.len() < len {
            s.push('.');
        }
        Message::Text(s)
    } else {
        let mut b = vec![0u8; len];
        if compressible {
            let period = rng.random_range(1..=64usize);
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = (i % period) as u8;
            }
        } else {
            rng.fill(&mut b[..]);
        }
        Message::Binary(Bytes::from(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn messages_have_the_asked_size_and_text_is_utf8() {
        let mut rng = StdRng::seed_from_u64(1);
        for len in [0, 1, 2, 3, 4, 5, 100, 4096, 70_000] {
            for (text, compressible) in [(true, true), (true, false), (false, true), (false, false)]
            {
                let m = message(&mut rng, len, text, compressible);
                assert_eq!(m.as_bytes().len(), len);
            }
        }
    }

    #[test]
    fn sizes_stay_within_the_largest_and_reach_both_ends() {
        let mut rng = StdRng::seed_from_u64(2);
        let sizes: Vec<usize> = (0..20_000).map(|_| size(&mut rng, 4 << 20)).collect();
        assert!(sizes.iter().all(|&s| s <= 4 << 20));
        assert!(sizes.contains(&0));
        assert!(sizes.contains(&(4 << 20)));
        assert!(sizes.iter().any(|&s| s > 1 << 20 && s < 4 << 20));
    }
}
