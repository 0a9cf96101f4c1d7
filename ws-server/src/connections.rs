//! [`Connections`]: the count of open connections, which graceful shutdown waits
//! to reach zero.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Open connections (handshaking or in a session).
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: AtomicUsize,
    ended: Notify,
}

impl Connections {
    /// Counts a connection until the guard drops.
    pub(crate) fn open(self: &Arc<Self>) -> ConnectionGuard {
        self.open.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(Arc::clone(self))
    }

    /// How many are open.
    pub(crate) fn count(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Waits until none is left or `deadline`; true if none is left.
    pub(crate) async fn wait_none(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.count() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return self.count() == 0;
            }
        }
    }
}

/// One open connection, counted while it lives.
#[derive(Debug)]
pub(crate) struct ConnectionGuard(Arc<Connections>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.ended.notify_waiters();
    }
}
