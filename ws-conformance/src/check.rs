//! The building blocks of cases, and the strict rules they apply.
//!
//! Strict expectations (each a function below):
//! * **Answers in order** ([`judge_answers`]): the peer answers exactly what was
//!   wanted, in order: every ping its own pong with its payload, every message its
//!   echo. Pings from the peer are ignored.
//! * **In-order failure** ([`expect_failure`]): when valid messages precede a
//!   violation in the same write, their echoes arrive before the close frame.
//!   Missing echoes are NON-STRICT; anything answered after the violation is FAILED.
//! * **Close codes** ([`judge_close_code`]): a protocol error closes with 1002, invalid
//!   UTF-8 with 1007 (per case). Another error code, or a close frame without a code,
//!   is NON-STRICT; a normal code (1000, 1001) for an error is FAILED. Dropping the
//!   connection without a close frame is NON-STRICT (RFC 6455 7.1.7 allows it).
//! * **Fail fast** ([`fail_fast`]): invalid UTF-8 fails the connection once the
//!   frame that carries the bad byte is in, before the suite sends anything more;
//!   failing only later (at the end of the message) is NON-STRICT.
//! * **Clean close** ([`close_normally`], [`finish_after_peer_close`]): a close frame
//!   is answered with a close frame within [`CLOSE_WAIT`]; answering 1000 with another
//!   code is NON-STRICT. After the close handshake the server closes the TCP
//!   connection (RFC 6455 7.1.1): as client the suite waits [`TCP_CLOSE_WAIT`] for it
//!   (a server that leaves it to the client is NON-STRICT); as server the suite
//!   closes it at once.
//! * **No hang**: every wait has a deadline; a peer that does not answer in time is
//!   FAILED, and the runner bounds each whole case as well.

use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::conn::{show_bytes, Conn, Event, Role};
use crate::frame::Frame;
use crate::verdict::Outcome;

/// How long an expected answer may take to start arriving.
pub const ANSWER_WAIT: Duration = Duration::from_secs(5);
/// Once some answers are in, how long without input ends the wait for more.
pub const QUIET: Duration = Duration::from_secs(1);
/// How long a peer has to fail the connection after a violation.
pub const FAIL_WAIT: Duration = Duration::from_secs(3);
/// How long a peer has to answer a close frame.
pub const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// How long the suite as client waits for the server to close TCP after the close
/// handshake.
pub const TCP_CLOSE_WAIT: Duration = Duration::from_secs(2);
/// The pause between writes a case makes separately, and the wait that checks a
/// peer stays silent.
pub const PAUSE: Duration = Duration::from_millis(100);

/// Close codes a peer may use to fail a connection (RFC 6455 7.4.1).
const ERROR_CODES: [u16; 7] = [1002, 1003, 1007, 1008, 1009, 1010, 1011];

/// One answer the suite wants from the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// A data message with exactly this payload.
    Message {
        /// Text or binary.
        text: bool,
        /// The payload.
        data: Vec<u8>,
    },
    /// A pong with exactly this payload.
    Pong(Vec<u8>),
}

impl Want {
    /// The echo of a text message.
    pub fn text(data: impl Into<Vec<u8>>) -> Want {
        Want::Message {
            text: true,
            data: data.into(),
        }
    }

    /// The echo of a binary message.
    pub fn binary(data: impl Into<Vec<u8>>) -> Want {
        Want::Message {
            text: false,
            data: data.into(),
        }
    }

    /// A pong.
    pub fn pong(data: impl Into<Vec<u8>>) -> Want {
        Want::Pong(data.into())
    }

    /// Whether an event is this answer.
    pub fn matches(&self, event: &Event) -> bool {
        match (self, event) {
            (Want::Message { text, data }, Event::Message(m)) => m.text == *text && m.data == *data,
            (Want::Pong(p), Event::Pong(q)) => p == q,
            _ => false,
        }
    }

    /// A short description.
    pub fn describe(&self) -> String {
        match self {
            Want::Message { text, data } => {
                let kind = if *text { "text" } else { "binary" };
                if data.len() <= 24 {
                    format!(
                        "{kind} message of {} bytes {}",
                        data.len(),
                        show_bytes(data)
                    )
                } else {
                    format!("{kind} message of {} bytes", data.len())
                }
            }
            Want::Pong(p) => format!("pong {}", show_bytes(p)),
        }
    }
}

