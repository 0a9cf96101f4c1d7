//! Reading the opening request from a transport: an upgrade, a plain HTTP request
//! (for static resources and the 426 answer), or a rejection.

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
}

/// A plain request's method and path (without the query).
pub(crate) struct Plain {
    pub(crate) method: String,
    pub(crate) path: String,
}

/// Reads one request head within `limits`.
pub(crate) async fn read_request<S>(stream: &mut S, limits: Limits) -> io::Result<Request>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut handshake = ServerHandshake::new(limits);
    // A copy of the head, for answering plain requests (bounded like the head).
    let mut head = Vec::new();
    loop {
        let (n, result) = poll_fn(|cx| {
            poll_read_into(stream, cx, |bytes| {
                if bytes.is_empty() {
                    return Ok(None);
                }
                let keep = bytes
                    .len()
                    .min(limits.max_header_bytes.saturating_sub(head.len()));
                head.extend_from_slice(&bytes[..keep]);
                handshake.handle_input(bytes)
            })
        })
        .await?;
        if n == 0 {
            return Ok(Request::Eof);
        }
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
