//! Value kinds: how a raw [`Value`] becomes a typed value, and what the docs and
//! error messages say a valid value looks like. Each table row names one kind.

use std::num::IntErrorKind;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Problem;
use crate::tls::TlsVersion;
use crate::value::{Secret, TlsContext, Value};

/// Largest size or count accepted: Java's `Integer.MAX_VALUE`, as Tomcat parses these
/// keys as `int`.
pub(crate) const INT_MAX: i64 = i32::MAX as i64;

/// One kind of value.
pub(crate) trait Kind {
    /// The typed value.
    type Out;
    /// Whether values are secret (redacted in errors and `Debug`).
    const SECRET: bool = false;
    /// Type and unit, for the generated documentation.
    fn type_doc() -> String;
    /// What is expected, for error messages ("expected ...").
    fn expected() -> String;
    /// Checks and converts a raw value.
    fn parse(value: &Value) -> Result<Self::Out, Problem>;
}

/// An integer given as an integer or as a string (surrounding whitespace ignored).
fn integer(value: &Value) -> Result<i64, Problem> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::Str(s) => s.trim().parse::<i64>().map_err(|e| match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => Problem::OutOfRange,
            _ => Problem::Malformed,
        }),
        other => Err(Problem::WrongType(other.type_name())),
    }
}

/// A string value; other types are wrong.
fn string(value: &Value) -> Result<&str, Problem> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(Problem::WrongType(other.type_name())),
    }
}

fn millis(n: i64) -> Duration {
    Duration::from_millis(n.unsigned_abs())
}

/// A timeout in milliseconds, at least 1.
pub(crate) struct Millis;

impl Kind for Millis {
    type Out = Duration;
    fn type_doc() -> String {
        "integer, milliseconds (>= 1)".into()
    }
    fn expected() -> String {
        "a positive integer of milliseconds".into()
    }
    fn parse(value: &Value) -> Result<Duration, Problem> {
        match integer(value)? {
            n if n >= 1 => Ok(millis(n)),
            _ => Err(Problem::OutOfRange),
        }
    }
}

/// A send timeout in milliseconds, at least 1, or `-1` for none (`None`).
pub(crate) struct SendTimeout;

impl Kind for SendTimeout {
    type Out = Option<Duration>;
    fn type_doc() -> String {
        "integer, milliseconds (>= 1), or -1 = no timeout".into()
    }
    fn expected() -> String {
        "a positive integer of milliseconds, or -1 for no timeout".into()
    }
    fn parse(value: &Value) -> Result<Option<Duration>, Problem> {
        match integer(value)? {
            -1 => Ok(None),
            n if n >= 1 => Ok(Some(millis(n))),
            _ => Err(Problem::OutOfRange),
        }
    }
}

/// An idle timeout in milliseconds, at least 1, or `0` / `-1` for off (`None`).
pub(crate) struct IdleTimeout;

impl Kind for IdleTimeout {
    type Out = Option<Duration>;
    fn type_doc() -> String {
        "integer, milliseconds (>= 1), or 0 / -1 = off".into()
    }
    fn expected() -> String {
        "a positive integer of milliseconds, or 0 or -1 for off".into()
    }
    fn parse(value: &Value) -> Result<Option<Duration>, Problem> {
        match integer(value)? {
            -1 | 0 => Ok(None),
            n if n >= 1 => Ok(Some(millis(n))),
            _ => Err(Problem::OutOfRange),
        }
    }
}

/// A size in bytes from `MIN` to [`INT_MAX`].
pub(crate) struct Bytes<const MIN: i64>;

impl<const MIN: i64> Kind for Bytes<MIN> {
    type Out = usize;
    fn type_doc() -> String {
        format!("integer, bytes ({MIN} to {INT_MAX})")
    }
    fn expected() -> String {
        format!("an integer of bytes from {MIN} to {INT_MAX}")
    }
    fn parse(value: &Value) -> Result<usize, Problem> {
        let n = integer(value)?;
        if (MIN..=INT_MAX).contains(&n) {
            usize::try_from(n).map_err(|_| Problem::OutOfRange)
        } else {
            Err(Problem::OutOfRange)
        }
    }
}

/// A count from 0 to [`INT_MAX`].
pub(crate) struct Count;

impl Kind for Count {
    type Out = u32;
    fn type_doc() -> String {
        format!("integer (0 to {INT_MAX})")
    }
    fn expected() -> String {
        format!("an integer from 0 to {INT_MAX}")
    }
    fn parse(value: &Value) -> Result<u32, Problem> {
        let n = integer(value)?;
        if (0..=INT_MAX).contains(&n) {
            u32::try_from(n).map_err(|_| Problem::OutOfRange)
        } else {
            Err(Problem::OutOfRange)
        }
    }
}

