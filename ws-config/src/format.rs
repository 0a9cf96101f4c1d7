//! The Java `.properties` text format (`java.util.Properties.load`), written for this
//! crate: no dependency, and errors carry line numbers.
//!
//! * Natural lines end with `\n`, `\r\n` or `\r`. Leading whitespace (space, tab,
//!   form feed) is skipped; blank lines and lines whose first non-blank character is
//!   `#` or `!` are comments (a comment never continues onto the next line).
//! * A line ending in an odd number of backslashes continues on the next line, whose
//!   leading whitespace is skipped.
//! * The key runs to the first unescaped `=`, `:` or whitespace; whitespace, then one
//!   optional `=` or `:`, then whitespace separate it from the value. Trailing
//!   whitespace belongs to the value.
//! * Escapes in keys and values: `\t`, `\n`, `\r`, `\f`, `\uXXXX` (UTF-16, so a
//!   surrogate pair gives one character), and `\c` for any other `c` is `c`. A
//!   malformed `\u` escape or an unpaired surrogate is an error (Java throws too).
//! * A later entry for the same key replaces an earlier one.

use crate::error::{ConfigError, ConfigErrors};
use crate::origin::Origin;

/// One entry: key, value, and the line it starts on (from 1).
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) line: usize,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Splits text into natural lines on `\n`, `\r\n` and `\r`.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\n', '\r']) {
        lines.push(&rest[..at]);
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

/// Whether `line` ends in an odd number of backslashes.
fn continues(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Parses properties text; `name` is used in error origins. Reports every malformed
/// line.
pub(crate) fn parse(text: &str, name: &str) -> Result<Vec<Entry>, ConfigErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = natural_lines(text);
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let first = lines[i].trim_start_matches(is_blank);
        i += 1;
        if first.is_empty() || first.starts_with(['#', '!']) {
            continue;
        }
        let mut logical = String::from(first);
        let mut segment_continues = continues(first);
        while segment_continues {
            logical.pop();
            let Some(next) = lines.get(i) else { break };
            i += 1;
            let next = next.trim_start_matches(is_blank);
            logical.push_str(next);
            segment_continues = continues(next);
        }
        let (key, value) = split(&logical);
        match (unescape(key), unescape(value)) {
            (Ok(key), Ok(value)) => entries.push(Entry {
                key,
                value,
                line: start + 1,
            }),
            (Err(message), _) | (_, Err(message)) => errors.push(ConfigError::Syntax {
                origin: Origin::File {
                    name: name.to_owned(),
                    line: start + 1,
                },
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors { errors });
    }
    Ok(entries)
}

/// Splits a logical line into its raw (still escaped) key and value.
fn split(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    let mut has_separator = false;
    for (at, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':') {
            key_end = at;
            has_separator = true;
            break;
        }
        if !escaped && is_blank(c) {
            key_end = at;
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].chars();
    if has_separator {
        rest.next();
    }
    let mut value = rest.as_str();
    loop {
        let trimmed = value.trim_start_matches(is_blank);
        match trimmed.strip_prefix(['=', ':']) {
            Some(after) if !has_separator => {
                has_separator = true;
                value = after;
            }
            _ => return (key, trimmed),
        }
    }
}

/// Resolves escapes; the error is a message for [`ConfigError::Syntax`].
fn unescape(raw: &str) -> Result<String, String> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    let mut buf = [0u16; 2];
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next() {
                None => break,
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('f') => '\x0c',
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = (hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()))
                        .then(|| u16::from_str_radix(&hex, 16).ok())
                        .flatten()
                        .ok_or_else(|| format!("malformed \\uXXXX escape: \\u{hex}"))?;
                    units.push(unit);
                    continue;
                }
                Some(other) => other,
            }
        } else {
            c
        };
        units.extend_from_slice(c.encode_utf16(&mut buf));
    }
    String::from_utf16(&units).map_err(|_| "unpaired UTF-16 surrogate in \\u escapes".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, String) {
        let mut e = parse(text, "t").unwrap();
        assert_eq!(e.len(), 1, "{text:?}");
        let e = e.remove(0);
        (e.key, e.value)
    }

    #[test]
    fn separators() {
        for text in [
            "k=v", "k:v", "k v", "k = v", "k\t:\tv", "  k=v", "k  =v", "k= v",
        ] {
            assert_eq!(one(text), ("k".into(), "v".into()), "{text:?}");
        }
        // Only one separator is consumed; a second belongs to the value.
        assert_eq!(one("k==v"), ("k".into(), "=v".into()));
        assert_eq!(one("k = :v"), ("k".into(), ":v".into()));
        assert_eq!(one("k"), ("k".into(), "".into()));
        assert_eq!(one("k="), ("k".into(), "".into()));
        // Trailing whitespace is part of the value.
        assert_eq!(one("k=v  "), ("k".into(), "v  ".into()));
    }

    #[test]
    fn natural_line_endings() {
        let e = parse("a=1\r\nb=2\rc=3\nd=4", "t").unwrap();
        let got: Vec<_> = e.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(got, [("a", 1), ("b", 2), ("c", 3), ("d", 4)]);
    }
}