/// What a peer sent while the suite waited: its answers, and how the wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Messages and pongs, in order (pings are not kept).
    pub events: Vec<Event>,
    /// `None` when every wanted answer arrived; else the terminal event or timeout.
    pub end: Option<Event>,
    /// How long the suite was prepared to wait for the first answer.
    pub wait: Duration,
}

/// Reads answers until all of `wants` arrived in order, the connection ends, or the
/// peer goes quiet: nothing at all within `wait`, or no input for [`QUIET`] once
/// something has arrived.
pub async fn collect(conn: &mut Conn, wants: &[Want], wait: Duration) -> Received {
    let deadline = Instant::now() + wait;
    let mut events: Vec<Event> = Vec::new();
    loop {
        if events.len() == wants.len() && wants.iter().zip(&events).all(|(w, e)| w.matches(e)) {
            return Received {
                events,
                end: None,
                wait,
            };
        }
        let until = if events.is_empty() {
            deadline
        } else {
            deadline.min(conn.last_input() + QUIET)
        };
        match conn.next_event(until).await {
            Event::Timeout => {
                let now = Instant::now();
                if now >= deadline || (!events.is_empty() && now >= conn.last_input() + QUIET) {
                    return Received {
                        events,
                        end: Some(Event::Timeout),
                        wait,
                    };
                }
            }
            Event::Ping(_) => {}
            e if e.is_terminal() => {
                return Received {
                    events,
                    end: Some(e),
                    wait,
                }
            }
            e => events.push(e),
        }
    }
}

/// Reads until the connection ends (close frame, end of stream, violation) or `wait`
/// passes; keeps the messages and pongs that came before.
pub async fn collect_until_end(conn: &mut Conn, wait: Duration) -> Received {
    let deadline = Instant::now() + wait;
    let mut events = Vec::new();
    loop {
        match conn.next_event(deadline).await {
            Event::Ping(_) => {}
            e if e.is_terminal() || e == Event::Timeout => {
                return Received {
                    events,
                    end: Some(e),
                    wait,
                }
            }
            e => events.push(e),
        }
    }
}

/// Answers against wants: OK when equal; else FAILED, naming the first difference.
pub fn judge_answers(events: &[Event], wants: &[Want]) -> Outcome {
    for (i, want) in wants.iter().enumerate() {
        match events.get(i) {
            Some(e) if want.matches(e) => {}
            Some(e) => {
                return Outcome::failed(format!(
                    "answer {} of {}: expected {}, got {}",
                    i + 1,
                    wants.len(),
                    want.describe(),
                    e.describe()
                ))
            }
            None => {
                return Outcome::failed(format!(
                    "got {} of {} expected answers; missing {}",
                    events.len(),
                    wants.len(),
                    want.describe()
                ))
            }
        }
    }
    match events.get(wants.len()) {
        Some(extra) => Outcome::failed(format!("an unexpected {}", extra.describe())),
        None => Outcome::ok(),
    }
}

/// Pongs coalesced: fewer pongs than pings, each answering a ping, in order, the last
/// answering the last ping (RFC 6455 5.5.3 allows answering only the most recent).
/// `Some(NON-STRICT)` if that is what `events` show.
pub fn judge_coalesced_pongs(events: &[Event], pings: &[Vec<u8>]) -> Option<Outcome> {
    let mut next = 0;
    for e in events {
        let Event::Pong(p) = e else { return None };
        let at = pings[next..].iter().position(|q| q == p)? + next;
        next = at + 1;
    }
    (next == pings.len() && events.len() < pings.len()).then(|| {
        Outcome::non_strict(format!(
            "pongs coalesced: {} pong(s) for {} pings (RFC 6455 5.5.3 allows it; strict \
             expects one pong per ping, in order)",
            events.len(),
            pings.len()
        ))
    })
}

/// What arrived before a violation's close, against the valid messages sent before
/// the violation: OK if all were answered, NON-STRICT if some were lost (a prefix
/// arrived), FAILED if anything else came (an answer to the violation itself or to
/// what followed it).
pub fn judge_before_failure(events: &[Event], before: &[Want]) -> Outcome {
    let prefix =
        events.len() <= before.len() && before.iter().zip(events).all(|(w, e)| w.matches(e));
    if prefix && events.len() == before.len() {
        Outcome::ok()
    } else if prefix {
        Outcome::non_strict(format!(
            "the valid message(s) sent before the violation were not answered before the \
             close ({} of {})",
            events.len(),
            before.len()
        ))
    } else {
        let extra = events
            .iter()
            .enumerate()
            .find(|(i, e)| before.get(*i).is_none_or(|w| !w.matches(e)))
            .map(|(_, e)| e.describe())
            .unwrap_or_default();
        Outcome::failed(format!("answered instead of failing: {extra}"))
    }
}

