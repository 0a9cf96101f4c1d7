//! Incremental reading of an HTTP/1.1 message head, in linear time.
//!
//! Each byte is scanned once for the `CRLF CRLF` terminator (line feeds found with
//! `memchr`, then the bytes before each checked), so feeding a head one byte at a
//! time costs O(n), not O(n^2) (the flaw behind tungstenite's CVE-2023-43669). `httparse` runs exactly once,
//! on the complete head. The byte limit is enforced before the terminator is found, so
//! at most `max_header_bytes` are ever buffered.

use core::mem::MaybeUninit;

use crate::Headers;

/// Default limit on the bytes of a head, terminator included (Tomcat's
/// `MAX_HTTP_RESPONSE_HEADER_BYTES` default, and a common server default).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 8192;
/// Default limit on the number of header fields.
pub const DEFAULT_MAX_HEADERS: usize = 100;

/// Caller-set bounds on a message head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest head accepted, in bytes, including the request or status line and the
    /// final empty line.
    pub max_header_bytes: usize,
    /// Largest number of header fields accepted.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }
}

/// Why a head could not be read (mapped to each side's error type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    TooLarge(usize),
    TooManyHeaders(usize),
    Malformed(String),
}

impl HeadError {
    fn from_httparse(e: httparse::Error, limits: Limits) -> Self {
        match e {
            httparse::Error::TooManyHeaders => HeadError::TooManyHeaders(limits.max_headers),
            other => HeadError::Malformed(other.to_string()),
        }
    }
}

/// A complete head and the bytes that followed it.
pub(crate) type HeadAndRest = (Vec<u8>, Vec<u8>);

/// Accumulates a head until its terminator, within [`Limits`].
#[derive(Clone, Debug)]
pub(crate) struct HeadReader {
    buf: Vec<u8>,
    limits: Limits,
}

impl HeadReader {
    pub(crate) fn new(limits: Limits) -> Self {
        HeadReader {
            buf: Vec::new(),
            limits,
        }
    }

    /// The byte at `pos` of the stream so far: buffered bytes, then `chunk`.
    fn byte_at(&self, chunk: &[u8], pos: usize) -> u8 {
        match pos.checked_sub(self.buf.len()) {
            Some(i) => chunk[i],
            None => self.buf[pos],
        }
    }

    /// Takes more bytes. Returns the complete head and the bytes after it once the
    /// terminator is seen, `None` while more are needed.
    ///
    /// Only bytes that can still belong to a head within the limit are scanned, each
    /// once: every line feed is found with `memchr` and checked against the bytes
    /// before it (which may be in earlier chunks). A line feed without a carriage
    /// return before it is an error as soon as it is seen (RFC 9112 section 2.2 lets a
    /// recipient accept bare LF; we do not, so every head has one framing). The result
    /// is the same however the input is split.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Option<HeadAndRest>, HeadError> {
        let limit = self.limits.max_header_bytes;
        let window = &bytes[..bytes.len().min(limit.saturating_sub(self.buf.len()))];
        let base = self.buf.len();
        for i in memchr::memchr_iter(b'\n', window) {
            let pos = base + i;
            if pos == 0 || self.byte_at(bytes, pos - 1) != b'\r' {
                return Err(HeadError::Malformed("bare LF line ending".into()));
            }
            // An LF two bytes back (whose CR was checked when it was seen) ends the head.
            if pos >= 3 && self.byte_at(bytes, pos - 2) == b'\n' {
                self.buf.extend_from_slice(&bytes[..=i]);
                let head = core::mem::take(&mut self.buf);
                return Ok(Some((head, bytes[i + 1..].to_vec())));
            }
        }
        if self.buf.len() + bytes.len() >= limit {
            // The terminator would end past the limit.
            return Err(HeadError::TooLarge(limit));
        }
        self.buf.extend_from_slice(bytes);
        Ok(None)
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }
}

/// A parsed request head.
pub(crate) struct RawRequest {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) minor_version: u8,
    pub(crate) headers: Headers,
}

/// A parsed response head.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) minor_version: u8,
    pub(crate) headers: Headers,
}

