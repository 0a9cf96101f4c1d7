//! Digest authentication (RFC 7616) with `qop=auth`.

use md5::Md5;
use sha2::{Digest as _, Sha256};

use super::{AuthError, Challenge, Credentials};
use crate::syntax::push_quoted;

/// The hash algorithms supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// `MD5` (the default when a challenge names none).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl DigestAlgorithm {
    /// Reads an `algorithm` parameter (case-insensitive); `None` for other values.
    pub fn parse(name: &str) -> Option<Self> {
        [
            ("MD5", DigestAlgorithm::Md5),
            ("MD5-sess", DigestAlgorithm::Md5Sess),
            ("SHA-256", DigestAlgorithm::Sha256),
            ("SHA-256-sess", DigestAlgorithm::Sha256Sess),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| a)
    }

    /// The name as written in the `algorithm` parameter.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Md5Sess => "MD5-sess",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn is_sess(self) -> bool {
        matches!(self, DigestAlgorithm::Md5Sess | DigestAlgorithm::Sha256Sess)
    }

    /// Lowercase hex of the hash of `data`.
    fn hex(self, data: &str) -> String {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => to_hex(&Md5::digest(data)),
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => to_hex(&Sha256::digest(data)),
        }
    }

    /// Preference when a server offers several Digest challenges.
    pub(crate) fn strength(self) -> u8 {
        match self {
            DigestAlgorithm::Md5 | DigestAlgorithm::Md5Sess => 1,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha256Sess => 2,
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// What the request being authorized contributes to a Digest answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestRequest<'a> {
    /// The request method: `GET` for the upgrade, `CONNECT` for a proxy.
    pub method: &'a str,
    /// The request target as sent (`/path?query`, or `host:port` for CONNECT).
    pub uri: &'a str,
    /// Client nonce, drawn by the caller from a CSPRNG: printable ASCII without
    /// quotes, backslashes or commas.
    pub cnonce: &'a str,
    /// Nonce count: how many requests used this server nonce, this one included.
    pub nc: u32,
}

/// The algorithm a `Digest` challenge asks for, if supported.
pub(crate) fn algorithm_of(challenge: &Challenge) -> Result<DigestAlgorithm, AuthError> {
    match challenge.param("algorithm") {
        None => Ok(DigestAlgorithm::Md5),
        Some(name) => {
            DigestAlgorithm::parse(name).ok_or_else(|| AuthError::UnsupportedAlgorithm(name.into()))
        }
    }
}

/// The `Digest` credentials value answering `challenge` (RFC 7616 section 3.4).
///
/// The challenge must offer `qop=auth` (RFC 2069 compatibility without `qop` and
/// `auth-int` are not supported). Non-ASCII user names are sent as `username*`
/// (RFC 8187); `userhash=true` is honoured.
pub fn digest_authorization(
    challenge: &Challenge,
    creds: &Credentials,
    request: &DigestRequest<'_>,
) -> Result<String, AuthError> {
    if !challenge.is_scheme("Digest") {
        return Err(AuthError::NoSupportedScheme);
    }
    super::check_realm(challenge, creds)?;
    let algorithm = algorithm_of(challenge)?;
    let realm = challenge.realm().ok_or(AuthError::MissingParam("realm"))?;
    let nonce = challenge
        .param("nonce")
        .ok_or(AuthError::MissingParam("nonce"))?;
    let offers_auth = challenge
        .param("qop")
        .is_some_and(|q| q.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")));
    if !offers_auth {
        return Err(AuthError::UnsupportedQop);
    }
    let cnonce_ok = !request.cnonce.is_empty()
        && request
            .cnonce
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b','));
    if !cnonce_ok {
        return Err(AuthError::InvalidCnonce);
    }
    let nc = format!("{:08x}", request.nc);
    let h = |s: &str| algorithm.hex(s);

    let mut ha1 = h(&format!("{}:{realm}:{}", creds.username, creds.password));
    if algorithm.is_sess() {
        ha1 = h(&format!("{ha1}:{nonce}:{}", request.cnonce));
    }
    let ha2 = h(&format!("{}:{}", request.method, request.uri));
    let response = h(&format!("{ha1}:{nonce}:{nc}:{}:auth:{ha2}", request.cnonce));

    let userhash = challenge
        .param("userhash")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut out = String::from("Digest ");
    if userhash {
        out.push_str("username=");
        push_quoted(&mut out, &h(&format!("{}:{realm}", creds.username)));
    } else if creds.username.is_ascii() && !creds.username.chars().any(|c| c.is_ascii_control()) {
        out.push_str("username=");
        push_quoted(&mut out, &creds.username);
    } else {
        out.push_str("username*=UTF-8''");
        out.push_str(&ext_value(&creds.username));
    }
    out.push_str(", realm=");
    push_quoted(&mut out, realm);
    out.push_str(", uri=");
    push_quoted(&mut out, request.uri);
    out.push_str(", algorithm=");
    out.push_str(algorithm.name());
    out.push_str(", nonce=");
    push_quoted(&mut out, nonce);
    out.push_str(", nc=");
    out.push_str(&nc);
    out.push_str(", cnonce=");
    push_quoted(&mut out, request.cnonce);
    out.push_str(", qop=auth, response=");
    push_quoted(&mut out, &response);
    if let Some(opaque) = challenge.param("opaque") {
        out.push_str(", opaque=");
        push_quoted(&mut out, opaque);
    }
    if userhash {
        out.push_str(", userhash=true");
    }
    Ok(out)
}

/// RFC 8187 `value-chars`: attr-char kept, everything else percent-encoded.
fn ext_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_and_hex() {
        assert_eq!(
            DigestAlgorithm::parse("sha-256-SESS"),
            Some(DigestAlgorithm::Sha256Sess)
        );
        assert_eq!(DigestAlgorithm::parse("SHA-512-256"), None);
        assert_eq!(
            DigestAlgorithm::Md5.hex(""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(ext_value("J\u{e4}s n"), "J%C3%A4s%20n");
    }
}
