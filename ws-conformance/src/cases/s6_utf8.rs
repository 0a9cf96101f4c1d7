//! Section 6: UTF-8 in text messages: valid and invalid sequences whole and
//! fragmented, fail-fast position, code points split across frames.
//!
//! The sequences follow the structure of Markus Kuhn's UTF-8 decoder stress test
//! (boundaries, lone and missing continuation bytes, impossible bytes, overlong
//! forms, surrogates, values above U+10FFFF); the lists here are this suite's own.

use std::sync::Arc;

use super::{script, send_expect, send_expect_failure, Case, Write};
use crate::check::{self, Stage, Want};
use crate::frame::Frame;

/// Valid UTF-8: "κόσμε" (Greek, 2-byte code points) plus wider ones.
const GREEK: &[u8] = "κόσμε".as_bytes();
const MIXED: &str = "Größe – 日本語 – 😀𝄞 ok";

/// One group of sequences: a title and its payloads, each valid or not.
struct Group {
    title: &'static str,
    seqs: Vec<(bool, Vec<u8>)>,
}

fn b(bytes: &[u8]) -> Vec<u8> {
    bytes.to_vec()
}

fn groups() -> Vec<Group> {
    vec![
        Group {
            title: "first and last code points of each length",
            seqs: vec![
                (true, b(&[0x00])),
                (true, b(&[0x7F])),
                (true, b(&[0xC2, 0x80])),
                (true, b(&[0xDF, 0xBF])),
                (true, b(&[0xE0, 0xA0, 0x80])),
                (true, b(&[0xEF, 0xBF, 0xBF])),
                (true, b(&[0xF0, 0x90, 0x80, 0x80])),
                (true, b(&[0xF4, 0x8F, 0xBF, 0xBF])),
            ],
        },
        Group {
            title: "around the surrogates and other edges (valid)",
            seqs: vec![
                (true, b(&[0xED, 0x9F, 0xBF])),
                (true, b(&[0xEE, 0x80, 0x80])),
                (true, b(&[0xEF, 0xBF, 0xBD])),
                (true, b(&[0xEF, 0xB7, 0x90])),
                (true, b(&[0xF0, 0x9F, 0xBF, 0xBE])),
                (true, [b"edited ".as_slice(), GREEK, b" ok"].concat()),
            ],
        },
        Group {
            title: "continuation bytes without a start",
            seqs: vec![
                (false, b(&[0x80])),
                (false, b(&[0xBF])),
                (false, b(&[0x80, 0xBF])),
                (false, b(&[0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF])),
                (false, (0x80..=0xBFu8).collect()),
                (false, [b"valid ".as_slice(), &[0x80], b" rest"].concat()),
            ],
        },
        Group {
            title: "start bytes followed by a space",
            seqs: vec![
                (false, b(&[0xC2, 0x20])),
                (false, b(&[0xDF, 0x20])),
                (false, b(&[0xE0, 0x20])),
                (false, b(&[0xEF, 0x20])),
                (false, b(&[0xF0, 0x20])),
                (false, b(&[0xF4, 0x20])),
                (false, (0xC2..=0xDFu8).flat_map(|c| [c, 0x20]).collect()),
            ],
        },
        Group {
            title: "sequences missing their last byte",
            seqs: vec![
                (false, b(&[0xC2])),
                (false, b(&[0xE0, 0xA0])),
                (false, b(&[0xF0, 0x90, 0x80])),
                (false, b(&[0xEF, 0xBF])),
                (false, b(&[0xF4, 0x8F, 0xBF])),
                (false, b(&[0xE2, 0x82, 0x41])),
                (false, b(&[0xC2, 0xE0, 0xA0, 0xF0, 0x90, 0x80])),
            ],
        },
        Group {
            title: "bytes that never appear in UTF-8",
            seqs: vec![
                (false, b(&[0xFE])),
                (false, b(&[0xFF])),
                (false, b(&[0xFE, 0xFE, 0xFF, 0xFF])),
                (false, b(&[0xC0])),
                (false, b(&[0xC1])),
                (false, b(&[0xF5, 0x80, 0x80, 0x80])),
                (false, b(&[0xF8, 0x88, 0x80, 0x80, 0x80])),
                (false, b(&[0xFC, 0x84, 0x80, 0x80, 0x80, 0x80])),
            ],
        },
        Group {
            title: "overlong forms",
            seqs: vec![
                (false, b(&[0xC0, 0xAF])),
                (false, b(&[0xE0, 0x80, 0xAF])),
                (false, b(&[0xF0, 0x80, 0x80, 0xAF])),
                (false, b(&[0xC1, 0xBF])),
                (false, b(&[0xE0, 0x9F, 0xBF])),
                (false, b(&[0xF0, 0x8F, 0xBF, 0xBF])),
                (false, b(&[0xC0, 0x80])),
                (false, b(&[0xE0, 0x80, 0x80])),
                (false, b(&[0xF0, 0x80, 0x80, 0x80])),
            ],
        },
        Group {
            title: "UTF-16 surrogates, alone and paired",
            seqs: vec![
                (false, b(&[0xED, 0xA0, 0x80])),
                (false, b(&[0xED, 0xAD, 0xBF])),
                (false, b(&[0xED, 0xAE, 0x80])),
                (false, b(&[0xED, 0xAF, 0xBF])),
                (false, b(&[0xED, 0xB0, 0x80])),
                (false, b(&[0xED, 0xBF, 0xBF])),
                (false, b(&[0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80])),
                (false, b(&[0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF])),
            ],
        },
        Group {
            title: "code points above U+10FFFF",
            seqs: vec![
                (false, b(&[0xF4, 0x90, 0x80, 0x80])),
                (false, b(&[0xF7, 0xBF, 0xBF, 0xBF])),
                (
                    false,
                    [GREEK, &[0xF4, 0x90, 0x80, 0x80], b"edited"].concat(),
                ),
            ],
        },
    ]
}

