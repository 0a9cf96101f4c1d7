//! Section 7: the close handshake: data around a close, status codes valid and
//! invalid, reason lengths, malformed close payloads.

use std::sync::Arc;

use tokio::time::Instant;

use super::{script, send_expect, Case, Write};
use crate::check::{self, Want, CLOSE_WAIT};
use crate::conn::Event;
use crate::frame::Frame;
use crate::verdict::Outcome;

/// What the peer must do with the suite's close frame.
#[derive(Clone)]
enum Answer {
    /// Answer with this code, or 1000, or no code (all strict).
    Echo(u16),
    /// Fail the connection with one of these codes (the close was invalid).
    Fail(Vec<u16>),
    /// No verdict: record the answer.
    Record,
}

/// Sends `frames` (a close among them) in one write, then judges the answer.
fn close_case(
    id: &str,
    description: &str,
    expectation: &str,
    frames: Vec<Frame>,
    answer: Answer,
) -> Case {
    let frames = Arc::new(frames);
    Case::new(
        id,
        description,
        expectation,
        script(move |conn| {
            let (frames, answer) = (frames.clone(), answer.clone());
            Box::pin(async move {
                let _ = conn.send(&frames).await;
                let deadline = Instant::now() + CLOSE_WAIT;
                loop {
                    let event = conn.next_event(deadline).await;
                    let judged = match (&event, &answer) {
                        (Event::Ping(_), _) => continue,
                        (Event::Close(code, reason), Answer::Echo(sent)) => match code {
                            None => Outcome::ok(),
                            Some(c) if c == sent || *c == 1000 => Outcome::ok(),
                            Some(c) => Outcome::non_strict(format!(
                                "answered our close {sent} with {c} (the usual answer echoes the code)"
                            )),
                        }
                        .and(if reason.is_empty() {
                            Outcome::ok()
                        } else {
                            Outcome::ok_with(format!("close reason {reason:?}"))
                        }),
                        (Event::Close(code, _), Answer::Fail(codes)) => {
                            check::judge_close_code(*code, codes)
                        }
                        (Event::Close(..), Answer::Record) => {
                            Outcome::info(format!("answered with {}", event.describe()))
                        }
                        (Event::Eof | Event::Reset(_), Answer::Fail(_)) => Outcome::non_strict(
                            format!("{} without a close frame", event.describe()),
                        ),
                        (Event::Eof | Event::Reset(_), Answer::Record) => {
                            Outcome::info(format!("{} without a close frame", event.describe()))
                        }
                        (Event::Eof | Event::Reset(_), Answer::Echo(_)) => Outcome::failed(format!(
                            "the connection ended without a close frame in answer to ours ({})",
                            event.describe()
                        )),
                        (Event::Timeout, _) => Outcome::failed(format!(
                            "no close frame in answer to ours within {} s",
                            CLOSE_WAIT.as_secs()
                        )),
                        (Event::Message(_) | Event::Pong(_), _) => Outcome::failed(format!(
                            "answered a frame sent after our close: {}",
                            event.describe()
                        )),
                        (Event::Violation(v), _) => Outcome::failed(format!("sent {v}")),
                    };
                    return match event {
                        Event::Close(..) => judged.and(check::finish_tcp(conn).await),
                        _ => judged,
                    };
                }
            })
        }),
    )
}

