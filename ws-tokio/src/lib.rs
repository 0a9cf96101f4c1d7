//! The tokio runtime layer of the ws-stack crates, for servers and clients alike:
//! what sits between the sans-I/O protocol core (`ws-session`, `ws-handshake`) and
//! the front-ends that open connections (`ws-server`, `ws-client`, integrations).
//!
//! Two ways to run a session over any `AsyncRead + AsyncWrite` whose handshake is
//! done:
//!
//! * **Endpoint API** ([`Endpoint`], [`Opened::run`], [`SessionHandle`]): callbacks
//!   in the JSR-356 spirit, with typed per-session state, called in place by one
//!   driver per session (no allocation per call, no channel); cloneable handles send
//!   from any task or thread.
//! * **Owned API** ([`WebSocket`]): a `Stream` + `Sink` of messages owned by the
//!   caller's task, with streaming in both directions ([`WebSocket::next_part`],
//!   [`WebSocket::send_writer`]) and [`split`] halves for two tasks.
//! * **Topics** ([`Topics`], [`SessionHandle::subscribe`],
//!   [`SessionHandle::publish`]): publish once to every subscribed session, the
//!   frame encoded once; a slow-consumer policy per topic ([`SlowConsumer`]); across
//!   servers through a [`Broker`] (in-process here; Redis and NATS in `ws-broker`).
//!   See [`topics`].
//!
//! With the `h2` feature, [`http2::H2Stream`] is one HTTP/2 stream of an extended
//! `CONNECT` (RFC 8441) as such a transport, with flow control released as the
//! session reads and `END_STREAM` / `RST_STREAM` for clean and failed ends.
//!
//! # One semantics, both roles
//!
//! | verb | meaning |
//! |---|---|
//! | `send` ([`SessionHandle::send`], `Sink::start_send` after `poll_ready`) | resolves when the message is **queued**; waits only above the high-water mark (256 KiB by default) |
//! | [`SessionHandle::send_flushed`], [`SessionHandle::flush`], `Sink::poll_flush` | resolves when the bytes are **written**; the handle's flushed sends give up after `BLOCKING_SEND_TIMEOUT` with [`Error::SendTimeout`] and 1001 to the peer |
//! | [`SessionHandle::send_blocking`] | a flushed send blocking the thread, for code that is not async; [`Error::BlockingOnRuntime`] where blocking would stall the session (see below) |
//! | `ping`, `pong`, `close` | queued at once (control frames skip the high-water mark); `fn(&self, ..) -> Result<(), Error>` on the handle |
//! | end of the `Stream` | `None` after a clean close; one error first for a protocol error ([`Error::Protocol`]), a transport failure ([`Error::Io`]) or any other unclean end ([`Error::Abnormal`]) |
//! | "closed" | always [`Error::Closed`] |
//!
//! **Thread-blocking sends** are refused with [`Error::BlockingOnRuntime`] from the
//! callbacks of the session they would wait for, and on the thread of a
//! current-thread runtime that runs sessions; on a multi-thread runtime they go
//! through `tokio::task::block_in_place`; outside a runtime (or on a
//! `spawn_blocking` thread) they simply block.
//!
//! **Cancellation**: every future of this crate is cancellation-safe inside
//! `tokio::select!`. `Stream`, `Sink`, [`WebSocket::next_part`] and
//! [`MessageWriter`] are `poll_*` functions over state the value owns (bytes read
//! are parsed into the session at once, messages are queued whole or not at all);
//! a handle's send future that is dropped has queued its whole message or nothing.
//!
//! **Order on failure**: messages that arrived before a protocol violation are
//! handed out before it (as the session reports them), and replies queued while
//! handling them go out before the close frame.
//!
//! # Example
//!
//! An echo server and a client over an in-memory duplex pipe (a `TcpStream`
//! would do the same):
//!
//! ```
//! use futures::{SinkExt, StreamExt};
//! use ws_session::{Message, Session, SessionConfig};
//! use ws_tokio::{Endpoint, Opened, SessionHandle, SessionInfo, WebSocket};
//!
//! struct Echo;
//!
//! impl Endpoint for Echo {
//!     type State = ();
//!     async fn on_open(&self, _: &SessionHandle) {}
//!     async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
//!         let _ = session.send(message).await;
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! let now = std::time::Instant::now();
//!
//! // Server side: the endpoint API, driven in a task of its own.
//! let server = Session::server(SessionConfig::default(), now);
//! let opened = Opened::new(server, SessionInfo::new("/echo"), None);
//! tokio::spawn(async move { opened.run(&Echo, server_io).await });
//!
//! // Client side: the owned WebSocket. Clients mask with random keys.
//! use rand::{rngs::StdRng, Rng, SeedableRng};
//! let mut rng = StdRng::from_os_rng();
//! let masks = move || rng.random::<[u8; 4]>();
//! let client = Session::client(SessionConfig::default(), masks, now);
//! let mut ws = WebSocket::from_session(client_io, client, SessionInfo::new("/echo"));
//! ws.send(Message::Text("hello".into())).await.unwrap();
//! assert_eq!(ws.next().await.unwrap().unwrap(), Message::Text("hello".into()));
//! ws.close().await.unwrap();
//! assert!(ws.next().await.is_none()); // a clean close ends the stream
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aligned;
mod blocking;
mod callback;
mod deflate;
mod driver;
mod endpoint;
mod error;
mod group;
mod handle;
#[cfg(feature = "h2")]
pub mod http2;
mod inbox;
mod info;
mod properties;
mod send_clock;
mod shared;
mod split;
mod timer;
pub mod topics;
mod transfer;
mod websocket;
mod writer;

pub use callback::CallbackSlot;
pub use deflate::{deflate_config, negotiated_session};
pub use driver::Opened;
pub use endpoint::{Echo, Endpoint, PartialEcho};
pub use error::Error;
pub use group::Group;
pub use handle::{SessionGroup, SessionHandle};
pub use inbox::SlowConsumer;
pub use info::{HttpVersion, PathParams, SessionInfo};
pub use properties::Properties;
pub use split::{reunite, split, WebSocketRead, WebSocketWrite};
pub use topics::{
    Broker, BrokerMessage, BrokerState, BrokerStats, BrokerStatus, BrokerStream, InProcessBroker,
    InProcessHub, TopicListener, TopicStats, Topics,
};
pub use transfer::{poll_read_into, ReadBuffer};
pub use websocket::{Part, WebSocket};
pub use writer::{MessageWriter, SendSide};

pub use bytes::Bytes;
pub use ws_frame::CloseCode;
pub use ws_session::{
    CloseCause, CloseInfo, Delivery, Initiator, Message, MessageKind, SessionConfig, TimeoutKind,
};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