fn hex(bytes: &[u8]) -> String {
    if bytes.len() > 24 {
        return format!("{} bytes starting {}", bytes.len(), hex(&bytes[..8]));
    }
    bytes
        .iter()
        .map(|c| format!("{c:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A text frame, for fail-fast stages.
fn frame_bytes(conn: &mut crate::conn::Conn, frames: &[Frame]) -> Vec<u8> {
    conn.encode(frames)
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases =
        vec![
        Case::new(
            "6.1.1",
            "An empty text message.",
            "The empty message is echoed.",
            send_expect(vec![Write::Frames(vec![Frame::text("")])], vec![Want::text("")]),
        ),
        Case::new(
            "6.1.2",
            "An empty text message in three empty fragments.",
            "The empty message is echoed.",
            send_expect(
                vec![Write::Frames(vec![
                    Frame::text("").fin(false),
                    Frame::continuation("").fin(false),
                    Frame::continuation(""),
                ])],
                vec![Want::text("")],
            ),
        ),
        Case::new(
            "6.2.1",
            "Valid text with 2-, 3- and 4-byte code points in one frame.",
            "The message is echoed.",
            send_expect(vec![Write::Frames(vec![Frame::text(MIXED)])], vec![Want::text(MIXED)]),
        ),
        Case::new(
            "6.2.2",
            "The same text in fragments cut at code point boundaries.",
            "The message is echoed.",
            send_expect(
                vec![Write::Frames(cut_at_chars(MIXED))],
                vec![Want::text(MIXED)],
            ),
        ),
        Case::new(
            "6.2.3",
            "The same text in 1-byte fragments (every multi-byte code point split across frames).",
            "The message is echoed.",
            send_expect(
                vec![Write::Frames(super::fragments(
                    crate::frame::opcode::TEXT,
                    MIXED.as_bytes(),
                    1,
                ))],
                vec![Want::text(MIXED)],
            ),
        ),
        Case::new(
            "6.2.4",
            "The same text in one frame, written one byte at a time.",
            "The message is echoed.",
            send_expect(
                vec![Write::Chopped(vec![Frame::text(MIXED)], 1)],
                vec![Want::text(MIXED)],
            ),
        ),
    ];
    let invalid = [GREEK, &[0xED, 0xA0, 0x80], b"edited"].concat();
    cases.push(Case::new(
        "6.3.1",
        "Invalid text (a UTF-16 surrogate inside) in one frame.",
        "The connection is failed with 1007.",
        send_expect_failure(
            vec![Write::Frames(vec![Frame::text(invalid.clone())])],
            vec![],
            vec![1007],
        ),
    ));
    cases.push(Case::new(
        "6.3.2",
        "The same invalid text in 1-byte fragments, in one write.",
        "The connection is failed with 1007.",
        send_expect_failure(
            vec![Write::Frames(super::fragments(
                crate::frame::opcode::TEXT,
                &invalid,
                1,
            ))],
            vec![],
            vec![1007],
        ),
    ));
    cases.extend(fail_fast_cases());
    for (g, group) in groups().into_iter().enumerate() {
        for (i, (valid, seq)) in group.seqs.into_iter().enumerate() {
            let id = format!("6.{}.{}", g + 5, i + 1);
            let what = format!("A text message of {} ({}).", hex(&seq), group.title);
            cases.push(if valid {
                Case::new(
                    &id,
                    &what,
                    "Valid UTF-8: the message is echoed.",
                    send_expect(
                        vec![Write::Frames(vec![Frame::text(seq.clone())])],
                        vec![Want::text(seq)],
                    ),
                )
            } else {
                Case::new(
                    &id,
                    &what,
                    "Invalid UTF-8: the connection is failed with 1007.",
                    send_expect_failure(
                        vec![Write::Frames(vec![Frame::text(seq)])],
                        vec![],
                        vec![1007],
                    ),
                )
            });
        }
    }
    cases.extend(split_cases());
    cases
}

/// Fragments of a string cut before every few characters (never inside one).
fn cut_at_chars(s: &str) -> Vec<Frame> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (n, (i, _)) in s.char_indices().enumerate() {
        if n % 3 == 2 {
            pieces.push(&s[start..i]);
            start = i;
        }
    }
    pieces.push(&s[start..]);
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let f = if i == 0 {
                Frame::text(p)
            } else {
                Frame::continuation(p)
            };
            f.fin(i == last)
        })
        .collect()
}

