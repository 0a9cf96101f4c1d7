//! [`SpareBuffers`]: large buffers kept per thread between messages, so that steady
//! traffic of large messages does not allocate (and fault in) a large buffer per
//! message.
//!
//! # Why
//!
//! glibc's `free` gives the top of the heap back to the kernel as soon as more than
//! `M_TRIM_THRESHOLD` (128 KiB by default) lies free there, and the next
//! allocation faults every page back in. A client echoing 64 KiB messages hit this
//! at every read and every write (about 16 page faults per message, 450,000 in 3 s
//! at 4 x 16 in flight): the payloads it sent stayed queued until written, then
//! were freed together; and a read of 256 KiB holds several whole messages, each
//! copied into its own allocation, which the application then freed together. Two
//! 64 KiB buffers freed back to back are enough to cross the threshold.
//!
//! # What
//!
//! * Output: a client masks every byte it sends, so it copies anyway; its data
//!   frames are masked while copied into the session's flat lane (`writer.rs`) and
//!   the caller's payload is freed at once. A drained lane larger than a small one
//!   (`FLAT_KEEP`, 4 KiB) is given back here, and a lane that must grow takes a
//!   buffer from here first. A frame too large for the lane (over 256 KiB) is
//!   masked while copied into a buffer from here ([`message`](SpareBuffers::message)),
//!   which comes back once the frame is written; the caller's payload is freed at
//!   once, so its next allocation of that size reuses it.
//! * Input: a binary message of 1 to 256 KiB ([`MESSAGE_MAX`](SpareBuffers::MESSAGE_MAX))
//!   that arrives whole in one read is copied into a buffer from here, which goes
//!   back to the spare buffers of the thread that drops the message's last
//!   reference.
//! * Input assembled over several reads (a large frame read straight into its
//!   message buffer, `assembler.rs`): when its buffer must grow, a whole binary
//!   message takes a kept buffer that fits its frame
//!   ([`take_fitting`](SpareBuffers::take_fitting)) rather than growing through a
//!   `realloc` (which copies what has arrived and faults in fresh pages), and the
//!   buffer goes back here when the message's last reference is dropped
//!   ([`hand_out`](SpareBuffers::hand_out)). A server echoing 1 MiB messages spent
//!   about 4% of its time in those `realloc` copies and took up to 8 page faults
//!   per echo; steady traffic now reuses the same few buffers.
//!
//! Per thread (no lock), like the spare zlib states (`spare.rs`) and the payload
//! chunk (`arena.rs`): an idle connection holds none of it.
//!
//! # Bound and cost
//!
//! At most [`KEEP`](SpareBuffers::KEEP) buffers and
//! [`MAX_BYTES`](SpareBuffers::MAX_BYTES) of capacity in all are kept per thread; a
//! buffer that does not fit is freed, or replaces a smaller kept one. So a thread
//! that has carried bursts of large messages keeps up to 8 MiB of address space
//! (resident only where touched) after its connections went idle; one that never
//! sent or received more than a few KiB at once keeps nothing. The kept buffers hold
//! no connection's data: they are cleared when given back. A message of 1 to 256
//! KiB (or a binary message assembled in a buffer of more than 1 KiB) costs one
//! small allocation more (the shared owner of its buffer), and its `Bytes` cannot
//! become a `BytesMut` without a copy.
//!
//! A buffer taken for a frame is sized by the length its header announces, not by
//! what has arrived (`assembler.rs` bounds fresh allocations by the latter). That
//! is safe because the buffer is already allocated: a peer that announces a large
//! frame and stalls holds a kept buffer instead of letting another message use it,
//! and all the kept buffers together are at most [`MAX_BYTES`](SpareBuffers::MAX_BYTES)
//! per thread, whoever holds them.

use std::cell::RefCell;

use bytes::Bytes;

use crate::masked::extend_masked;

/// The thread's spare output buffers (see the module docs).
pub(crate) struct SpareBuffers {
    /// Oldest first. Among buffers that fit equally well the newest is taken, as
    /// `malloc` would: it is the likeliest to be still in the CPU's caches.
    kept: Vec<Vec<u8>>,
}

