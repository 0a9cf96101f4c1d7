//! [`PayloadArena`]: where small binary messages get their bytes, without an
//! allocation per message.
//!
//! A binary message that arrives whole in one frame is unmasked into a copy the
//! application owns (`Bytes`). Allocating that copy on its own cost a `malloc` and a
//! `free` per message, about a tenth of a 16 B echo's instructions. Instead the
//! thread keeps one chunk of [`CHUNK`](PayloadArena::CHUNK) bytes, and each small
//! message is copied to its end and split off: the messages of a chunk share its
//! allocation through a reference count. Once every message of the chunk has been
//! dropped (an echo drops it as soon as it is queued), the chunk is reused from its
//! start; while one is still held, the next message starts a new chunk.
//!
//! The price: a small message kept alive also keeps its chunk alive (at most
//! [`CHUNK`](PayloadArena::CHUNK) bytes). An application that stores small binary
//! messages for long can copy them (`Bytes::copy_from_slice`). Text messages are
//! `String`s and are not affected; large messages have a buffer of their own.
//!
//! Per thread, like the spare codecs (`spare.rs`): no state per connection, so an
//! idle connection holds none of it, and no lock.

use std::cell::RefCell;

use bytes::BytesMut;

/// The thread's chunk of payload bytes (see the module docs).
pub(crate) struct PayloadArena;

impl PayloadArena {
    /// Bytes per chunk.
    pub(crate) const CHUNK: usize = 32 * 1024;
    /// Largest payload taken from a chunk; larger ones get their own allocation.
    pub(crate) const MAX_PAYLOAD: usize = 1024;

    /// A buffer holding a copy of `payload`: from the thread's chunk if the payload
    /// is small, else an allocation of its own.
    pub(crate) fn copy(payload: &[u8]) -> BytesMut {
        if payload.len() > Self::MAX_PAYLOAD {
            return BytesMut::from(payload);
        }
        thread_local! {
            static CHUNK: RefCell<BytesMut> = RefCell::new(BytesMut::new());
        }
        CHUNK.with(|cell| match cell.try_borrow_mut() {
            Ok(mut chunk) => {
                if chunk.capacity() < payload.len() {
                    // Reuses the chunk if no message of it is alive, else starts anew.
                    chunk.reserve(Self::CHUNK);
                }
                chunk.extend_from_slice(payload);
                chunk.split()
            }
            Err(_) => BytesMut::from(payload),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_payloads_share_a_chunk_and_large_ones_do_not() {
        let a = PayloadArena::copy(b"first");
        let b = PayloadArena::copy(b"second");
        assert_eq!(&a[..], b"first");
        assert_eq!(&b[..], b"second");
        // Back to back in one allocation.
        assert_eq!(a.as_ptr().wrapping_add(a.len()), b.as_ptr());
        let big = vec![7u8; PayloadArena::MAX_PAYLOAD + 1];
        let c = PayloadArena::copy(&big);
        assert_eq!(&c[..], &big[..]);
        assert_ne!(b.as_ptr().wrapping_add(b.len()), c.as_ptr());
    }

    #[test]
    fn a_chunk_is_reused_once_its_messages_are_dropped() {
        let payload = [1u8; PayloadArena::MAX_PAYLOAD];
        let first = PayloadArena::copy(&payload);
        let start = first.as_ptr();
        drop(first);
        // Fill the chunk (every message dropped at once): it starts over, in place.
        let mut reused = false;
        for _ in 0..2 * PayloadArena::CHUNK / payload.len() {
            let m = PayloadArena::copy(&payload);
            assert_eq!(&m[..], &payload[..]);
            reused |= m.as_ptr() == start;
        }
        assert!(reused, "the chunk was not reused");
    }

    #[test]
    fn a_kept_message_keeps_its_bytes_when_the_chunk_moves_on() {
        let kept = PayloadArena::copy(b"kept").freeze();
        for i in 0..3 * PayloadArena::CHUNK / 1000 {
            let m = PayloadArena::copy(&[i as u8; 1000]);
            assert!(m.iter().all(|&b| b == i as u8));
        }
        assert_eq!(&kept[..], b"kept");
    }
}
