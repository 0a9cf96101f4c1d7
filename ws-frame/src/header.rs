//! Frame header decode and encode (RFC 6455 section 5.2).

use crate::{FrameError, OpCode};

/// The longest header: 2 fixed bytes, 8 bytes of extended length, 4 bytes of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// Largest payload a control frame may carry.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The three reserved bits of a frame, as they sit in the first header byte
/// (`RSV1 = 0x40`, `RSV2 = 0x20`, `RSV3 = 0x10`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rsv(u8);

impl Rsv {
    /// No reserved bit set.
    pub const NONE: Rsv = Rsv(0);
    /// RSV1: "compressed" for permessage-deflate (RFC 7692).
    pub const RSV1: Rsv = Rsv(0x40);
    /// RSV2.
    pub const RSV2: Rsv = Rsv(0x20);
    /// RSV3.
    pub const RSV3: Rsv = Rsv(0x10);

    /// Keeps only the three RSV bits of `bits`, in first-byte position.
    #[inline]
    pub const fn from_bits(bits: u8) -> Rsv {
        Rsv(bits & 0x70)
    }

    /// The bits in first-byte position.
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether RSV1 is set.
    #[inline]
    pub const fn rsv1(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// Whether no bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Both sets of bits.
    #[inline]
    pub const fn union(self, other: Rsv) -> Rsv {
        Rsv(self.0 | other.0)
    }
}

/// A decoded or to-be-encoded frame header.
///
/// Decoding reads only the header, so a caller sees `payload_len` before buffering any
/// payload and can apply its limits first: nothing here allocates or trusts the length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// The reserved bits; their meaning is negotiated by extensions.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present exactly when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// Payload length in bytes (at most `2^63 - 1`).
    pub payload_len: u64,
}

/// Outcome of [`FrameHeader::decode`] on well-formed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A whole header, and how many input bytes it occupied.
    Complete(FrameHeader, usize),
    /// The input is a valid header prefix; at least this many more bytes are needed.
    /// Incomplete input is not an error.
    Incomplete(usize),
}

