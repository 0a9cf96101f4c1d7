//! The suite's own frame codec (RFC 6455 section 5.2), written apart from `ws-frame`.
//!
//! The encoder writes any bit pattern a case asks for: reserved bits, reserved
//! opcodes, fragmented or oversized control frames. The decoder reads headers only
//! and judges nothing but the wire syntax itself (minimal length encoding, the top
//! bit of a 64-bit length); what a header means for the connection is judged in
//! [`crate::conn`].

/// Opcodes (RFC 6455 section 5.2); 3-7 and 11-15 are reserved.
pub mod opcode {
    /// Continues a fragmented data message.
    pub const CONTINUATION: u8 = 0x0;
    /// Starts a text message.
    pub const TEXT: u8 = 0x1;
    /// Starts a binary message.
    pub const BINARY: u8 = 0x2;
    /// Close (control).
    pub const CLOSE: u8 = 0x8;
    /// Ping (control).
    pub const PING: u8 = 0x9;
    /// Pong (control).
    pub const PONG: u8 = 0xA;

    /// Whether the opcode is a control opcode (high bit set).
    pub fn is_control(op: u8) -> bool {
        op & 0x8 != 0
    }

    /// Whether the opcode is one RFC 6455 defines.
    pub fn is_known(op: u8) -> bool {
        matches!(op, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG)
    }
}

/// A frame to send. Any field value is allowed, so cases can write invalid frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as a 3-bit number (RSV1 = 4, RSV2 = 2, RSV3 = 1).
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The (unmasked) payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A final frame with no reserved bits.
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Self {
        Frame {
            fin: true,
            rsv: 0,
            opcode,
            payload: payload.into(),
        }
    }

    /// A text frame.
    pub fn text(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::TEXT, payload)
    }

    /// A binary frame.
    pub fn binary(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::BINARY, payload)
    }

    /// A continuation frame.
    pub fn continuation(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::CONTINUATION, payload)
    }

    /// A ping.
    pub fn ping(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::PING, payload)
    }

    /// A pong.
    pub fn pong(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::PONG, payload)
    }

    /// A close frame with a status code and a reason.
    pub fn close(code: u16, reason: &[u8]) -> Self {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason);
        Self::new(opcode::CLOSE, payload)
    }

    /// A close frame with this exact payload (empty, one byte, ...).
    pub fn close_raw(payload: impl Into<Vec<u8>>) -> Self {
        Self::new(opcode::CLOSE, payload)
    }

    /// Sets the FIN bit.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Sets the reserved bits (3-bit number, RSV1 = 4).
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv & 0x7;
        self
    }
}

/// XORs `data` with the masking key, starting at key position 0.
pub fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

/// Appends a frame header: the shortest length encoding, masked if `mask` is given.
pub fn encode_header(
    fin: bool,
    rsv: u8,
    opcode: u8,
    len: u64,
    mask: Option<[u8; 4]>,
    out: &mut Vec<u8>,
) {
    out.push((u8::from(fin) << 7) | ((rsv & 0x7) << 4) | (opcode & 0xF));
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= u64::from(u16::MAX) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

/// Appends a whole frame, masking its payload if `mask` is given.
pub fn encode(frame: &Frame, mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    encode_header(
        frame.fin,
        frame.rsv,
        frame.opcode,
        frame.payload.len() as u64,
        mask,
        out,
    );
    let start = out.len();
    out.extend_from_slice(&frame.payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key);
    }
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as a 3-bit number (RSV1 = 4).
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The masking key, if the MASK bit was set.
    pub mask: Option<[u8; 4]>,
    /// The declared payload length.
    pub payload_len: u64,
    /// How many bytes the header took.
    pub header_len: usize,
}

/// A header that breaks the wire syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// A length written in more bytes than needed (RFC 6455 5.2: "the minimal number
    /// of bytes MUST be used").
    NonMinimalLength(u64),
    /// A 64-bit length with its most significant bit set.
    LengthTopBit,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::NonMinimalLength(n) => {
                write!(f, "length {n} not in its minimal encoding")
            }
            HeaderError::LengthTopBit => f.write_str("64-bit length with the top bit set"),
        }
    }
}

