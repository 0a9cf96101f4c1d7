//! Reading the opening request from a transport: an upgrade, a plain GET (for the
//! static handler), or a rejection.

use std::future::poll_fn;
use std::io;

use tokio::io::AsyncRead;
use ws_handshake::{Limits, ServerError, ServerHandshake, UpgradeRequest};

use crate::io::poll_read_into;

/// What the client asked for.
pub(crate) enum Request {
    /// A valid WebSocket upgrade.
    Upgrade(UpgradeRequest),
    /// A well-formed HTTP request that is no upgrade (method, path).
    Plain(String, String),
    /// An upgrade attempt refused by the handshake rules.
    Rejected(ServerError),
    /// The connection ended before a complete head.
    Eof,
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
            Err(e @ (ServerError::NotWebSocketUpgrade | ServerError::MissingConnectionUpgrade)) => {
                return Ok(match plain_request(&head) {
                    Some((method, path)) => Request::Plain(method, path),
                    None => Request::Rejected(e),
                })
            }
            Err(e) => return Ok(Request::Rejected(e)),
        }
    }
}

/// Method and path of a complete request head without an upgrade.
fn plain_request(head: &[u8]) -> Option<(String, String)> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(head).ok()?;
    let upgrade = req
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("upgrade"));
    if upgrade {
        return None; // an upgrade attempt gone wrong: answer with its error
    }
    let target = req.path?;
    let path = target.split('?').next().unwrap_or(target);
    Some((req.method?.to_owned(), path.to_owned()))
}