pub(crate) fn parse_request(head: &[u8], limits: Limits) -> Result<RawRequest, HeadError> {
    // Uninitialised slots: no per-parse initialisation of `max_headers` entries.
    let mut stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 128];
    let mut heap = Vec::new();
    let slots = if limits.max_headers <= stack.len() {
        &mut stack[..limits.max_headers]
    } else {
        heap.reserve_exact(limits.max_headers);
        &mut heap.spare_capacity_mut()[..limits.max_headers]
    };
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(head, slots) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Ok(_) => return Err(HeadError::Malformed("incomplete request head".into())),
        Err(e) => return Err(HeadError::from_httparse(e, limits)),
    }
    Ok(RawRequest {
        method: req.method.unwrap_or_default().to_owned(),
        target: req.path.unwrap_or_default().to_owned(),
        minor_version: req.version.unwrap_or_default(),
        headers: Headers::from_httparse(req.headers),
    })
}

pub(crate) fn parse_response(head: &[u8], limits: Limits) -> Result<RawResponse, HeadError> {
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut res = httparse::Response::new(&mut slots);
    match res.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Ok(_) => return Err(HeadError::Malformed("incomplete response head".into())),
        Err(e) => return Err(HeadError::from_httparse(e, limits)),
    }
    Ok(RawResponse {
        status: res.code.unwrap_or_default(),
        reason: res.reason.unwrap_or_default().to_owned(),
        minor_version: res.version.unwrap_or_default(),
        headers: Headers::from_httparse(res.headers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(bytes: usize) -> Limits {
        Limits {
            max_header_bytes: bytes,
            max_headers: 8,
        }
    }

    #[test]
    fn terminator_found_across_any_split() {
        let msg = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nEXTRA";
        for split in 0..=msg.len() {
            let mut r = HeadReader::new(limits(64));
            let first = r.push(&msg[..split]).unwrap();
            let (head, rest) = match first {
                Some((head, mut rest)) => {
                    rest.extend_from_slice(&msg[split..]);
                    (head, rest)
                }
                None => r.push(&msg[split..]).unwrap().unwrap(),
            };
            assert_eq!(head, &msg[..msg.len() - 5], "split {split}");
            assert_eq!(rest, b"EXTRA", "split {split}");
        }
    }

    #[test]
    fn cr_runs_do_not_confuse_the_matcher() {
        let mut r = HeadReader::new(limits(64));
        assert_eq!(r.push(b"X\r\r\n\r\r\n").unwrap(), None);
        let (head, _) = r.push(b"\r\n").unwrap().unwrap();
        assert_eq!(head, b"X\r\r\n\r\r\n\r\n");
    }

    #[test]
    fn limit_is_inclusive_of_the_terminator() {
        let msg = b"GET / HTTP/1.1\r\n\r\n";
        let mut exact = HeadReader::new(limits(msg.len()));
        assert!(exact.push(msg).unwrap().is_some());
        let mut short = HeadReader::new(limits(msg.len() - 1));
        assert_eq!(short.push(msg), Err(HeadError::TooLarge(msg.len() - 1)));
        // Without a terminator, the error comes as soon as the limit is reached.
        let mut r = HeadReader::new(limits(10));
        assert_eq!(r.push(b"123456789").unwrap(), None);
        assert_eq!(r.push(b"0"), Err(HeadError::TooLarge(10)));
    }

    #[test]
    fn bare_lf_is_malformed_as_soon_as_seen() {
        let bare = HeadError::Malformed("bare LF line ending".into());
        let mut r = HeadReader::new(limits(64));
        assert_eq!(r.push(b"GET / HTTP/1.1\r"), Ok(None));
        assert_eq!(r.push(b"\nHost: a"), Ok(None));
        assert_eq!(r.push(b"\n"), Err(bare.clone()));
        assert_eq!(HeadReader::new(limits(64)).push(b"\n"), Err(bare.clone()));
        assert_eq!(HeadReader::new(limits(64)).push(b"a\r\n\n"), Err(bare));
        // Past the limit, the limit is what is reported, however the bytes are split.
        let mut r = HeadReader::new(limits(4));
        assert_eq!(r.push(b"abcd\n"), Err(HeadError::TooLarge(4)));
    }

    #[test]
    fn header_count_limit() {
        let head = b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n";
        let small = Limits {
            max_header_bytes: 100,
            max_headers: 2,
        };
        assert!(matches!(
            parse_request(head, small),
            Err(HeadError::TooManyHeaders(2))
        ));
        assert_eq!(parse_request(head, limits(100)).unwrap().headers.len(), 3);
    }
}
