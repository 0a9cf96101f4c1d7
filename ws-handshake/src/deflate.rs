//! `permessage-deflate` negotiation (RFC 7692 section 7).
//!
//! [`DeflateOffer`] is what a client offers, [`DeflateParams`] what a server answers
//! and both ends then use, [`DeflateConfig`] the server's policy. These are this
//! crate's own types: `ws-session` has its own compression config and the front-ends
//! map between the two.

use crate::extension::Extension;

/// The extension token.
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// Smallest LZ77 window (bits) RFC 7692 allows.
pub const MIN_WINDOW_BITS: u8 = 8;
/// Largest LZ77 window (bits), and the value when none is negotiated.
pub const MAX_WINDOW_BITS: u8 = 15;

/// The window [`DeflateConfig::lean`] asks the client to compress with (the
/// server's own compressor keeps the full 15 bits: see there why).
pub const LEAN_WINDOW_BITS: u8 = 12;

/// Why a `permessage-deflate` element's parameters are invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateParamError {
    /// A parameter RFC 7692 does not define.
    #[error("unknown permessage-deflate parameter {0}")]
    Unknown(String),
    /// A parameter given twice.
    #[error("duplicate permessage-deflate parameter {0}")]
    Duplicate(String),
    /// A flag parameter with a value.
    #[error("permessage-deflate parameter {0} takes no value")]
    UnexpectedValue(String),
    /// A window parameter without the value it needs here.
    #[error("permessage-deflate parameter {0} needs a value")]
    MissingValue(String),
    /// A window size that is not a decimal from 8 to 15 without leading zeros.
    #[error("permessage-deflate parameter {0} has invalid window bits {1:?}")]
    InvalidWindowBits(String, String),
}

/// The `client_max_window_bits` parameter of an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientMaxWindowBits {
    /// Given without a value: the client can honour a limit the server picks.
    Supported,
    /// Given with a value: the client will use at most this window, and the server
    /// may ask for a smaller one.
    Limit(u8),
}

/// One `permessage-deflate` offer from a client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeflateOffer {
    /// The client asks the server to reset its compression context per message.
    pub server_no_context_takeover: bool,
    /// The client will reset its own context per message (a hint).
    pub client_no_context_takeover: bool,
    /// The client asks the server to compress with at most this window.
    pub server_max_window_bits: Option<u8>,
    /// Whether and how the client accepts a limit on its own window.
    pub client_max_window_bits: Option<ClientMaxWindowBits>,
}

/// Negotiated `permessage-deflate` parameters: the server's answer, which both ends
/// apply. `None` window bits mean the parameter is absent (a window of 15).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The server compresses with at most this window.
    pub server_max_window_bits: Option<u8>,
    /// The client compresses with at most this window.
    pub client_max_window_bits: Option<u8>,
}

/// A server's `permessage-deflate` policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Whether offers are accepted at all.
    pub enabled: bool,
    /// Largest window the server compresses with; below 15 it is announced even when
    /// not asked for.
    pub max_server_window_bits: u8,
    /// Smallest window the server can compress with; an offer asking for less is
    /// declined (Tomcat can only compress with 15).
    pub min_server_window_bits: u8,
    /// Window the server asks the client to limit itself to, when the client's offer
    /// allows it (saves server memory for inflation).
    pub max_client_window_bits: u8,
    /// Always ask the server side to drop context between messages.
    pub server_no_context_takeover: bool,
    /// Always ask the client to drop context between messages.
    pub client_no_context_takeover: bool,
}

impl Default for DeflateConfig {
    /// Enabled, any window from 8 to 15, context takeover allowed both ways.
    fn default() -> Self {
        DeflateConfig {
            enabled: true,
            max_server_window_bits: MAX_WINDOW_BITS,
            min_server_window_bits: MIN_WINDOW_BITS,
            max_client_window_bits: MAX_WINDOW_BITS,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
        }
    }
}

