//! The cases, numbered by the sections of the Autobahn TestSuite they follow (1-7,
//! 9, 10, 12, 13), with this suite's own texts and payloads.
//!
//! A case is a description, an expectation, the permessage-deflate profile it needs
//! (if any), a time bound, and a [`Script`]: an async function over an open
//! [`Conn`] that returns the [`Outcome`]. Scripts do not know their role or
//! transport; the same case runs with the suite as client or as server.

mod payloads;
mod s10_autofragment;
mod s12_deflate;
mod s13_deflate_params;
mod s1_framing;
mod s2_pings;
mod s3_reserved_bits;
mod s4_opcodes;
mod s5_fragmentation;
mod s6_utf8;
mod s7_close;
mod s9_limits;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{self, Want};
use crate::conn::Conn;
use crate::deflate::DeflateParams;
use crate::frame::Frame;
use crate::verdict::Outcome;

/// The future a script returns, borrowing the connection.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// A case's behaviour: plays one side of the connection and grades the other.
pub type Script = Arc<dyn for<'a> Fn(&'a mut Conn) -> CaseFuture<'a> + Send + Sync>;

/// Makes a [`Script`] from a closure (this pins down its higher-ranked signature).
pub fn script<F>(f: F) -> Script
where
    F: for<'a> Fn(&'a mut Conn) -> CaseFuture<'a> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// Default bound of a whole case.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(15);

/// One conformance case.
#[derive(Clone)]
pub struct Case {
    /// Its number, e.g. `6.4.1`.
    pub id: String,
    /// Its section (the first number of `id`).
    pub section: u8,
    /// What the suite sends.
    pub description: String,
    /// What a strict peer does.
    pub expectation: String,
    /// The permessage-deflate profile to offer (as client) or answer (as server);
    /// `None` negotiates no extension.
    pub deflate: Option<DeflateParams>,
    /// The bound of the whole case (connect, handshake, script).
    pub timeout: Duration,
    /// A heavy case (megabytes of traffic) runs alone.
    pub heavy: bool,
    /// The behaviour.
    pub script: Script,
}

impl Case {
    /// A case with the default bound, no deflate, not heavy.
    pub fn new(id: &str, description: &str, expectation: &str, script: Script) -> Case {
        let section = id
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("case ids start with a section number");
        Case {
            id: id.to_owned(),
            section,
            description: description.to_owned(),
            expectation: expectation.to_owned(),
            deflate: None,
            timeout: CASE_TIMEOUT,
            heavy: false,
            script,
        }
    }

    /// Negotiates permessage-deflate with this profile.
    pub fn with_deflate(mut self, profile: DeflateParams) -> Case {
        self.deflate = Some(profile);
        self
    }

    /// A heavy case with its own time bound.
    pub fn heavy(mut self, timeout: Duration) -> Case {
        self.heavy = true;
        self.timeout = timeout;
        self
    }
}

/// The name of a section.
pub fn section_name(section: u8) -> &'static str {
    match section {
        1 => "Framing",
        2 => "Pings and pongs",
        3 => "Reserved bits",
        4 => "Opcodes",
        5 => "Fragmentation",
        6 => "UTF-8 handling",
        7 => "Close handling",
        9 => "Limits and performance",
        10 => "Auto-fragmentation",
        12 => "permessage-deflate payloads",
        13 => "permessage-deflate parameters",
        _ => "other",
    }
}

/// Every case, in order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(s1_framing::cases());
    cases.extend(s2_pings::cases());
    cases.extend(s3_reserved_bits::cases());
    cases.extend(s4_opcodes::cases());
    cases.extend(s5_fragmentation::cases());
    cases.extend(s6_utf8::cases());
    cases.extend(s7_close::cases());
    cases.extend(s9_limits::cases());
    cases.extend(s10_autofragment::cases());
    cases.extend(s12_deflate::cases());
    cases.extend(s13_deflate_params::cases());
    cases
}

/// The cases whose id equals one of `filters` or starts with it followed by a dot
/// (`3` selects section 3, `6.4` selects 6.4.1...); every case if `filters` is empty.
pub fn select(cases: Vec<Case>, filters: &[String]) -> Vec<Case> {
    if filters.is_empty() {
        return cases;
    }
    cases
        .into_iter()
        .filter(|c| {
            filters.iter().any(|f| {
                let f = f.trim_end_matches('.');
                c.id == f || c.id.starts_with(&format!("{f}."))
            })
        })
        .collect()
}

