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

use common::faults::*;
use common::process::{alone, wait_for, wait_for_fds};
use common::wire::client_frame;
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use ws_config::ServerSettings;
use ws_server::{
    CloseCause, CloseInfo, Endpoint, Error, Initiator, Message, Server, SessionConfig,
    SessionHandle,
};
use ws_session::{CloseCode, TimeoutKind};

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
        let index = open_session(&self.log);
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
            baseline = Some(baseline_now(fds));
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
    expect.check(name, &log, WARMUP + ROUNDS);
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
                RawPeer::Client.half_close_after_close(&mut tcp).await;
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
                RawPeer::Client
                    .end_inside_a_fragmented_message(&mut tcp)
                    .await;
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
        expect_close_frame(&mut tcp, code).await;
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
                expect_close_frame(&mut tcp, 1000).await;
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
                drop_once_send_timed_out(tcp, &log, index).await;
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
        assert_large_outlasts_kernel_buffers(1 << 20);
        scenario(
            "close while our large message is half written",
            Setup::new(Action::LargeOnOpen).config(|c| c.with_max_message_size(64 << 20)),
            Expect::clean(CloseCode::NORMAL, Initiator::Remote),
            |addr, _, _| async move {
                let mut tcp = upgraded(addr, true).await;
                RawPeer::Client
                    .close_while_the_large_message_is_half_read(&mut tcp)
                    .await;
            },
        )
        .await;
    });
}
