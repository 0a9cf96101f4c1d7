//! Section 5: fragmentation: fragmented messages with and without control frames
//! between fragments, continuations without a start, fragmented control frames, many
//! and tiny fragments.

use super::{fragments, send_expect, send_expect_failure, Case, Write};
use crate::check::Want;
use crate::frame::{opcode, Frame};

/// The three ways a group of frames is written.
fn ways(frames: Vec<Frame>) -> [(Vec<Write>, &'static str); 3] {
    let separate: Vec<Write> = frames
        .iter()
        .flat_map(|f| [Write::Frames(vec![f.clone()]), Write::Pause])
        .collect();
    [
        (vec![Write::Frames(frames.clone())], "in one write"),
        (separate, "each frame in its own write, with pauses"),
        (
            vec![Write::Chopped(frames, 1)],
            "written one byte at a time",
        ),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::new(
            "5.1",
            "A ping in two fragments (ping with FIN = 0, then a continuation).",
            "The connection is failed with 1002 (control frames must not be fragmented).",
            send_expect_failure(
                vec![Write::Frames(vec![
                    Frame::ping("frag").fin(false),
                    Frame::continuation("ment"),
                ])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "5.2",
            "A pong in two fragments.",
            "The connection is failed with 1002.",
            send_expect_failure(
                vec![Write::Frames(vec![
                    Frame::pong("frag").fin(false),
                    Frame::continuation("ment"),
                ])],
                vec![],
                vec![1002],
            ),
        ),
    ];
    let mut n = 3;
    // A text message in two fragments.
    for (writes, how) in ways(vec![
        Frame::text("frag").fin(false),
        Frame::continuation("ment"),
    ]) {
        cases.push(Case::new(
            &format!("5.{n}"),
            &format!("A text message in two fragments, {how}."),
            "The whole message is echoed.",
            send_expect(writes, vec![Want::text("fragment")]),
        ));
        n += 1;
    }
    // A ping between the fragments.
    for (writes, how) in ways(vec![
        Frame::text("frag").fin(false),
        Frame::ping("between"),
        Frame::continuation("ment"),
    ]) {
        cases.push(Case::new(
            &format!("5.{n}"),
            &format!("A text message in two fragments with a ping between them, {how}."),
            "The pong first (the ping arrived before the message was complete), then the echo.",
            send_expect(writes, vec![Want::pong("between"), Want::text("fragment")]),
        ));
        n += 1;
    }
    // A continuation with nothing to continue, FIN = 1 then FIN = 0.
    for fin in [true, false] {
        for (writes, how) in ways(vec![
            Frame::continuation("orphan").fin(fin),
            Frame::text("after"),
        ]) {
            cases.push(Case::new(
                &format!("5.{n}"),
                &format!(
                    "A continuation frame (FIN = {}) with no message to continue, then a text \
                     message, {how}.",
                    u8::from(fin)
                ),
                "The connection is failed with 1002; the text message is not echoed.",
                send_expect_failure(writes, vec![], vec![1002]),
            ));
            n += 1;
        }
    }
    // n == 15
    cases.push(Case::new(
        "5.15",
        "A text message in two fragments, then a continuation (FIN = 0) with nothing to \
         continue, then a text message, all in one write.",
        "The first message is echoed, then the connection is failed with 1002.",
        send_expect_failure(
            vec![Write::Frames(vec![
                Frame::text("frag").fin(false),
                Frame::continuation("ment"),
                Frame::continuation("orphan").fin(false),
                Frame::text("after"),
            ])],
            vec![Want::text("fragment")],
            vec![1002],
        ),
    ));
    for (id, fin) in [("5.16", false), ("5.17", true)] {
        let round = [
            Frame::continuation("orphan").fin(fin),
            Frame::text("frag").fin(false),
            Frame::continuation("ment"),
        ];
        cases.push(Case::new(
            id,
            &format!(
                "Twice: a continuation (FIN = {}) with nothing to continue, then a text message \
                 in two fragments; all in one write.",
                u8::from(fin)
            ),
            "The connection is failed with 1002 at the first frame; nothing is echoed.",
            send_expect_failure(
                vec![Write::Frames([round.clone(), round].concat())],
                vec![],
                vec![1002],
            ),
        ));
    }
    cases.push(Case::new(
        "5.18",
        "A text frame with FIN = 0, then another text frame (a new message inside the first).",
        "The connection is failed with 1002.",
        send_expect_failure(
            vec![Write::Frames(vec![
                Frame::text("first").fin(false),
                Frame::text("second"),
            ])],
            vec![],
            vec![1002],
        ),
    ));
    let pieces = ["one ", "two ", "three ", "four ", "five"];
    for (id, separate) in [("5.19", false), ("5.20", true)] {
        let part1 = vec![
            Frame::text(pieces[0]).fin(false),
            Frame::continuation(pieces[1]).fin(false),
            Frame::ping("first ping"),
        ];
        let part2 = vec![
            Frame::continuation(pieces[2]).fin(false),
            Frame::continuation(pieces[3]).fin(false),
            Frame::ping("second ping"),
            Frame::continuation(pieces[4]),
        ];
        let mut writes = Vec::new();
        for part in [part1, part2] {
            if separate {
                writes.extend(part.into_iter().map(|f| Write::Frames(vec![f])));
            } else {
                writes.push(Write::Frames(part));
            }
            writes.push(Write::Pause);
        }
        let how = if separate {
            "each frame in its own write"
        } else {
            "in two writes"
        };
        cases.push(Case::new(
            id,
            &format!(
                "A text message in five fragments, {how}: two fragments, a ping, a pause, two \
                 fragments, a ping, the last fragment."
            ),
            "Each ping is answered at once (the first before the message is complete), then \
             the whole message is echoed.",
            send_expect(
                writes,
                vec![
                    Want::pong("first ping"),
                    Want::pong("second ping"),
                    Want::text(pieces.concat()),
                ],
            ),
        ));
    }
    let many = "0123456789".repeat(1000);
    cases.push(Case::new(
        "5.21",
        "A text message of 10,000 bytes in 1,000 fragments of 10 bytes, in one write.",
        "The whole message is echoed.",
        send_expect(
            vec![Write::Frames(fragments(opcode::TEXT, many.as_bytes(), 10))],
            vec![Want::text(many.clone())],
        ),
    ));
    let bytes: Vec<u8> = (0..=255u8).collect();
    cases.push(Case::new(
        "5.22",
        "A binary message of 256 bytes in 1-byte fragments, in one write.",
        "The whole message is echoed.",
        send_expect(
            vec![Write::Frames(fragments(opcode::BINARY, &bytes, 1))],
            vec![Want::binary(bytes)],
        ),
    ));
    cases.push(Case::new(
        "5.23",
        "A text message whose first, a middle and last fragments are empty.",
        "The whole message is echoed.",
        send_expect(
            vec![Write::Frames(vec![
                Frame::text("").fin(false),
                Frame::continuation("abc").fin(false),
                Frame::continuation("").fin(false),
                Frame::continuation("def").fin(false),
                Frame::continuation(""),
            ])],
            vec![Want::text("abcdef")],
        ),
    ));
    cases.push(Case::new(
        "5.24",
        "A close frame (1000) with FIN = 0, then a continuation.",
        "The connection is failed with 1002.",
        send_expect_failure(
            vec![Write::Frames(vec![
                Frame::close(1000, b"").fin(false),
                Frame::continuation(""),
            ])],
            vec![],
            vec![1002],
        ),
    ));
    cases.push(Case::new(
        "5.25",
        "A binary frame with FIN = 0, then a text frame (a new message inside the first).",
        "The connection is failed with 1002.",
        send_expect_failure(
            vec![Write::Frames(vec![
                Frame::binary(vec![1, 2, 3]).fin(false),
                Frame::text("text"),
            ])],
            vec![],
            vec![1002],
        ),
    ));
    cases.push(Case::new(
        "5.26",
        "A binary message in two fragments with an unsolicited pong and a ping between them, \
         in one write.",
        "One pong (for the ping), then the echo.",
        send_expect(
            vec![Write::Frames(vec![
                Frame::binary(vec![9; 3]).fin(false),
                Frame::pong("unsolicited"),
                Frame::ping("ping"),
                Frame::continuation(vec![9; 4]),
            ])],
            vec![Want::pong("ping"), Want::binary(vec![9; 7])],
        ),
    ));
    cases
}