/// One write of a case.
#[derive(Clone, Debug)]
pub enum Write {
    /// These frames in one write.
    Frames(Vec<Frame>),
    /// These frames' bytes in writes of at most this many bytes.
    Chopped(Vec<Frame>, usize),
    /// A pause ([`check::PAUSE`]) before the next write.
    Pause,
}

/// Performs the writes. Write errors are ignored: a peer that failed the connection
/// early is judged by what it sent, which the reading that follows sees.
pub async fn perform(conn: &mut Conn, writes: &[Write]) {
    for w in writes {
        match w {
            Write::Frames(frames) => {
                let _ = conn.send(frames).await;
            }
            Write::Chopped(frames, chop) => {
                let bytes = conn.encode(frames);
                let _ = conn.send_chopped(&bytes, *chop, Duration::ZERO).await;
            }
            Write::Pause => check::pause().await,
        }
    }
}

/// A script: perform the writes, then expect exactly `wants`, then close normally.
pub fn send_expect(writes: Vec<Write>, wants: Vec<Want>) -> Script {
    send_expect_within(writes, wants, check::ANSWER_WAIT)
}

/// [`send_expect`] with a longer wait for the answers (large messages).
pub fn send_expect_within(writes: Vec<Write>, wants: Vec<Want>, wait: Duration) -> Script {
    let writes = Arc::new(writes);
    let wants = Arc::new(wants);
    script(move |conn| {
        let (writes, wants) = (writes.clone(), wants.clone());
        Box::pin(async move {
            perform(conn, &writes).await;
            check::expect_answers(conn, &wants, wait).await
        })
    })
}

/// A script: perform the writes (valid messages answered by `before`, then a
/// violation), then expect the answers and a close with one of `codes`.
pub fn send_expect_failure(writes: Vec<Write>, before: Vec<Want>, codes: Vec<u16>) -> Script {
    let writes = Arc::new(writes);
    let before = Arc::new(before);
    let codes = Arc::new(codes);
    script(move |conn| {
        let (writes, before, codes) = (writes.clone(), before.clone(), codes.clone());
        Box::pin(async move {
            perform(conn, &writes).await;
            check::expect_failure(conn, &before, &codes).await
        })
    })
}

/// A payload of `n` copies of `byte`.
pub fn filled(n: usize, byte: u8) -> Vec<u8> {
    vec![byte; n]
}

/// Splits a message into fragments of exactly `size` bytes and a final frame with
/// the rest, empty when `size` divides the message (the way Autobahn's fragmenter
/// cuts, so a 4 MiB message in 64-byte fragments is 65,537 frames). The first frame
/// has `opcode`, the rest are continuations; only the last has FIN.
pub fn fragments(opcode: u8, data: &[u8], size: usize) -> Vec<Frame> {
    let size = size.max(1);
    let mut frames: Vec<Frame> = data
        .chunks(size)
        .filter(|c| c.len() == size)
        .map(|c| Frame::continuation(c.to_vec()).fin(false))
        .collect();
    let full = frames.len() * size;
    frames.push(Frame::continuation(data[full..].to_vec()));
    frames[0].opcode = opcode;
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::opcode;

    #[test]
    fn fragments_follow_the_autobahn_cut() {
        let f = fragments(opcode::TEXT, b"abcdef", 2);
        assert_eq!(f.len(), 4);
        assert_eq!((f[0].opcode, f[0].fin), (opcode::TEXT, false));
        assert_eq!((f[3].opcode, f[3].fin, f[3].payload.len()), (0, true, 0));
        let f = fragments(opcode::BINARY, b"abcde", 2);
        assert_eq!(f.len(), 3);
        assert_eq!(f[2].payload, b"e");
        let single = fragments(opcode::TEXT, b"", 64);
        assert_eq!(single, vec![Frame::text("")]);
        assert_eq!(
            fragments(opcode::BINARY, &vec![0; 4 << 20], 64).len(),
            65_537
        );
    }

    #[test]
    fn ids_are_unique_and_selection_works() {
        let cases = all();
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate case ids");
        let s3 = select(all(), &["3".into()]);
        assert!(!s3.is_empty() && s3.iter().all(|c| c.section == 3));
        let one = select(all(), &["6.4.1".into()]);
        assert_eq!(one.len(), 1);
        for section in [1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13] {
            assert!(
                cases.iter().any(|c| c.section == section),
                "no case in section {section}"
            );
        }
        // Deflate cases are exactly sections 12 and 13.
        assert!(cases
            .iter()
            .all(|c| c.deflate.is_some() == (c.section >= 12)));
    }
}
