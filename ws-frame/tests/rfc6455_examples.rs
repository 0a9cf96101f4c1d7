//! The examples of RFC 6455 section 5.7, as golden tests of decode, unmask and encode.

use ws_frame::{apply_mask, Decoded, FrameHeader, OpCode, MAX_HEADER_LEN};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Decodes a whole frame from `wire`, unmasking its payload.
fn decode_frame(wire: &[u8]) -> (FrameHeader, Vec<u8>) {
    let Ok(Decoded::Complete(header, len)) = FrameHeader::decode(wire) else {
        panic!("not a complete header: {wire:02x?}");
    };
    let mut payload = wire[len..].to_vec();
    assert_eq!(payload.len() as u64, header.payload_len);
    if let Some(key) = header.mask {
        apply_mask(&mut payload, key, 0);
    }
    (header, payload)
}

/// Encodes a frame the way the RFC shows it.
fn encode_frame(header: FrameHeader, payload: &[u8]) -> Vec<u8> {
    let mut out = [0u8; MAX_HEADER_LEN];
    let n = header.encode(&mut out);
    let mut wire = out[..n].to_vec();
    let mut body = payload.to_vec();
    if let Some(key) = header.mask {
        apply_mask(&mut body, key, 0);
    }
    wire.extend_from_slice(&body);
    wire
}

fn check(wire: &[u8], fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload: &[u8]) {
    let (header, got) = decode_frame(wire);
    assert_eq!(
        (header.fin, header.opcode, header.mask),
        (fin, opcode, mask)
    );
    assert!(header.rsv.is_empty());
    assert_eq!(got, payload);
    assert_eq!(encode_frame(header, payload), wire);
}

#[test]
fn single_frame_unmasked_text() {
    check(
        &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
        true,
        OpCode::Text,
        None,
        b"Hello",
    );
}

#[test]
fn single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    check(&wire, true, OpCode::Text, Some(KEY), b"Hello");
}

#[test]
fn fragmented_unmasked_text() {
    check(
        &[0x01, 0x03, 0x48, 0x65, 0x6c],
        false,
        OpCode::Text,
        None,
        b"Hel",
    );
    check(
        &[0x80, 0x02, 0x6c, 0x6f],
        true,
        OpCode::Continuation,
        None,
        b"lo",
    );
}

#[test]
fn unmasked_ping_and_masked_pong() {
    check(
        &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
        true,
        OpCode::Ping,
        None,
        b"Hello",
    );
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    check(&pong, true, OpCode::Pong, Some(KEY), b"Hello");
}

#[test]
fn binary_256_bytes_uses_16_bit_length() {
    let payload = vec![0xAB; 256];
    let mut wire = vec![0x82, 0x7E, 0x01, 0x00];
    wire.extend_from_slice(&payload);
    check(&wire, true, OpCode::Binary, None, &payload);
}

#[test]
fn binary_64_kib_uses_64_bit_length() {
    let payload = vec![0xCD; 65536];
    let mut wire = vec![0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
    wire.extend_from_slice(&payload);
    check(&wire, true, OpCode::Binary, None, &payload);
}
