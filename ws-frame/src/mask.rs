//! Payload masking (RFC 6455 section 5.3), in place and resumable at any offset.

/// Bytes processed per step of the wide loop. 32 bytes is two SSE2 / one AVX2 register;
/// the compiler turns the fixed-size inner loop into vector XORs on every target that
/// has them and into word XORs elsewhere, without `unsafe`.
const LANES: usize = 32;

/// XORs `buf` with the masking key, where `buf[0]` is byte number `offset` of the
/// payload. Masking and unmasking are the same operation.
///
/// The offset makes it resumable: unmasking a payload chunk by chunk as it arrives,
/// passing each chunk's position in the payload, gives the same bytes as one call on
/// the whole payload (a property test checks it). Only `offset % 4` matters.
///
/// ```
/// use ws_frame::apply_mask;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut data = *b"Hello";
/// apply_mask(&mut data, key, 0);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 section 5.7
/// let (head, tail) = data.split_at_mut(3);
/// apply_mask(head, key, 0);
/// apply_mask(tail, key, 3);
/// assert_eq!(&data, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    if buf.len() < LANES {
        mask_bytes(buf, key);
        return;
    }
    let mut wide = [0u8; LANES];
    for (i, byte) in wide.iter_mut().enumerate() {
        *byte = key[i % 4];
    }
    let mut chunks = buf.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        for (b, k) in chunk.iter_mut().zip(wide.iter()) {
            *b ^= *k;
        }
    }
    // LANES is a multiple of 4, so the key phase is unchanged for the remainder.
    mask_bytes(chunks.into_remainder(), key);
}

/// The key as seen from payload position `offset`.
#[inline]
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut rotated = key;
    rotated.rotate_left(offset % 4);
    rotated
}

/// Short inputs and tails: a word XOR for each 4-byte group, then single bytes.
#[inline]
fn mask_bytes(buf: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let mut groups = buf.chunks_exact_mut(4);
    for group in &mut groups {
        let value = u32::from_ne_bytes([group[0], group[1], group[2], group[3]]) ^ word;
        group.copy_from_slice(&value.to_ne_bytes());
    }
    for (b, k) in groups.into_remainder().iter_mut().zip(key) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_the_definition_for_every_length_and_offset() {
        let key = [0xA1, 0x02, 0xF3, 0x44];
        for len in 0..200 {
            for offset in 0..8 {
                let original: [u8; 200] = core::array::from_fn(|i| (i * 7 + 3) as u8);
                let mut fast = original;
                let mut slow = original;
                apply_mask(&mut fast[..len], key, offset);
                naive(&mut slow[..len], key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }
}
