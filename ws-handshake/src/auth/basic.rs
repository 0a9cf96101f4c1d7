//! Basic authentication (RFC 7617).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{AuthError, Challenge, Credentials};

/// The `Basic` credentials value for `user-id:password`.
///
/// With `utf8` (the challenge said `charset="UTF-8"`, RFC 7617 section 2.1) the text
/// is encoded as UTF-8. Without it the encoding is unspecified; we send ISO-8859-1
/// when every character fits, as most servers expect, and UTF-8 otherwise. Unicode
/// normalization (NFC) of the inputs is left to the caller.
pub fn basic_authorization(
    username: &str,
    password: &str,
    utf8: bool,
) -> Result<String, AuthError> {
    if username.contains(':') {
        return Err(AuthError::InvalidUsername);
    }
    if username
        .chars()
        .chain(password.chars())
        .any(char::is_control)
    {
        return Err(AuthError::InvalidUsername);
    }
    let text = format!("{username}:{password}");
    let latin1: Option<Vec<u8>> = (!utf8)
        .then(|| {
            text.chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect()
        })
        .flatten();
    let bytes = latin1.unwrap_or_else(|| text.into_bytes());
    Ok(format!("Basic {}", STANDARD.encode(bytes)))
}

/// Answers a `Basic` challenge, honouring its `charset` and the realm pin.
pub(crate) fn answer_basic(
    challenge: &Challenge,
    creds: &Credentials,
) -> Result<String, AuthError> {
    super::check_realm(challenge, creds)?;
    let utf8 = challenge
        .param("charset")
        .is_some_and(|c| c.eq_ignore_ascii_case("UTF-8"));
    basic_authorization(&creds.username, &creds.password, utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7617_examples() {
        // Section 2.
        assert_eq!(
            basic_authorization("Aladdin", "open sesame", false).unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        // Section 2.1: "test" / "123£" with charset=UTF-8.
        assert_eq!(
            basic_authorization("test", "123\u{a3}", true).unwrap(),
            "Basic dGVzdDoxMjPCow=="
        );
        // The same without the charset: ISO-8859-1.
        assert_eq!(
            basic_authorization("test", "123\u{a3}", false).unwrap(),
            "Basic dGVzdDoxMjOj"
        );
        assert_eq!(
            basic_authorization("a:b", "x", true),
            Err(AuthError::InvalidUsername)
        );
    }
}
