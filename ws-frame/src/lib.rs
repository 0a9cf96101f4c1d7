//! A `no_std`, allocation-free WebSocket frame codec (RFC 6455).
//!
//! This crate is the bottom layer of the stack and has no policy: it knows the wire
//! syntax, not roles, limits or extensions (`ws-session` applies those). It provides:
//!
//! * [`FrameHeader::decode`] / [`FrameHeader::encode`]: the frame header, decoded from
//!   a byte slice into the header and its length, or how many more bytes are needed;
//!   syntax errors ([`FrameError`]) carry the close code that reports them.
//! * [`apply_mask`]: masking in place, resumable at any payload offset.
//! * [`CloseCode`] and [`CloseFrame`]: close status codes and close payloads.
//! * [`Utf8Validator`]: incremental UTF-8 validation for text split across frames.
//!
//! # Guarantees
//!
//! Each is checked by a property test (`tests/properties.rs`) and the decoder by a
//! fuzz target whose seed corpus replays under `cargo test`:
//!
//! * decoding never panics, whatever the input;
//! * a decoded header's length is at most the input length and at most
//!   [`MAX_HEADER_LEN`]; decoding reads only the header, so limits can be applied to
//!   `payload_len` before anything is buffered;
//! * `encode` then `decode` gives back the header, and `decode` then `encode` gives back
//!   the bytes (length encodings are minimal; non-minimal ones are rejected);
//! * masking twice is the identity; masking in chunks equals masking at once;
//! * feeding text to [`Utf8Validator`] in any split gives the one-shot verdict.
//!
//! # Example: a masked client frame, decoded and unmasked chunk by chunk
//!
//! ```
//! use ws_frame::{apply_mask, Decoded, FrameHeader, OpCode, MAX_HEADER_LEN};
//!
//! // Encode a masked text frame, as a client would send it.
//! let key = [1, 2, 3, 4];
//! let mut header = FrameHeader::new(OpCode::Text, 5);
//! header.mask = Some(key);
//! let mut wire = [0u8; MAX_HEADER_LEN + 5];
//! let n = header.encode((&mut wire[..MAX_HEADER_LEN]).try_into().unwrap());
//! wire[n..n + 5].copy_from_slice(b"hello");
//! apply_mask(&mut wire[n..n + 5], key, 0);
//!
//! // A server receives the first 3 bytes: not enough for the header.
//! assert_eq!(FrameHeader::decode(&wire[..3]), Ok(Decoded::Incomplete(3)));
//! // Then the rest.
//! let Ok(Decoded::Complete(got, len)) = FrameHeader::decode(&wire) else { panic!() };
//! assert_eq!((got.opcode, got.payload_len, len), (OpCode::Text, 5, 6));
//! let payload = &mut wire[len..len + 5];
//! let (first, rest) = payload.split_at_mut(2);
//! apply_mask(first, key, 0);
//! apply_mask(rest, key, 2);
//! assert_eq!(payload, b"hello");
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod close;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod mask;
mod opcode;
mod utf8;

pub use close::{truncate_reason, CloseCode, CloseError, CloseFrame, MAX_CLOSE_REASON};
pub use error::FrameError;
pub use header::{Decoded, FrameHeader, Rsv, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
pub use mask::{apply_mask, mask_copy};
pub use opcode::OpCode;
pub use utf8::{validate as validate_utf8, Utf8Error, Utf8Validator};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
