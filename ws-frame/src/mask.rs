//! Payload masking (RFC 6455 section 5.3), in place and resumable at any offset.

/// Bytes per step of the wide loop: four SSE2 registers, two AVX2 registers. The
/// fixed-size inner loop below compiles to vector XORs on every target that has them
/// and to word XORs elsewhere, without `unsafe`.
const WIDE: usize = 64;

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
    if buf.len() < WIDE {
        mask_bytes(buf, key);
        return;
    }
    // WIDE is a multiple of 4, so the key phase is the same at the start of every
    // block and of the remainder.
    let wide_key = repeat_key(key);
    let mut wide = buf.chunks_exact_mut(WIDE);
    for block in &mut wide {
        for (b, k) in block.iter_mut().zip(&wide_key) {
            *b ^= *k;
        }
    }
    mask_bytes(wide.into_remainder(), key);
}

/// Writes `src` masked with the key into `dst`, where `src[0]` is byte number
/// `offset` of the payload: one pass instead of a copy and then [`apply_mask`] on
/// the copy. `dst` and `src` must have the same length.
///
/// ```
/// use ws_frame::{apply_mask, mask_copy};
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut masked = [0u8; 5];
/// mask_copy(b"Hello", &mut masked, key, 0);
/// assert_eq!(masked, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 section 5.7
/// apply_mask(&mut masked, key, 0);
/// assert_eq!(&masked, b"Hello");
/// ```
///
/// # Panics
///
/// When the lengths differ.
#[inline]
pub fn mask_copy(src: &[u8], dst: &mut [u8], key: [u8; 4], offset: usize) {
    assert_eq!(src.len(), dst.len(), "mask_copy: lengths differ");
    let key = rotate_key(key, offset);
    let wide_key = repeat_key(key);
    let mut wide_dst = dst.chunks_exact_mut(WIDE);
    let mut wide_src = src.chunks_exact(WIDE);
    for (out, block) in (&mut wide_dst).zip(&mut wide_src) {
        for ((o, b), k) in out.iter_mut().zip(block).zip(&wide_key) {
            *o = *b ^ *k;
        }
    }
    let out = wide_dst.into_remainder();
    out.copy_from_slice(wide_src.remainder());
    mask_bytes(out, key);
}

/// The key repeated over `WIDE` bytes, built from word operations (cheap enough to do
/// per call, unlike a byte-by-byte fill).
#[inline(always)]
fn repeat_key(key: [u8; 4]) -> [u8; WIDE] {
    let word = u128::from(u32::from_ne_bytes(key));
    let lane = (word | word << 32 | word << 64 | word << 96).to_ne_bytes();
    let mut out = [0u8; WIDE];
    for chunk in out.chunks_exact_mut(lane.len()) {
        chunk.copy_from_slice(&lane);
    }
    out
}

/// The key as seen from payload position `offset`.
#[inline]
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut rotated = key;
    rotated.rotate_left(offset % 4);
    rotated
}

/// Short inputs and tails: word XORs for each 8-byte group, then 4, then single bytes.
#[inline]
fn mask_bytes(buf: &mut [u8], key: [u8; 4]) {
    let word = u64::from(u32::from_ne_bytes(key));
    let word = (word | word << 32).to_ne_bytes();
    let word = u64::from_ne_bytes(word);
    let mut groups = buf.chunks_exact_mut(8);
    for group in &mut groups {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(group);
        group.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    let rest = groups.into_remainder();
    let (four, bytes) = rest.split_at_mut(rest.len() & !3);
    if let [a, b, c, d] = four {
        let value = u32::from_ne_bytes([*a, *b, *c, *d]) ^ u32::from_ne_bytes(key);
        [*a, *b, *c, *d] = value.to_ne_bytes();
    }
    for (b, k) in bytes.iter_mut().zip(key) {
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
                let mut copied = [0u8; 200];
                mask_copy(&original[..len], &mut copied[..len], key, offset);
                assert_eq!(
                    copied[..len],
                    slow[..len],
                    "copy: len {len} offset {offset}"
                );
            }
        }
    }
}