impl DeflateConfig {
    /// The policy front-ends use by default (`ws-server`'s builder and `accept`,
    /// `ws-axum`'s `UpgradeConfig`):
    /// context takeover allowed both ways, the client asked to compress with a window
    /// of at most 12 bits (4 KiB, [`LEAN_WINDOW_BITS`]) whenever its offer allows it
    /// (Chromium's and Firefox's do), and the server compressing with the full 15
    /// bits (not announced: 15 is what an absent `server_max_window_bits` means).
    /// Answer to Chromium's offer: `permessage-deflate; client_max_window_bits=12`.
    ///
    /// Why the two directions differ: what they cost is not held the same way.
    ///
    /// * The client's window is what the server's *inflater* must keep for the
    ///   connection's whole life, busy or idle. At 12 bits an idle connection keeps
    ///   4 KiB of plaintext instead of a decompressor (about 19 KiB with zlib-rs;
    ///   `ws_session::DeflateConfig::release_after_idle`); at 15 bits it would keep
    ///   a 32 KiB window state forever. Inflating with a 4 KiB window costs no CPU
    ///   (measured: within 0.3% of 15 bits).
    /// * The server's window is what its *compressor* uses, and a compressor exists
    ///   only while the connection is busy (idle for `release_after_idle`, it goes
    ///   back to a per-thread pool and only its last 4 KiB of plaintext stay, as the
    ///   next state's dictionary). A 15-bit zlib-rs compressor takes about 370 KiB
    ///   against 258 KiB at 12 bits (the 128 KiB hash table, 112 KiB of buffers and
    ///   the window and chain arrays, 2 x 2^bits bytes each): 112 KiB more per busy
    ///   connection, none per idle one.
    /// * A 4 KiB compression window made 1 KiB messages much slower to compress. Per
    ///   echoed message, server session alone, level 6, 1 KiB messages that repeat
    ///   within a few KiB as the load test's do (`ws-session`'s `deflate_echo`
    ///   bench, instructions under callgrind): random binary 166,000 at 12 bits
    ///   against 93,000 at 15 (and 169 wire bytes per echo against 23), JSON-like
    ///   text 149,000 against 128,000 (59 wire bytes against 21). zlib-rs at level 6
    ///   does not index the positions inside long matches, so with a 4 KiB window
    ///   four messages in seven found nothing to refer to and were coded mostly as
    ///   literals; a 32 KiB window still holds an earlier copy. This was the 1 KiB
    ///   regression of the memory work (296,717 to 105,386 random-binary echoes/s
    ///   in the load test). The other side: in the load test, 64 KiB and 1 MiB
    ///   echoes ran 0.63 to 0.77 of their 12-bit speed with a 15-bit compressor (a
    ///   message that fills the window gains little from it, and the search over
    ///   it is longer), so `ws-session` compresses a message of 32 KiB or more with
    ///   12 bits whatever was negotiated, carrying the context over (its
    ///   `DeflateConfig::release_after_idle` docs).
    ///
    /// Context takeover stays on: without it small JSON messages compress to 0.85 of
    /// their size instead of about 0.15.
    pub fn lean() -> Self {
        DeflateConfig {
            max_server_window_bits: MAX_WINDOW_BITS,
            max_client_window_bits: LEAN_WINDOW_BITS,
            ..DeflateConfig::default()
        }
    }

    /// A policy that declines every offer.
    pub fn disabled() -> Self {
        DeflateConfig {
            enabled: false,
            ..DeflateConfig::default()
        }
    }

