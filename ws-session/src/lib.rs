//! A sans-I/O WebSocket session (RFC 6455, RFC 7692 permessage-deflate) for either
//! role: everything between "handshake done" and "transport closed", without a socket,
//! a clock, a task or a random number generator.
//!
//! A [`Session`] has four kinds of methods (the quinn-proto shape):
//!
//! * **inputs** — [`handle_input`](Session::handle_input) (bytes read),
//!   [`handle_timeout`](Session::handle_timeout) (a deadline passed),
//!   [`handle_eof`](Session::handle_eof) (the peer closed the transport), and for
//!   large frames [`lend_input`](Session::lend_input) +
//!   [`handle_loan`](Session::handle_loan) (read payload straight into the message
//!   buffer instead of copying it there);
//! * **commands** — [`send`](Session::send), [`send_part`](Session::send_part),
//!   [`send_shared`](Session::send_shared) (servers: a frame encoded once for many
//!   sessions, see [`SharedFrame`]), [`ping`](Session::ping), [`pong`](Session::pong),
//!   [`close`](Session::close);
//! * **outputs** — [`poll_event`](Session::poll_event) ([`Event`]s: messages, parts,
//!   pings, pongs, closed), [`poll_transmit`](Session::poll_transmit) +
//!   [`advance_transmit`](Session::advance_transmit) (bytes to write, as slices for a
//!   vectored write; or [`transmit_chunk`](Session::transmit_chunk), the next bytes
//!   that lie together, which is all of them when only small frames are queued, or
//!   [`copy_transmit`](Session::copy_transmit), a copy),
//!   [`poll_timeout`](Session::poll_timeout) (the next deadline);
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
//! [`Event::Closed`], in order (see "In-order failure" below). A normal close is an
//! event, not an error.
//!
//! # Rules worth knowing
//!
//! * **Receiving**: whole or partial delivery per message type ([`Delivery`]); whole
//!   messages larger than the buffer size fail with 1009, decided from the frame header
//!   before buffering, and message buffers grow with the bytes received, never to a
//!   size the peer merely announces; an absolute `max_message_size` applies in both
//!   modes; compressed messages are inflated in bounded steps and counted against the
//!   same limits. Text is checked as it arrives (1007 in the frame with the bad byte).
//! * **Fragments**: no limit on how many frames a message spans; a fragment costs
//!   O(1) memory (counters, no list entry, no allocation of its own) and the message
//!   buffer grows geometrically, so small fragments cost no regrowth per frame.
//!   Endless tiny or empty fragments, which never reach a size limit, meet the
//!   framing bound: the wire bytes of one message's frames (headers and payload, as
//!   announced) may be at most 8 per payload byte plus 64 KiB, else the session
//!   fails with 1008 (policy violation: the payload is within every size limit, so
//!   1009 would misreport it). Legal framing passes whatever the limits: a masked
//!   1-byte fragment costs 7 bytes per payload byte (1 MiB in 1-byte fragments is
//!   7 MiB on the wire); after a 1-byte first frame, 10,922 empty continuations fit.
//! * **Control frames**: every ping is answered automatically by its own pong, in
//!   order, with its payload (also mid-message). Waiting automatic pongs are bounded
//!   by `max_queued_pongs` (default 64) and `max_queued_pong_bytes` (default 8 KiB
//!   of payload); past either bound the newest waiting pong takes the latest ping's
//!   payload instead (RFC 6455 section 5.5.3), so a peer that pings and never reads
//!   cannot grow our memory. A received close is answered with the same code, an
//!   empty close with an empty close.
//! * **Sending** (better than "one send in flight"): every accepted command appends
//!   frames to one outbound queue bounded by `max_outbound_bytes`; a send that does not
//!   fit is refused whole with [`SendError::QueueFull`] and queues nothing. Frames leave
//!   in this order: the frame already partly written (frames are never split or
//!   interleaved mid-frame), then queued pings and pongs (they jump ahead of queued
//!   data frames, also in the middle of a message sent in parts), then data frames in
//!   the order sent. A close from [`Session::close`], our reply to the peer's close
//!   and a close caused by a protocol error queue behind the data already queued, so
//!   everything sent before them goes out (within `abnormal_close_send_timeout` for
//!   codes other than 1000); a close for an idle timeout or from [`Session::abort`]
//!   jumps ahead and discards data frames not yet started (the session is giving up
//!   on a peer that is idle or too slow). While a message sent with [`Session::send_part`] is
//!   unfinished, a whole message or a part of the other kind is refused with
//!   [`SendError::MessageInProgress`]. Automatic pongs are outside
//!   `max_outbound_bytes`: they have their own bound (above). A server can also
//!   queue a message encoded once for many sessions ([`Session::send_shared`], a
//!   [`SharedFrame`]): same queue, same order, same bounds and refusals; which
//!   form (plain, or deflated without context for sessions that negotiated
//!   `server_no_context_takeover`) a session takes is [`Session::shared_form`].
//! * **In-order failure (and close)**: input is processed in order, up to the first
//!   protocol violation (1002, 1007, 1008 or 1009) or the peer's close frame;
//!   nothing after it is looked at (not the rest of that input, nor any later
//!   input: pings after it get no pong). The events before it stay queued, and it
//!   takes effect on the [`poll_event`](Session::poll_event) call that finds no
//!   earlier event: then our close frame (the violation's code, or the answer to the
//!   peer's close) is queued behind everything the application has sent by then, and
//!   [`Event::Closed`] is returned. Until then the session is [`State::Open`] (or
//!   `Closing`) and accepts sends, so a front-end that hands each event to the
//!   application before polling the next gets the replies to the messages before
//!   the violation or close out before our close frame (RFC 6455 section 5.5.1 lets
//!   an endpoint finish sending before it answers a close); one that drains all
//!   events first gets the close queued before any reply (which is then refused).
//!   If the transport ends meanwhile ([`handle_eof`](Session::handle_eof)), the
//!   events before still come first, then the violation or the completed handshake
//!   is reported (nothing more is written). Idle timers, and the wait for the peer's
//!   close, stop when it is read.
//! * **Closing**: a received close is answered with the same code and an empty reason;
//!   an empty close with an empty close (reported as 1005). After a protocol error the
//!   session sends the mapped code and processes no further input. Close codes
//!   1012-1014 are accepted. Timeouts send 1001 and report 1006 locally.
//! * **Compression**: see [`DeflateConfig`] (window bits 8 for our own direction means
//!   we send uncompressed; messages below `compression_threshold` go plain, and so do
//!   messages of a kind that has just proved incompressible, for a while:
//!   `skip_incompressible`; RSV1 only on first frames; context takeover in either
//!   direction or not).
//! * **Timers**: all deadlines are exact: a timer fires when `now >= deadline`.
//!
//!
//! (The example lives in `doc/example.md` so that the crate's sources never name a
//! clock call; the tidy test scans them.)
#![doc = include_str!("../doc/example.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod arena;
mod assembler;
mod backoff;
mod buffers;
mod config;
mod deflate;
mod error;
mod event;
#[doc(hidden)]
pub mod fuzzing;
mod history;
mod masked;
mod outgoing;
mod reader;
mod session;
mod shared;
mod spare;
mod timers;
mod writer;

pub use bytes::Bytes;
pub use config::{DeflateConfig, Delivery, Role, SessionConfig};
pub use error::{ProtocolError, SendError};
pub use event::{CloseCause, CloseInfo, Event, Initiator, Message, MessageKind, TimeoutKind};
pub use session::{InputLoan, Session, State};
pub use shared::{SharedCompressor, SharedDeflate, SharedForm, SharedFrame};
pub use writer::MaskSource;
pub use ws_frame::CloseCode;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