/// The close code a peer failed the connection with, against the strict codes.
pub fn judge_close_code(code: Option<u16>, strict: &[u16]) -> Outcome {
    let wanted = strict
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    match code {
        Some(c) if strict.contains(&c) => Outcome::ok(),
        Some(c) if ERROR_CODES.contains(&c) => {
            Outcome::non_strict(format!("closed with {c}, expected {wanted}"))
        }
        None => Outcome::non_strict(format!(
            "close frame without a status code, expected {wanted}"
        )),
        Some(c) => Outcome::failed(format!(
            "closed with {c}, which does not report an error; expected {wanted}"
        )),
    }
}

/// After the handshake: the server side closes TCP (RFC 6455 7.1.1). As server the
/// suite does it; as client it waits for the peer to do it.
pub async fn finish_tcp(conn: &mut Conn) -> Outcome {
    match conn.role() {
        Role::Server => {
            conn.shutdown().await;
            Outcome::ok()
        }
        Role::Client => {
            let deadline = Instant::now() + TCP_CLOSE_WAIT;
            match conn.next_event(deadline).await {
                Event::Eof | Event::Reset(_) => Outcome::ok(),
                Event::Timeout => Outcome::non_strict(format!(
                    "the server did not close the TCP connection within {} s of the close \
                     handshake (RFC 6455 7.1.1: the server closes first)",
                    TCP_CLOSE_WAIT.as_secs()
                )),
                e => Outcome::failed(format!("after the close handshake: {}", e.describe())),
            }
        }
    }
}

/// The peer closed with `code`: the suite answers with the same code (RFC 6455
/// 5.5.1) and finishes the TCP close.
pub async fn finish_after_peer_close(conn: &mut Conn, code: Option<u16>) -> Outcome {
    let reply = match code {
        Some(c) => Frame::close(c, b""),
        None => Frame::close_raw(Vec::new()),
    };
    // The peer may already have closed TCP: a failed write changes nothing here.
    let _ = conn.send(&[reply]).await;
    finish_tcp(conn).await
}

/// The suite closes with `code` and checks the answer: a close frame with the same
/// code (or none) within [`CLOSE_WAIT`], then the TCP close. Any message or pong
/// instead is FAILED (every wanted answer had arrived before).
pub async fn close_with(conn: &mut Conn, code: u16, reason: &[u8]) -> Outcome {
    if let Err(e) = conn.send(&[Frame::close(code, reason)]).await {
        return Outcome::failed(format!("could not send the close frame: {e}"));
    }
    let deadline = Instant::now() + CLOSE_WAIT;
    loop {
        let event = conn.next_event(deadline).await;
        return match event {
            Event::Ping(_) => continue,
            Event::Close(answer, _) => {
                let verdict = match answer {
                    None => Outcome::ok(),
                    Some(c) if c == code => Outcome::ok(),
                    Some(1000) => Outcome::ok(),
                    Some(c) => Outcome::non_strict(format!(
                        "answered our close {code} with {c} (the usual answer echoes the code)"
                    )),
                };
                verdict.and(finish_tcp(conn).await)
            }
            Event::Timeout => Outcome::failed(format!(
                "no close frame in answer to ours within {} s",
                CLOSE_WAIT.as_secs()
            )),
            Event::Eof | Event::Reset(_) => Outcome::failed(format!(
                "the connection ended without a close frame in answer to ours ({})",
                event.describe()
            )),
            e => Outcome::failed(format!(
                "instead of a close frame in answer to ours: {}",
                e.describe()
            )),
        };
    }
}

/// [`close_with`] 1000 and no reason: the end of every case that went well.
pub async fn close_normally(conn: &mut Conn) -> Outcome {
    close_with(conn, 1000, b"").await
}

