//! [`CallbackSlot`]: where a running endpoint callback waits, in place.
//!
//! The driver hands each message to the endpoint by creating the callback's future
//! and polling it at once; most complete right there. One that waits must be kept
//! until it completes, and boxing it would cost an allocation per message. Instead
//! every callback of a session has one future type (the driver's `call` function
//! wraps `on_message`, `on_part`, `on_pong` and `on_close` in one `async fn`), and
//! the session's task keeps one pinned slot of that type, reused for every call: no
//! allocation per call. The price is the slot's size in every connection, idle or
//! not: the largest callback future of the endpoint type.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A pinned slot for one callback future at a time.
///
/// The storage is a pinned `Option<F>` owned by the caller (a local of the
/// session's `async fn`, pinned with `std::pin::pin!`), so no `unsafe` pin
/// projection is needed. A completed future stays in the storage (it holds nothing
/// any more) until the next one replaces it: one drop per call instead of two.
#[derive(Debug)]
pub struct CallbackSlot<'s, F> {
    slot: Pin<&'s mut Option<F>>,
    /// The future in the slot was started and has not completed.
    running: bool,
}

impl<'s, F: Future> CallbackSlot<'s, F> {
    /// A slot over `storage` (empty it first: whatever it holds is dropped).
    pub fn new(mut storage: Pin<&'s mut Option<F>>) -> Self {
        storage.set(None);
        CallbackSlot {
            slot: storage,
            running: false,
        }
    }

    /// Whether a callback is running (started and not completed).
    pub fn is_busy(&self) -> bool {
        self.running
    }

    /// Makes the callback in the slot and polls it once. `Ready` with its output if it
    /// completed at once (the slot is free again), else it stays in the slot.
    ///
    /// # Panics
    ///
    /// If a callback is still running: the driver runs one at a time.
    ///
    /// `make` runs with the slot known empty, so the compiler can build the future
    /// right in the slot instead of building it aside and copying it in (a copy of
    /// the whole future per message otherwise).
    #[inline(always)]
    pub fn start(&mut self, make: impl FnOnce() -> F, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert!(!self.is_busy(), "one callback at a time");
        self.slot.set(Some(make()));
        self.running = true;
        self.poll(cx)
    }

    /// Polls the running callback; `Ready` with its output once it completes (the
    /// slot is then free). Pending while no callback runs.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        if !self.running {
            return Poll::Pending;
        }
        let Some(callback) = self.slot.as_mut().as_pin_mut() else {
            unreachable!("a running callback is in the slot");
        };
        let output = std::task::ready!(callback.poll(cx));
        self.running = false;
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::Waker;

    #[test]
    fn completes_at_once_or_waits_in_place() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut storage = pin!(None);
        let mut slot = CallbackSlot::new(storage.as_mut());
        // `Ready` futures complete at once and leave the slot empty.
        assert_eq!(
            slot.start(|| futures::future::ready(7), &mut cx),
            Poll::Ready(7)
        );
        assert!(!slot.is_busy());
        assert_eq!(slot.poll(&mut cx), Poll::Pending);
    }

    #[test]
    fn a_waiting_callback_stays_until_it_completes() {
        let mut cx = Context::from_waker(Waker::noop());
        let (tx, rx) = futures::channel::oneshot::channel::<u32>();
        let mut storage = pin!(None);
        let mut slot = CallbackSlot::new(storage.as_mut());
        assert!(slot.start(|| rx, &mut cx).is_pending());
        assert!(slot.is_busy());
        assert!(slot.poll(&mut cx).is_pending());
        tx.send(3).unwrap();
        assert_eq!(slot.poll(&mut cx), Poll::Ready(Ok(3)));
        assert!(!slot.is_busy());
    }

    #[test]
    #[should_panic(expected = "one callback at a time")]
    fn refuses_a_second_callback() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut storage = pin!(None);
        let mut slot = CallbackSlot::new(storage.as_mut());
        let _ = slot.start(futures::future::pending::<()>, &mut cx);
        let _ = slot.start(futures::future::pending::<()>, &mut cx);
    }
}
