//! HTTP authentication helpers for the client: challenge parsing, Basic (RFC 7617)
//! and Digest (RFC 7616). Which challenge to answer, and when to stop, is the client
//! front-end's policy; these functions only compute values.

mod basic;
mod challenge;
mod digest;

pub use basic::basic_authorization;
pub(crate) use challenge::parse_challenges;
pub use challenge::Challenge;
pub use digest::{digest_authorization, DigestAlgorithm, DigestRequest};

/// Credentials, optionally pinned to one realm.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// If set, credentials are only sent to a challenge with exactly this realm
    /// (Tomcat's `WS_AUTHENTICATION_REALM`).
    pub realm: Option<String>,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .finish()
    }
}

/// Why no credentials value could be produced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No challenge uses Basic or a supported Digest variant.
    #[error("no supported authentication scheme offered")]
    NoSupportedScheme,
    /// The challenge's realm differs from the pinned realm.
    #[error("realm {got:?} is not the configured realm")]
    RealmMismatch {
        /// The realm the server named (empty if none).
        got: String,
    },
    /// A Digest challenge lacks a required parameter.
    #[error("Digest challenge without {0}")]
    MissingParam(&'static str),
    /// A Digest algorithm other than MD5, SHA-256 and their -sess variants.
    #[error("unsupported Digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// A Digest challenge that does not offer `qop=auth`.
    #[error("Digest challenge without qop=auth")]
    UnsupportedQop,
    /// A Basic user-id with a colon or control characters.
    #[error("user name not allowed in Basic credentials")]
    InvalidUsername,
    /// An empty client nonce, or one with characters that cannot be quoted.
    #[error("invalid cnonce")]
    InvalidCnonce,
}

fn check_realm(challenge: &Challenge, creds: &Credentials) -> Result<(), AuthError> {
    match &creds.realm {
        Some(pinned) if challenge.realm() != Some(pinned.as_str()) => {
            Err(AuthError::RealmMismatch {
                got: challenge.realm().unwrap_or_default().to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// Answers the strongest challenge that can be answered: Digest SHA-256, then Digest
/// MD5 (each with or without `-sess`), then Basic. A challenge that cannot be
/// answered (another realm than the pinned one, no `qop=auth`, ...) is skipped; if
/// none can, the first reason is returned. Returns the value for `Authorization` (or
/// `Proxy-Authorization`, see [`AuthChallenge::answer_header`](crate::AuthChallenge::answer_header)).
pub fn answer_challenges(
    challenges: &[Challenge],
    creds: &Credentials,
    request: &DigestRequest<'_>,
) -> Result<String, AuthError> {
    let mut candidates = Vec::new();
    let mut first_error = None;
    for c in challenges {
        let rank = if c.is_scheme("Digest") {
            match digest::algorithm_of(c) {
                Ok(a) => a.strength() + 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            }
        } else if c.is_scheme("Basic") {
            1
        } else {
            continue;
        };
        candidates.push((rank, c));
    }
    // Stable: among equal ranks the server's order is kept.
    candidates.sort_by_key(|&(rank, _)| core::cmp::Reverse(rank));
    for (rank, c) in candidates {
        let answer = if rank == 1 {
            basic::answer_basic(c, creds)
        } else {
            digest_authorization(c, creds, request)
        };
        match answer {
            Ok(value) => return Ok(value),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(AuthError::NoSupportedScheme))
}
