//! `ws-conformance`: this project's own WebSocket conformance suite, in the style of
//! the [Autobahn TestSuite](https://github.com/crossbario/autobahn-testsuite).
//!
//! It plays the independent peer in both roles:
//!
//! * **fuzzing client** (`ws-conformance client ws://HOST:PORT/PATH`): runs every case
//!   against an echo server;
//! * **fuzzing server** (`ws-conformance server --client-cmd "ws-client --echo {url}"`):
//!   for each case starts the client command pointed at a per-case URL on a fresh
//!   loopback port and plays the server side of the case against it.
//!
//! # Independence
//!
//! The suite must not share code with what it judges, or a bug there could hide
//! itself. It has its own frame codec ([`frame`]), opening handshake
//! ([`handshake`]), permessage-deflate negotiation and codec ([`deflate`], over
//! `flate2`), and message assembly and UTF-8 checks ([`conn`]); it depends on no
//! crate of this workspace (`xtask`'s tidy test checks the manifest).
//!
//! # Shape
//!
//! * [`cases`]: the cases by Autobahn section (1 framing, 2 pings/pongs, 3 reserved
//!   bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 limits and
//!   performance, 10 auto-fragmentation, 12 and 13 permessage-deflate), each a
//!   description, an expectation, a deflate profile, a time bound and a script.
//! * [`check`]: the building blocks of scripts, which hold the strict rules (every
//!   ping its own pong in order; echoes of valid messages before the close that a
//!   later violation causes; 1002 for protocol errors and 1007 for invalid UTF-8,
//!   failing fast; a clean close with the server closing TCP) and say what is only
//!   tolerated.
//! * [`verdict`]: OK, NON-STRICT, FAILED, INFORMATIONAL, with a reason for every verdict
//!   but OK.
//! * [`runner`]: a connection per case, several at once, every case bounded in time.
//! * [`report`]: JSON results and markdown tables.
//!
//! # Transports: where HTTP/2 plugs in
//!
//! Scripts run over [`conn::Conn`], which takes any byte stream that is
//! `AsyncRead + AsyncWrite` ([`conn::Transport`]) once the opening handshake is done,
//! plus the negotiated permessage-deflate parameters and any bytes read past the
//! handshake: `Conn::new(stream, role, leftover, deflate)`. The HTTP/1.1 handshake is
//! a separate step ([`handshake::client::open`], [`handshake::server::accept`]) called
//! by [`runner`] right after the TCP connect or accept. An RFC 8441 transport adds a
//! sibling of those two functions that opens (or accepts) an HTTP/2 stream with an
//! extended CONNECT (`:protocol = websocket`, the same `Sec-WebSocket-Extensions`
//! negotiation, `200` instead of `101`), wraps the stream's send and receive halves
//! as one `AsyncRead + AsyncWrite`, and hands it to `Conn::new`; the runner chooses
//! the transport per run. No case changes: cases never see the transport. (The one
//! thing a stream does not have is a TCP close: [`check::finish_tcp`], which checks
//! that the server closes the connection after the close handshake, would check for
//! the end of the stream (`END_STREAM`) instead, which the wrapper reports as the end
//! of input.)
//!
//! `--http2` selects that transport for a run ([`http2`]): as client, each case
//! opens an HTTP/2 connection with prior knowledge and its WebSocket as an
//! extended CONNECT stream; as server, the client command (e.g. `ws-client
//! --http2`) connects with prior knowledge and the suite accepts its extended
//! CONNECT. Every case runs unchanged over the stream.
//!
//! # Example
//!
//! ```
//! use ws_conformance::cases;
//!
//! // Section 2 (pings and pongs), as `--cases 2` selects it.
//! let selected = cases::select(cases::all(), &["2".to_owned()]);
//! assert!(selected.iter().any(|c| c.id == "2.10"));
//! assert!(selected.iter().all(|c| c.section == 2));
//! ```
#![forbid(unsafe_code)]

pub mod cases;
pub mod check;
pub mod conn;
pub mod deflate;
pub mod deflate_audit;
pub mod frame;
pub mod handshake;
pub mod http2;
pub mod report;
pub mod runner;
pub mod verdict;
