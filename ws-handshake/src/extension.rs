//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 section 9.1).
//!
//! ```text
//! extension-list = 1#extension
//! extension      = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//! A quoted value must unescape to a token.

use core::fmt;

use crate::syntax::{is_token, Cursor};

/// One extension with its parameters, as offered or answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order; duplicates are kept (extensions decide what they mean).
    pub params: Vec<ExtensionParam>,
}

/// One extension parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionParam {
    /// Parameter name (a token).
    pub name: String,
    /// Value, if given (unquoted; always a token).
    pub value: Option<String>,
}

impl Extension {
    /// An extension without parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Extension {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn with_param(mut self, name: impl Into<String>, value: Option<String>) -> Self {
        self.params.push(ExtensionParam {
            name: name.into(),
            value,
        });
        self
    }

    /// Whether every name and value is a token, so [`Display`](fmt::Display) writes a
    /// valid header element.
    pub fn is_well_formed(&self) -> bool {
        is_token(&self.name)
            && self
                .params
                .iter()
                .all(|p| is_token(&p.name) && p.value.as_deref().is_none_or(is_token))
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// Writes extensions as one header value, comma-separated.
pub(crate) fn format_extensions(list: &[Extension]) -> String {
    let mut out = String::new();
    for (i, ext) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&ext.to_string());
    }
    out
}

/// Parses every `Sec-WebSocket-Extensions` field value, in order, into one list.
/// Returns `None` on a syntax error.
pub(crate) fn parse_extensions<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Option<Vec<Extension>> {
    let mut out = Vec::new();
    for value in values {
        parse_value(value, &mut out)?;
    }
    Some(out)
}

fn parse_value(value: &[u8], out: &mut Vec<Extension>) -> Option<()> {
    let mut cur = Cursor::new(value);
    loop {
        cur.skip_ows();
        if cur.at_end() {
            return Some(());
        }
        if cur.eat(b',') {
            continue; // empty list element
        }
        let mut ext = Extension::new(cur.token()?);
        cur.skip_ows();
        while cur.eat(b';') {
            cur.skip_ows();
            let name = cur.token()?.to_owned();
            cur.skip_ows();
            let value = if cur.eat(b'=') {
                cur.skip_ows();
                let v = cur.token_or_quoted()?;
                if !is_token(&v) {
                    return None;
                }
                cur.skip_ows();
                Some(v)
            } else {
                None
            };
            ext.params.push(ExtensionParam { name, value });
        }
        out.push(ext);
        if !cur.at_end() && !cur.eat(b',') {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Option<Vec<Extension>> {
        parse_extensions([v.as_bytes()].into_iter())
    }

    #[test]
    fn grammar() {
        let got = parse(
            "permessage-deflate; client_max_window_bits, permessage-deflate ; server_max_window_bits=\"10\" ;x=y, foo",
        )
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0].to_string(),
            "permessage-deflate; client_max_window_bits"
        );
        assert_eq!(
            got[1].to_string(),
            "permessage-deflate; server_max_window_bits=10; x=y"
        );
        assert_eq!(got[2], Extension::new("foo"));
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse(" , a ,").unwrap(), vec![Extension::new("a")]);
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "a b",
            "a;",
            "a; =1",
            "a; b=",
            "a; b=\"x y\"",
            "a; b=\"open",
            ";a",
            "a; b=c d",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trip_through_format() {
        let list = vec![
            Extension::new("permessage-deflate").with_param("client_max_window_bits", None),
            Extension::new("x").with_param("a", Some("1".into())),
        ];
        let text = format_extensions(&list);
        assert_eq!(parse(&text).unwrap(), list);
        assert!(list.iter().all(Extension::is_well_formed));
        assert!(!Extension::new("a b").is_well_formed());
    }
}
