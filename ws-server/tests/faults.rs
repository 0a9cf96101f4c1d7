//! Faults over real sockets, server role: a raw client resets the connection
//! mid-header and mid-payload, half-closes after its close frame, ends the
//! connection without a close frame inside a fragmented message, stalls for longer
//! than each timeout (read, write and max idle; the close handshake; a flushed
//! send), and sends its close while our 16 MiB message is half written.
//!
//! Each scenario runs on a fresh server twice to warm up, then several rounds more;
//! after them:
//! * the server still serves a new connection (an echo on `/echo`);
//! * the process's open fds are back to their count before the first connection,
//!   and its resident memory within `common::process::RSS_BOUND` (4 MiB) of what
//!   it was after the warm-up (the 16 MiB message is made once, so a leak of it or
//!   of 0.5 MiB a round over the 8 rounds fails);
//! * every session of the faulty endpoint saw exactly one `on_close`, last, with
//!   the expected cause, code and initiator, preceded by exactly one `on_error`
//!   when the end was unclean and none when it was clean.
//!
//! The tests run one at a time in this process, each on a runtime of its own
//! (`alone`: they count the process's fds and memory). No timing assertions:
//! every wait is for a condition, under a hang guard.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use common::process::{self, alone, wait_for, wait_for_fds, Baseline};
use common::wire::{client_frame, close_payload, describe, frames_until_close, parse};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use ws_config::ServerSettings;
use ws_server::{
    CloseCause, CloseInfo, Endpoint, Error, Initiator, Message, Server, SessionConfig,
    SessionHandle,
};
use ws_session::{CloseCode, TimeoutKind};

/// Rounds that warm up (the allocator settles its thresholds: after a large
/// block is freed, glibc serves the next one from its heap rather than a fresh
/// mapping, and keeps it) before the memory baseline is taken.
const WARMUP: usize = 2;

/// Rounds after the warm-up.
const ROUNDS: usize = 8;

/// The short timeouts of the stall scenarios.
const SHORT: Duration = Duration::from_millis(150);

/// Size of the large message (see [`large`]).
const LARGE: usize = 16 << 20;

/// A 16 MiB message made once (byte `i` is `i % 251`), so rounds allocate no
/// message of their own: memory growth would be the stack's.
fn large() -> Bytes {
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

/// One callback, as the faulty endpoint saw it.
// Fields are read through `Debug`, in assertion messages.
#[allow(dead_code)]
#[derive(Clone, Debug)]
enum Call {
    Message(usize),
    Sent(String),
    Error(String),
    Close(CloseInfo),
}

/// Every session's calls, in the order the sessions opened.
type Log = Arc<Mutex<Vec<Vec<Call>>>>;

fn record(log: &Log, session: usize, call: Call) {
    log.lock().unwrap()[session].push(call);
}

/// Whether session `index` has been closed (its `on_close` ran).
fn closed(log: &Log, index: usize) -> bool {
    log.lock()
        .unwrap()
        .get(index)
        .is_some_and(|calls| calls.iter().any(|c| matches!(c, Call::Close(_))))
}

/// What the faulty endpoint does besides recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Echoes messages.
    Echo,
    /// Closes (1000) on the first message.
    CloseOnMessage,
    /// Sends the large message from `on_open`.
    LargeOnOpen,
    /// On a message, sends the large message with `send_flushed`.
    FlushedOnMessage,
}

/// An endpoint that records its callbacks; the session's state is its index in
/// the log.
struct Faulty {
    log: Log,
    action: Action,
    config: fn(SessionConfig) -> SessionConfig,
}

impl Endpoint for Faulty {
    type State = usize;

    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        (self.config)(config)
    }

    async fn on_open(&self, session: &SessionHandle) -> usize {
        let index = {
            let mut log = self.log.lock().unwrap();
            log.push(Vec::new());
            log.len() - 1
        };
        if self.action == Action::LargeOnOpen {
            let sent = session.send(large()).await;
            record(&self.log, index, Call::Sent(format!("{sent:?}")));
        }
        index
    }

    async fn on_message(&self, index: &mut usize, session: &SessionHandle, message: Message) {
        record(&self.log, *index, Call::Message(message.as_bytes().len()));
        match self.action {
            Action::Echo => {
                let _ = session.send(message).await;
            }
            Action::CloseOnMessage => {
                let _ = session.close(CloseCode::NORMAL, "bye");
            }
            Action::FlushedOnMessage => {
                let sent = session.send_flushed(large()).await;
                record(&self.log, *index, Call::Sent(format!("{sent:?}")));
            }
            Action::LargeOnOpen => {}
        }
    }

    async fn on_error(&self, index: &mut usize, _: &SessionHandle, error: &Error) {
        record(&self.log, *index, Call::Error(format!("{error:?}")));
    }

    async fn on_close(&self, index: &mut usize, _: &SessionHandle, close: &CloseInfo) {
        record(&self.log, *index, Call::Close(close.clone()));
    }
}