    /// The answer to one valid offer, or `None` to decline it.
    pub fn negotiate(&self, offer: &DeflateOffer) -> Option<DeflateParams> {
        if !self.enabled {
            return None;
        }
        let max_server = self
            .max_server_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let max_client = self
            .max_client_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let server_max_window_bits = match offer.server_max_window_bits {
            Some(asked) if asked < self.min_server_window_bits => return None,
            Some(asked) => Some(asked.min(max_server)),
            None => (max_server < MAX_WINDOW_BITS).then_some(max_server),
        };
        let client_max_window_bits = match offer.client_max_window_bits {
            None => None,
            Some(ClientMaxWindowBits::Supported) => {
                (max_client < MAX_WINDOW_BITS).then_some(max_client)
            }
            Some(ClientMaxWindowBits::Limit(limit)) => Some(limit.min(max_client)),
        };
        Some(DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }
}

/// Reads a window size: a decimal from 8 to 15 without leading zeros.
fn window_bits(name: &str, value: &str) -> Result<u8, DeflateParamError> {
    let bits = match value {
        "8" => 8,
        "9" => 9,
        "10" => 10,
        "11" => 11,
        "12" => 12,
        "13" => 13,
        "14" => 14,
        "15" => 15,
        _ => {
            return Err(DeflateParamError::InvalidWindowBits(
                name.to_owned(),
                value.to_owned(),
            ))
        }
    };
    Ok(bits)
}

/// Parsed parameters common to offers and answers; `client_max_window_bits` keeps
/// whether a value was given.
#[derive(Default)]
struct RawParams {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<Option<u8>>,
}

fn parse_params(ext: &Extension) -> Result<RawParams, DeflateParamError> {
    let mut out = RawParams::default();
    let mut seen = [false; 4];
    for p in &ext.params {
        let name = p.name.as_str();
        let index = [
            SERVER_NO_CONTEXT_TAKEOVER,
            CLIENT_NO_CONTEXT_TAKEOVER,
            SERVER_MAX_WINDOW_BITS,
            CLIENT_MAX_WINDOW_BITS,
        ]
        .iter()
        .position(|known| known.eq_ignore_ascii_case(name))
        .ok_or_else(|| DeflateParamError::Unknown(name.to_owned()))?;
        if core::mem::replace(&mut seen[index], true) {
            return Err(DeflateParamError::Duplicate(name.to_owned()));
        }
        let value = p.value.as_deref();
        match (index, value) {
            (0 | 1, Some(_)) => return Err(DeflateParamError::UnexpectedValue(name.to_owned())),
            (0, None) => out.server_no_context_takeover = true,
            (1, None) => out.client_no_context_takeover = true,
            (2, None) => return Err(DeflateParamError::MissingValue(name.to_owned())),
            (2, Some(v)) => out.server_max_window_bits = Some(window_bits(name, v)?),
            (_, v) => {
                out.client_max_window_bits = Some(v.map(|v| window_bits(name, v)).transpose()?)
            }
        }
    }
    Ok(out)
}

fn push_params(
    ext: &mut Extension,
    snct: bool,
    cnct: bool,
    server_bits: Option<u8>,
    client_bits: Option<Option<u8>>,
) {
    if snct {
        ext.params.push(flag(SERVER_NO_CONTEXT_TAKEOVER));
    }
    if cnct {
        ext.params.push(flag(CLIENT_NO_CONTEXT_TAKEOVER));
    }
    if let Some(bits) = server_bits {
        ext.params.push(crate::extension::ExtensionParam {
            name: SERVER_MAX_WINDOW_BITS.into(),
            value: Some(bits.to_string()),
        });
    }
    if let Some(bits) = client_bits {
        ext.params.push(crate::extension::ExtensionParam {
            name: CLIENT_MAX_WINDOW_BITS.into(),
            value: bits.map(|b| b.to_string()),
        });
    }
}

fn flag(name: &str) -> crate::extension::ExtensionParam {
    crate::extension::ExtensionParam {
        name: name.into(),
        value: None,
    }
}

impl DeflateOffer {
    /// Reads an offer from a `permessage-deflate` element: unknown or duplicate
    /// parameters and windows outside 8-15 are errors (the server declines the offer).
    pub fn from_extension(ext: &Extension) -> Result<Self, DeflateParamError> {
        let raw = parse_params(ext)?;
        Ok(DeflateOffer {
            server_no_context_takeover: raw.server_no_context_takeover,
            client_no_context_takeover: raw.client_no_context_takeover,
            server_max_window_bits: raw.server_max_window_bits,
            client_max_window_bits: raw.client_max_window_bits.map(|v| match v {
                None => ClientMaxWindowBits::Supported,
                Some(bits) => ClientMaxWindowBits::Limit(bits),
            }),
        })
    }