pub(super) fn cases() -> Vec<Case> {
    let normal = "A close frame in answer (1000, or no code), no other frame, and the TCP \
                  connection closed by the server.";
    let mut cases = vec![
        Case::new(
            "7.1.1",
            "A text message, then (after its echo) a close frame 1000.",
            "The echo, then a clean close.",
            send_expect(vec![Write::Frames(vec![Frame::text("before the close")])], vec![Want::text("before the close")]),
        ),
        close_case(
            "7.1.2",
            "Two close frames (1000) in one write.",
            "One close frame in answer; the second close is ignored.",
            vec![Frame::close(1000, b""), Frame::close(1000, b"")],
            Answer::Echo(1000),
        ),
        close_case(
            "7.1.3",
            "A close frame, then a ping, in one write.",
            "The close is answered; the ping after it is not.",
            vec![Frame::close(1000, b""), Frame::ping("after close")],
            Answer::Echo(1000),
        ),
        close_case(
            "7.1.4",
            "A close frame, then a text message, in one write.",
            "The close is answered; the message after it is not echoed.",
            vec![Frame::close(1000, b""), Frame::text("after close")],
            Answer::Echo(1000),
        ),
        close_case(
            "7.1.5",
            "The first fragment of a text message, a close frame, then the last fragment, in one write.",
            "The close is answered (a close may interrupt a fragmented message); nothing is echoed.",
            vec![
                Frame::text("frag").fin(false),
                Frame::close(1000, b""),
                Frame::continuation("ment"),
            ],
            Answer::Echo(1000),
        ),
        large_then_close(),
        close_case(
            "7.3.1",
            "A close frame with an empty payload.",
            normal,
            vec![Frame::close_raw(Vec::new())],
            Answer::Echo(1000),
        ),
        close_case(
            "7.3.2",
            "A close frame with a 1-byte payload (half a status code).",
            "The connection is failed with 1002.",
            vec![Frame::close_raw(vec![0x03])],
            Answer::Fail(vec![1002]),
        ),
        close_case(
            "7.3.3",
            "A close frame with status 1000 and no reason.",
            normal,
            vec![Frame::close(1000, b"")],
            Answer::Echo(1000),
        ),
        close_case(
            "7.3.4",
            "A close frame with status 1000 and a short reason.",
            normal,
            vec![Frame::close(1000, b"done here")],
            Answer::Echo(1000),
        ),
        close_case(
            "7.3.5",
            "A close frame with status 1000 and a 123-byte reason (a 125-byte payload, the most allowed).",
            normal,
            vec![Frame::close(1000, &[b'r'; 123])],
            Answer::Echo(1000),
        ),
        close_case(
            "7.3.6",
            "A close frame with status 1000 and a 124-byte reason (126 bytes: too long for a control frame).",
            "The connection is failed with 1002.",
            vec![Frame::close(1000, &[b'r'; 124])],
            Answer::Fail(vec![1002]),
        ),
        close_case(
            "7.5.1",
            "A close frame with status 1000 and a reason that is not valid UTF-8.",
            "The connection is failed with 1007.",
            vec![Frame::close(1000, &[b'o', b'k', 0xED, 0xA0, 0x80])],
            Answer::Fail(vec![1007]),
        ),
    ];
    let valid = [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ];
    for (i, code) in valid.into_iter().enumerate() {
        cases.push(close_case(
            &format!("7.7.{}", i + 1),
            &format!("A close frame with the valid status code {code}."),
            &format!("A close frame in answer with {code} (or 1000), then the TCP close."),
            vec![Frame::close(code, b"")],
            Answer::Echo(code),
        ));
    }
    let invalid = [0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999];
    for (i, code) in invalid.into_iter().enumerate() {
        cases.push(close_case(
            &format!("7.9.{}", i + 1),
            &format!("A close frame with the status code {code}, which may not be sent."),
            "The connection is failed with 1002.",
            vec![Frame::close(code, b"")],
            Answer::Fail(vec![1002]),
        ));
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        cases.push(close_case(
            &format!("7.13.{}", i + 1),
            &format!(
                "A close frame with the status code {code}, outside every range RFC 6455 defines."
            ),
            "No verdict (RFC 6455 leaves codes above 4999 undefined): the answer is recorded.",
            vec![Frame::close(code, b"")],
            Answer::Record,
        ));
    }
    cases
}

/// 7.1.6: a large message and a close in one write. Whether the echo goes out
/// before the close answer is the peer's choice (RFC 6455 1.4, 5.5.1): recorded.
fn large_then_close() -> Case {
    const SIZE: usize = 256 * 1024;
    Case::new(
        "7.1.6",
        "A text message of 256 KiB, then a close frame, in one write.",
        "No verdict on the echo (the peer may echo before answering the close, or not); the \
         close must be answered and the TCP connection closed.",
        script(|conn| {
            Box::pin(async move {
                let data = vec![b'L'; SIZE];
                let _ = conn
                    .send(&[Frame::text(data.clone()), Frame::close(1000, b"")])
                    .await;
                let got = check::collect_until_end(conn, CLOSE_WAIT).await;
                let echoed = got.events.len() == 1 && Want::text(data).matches(&got.events[0]);
                match got.end {
                    Some(Event::Close(..)) if got.events.is_empty() || echoed => {
                        let what = if echoed {
                            "echoed the message, then answered the close"
                        } else {
                            "answered the close without echoing the message"
                        };
                        Outcome::info(what).and(check::finish_tcp(conn).await)
                    }
                    Some(Event::Close(..)) => Outcome::failed(format!(
                        "before its close: {}",
                        got.events
                            .iter()
                            .map(Event::describe)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(other) => Outcome::failed(format!(
                        "instead of a close frame in answer to ours: {}",
                        other.describe()
                    )),
                    None => Outcome::failed("no close frame in answer to ours"),
                }
            })
        }),
    )
}
