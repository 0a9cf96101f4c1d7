//! A load generator for WebSocket echo servers, speaking the protocol itself from the
//! stack's sans-I/O layers (`ws-handshake` for the upgrade, `ws-frame` for frames)
//! over tokio TCP: it does not use `ws-client`, so it measures a server without
//! measuring our own client.
//!
//! Three modes, each bounded in count and time and aimed only at loopback
//! ([`Target`] refuses anything else):
//!
//! * [`throughput`]: N connections, each keeping K messages of S bytes in flight
//!   (pipelined, written and read concurrently), for a window after a warm-up;
//!   reports echoed messages/s and MB/s. Messages are cut from a pattern masked once
//!   per run ([`outbox`]), so large sizes measure the server, not the generator's
//!   masking.
//! * [`latency`]: one connection, one 16-byte message in flight; round-trip
//!   percentiles.
//! * [`connections`]: N connections; the server's `VmRSS` is read with all idle right
//!   after the handshake, and again after each echoed M messages; reports bytes per
//!   idle connection at both points, then closes every connection with 1000.
//! * [`fanout`]: one publisher, N subscribers of a pub/sub endpoint; deliveries per
//!   second and publish-to-receive percentiles, with a bounded window of messages in
//!   flight (a message lost by the server is counted, a duplicate fails the run).
//!
//! Messages are random bytes in binary messages or JSON-like text ([`payload`]), and
//! may go compressed: with `--deflate` the generator offers permessage-deflate as
//! Chromium does, sends messages compressed once per run ([`wire`]) and inflates the
//! server's echoes as they stream in ([`inflate`], `flate2`).
//!
//! Every echo is checked as it streams in ([`payload`]): each message carries its
//! sequence number and a deterministic pattern, so corruption, truncation, loss,
//! duplication and reordering all fail the run.
//!
//! # Example
//!
//! ```
//! use ws_loadgen::payload::{Checker, Pattern, PayloadError};
//!
//! let pattern = Pattern::new(64)?;
//! let mut checker = Checker::new();
//! assert_eq!(checker.check(&pattern, &pattern.message(0)), Ok(0));
//! // Message 2 where message 1 was due: reordered or lost.
//! assert!(matches!(
//!     checker.check(&pattern, &pattern.message(2)),
//!     Err(PayloadError::OutOfOrder { expected: 1, got: 2 })
//! ));
//! # Ok::<(), PayloadError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
pub mod conn;
pub mod connections;
pub mod cpu;
pub mod decode;
pub mod encode;
mod error;
pub mod fanout;
pub mod inflate;
pub mod latency;
pub mod memory;
pub mod outbox;
pub mod payload;
pub mod pool;
pub mod receive;
pub mod rng;
pub mod stats;
pub mod target;
pub mod throughput;
pub mod wire;

pub use error::LoadError;
pub use target::Target;