thread_local! {
    static SPARE: RefCell<SpareBuffers> = const { RefCell::new(SpareBuffers { kept: Vec::new() }) };
}

impl SpareBuffers {
    /// Buffers kept per thread.
    pub(crate) const KEEP: usize = 8;
    /// Capacity kept per thread in all, bytes; a larger buffer is never kept.
    pub(crate) const MAX_BYTES: usize = 8 << 20;
    /// Largest received message whose bytes go in a lent buffer (see
    /// [`message`](Self::message)).
    pub(crate) const MESSAGE_MAX: usize = 256 * 1024;

    /// A message's bytes: `payload` copied into a buffer of the thread's (one of at
    /// most twice its size), (un)masked with `mask` in the same pass, and given back
    /// to the spare buffers of the thread that drops the last reference. For a
    /// received payload of up to [`MESSAGE_MAX`](Self::MESSAGE_MAX), and a client's
    /// frame too large for its output lane.
    pub(crate) fn message(payload: &[u8], mask: Option<[u8; 4]>) -> Bytes {
        let len = payload.len();
        let mut buf = Self::take_fitting(len).unwrap_or_else(|| Vec::with_capacity(len));
        match mask {
            Some(key) => extend_masked(&mut buf, payload, key),
            None => buf.extend_from_slice(payload),
        }
        Self::hand_out(buf)
    }

    /// The smallest kept buffer, emptied, with room for `len` bytes but no more than
    /// twice that (a much larger one would be held for a small message).
    pub(crate) fn take_fitting(len: usize) -> Option<Vec<u8>> {
        Self::take_chosen(|kept| {
            kept.iter()
                .enumerate()
                .rev()
                .filter(|(_, b)| (len..=len.saturating_mul(2)).contains(&b.capacity()))
                .min_by_key(|(_, b)| b.capacity())
                .map(|(at, _)| at)
        })
    }

    /// `buf`'s bytes as a message's `Bytes`, whose buffer goes back to the spare
    /// buffers of the thread that drops the last reference.
    pub(crate) fn hand_out(buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Lent(buf))
    }

    /// The largest kept buffer, emptied, if one is spare with room for at least
    /// `capacity` bytes. The largest: a lane that grows in a burst takes it whole at
    /// the burst's start rather than growing (and copying) through smaller ones.
    pub(crate) fn take(capacity: usize) -> Option<Vec<u8>> {
        Self::take_chosen(|kept| {
            kept.iter()
                .enumerate()
                .max_by_key(|(_, b)| b.capacity())
                .filter(|(_, b)| b.capacity() >= capacity)
                .map(|(at, _)| at)
        })
    }

    /// Takes out the kept buffer at the index `choose` picks (oldest first), if any.
    fn take_chosen(choose: impl FnOnce(&[Vec<u8>]) -> Option<usize>) -> Option<Vec<u8>> {
        SPARE.with(|cell| {
            let mut spare = cell.try_borrow_mut().ok()?;
            let at = choose(&spare.kept)?;
            Some(spare.kept.remove(at))
        })
    }

    /// Gives back a buffer the caller is done with (its bytes are dropped): kept if
    /// it fits the bounds, else in place of a smaller kept one when that makes it
    /// fit, else freed.
    pub(crate) fn give(mut buf: Vec<u8>) {
        buf.clear();
        let capacity = buf.capacity();
        if capacity == 0 || capacity > Self::MAX_BYTES {
            return;
        }
        SPARE.with(|cell| {
            let Ok(mut spare) = cell.try_borrow_mut() else {
                return;
            };
            let total: usize = spare.kept.iter().map(Vec::capacity).sum();
            if spare.kept.len() < Self::KEEP && total + capacity <= Self::MAX_BYTES {
                spare.kept.push(buf);
                return;
            }
            // Full: the smallest kept buffer makes way if this one is larger and fits
            // in its place.
            let smallest = spare
                .kept
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| b.capacity())
                .map(|(i, b)| (i, b.capacity()));
            if let Some((at, small)) = smallest {
                if small < capacity && total - small + capacity <= Self::MAX_BYTES {
                    spare.kept.remove(at);
                    spare.kept.push(buf);
                }
            }
        });
    }

    /// The capacities kept now by the thread, smallest first.
    #[cfg(test)]
    pub(crate) fn capacities() -> Vec<usize> {
        SPARE.with(|cell| {
            let mut caps: Vec<usize> = cell.borrow().kept.iter().map(Vec::capacity).collect();
            caps.sort_unstable();
            caps
        })
    }
}

