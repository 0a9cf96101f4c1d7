//! RFC 9110 section 5.6 building blocks: tokens, quoted strings, comma lists.
//!
//! Every parser here is a forward-only cursor over bytes, so each header value is read
//! once, in linear time.

/// Whether `b` is a `tchar` (RFC 9110 section 5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Whether `b` may appear in a field value we write (no control characters but HTAB).
pub(crate) fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Writes `s` as a quoted-string, escaping `"` and `\`.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// A forward-only cursor over a header value.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Skips optional whitespace (SP / HTAB).
    pub(crate) fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads a token, or `None` (consuming nothing) if none starts here.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        // tchars are ASCII, so this cannot fail.
        core::str::from_utf8(&self.bytes[start..self.pos]).ok()
    }

    /// Reads a quoted-string and returns its unescaped content, or `None` if the next
    /// bytes are not a complete quoted-string (the cursor is then unspecified).
    pub(crate) fn quoted(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut raw = Vec::new();
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(raw).ok(),
                b'\\' => {
                    let escaped = self.peek()?;
                    if !is_field_value_byte(escaped) {
                        return None;
                    }
                    self.pos += 1;
                    raw.push(escaped);
                }
                b if is_field_value_byte(b) => raw.push(b),
                _ => return None,
            }
        }
    }

    /// Reads a token or a quoted-string.
    pub(crate) fn token_or_quoted(&mut self) -> Option<String> {
        if self.peek() == Some(b'"') {
            self.quoted()
        } else {
            self.token().map(str::to_owned)
        }
    }
}

/// Splits a comma-separated list of tokens (RFC 9110 `#token`), skipping empty
/// elements. Returns `None` if an element is not a token.
pub(crate) fn token_list(value: &[u8]) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut cur = Cursor::new(value);
    loop {
        cur.skip_ows();
        if cur.at_end() {
            return Some(out);
        }
        if cur.eat(b',') {
            continue;
        }
        out.push(cur.token()?);
        cur.skip_ows();
        if !cur.at_end() && !cur.eat(b',') {
            return None;
        }
    }
}

/// Whether the comma list in `value` contains `token`, compared ASCII
/// case-insensitively. Elements that are not tokens are skipped, not fatal.
pub(crate) fn list_contains(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .map(|item| item.trim_ascii())
        .any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_lists() {
        assert!(is_token("permessage-deflate"));
        assert!(!is_token("a b"));
        assert!(!is_token(""));
        assert_eq!(token_list(b" a, ,b ,c"), Some(vec!["a", "b", "c"]));
        assert_eq!(token_list(b""), Some(vec![]));
        assert_eq!(token_list(b"a b"), None);
        assert_eq!(token_list(b"a;b"), None);
        assert!(list_contains(b"keep-alive, Upgrade", "upgrade"));
        assert!(!list_contains(b"keep-alive, Upgraded", "upgrade"));
    }

    #[test]
    fn quoted_strings() {
        let mut cur = Cursor::new(br#""a\"b\\c" rest"#);
        assert_eq!(cur.quoted().as_deref(), Some(r#"a"b\c"#));
        assert_eq!(cur.peek(), Some(b' '));
        assert_eq!(Cursor::new(b"\"open").quoted(), None);
        assert_eq!(Cursor::new(b"\"a\x01\"").quoted(), None);
        let mut out = String::new();
        push_quoted(&mut out, r#"a"b\c"#);
        assert_eq!(out, r#""a\"b\\c""#);
    }
}