    /// The offer as an extension element for a request.
    pub fn to_extension(&self) -> Extension {
        let mut ext = Extension::new(PERMESSAGE_DEFLATE);
        push_params(
            &mut ext,
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits.map(|c| match c {
                ClientMaxWindowBits::Supported => None,
                ClientMaxWindowBits::Limit(bits) => Some(bits),
            }),
        );
        ext
    }
}

impl DeflateParams {
    /// Reads a server's answer: like an offer, but `client_max_window_bits` must carry
    /// a value.
    pub fn from_extension(ext: &Extension) -> Result<Self, DeflateParamError> {
        let raw = parse_params(ext)?;
        let client_max_window_bits = match raw.client_max_window_bits {
            Some(None) => {
                return Err(DeflateParamError::MissingValue(
                    CLIENT_MAX_WINDOW_BITS.into(),
                ))
            }
            Some(Some(bits)) => Some(bits),
            None => None,
        };
        Ok(DeflateParams {
            server_no_context_takeover: raw.server_no_context_takeover,
            client_no_context_takeover: raw.client_no_context_takeover,
            server_max_window_bits: raw.server_max_window_bits,
            client_max_window_bits,
        })
    }

    /// The answer as an extension element for a 101 response.
    pub fn to_extension(&self) -> Extension {
        let mut ext = Extension::new(PERMESSAGE_DEFLATE);
        push_params(
            &mut ext,
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits.map(Some),
        );
        ext
    }

    /// Window bits the server compresses with (15 when not negotiated).
    pub fn server_window_bits(&self) -> u8 {
        self.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS)
    }

    /// Window bits the client compresses with (15 when not negotiated).
    pub fn client_window_bits(&self) -> u8 {
        self.client_max_window_bits.unwrap_or(MAX_WINDOW_BITS)
    }

    /// Whether this answer is a valid acceptance of `offer` (RFC 7692 section 7.1):
    /// a `server_no_context_takeover` or `server_max_window_bits` that was asked for is
    /// honoured, and `client_max_window_bits` appears only if offered, within its limit.
    pub fn answers(&self, offer: &DeflateOffer) -> bool {
        if offer.server_no_context_takeover && !self.server_no_context_takeover {
            return false;
        }
        if let Some(asked) = offer.server_max_window_bits {
            match self.server_max_window_bits {
                Some(bits) if bits <= asked => {}
                _ => return false,
            }
        }
        match (self.client_max_window_bits, offer.client_max_window_bits) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(_), Some(ClientMaxWindowBits::Supported)) => true,
            (Some(bits), Some(ClientMaxWindowBits::Limit(limit))) => bits <= limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extension::parse_extensions;

    fn ext(text: &str) -> Extension {
        parse_extensions([text.as_bytes()].into_iter())
            .unwrap()
            .remove(0)
    }

    fn offer(text: &str) -> Result<DeflateOffer, DeflateParamError> {
        DeflateOffer::from_extension(&ext(text))
    }

    #[test]
    fn offers_parse_all_four_parameters() {
        let o = offer(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
        )
        .unwrap();
        assert_eq!(
            o,
            DeflateOffer {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: Some(10),
                client_max_window_bits: Some(ClientMaxWindowBits::Supported),
            }
        );
        assert_eq!(
            offer("permessage-deflate; client_max_window_bits=\"9\"")
                .unwrap()
                .client_max_window_bits,
            Some(ClientMaxWindowBits::Limit(9))
        );
        assert_eq!(DeflateOffer::from_extension(&o.to_extension()), Ok(o));
    }