/// A buffer of the thread's that a received message holds (see
/// [`SpareBuffers::message`]).
struct Lent(Vec<u8>);

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        SpareBuffers::give(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(&[1, 2, 3]);
        let at = buf.as_ptr();
        SpareBuffers::give(buf);
        assert_eq!(SpareBuffers::capacities().len(), 1);
        assert!(SpareBuffers::take(128 * 1024).is_none(), "too small");
        let again = SpareBuffers::take(1000).expect("kept");
        assert_eq!(again.as_ptr(), at, "the same allocation");
        assert!(again.is_empty());
        assert!(again.capacity() >= 64 * 1024);
        assert!(SpareBuffers::capacities().is_empty());
    }

    #[test]
    fn takes_the_largest_if_it_is_large_enough() {
        SpareBuffers::give(Vec::with_capacity(1 << 20));
        SpareBuffers::give(Vec::with_capacity(64 << 10));
        assert!(SpareBuffers::take(2 << 20).is_none());
        let b = SpareBuffers::take(10).unwrap();
        assert!(b.capacity() >= 1 << 20);
        let b = SpareBuffers::take(10).unwrap();
        assert!(b.capacity() < 1 << 20);
        assert!(SpareBuffers::take(0).is_none());
    }

    #[test]
    fn keeps_at_most_keep_buffers_and_max_bytes() {
        for _ in 0..SpareBuffers::KEEP + 3 {
            SpareBuffers::give(Vec::with_capacity(8 << 10));
        }
        assert_eq!(
            SpareBuffers::capacities(),
            vec![8 << 10; SpareBuffers::KEEP]
        );
        // A larger one takes a smaller one's place.
        SpareBuffers::give(Vec::with_capacity(SpareBuffers::MAX_BYTES / 2));
        let caps = SpareBuffers::capacities();
        assert_eq!(caps.len(), SpareBuffers::KEEP);
        assert_eq!(caps[SpareBuffers::KEEP - 1], SpareBuffers::MAX_BYTES / 2);
        // One that would take the total past the bound is freed, as is one larger
        // than the bound.
        SpareBuffers::give(Vec::with_capacity(SpareBuffers::MAX_BYTES / 2));
        SpareBuffers::give(Vec::with_capacity(SpareBuffers::MAX_BYTES + 1));
        assert_eq!(SpareBuffers::capacities(), caps);
        assert!(caps.iter().sum::<usize>() <= SpareBuffers::MAX_BYTES);
        while SpareBuffers::take(0).is_some() {}
        assert!(SpareBuffers::capacities().is_empty());
    }

    #[test]
    fn a_received_message_gives_its_buffer_back_when_dropped() {
        let payload = vec![5u8; 64 * 1024];
        let m = SpareBuffers::message(&payload, Some([3, 0, 0, 0]));
        assert_eq!(m.len(), payload.len());
        assert_eq!((m[0], m[1], m[4]), (6, 5, 6), "unmasked");
        let at = m.as_ptr();
        let shared = m.clone();
        drop(m);
        assert!(SpareBuffers::capacities().is_empty(), "still referenced");
        drop(shared);
        assert_eq!(SpareBuffers::capacities().len(), 1);
        // The next message of about that size reuses it; a much smaller one does not.
        let small = SpareBuffers::message(&payload[..2000], None);
        assert_ne!(small.as_ptr(), at);
        let again = SpareBuffers::message(&payload[..60 * 1024], None);
        assert_eq!(again.as_ptr(), at);
        assert!(SpareBuffers::capacities().is_empty());
        drop((small, again));
        assert_eq!(SpareBuffers::capacities().len(), 2);
    }
}
