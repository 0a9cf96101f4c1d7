//! What the fault tests of both roles share (ws-server's `tests/faults.rs` and,
//! through a `#[path]` module, ws-client's): the rounds, the 16 MiB message, each
//! session's record of calls and the check of how it ended, and the raw peer's
//! moves (a reset, reading to the end, checking the large message as it streams).
//! The role-specific parts (who listens, which endpoint or API records the calls)
//! stay in each test file.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_session::CloseCode;
use ws_tokio::{CloseCause, CloseInfo, Initiator};

use super::process::Baseline;
use super::wire::{client_frame, close_payload, describe, frames_until_close, parse, server_frame};

/// Rounds that warm up (the allocator settles its thresholds: after a large
/// block is freed, glibc serves the next one from its heap rather than a fresh
/// mapping, and keeps it) before the memory baseline is taken.
pub const WARMUP: usize = 2;

/// Rounds after the warm-up.
pub const ROUNDS: usize = 8;

/// The short timeouts of the stall scenarios.
pub const SHORT: Duration = Duration::from_millis(150);

/// Size of the large message (see [`large`]).
pub const LARGE: usize = 16 << 20;

/// A 16 MiB message made once (byte `i` is `i % 251`), so rounds allocate no
/// message of their own: memory growth would be the stack's.
pub fn large() -> Bytes {
    static LARGE_MESSAGE: OnceLock<Bytes> = OnceLock::new();
    LARGE_MESSAGE
        .get_or_init(|| {
            (0..LARGE)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>()
                .into()
        })
        .clone()
}

/// One callback (endpoint API) or stream item (`WebSocket`), as the session
/// under test saw it.
// Fields are read through `Debug`, in assertion messages.
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub enum Call {
    Message(usize),
    Sent(String),
    Error(String),
    Close(CloseInfo),
}

/// Every session's calls, in the order the sessions opened.
pub type Log = Arc<Mutex<Vec<Vec<Call>>>>;

/// Adds `call` to session `session`'s record.
pub fn record(log: &Log, session: usize, call: Call) {
    log.lock().unwrap()[session].push(call);
}

/// Starts the record of a new session; returns its index.
pub fn open_session(log: &Log) -> usize {
    let mut log = log.lock().unwrap();
    log.push(Vec::new());
    log.len() - 1
}

/// Whether session `index` has ended (its close is recorded).
pub fn closed(log: &Log, index: usize) -> bool {
    log.lock()
        .unwrap()
        .get(index)
        .is_some_and(|calls| calls.iter().any(|c| matches!(c, Call::Close(_))))
}

/// How a faulty session must end.
pub struct Expect {
    pub cause: CloseCause,
    pub code: CloseCode,
    pub initiator: Initiator,
}

impl Expect {
    /// An end without the close handshake: 1006 to the application.
    pub fn unclean(cause: CloseCause, initiator: Initiator) -> Self {
        Expect {
            cause,
            code: CloseCode::ABNORMAL,
            initiator,
        }
    }

    /// A completed close handshake with `code`.
    pub fn clean(code: CloseCode, initiator: Initiator) -> Self {
        Expect {
            cause: CloseCause::Handshake,
            code,
            initiator,
        }
    }

    fn is_clean(&self) -> bool {
        self.cause == CloseCause::Handshake
    }

