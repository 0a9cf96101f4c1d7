//! Redirect policy: resolving a `Location` against the current URI (RFC 3986 section
//! 5.2), mapping `http`/`https` to `ws`/`wss`, and origins for the rule that
//! credentials never cross to another origin.

use ws_handshake::WsUri;

/// The origin of a URI: scheme, host (lowercase) and port.
pub(crate) fn origin(uri: &WsUri) -> (bool, String, u16) {
    (uri.secure, uri.host.to_ascii_lowercase(), uri.port)
}

/// A canonical string for cycle detection.
pub(crate) fn canonical(uri: &WsUri) -> String {
    let scheme = if uri.secure { "wss" } else { "ws" };
    format!(
        "{scheme}://{}:{}{}",
        uri.host.to_ascii_lowercase(),
        uri.port,
        uri.target
    )
}

/// The absolute `ws`/`wss` URI that `location` points to from `base`, or `None`
/// when it cannot be followed (another scheme, no host, ...). A fragment is dropped.
pub(crate) fn resolve(base: &WsUri, location: &str) -> Option<String> {
    let location = location.trim();
    let location = location.split('#').next().unwrap_or_default();
    if location.is_empty() {
        return None;
    }
    let base_scheme = if base.secure { "wss" } else { "ws" };
    if let Some((scheme, rest)) = split_scheme(location) {
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => "ws",
            "wss" | "https" => "wss",
            _ => return None,
        };
        return Some(format!("{scheme}://{}", rest.strip_prefix("//")?));
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{base_scheme}://{rest}"));
    }
    let authority = base.host_header();
    let (base_path, _base_query) = base
        .target
        .split_once('?')
        .unwrap_or((base.target.as_str(), ""));
    let target = if location.starts_with('/') {
        let (path, query) = split_query(location);
        format!("{}{query}", remove_dots(path))
    } else if location.starts_with('?') {
        format!("{base_path}{location}")
    } else {
        let (path, query) = split_query(location);
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{}{query}", remove_dots(&format!("{dir}{path}")))
    };
    Some(format!("{base_scheme}://{authority}{target}"))
}

/// `scheme:rest` when `location` starts with a URI scheme (RFC 3986 section 3.1).
fn split_scheme(location: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = location.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

fn split_query(s: &str) -> (&str, &str) {
    match s.find('?') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    }
}

/// RFC 3986 section 5.2.4, for an absolute path.
fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_rfc_3986() {
        let base = WsUri::parse("ws://h:8080/a/b/c?q=1").unwrap();
        let cases = [
            ("wss://other/x", "wss://other/x"),
            ("http://other:81/x?y", "ws://other:81/x?y"),
            ("HTTPS://other/", "wss://other/"),
            ("//other/p", "ws://other/p"),
            ("/abs?z", "ws://h:8080/abs?z"),
            ("rel", "ws://h:8080/a/b/rel"),
            ("../up", "ws://h:8080/a/up"),
            ("./here#frag", "ws://h:8080/a/b/here"),
            ("?only", "ws://h:8080/a/b/c?only"),
            ("/x/../y/./z", "ws://h:8080/y/z"),
            ("..", "ws://h:8080/a/"),
        ];
        for (loc, want) in cases {
            assert_eq!(resolve(&base, loc).as_deref(), Some(want), "{loc}");
        }
        for bad in ["ftp://x/", "", "mailto:x", "#"] {
            assert_eq!(resolve(&base, bad), None, "{bad}");
        }
    }

    #[test]
    fn origins_and_canonical_form() {
        let a = WsUri::parse("ws://Host/x").unwrap();
        let b = WsUri::parse("ws://host:80/y").unwrap();
        let c = WsUri::parse("wss://host/x").unwrap();
        assert_eq!(origin(&a), origin(&b));
        assert_ne!(origin(&a), origin(&c));
        assert_eq!(canonical(&a), "ws://host:80/x");
    }
}
