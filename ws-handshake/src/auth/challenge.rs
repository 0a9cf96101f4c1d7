//! `WWW-Authenticate` / `Proxy-Authenticate` parsing (RFC 9110 section 11.6.1).
//!
//! ```text
//! challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```
//! Challenges and their parameters share the comma as separator: an element of the
//! form `token =` continues the current challenge, any other token starts a new one.

use crate::syntax::Cursor;

/// One authentication challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme as sent (`Basic`, `Digest`, ...); compare case-insensitively.
    pub scheme: String,
    /// A token68 credential form, for schemes that use one.
    pub token68: Option<String>,
    /// Parameters in order, values unquoted; names compare case-insensitively.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// Whether the scheme is `scheme`, ignoring case.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The first value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `realm` parameter.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }
}

/// Parses every challenge field value, in order. `None` on a syntax error.
pub(crate) fn parse_challenges<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Option<Vec<Challenge>> {
    let mut out = Vec::new();
    for value in values {
        parse_value(value, &mut out)?;
    }
    Some(out)
}

fn is_token68_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether the cursor is at `token BWS "="` (an auth-param), without moving it.
fn at_param(cur: &mut Cursor<'_>) -> bool {
    let start = cur.position();
    let is_param = cur.token().is_some() && {
        cur.skip_ows();
        cur.peek() == Some(b'=')
    };
    cur.set_position(start);
    is_param
}

/// Skips whitespace and empty list elements; true if at the end.
fn skip_separators(cur: &mut Cursor<'_>) -> bool {
    loop {
        cur.skip_ows();
        if !cur.eat(b',') {
            return cur.at_end();
        }
    }
}

fn parse_value(value: &[u8], out: &mut Vec<Challenge>) -> Option<()> {
    let mut cur = Cursor::new(value);
    while !skip_separators(&mut cur) {
        let scheme = cur.token()?.to_owned();
        let mut challenge = Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        let had_space = matches!(cur.peek(), Some(b' ' | b'\t'));
        cur.skip_ows();
        if had_space && !cur.at_end() && cur.peek() != Some(b',') {
            if !at_param(&mut cur) {
                // token68
                let start = cur.position();
                while cur.peek().is_some_and(is_token68_byte) {
                    cur.set_position(cur.position() + 1);
                }
                if cur.position() == start {
                    return None;
                }
                while cur.eat(b'=') {}
                let t68 = &value[start..cur.position()];
                challenge.token68 = Some(String::from_utf8_lossy(t68).into_owned());
                cur.skip_ows();
                if !cur.at_end() && cur.peek() != Some(b',') {
                    return None;
                }
            } else {
                loop {
                    let name = cur.token()?.to_owned();
                    cur.skip_ows();
                    if !cur.eat(b'=') {
                        return None;
                    }
                    cur.skip_ows();
                    let v = cur.token_or_quoted()?;
                    challenge.params.push((name, v));
                    cur.skip_ows();
                    if cur.at_end() {
                        break;
                    }
                    if cur.peek() != Some(b',') {
                        return None;
                    }
                    // After the comma(s): another parameter, or the next challenge.
                    let before = cur.position();
                    if skip_separators(&mut cur) {
                        break;
                    }
                    if !at_param(&mut cur) {
                        cur.set_position(before);
                        break;
                    }
                }
            }
        } else if !cur.at_end() && cur.peek() != Some(b',') {
            return None;
        }
        out.push(challenge);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Option<Vec<Challenge>> {
        parse_challenges([v.as_bytes()].into_iter())
    }

    #[test]
    fn several_challenges_in_one_field() {
        let got = parse(
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Bearer, Negotiate abc+/==="#,
        )
        .unwrap();
        assert_eq!(got.len(), 4);
        assert!(got[0].is_scheme("newauth"));
        assert_eq!(got[0].realm(), Some("apps"));
        assert_eq!(got[0].param("TYPE"), Some("1"));
        assert_eq!(got[0].param("title"), Some(r#"Login to "apps""#));
        assert_eq!(got[1].scheme, "Basic");
        assert_eq!(got[1].params, vec![("realm".into(), "simple".into())]);
        assert_eq!(got[2].scheme, "Bearer");
        assert!(got[2].params.is_empty());
        assert_eq!(got[3].token68.as_deref(), Some("abc+/==="));
    }

    #[test]
    fn bws_and_empty_elements() {
        let got = parse(r#" , Digest realm = "r" ,, nonce=abc , qop="auth" ,"#).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].param("nonce"), Some("abc"));
        assert_eq!(got[0].param("qop"), Some("auth"));
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "Basic realm=",
            "Basic realm=\"open",
            "Basic realm=a b",
            "Basic abc def",
            "=x",
            "Basic realm=\"a\" x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