/// Waits for `wants`, judges them, and closes normally.
pub async fn expect_answers(conn: &mut Conn, wants: &[Want], wait: Duration) -> Outcome {
    let got = collect(conn, wants, wait).await;
    answers_then_close(conn, &got, wants).await
}

/// Judges collected answers, then ends the connection: a normal close if the peer
/// is still open, else the judgement of how it ended.
pub async fn answers_then_close(conn: &mut Conn, got: &Received, wants: &[Want]) -> Outcome {
    let answers = judge_answers(&got.events, wants);
    match &got.end {
        None => answers.and(close_normally(conn).await),
        // Nothing at all: the peer is stuck or gone; a close would only wait too.
        Some(Event::Timeout) if got.events.is_empty() => Outcome::failed(format!(
            "no answer within {} s; expected {}",
            got.wait.as_secs(),
            wants.first().map(Want::describe).unwrap_or_default()
        )),
        Some(Event::Timeout) => answers.and(close_normally(conn).await),
        Some(end) => answers.and(Outcome::failed(format!(
            "the connection ended early: {}",
            end.describe()
        ))),
    }
}

/// A violation has been sent after the valid messages whose answers are `before`:
/// the peer must answer those, then fail the connection with one of `codes`.
pub async fn expect_failure(conn: &mut Conn, before: &[Want], codes: &[u16]) -> Outcome {
    let got = collect_until_end(conn, FAIL_WAIT).await;
    judge_before_failure(&got.events, before).and(judge_end(conn, got.end, codes, "").await)
}

/// How a connection that had to fail ended: its close code and TCP close.
async fn judge_end(conn: &mut Conn, end: Option<Event>, codes: &[u16], when: &str) -> Outcome {
    match end {
        Some(Event::Close(code, _)) => {
            judge_close_code(code, codes).and(finish_after_peer_close(conn, code).await)
        }
        Some(Event::Eof) => Outcome::non_strict(format!(
            "dropped the TCP connection{when} without a close frame"
        )),
        Some(Event::Reset(e)) => Outcome::non_strict(format!(
            "reset the connection{when} without a close frame ({e})"
        )),
        Some(Event::Violation(v)) => Outcome::failed(format!("sent {v}")),
        Some(Event::Timeout) | None => Outcome::failed(format!(
            "did not fail the connection within {} s",
            FAIL_WAIT.as_secs()
        )),
        Some(e) => Outcome::failed(format!("unexpected {}", e.describe())),
    }
}

/// The first message, pong or ending within `wait` (pings ignored); `None` if
/// nothing came.
pub async fn next_within(conn: &mut Conn, wait: Duration) -> Option<Event> {
    let deadline = Instant::now() + wait;
    loop {
        match conn.next_event(deadline).await {
            Event::Ping(_) => {}
            Event::Timeout => return None,
            e => return Some(e),
        }
    }
}

/// One write of a fail-fast sequence.
#[derive(Clone, Debug)]
pub struct Stage {
    /// The bytes (whole frames or pieces of one).
    pub bytes: Vec<u8>,
    /// What this stage is, for reasons ("the rest of the frame").
    pub label: String,
}

/// Fail fast: sends `stages` in separate writes. Stages before `bad` are valid: the
/// peer must stay silent. Stage `bad` carries the first invalid byte; a close by the
/// end of stage `strict_by` (the end of the frame holding that byte) is strict, a
/// close only after later stages is NON-STRICT (failing late), none at all FAILED.
pub async fn fail_fast(
    conn: &mut Conn,
    stages: &[Stage],
    bad: usize,
    strict_by: usize,
    codes: &[u16],
) -> Outcome {
    for (i, stage) in stages.iter().enumerate() {
        let _ = conn.send_bytes(&stage.bytes).await;
        let wait = if i < strict_by {
            PAUSE
        } else if i == strict_by || i + 1 == stages.len() {
            FAIL_WAIT
        } else {
            Duration::ZERO
        };
        if wait.is_zero() {
            continue;
        }
        let Some(event) = next_within(conn, wait).await else {
            continue;
        };
        if i < bad {
            return Outcome::failed(format!(
                "before the invalid byte was sent (after {}): {}",
                stage.label,
                event.describe()
            ));
        }
        if let Event::Message(_) | Event::Pong(_) = event {
            return Outcome::failed(format!("answered instead of failing: {}", event.describe()));
        }
        let timing = if i <= strict_by {
            Outcome::ok_with(format!("failed after {}", stage.label))
        } else {
            Outcome::non_strict(format!(
                "failed late: only after {} (fail-fast closes once the frame with the \
                 invalid byte is in)",
                stage.label
            ))
        };
        return timing.and(judge_end(conn, Some(event), codes, "").await);
    }
    Outcome::failed(format!(
        "did not fail the connection within {} s of the last write",
        FAIL_WAIT.as_secs()
    ))
}