impl FrameHeader {
    /// A final, unmasked, RSV-free header.
    pub const fn new(opcode: OpCode, payload_len: u64) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            mask: None,
            payload_len,
        }
    }

    /// Decodes a header from the start of `buf`.
    ///
    /// Guarantees (each backed by a property test): never panics, for any input; a
    /// `Complete` length is at most `buf.len()` and at most [`MAX_HEADER_LEN`]; the
    /// header re-encodes to exactly the bytes it was decoded from. Syntax errors are
    /// reported as soon as the bytes that show them are present, so a reserved opcode
    /// or a fragmented control frame fails on the first byte.
    #[inline]
    pub fn decode(buf: &[u8]) -> Result<Decoded, FrameError> {
        let Some(&b0) = buf.first() else {
            return Ok(Decoded::Incomplete(2));
        };
        let opcode = OpCode::from_u8(b0 & 0x0F).ok_or(FrameError::ReservedOpcode(b0 & 0x0F))?;
        let fin = b0 & 0x80 != 0;
        if opcode.is_control() && !fin {
            return Err(FrameError::FragmentedControl);
        }
        let Some(&b1) = buf.get(1) else {
            return Ok(Decoded::Incomplete(1));
        };
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        let ext_len = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        if opcode.is_control() && len7 > MAX_CONTROL_PAYLOAD as u8 {
            // 126 or 127 would announce at least 126 bytes: too long whatever follows.
            return Err(FrameError::ControlTooLong(u64::from(len7)));
        }
        let header_len = 2 + ext_len + if masked { 4 } else { 0 };
        if buf.len() < header_len {
            // Check what the extended length already shows before asking for more.
            if ext_len == 8 && buf.len() > 2 && buf[2] & 0x80 != 0 {
                return Err(FrameError::LengthOverflow);
            }
            return Ok(Decoded::Incomplete(header_len - buf.len()));
        }
        let payload_len = match ext_len {
            0 => u64::from(len7),
            2 => {
                let len = u64::from(u16::from_be_bytes([buf[2], buf[3]]));
                if len < 126 {
                    return Err(FrameError::NonMinimalLength);
                }
                len
            }
            _ => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&buf[2..10]);
                let len = u64::from_be_bytes(bytes);
                if len >> 63 != 0 {
                    return Err(FrameError::LengthOverflow);
                }
                if len <= u64::from(u16::MAX) {
                    return Err(FrameError::NonMinimalLength);
                }
                len
            }
        };
        let mask = if masked {
            let at = 2 + ext_len;
            let mut key = [0u8; 4];
            key.copy_from_slice(&buf[at..at + 4]);
            Some(key)
        } else {
            None
        };
        let header = FrameHeader {
            fin,
            rsv: Rsv::from_bits(b0),
            opcode,
            mask,
            payload_len,
        };
        Ok(Decoded::Complete(header, header_len))
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        let ext = if self.payload_len < 126 {
            0
        } else if self.payload_len <= u16::MAX as u64 {
            2
        } else {
            8
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Writes the header (minimal length encoding) into `out` and returns its length.
    ///
    /// The header is written as given, without validation: a caller that builds a
    /// fragmented or oversized control frame gets exactly that on the wire, and a
    /// `payload_len` above `2^63 - 1` is written as is (peers reject it).
    #[inline]
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = (u8::from(self.fin) << 7) | self.rsv.bits() | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut at = 2;
        if self.payload_len < 126 {
            out[1] = mask_bit | self.payload_len as u8;
        } else if self.payload_len <= u64::from(u16::MAX) {
            out[1] = mask_bit | 126;
            out[2..4].copy_from_slice(&(self.payload_len as u16).to_be_bytes());
            at = 4;
        } else {
            out[1] = mask_bit | 127;
            out[2..10].copy_from_slice(&self.payload_len.to_be_bytes());
            at = 10;
        }
        if let Some(key) = self.mask {
            out[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> (FrameHeader, usize) {
        match FrameHeader::decode(buf) {
            Ok(Decoded::Complete(h, n)) => (h, n),
            other => panic!("expected a complete header, got {other:?}"),
        }
    }

    #[test]
    fn empty_input_needs_two_bytes() {
        assert_eq!(FrameHeader::decode(&[]), Ok(Decoded::Incomplete(2)));
        assert_eq!(FrameHeader::decode(&[0x81]), Ok(Decoded::Incomplete(1)));
    }

    #[test]
    fn incomplete_counts_exact_missing_bytes() {
        // 64-bit length + mask: 14 bytes in all.
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        for cut in 2..full.len() {
            assert_eq!(
                FrameHeader::decode(&full[..cut]),
                Ok(Decoded::Incomplete(14 - cut))
            );
        }
        assert_eq!(complete(&full).1, 14);
    }

    #[test]
    fn reserved_opcodes_fail_on_first_byte() {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assert_eq!(
                FrameHeader::decode(&[0x80 | op]),
                Err(FrameError::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn control_frame_rules() {
        assert_eq!(
            FrameHeader::decode(&[0x09]),
            Err(FrameError::FragmentedControl)
        );
        assert_eq!(
            FrameHeader::decode(&[0x89, 126]),
            Err(FrameError::ControlTooLong(126))
        );
        assert_eq!(
            FrameHeader::decode(&[0x88, 127]),
            Err(FrameError::ControlTooLong(127))
        );
        assert_eq!(complete(&[0x8A, 125]).0.payload_len, 125);
    }

    #[test]
    fn top_bit_of_64_bit_length_is_rejected_early() {
        // CVE-2020-13935: Tomcat looped forever on this.
        assert_eq!(
            FrameHeader::decode(&[0x82, 0x7F, 0x80]),
            Err(FrameError::LengthOverflow)
        );
        let full = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(FrameHeader::decode(&full), Err(FrameError::LengthOverflow));
    }

    #[test]
    fn non_minimal_lengths_are_rejected() {
        assert_eq!(
            FrameHeader::decode(&[0x82, 126, 0, 125]),
            Err(FrameError::NonMinimalLength)
        );
        let long = [0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(
            FrameHeader::decode(&long),
            Err(FrameError::NonMinimalLength)
        );
        assert_eq!(complete(&[0x82, 126, 0, 126]).0.payload_len, 126);
        assert_eq!(
            complete(&[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]).0.payload_len,
            65536
        );
    }

    #[test]
    fn rsv_bits_are_reported_not_judged() {
        let (h, _) = complete(&[0xF1, 0]);
        assert_eq!(h.rsv, Rsv::RSV1.union(Rsv::RSV2).union(Rsv::RSV3));
        assert!(h.rsv.rsv1());
    }

    #[test]
    fn encode_picks_the_minimal_length_form() {
        let mut out = [0u8; MAX_HEADER_LEN];
        for (len, expect) in [(0u64, 2usize), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let h = FrameHeader::new(OpCode::Binary, len);
            assert_eq!(h.encode(&mut out), expect);
            assert_eq!(h.encoded_len(), expect);
            assert_eq!(complete(&out[..expect]), (h, expect));
        }
    }
}
