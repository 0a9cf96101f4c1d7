//! Section 3: reserved bits set without an extension that defines them.
//!
//! Where a valid message precedes the bad frame, a strict peer echoes it before it
//! fails the connection, whether both arrive in one write or in two.

use super::{send_expect_failure, Case, Write};
use crate::check::Want;
use crate::frame::Frame;

const HELLO: &str = "Hello, reserved bits!";

pub(super) fn cases() -> Vec<Case> {
    let expect_echo = "The valid message is echoed, then the connection is failed with 1002; \
                       the ping after the bad frame gets no pong.";
    let expect_fail = "The connection is failed with 1002; nothing is answered.";
    vec![
        Case::new(
            "3.1",
            "A text message with RSV1 set (no extension negotiated).",
            expect_fail,
            send_expect_failure(
                vec![Write::Frames(vec![Frame::text(HELLO).rsv(4)])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "3.2",
            "A valid text message, a text message with RSV2 set, and a ping, in one write.",
            expect_echo,
            send_expect_failure(
                vec![Write::Frames(vec![
                    Frame::text(HELLO),
                    Frame::text(HELLO).rsv(2),
                    Frame::ping(""),
                ])],
                vec![Want::text(HELLO)],
                vec![1002],
            ),
        ),
        Case::new(
            "3.3",
            "A valid text message; after a pause, a text message with RSV3 (bits 011) and a ping.",
            expect_echo,
            send_expect_failure(
                vec![
                    Write::Frames(vec![Frame::text(HELLO)]),
                    Write::Pause,
                    Write::Frames(vec![Frame::text(HELLO).rsv(3), Frame::ping("")]),
                ],
                vec![Want::text(HELLO)],
                vec![1002],
            ),
        ),
        Case::new(
            "3.4",
            "A valid text message, a text message with RSV bits 100, and a ping, written one byte at a time.",
            expect_echo,
            send_expect_failure(
                vec![Write::Chopped(
                    vec![Frame::text(HELLO), Frame::text(HELLO).rsv(4), Frame::ping("")],
                    1,
                )],
                vec![Want::text(HELLO)],
                vec![1002],
            ),
        ),
        Case::new(
            "3.5",
            "A binary message with RSV bits 101.",
            expect_fail,
            send_expect_failure(
                vec![Write::Frames(vec![Frame::binary(vec![0u8; 8]).rsv(5)])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "3.6",
            "A ping with RSV bits 110.",
            "The connection is failed with 1002; no pong.",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::ping("rsv").rsv(6)])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "3.7",
            "A close frame (1000) with RSV bits 111.",
            "The connection is failed with 1002.",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::close(1000, b"").rsv(7)])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "3.8",
            "A valid binary message, then a binary message with RSV bits 101, in one write.",
            "The valid message is echoed, then the connection is failed with 1002.",
            send_expect_failure(
                vec![Write::Frames(vec![
                    Frame::binary(vec![1u8; 16]),
                    Frame::binary(vec![2u8; 16]).rsv(5),
                ])],
                vec![Want::binary(vec![1u8; 16])],
                vec![1002],
            ),
        ),
        Case::new(
            "3.9",
            "A valid text message, then a ping with RSV bits 110, in one write.",
            "The valid message is echoed, then the connection is failed with 1002; no pong.",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::text(HELLO), Frame::ping("rsv").rsv(6)])],
                vec![Want::text(HELLO)],
                vec![1002],
            ),
        ),
        Case::new(
            "3.10",
            "A valid text message, then a close frame with RSV bits 111, in one write.",
            "The valid message is echoed, then the connection is failed with 1002.",
            send_expect_failure(
                vec![Write::Frames(vec![
                    Frame::text(HELLO),
                    Frame::close(1000, b"").rsv(7),
                ])],
                vec![Want::text(HELLO)],
                vec![1002],
            ),
        ),
    ]
}
