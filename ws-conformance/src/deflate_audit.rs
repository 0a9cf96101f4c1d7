//! Reads the structure of a raw deflate stream (RFC 1951) to see how far back its
//! references reach, without producing output.
//!
//! zlib resolves back references from everything it has in memory and allocates a
//! full 32 KiB window whatever window size it was given, so inflating cannot tell
//! whether a peer kept to a negotiated `server_max_window_bits` /
//! `client_max_window_bits`. This reader decodes the Huffman codes and reports the
//! longest distance of a message, and whether a reference reaches before the
//! message's first byte (into an earlier message). It runs only on data that
//! `flate2` has already inflated without error.

/// What a message's deflate data refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// The longest back-reference distance.
    pub max_distance: usize,
    /// How far before the message's first byte a reference reaches (0: none does).
    pub before_start: usize,
}

/// Length codes 257..285: base lengths and extra bits (RFC 1951 3.2.5).
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance codes 0..29: base distances and extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which code-length code lengths are stored in a dynamic block.
const CLEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Bits of the input, least significant first (RFC 1951 3.1.1).
struct Bits<'a> {
    data: &'a [u8],
    byte: usize,
    bit: u8,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, String> {
        let b = *self
            .data
            .get(self.byte)
            .ok_or("deflate data ends inside a block")?;
        let v = (b >> self.bit) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.byte += 1;
        }
        Ok(u32::from(v))
    }

    fn take(&mut self, n: u8) -> Result<u32, String> {
        let mut v = 0;
        for i in 0..n {
            v |= self.bit()? << i;
        }
        Ok(v)
    }

    fn align(&mut self) {
        if self.bit != 0 {
            self.bit = 0;
            self.byte += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.byte >= self.data.len()
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in
/// code order.
struct Code {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Code {
    fn new(lengths: &[u8]) -> Result<Code, String> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offsets[usize::from(l)])] = sym as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        Ok(Code { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        // Walk the code lengths: `code` is the bits read so far, `first` the first
        // code of the current length, `index` the first symbol of that length.
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.bit()? as i32;
            let count = i32::from(self.counts[len]);
            if code - first < count {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("invalid Huffman code".into())
    }
}

/// The fixed codes of block type 1.
fn fixed() -> (Code, Code) {
    let mut lengths = [0u8; 288];
    for (i, l) in lengths.iter_mut().enumerate() {
        *l = match i {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    (
        Code::new(&lengths).expect("fixed code"),
        Code::new(&[5u8; 30]).expect("fixed code"),
    )
}

/// The codes of a dynamic block (block type 2).
fn dynamic(bits: &mut Bits<'_>) -> Result<(Code, Code), String> {
    let nlen = bits.take(5)? as usize + 257;
    let ndist = bits.take(5)? as usize + 1;
    let ncode = bits.take(4)? as usize + 4;
    let mut clen = [0u8; 19];
    for &i in CLEN_ORDER.iter().take(ncode) {
        clen[i] = bits.take(3)? as u8;
    }
    let clen_code = Code::new(&clen)?;
    let mut lengths = vec![0u8; nlen + ndist];
    let mut i = 0;
    while i < nlen + ndist {
        let sym = clen_code.decode(bits)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => {
                let prev = *lengths[..i]
                    .last()
                    .ok_or("repeat with no previous length")?;
                (prev, 3 + bits.take(2)? as usize)
            }
            17 => (0, 3 + bits.take(3)? as usize),
            _ => (0, 11 + bits.take(7)? as usize),
        };
        if i + repeat > lengths.len() {
            return Err("code lengths overrun".into());
        }
        lengths[i..i + repeat].fill(value);
        i += repeat;
    }
    Ok((Code::new(&lengths[..nlen])?, Code::new(&lengths[nlen..])?))
}

/// How far back the references of one message's deflate data reach (the payload
/// with its 4-byte tail restored).
pub fn reach(data: &[u8]) -> Result<Reach, String> {
    let mut bits = Bits {
        data,
        byte: 0,
        bit: 0,
    };
    let mut out = 0usize;
    let mut reach = Reach::default();
    while !bits.at_end() {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.align();
                let len = bits.take(16)? as usize;
                let _nlen = bits.take(16)?;
                bits.byte += len;
                out += len;
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    fixed()
                } else {
                    dynamic(&mut bits)?
                };
                loop {
                    let sym = usize::from(lit.decode(&mut bits)?);
                    if sym < 256 {
                        out += 1;
                        continue;
                    }
                    if sym == 256 {
                        break;
                    }
                    let li = sym - 257;
                    let len = *LENGTH_BASE.get(li).ok_or("invalid length code")? as usize
                        + bits.take(LENGTH_EXTRA[li])? as usize;
                    let di = usize::from(dist.decode(&mut bits)?);
                    let d = *DIST_BASE.get(di).ok_or("invalid distance code")? as usize
                        + bits.take(DIST_EXTRA[di])? as usize;
                    reach.max_distance = reach.max_distance.max(d);
                    reach.before_start = reach.before_start.max(d.saturating_sub(out));
                    out += len;
                }
            }
            _ => return Err("reserved block type".into()),
        }
        if last {
            break;
        }
    }
    Ok(reach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::Deflater;

    fn wire(data: &[u8], bits: u8) -> Vec<u8> {
        let mut w = Deflater::new(bits, false).compress(data);
        w.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
        w
    }

    #[test]
    fn rfc7692_examples() {
        // "Hello" alone: no references.
        let r = reach(&[
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ])
        .unwrap();
        assert!(r.max_distance <= 1 && r.before_start == 0, "{r:?}");
        // The second "Hello" of section 7.2.3.2 refers 5 bytes back, into the first
        // message.
        let r = reach(&[0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]).unwrap();
        assert_eq!(r.max_distance, 5);
        assert!(r.before_start > 0, "{r:?}");
        // A stored block: "Hello" uncompressed (section 7.2.3.3).
        let r = reach(&[
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0xff,
            0xff,
        ])
        .unwrap();
        assert_eq!(r, Reach::default());
    }

    #[test]
    fn a_compressor_keeps_within_its_window() {
        // A 3 KiB block repeated: a 15-bit compressor reaches 3 KiB back, a 9-bit
        // one at most 512 bytes.
        let block: Vec<u8> = (0..3072u32)
            .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let data = block.repeat(5);
        let wide = reach(&wire(&data, 15)).unwrap();
        assert!(
            wide.max_distance >= 3072 && wide.max_distance % 3072 == 0,
            "{wide:?}"
        );
        assert_eq!(wide.before_start, 0);
        for bits in 9..=11 {
            let narrow = reach(&wire(&data, bits)).unwrap();
            assert!(narrow.max_distance <= 1 << bits, "{bits}: {narrow:?}");
        }
    }

    #[test]
    fn dynamic_blocks_of_text_decode_to_the_end() {
        let text = "the frame of the message of the socket ".repeat(500);
        let r = reach(&wire(text.as_bytes(), 15)).unwrap();
        assert!(r.max_distance > 0 && r.max_distance <= 1 << 15);
        // BFINAL set with the reserved block type 3.
        assert!(reach(&[0x07]).is_err());
    }
}
