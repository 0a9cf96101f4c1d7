//! `Host` / authority syntax (RFC 3986 section 3.2, RFC 9112 section 3.2).

/// Splits `host[:port]` and checks its syntax: an IP literal in brackets, or a
/// reg-name / IPv4 address, then an optional port of 1-5 digits up to 65535.
/// Returns the host and the port.
pub(crate) fn parse_authority(value: &str) -> Option<(&str, Option<u16>)> {
    let (host, rest) = if let Some(inner) = value.strip_prefix('[') {
        let end = inner.find(']')?;
        let literal = &inner[..end];
        let ok = !literal.is_empty()
            && literal
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'v' | b'V'));
        if !ok {
            return None;
        }
        (&value[..end + 2], &inner[end + 1..])
    } else {
        let end = value.find(':').unwrap_or(value.len());
        let host = &value[..end];
        if host.is_empty() || !is_reg_name(host) {
            return None;
        }
        (host, &value[end..])
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return None,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    Some((host, port))
}

fn is_reg_name(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities() {
        assert_eq!(parse_authority("example.com"), Some(("example.com", None)));
        assert_eq!(
            parse_authority("example.com:8080"),
            Some(("example.com", Some(8080)))
        );
        assert_eq!(parse_authority("[::1]:443"), Some(("[::1]", Some(443))));
        assert_eq!(parse_authority("[::1]"), Some(("[::1]", None)));
        assert_eq!(parse_authority("a%20b"), Some(("a%20b", None)));
        for bad in [
            "",
            ":80",
            "a:",
            "a:65536",
            "a:123456",
            "a:8x",
            "a b",
            "a/b",
            "[::1",
            "[]",
            "[::1]x",
            "a:1:2",
            "a%2",
            "a%zz",
            "user@host",
        ] {
            assert_eq!(parse_authority(bad), None, "{bad}");
        }
    }
}
