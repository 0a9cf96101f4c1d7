//! Section 10: the peer's own fragmentation of what it echoes. Any fragmentation is
//! allowed; the suite reassembles and checks the message, and notes the frame count.

use std::sync::Arc;

use super::{script, Case};
use crate::check::{self, Want};
use crate::conn::Event;
use crate::frame::Frame;
use crate::verdict::Outcome;

pub(super) fn cases() -> Vec<Case> {
    [
        ("10.1.1", true, 65536usize),
        ("10.1.2", false, 65536),
        ("10.1.3", true, 1 << 20),
        ("10.1.4", false, 1 << 20),
    ]
    .into_iter()
    .map(|(id, text, n)| {
        let data = Arc::new(if text {
            "autofragment ".repeat(n / 13 + 1).into_bytes()[..n].to_vec()
        } else {
            (0..n).map(|i| (i * 7 % 256) as u8).collect()
        });
        let kind = if text { "text" } else { "binary" };
        Case::new(
            id,
            &format!("A {kind} message of {n} bytes in one frame."),
            "The message is echoed, in as many frames as the peer likes (the count is noted).",
            script(move |conn| {
                let data = data.clone();
                Box::pin(async move {
                    let frame = if text {
                        Frame::text(data.to_vec())
                    } else {
                        Frame::binary(data.to_vec())
                    };
                    let _ = conn.send(&[frame]).await;
                    let wants = [if text {
                        Want::text(data.to_vec())
                    } else {
                        Want::binary(data.to_vec())
                    }];
                    let got = check::collect(conn, &wants, check::ANSWER_WAIT).await;
                    let frames = match got.events.first() {
                        Some(Event::Message(m)) => m.frames,
                        _ => 0,
                    };
                    Outcome::ok_with(format!("echoed in {frames} frame(s)"))
                        .and(check::answers_then_close(conn, &got, &wants).await)
                })
            }),
        )
    })
    .collect()
}
