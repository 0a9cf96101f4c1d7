//! Faults over real sockets, client role, through both APIs (the endpoint API of
//! `connect_endpoint` and the `WebSocket` of `connect`), against raw loopback
//! servers: the server resets the connection mid-header and mid-payload,
//! half-closes after its close frame, ends the connection without a close frame
//! inside a fragmented message, stalls for longer than each timeout (read, write
//! and max idle; the close handshake; for the endpoint API a flushed send), and
//! sends its close while our 16 MiB message is half written.
//!
//! Each scenario runs twice to warm up and several rounds more; after them:
//! * a new connection works (an echo against a well-behaved server, same API);
//! * the process's open fds are back to their count before the first connection,
//!   and its resident memory within `support::process::RSS_BOUND` (4 MiB) of what
//!   it was after the warm-up, plus 16 MiB per malloc arena (`ARENAS`, 3) where a
//!   round masks a copy of the 16 MiB message (glibc may keep one such block per
//!   arena; a leaked copy per round would pass that after 4 of the 8 rounds);
//! * every session saw exactly one close with the expected cause, code and
//!   initiator: for the endpoint API one `on_close`, last, right after exactly one
//!   `on_error` when the end was unclean (none when clean); for the `WebSocket`,
//!   exactly one error item when unclean (none when clean), then the end, and
//!   `close_info` says how.
//!
//! The tests run one at a time in this process, each on a runtime of its own
//! (`alone`: they count the process's fds and memory). No timing assertions:
//! every wait is for a condition, under a hang guard.

mod support;

use std::future::Future;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::faults::*;
use support::process::{self, alone, wait_for, wait_for_fds};
use support::wire::server_frame;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use ws_client::{
    connect, connect_endpoint, ClientConfig, CloseCause, CloseCode, CloseInfo, Endpoint, Error,
    Initiator, Message, SessionHandle, TimeoutKind,
};

/// Hang guard for every wait (never a timing assertion).
const GUARD: Duration = Duration::from_secs(30);

async fn guard<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(GUARD, f)
        .await
        .expect("test hang guard expired")
}

/// Which client API a scenario drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Endpoint,
    Stream,
}

/// What the client does once connected (besides reading).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Nothing,
    /// Starts the close handshake (1000).
    Close,
    /// Sends the large message.
    SendLarge,
    /// Sends the large message with `send_flushed` (endpoint API).
    SendLargeFlushed,
}

/// Records its callbacks; the session's state is its index in the log.
struct Recorder(Log);

impl Endpoint for Recorder {
    type State = usize;

    async fn on_open(&self, _: &SessionHandle) -> usize {
        open_session(&self.0)
    }

    async fn on_message(&self, index: &mut usize, _: &SessionHandle, message: Message) {
        record(&self.0, *index, Call::Message(message.as_bytes().len()));
    }

    async fn on_error(&self, index: &mut usize, _: &SessionHandle, error: &Error) {
        record(&self.0, *index, Call::Error(format!("{error:?}")));
    }

    async fn on_close(&self, index: &mut usize, _: &SessionHandle, close: &CloseInfo) {
        record(&self.0, *index, Call::Close(close.clone()));
    }
}

/// The test's client configuration: no deflate (the raw servers do not speak
/// it), `config` applied to the session.
fn client_config(
    config: fn(ws_client::SessionConfig) -> ws_client::SessionConfig,
    blocking_send_timeout: Option<Duration>,
) -> ClientConfig {
    let base = support::config().with_deflate(false);
    let session = config(base.session.clone());
    let settings = base
        .settings
        .clone()
        .with_blocking_send_timeout(blocking_send_timeout);
    base.with_session(session).with_settings(settings)
}

/// A scenario: the client's side of it.
struct Client {
    api: Api,
    action: Action,
    config: ClientConfig,
}

