//! [`SessionGroup`]: a set of open sessions (a server endpoint's sessions, for
//! broadcast with [`SessionHandle::open_sessions`](crate::SessionHandle::open_sessions)).
//!
//! A session joins its group when the driver starts and leaves it when the session
//! closes, before `on_close` runs (a broadcast from `on_close` skips it), or when the
//! driver ends for any other reason (a panicking callback included).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::handle::SessionHandle;

/// A set of open sessions, keyed by session id.
#[derive(Debug, Default)]
pub struct SessionGroup {
    sessions: Mutex<HashMap<u64, SessionHandle>>,
}

impl SessionGroup {
    /// An empty group.
    pub fn new() -> Self {
        SessionGroup::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, SessionHandle>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Handles of every session in the group.
    pub fn sessions(&self) -> Vec<SessionHandle> {
        self.lock().values().cloned().collect()
    }

    /// How many sessions are in the group.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the group is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub(crate) fn insert(&self, handle: SessionHandle) {
        self.lock().insert(handle.id(), handle);
    }

    pub(crate) fn remove(&self, id: u64) {
        // The handle is dropped outside the lock.
        let removed = self.lock().remove(&id);
        drop(removed);
    }
}
