//! Section 12: permessage-deflate with the default parameters: payloads of several
//! kinds and sizes, compressed messages in fragments, uncompressed messages on a
//! deflate connection, and compressed frames that break the rules.

use std::sync::Arc;

use super::payloads::Kind;
use super::{fragments, script, send_expect_failure, Case, Script, Write};
use crate::check::{self, Want};
use crate::conn::Event;
use crate::deflate::DeflateParams;
use crate::frame::{opcode, Frame};
use crate::verdict::Outcome;

const SIZES: [usize; 9] = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20];

/// Which of a case's messages the suite sends compressed.
#[derive(Clone, Copy, Debug)]
pub(super) enum Compress {
    Always,
    Never,
    Alternate,
}

/// Messages echoed one after another (each sent after the previous echo); payloads
/// are built when the case runs. The echoes may come compressed or not; the note
/// says how many were.
pub(super) fn deflate_echo(
    kind: Kind,
    size: usize,
    count: usize,
    fragment: Option<usize>,
    compress: Compress,
) -> Script {
    script(move |conn| {
        Box::pin(async move {
            let op = if kind.is_text() {
                opcode::TEXT
            } else {
                opcode::BINARY
            };
            let mut peer_compressed = 0;
            for i in 0..count {
                let data = kind.make(size, i as u64);
                let squeeze = match compress {
                    Compress::Always => true,
                    Compress::Never => false,
                    Compress::Alternate => i % 2 == 0,
                };
                let payload = if squeeze {
                    match conn.compress(&data) {
                        Some(p) => p,
                        None => return Outcome::failed("permessage-deflate is not in effect"),
                    }
                } else {
                    data.clone()
                };
                let mut frames = match fragment {
                    Some(f) => fragments(op, &payload, f),
                    None => vec![Frame::new(op, payload)],
                };
                if squeeze {
                    frames[0].rsv = 4;
                }
                let _ = conn.send(&frames).await;
                let wants = [if kind.is_text() {
                    Want::text(data)
                } else {
                    Want::binary(data)
                }];
                let got = check::collect(conn, &wants, check::ANSWER_WAIT).await;
                let judged = check::judge_answers(&got.events, &wants);
                if !judged.is_ok() || got.end.is_some() {
                    let end = got
                        .end
                        .map(|e| format!(" ({})", e.describe()))
                        .unwrap_or_default();
                    return Outcome::failed(format!(
                        "message {} of {count}: {}{end}",
                        i + 1,
                        judged.reason
                    ));
                }
                if let Some(Event::Message(m)) = got.events.first() {
                    peer_compressed += usize::from(m.compressed);
                }
            }
            let agreed = conn.deflate().map(|d| d.describe()).unwrap_or_default();
            Outcome::ok_with(format!(
                "agreed {agreed}; {count} message(s) echoed, {peer_compressed} of the echoes \
                 compressed"
            ))
            .and(check::close_normally(conn).await)
        })
    })
}

/// How many messages a case of this size sends: about 1 MiB in all, 2 to 50.
pub(super) fn count_for(size: usize) -> usize {
    ((1 << 20) / size.max(1)).clamp(2, 50)
}