/// Connects to `uri` with the scenario's API, does its action, and runs the
/// session to its end; every callback or item goes to session `index` of `log`
/// (the sessions of a scenario open one after the other).
async fn run_client(client: &Client, uri: &str, log: &Log, index: usize) {
    match client.api {
        Api::Endpoint => {
            let handle = connect_endpoint(uri, &client.config, Recorder(log.clone()))
                .await
                .unwrap();
            match client.action {
                Action::Nothing => {}
                Action::Close => handle.close(CloseCode::NORMAL, "bye").unwrap(),
                Action::SendLarge => handle.send(large()).await.unwrap(),
                Action::SendLargeFlushed => {
                    let sent = handle.send_flushed(large()).await;
                    record(log, index, Call::Sent(format!("{sent:?}")));
                }
            }
            wait_for("the session closed", GUARD, || closed(log, index)).await;
        }
        Api::Stream => {
            let mut ws = connect(uri, &client.config).await.unwrap();
            assert_eq!(open_session(log), index);
            match client.action {
                Action::Nothing => {}
                Action::Close => ws.close_with(CloseCode::NORMAL, "bye").unwrap(),
                Action::SendLarge => guard(ws.send(Message::Binary(large()))).await.unwrap(),
                Action::SendLargeFlushed => unreachable!("the endpoint API's"),
            }
            while let Some(item) = guard(ws.next()).await {
                let call = match item {
                    Ok(m) => Call::Message(m.as_bytes().len()),
                    Err(e) => Call::Error(format!("{e:?}")),
                };
                record(log, index, call);
            }
            let info = ws.close_info().cloned().expect("close info after the end");
            record(log, index, Call::Close(info));
        }
    }
}

/// A raw server's listener; `small_receive_buffer` makes the kernel hold little
/// of what the client writes.
async fn raw_listener(small_receive_buffer: bool) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    if small_receive_buffer {
        socket.set_recv_buffer_size(16 * 1024).unwrap();
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(16).unwrap()
}

/// Runs the scenario: per round, the raw server `peer` takes one connection (with
/// the upgrade done) while the client runs; then the checks of the module docs.
async fn scenario<P, PFut>(
    name: &str,
    client: Client,
    small_receive_buffer: bool,
    expect: Expect,
    peer: P,
) where
    P: Fn(TcpStream, Log, usize) -> PFut,
    PFut: Future<Output = ()>,
{
    let name = &format!("{name} ({:?} API)", client.api);
    let log = Log::default();
    let listener = raw_listener(small_receive_buffer).await;
    let uri = format!("ws://{}/", listener.local_addr().unwrap());
    let echo = support::echo_server().await;
    // Before any connection: the fds every round must give back.
    let fds = process::fds();
    let mut baseline = None;
    for round in 0..WARMUP + ROUNDS {
        // The client and the raw server, side by side.
        guard(async {
            tokio::join!(run_client(&client, &uri, &log, round), async {
                let (tcp, _) = support::accept_session(&listener).await;
                peer(tcp, log.clone(), round).await;
            })
        })
        .await;
        if round + 1 == WARMUP {
            // Warmed up: memory from here.
            probe(&client, echo).await;
            wait_for_fds(fds, name, GUARD).await;
            baseline = Some(baseline_now(fds));
        }
    }
    // A new connection works.
    probe(&client, echo).await;
    // A client masks a copy of what it sends: one large block per round when it
    // sends the large message.
    let large_block = match client.action {
        Action::SendLarge | Action::SendLargeFlushed => LARGE as u64,
        Action::Nothing | Action::Close => 0,
    };
    baseline.unwrap().check(name, GUARD, large_block).await;
    expect.check(name, &log, WARMUP + ROUNDS);
}