/// A period in whole seconds, at least 1.
pub(crate) struct Seconds;

impl Kind for Seconds {
    type Out = Duration;
    fn type_doc() -> String {
        "integer, seconds (>= 1)".into()
    }
    fn expected() -> String {
        "a positive integer of seconds".into()
    }
    fn parse(value: &Value) -> Result<Duration, Problem> {
        match integer(value)? {
            n if n >= 1 => Ok(Duration::from_secs(n.unsigned_abs())),
            _ => Err(Problem::OutOfRange),
        }
    }
}

/// A boolean: `true`/`false` as a boolean or a string (any case, whitespace ignored).
/// Unlike Java's `Boolean.parseBoolean`, anything else is an error, not `false`.
pub(crate) struct Flag;

impl Kind for Flag {
    type Out = bool;
    fn type_doc() -> String {
        "boolean".into()
    }
    fn expected() -> String {
        "true or false".into()
    }
    fn parse(value: &Value) -> Result<bool, Problem> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::Str(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
            Value::Str(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
            Value::Str(_) => Err(Problem::Malformed),
            other => Err(Problem::WrongType(other.type_name())),
        }
    }
}

/// Any string, kept exactly as given.
pub(crate) struct Text;

impl Kind for Text {
    type Out = String;
    fn type_doc() -> String {
        "string".into()
    }
    fn expected() -> String {
        "a string".into()
    }
    fn parse(value: &Value) -> Result<String, Problem> {
        string(value).map(str::to_owned)
    }
}

/// A secret string (a password), kept exactly as given.
pub(crate) struct SecretText;

impl Kind for SecretText {
    type Out = Secret;
    const SECRET: bool = true;
    fn type_doc() -> String {
        "string, secret".into()
    }
    fn expected() -> String {
        "a string".into()
    }
    fn parse(value: &Value) -> Result<Secret, Problem> {
        string(value).map(Secret::new)
    }
}

/// A non-empty file path.
pub(crate) struct FilePath;

impl Kind for FilePath {
    type Out = PathBuf;
    fn type_doc() -> String {
        "file path".into()
    }
    fn expected() -> String {
        "a non-empty file path".into()
    }
    fn parse(value: &Value) -> Result<PathBuf, Problem> {
        match string(value)? {
            "" => Err(Problem::Malformed),
            s => Ok(PathBuf::from(s)),
        }
    }
}

/// An HTTP header value: non-empty visible ASCII with inner spaces, surrounding
/// whitespace removed. Control characters (CR, LF) would allow header injection.
pub(crate) struct HeaderValue;

impl Kind for HeaderValue {
    type Out = String;
    fn type_doc() -> String {
        "string (visible ASCII)".into()
    }
    fn expected() -> String {
        "a non-empty header value of visible ASCII characters".into()
    }
    fn parse(value: &Value) -> Result<String, Problem> {
        let s = string(value)?.trim_matches([' ', '\t']);
        let valid = !s.is_empty() && s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if valid {
            Ok(s.to_owned())
        } else {
            Err(Problem::Malformed)
        }
    }
}

/// A comma-separated list of TLS protocol versions (`TLSv1.2`, `TLSv1.3`, any case,
/// whitespace around entries ignored, duplicates dropped).
pub(crate) struct Protocols;

impl Kind for Protocols {
    type Out = Vec<TlsVersion>;
    fn type_doc() -> String {
        "comma-separated list of `TLSv1.2`, `TLSv1.3`".into()
    }
    fn expected() -> String {
        "a comma-separated list of TLSv1.2 and TLSv1.3".into()
    }
    fn parse(value: &Value) -> Result<Vec<TlsVersion>, Problem> {
        let mut out = Vec::new();
        for entry in string(value)?.split(',') {
            let version = TlsVersion::from_name(entry.trim()).ok_or(Problem::Malformed)?;
            if !out.contains(&version) {
                out.push(version);
            }
        }
        Ok(out)
    }
}

/// A caller-provided TLS configuration object; only code can supply one.
pub(crate) struct TlsObject;

impl Kind for TlsObject {
    type Out = TlsContext;
    fn type_doc() -> String {
        "TLS client configuration object (code only)".into()
    }
    fn expected() -> String {
        "a TLS context object, which only code can set".into()
    }
    fn parse(value: &Value) -> Result<TlsContext, Problem> {
        match value {
            Value::Tls(t) => Ok(t.clone()),
            other => Err(Problem::WrongType(other.type_name())),
        }
    }
}
