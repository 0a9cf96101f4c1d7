//! Section 4: reserved opcodes (3-7 data, 11-15 control), alone and after a valid
//! message (one write, separate writes, byte by byte).

use super::{send_expect_failure, Case, Write};
use crate::check::Want;
use crate::frame::Frame;

const HELLO: &str = "Hello, opcodes!";

pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (group, ops, kind) in [
        (1, [3u8, 4, 5, 6, 7], "data"),
        (2, [11, 12, 13, 14, 15], "control"),
    ] {
        for (i, op) in ops.into_iter().enumerate() {
            let bad = Frame::new(
                op,
                if i % 2 == 1 {
                    b"payload".to_vec()
                } else {
                    Vec::new()
                },
            );
            let with = if bad.payload.is_empty() {
                "without"
            } else {
                "with"
            };
            let id = format!("4.{group}.{}", i + 1);
            let case = match i {
                0 | 1 => Case::new(
                    &id,
                    &format!("A frame with the reserved {kind} opcode {op}, {with} payload."),
                    "The connection is failed with 1002; nothing is answered.",
                    send_expect_failure(vec![Write::Frames(vec![bad])], vec![], vec![1002]),
                ),
                2 | 3 => Case::new(
                    &id,
                    &format!(
                        "A valid text message, a frame with the reserved {kind} opcode {op} {with} \
                         payload, and a ping, in one write."
                    ),
                    "The valid message is echoed, then the connection is failed with 1002; no pong.",
                    send_expect_failure(
                        vec![Write::Frames(vec![Frame::text(HELLO), bad, Frame::ping("")])],
                        vec![Want::text(HELLO)],
                        vec![1002],
                    ),
                ),
                _ => Case::new(
                    &id,
                    &format!(
                        "A valid text message, a frame with the reserved {kind} opcode {op}, and \
                         a ping, written one byte at a time."
                    ),
                    "The valid message is echoed, then the connection is failed with 1002; no pong.",
                    send_expect_failure(
                        vec![Write::Chopped(
                            vec![Frame::text(HELLO), bad, Frame::ping("")],
                            1,
                        )],
                        vec![Want::text(HELLO)],
                        vec![1002],
                    ),
                ),
            };
            cases.push(case);
        }
    }
    cases.push(Case::new(
        "4.3.1",
        "A valid text message; after a pause, a frame with the reserved data opcode 3.",
        "The valid message is echoed, then the connection is failed with 1002.",
        send_expect_failure(
            vec![
                Write::Frames(vec![Frame::text(HELLO)]),
                Write::Pause,
                Write::Frames(vec![Frame::new(3, "")]),
            ],
            vec![Want::text(HELLO)],
            vec![1002],
        ),
    ));
    cases
}
