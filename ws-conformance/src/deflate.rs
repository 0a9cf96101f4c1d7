//! permessage-deflate (RFC 7692): the parameters a case offers or answers, the
//! `Sec-WebSocket-Extensions` text, and the suite's own compressor and inflater.
//!
//! The inflater runs with exactly the window and context rules that were negotiated
//! for the peer's direction, so a peer that compresses with a larger window than it
//! agreed to, or keeps its context after agreeing not to, produces data this side
//! cannot inflate, and the case fails with the reason.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// The empty stored block every compressed message ends with on the wire, removed by
/// the sender and restored by the receiver (RFC 7692 section 7.2.1).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// Largest window (base-2 logarithm) and the smallest this suite uses: zlib cannot
/// compress with an 8-bit raw window (it silently uses 9), so 8 is never offered.
pub const MAX_WINDOW_BITS: u8 = 15;
/// See [`MAX_WINDOW_BITS`].
pub const MIN_WINDOW_BITS: u8 = 9;

/// permessage-deflate parameters: a case's profile (what the suite offers as client
/// or answers as server), and the negotiated result.
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

impl DeflateParams {
    /// A short description for case titles: `default`, or the parameters set.
    pub fn describe(&self) -> String {
        let text = self.params().join("; ");
        if text.is_empty() {
            "default parameters".into()
        } else {
            text
        }
    }

    fn params(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.server_no_context_takeover {
            p.push("server_no_context_takeover".to_owned());
        }
        if self.client_no_context_takeover {
            p.push("client_no_context_takeover".to_owned());
        }
        if let Some(bits) = self.server_max_window_bits {
            p.push(format!("server_max_window_bits={bits}"));
        }
        if let Some(bits) = self.client_max_window_bits {
            p.push(format!("client_max_window_bits={bits}"));
        }
        p
    }

    /// The offer a client sends for this profile. Without a client window of its own,
    /// the offer carries a bare `client_max_window_bits` so that the server may
    /// limit the client's window.
    pub fn offer_header(&self) -> String {
        let mut p = vec!["permessage-deflate".to_owned()];
        p.extend(self.params());
        if self.client_max_window_bits.is_none() {
            p.push("client_max_window_bits".into());
        }
        p.join("; ")
    }

    /// The answer a server sends for these negotiated parameters.
    pub fn answer_header(&self) -> String {
        let mut p = vec!["permessage-deflate".to_owned()];
        p.extend(self.params());
        p.join("; ")
    }

    /// Window bits the client compresses with (15 when not limited).
    pub fn client_window(&self) -> u8 {
        self.client_max_window_bits.unwrap_or(MAX_WINDOW_BITS)
    }

    /// Window bits the server compresses with (15 when not limited).
    pub fn server_window(&self) -> u8 {
        self.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS)
    }
}

/// One extension of a `Sec-WebSocket-Extensions` list: its name and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order; a quoted value is unquoted.
    pub params: Vec<(String, Option<String>)>,
}

