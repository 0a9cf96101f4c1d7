//! Key metadata: what the table knows about each key, and how key names map to
//! environment variable names.

use std::fmt;

/// Prefixes a key's short name with Tomcat's package, at compile time.
macro_rules! prefixed {
    ($short:literal) => {
        concat!("org.apache.tomcat.websocket.", $short)
    };
}
pub(crate) use prefixed;

/// The prefix every Tomcat WebSocket key starts with. Unknown keys under it are
/// errors (or warnings in lenient mode); keys outside it are not ours and are ignored.
pub const PREFIX: &str = prefixed!("");

/// The prefix of the environment-variable form of a key: [`PREFIX`] upper-cased with
/// `.` replaced by `_`.
pub const ENV_PREFIX: &str = "ORG_APACHE_TOMCAT_WEBSOCKET_";

/// Where Tomcat reads a key, which decides the sources it may come from.
///
/// Only [`Scope::System`] keys are read from the environment; every key may come from
/// code or a properties file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// A per-session user property (Tomcat copies them from the endpoint config).
    Session,
    /// A servlet context parameter: one value per deployed application (for us, per
    /// server).
    Context,
    /// A JVM system property: process-wide (for us, also the environment).
    System,
    /// A property of the client endpoint configuration.
    Client,
}

impl Scope {
    /// Tomcat's name for the scope, as in the documentation.
    pub const fn describe(self) -> &'static str {
        match self {
            Scope::Session => "session property",
            Scope::Context => "context parameter",
            Scope::System => "system property",
            Scope::Client => "client property",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One configuration key: a row of the table in `table.rs`.
///
/// Constants for every key live in [`keys`](crate::keys); [`keys::ALL`](crate::keys::ALL)
/// lists them in table order.
#[derive(Clone, Copy)]
pub struct Key {
    pub(crate) name: &'static str,
    pub(crate) short: &'static str,
    pub(crate) alias: Option<&'static str>,
    pub(crate) scope: Scope,
    pub(crate) type_doc: fn() -> String,
    pub(crate) expected: fn() -> String,
    pub(crate) default_doc: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) secret: bool,
}

impl Key {
    /// The full key name, as in a properties file.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The name without [`PREFIX`].
    pub const fn short_name(&self) -> &'static str {
        self.short
    }

    /// A second accepted full name (only the proxy credentials have one: Tomcat's
    /// documentation and code spell them differently).
    pub const fn alias(&self) -> Option<&'static str> {
        self.alias
    }

    /// Where Tomcat reads the key.
    pub const fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether values of this key are secret (redacted in `Debug` and errors).
    pub const fn is_secret(&self) -> bool {
        self.secret
    }

    /// The value type and unit, as the generated documentation shows it.
    pub fn value_type(&self) -> String {
        (self.type_doc)()
    }

    /// What a valid value looks like, as error messages say it.
    pub fn expected(&self) -> String {
        (self.expected)()
    }

    /// The default, as the generated documentation shows it.
    pub const fn default_doc(&self) -> &'static str {
        self.default_doc
    }

    /// The key's documentation (Markdown).
    pub fn doc(&self) -> String {
        let lines: Vec<&str> = self.doc.lines().map(str::trim).collect();
        lines.join(" ").trim().to_owned()
    }

    /// The environment variable names this key is read from, if it is a system
    /// property: the full key name itself, and its upper-case form with `.` as `_`
    /// (`ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE`). `None` for other scopes.
    pub fn env_vars(&self) -> Option<[String; 2]> {
        (self.scope == Scope::System).then(|| [self.name.to_owned(), env_name(self.name)])
    }

    /// Looks a full key name (or alias) up in the table.
    pub fn lookup(name: &str) -> Option<Key> {
        crate::keys::ALL
            .iter()
            .find(|k| k.name == name || k.alias == Some(name))
            .copied()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.name)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The upper-case underscore form of a full key name.
pub(crate) fn env_name(full: &str) -> String {
    full.chars()
        .map(|c| {
            if c == '.' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

/// How alike (Jaro-Winkler, 0 to 1) a name must be to a key's to be suggested:
/// high enough that `TIMEOUT`, `BUFFER_SIZE` or `SSL_KEYSTORE` get no guess, low
/// enough for a key of the right family with the wrong ending (`IO_TIMEOUT` for
/// `IO_TIMEOUT_MS`, `SSL_TRUSTSTORE_PASSWORD` for `SSL_TRUSTSTORE_PWD`).
const SUGGEST_SIMILARITY: f64 = 0.85;

/// A name folded for comparison: ASCII lower case, without `.`, `_`, `-` and
/// without the prefix.
fn fold(name: &str) -> String {
    let folded = name.to_ascii_lowercase().replace(['.', '_', '-'], "");
    let prefix = PREFIX.to_ascii_lowercase().replace('.', "");
    match folded.strip_prefix(&prefix) {
        Some(rest) => rest.to_owned(),
        None => folded,
    }
}

/// Every accepted full name (main names and aliases), in table order.
fn full_names() -> impl Iterator<Item = &'static str> {
    crate::keys::ALL
        .iter()
        .flat_map(|k| std::iter::once(k.name).chain(k.alias))
}

/// The known key a name outside the prefix stands for: its short name (or an
/// alias's) up to case, `_`, `.` and `-` (`textBufferSize`, `io_timeout_ms`).
pub(crate) fn unprefixed(name: &str) -> Option<&'static str> {
    let wanted = fold(name);
    full_names().find(|full| fold(full) == wanted)
}

/// The known key nearest to an unknown `name`, for "did you mean" hints: one that
/// differs only in case, `_`, `.`, `-` or the prefix, else the most similar by
/// Jaro-Winkler (`strsim`) if it is similar enough. Jaro-Winkler rather than an
/// edit distance because it weighs a shared beginning: key names are mistyped at
/// their end (`IO_TIMEOUT`, `SSL_TRUSTSTORE_PASSWORD`), which an edit distance
/// either misses or only catches with a threshold so loose it guesses wildly
/// for short names.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    let wanted = fold(name);
    if let Some(same) = full_names().find(|full| fold(full) == wanted) {
        return Some(same);
    }
    let mut best: Option<(f64, &'static str)> = None;
    for full in full_names() {
        let score = strsim::jaro_winkler(&wanted, &fold(full));
        if score >= SUGGEST_SIMILARITY && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, full));
        }
    }
    best.map(|(_, full)| full)
}