    /// Checks every session of `log` (there must be `sessions`): exactly one
    /// close, last, as expected; exactly one error right before it when the end
    /// was unclean, none when clean. A flushed send's result is left out: it may
    /// come before or after the close.
    pub fn check(&self, name: &str, log: &Log, sessions: usize) {
        let log = log.lock().unwrap();
        assert_eq!(log.len(), sessions, "{name}: sessions");
        for (round, calls) in log.iter().enumerate() {
            let calls: Vec<&Call> = calls
                .iter()
                .filter(|c| !matches!(c, Call::Sent(_)))
                .collect();
            let closes: Vec<&CloseInfo> = calls
                .iter()
                .filter_map(|c| match c {
                    Call::Close(info) => Some(info),
                    _ => None,
                })
                .collect();
            let errors = calls.iter().filter(|c| matches!(c, Call::Error(_))).count();
            let what = format!("{name}, session {round}: {calls:?}");
            assert_eq!(closes.len(), 1, "{what}: one close");
            assert!(
                matches!(calls.last(), Some(Call::Close(_))),
                "{what}: close last"
            );
            let info = closes[0];
            assert_eq!(info.cause, self.cause, "{what}: cause");
            assert_eq!(info.code, self.code, "{what}: code");
            assert_eq!(info.initiator, self.initiator, "{what}: initiator");
            let want_errors = usize::from(!self.is_clean());
            assert_eq!(errors, want_errors, "{what}: errors");
            if want_errors == 1 {
                assert!(
                    matches!(calls[calls.len() - 2], Call::Error(_)),
                    "{what}: the error right before the close"
                );
            }
        }
    }
}

/// Memory and fds after the warm-up rounds: the baseline the last rounds are
/// checked against.
pub fn baseline_now(fds: usize) -> Baseline {
    Baseline {
        fds,
        rss: super::process::rss(),
    }
}

/// The peer of a send-timeout scenario, which never read: waits until our side
/// gave up ([`assert_send_timed_out`]), then drops its connection (unread bytes
/// wait in its buffer, so dropping resets the connection).
pub async fn drop_once_send_timed_out<T>(peer: T, log: &Log, index: usize) {
    assert_send_timed_out(log, index).await;
    drop(peer);
}

/// Waits until session `index` has ended and its flushed send has returned, then
/// asserts that the send failed with `SendTimeout`.
pub async fn assert_send_timed_out(log: &Log, index: usize) {
    let given_up = || {
        log.lock().unwrap().get(index).is_some_and(|calls| {
            calls.iter().any(|c| matches!(c, Call::Close(_)))
                && calls.iter().any(|c| matches!(c, Call::Sent(_)))
        })
    };
    super::process::wait_for("the flushed send failed", Duration::from_secs(30), given_up).await;
    let calls = log.lock().unwrap()[index].clone();
    assert!(
        calls
            .iter()
            .any(|c| matches!(c, Call::Sent(s) if s == "Err(SendTimeout)")),
        "{calls:?}"
    );
}

/// The raw peer's role: a client masks its frames, a server does not, and the
/// large message reaches it the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawPeer {
    /// The raw peer is a client (the server is under test).
    Client,
    /// The raw peer is a server (the client is under test).
    Server,
}

impl RawPeer {
    /// A frame as this peer sends it.
    pub fn frame(self, first: u8, payload: &[u8]) -> Vec<u8> {
        match self {
            RawPeer::Client => client_frame(first, payload),
            RawPeer::Server => server_frame(first, payload),
        }
    }

    /// Sends a close frame (1000) and half-closes; the end under test must answer
    /// the close and end the connection.
    pub async fn half_close_after_close(self, tcp: &mut TcpStream) {
        tcp.write_all(&self.frame(0x88, &close_payload(1000, "bye")))
            .await
            .unwrap();
        tcp.shutdown().await.unwrap();
        close_frame_then_eof(tcp, 1000).await;
    }

    /// Sends the first two fragments of a text message and ends the connection.
    pub async fn end_inside_a_fragmented_message(self, tcp: &mut TcpStream) {
        let mut fragments = self.frame(0x01, b"frag");
        fragments.extend(self.frame(0x00, b"ment"));
        tcp.write_all(&fragments).await.unwrap();
        tcp.shutdown().await.unwrap();
        until_eof(tcp).await;
    }