/// A new connection with the scenario's API: one echo and a clean close.
async fn probe(client: &Client, echo: std::net::SocketAddr) {
    let uri = format!("ws://{echo}/");
    let config = support::config().with_deflate(false);
    match client.api {
        Api::Endpoint => {
            /// Forwards whole messages to the test.
            struct Forward(tokio::sync::mpsc::UnboundedSender<Message>);
            impl Endpoint for Forward {
                type State = ();
                async fn on_open(&self, _: &SessionHandle) {}
                async fn on_message(&self, _: &mut (), _: &SessionHandle, m: Message) {
                    let _ = self.0.send(m);
                }
            }
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let handle = connect_endpoint(&uri, &config, Forward(tx)).await.unwrap();
            handle.send_text("probe").await.unwrap();
            assert_eq!(guard(rx.recv()).await, Some(Message::Text("probe".into())));
            handle.close(CloseCode::NORMAL, "").unwrap();
            // The channel closes when the endpoint is dropped: the driver ended.
            assert_eq!(guard(rx.recv()).await, None);
            assert_eq!(handle.close_info().unwrap().code, CloseCode::NORMAL);
        }
        Api::Stream => {
            let mut ws = connect(&uri, &config).await.unwrap();
            guard(ws.send(Message::Text("probe".into()))).await.unwrap();
            let echoed = guard(ws.next()).await.unwrap().unwrap();
            assert_eq!(echoed, Message::Text("probe".into()));
            guard(ws.close()).await.unwrap();
            assert!(guard(ws.next()).await.is_none());
            assert_eq!(ws.close_info().unwrap().code, CloseCode::NORMAL);
        }
    }
}

fn nothing(api: Api) -> Client {
    with(api, Action::Nothing, |c| c, None)
}

fn with(
    api: Api,
    action: Action,
    config: fn(ws_client::SessionConfig) -> ws_client::SessionConfig,
    blocking_send_timeout: Option<Duration>,
) -> Client {
    Client {
        api,
        action,
        config: client_config(config, blocking_send_timeout),
    }
}

async fn reset_mid_header(api: Api) {
    scenario(
        "reset mid-header",
        nothing(api),
        false,
        Expect::unclean(CloseCause::Eof, Initiator::Remote),
        |mut tcp, _, _| async move {
            // Binary, 16-bit length: three of the header's four bytes.
            tcp.write_all(&[0x82, 0x7e, 0x01]).await.unwrap();
            reset(tcp);
        },
    )
    .await;
}

async fn reset_mid_payload(api: Api) {
    scenario(
        "reset mid-payload",
        nothing(api),
        false,
        Expect::unclean(CloseCause::Eof, Initiator::Remote),
        |mut tcp, _, _| async move {
            let frame = server_frame(0x82, &vec![9u8; 100_000]);
            tcp.write_all(&frame[..50_000]).await.unwrap();
            reset(tcp);
        },
    )
    .await;
}

async fn half_close_after_the_close_frame(api: Api) {
    scenario(
        "half-close after close",
        nothing(api),
        false,
        Expect::clean(CloseCode::NORMAL, Initiator::Remote),
        |mut tcp, _, _| async move {
            RawPeer::Server.half_close_after_close(&mut tcp).await;
        },
    )
    .await;
}

async fn end_without_close_frame_inside_a_fragmented_message(api: Api) {
    scenario(
        "no close frame inside a fragmented message",
        nothing(api),
        false,
        Expect::unclean(CloseCause::Eof, Initiator::Remote),
        |mut tcp, _, _| async move {
            RawPeer::Server
                .end_inside_a_fragmented_message(&mut tcp)
                .await;
        },
    )
    .await;
}

/// The raw server says nothing and answers nothing: it reads the client's close
/// frame (with `code`), then until the client ends the connection.
async fn silent(mut tcp: TcpStream, code: u16) {
    expect_close_frame(&mut tcp, code).await;
    until_eof(&mut tcp).await;
}

async fn stall_past_an_idle_timeout(
    api: Api,
    kind: TimeoutKind,
    config: fn(ws_client::SessionConfig) -> ws_client::SessionConfig,
) {
    scenario(
        &format!("stall past the {kind:?} timeout"),
        with(api, Action::Nothing, config, None),
        false,
        Expect::unclean(CloseCause::Timeout(kind), Initiator::Local),
        |tcp, _, _| silent(tcp, 1001),
    )
    .await;
}

async fn stall_past_the_close_timeout(api: Api) {
    scenario(
        "stall past the close timeout",
        with(
            api,
            Action::Close,
            |c| c.with_session_close_timeout(SHORT),
            None,
        ),
        false,
        Expect::unclean(
            CloseCause::Timeout(TimeoutKind::SessionClose),
            Initiator::Local,
        ),
        |tcp, _, _| silent(tcp, 1000),
    )
    .await;
}