pub(super) fn cases() -> Vec<Case> {
    let default = DeflateParams::default();
    let mut cases = Vec::new();
    let kinds = [
        Kind::Words,
        Kind::Json,
        Kind::Unicode,
        Kind::Random,
        Kind::Repeating,
    ];
    for (g, kind) in kinds.into_iter().enumerate() {
        for (i, size) in SIZES.into_iter().enumerate() {
            let count = count_for(size);
            cases.push(
                Case::new(
                    &format!("12.{}.{}", g + 1, i + 1),
                    &format!(
                        "{count} compressed messages of {size} bytes of {}, one after another.",
                        kind.name()
                    ),
                    "Every message is echoed exactly (compressed or not, as the peer likes).",
                    deflate_echo(kind, size, count, None, Compress::Always),
                )
                .with_deflate(default),
            );
        }
    }
    let mixed = [
        (
            Kind::Words,
            65536,
            Some(1024),
            Compress::Always,
            "compressed, in 1 KiB fragments",
        ),
        (
            Kind::Repeating,
            262144,
            Some(4096),
            Compress::Always,
            "compressed, in 4 KiB fragments",
        ),
        (
            Kind::Json,
            4096,
            Some(1),
            Compress::Always,
            "compressed, in 1-byte fragments",
        ),
        (
            Kind::Unicode,
            4096,
            None,
            Compress::Never,
            "uncompressed (RSV1 clear)",
        ),
        (
            Kind::Words,
            16384,
            None,
            Compress::Alternate,
            "alternately compressed and not",
        ),
    ];
    for (i, (kind, size, fragment, compress, how)) in mixed.into_iter().enumerate() {
        let count = count_for(size).min(10);
        cases.push(
            Case::new(
                &format!("12.6.{}", i + 1),
                &format!(
                    "{count} messages of {size} bytes of {}, {how}.",
                    kind.name()
                ),
                "Every message is echoed exactly.",
                deflate_echo(kind, size, count, fragment, compress),
            )
            .with_deflate(default),
        );
    }
    cases.extend(broken_cases(default));
    cases
}

/// Compressed frames that break RFC 7692.
fn broken_cases(default: DeflateParams) -> Vec<Case> {
    let compressed_pair = |build: fn(Vec<u8>) -> Vec<Frame>| -> Script {
        let build = Arc::new(build);
        script(move |conn| {
            let build = build.clone();
            Box::pin(async move {
                let Some(payload) = conn.compress(b"compressed across two frames") else {
                    return Outcome::failed("permessage-deflate is not in effect");
                };
                let frames = build(payload);
                let _ = conn.send(&frames).await;
                check::expect_failure(conn, &[], &[1002]).await
            })
        })
    };
    let bad_utf8 = script(|conn| {
        Box::pin(async move {
            let Some(payload) = conn.compress(&[b'o', b'k', 0xED, 0xA0, 0x80]) else {
                return Outcome::failed("permessage-deflate is not in effect");
            };
            let _ = conn.send(&[Frame::text(payload).rsv(4)]).await;
            check::expect_failure(conn, &[], &[1007]).await
        })
    });
    vec![
        Case::new(
            "12.7.1",
            "A compressed text message in two fragments with RSV1 set on the continuation too.",
            "The connection is failed with 1002 (RSV1 belongs on the first frame only).",
            compressed_pair(|p| {
                let half = p.len() / 2;
                vec![
                    Frame::text(p[..half].to_vec()).rsv(4).fin(false),
                    Frame::continuation(p[half..].to_vec()).rsv(4),
                ]
            }),
        )
        .with_deflate(default),
        Case::new(
            "12.7.2",
            "A ping with RSV1 set on a deflate connection.",
            "The connection is failed with 1002 (control frames are never compressed).",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::ping("rsv1").rsv(4)])],
                vec![],
                vec![1002],
            ),
        )
        .with_deflate(default),
        Case::new(
            "12.7.3",
            "A text message with RSV1 set whose payload is not deflate data.",
            "The connection is failed with 1007 or 1002 (RFC 7692 names no code).",
            send_expect_failure(
                vec![Write::Frames(vec![Frame::text(vec![0xFF; 12]).rsv(4)])],
                vec![],
                vec![1007, 1002],
            ),
        )
        .with_deflate(default),
        Case::new(
            "12.7.4",
            "A compressed text message that inflates to invalid UTF-8.",
            "The connection is failed with 1007.",
            bad_utf8,
        )
        .with_deflate(default),
        Case::new(
            "12.7.5",
            "A valid compressed text message, then a compressed continuation with nothing to \
             continue, in one write.",
            "The valid message is echoed, then the connection is failed with 1002.",
            script(|conn| {
                Box::pin(async move {
                    let Some(payload) = conn.compress(b"valid first") else {
                        return Outcome::failed("permessage-deflate is not in effect");
                    };
                    let _ = conn
                        .send(&[Frame::text(payload).rsv(4), Frame::continuation(vec![0x00])])
                        .await;
                    check::expect_failure(conn, &[Want::text("valid first")], &[1002]).await
                })
            }),
        )
        .with_deflate(default),
    ]
}
