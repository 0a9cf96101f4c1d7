//! Section 2: pings and pongs.

use std::sync::Arc;

use super::{script, send_expect, send_expect_failure, Case, Write};
use crate::check::{self, Want};
use crate::frame::Frame;
use crate::verdict::Outcome;

/// How many pings the flood cases send.
const FLOOD: usize = 10;

pub(super) fn cases() -> Vec<Case> {
    let binary: Vec<u8> = (0..=255u8).rev().take(40).collect();
    let mut cases = vec![
        Case::new(
            "2.1",
            "A ping without payload.",
            "A pong without payload; then a clean close.",
            send_expect(
                vec![Write::Frames(vec![Frame::ping("")])],
                vec![Want::pong("")],
            ),
        ),
        Case::new(
            "2.2",
            "A ping with a short text payload.",
            "A pong with the same payload.",
            send_expect(
                vec![Write::Frames(vec![Frame::ping("are you there?")])],
                vec![Want::pong("are you there?")],
            ),
        ),
        Case::new(
            "2.3",
            "A ping with a binary payload (bytes 0xFF down to 0xD8).",
            "A pong with the same payload.",
            send_expect(
                vec![Write::Frames(vec![Frame::ping(binary.clone())])],
                vec![Want::pong(binary)],
            ),
        ),
        Case::new(
            "2.4",
            "A ping with 125 bytes of payload, the most a control frame may carry.",
            "A pong with the same payload.",
            send_expect(
                vec![Write::Frames(vec![Frame::ping(vec![b'p'; 125])])],
                vec![Want::pong(vec![b'p'; 125])],
            ),
        ),
        Case::new(
            "2.5",
            "A ping with 126 bytes of payload (too long for a control frame).",
            "No pong; the connection is failed with 1002.",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::ping(vec![b'p'; 126])])],
                vec![],
                vec![1002],
            ),
        ),
        Case::new(
            "2.6",
            "A ping with 125 bytes of payload, written one byte at a time.",
            "A pong with the same payload.",
            send_expect(
                vec![Write::Chopped(vec![Frame::ping(vec![b'q'; 125])], 1)],
                vec![Want::pong(vec![b'q'; 125])],
            ),
        ),
        Case::new(
            "2.7",
            "An unsolicited pong without payload, then a close.",
            "Nothing in answer to the pong; a clean close.",
            send_expect(vec![Write::Frames(vec![Frame::pong("")])], vec![]),
        ),
        Case::new(
            "2.8",
            "An unsolicited pong with payload, then a close.",
            "Nothing in answer to the pong; a clean close.",
            send_expect(
                vec![Write::Frames(vec![Frame::pong("unsolicited")])],
                vec![],
            ),
        ),
        Case::new(
            "2.9",
            "An unsolicited pong, then a ping, in one write.",
            "Exactly one pong, with the ping's payload.",
            send_expect(
                vec![Write::Frames(vec![
                    Frame::pong("unsolicited"),
                    Frame::ping("solicited"),
                ])],
                vec![Want::pong("solicited")],
            ),
        ),
    ];
    cases.push(flood(
        "2.10",
        &format!("{FLOOD} pings with distinct payloads in one write."),
        Flood::OneWrite,
    ));
    cases.push(flood(
        "2.11",
        &format!("{FLOOD} pings with distinct payloads, written one byte at a time."),
        Flood::Bytewise,
    ));
    cases.push(flood(
        "2.12",
        &format!("{FLOOD} pings with distinct payloads, each in its own write, 20 ms apart."),
        Flood::Spaced,
    ));
    cases.push(Case::new(
        "2.13",
        "A ping with FIN = 0, then a continuation frame with FIN = 1 (a fragmented ping).",
        "No pong; the connection is failed with 1002 (control frames must not be fragmented).",
        send_expect_failure(
            vec![Write::Frames(vec![
                Frame::ping("frag").fin(false),
                Frame::continuation("mented"),
            ])],
            vec![],
            vec![1002],
        ),
    ));
    cases
}

/// How the pings of a flood case are written.
#[derive(Clone, Copy)]
enum Flood {
    OneWrite,
    Bytewise,
    Spaced,
}

/// Pings in a row: every ping its own pong, in order (strict); fewer pongs that
/// answer pings in order and end with the last are coalesced (NON-STRICT).
fn flood(id: &str, description: &str, how: Flood) -> Case {
    let pings: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..FLOOD)
            .map(|i| format!("ping #{i}").into_bytes())
            .collect(),
    );
    Case::new(
        id,
        description,
        "One pong per ping, in order, each with its ping's payload (RFC 6455 5.5.3 lets a \
         peer answer only the latest ping: NON-STRICT); then a clean close.",
        script(move |conn| {
            let pings = pings.clone();
            Box::pin(async move {
                let frames: Vec<Frame> = pings.iter().map(|p| Frame::ping(p.clone())).collect();
                match how {
                    Flood::OneWrite => {
                        let _ = conn.send(&frames).await;
                    }
                    Flood::Bytewise => {
                        let bytes = conn.encode(&frames);
                        let _ = conn
                            .send_chopped(&bytes, 1, std::time::Duration::ZERO)
                            .await;
                    }
                    Flood::Spaced => {
                        for f in frames {
                            let _ = conn.send(&[f]).await;
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    }
                }
                let wants: Vec<Want> = pings.iter().map(|p| Want::pong(p.clone())).collect();
                let got = check::collect(conn, &wants, check::ANSWER_WAIT).await;
                let answers = match check::judge_coalesced_pongs(&got.events, &pings) {
                    Some(coalesced) => coalesced,
                    None => check::judge_answers(&got.events, &wants),
                };
                let end = match &got.end {
                    None | Some(crate::conn::Event::Timeout) => check::close_normally(conn).await,
                    Some(e) => {
                        Outcome::failed(format!("the connection ended early: {}", e.describe()))
                    }
                };
                answers.and(end)
            })
        }),
    )
}