/// How a faulty session must end.
struct Expect {
    cause: CloseCause,
    code: CloseCode,
    initiator: Initiator,
}

impl Expect {
    fn unclean(cause: CloseCause, initiator: Initiator) -> Self {
        Expect {
            cause,
            code: CloseCode::ABNORMAL,
            initiator,
        }
    }

    fn clean(code: CloseCode, initiator: Initiator) -> Self {
        Expect {
            cause: CloseCause::Handshake,
            code,
            initiator,
        }
    }

    fn is_clean(&self) -> bool {
        self.cause == CloseCause::Handshake
    }
}

/// A scenario's server-side set-up.
struct Setup {
    action: Action,
    config: fn(SessionConfig) -> SessionConfig,
    settings: ServerSettings,
}

impl Setup {
    fn new(action: Action) -> Self {
        Setup {
            action,
            config: |c| c,
            settings: ServerSettings::default(),
        }
    }

    fn config(mut self, config: fn(SessionConfig) -> SessionConfig) -> Self {
        self.config = config;
        self
    }

    fn settings(mut self, settings: ServerSettings) -> Self {
        self.settings = settings;
        self
    }
}

/// Runs `fault` [`WARMUP`] times to warm up and [`ROUNDS`] times more against a fresh server,
/// then checks what the module docs list. `fault` gets the server's address, the
/// log and the index its session will have.
async fn scenario<F, Fut>(name: &str, setup: Setup, expect: Expect, fault: F)
where
    F: Fn(SocketAddr, Log, usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let log = Log::default();
    let server = Server::builder().settings(setup.settings).build();
    let faulty = Faulty {
        log: log.clone(),
        action: setup.action,
        config: setup.config,
    };
    server.add_endpoint("/fault", faulty).unwrap();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;

    // Before any connection: the fds every round must give back.
    let fds = process::fds();
    let mut baseline = None;
    for round in 0..WARMUP + ROUNDS {
        guard(fault(addr, log.clone(), round)).await;
        wait_for(&format!("{name}: session {round} closed"), GUARD, || {
            closed(&log, round)
        })
        .await;
        if round + 1 == WARMUP {
            // Warmed up (thread-local buffers, allocator caches): memory from here.
            probe(addr).await;
            wait_for(&format!("{name}: no connection open"), GUARD, || {
                server.connections() == 0
            })
            .await;
            wait_for_fds(fds, name, GUARD).await;
            baseline = Some(Baseline {
                fds,
                rss: process::rss(),
            });
        }
    }
    // The server still serves new connections.
    probe(addr).await;
    wait_for(&format!("{name}: no connection open"), GUARD, || {
        server.connections() == 0
    })
    .await;
    // The large message is made once: no large block per round.
    baseline.unwrap().check(name, GUARD, 0).await;

    let log = log.lock().unwrap();
    assert_eq!(log.len(), WARMUP + ROUNDS, "{name}: sessions opened");
    for (round, calls) in log.iter().enumerate() {
        let closes: Vec<&CloseInfo> = calls
            .iter()
            .filter_map(|c| match c {
                Call::Close(info) => Some(info),
                _ => None,
            })
            .collect();
        let errors = calls.iter().filter(|c| matches!(c, Call::Error(_))).count();
        let what = format!("{name}, session {round}: {calls:?}");
        assert_eq!(closes.len(), 1, "{what}: one on_close");
        assert!(
            matches!(calls.last(), Some(Call::Close(_))),
            "{what}: close last"
        );
        let info = closes[0];
        assert_eq!(info.cause, expect.cause, "{what}: cause");
        assert_eq!(info.code, expect.code, "{what}: code");
        assert_eq!(info.initiator, expect.initiator, "{what}: initiator");
        let want_errors = usize::from(!expect.is_clean());
        assert_eq!(errors, want_errors, "{what}: on_error calls");
        if want_errors == 1 {
            assert!(
                matches!(calls[calls.len() - 2], Call::Error(_)),
                "{what}: on_error right before on_close"
            );
        }
    }
}

/// A new connection is served: one echo and a clean close.
async fn probe(addr: SocketAddr) {
    let mut c = connect(addr, "/echo").await;
    c.send("probe").await;
    assert_eq!(c.recv().await, Message::Text("probe".into()));
    c.close(CloseCode::NORMAL).await;
    let info = c.closed().await;
    assert_eq!(info.code, CloseCode::NORMAL);
}

