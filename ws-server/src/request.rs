//! Reading the opening request from a transport: an upgrade, a plain HTTP request
//! (for static resources and the 426 answer), a rejection, or the preface of an
//! HTTP/2 connection with prior knowledge (RFC 9113 section 3.3).

use std::future::poll_fn;
use std::io;

use tokio::io::AsyncRead;
use ws_handshake::{Limits, ServerError, ServerHandshake, UpgradeRequest};
use ws_tokio::poll_read_into;

/// What the client asked for.
pub(crate) enum Request {
    /// A valid WebSocket upgrade.
    Upgrade(UpgradeRequest),
    /// A well-formed HTTP request without an `Upgrade` field.
    Plain(Plain),
    /// An upgrade attempt refused by the handshake rules.
    Rejected(ServerError),
    /// The connection ended before a complete head.
    Eof,
    /// The HTTP/2 connection preface: the bytes read so far (the preface and
    /// whatever followed it in the same read), to replay to the HTTP/2 server.
    Http2(Vec<u8>),
}

/// What an HTTP/2 client sends first (RFC 9113 section 3.4).
pub(crate) const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What one read was, for [`read_request`]. (Returned once per read, by value:
/// the size difference costs nothing worth a box.)
#[allow(clippy::large_enum_variant)]
enum Read {
    /// Fed to the handshake: its verdict.
    Fed(Result<Option<UpgradeRequest>, ServerError>),
    /// A prefix of the HTTP/2 preface so far: read on.
    Preface,
}

/// A plain request's method and path (without the query).
pub(crate) struct Plain {
    pub(crate) method: String,
    pub(crate) path: String,
}

/// Reads one request head within `limits`. With `http2`, a connection that starts
/// with the HTTP/2 preface is recognised ([`Request::Http2`]); the comparison costs
/// the first bytes of the first read, nothing is copied for HTTP/1.1.
pub(crate) async fn read_request<S>(
    stream: &mut S,
    limits: Limits,
    http2: bool,
) -> io::Result<Request>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut handshake = ServerHandshake::new(limits);
    // A copy of the head, for answering plain requests (bounded like the head).
    let mut head = Vec::new();
    // Bytes read while they could still be the HTTP/2 preface (at most one read).
    let mut preface: Option<Vec<u8>> = http2.then(Vec::new);
    loop {
        let (n, read) = poll_fn(|cx| {
            poll_read_into(stream, cx, |bytes| {
                if bytes.is_empty() {
                    return Read::Fed(Ok(None));
                }
                let mut input = bytes;
                let joined;
                if let Some(seen) = &mut preface {
                    let have = seen.len();
                    let compare = (PREFACE.len() - have).min(bytes.len());
                    if bytes[..compare] == PREFACE[have..have + compare] {
                        seen.extend_from_slice(bytes);
                        return Read::Preface;
                    }
                    // Not HTTP/2: what was held back goes to the handshake too
                    // (nothing, and no copy, when the first read told).
                    if !seen.is_empty() {
                        joined = [&seen[..], bytes].concat();
                        input = &joined;
                    }
                    preface = None;
                }
                let keep = input
                    .len()
                    .min(limits.max_header_bytes.saturating_sub(head.len()));
                head.extend_from_slice(&input[..keep]);
                Read::Fed(handshake.handle_input(input))
            })
        })
        .await?;
        if n == 0 {
            return Ok(Request::Eof);
        }
        let result = match read {
            Read::Preface => match preface.take_if(|seen| seen.len() >= PREFACE.len()) {
                Some(seen) => return Ok(Request::Http2(seen)),
                None => continue,
            },
            Read::Fed(result) => result,
        };
        match result {
            Ok(None) => continue,
            Ok(Some(upgrade)) => return Ok(Request::Upgrade(upgrade)),
            // A complete head that asks for no upgrade at all (any method) is plain
            // HTTP; a broken upgrade attempt gets its own error.
            Err(e) => {
                return Ok(match plain_request(&head) {
                    Some(plain) => Request::Plain(plain),
                    None => Request::Rejected(e),
                })
            }
        }
    }
}

/// Method and path of a complete request head without an `Upgrade` field.
fn plain_request(head: &[u8]) -> Option<Plain> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    if !req.parse(head).ok()?.is_complete() {
        return None;
    }
    let upgrade = req
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("upgrade"));
    if upgrade {
        return None; // an upgrade attempt gone wrong: answer with its error
    }
    let target = req.path?;
    let path = target.split('?').next().unwrap_or(target);
    Some(Plain {
        method: req.method?.to_owned(),
        path: path.to_owned(),
    })
}