async fn close_while_our_large_message_is_half_written(api: Api) {
    assert_large_outlasts_kernel_buffers(1 << 20);
    scenario(
        "close while our large message is half written",
        with(api, Action::SendLarge, |c| c, None),
        true,
        Expect::clean(CloseCode::NORMAL, Initiator::Remote),
        |mut tcp, _, _| async move {
            RawPeer::Server
                .close_while_the_large_message_is_half_read(&mut tcp)
                .await;
        },
    )
    .await;
}

#[test]
fn endpoint_reset_mid_header() {
    alone(async {
        reset_mid_header(Api::Endpoint).await;
    });
}

#[test]
fn stream_reset_mid_header() {
    alone(async {
        reset_mid_header(Api::Stream).await;
    });
}

#[test]
fn endpoint_reset_mid_payload() {
    alone(async {
        reset_mid_payload(Api::Endpoint).await;
    });
}

#[test]
fn stream_reset_mid_payload() {
    alone(async {
        reset_mid_payload(Api::Stream).await;
    });
}

#[test]
fn endpoint_half_close_after_the_close_frame() {
    alone(async {
        half_close_after_the_close_frame(Api::Endpoint).await;
    });
}

#[test]
fn stream_half_close_after_the_close_frame() {
    alone(async {
        half_close_after_the_close_frame(Api::Stream).await;
    });
}

#[test]
fn endpoint_end_without_close_frame_inside_a_fragmented_message() {
    alone(async {
        end_without_close_frame_inside_a_fragmented_message(Api::Endpoint).await;
    });
}

#[test]
fn stream_end_without_close_frame_inside_a_fragmented_message() {
    alone(async {
        end_without_close_frame_inside_a_fragmented_message(Api::Stream).await;
    });
}

#[test]
fn endpoint_stall_past_the_read_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Endpoint,
        TimeoutKind::ReadIdle,
        |c| c.with_read_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn endpoint_stall_past_the_write_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Endpoint,
        TimeoutKind::WriteIdle,
        |c| c.with_write_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn endpoint_stall_past_the_max_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Endpoint,
        TimeoutKind::MaxIdle,
        |c| c.with_max_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn stream_stall_past_the_read_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Stream,
        TimeoutKind::ReadIdle,
        |c| c.with_read_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn stream_stall_past_the_write_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Stream,
        TimeoutKind::WriteIdle,
        |c| c.with_write_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn stream_stall_past_the_max_idle_timeout() {
    alone(stall_past_an_idle_timeout(
        Api::Stream,
        TimeoutKind::MaxIdle,
        |c| c.with_max_idle_timeout(Some(SHORT)),
    ));
}

#[test]
fn endpoint_stall_past_the_close_timeout() {
    alone(async {
        stall_past_the_close_timeout(Api::Endpoint).await;
    });
}

#[test]
fn stream_stall_past_the_close_timeout() {
    alone(async {
        stall_past_the_close_timeout(Api::Stream).await;
    });
}

/// The owned `WebSocket` has no blocking-send timeout of its own (a caller bounds
/// its `send` future itself); the handle's flushed sends do.
#[test]
fn endpoint_stall_past_the_blocking_send_timeout() {
    alone(async {
        scenario(
            "stall past the blocking send timeout",
            with(Api::Endpoint, Action::SendLargeFlushed, |c| c, Some(SHORT)),
            true,
            Expect::unclean(CloseCause::Aborted, Initiator::Local),
            |tcp, log, index| async move {
                // Never reads; lets go once the client gave up (and its send said so).
                drop_once_send_timed_out(tcp, &log, index).await;
            },
        )
        .await;
    });
}

#[test]
fn endpoint_close_while_our_large_message_is_half_written() {
    alone(async {
        close_while_our_large_message_is_half_written(Api::Endpoint).await;
    });
}

#[test]
fn stream_close_while_our_large_message_is_half_written() {
    alone(async {
        close_while_our_large_message_is_half_written(Api::Stream).await;
    });
}