/// A raw upgraded connection to `/fault`; `small_receive_buffer` makes the kernel
/// hold little of what the server writes.
async fn upgraded(addr: SocketAddr, small_receive_buffer: bool) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if small_receive_buffer {
        socket.set_recv_buffer_size(16 * 1024).unwrap();
    }
    let mut tcp = socket.connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp.write_all(upgrade_request(addr, "/fault", "").as_bytes())
        .await
        .unwrap();
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp
}

/// Resets the connection (RST, not FIN): `SO_LINGER` 0, then drop.
fn reset(tcp: TcpStream) {
    tcp.set_zero_linger().unwrap();
    drop(tcp);
}

/// Reads until the server ends the connection (or resets it).
async fn until_eof(tcp: &mut TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(1..) = tcp.read(&mut buf).await {}
}

#[test]
fn reset_mid_header() {
    alone(async {
        scenario(
            "reset mid-header",
            Setup::new(Action::Echo),
            Expect::unclean(CloseCause::Eof, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, false).await;
                // Binary, 16-bit length: three of the header's eight bytes.
                tcp.write_all(&[0x82, 0xfe, 0x01]).await.unwrap();
                reset(tcp);
            },
        )
        .await;
    });
}

#[test]
fn reset_mid_payload() {
    alone(async {
        scenario(
            "reset mid-payload",
            Setup::new(Action::Echo).config(|c| c.with_binary_buffer_size(1 << 20)),
            Expect::unclean(CloseCause::Eof, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, false).await;
                let frame = client_frame(0x82, &vec![9u8; 100_000]);
                tcp.write_all(&frame[..50_000]).await.unwrap();
                reset(tcp);
            },
        )
        .await;
    });
}

#[test]
fn half_close_after_the_close_frame() {
    alone(async {
        scenario(
            "half-close after close",
            Setup::new(Action::Echo),
            Expect::clean(CloseCode::NORMAL, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, false).await;
                tcp.write_all(&client_frame(0x88, &close_payload(1000, "bye")))
                    .await
                    .unwrap();
                tcp.shutdown().await.unwrap();
                // The server answers the close and ends the connection.
                let frames = frames_until_close(&mut tcp).await;
                assert_eq!(
                    frames.last().and_then(|f| f.close_code()),
                    Some(1000),
                    "{:?}",
                    describe(&frames)
                );
                until_eof(&mut tcp).await;
            },
        )
        .await;
    });
}

#[test]
fn end_without_close_frame_inside_a_fragmented_message() {
    alone(async {
        scenario(
            "no close frame inside a fragmented message",
            Setup::new(Action::Echo),
            Expect::unclean(CloseCause::Eof, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, false).await;
                let mut fragments = client_frame(0x01, b"frag");
                fragments.extend(client_frame(0x00, b"ment"));
                tcp.write_all(&fragments).await.unwrap();
                tcp.shutdown().await.unwrap();
                until_eof(&mut tcp).await;
            },
        )
        .await;
    });
}

/// The peer says nothing and answers nothing: it reads until the server ends the
/// session, and checks the close frame it got (if `code`).
async fn silent_peer(addr: SocketAddr, log: Log, index: usize, code: Option<u16>) {
    let mut tcp = upgraded(addr, false).await;
    if let Some(code) = code {
        let frames = frames_until_close(&mut tcp).await;
        assert_eq!(
            frames.last().and_then(|f| f.close_code()),
            Some(code),
            "{:?}",
            describe(&frames)
        );
    }
    wait_for("the stalled session closed", GUARD, || closed(&log, index)).await;
    until_eof(&mut tcp).await;
}

#[test]
fn stall_past_the_read_idle_timeout() {
    alone(async {
        scenario(
            "stall past the read idle timeout",
            Setup::new(Action::Echo).config(|c| c.with_read_idle_timeout(Some(SHORT))),
            Expect::unclean(CloseCause::Timeout(TimeoutKind::ReadIdle), Initiator::Local),
            |addr, log, index| silent_peer(addr, log, index, Some(1001)),
        )
        .await;
    });
}

#[test]
fn stall_past_the_write_idle_timeout() {
    alone(async {
        scenario(
            "stall past the write idle timeout",
            Setup::new(Action::Echo).config(|c| c.with_write_idle_timeout(Some(SHORT))),
            Expect::unclean(
                CloseCause::Timeout(TimeoutKind::WriteIdle),
                Initiator::Local,
            ),
            |addr, log, index| silent_peer(addr, log, index, Some(1001)),
        )
        .await;
    });
}

