//! TLS protocol versions named by `SSL_PROTOCOLS`.

use std::fmt;

/// A TLS protocol version the client may enable. Older versions are not offered:
/// `SSL_PROTOCOLS` naming them is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2, Java name `TLSv1.2`.
    Tls12,
    /// TLS 1.3, Java name `TLSv1.3`.
    Tls13,
}

impl TlsVersion {
    /// Java's name for the version (`TLSv1.2`).
    pub const fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }

    /// Parses Java's name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<TlsVersion> {
        [TlsVersion::Tls12, TlsVersion::Tls13]
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
