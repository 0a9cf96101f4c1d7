//! [`Group`]: a set of members by id; as [`SessionGroup`](crate::SessionGroup), the
//! open sessions of a server endpoint (for broadcast with
//! [`SessionHandle::open_sessions`](crate::SessionHandle::open_sessions)).
//!
//! A session joins its group when it is opened and leaves it when it closes, before
//! `on_close` runs (a broadcast from `on_close` skips it), or when its driver ends
//! for any other reason (a panicking callback included).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A set of members keyed by id.
#[derive(Debug)]
pub struct Group<T> {
    members: Mutex<HashMap<u64, T>>,
}

impl<T> Default for Group<T> {
    fn default() -> Self {
        Group {
            members: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Group<T> {
    /// An empty group.
    pub fn new() -> Self {
        Group::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, T>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many members the group has.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the group is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Clones of every member.
    pub fn members(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.lock().values().cloned().collect()
    }

    pub(crate) fn insert(&self, id: u64, member: T) {
        self.lock().insert(id, member);
    }

    pub(crate) fn remove(&self, id: u64) {
        // The member is dropped outside the lock.
        let removed = self.lock().remove(&id);
        drop(removed);
    }
}
