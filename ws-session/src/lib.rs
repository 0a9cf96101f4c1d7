//! A sans-I/O WebSocket session (RFC 6455, RFC 7692 permessage-deflate) for either
//! role: everything between "handshake done" and "transport closed", without a socket,
//! a clock, a task or a random number generator.
//!
//! A [`Session`] has four kinds of methods (the quinn-proto shape):
//!
//! * **inputs** — [`handle_input`](Session::handle_input) (bytes read),
//!   [`handle_timeout`](Session::handle_timeout) (a deadline passed),
//!   [`handle_eof`](Session::handle_eof) (the peer closed the transport);
//! * **commands** — [`send`](Session::send), [`send_part`](Session::send_part),
//!   [`ping`](Session::ping), [`pong`](Session::pong), [`close`](Session::close);
//! * **outputs** — [`poll_event`](Session::poll_event) ([`Event`]s: messages, parts,
//!   pings, pongs, closed), [`poll_transmit`](Session::poll_transmit) +
//!   [`advance_transmit`](Session::advance_transmit) (bytes to write, as slices for a
//!   vectored write), [`poll_timeout`](Session::poll_timeout) (the next deadline);
//! * **getters** — [`state`](Session::state), [`is_finished`](Session::is_finished),
//!   [`pending_transmit`](Session::pending_transmit),
//!   [`is_above_high_water`](Session::is_above_high_water).
//!
//! Time is an input: every input and command takes `now: Instant` from the caller.
//! Client masking keys come from a caller-supplied [`MaskSource`].
//!
//! # Call order (the driver loop of a front-end)
//!
//! 1. Build the session with [`Session::server`] / [`Session::client`] when the
//!    handshake completes (`now` starts the idle timers).
//! 2. Wait for whichever comes first: bytes from the transport (`handle_input`), end of
//!    stream (`handle_eof`), the deadline from `poll_timeout` (`handle_timeout`), or an
//!    application command (`send`, `close`, ...).
//! 3. Then, in this order: drain `poll_event` until `None` and hand the events to the
//!    application; write what `poll_transmit` offers and report it with
//!    `advance_transmit` (partial writes are fine); re-read `poll_timeout`, which may
//!    have changed.
//! 4. Stop sending when [`is_above_high_water`](Session::is_above_high_water); resume
//!    when it clears. When [`is_finished`](Session::is_finished) (closed and flushed),
//!    drop the transport.
//!
//! Protocol errors need no handling by the front-end: the session queues the close
//! frame with the mapped code itself (see [`ProtocolError::close_code`]) and reports
//! [`Event::Closed`]. A normal close is an event, not an error.
//!
//! # Rules worth knowing
//!
//! * **Receiving**: whole or partial delivery per message type ([`Delivery`]); whole
//!   messages larger than the buffer size fail with 1009, decided from the frame header
//!   before buffering; an absolute `max_message_size` and `max_fragments` apply in both
//!   modes; compressed messages are inflated in bounded steps and counted against the
//!   same limits. Text is checked as it arrives (1007 in the frame with the bad byte).
//! * **Control frames**: pings are answered automatically (also mid-message; pending
//!   automatic pongs coalesce); a received close is answered with the same code, an
//!   empty close with an empty close.
//! * **Sending**: an outbound queue bounded by `max_outbound_bytes`, control frames
//!   ahead of queued data frames but never inside a frame; see [`SendError`] and the
//!   queue rule in [`Session::send`].
//! * **Timers**: all deadlines are exact: a timer fires when `now >= deadline`.
//!
//!
//! (The example lives in `doc/example.md` so that the crate's sources never name a
//! clock call; the tidy test scans them.)
#![doc = include_str!("../doc/example.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod assembler;
mod config;
mod deflate;
mod error;
mod event;
#[doc(hidden)]
pub mod fuzzing;
mod outgoing;
mod reader;
mod session;
mod timers;
mod writer;

pub use bytes::Bytes;
pub use config::{DeflateConfig, Delivery, Role, SessionConfig};
pub use error::{ProtocolError, SendError};
pub use event::{CloseCause, CloseInfo, Event, Initiator, Message, MessageKind, TimeoutKind};
pub use session::{Session, State};
pub use writer::MaskSource;
pub use ws_frame::CloseCode;
