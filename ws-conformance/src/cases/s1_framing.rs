//! Section 1: text and binary messages of every length encoding, in one frame.

use super::{filled, send_expect, Case, Write};
use crate::check::Want;
use crate::frame::Frame;

/// Payload lengths around the 7-bit, 16-bit and 64-bit length encodings.
const SIZES: [usize; 9] = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537];

/// Chop size of the last case of each group: odd, so headers split across writes.
const CHOP: usize = 997;

pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (group, text) in [(1, true), (2, false)] {
        let kind = if text { "text" } else { "binary" };
        let byte = if text { b'*' } else { 0xFE };
        let frame = |data: Vec<u8>| {
            if text {
                Frame::text(data)
            } else {
                Frame::binary(data)
            }
        };
        let want = |data: Vec<u8>| {
            if text {
                Want::text(data)
            } else {
                Want::binary(data)
            }
        };
        for (i, &n) in SIZES.iter().enumerate() {
            let data = filled(n, byte);
            cases.push(Case::new(
                &format!("1.{group}.{}", i + 1),
                &format!("A {kind} message of {n} bytes in one frame."),
                "The message is echoed unchanged; then a clean close.",
                send_expect(
                    vec![Write::Frames(vec![frame(data.clone())])],
                    vec![want(data)],
                ),
            ));
        }
        let data = filled(65536, byte);
        cases.push(Case::new(
            &format!("1.{group}.{}", SIZES.len() + 1),
            &format!(
                "A {kind} message of 65536 bytes in one frame, written in pieces of {CHOP} bytes."
            ),
            "The message is echoed unchanged; then a clean close.",
            send_expect(
                vec![Write::Chopped(vec![frame(data.clone())], CHOP)],
                vec![want(data)],
            ),
        ));
    }
    cases
}