    /// Reads the first MiB of the large message, sends its close (1000), then
    /// reads the rest of the message, whole, then the answer to its close, then
    /// the end.
    pub async fn close_while_the_large_message_is_half_read(self, tcp: &mut TcpStream) {
        let mut check = LargeFrameCheck::new(tcp, self == RawPeer::Server).await;
        check.payload(tcp, 1 << 20).await;
        tcp.write_all(&self.frame(0x88, &close_payload(1000, "enough")))
            .await
            .unwrap();
        check.payload(tcp, LARGE - (1 << 20)).await;
        let mut rest = Vec::new();
        tcp.read_to_end(&mut rest).await.unwrap();
        let (frames, used) = parse(&rest);
        assert_eq!(used, rest.len(), "trailing bytes");
        assert_eq!(
            describe(&frames),
            ["close Some(1000)"],
            "after the message: the answer to our close, then the end"
        );
    }
}

/// Reads frames up to a close frame, which must carry `code`.
pub async fn expect_close_frame(tcp: &mut TcpStream, code: u16) {
    let frames = frames_until_close(tcp).await;
    assert_eq!(
        frames.last().and_then(|f| f.close_code()),
        Some(code),
        "{:?}",
        describe(&frames)
    );
}

/// Reads frames up to a close frame with `code`, then until the connection ends.
pub async fn close_frame_then_eof(tcp: &mut TcpStream, code: u16) {
    expect_close_frame(tcp, code).await;
    until_eof(tcp).await;
}

/// Resets the connection (RST, not FIN): `SO_LINGER` 0, then drop.
pub fn reset(tcp: TcpStream) {
    tcp.set_zero_linger().unwrap();
    drop(tcp);
}

/// Reads until the other end ends the connection (or resets it).
pub async fn until_eof(tcp: &mut TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(1..) = tcp.read(&mut buf).await {}
}

/// Asserts that the end under test cannot have written the whole large message
/// when the raw peer has read `read_first` bytes of it: the kernel holds at most
/// its send buffer (the peer's receive buffer is made small) beyond what was read.
pub fn assert_large_outlasts_kernel_buffers(read_first: usize) {
    let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 << 20);
    assert!(
        LARGE > read_first + wmem_max + (1 << 20),
        "tcp_wmem max {wmem_max} too large for this scenario"
    );
}

/// Reads the large message's frame as it streams in, comparing each byte with
/// [`large`] (unmasked with the frame's key when it has one: the client role's)
/// without holding the message.
pub struct LargeFrameCheck {
    key: Option<[u8; 4]>,
    offset: usize,
}

impl LargeFrameCheck {
    /// Reads and checks the frame header: one unfragmented binary frame of
    /// [`LARGE`] bytes, masked if `masked`.
    pub async fn new(tcp: &mut TcpStream, masked: bool) -> Self {
        let mut header = [0u8; 14];
        let len = if masked { 14 } else { 10 };
        tcp.read_exact(&mut header[..len]).await.unwrap();
        let second = if masked { 0x80 | 127 } else { 127 };
        assert_eq!(
            header[..2],
            [0x82, second],
            "one binary frame, 64-bit length"
        );
        assert_eq!(
            u64::from_be_bytes(header[2..10].try_into().unwrap()),
            LARGE as u64
        );
        LargeFrameCheck {
            key: masked.then(|| header[10..14].try_into().unwrap()),
            offset: 0,
        }
    }

    /// Reads the next `len` payload bytes and checks them.
    pub async fn payload(&mut self, tcp: &mut TcpStream, len: usize) {
        let expected = large();
        let mut buf = vec![0u8; 64 * 1024];
        let end = self.offset + len;
        while self.offset < end {
            let want = (end - self.offset).min(buf.len());
            let n = tcp.read(&mut buf[..want]).await.unwrap();
            assert!(
                n > 0,
                "the connection ended inside the message at {}",
                self.offset
            );
            let got = &mut buf[..n];
            if let Some(key) = self.key {
                for (i, b) in got.iter_mut().enumerate() {
                    *b ^= key[(self.offset + i) % 4];
                }
            }
            assert!(
                *got == expected[self.offset..self.offset + n],
                "message bytes differ near offset {}",
                self.offset
            );
            self.offset += n;
        }
    }
}