/// Splits a `Sec-WebSocket-Extensions` value into its extensions (RFC 6455 9.1); a
/// malformed element is an error.
pub fn parse_extensions(value: &str) -> Result<Vec<Extension>, String> {
    let mut out = Vec::new();
    for element in value.split(',') {
        let mut parts = element.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        if name.is_empty() || !is_token(name) {
            return Err(format!("malformed extension {element:?}"));
        }
        let mut params = Vec::new();
        for param in parts {
            let (key, val) = match param.split_once('=') {
                Some((k, v)) => {
                    let v = v.trim();
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(v);
                    (k.trim(), Some(v.to_owned()))
                }
                None => (param, None),
            };
            if !is_token(key) {
                return Err(format!("malformed extension parameter {param:?}"));
            }
            params.push((key.to_owned(), val));
        }
        out.push(Extension {
            name: name.to_owned(),
            params,
        });
    }
    Ok(out)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A permessage-deflate element read as RFC 7692 parameters. `client_max_window_bits`
/// may come without a value in an offer (`Some(None)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParsedDeflate {
    /// `server_no_context_takeover` present.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover` present.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits=N`.
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits` (bare: `Some(None)`), or `=N`.
    pub client_max_window_bits: Option<Option<u8>>,
}

/// Reads a permessage-deflate element: unknown or repeated parameters and bad
/// window values are errors (RFC 7692 section 7.1).
pub fn parse_deflate(ext: &Extension) -> Result<ParsedDeflate, String> {
    let mut out = ParsedDeflate::default();
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &ext.params {
        if seen.contains(&key.as_str()) {
            return Err(format!("parameter {key} repeated"));
        }
        seen.push(key);
        let bits = |v: &Option<String>| -> Result<u8, String> {
            match v.as_deref() {
                Some(v @ ("8" | "9" | "10" | "11" | "12" | "13" | "14" | "15")) => {
                    Ok(v.parse().expect("digits"))
                }
                other => Err(format!("{key} has an invalid value {other:?}")),
            }
        };
        match key.as_str() {
            "server_no_context_takeover" | "client_no_context_takeover" if value.is_some() => {
                return Err(format!("{key} takes no value"))
            }
            "server_no_context_takeover" => out.server_no_context_takeover = true,
            "client_no_context_takeover" => out.client_no_context_takeover = true,
            "server_max_window_bits" => out.server_max_window_bits = Some(bits(value)?),
            "client_max_window_bits" => {
                out.client_max_window_bits = Some(match value {
                    None => None,
                    Some(_) => Some(bits(value)?),
                })
            }
            _ => return Err(format!("unknown parameter {key}")),
        }
    }
    Ok(out)
}

/// Checks a server's answer against the suite's offer (RFC 7692 section 7.1) and
/// returns the negotiated parameters.
pub fn check_answer(
    offer: &DeflateParams,
    answer: &ParsedDeflate,
) -> Result<DeflateParams, String> {
    if offer.server_no_context_takeover && !answer.server_no_context_takeover {
        return Err("server_no_context_takeover was offered but not answered".into());
    }
    if let Some(asked) = offer.server_max_window_bits {
        match answer.server_max_window_bits {
            Some(bits) if bits <= asked => {}
            Some(bits) => {
                return Err(format!(
                    "server_max_window_bits={bits} answers an offer of {asked}"
                ))
            }
            None => return Err("server_max_window_bits was offered but not answered".into()),
        }
    }
    let client_max_window_bits = match answer.client_max_window_bits {
        None => None,
        Some(None) => return Err("client_max_window_bits answered without a value".into()),
        Some(Some(bits)) => {
            if let Some(limit) = offer.client_max_window_bits {
                if bits > limit {
                    return Err(format!(
                        "client_max_window_bits={bits} answers an offer of {limit}"
                    ));
                }
            }
            Some(bits)
        }
    };
    Ok(DeflateParams {
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover,
        server_max_window_bits: answer.server_max_window_bits,
        // Without an answer the client keeps to what it offered (or 15).
        client_max_window_bits: client_max_window_bits.or(offer.client_max_window_bits),
    })
}

/// The answer the suite as server gives to one client offer for a case's profile, or
/// why that offer cannot carry the profile. The profile wins where RFC 7692 lets the
/// server choose; what the client asked for is honoured.
pub fn answer_offer(
    profile: &DeflateParams,
    offer: &ParsedDeflate,
) -> Result<DeflateParams, String> {
    let server_max_window_bits =
        match (profile.server_max_window_bits, offer.server_max_window_bits) {
            (Some(p), Some(o)) => Some(p.min(o)),
            (p, o) => p.or(o),
        };
    let client_max_window_bits =
        match (profile.client_max_window_bits, offer.client_max_window_bits) {
            (Some(_), None) => return Err(
                "the client's offer has no client_max_window_bits, so its window cannot be limited"
                    .into(),
            ),
            (Some(p), Some(Some(o))) => Some(p.min(o)),
            (Some(p), Some(None)) => Some(p),
            (None, _) => None,
        };
    if server_max_window_bits.is_some_and(|b| b < MIN_WINDOW_BITS) {
        return Err("the client asks for an 8-bit server window, which zlib cannot honour".into());
    }
    Ok(DeflateParams {
        server_no_context_takeover: profile.server_no_context_takeover
            || offer.server_no_context_takeover,
        client_no_context_takeover: profile.client_no_context_takeover
            || offer.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    })
}

/// Compresses messages for one direction.
pub struct Deflater {
    inner: Compress,
    no_context_takeover: bool,
}

impl Deflater {
    /// A compressor with this window that resets per message if asked.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Deflater {
            inner: Compress::new_with_window_bits(
                Compression::default(),
                false,
                window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS),
            ),
            no_context_takeover,
        }
    }

    /// One message's compressed payload (without the 4-byte tail).
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut pos = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            let before = self.inner.total_in();
            self.inner
                .compress_vec(&data[pos..], &mut out, FlushCompress::Sync)
                .expect("deflate never fails on valid state");
            pos += (self.inner.total_in() - before) as usize;
            // Done when all input is in and the flush left room to spare.
            if pos == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if self.no_context_takeover {
            self.inner.reset();
        }
        out
    }
}

/// Inflates messages of one direction, with the negotiated context rule. (The
/// window is checked by [`crate::deflate_audit`]: zlib does not enforce one.)
pub struct Inflater {
    inner: Decompress,
    no_context_takeover: bool,
}

/// Output per inflate call.
const STEP: usize = 64 * 1024;

impl Inflater {
    /// An inflater for a sender that compresses with at most this window.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Inflater {
            inner: Decompress::new_with_window_bits(
                false,
                window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS),
            ),
            no_context_takeover,
        }
    }

    /// One message's payload, inflated; more than `limit` bytes is an error.
    pub fn inflate(&mut self, payload: &[u8], limit: usize) -> Result<Vec<u8>, String> {
        let mut input = Vec::with_capacity(payload.len() + TAIL.len());
        input.extend_from_slice(payload);
        input.extend_from_slice(&TAIL);
        let step = STEP;
        let mut out: Vec<u8> = Vec::with_capacity((payload.len() * 3).clamp(64, limit.max(64)));
        let mut chunk = vec![0u8; step];
        let mut pos = 0;
        loop {
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            self.inner
                .decompress(&input[pos..], &mut chunk, FlushDecompress::Sync)
                .map_err(|e| format!("invalid compressed data ({e})"))?;
            pos += (self.inner.total_in() - in_before) as usize;
            let produced = (self.inner.total_out() - out_before) as usize;
            out.extend_from_slice(&chunk[..produced]);
            if out.len() > limit {
                return Err(format!("inflates to more than {limit} bytes"));
            }
            if pos == input.len() && produced < step {
                break;
            }
            if produced == 0 && self.inner.total_in() == in_before {
                return Err("compressed data stops short".into());
            }
        }
        if self.no_context_takeover {
            self.inner.reset(false);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7692_hello_examples() {
        // RFC 7692 section 7.2.3.1: "Hello" compressed in one message.
        let mut inflater = Inflater::new(15, false);
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(inflater.inflate(&hello, 100).unwrap(), b"Hello");
        // Section 7.2.3.2: the second "Hello" refers back to the first (context).
        let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(inflater.inflate(&again, 100).unwrap(), b"Hello");
        // Without context takeover the back reference cannot be resolved.
        let mut fresh = Inflater::new(15, true);
        assert_eq!(fresh.inflate(&hello, 100).unwrap(), b"Hello");
        assert!(fresh.inflate(&again, 100).is_err());
    }

    #[test]
    fn round_trips_with_and_without_context() {
        for (bits, reset) in [(15, false), (9, true), (12, false)] {
            let mut d = Deflater::new(bits, reset);
            let mut i = Inflater::new(bits, reset);
            for size in [0usize, 1, 100, 70_000] {
                let data: Vec<u8> = (0..size).map(|n| (n % 251) as u8).collect();
                let wire = d.compress(&data);
                assert_eq!(i.inflate(&wire, 1 << 20).unwrap(), data);
            }
        }
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let wire = Deflater::new(15, false).compress(&vec![0u8; 100_000]);
        assert!(Inflater::new(15, false).inflate(&wire, 1000).is_err());
    }

    #[test]
    fn extension_lists_and_parameters() {
        let exts = parse_extensions(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-foo",
        )
        .unwrap();
        assert_eq!(exts.len(), 2);
        let p = parse_deflate(&exts[0]).unwrap();
        assert_eq!(p.client_max_window_bits, Some(None));
        assert_eq!(p.server_max_window_bits, Some(10));
        assert!(parse_extensions("permessage-deflate; =3").is_err());
        let bad = parse_extensions("permessage-deflate; server_max_window_bits=16").unwrap();
        assert!(parse_deflate(&bad[0]).is_err());
        let twice = parse_extensions(
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        )
        .unwrap();
        assert!(parse_deflate(&twice[0]).is_err());
    }

    #[test]
    fn answers_are_checked_against_offers() {
        let offer = DeflateParams {
            server_max_window_bits: Some(10),
            ..Default::default()
        };
        let ok = ParsedDeflate {
            server_max_window_bits: Some(9),
            ..Default::default()
        };
        assert_eq!(check_answer(&offer, &ok).unwrap().server_window(), 9);
        let too_big = ParsedDeflate {
            server_max_window_bits: Some(12),
            ..Default::default()
        };
        assert!(check_answer(&offer, &too_big).is_err());
        assert!(check_answer(&offer, &ParsedDeflate::default()).is_err());
    }

    #[test]
    fn server_answers_follow_the_profile_within_the_offer() {
        let offer = ParsedDeflate {
            client_max_window_bits: Some(None),
            ..Default::default()
        };
        let profile = DeflateParams {
            client_max_window_bits: Some(11),
            server_max_window_bits: Some(9),
            ..Default::default()
        };
        let answer = answer_offer(&profile, &offer).unwrap();
        assert_eq!(
            answer.answer_header(),
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=11"
        );
        assert!(answer_offer(&profile, &ParsedDeflate::default()).is_err());
    }
}
