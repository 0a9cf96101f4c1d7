//! [`SpareCodecs`]: zlib states kept per thread between messages, for the directions
//! of permessage-deflate that have no context takeover.
//!
//! Without context takeover a compressor or decompressor is reset at every
//! message's end, so nothing of one message survives into the next: the state can
//! as well go back to a shared pool and serve the next message of any session on
//! the same thread (uWebSockets calls this a shared compressor). A session then
//! holds a zlib state (about 300 KiB to compress at window 15 and `memLevel` 7, 40 KiB to inflate)
//! only while a message is being compressed or inflated, instead of for its whole
//! life, and creating one per message (an allocation and an initialisation of that
//! size) is avoided.
//!
//! The pool is per thread (no locks), holds states already reset, and keeps at most
//! [`SpareCodecs::KEEP`] of each configuration; a state is taken out for a message
//! (the session holds it across that message's frames, however they are split over
//! reads) and given back when the message ends. It holds no connection's data, only
//! reset codecs, so which state serves which message changes no output byte: the
//! session stays deterministic, and sans-I/O (no I/O, clock or randomness here).
//!
//! The thread also lends inflate steps their output buffer (16 KiB), so no session
//! keeps one.

use std::cell::RefCell;

use zlib_rs::{Deflate, Inflate};

/// Spare compressors by (window bits, level), and decompressors (all of one window,
/// see `deflate::INFLATE_BITS`).
#[derive(Default)]
pub(crate) struct SpareCodecs {
    compressors: Vec<(u8, u32, Box<Deflate>)>,
    // Boxed as the sessions hold them: a state moves in and out as a pointer.
    #[allow(clippy::vec_box)]
    decompressors: Vec<Box<Inflate>>,
}

thread_local! {
    static SPARE: RefCell<SpareCodecs> = RefCell::new(SpareCodecs::default());
    /// The buffer inflate steps write into before their output is handed on.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl SpareCodecs {
    /// States kept per configuration; more are dropped when given back.
    pub(crate) const KEEP: usize = 8;

    /// A reset compressor for `bits` and `level`, if one is spare.
    pub(crate) fn take_compressor(bits: u8, level: u32) -> Option<Box<Deflate>> {
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            let at = s
                .compressors
                .iter()
                .position(|(b, l, _)| *b == bits && *l == level)?;
            Some(s.compressors.swap_remove(at).2)
        })
    }

    /// Gives back a compressor already reset.
    pub(crate) fn give_compressor(bits: u8, level: u32, compressor: Box<Deflate>) {
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            let same = s
                .compressors
                .iter()
                .filter(|(b, l, _)| *b == bits && *l == level)
                .count();
            if same < Self::KEEP {
                s.compressors.push((bits, level, compressor));
            }
        });
    }

    /// A reset decompressor, if one is spare.
    pub(crate) fn take_decompressor() -> Option<Box<Inflate>> {
        SPARE.with(|s| s.borrow_mut().decompressors.pop())
    }

    /// Gives back a decompressor already reset.
    pub(crate) fn give_decompressor(state: Box<Inflate>) {
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            if s.decompressors.len() < Self::KEEP {
                s.decompressors.push(state);
            }
        });
    }

    /// Runs `f` with the thread's scratch buffer of `len` bytes (a fresh one if the
    /// thread's is in use: never by this crate, whose inflate steps do not nest).
    pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                f(&mut buf[..len])
            }
            Err(_) => f(&mut vec![0; len]),
        })
    }

    /// How many states of each kind the thread keeps now: (compressors,
    /// decompressors).
    #[cfg(test)]
    pub(crate) fn counts() -> (usize, usize) {
        SPARE.with(|s| {
            let s = s.borrow();
            (s.compressors.len(), s.decompressors.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_compressor(bits: u8, level: i32) -> Box<Deflate> {
        Box::new(Deflate::new(level, false, bits))
    }

    #[test]
    fn keeps_at_most_keep_states_per_configuration() {
        for _ in 0..SpareCodecs::KEEP + 3 {
            let c = new_compressor(15, 6);
            SpareCodecs::give_compressor(15, 6, c);
        }
        let c = new_compressor(15, 1);
        SpareCodecs::give_compressor(15, 1, c);
        assert_eq!(SpareCodecs::counts().0, SpareCodecs::KEEP + 1);
        assert!(SpareCodecs::take_compressor(15, 1).is_some());
        assert!(
            SpareCodecs::take_compressor(15, 1).is_none(),
            "by configuration"
        );
        assert!(SpareCodecs::take_compressor(14, 6).is_none());
        assert!(SpareCodecs::take_compressor(15, 6).is_some());
    }
}
