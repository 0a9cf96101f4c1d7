//! Errors: every message names the key, the value (secrets as `***`), where it came
//! from, and what was expected.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::key::{env_name, ENV_PREFIX};
use crate::origin::Origin;

/// Why a value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The value has the wrong type (the payload names the type given, e.g. "a
    /// boolean").
    WrongType(&'static str),
    /// A string that does not parse as the key's type.
    Malformed,
    /// A number outside the key's range.
    OutOfRange,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::WrongType(given) => write!(f, "wrong type ({given})"),
            Problem::Malformed => f.write_str("malformed"),
            Problem::OutOfRange => f.write_str("out of range"),
        }
    }
}

/// One configuration error (or, in lenient mode, warning).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A known key with a bad value.
    #[error("{key} = {value} ({origin}): {problem}; expected {expected}")]
    InvalidValue {
        /// The key as written in the source.
        key: String,
        /// The value as given (`***` for secrets).
        value: String,
        /// Where it came from.
        origin: Origin,
        /// What is wrong with it.
        problem: Problem,
        /// What a valid value looks like.
        expected: String,
    },
    /// A name under the Tomcat prefix that is no key of ours.
    #[error("unknown key {key} ({origin}){}", hint(key, suggestion))]
    UnknownKey {
        /// The name as written.
        key: String,
        /// Where it came from.
        origin: Origin,
        /// A known key the name resembles.
        suggestion: Option<&'static str>,
    },
    /// A key's short name without the prefix in a properties file
    /// (`textBufferSize=...`): refused, so that a file means the same here and in
    /// Tomcat (which reads only full names) and nothing is silently ignored.
    #[error("{key} ({origin}) is not read without its prefix; write {full}")]
    MissingPrefix {
        /// The name as written.
        key: String,
        /// Where it came from.
        origin: Origin,
        /// The full key name it stands for.
        full: &'static str,
    },
    /// A key that is not a system property, found in the environment (only system
    /// properties are read from there).
    #[error(
        "{key} ({origin}) is a {scope}, which is not read from the environment; \
         set it in a properties file or in code"
    )]
    NotFromEnvironment {
        /// The key's full name.
        key: &'static str,
        /// The environment variable.
        origin: Origin,
        /// Tomcat's scope of the key ("client property", ...).
        scope: &'static str,
    },
    /// Two spellings of one key in one source, with different values.
    #[error(
        "{key} is given twice with different values: {first} ({first_origin}) and \
         {second} ({second_origin}); remove one"
    )]
    ConflictingSpellings {
        /// The key's main name.
        key: &'static str,
        /// One value (`***` for secrets).
        first: String,
        /// Where it came from.
        first_origin: Origin,
        /// The other value (`***` for secrets).
        second: String,
        /// Where it came from.
        second_origin: Origin,
    },
    /// One key of a group is set but a key the group needs is not (a user name
    /// without a password, ...).
    #[error("{key} is set ({origin}) but {missing} is not; set both or neither")]
    Incomplete {
        /// The key that is set.
        key: &'static str,
        /// Where it came from.
        origin: Origin,
        /// The key that is missing.
        missing: &'static str,
    },
    /// A properties file that does not follow the format (a malformed `\uXXXX`).
    #[error("{origin}: {message}")]
    Syntax {
        /// The line.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A properties file that could not be read.
    #[error("cannot read properties file {}: {source}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The I/O error (shared, so errors can be cloned).
        source: Arc<io::Error>,
    },
}

/// "; did you mean NAME?", with NAME in the spelling of the unknown name: the
/// upper-case underscore form for such an environment variable.
fn hint(key: &str, suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(name) if key.starts_with(ENV_PREFIX) => {
            format!("; did you mean {}?", env_name(name))
        }
        Some(name) => format!("; did you mean {name}?"),
        None => String::new(),
    }
}

/// All errors found while resolving the sources (at least one). `Display` lists
/// them one per line.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConfigErrors {
    /// The errors, in table order of their keys (unknown keys first).
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} configuration error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors { errors: vec![e] }
    }
}