/// How a fail-fast case is cut into writes.
enum Cut {
    /// Whole frames, one per write: (payload, fin) each; the bad byte is in frame `bad`.
    Frames(Vec<Vec<u8>>, usize),
    /// One frame cut into writes at these payload offsets; the bad byte is in piece
    /// `bad` (0 = the header and the first piece).
    Pieces(Vec<u8>, Vec<usize>, usize),
}

fn fail_fast_case(id: &str, description: &str, cut: Cut) -> Case {
    let cut = Arc::new(cut);
    Case::new(
        id,
        description,
        "Fail fast: the connection is failed with 1007 as soon as the frame with the invalid \
         byte is in, before the suite writes more (failing only at the end of the message is \
         NON-STRICT).",
        script(move |conn| {
            let cut = cut.clone();
            Box::pin(async move {
                let (stages, bad, strict_by) = match &*cut {
                    Cut::Frames(payloads, bad) => {
                        let last = payloads.len() - 1;
                        let stages: Vec<Stage> = payloads
                            .iter()
                            .enumerate()
                            .map(|(i, p)| {
                                let f = if i == 0 {
                                    Frame::text(p.clone())
                                } else {
                                    Frame::continuation(p.clone())
                                };
                                Stage {
                                    bytes: frame_bytes(conn, &[f.fin(i == last)]),
                                    label: format!("fragment {} of {}", i + 1, last + 1),
                                }
                            })
                            .collect();
                        (stages, *bad, *bad)
                    }
                    Cut::Pieces(payload, offsets, bad) => {
                        let bytes = frame_bytes(conn, &[Frame::text(payload.clone())]);
                        let header = bytes.len() - payload.len();
                        let mut bounds = vec![0];
                        bounds.extend(offsets.iter().map(|o| header + o));
                        bounds.push(bytes.len());
                        let n = bounds.len() - 1;
                        let stages: Vec<Stage> = bounds
                            .windows(2)
                            .enumerate()
                            .map(|(i, w)| Stage {
                                bytes: bytes[w[0]..w[1]].to_vec(),
                                label: format!("piece {} of {} of the frame", i + 1, n),
                            })
                            .collect();
                        (stages, *bad, n - 1)
                    }
                };
                check::fail_fast(conn, &stages, bad, strict_by, &[1007]).await
            })
        }),
    )
}