    #[test]
    fn invalid_offers() {
        use DeflateParamError::*;
        let table: &[(&str, DeflateParamError)] = &[
            ("permessage-deflate; x", Unknown("x".into())),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                Duplicate("server_no_context_takeover".into()),
            ),
            (
                "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
                Duplicate("client_max_window_bits".into()),
            ),
            (
                "permessage-deflate; server_no_context_takeover=1",
                UnexpectedValue("server_no_context_takeover".into()),
            ),
            (
                "permessage-deflate; server_max_window_bits",
                MissingValue("server_max_window_bits".into()),
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                InvalidWindowBits("server_max_window_bits".into(), "7".into()),
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                InvalidWindowBits("server_max_window_bits".into(), "16".into()),
            ),
            (
                "permessage-deflate; client_max_window_bits=09",
                InvalidWindowBits("client_max_window_bits".into(), "09".into()),
            ),
        ];
        for (text, want) in table {
            assert_eq!(offer(text).as_ref(), Err(want), "{text}");
        }
    }

    #[test]
    fn answers_need_client_window_value() {
        assert_eq!(
            DeflateParams::from_extension(&ext("permessage-deflate; client_max_window_bits")),
            Err(DeflateParamError::MissingValue(
                "client_max_window_bits".into()
            ))
        );
        let p = DeflateParams::from_extension(&ext(
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=10",
        ))
        .unwrap();
        assert_eq!((p.server_window_bits(), p.client_window_bits()), (12, 10));
        assert_eq!(DeflateParams::from_extension(&p.to_extension()), Ok(p));
    }

    #[test]
    fn server_policy() {
        let chromium = offer("permessage-deflate; client_max_window_bits").unwrap();
        let default = DeflateConfig::default();
        let p = default.negotiate(&chromium).unwrap();
        assert_eq!(p, DeflateParams::default());
        assert_eq!(p.to_extension().to_string(), "permessage-deflate");
        assert!(p.answers(&chromium));

        let frugal = DeflateConfig {
            max_server_window_bits: 12,
            max_client_window_bits: 10,
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        let p = frugal.negotiate(&chromium).unwrap();
        assert_eq!(
            p.to_extension().to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=10"
        );
        assert!(p.answers(&chromium));
        // A client that did not offer client_max_window_bits is not limited.
        let plain = DeflateOffer::default();
        assert_eq!(
            frugal.negotiate(&plain).unwrap().client_max_window_bits,
            None
        );
        // A requested server window is honoured, down to the server's minimum.
        let small = offer("permessage-deflate; server_max_window_bits=9").unwrap();
        assert_eq!(
            default.negotiate(&small).unwrap().server_max_window_bits,
            Some(9)
        );
        let tomcat_like = DeflateConfig {
            min_server_window_bits: 15,
            ..DeflateConfig::default()
        };
        assert_eq!(tomcat_like.negotiate(&small), None);
        assert_eq!(DeflateConfig::disabled().negotiate(&chromium), None);

        // The lean policy: the client's window 4 KiB, the server's the full 15 bits
        // (not announced), context takeover kept.
        let p = DeflateConfig::lean().negotiate(&chromium).unwrap();
        assert_eq!(
            p.to_extension().to_string(),
            "permessage-deflate; client_max_window_bits=12"
        );
        assert_eq!((p.server_window_bits(), p.client_window_bits()), (15, 12));
        assert!(p.answers(&chromium));
        let p = DeflateConfig::lean().negotiate(&plain).unwrap();
        assert_eq!(p.to_extension().to_string(), "permessage-deflate");
        // A client that asks for a smaller server window still gets it.
        let p = DeflateConfig::lean().negotiate(&small).unwrap();
        assert_eq!(p.server_max_window_bits, Some(9));
    }

    #[test]
    fn client_side_answer_checks() {
        let asked =
            offer("permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
                .unwrap();
        let ok = DeflateParams {
            server_no_context_takeover: true,
            server_max_window_bits: Some(9),
            ..DeflateParams::default()
        };
        assert!(ok.answers(&asked));
        assert!(!DeflateParams {
            server_no_context_takeover: false,
            ..ok
        }
        .answers(&asked));
        assert!(!DeflateParams {
            server_max_window_bits: Some(11),
            ..ok
        }
        .answers(&asked));
        assert!(!DeflateParams {
            server_max_window_bits: None,
            ..ok
        }
        .answers(&asked));
        // client_max_window_bits only when offered, and within the offered limit.
        let limited = DeflateParams {
            client_max_window_bits: Some(10),
            ..DeflateParams::default()
        };
        assert!(!limited.answers(&DeflateOffer::default()));
        assert!(limited.answers(&offer("permessage-deflate; client_max_window_bits").unwrap()));
        assert!(limited.answers(&offer("permessage-deflate; client_max_window_bits=10").unwrap()));
        assert!(!limited.answers(&offer("permessage-deflate; client_max_window_bits=9").unwrap()));
    }
}
