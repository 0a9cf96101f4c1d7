//! Property tests for the guarantees documented in the crate root.

use proptest::prelude::*;
use ws_frame::{
    apply_mask, fuzzing, mask_copy, validate_utf8, CloseCode, CloseFrame, Decoded, FrameHeader,
    OpCode, Rsv, Utf8Error, Utf8Validator, MAX_HEADER_LEN,
};

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

/// Every header that is valid on the wire.
fn valid_header() -> impl Strategy<Value = FrameHeader> {
    (
        opcode(),
        any::<bool>(),
        0u8..8,
        any::<Option<[u8; 4]>>(),
        any::<u64>(),
        0usize..3,
    )
        .prop_map(|(opcode, fin, rsv, mask, raw_len, size_class)| {
            let payload_len = if opcode.is_control() {
                raw_len % 126
            } else {
                match size_class {
                    0 => raw_len % 126,
                    1 => 126 + raw_len % (65536 - 126),
                    _ => 65536 + raw_len % ((1 << 63) - 65536),
                }
            };
            FrameHeader {
                fin: fin || opcode.is_control(),
                rsv: Rsv::from_bits(rsv << 4),
                opcode,
                mask,
                payload_len,
            }
        })
}

/// Text that is mostly valid UTF-8 with a sprinkling of multi-byte characters, or
/// sometimes arbitrary bytes.
fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        ".{0,64}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..64),
        (
            ".{0,32}",
            proptest::collection::vec(any::<u8>(), 0..4),
            ".{0,32}"
        )
            .prop_map(|(a, junk, b)| [a.into_bytes(), junk, b.into_bytes()].concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decode_never_panics_and_respects_bounds(data in proptest::collection::vec(any::<u8>(), 0..32)) {
        // The fuzz target's checks: bounds, byte-exact re-encoding, prefixes incomplete.
        fuzzing::check_header_decode(&data);
    }

    #[test]
    fn encode_then_decode_round_trips(header in valid_header(), trailing in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut out);
        prop_assert_eq!(n, header.encoded_len());
        let mut wire = out[..n].to_vec();
        wire.extend_from_slice(&trailing);
        prop_assert_eq!(FrameHeader::decode(&wire), Ok(Decoded::Complete(header, n)));
    }

    #[test]
    fn masking_twice_is_identity(data in proptest::collection::vec(any::<u8>(), 0..300), key: [u8; 4], offset in 0usize..16) {
        let mut buf = data.clone();
        apply_mask(&mut buf, key, offset);
        apply_mask(&mut buf, key, offset);
        prop_assert_eq!(buf, data);
    }

    #[test]
    fn chunked_masking_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..300), key: [u8; 4], cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        points.sort_unstable();
        let mut chunked = data.clone();
        let mut start = 0;
        for end in points.into_iter().chain([data.len()]) {
            apply_mask(&mut chunked[start..end], key, start);
            start = end;
        }
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn mask_copy_equals_copy_then_mask(data in proptest::collection::vec(any::<u8>(), 0..600), key: [u8; 4], offset in 0usize..16) {
        let mut expected = data.clone();
        apply_mask(&mut expected, key, offset);
        let mut copied = vec![0u8; data.len()];
        mask_copy(&data, &mut copied, key, offset);
        prop_assert_eq!(copied, expected);
    }

    #[test]
    fn chunked_utf8_equals_one_shot_at_every_split(text in text_bytes()) {
        let expected = validate_utf8(&text).is_ok();
        for split in 0..=text.len() {
            let mut v = Utf8Validator::new();
            let verdict = v.feed(&text[..split]).and_then(|()| v.feed(&text[split..])).and_then(|()| v.finish());
            prop_assert_eq!(verdict.is_ok(), expected, "split at {}", split);
        }
    }

    #[test]
    fn byte_by_byte_utf8_fails_at_the_first_bad_byte(text in text_bytes()) {
        // The first invalid byte is where std's validator says the error is.
        let first_error = std::str::from_utf8(&text).err().map(|e| (e.valid_up_to(), e.error_len()));
        let mut v = Utf8Validator::new();
        let mut failed_at = None;
        for (i, byte) in text.iter().enumerate() {
            if v.feed(std::slice::from_ref(byte)).is_err() {
                failed_at = Some(i);
                break;
            }
        }
        match first_error {
            None => {
                prop_assert_eq!(failed_at, None);
                prop_assert_eq!(v.finish(), Ok(()));
            }
            Some((valid_up_to, Some(len))) => {
                // std blames a maximal bad subpart of `len` bytes at `valid_up_to`: the
                // byte that proves it bad is its last byte (a byte never valid there) or
                // the one right after it. Nothing later is read first.
                let at = failed_at.expect("invalid input must fail while feeding");
                prop_assert!(at + 1 >= valid_up_to + len && at <= valid_up_to + len, "failed at {} for {:?}", at, first_error);
            }
            Some((_, None)) => {
                prop_assert_eq!(failed_at, None);
                prop_assert_eq!(v.finish(), Err(Utf8Error::Incomplete));
            }
        }
    }

    #[test]
    fn close_payload_round_trips(code in prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999], reason in ".{0,40}") {
        let reason: String = reason.chars().scan(0, |len, c| { *len += c.len_utf8(); (*len <= 123).then_some(c) }).collect();
        let frame = CloseFrame { code: CloseCode(code), reason: &reason };
        let mut out = [0u8; 125];
        let n = frame.encode(&mut out).unwrap();
        prop_assert_eq!(CloseFrame::parse(&out[..n]), Ok(Some(frame)));
    }

    #[test]
    fn close_parse_never_panics(payload in proptest::collection::vec(any::<u8>(), 0..130)) {
        let _ = CloseFrame::parse(&payload);
    }
}
