//! The origin policy: which browser pages may open WebSockets to a server. It lives
//! here, below the front-ends, so that `ws-server` and `ws-axum` apply one policy
//! with one meaning (`ws_server::OriginPolicy` re-exports it).

/// Which browser pages may open WebSockets to this server (the `Origin` policy).
///
/// Browsers send `Origin` with every WebSocket request; other clients usually send
/// none. Tomcat allows every origin by default, which lets any web page a user visits
/// open an authenticated WebSocket to the server with the user's cookies (cross-site
/// WebSocket hijacking). Our default is [`OriginPolicy::same_origin`]:
///
/// * no `Origin` header: allowed (non-browser clients);
/// * `Origin` whose host and port equal the `Host` header's: allowed;
/// * any other `Origin`: refused with 403, unless it is in the allow-list.
///
/// [`OriginPolicy::allow_any_origin`] restores Tomcat's behaviour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    any: bool,
    allowed: Vec<String>,
}

impl OriginPolicy {
    /// The default: same origin, or no `Origin` at all.
    pub fn same_origin() -> Self {
        OriginPolicy::default()
    }

    /// Every origin is allowed (Tomcat's default; only for servers without cookies or
    /// other ambient credentials).
    pub fn allow_any_origin() -> Self {
        OriginPolicy {
            any: true,
            allowed: Vec::new(),
        }
    }

    /// Same origin plus these origins, written as browsers send them
    /// (`https://app.example.com`, `http://localhost:3000`); compared ignoring ASCII
    /// case and a trailing `/`.
    pub fn allow_list<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OriginPolicy {
            any: false,
            allowed: origins
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    /// Adds one origin to the allow-list.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        let o: String = origin.into();
        self.allowed
            .push(o.trim_end_matches('/').to_ascii_lowercase());
        self
    }

    /// Whether a request with this `Origin` (if any) and `Host` is allowed.
    pub fn allows(&self, origin: Option<&str>, host: &str) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self.any {
            return true;
        }
        let lower = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed.contains(&lower) {
            return true;
        }
        same_origin(&lower, &host.to_ascii_lowercase())
    }
}

/// `scheme://host[:port]` against `host[:port]`: same host, and the same port once
/// default ports are filled in from the origin's scheme.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // "null" and other opaque origins
    };
    let default = match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return false,
    };
    match (
        split_host_port(authority, default),
        split_host_port(host, default),
    ) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn split_host_port(authority: &str, default: u16) -> Option<(&str, u16)> {
    if authority.contains(['/', '@']) {
        return None;
    }
    // [v6]:port, host:port, host
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy() {
        let p = OriginPolicy::same_origin();
        assert!(p.allows(None, "example.com"));
        assert!(p.allows(Some("http://example.com"), "example.com"));
        assert!(p.allows(Some("http://Example.com:80"), "example.com"));
        assert!(p.allows(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"));
        assert!(p.allows(Some("https://[::1]:9"), "[::1]:9"));
        assert!(!p.allows(Some("http://evil.com"), "example.com"));
        assert!(!p.allows(Some("http://example.com:81"), "example.com"));
        assert!(!p.allows(Some("https://example.com"), "example.com:80"));
        assert!(!p.allows(Some("null"), "example.com"));
    }

    #[test]
    fn lists_and_any() {
        let p = OriginPolicy::allow_list(["https://app.example.com/"]);
        assert!(p.allows(Some("https://APP.example.com"), "api.example.com"));
        assert!(!p.allows(Some("https://other.example.com"), "api.example.com"));
        let p = OriginPolicy::same_origin().with_origin("http://a");
        assert!(p.allows(Some("http://a"), "b"));
        assert!(OriginPolicy::allow_any_origin().allows(Some("null"), "x"));
    }
}