#[test]
fn stall_past_the_max_idle_timeout() {
    alone(async {
        scenario(
            "stall past the max idle timeout",
            Setup::new(Action::Echo).config(|c| c.with_max_idle_timeout(Some(SHORT))),
            Expect::unclean(CloseCause::Timeout(TimeoutKind::MaxIdle), Initiator::Local),
            |addr, log, index| silent_peer(addr, log, index, Some(1001)),
        )
        .await;
    });
}

#[test]
fn stall_past_the_close_timeout() {
    alone(async {
        scenario(
            "stall past the close timeout",
            Setup::new(Action::CloseOnMessage).config(|c| c.with_session_close_timeout(SHORT)),
            Expect::unclean(
                CloseCause::Timeout(TimeoutKind::SessionClose),
                Initiator::Local,
            ),
            |addr, log, index| async move {
                let mut tcp = upgraded(addr, false).await;
                tcp.write_all(&client_frame(0x81, b"close, please"))
                    .await
                    .unwrap();
                // The server's close arrives; it is never answered.
                let frames = frames_until_close(&mut tcp).await;
                assert_eq!(
                    frames.last().and_then(|f| f.close_code()),
                    Some(1000),
                    "{:?}",
                    describe(&frames)
                );
                wait_for("the stalled session closed", GUARD, || closed(&log, index)).await;
                until_eof(&mut tcp).await;
            },
        )
        .await;
    });
}

#[test]
fn stall_past_the_blocking_send_timeout() {
    alone(async {
        scenario(
            "stall past the blocking send timeout",
            Setup::new(Action::FlushedOnMessage)
                .settings(ServerSettings::default().with_blocking_send_timeout(Some(SHORT))),
            Expect::unclean(CloseCause::Aborted, Initiator::Local),
            |addr, log, index| async move {
                // Asks for the large message and never reads it.
                let mut tcp = upgraded(addr, true).await;
                tcp.write_all(&client_frame(0x81, b"send it"))
                    .await
                    .unwrap();
                wait_for("the stalled session closed", GUARD, || closed(&log, index)).await;
                let calls = log.lock().unwrap()[index].clone();
                assert!(
                    calls
                        .iter()
                        .any(|c| matches!(c, Call::Sent(s) if s == "Err(SendTimeout)")),
                    "{calls:?}"
                );
                // Unread bytes wait in our buffer: dropping resets the connection.
                drop(tcp);
            },
        )
        .await;
    });
}

#[test]
fn close_while_our_large_message_is_half_written() {
    alone(async {
        // The server cannot have written the whole message by the time the peer
        // closes: the peer has read 1 MiB, and the kernel holds at most its send and
        // receive buffers.
        let wmem_max: usize = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
            .ok()
            .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(4 << 20);
        assert!(
            LARGE > (1 << 20) + wmem_max + (1 << 20),
            "tcp_wmem max {wmem_max} too large for this scenario"
        );
        scenario(
            "close while our large message is half written",
            Setup::new(Action::LargeOnOpen).config(|c| c.with_max_message_size(64 << 20)),
            Expect::clean(CloseCode::NORMAL, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, true).await;
                let mut check = LargeFrameCheck::new(&mut tcp).await;
                check.payload(&mut tcp, 1 << 20).await;
                tcp.write_all(&client_frame(0x88, &close_payload(1000, "enough")))
                    .await
                    .unwrap();
                // The rest of the message, whole, then the server's answer, then the end.
                check.payload(&mut tcp, LARGE - (1 << 20)).await;
                let mut rest = Vec::new();
                tcp.read_to_end(&mut rest).await.unwrap();
                let (frames, used) = parse(&rest);
                assert_eq!(used, rest.len(), "trailing bytes");
                assert_eq!(
                    describe(&frames),
                    ["close Some(1000)"],
                    "after the message: the answer to our close, then the end"
                );
            },
        )
        .await;
    });
}

/// Reads the large message's frame as it streams in, comparing each byte with
/// [`large`] without holding the message.
struct LargeFrameCheck {
    offset: usize,
}

impl LargeFrameCheck {
    /// Reads and checks the frame header: one unfragmented binary frame of
    /// [`LARGE`] bytes.
    async fn new(tcp: &mut TcpStream) -> Self {
        let mut header = [0u8; 10];
        tcp.read_exact(&mut header).await.unwrap();
        assert_eq!(header[..2], [0x82, 127], "one binary frame, 64-bit length");
        assert_eq!(
            u64::from_be_bytes(header[2..].try_into().unwrap()),
            LARGE as u64
        );
        LargeFrameCheck { offset: 0 }
    }

    /// Reads the next `len` payload bytes and checks them.
    async fn payload(&mut self, tcp: &mut TcpStream, len: usize) {
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
            assert!(
                buf[..n] == expected[self.offset..self.offset + n],
                "message bytes differ near offset {}",
                self.offset
            );
            self.offset += n;
        }
    }
}