fn fail_fast_cases() -> Vec<Case> {
    let bad4 = [0xF4u8, 0x90, 0x80, 0x80];
    vec![
        fail_fast_case(
            "6.4.1",
            "Text in three fragments, each in its own write with a pause: valid; a code point \
             above U+10FFFF (F4 90 80 80); more text.",
            Cut::Frames(vec![b(GREEK), b(&bad4), b(b"edited")], 1),
        ),
        fail_fast_case(
            "6.4.2",
            "Text in three fragments, separately written: valid text ending with F4; then 90 80 \
             80 (invalid at its first byte); more text.",
            Cut::Frames(
                vec![
                    [GREEK, &[0xF4]].concat(),
                    b(&[0x90, 0x80, 0x80]),
                    b(b"edited"),
                ],
                1,
            ),
        ),
        fail_fast_case(
            "6.4.3",
            "One text frame written in three pieces with pauses: the header and valid text; F4 90 \
             80 80; more text.",
            Cut::Pieces(
                [GREEK, &bad4, b"edited"].concat(),
                vec![GREEK.len(), GREEK.len() + 4],
                1,
            ),
        ),
        fail_fast_case(
            "6.4.4",
            "One text frame written in three pieces with pauses: the header, valid text and F4; \
             the byte 90; the rest.",
            Cut::Pieces(
                [GREEK, &bad4, b"edited"].concat(),
                vec![GREEK.len() + 1, GREEK.len() + 2],
                1,
            ),
        ),
        fail_fast_case(
            "6.4.5",
            "Text in three fragments, separately written: the first holds C0 (never valid); two \
             valid fragments follow.",
            Cut::Frames(vec![b(&[b'a', 0xC0, b'b']), b(b"valid"), b(b"more")], 0),
        ),
        fail_fast_case(
            "6.4.6",
            "Text in three fragments, separately written: valid; a UTF-16 surrogate (ED A0 80) \
             in the middle of the second; valid.",
            Cut::Frames(
                vec![
                    b(b"before"),
                    b(&[b'x', 0xED, 0xA0, 0x80, b'y']),
                    b(b"after"),
                ],
                1,
            ),
        ),
    ]
}

/// Code points split across two fragments: valid ones echo, invalid ones fail fast
/// at the fragment that holds the first bad byte.
fn split_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut n = 1;
    for cp in ["¢", "€", "😀"] {
        let bytes = cp.as_bytes();
        for at in 1..bytes.len() {
            let message = [b"ab".as_slice(), bytes, b"cd"].concat();
            cases.push(Case::new(
                &format!("6.14.{n}"),
                &format!(
                    "Text \"ab{cp}cd\" in two fragments, {cp} ({}) split after its byte {at}.",
                    hex(bytes)
                ),
                "The message is echoed.",
                send_expect(
                    vec![Write::Frames(vec![
                        Frame::text(message[..2 + at].to_vec()).fin(false),
                        Frame::continuation(message[2 + at..].to_vec()),
                    ])],
                    vec![Want::text(message)],
                ),
            ));
            n += 1;
        }
    }
    let invalid: [(&[u8], &[u8], &str); 4] = [
        (&[0xED], &[0xA0, 0x80], "a surrogate ED | A0 80"),
        (
            &[0xF4],
            &[0x90, 0x80, 0x80],
            "above U+10FFFF, F4 | 90 80 80",
        ),
        (&[0xE0], &[0x80, 0x80], "an overlong form, E0 | 80 80"),
        (
            &[0xF0, 0x9F],
            &[0x98, 0x20],
            "a 4-byte code point cut short, F0 9F | 98 20",
        ),
    ];
    for (first, second, what) in invalid {
        cases.push(fail_fast_case(
            &format!("6.14.{n}"),
            &format!(
                "Text in three fragments, separately written, with {what} split across the first \
                 two; valid text follows."
            ),
            Cut::Frames(
                vec![
                    [b"ab".as_slice(), first].concat(),
                    [second, b"cd".as_slice()].concat(),
                    b(b"ef"),
                ],
                1,
            ),
        ));
        n += 1;
    }
    cases.push(fail_fast_case(
        &format!("6.14.{n}"),
        "Text in three fragments, separately written: \"ab\"; E2 82 (a code point begun); an \
         empty final fragment, which leaves it unfinished.",
        Cut::Frames(vec![b(b"ab"), b(&[0xE2, 0x82]), Vec::new()], 2),
    ));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_validity_agrees_with_std() {
        for g in groups() {
            for (valid, seq) in g.seqs {
                assert_eq!(
                    std::str::from_utf8(&seq).is_ok(),
                    valid,
                    "{}: {}",
                    g.title,
                    hex(&seq)
                );
            }
        }
    }

    #[test]
    fn character_cuts_rebuild_the_text() {
        let frames = cut_at_chars(MIXED);
        assert!(frames.len() > 3);
        let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
        assert_eq!(joined, MIXED.as_bytes());
        for f in &frames {
            assert!(std::str::from_utf8(&f.payload).is_ok());
        }
        assert!(frames.last().unwrap().fin && !frames[0].fin);
    }
}
