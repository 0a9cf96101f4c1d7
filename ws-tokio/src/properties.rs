//! [`Properties`]: a session's typed user-properties map (Tomcat's
//! `getUserProperties`, keyed by type instead of by string).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

type Map = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// A map from a type to one value of that type, shared by every clone of a
/// [`SessionHandle`](crate::SessionHandle). Use a newtype per property. Empty maps
/// allocate nothing.
///
/// ```
/// # use ws_tokio::Properties;
/// #[derive(Clone, Debug, PartialEq)]
/// struct UserName(String);
///
/// let props = Properties::default();
/// props.insert(UserName("ada".into()));
/// assert_eq!(props.get::<UserName>(), Some(UserName("ada".into())));
/// assert_eq!(props.remove::<UserName>(), Some(UserName("ada".into())));
/// assert!(props.get::<UserName>().is_none());
/// ```
#[derive(Default)]
pub struct Properties {
    map: Mutex<Option<Map>>,
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.lock().as_ref().map_or(0, HashMap::len);
        f.debug_struct("Properties").field("len", &n).finish()
    }
}

impl Properties {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Map>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `value`, returning the previous value of that type.
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<T> {
        self.lock()
            .get_or_insert_with(HashMap::new)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// A clone of the value of type `T`.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        self.with(|v: Option<&T>| v.cloned())
    }

    /// Runs `f` on the value of type `T` (if any) without cloning it.
    pub fn with<T: Any + Send + Sync, R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let guard = self.lock();
        let value = guard
            .as_ref()
            .and_then(|m| m.get(&TypeId::of::<T>()))
            .and_then(|b| b.downcast_ref::<T>());
        f(value)
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Any + Send + Sync>(&self) -> Option<T> {
        self.lock()
            .as_mut()?
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }
}
