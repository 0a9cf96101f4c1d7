//! [`Properties`]: one source's raw key/value map, built in code or read from a
//! `.properties` file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::{ConfigError, ConfigErrors};
use crate::format;
use crate::key::Key;
use crate::origin::Origin;
use crate::value::Value;

/// A map from full key names to raw [`Value`]s, each remembering its [`Origin`].
///
/// Nothing is validated here: [`Sources::resolve`](crate::Sources::resolve) checks
/// every value against the table, so a bad value is reported with the key, the value
/// and where it came from. `Debug` shows the values of secret keys as `***`.
#[derive(Clone, Default)]
pub struct Properties {
    entries: BTreeMap<String, (Value, Origin)>,
}

impl Properties {
    /// An empty map.
    pub fn new() -> Self {
        Properties::default()
    }

    /// Sets `name` to `value` (origin: code), replacing any earlier value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.entries
            .insert(name.into(), (value.into(), Origin::Code));
        self
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.get(name).map(|(v, _)| v)
    }

    /// Where the value of `name` came from, if present.
    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.entries.get(name).map(|(_, o)| o)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value, &Origin)> {
        self.entries.iter().map(|(k, (v, o))| (k.as_str(), v, o))
    }

    /// Adds every entry of `other`, keeping their origins; `other` wins on equal names.
    pub(crate) fn merge(&mut self, other: Properties) {
        self.entries.extend(other.entries);
    }

    /// Parses text in the Java `.properties` format (see the crate docs for the
    /// rules). `source_name` names the text in error messages and origins, e.g. the
    /// file name. A later entry for the same key replaces an earlier one.
    pub fn parse(text: &str, source_name: &str) -> Result<Properties, ConfigErrors> {
        let mut props = Properties::new();
        for entry in format::parse(text, source_name)? {
            let origin = Origin::File {
                name: source_name.to_owned(),
                line: entry.line,
            };
            props
                .entries
                .insert(entry.key, (Value::Str(entry.value), origin));
        }
        Ok(props)
    }

    /// Reads and parses a `.properties` file: the only file I/O of this crate. The
    /// text is UTF-8 (a leading byte-order mark is skipped); a file that is not valid
    /// UTF-8 is read as ISO-8859-1, as Java's `Properties.load(InputStream)` does.
    pub fn read(path: impl AsRef<Path>) -> Result<Properties, ConfigErrors> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source: source.into(),
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
        };
        Properties::parse(&text, &path.display().to_string())
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, (value, _)) in &self.entries {
            let secret = looks_secret(name);
            map.entry(name, &format_args!("{}", value.describe(secret)));
        }
        map.finish()
    }
}

/// Whether a name's value must not be printed: a secret key of the table, or any
/// name that mentions a password (other applications' keys may share the file).
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    Key::lookup(name).is_some_and(|k| k.is_secret())
        || upper.contains("PASSWORD")
        || upper.contains("PWD")
        || upper.contains("SECRET")
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        for (k, v) in iter {
            props.insert(k, v);
        }
        props
    }
}