/// Decodes the header at the start of `buf`: `Ok(None)` if more bytes are needed.
pub fn decode_header(buf: &[u8]) -> Result<Option<Header>, HeaderError> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut pos) = match b1 & 0x7F {
        126 => {
            let Some(bytes) = buf.get(2..4) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([bytes[0], bytes[1]]));
            if len < 126 {
                return Err(HeaderError::NonMinimalLength(len));
            }
            (len, 4)
        }
        127 => {
            let Some(bytes) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut be = [0u8; 8];
            be.copy_from_slice(bytes);
            let len = u64::from_be_bytes(be);
            if len >> 63 != 0 {
                return Err(HeaderError::LengthTopBit);
            }
            if len <= u64::from(u16::MAX) {
                return Err(HeaderError::NonMinimalLength(len));
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    let mask = if masked {
        let Some(bytes) = buf.get(pos..pos + 4) else {
            return Ok(None);
        };
        pos += 4;
        Some([bytes[0], bytes[1], bytes[2], bytes[3]])
    } else {
        None
    };
    Ok(Some(Header {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0xF,
        mask,
        payload_len,
        header_len: pos,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_examples_encode() {
        // RFC 6455 section 5.7: unmasked and masked "Hello", a ping.
        let mut out = Vec::new();
        encode(&Frame::text(b"Hello".to_vec()), None, &mut out);
        assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        out.clear();
        encode(
            &Frame::text(b"Hello".to_vec()),
            Some([0x37, 0xfa, 0x21, 0x3d]),
            &mut out,
        );
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        out.clear();
        encode(&Frame::ping(b"Hello".to_vec()), None, &mut out);
        assert_eq!(out, [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        // The fragmented example: "Hel" then "lo".
        out.clear();
        encode(&Frame::text(b"Hel".to_vec()).fin(false), None, &mut out);
        encode(&Frame::continuation(b"lo".to_vec()), None, &mut out);
        assert_eq!(out, [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
    }

    #[test]
    fn rfc6455_length_encodings() {
        let mut out = Vec::new();
        encode_header(true, 0, opcode::BINARY, 256, None, &mut out);
        assert_eq!(out, [0x82, 0x7E, 0x01, 0x00]);
        out.clear();
        encode_header(true, 0, opcode::BINARY, 65536, None, &mut out);
        assert_eq!(out, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        for len in [0u64, 125, 126, 65535, 65536, 1 << 40] {
            out.clear();
            encode_header(false, 5, 3, len, Some([1, 2, 3, 4]), &mut out);
            let h = decode_header(&out).unwrap().unwrap();
            assert_eq!(
                (h.fin, h.rsv, h.opcode, h.mask, h.payload_len, h.header_len),
                (false, 5, 3, Some([1, 2, 3, 4]), len, out.len())
            );
        }
    }

    #[test]
    fn decode_needs_every_header_byte() {
        let mut out = Vec::new();
        encode_header(true, 0, opcode::TEXT, 70000, Some([9, 9, 9, 9]), &mut out);
        for cut in 0..out.len() {
            assert_eq!(decode_header(&out[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(decode_header(&out).unwrap().is_some());
    }

    #[test]
    fn decode_rejects_non_minimal_and_top_bit_lengths() {
        assert_eq!(
            decode_header(&[0x82, 0x7E, 0x00, 0x7D]),
            Err(HeaderError::NonMinimalLength(125))
        );
        assert_eq!(
            decode_header(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(HeaderError::NonMinimalLength(65535))
        );
        assert_eq!(
            decode_header(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(HeaderError::LengthTopBit)
        );
    }

    #[test]
    fn masking_twice_is_identity_at_every_length() {
        for len in 0..40 {
            let original: Vec<u8> = (0..len as u8).collect();
            let mut data = original.clone();
            apply_mask(&mut data, [0xde, 0xad, 0xbe, 0xef]);
            if len > 0 {
                assert_ne!(data, original);
                assert_eq!(data[0], 0xde);
            }
            apply_mask(&mut data, [0xde, 0xad, 0xbe, 0xef]);
            assert_eq!(data, original);
        }
    }
}
