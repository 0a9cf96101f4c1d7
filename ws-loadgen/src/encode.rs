//! Client frames, masked as RFC 6455 requires of a client, appended to a buffer.

use ws_frame::{apply_mask, CloseCode, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};

use crate::wire::Wire;

/// Appends one final frame of `opcode` whose payload `fill` appends (exactly `len`
/// bytes), masked with `mask`.
///
/// # Panics
///
/// If `fill` appends other than `len` bytes (a bug in the caller).
pub fn push_frame(
    out: &mut Vec<u8>,
    opcode: OpCode,
    len: usize,
    mask: [u8; 4],
    fill: impl FnOnce(&mut Vec<u8>),
) {
    let mut header = FrameHeader::new(opcode, len as u64);
    header.mask = Some(mask);
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = header.encode(&mut head);
    out.reserve(n + len);
    out.extend_from_slice(&head[..n]);
    let start = out.len();
    fill(out);
    assert_eq!(out.len() - start, len, "frame payload length");
    apply_mask(&mut out[start..], mask, 0);
}

/// Appends message `seq` as one frame, as `wire` says: text or binary, compressed
/// (RSV1) or not.
pub fn push_message(out: &mut Vec<u8>, wire: &Wire, seq: u64, mask: [u8; 4]) {
    let len = wire.payload_len(seq);
    let mut header = FrameHeader::new(wire.opcode(), len as u64);
    header.mask = Some(mask);
    if wire.is_compressed() {
        header.rsv = Rsv::RSV1;
    }
    let mut head = [0u8; MAX_HEADER_LEN];
    let n = header.encode(&mut head);
    out.reserve(n + len);
    out.extend_from_slice(&head[..n]);
    let start = out.len();
    wire.write_payload(seq, out);
    apply_mask(&mut out[start..], mask, 0);
}

/// Appends a close frame with `code` and no reason.
pub fn push_close(out: &mut Vec<u8>, code: CloseCode, mask: [u8; 4]) {
    push_frame(out, OpCode::Close, 2, mask, |o| {
        o.extend_from_slice(&code.0.to_be_bytes())
    });
}

/// Appends a pong carrying `payload` (at most 125 bytes: the ping's).
pub fn push_pong(out: &mut Vec<u8>, payload: &[u8], mask: [u8; 4]) {
    push_frame(out, OpCode::Pong, payload.len(), mask, |o| {
        o.extend_from_slice(payload)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{Pattern, PayloadKind};
    use crate::wire::Wires;
    use ws_frame::Decoded;

    fn decode(wire: &[u8]) -> (FrameHeader, Vec<u8>) {
        let Ok(Decoded::Complete(h, n)) = FrameHeader::decode(wire) else {
            panic!("incomplete header")
        };
        let mut payload = wire[n..].to_vec();
        apply_mask(&mut payload, h.mask.unwrap(), 0);
        (h, payload)
    }

    #[test]
    fn messages_are_masked_binary_frames_that_unmask_to_the_pattern() {
        for size in [16, 200, 70_000] {
            let pattern = std::sync::Arc::new(Pattern::new(size).unwrap());
            let mut out = Vec::new();
            push_message(&mut out, &Wire::plain(pattern.clone()), 3, [9, 8, 7, 6]);
            let (h, payload) = decode(&out);
            assert_eq!(
                (h.opcode, h.fin, h.payload_len, h.rsv),
                (OpCode::Binary, true, size as u64, Rsv::NONE)
            );
            assert_eq!(h.mask, Some([9, 8, 7, 6]));
            assert_eq!(payload, pattern.message(3));
            assert_ne!(&out[out.len() - size..], &payload[..], "masked on the wire");
        }
    }

    #[test]
    fn compressed_text_messages_set_rsv1() {
        let wires = Wires::new(300, PayloadKind::Text, true).unwrap();
        let wire = wires.deflated(15).unwrap();
        let mut out = Vec::new();
        push_message(&mut out, &wire, 2, [1, 2, 3, 4]);
        let (h, payload) = decode(&out);
        assert_eq!((h.opcode, h.rsv), (OpCode::Text, Rsv::RSV1));
        let mut expected = Vec::new();
        wire.write_payload(2, &mut expected);
        assert_eq!(payload, expected);
    }

    #[test]
    fn close_and_pong_frames() {
        let mut out = Vec::new();
        push_close(&mut out, CloseCode::NORMAL, [1, 2, 3, 4]);
        let (h, payload) = decode(&out);
        assert_eq!(h.opcode, OpCode::Close);
        assert_eq!(payload, [0x03, 0xE8]);
        out.clear();
        push_pong(&mut out, b"hi", [5, 6, 7, 8]);
        let (h, payload) = decode(&out);
        assert_eq!((h.opcode, &payload[..]), (OpCode::Pong, &b"hi"[..]));
    }
}