/// Waits [`PAUSE`] and fails if the peer sent anything meanwhile.
pub async fn expect_silence(conn: &mut Conn, after: &str) -> Outcome {
    match next_within(conn, PAUSE).await {
        None => Outcome::ok(),
        Some(e) => Outcome::failed(format!("after {after}: {}", e.describe())),
    }
}

/// Sleeps between separate writes.
pub async fn pause() {
    sleep(PAUSE).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::Message;
    use crate::verdict::Verdict;

    fn text(s: &str) -> Event {
        Event::Message(Message {
            text: true,
            data: s.as_bytes().to_vec(),
            frames: 1,
            compressed: false,
        })
    }

    fn pong(s: &str) -> Event {
        Event::Pong(s.as_bytes().to_vec())
    }

    #[test]
    fn answers_must_match_in_order_and_number() {
        let wants = [Want::pong("a"), Want::text("x")];
        assert!(judge_answers(&[pong("a"), text("x")], &wants).is_ok());
        let swapped = judge_answers(&[text("x"), pong("a")], &wants);
        assert_eq!(swapped.verdict, Verdict::Failed);
        assert!(
            swapped.reason.contains("answer 1 of 2"),
            "{}",
            swapped.reason
        );
        let short = judge_answers(&[pong("a")], &wants);
        assert!(
            short.reason.contains("missing text message"),
            "{}",
            short.reason
        );
        let extra = judge_answers(&[pong("a"), text("x"), pong("b")], &wants);
        assert!(extra.reason.contains("unexpected pong"), "{}", extra.reason);
        // Binary is not text.
        assert!(!Want::binary("x").matches(&text("x")));
    }

    #[test]
    fn coalesced_pongs_are_tolerated_only_in_order_ending_with_the_last() {
        let pings: Vec<Vec<u8>> = (0..4).map(|i| format!("p{i}").into_bytes()).collect();
        let only_last = judge_coalesced_pongs(&[pong("p3")], &pings).unwrap();
        assert_eq!(only_last.verdict, Verdict::NonStrict);
        assert!(only_last.reason.contains("1 pong(s) for 4 pings"));
        assert!(judge_coalesced_pongs(&[pong("p1"), pong("p3")], &pings).is_some());
        // Not the last ping answered, out of order, a wrong payload, or all four.
        assert!(judge_coalesced_pongs(&[pong("p2")], &pings).is_none());
        assert!(judge_coalesced_pongs(&[pong("p3"), pong("p1")], &pings).is_none());
        assert!(judge_coalesced_pongs(&[pong("zz")], &pings).is_none());
        let all: Vec<Event> = (0..4).map(|i| pong(&format!("p{i}"))).collect();
        assert!(judge_coalesced_pongs(&all, &pings).is_none());
    }

    #[test]
    fn before_a_violation_lost_echoes_are_non_strict_and_answers_are_failures() {
        let before = [Want::text("ok")];
        assert!(judge_before_failure(&[text("ok")], &before).is_ok());
        assert_eq!(
            judge_before_failure(&[], &before).verdict,
            Verdict::NonStrict
        );
        let answered = judge_before_failure(&[text("ok"), pong("")], &before);
        assert_eq!(answered.verdict, Verdict::Failed);
        assert!(answered.reason.contains("pong"));
        assert!(judge_before_failure(&[], &[]).is_ok());
    }

    #[test]
    fn close_codes_strict_tolerated_and_wrong() {
        assert!(judge_close_code(Some(1002), &[1002]).is_ok());
        assert_eq!(
            judge_close_code(Some(1007), &[1002]).verdict,
            Verdict::NonStrict
        );
        assert_eq!(judge_close_code(None, &[1002]).verdict, Verdict::NonStrict);
        assert_eq!(
            judge_close_code(Some(1000), &[1007]).verdict,
            Verdict::Failed
        );
        assert!(judge_close_code(Some(1007), &[1002, 1007]).is_ok());
    }
}
