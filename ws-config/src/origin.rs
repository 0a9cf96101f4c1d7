//! Where a value came from, so errors can point at it.

use std::fmt;

/// The source of one value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Set by code ([`Sources::set`](crate::Sources::set) or a [`Properties`](crate::Properties)
    /// map built in code).
    Code,
    /// A line of a properties file (or text parsed as one); `line` counts from 1 and is
    /// the first line of a continued entry.
    File {
        /// The file's name as the caller gave it.
        name: String,
        /// Line number, from 1.
        line: usize,
    },
    /// An environment variable.
    Env {
        /// The variable's name.
        var: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Code => f.write_str("set in code"),
            Origin::File { name, line } => write!(f, "{name} line {line}"),
            Origin::Env { var } => write!(f, "environment variable {var}"),
        }
    }
}
