//! Thread-blocking waits for code that is not async, refused where they would stall
//! the session they wait for.
//!
//! tokio has no public "is this a runtime thread?" query that tells a worker thread
//! from a `spawn_blocking` thread (both have a runtime handle and a task id), so the
//! rule is built from what can be known:
//!
//! * inside the driver of the very session being waited for (an endpoint callback
//!   calling a blocking send): refused, always a deadlock;
//! * on a multi-thread runtime's thread: allowed, through
//!   [`tokio::task::block_in_place`], which hands the worker's other tasks to
//!   another thread first (so the driver can run);
//! * on a current-thread runtime: refused on a thread that has run a driver of this
//!   crate (the runtime's own thread: blocking it stops every session on it);
//!   allowed elsewhere (a `spawn_blocking` thread of that runtime);
//! * outside any runtime: allowed.
//!
//! A refusal is [`Error::BlockingOnRuntime`](crate::Error::BlockingOnRuntime), never a
//! panic.

use std::cell::Cell;
use std::future::Future;

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::error::Error;

thread_local! {
    /// Whether a driver of this crate has run on this thread.
    static RUNS_DRIVERS: Cell<bool> = const { Cell::new(false) };
    /// The session whose driver is being polled on this thread (0: none).
    static POLLING: Cell<u64> = const { Cell::new(0) };
}

/// Marks the current thread as polling the driver of session `id` until dropped.
pub(crate) struct PollingGuard {
    previous: u64,
}

impl PollingGuard {
    pub(crate) fn enter(id: u64) -> Self {
        RUNS_DRIVERS.with(|r| r.set(true));
        PollingGuard {
            previous: POLLING.with(|p| p.replace(id)),
        }
    }
}

impl Drop for PollingGuard {
    fn drop(&mut self) {
        POLLING.with(|p| p.set(self.previous));
    }
}

/// Runs `wait` to completion on the current thread, if blocking here cannot stall
/// the driver of session `session` (see the module docs).
pub(crate) fn block_on<F: Future>(session: u64, wait: F) -> Result<F::Output, Error> {
    if POLLING.with(Cell::get) == session {
        return Err(Error::BlockingOnRuntime);
    }
    let Ok(runtime) = Handle::try_current() else {
        return Ok(futures::executor::block_on(wait));
    };
    match runtime.runtime_flavor() {
        RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(|| {
            futures::executor::block_on(wait)
        })),
        _ if RUNS_DRIVERS.with(Cell::get) => Err(Error::BlockingOnRuntime),
        _ => Ok(futures::executor::block_on(wait)),
    }
}
