//! Section 9: limits and performance: large messages whole and in many fragments,
//! written in small pieces, and many small messages one after another.
//!
//! The peer under test must accept messages up to 16 MiB (the suite's runs raise
//! its limits to 64 MiB), in any number of fragments, and start its echo within
//! [`LARGE_WAIT`] of the suite's last write. Every case here is heavy: it runs alone.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{fragments, script, Case, Write};
use crate::check::{self, Want};
use crate::frame::{opcode, Frame};
use crate::verdict::Outcome;

/// Bound of a heavy case.
const HEAVY: Duration = Duration::from_secs(30);
/// The performance expectation: the echo of a large message starts within this
/// long after the suite's last write (a peer that processes frames and bytes in
/// linear time needs well under a second for any case here, even with a loaded
/// machine).
const LARGE_WAIT: Duration = Duration::from_secs(10);

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

fn size_name(n: usize) -> String {
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// A payload of `n` bytes: printable ASCII for text, every byte value for binary.
fn payload(n: usize, text: bool) -> Vec<u8> {
    if text {
        (0..n).map(|i| b'!' + (i % 94) as u8).collect()
    } else {
        (0..n).map(|i| (i % 251) as u8).collect()
    }
}

fn kind(text: bool) -> &'static str {
    if text {
        "text"
    } else {
        "binary"
    }
}

fn want(text: bool, data: Vec<u8>) -> Want {
    if text {
        Want::text(data)
    } else {
        Want::binary(data)
    }
}

fn op(text: bool) -> u8 {
    if text {
        opcode::TEXT
    } else {
        opcode::BINARY
    }
}

/// How a large message is cut and written.
#[derive(Clone, Copy)]
enum Shape {
    /// One frame, one write.
    Whole,
    /// Fragments of this size (see [`fragments`]), one write.
    Fragments(usize),
    /// One frame, written in pieces of this size.
    Chopped(usize),
}

/// A large message echoed; its payload and frames are built when the case runs.
fn large(id: &str, text: bool, n: usize, shape: Shape) -> Case {
    let how = match shape {
        Shape::Whole => "in one frame".to_owned(),
        Shape::Fragments(f) => format!(
            "in fragments of {} ({} frames, the last one carrying what remains), in one write",
            size_name(f),
            n / f + 1
        ),
        Shape::Chopped(c) => format!("in one frame, written in pieces of {c} bytes"),
    };
    Case::new(
        id,
        &format!("A {} message of {} {how}.", kind(text), size_name(n)),
        "The message is echoed unchanged, the echo starting within 10 s of the last write; \
         then a clean close.",
        script(move |conn| {
            Box::pin(async move {
                let data = payload(n, text);
                let write = match shape {
                    Shape::Whole => Write::Frames(vec![Frame::new(op(text), data.clone())]),
                    Shape::Fragments(f) => Write::Frames(fragments(op(text), &data, f)),
                    Shape::Chopped(c) => {
                        Write::Chopped(vec![Frame::new(op(text), data.clone())], c)
                    }
                };
                super::perform(conn, &[write]).await;
                check::expect_answers(conn, &[want(text, data)], LARGE_WAIT).await
            })
        }),
    )
    .heavy(HEAVY)
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (group, text) in [(1, true), (2, false)] {
        for (i, n) in [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB]
            .into_iter()
            .enumerate()
        {
            cases.push(large(
                &format!("9.{group}.{}", i + 1),
                text,
                n,
                Shape::Whole,
            ));
        }
    }
    let frag_sizes = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    for (group, text) in [(3, true), (4, false)] {
        for (i, f) in frag_sizes.into_iter().enumerate() {
            cases.push(large(
                &format!("9.{group}.{}", i + 1),
                text,
                4 * MIB,
                Shape::Fragments(f),
            ));
        }
    }
    for (group, text) in [(5, true), (6, false)] {
        for (i, chop) in [64, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            cases.push(large(
                &format!("9.{group}.{}", i + 1),
                text,
                MIB,
                Shape::Chopped(chop),
            ));
        }
    }
    for (group, text) in [(7, true), (8, false)] {
        for (i, n) in [0, 16, 64, 256, KIB, 4 * KIB].into_iter().enumerate() {
            cases.push(round_trips(&format!("9.{group}.{}", i + 1), text, n));
        }
    }
    let big = [
        (16 * MIB, 64 * KIB, true),
        (16 * MIB, 64 * KIB, false),
        (MIB, 1, true),
        (MIB, 1, false),
    ];
    for (i, (n, f, text)) in big.into_iter().enumerate() {
        cases.push(large(
            &format!("9.9.{}", i + 1),
            text,
            n,
            Shape::Fragments(f),
        ));
    }
    cases
}

/// Messages sent one at a time, each after the previous echo.
const ROUNDS: usize = 1000;

fn round_trips(id: &str, text: bool, n: usize) -> Case {
    let data = Arc::new(payload(n, text));
    Case::new(
        id,
        &format!(
            "{ROUNDS} {} messages of {}, each sent after the echo of the one before.",
            kind(text),
            size_name(n)
        ),
        "Every message is echoed, in order; then a clean close.",
        script(move |conn| {
            let data = data.clone();
            Box::pin(async move {
                let started = Instant::now();
                let wants = [want(text, data.to_vec())];
                for round in 0..ROUNDS {
                    let _ = conn.send(&[Frame::new(op(text), data.to_vec())]).await;
                    let got = check::collect(conn, &wants, check::ANSWER_WAIT).await;
                    let judged = check::judge_answers(&got.events, &wants);
                    if !judged.is_ok() || got.end.is_some() {
                        let end = got
                            .end
                            .map(|e| format!(" ({})", e.describe()))
                            .unwrap_or_default();
                        return Outcome::failed(format!(
                            "round {}: {}{end}",
                            round + 1,
                            judged.reason
                        ));
                    }
                }
                let note = format!(
                    "{ROUNDS} round trips in {} ms",
                    started.elapsed().as_millis()
                );
                Outcome::ok_with(note).and(check::close_normally(conn).await)
            })
        }),
    )
    .heavy(HEAVY)
}
