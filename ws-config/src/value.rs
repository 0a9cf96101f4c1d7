//! Raw property values as sources give them, before validation, and the two wrapper
//! types that keep secrets and TLS objects opaque.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// One raw property value: what a properties file, the environment or code supplied.
///
/// Files and the environment always give [`Value::Str`]; code may also give integers,
/// booleans and a [`TlsContext`]. Validation against the key's type happens when the
/// [`Sources`](crate::Sources) are resolved, so every source is checked the same way:
/// numeric keys accept `Int(5000)` and `Str("5000")` alike.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A string, as read from a file or the environment.
    Str(String),
    /// An integer (Java `Long` range).
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A TLS client configuration object for `SSL_CONTEXT` (settable only from code).
    Tls(TlsContext),
}

impl Value {
    /// Writes the value for an error message: strings quoted, secrets as `***`.
    pub(crate) fn describe(&self, secret: bool) -> String {
        if secret {
            return "***".to_owned();
        }
        match self {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Tls(_) => "<TLS context>".to_owned(),
        }
    }

    /// The kind of value, for "wrong type" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Tls(_) => "a TLS context",
        }
    }
}

/// Values are never printed in full by `Debug`: a value does not know whether its key
/// is secret, so strings print only their length.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "Str(<{} bytes>)", s.len()),
            Value::Int(n) => write!(f, "Int({n})"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Tls(t) => write!(f, "Tls({t:?})"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Int(n.into())
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(n.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<TlsContext> for Value {
    fn from(t: TlsContext) -> Self {
        Value::Tls(t)
    }
}

/// A secret string (a password). `Debug` and `Display` print `***`; read it with
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself, for the code that must use it (e.g. to answer a challenge).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// A caller-provided TLS client configuration for `SSL_CONTEXT` (Tomcat: an
/// `SSLContext` object).
///
/// `ws-config` does not know which TLS library the client uses, so the object is
/// opaque: wrap it with [`TlsContext::new`] and the client gets it back with
/// [`TlsContext::downcast_ref`]. A properties file or the environment cannot hold an
/// object, so this is settable only from code. Two contexts are equal when they are
/// the same object.
#[derive(Clone)]
pub struct TlsContext(Arc<dyn Any + Send + Sync>);

impl TlsContext {
    /// Wraps a TLS configuration object (for example an `Arc<rustls::ClientConfig>`).
    pub fn new<T: Any + Send + Sync>(config: T) -> Self {
        TlsContext(Arc::new(config))
    }

    /// The wrapped object, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl PartialEq for TlsContext {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for TlsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsContext(..)")
    }
}
