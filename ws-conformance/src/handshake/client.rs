//! The suite as client: the upgrade request and the checks on the 101.

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{accept_key, has_token, header_values, read_head};
use crate::deflate::{check_answer, parse_deflate, parse_extensions, DeflateParams};

/// What a successful opening handshake leaves.
#[derive(Debug)]
pub struct Opened {
    /// The negotiated permessage-deflate parameters, if the server accepted an offer.
    pub deflate: Option<DeflateParams>,
    /// Bytes read after the response head (the first frames, if any).
    pub leftover: Vec<u8>,
}

/// Sends the upgrade request for `path` to `host` (the `Host` header, with port) and
/// checks the server's answer; `offer` is the permessage-deflate profile to offer.
/// Any deviation from RFC 6455 section 4.2.2 / RFC 7692 is an error with its reason.
pub async fn open<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    io: &mut S,
    host: &str,
    path: &str,
    offer: Option<&DeflateParams>,
    nonce: [u8; 16],
) -> Result<Opened, String> {
    let key = base64::engine::general_purpose::STANDARD.encode(nonce);
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(offer) = offer {
        request.push_str(&format!(
            "Sec-WebSocket-Extensions: {}\r\n",
            offer.offer_header()
        ));
    }
    request.push_str("\r\n");
    io.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("writing the upgrade request: {e}"))?;
    io.flush().await.map_err(|e| e.to_string())?;

    let (head, leftover) = read_head(io).await?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("incomplete response head".into()),
        Err(e) => return Err(format!("malformed response head: {e}")),
    }
    if response.code != Some(101) {
        return Err(format!(
            "expected 101, got {} {}",
            response.code.unwrap_or(0),
            response.reason.unwrap_or("")
        ));
    }
    let headers = response.headers;
    let get = |name: &str| header_values(headers, name);
    if !get("Upgrade").is_some_and(|v| has_token(&v, "websocket")) {
        return Err("101 without `Upgrade: websocket`".into());
    }
    if !get("Connection").is_some_and(|v| has_token(&v, "upgrade")) {
        return Err("101 without `Connection: Upgrade`".into());
    }
    let expected = accept_key(&key);
    match get("Sec-WebSocket-Accept") {
        Some(v) if v == expected => {}
        Some(v) => return Err(format!("Sec-WebSocket-Accept {v:?}, expected {expected:?}")),
        None => return Err("101 without Sec-WebSocket-Accept".into()),
    }
    if let Some(p) = get("Sec-WebSocket-Protocol") {
        return Err(format!(
            "subprotocol {p:?} answered though none was offered"
        ));
    }
    let deflate = match get("Sec-WebSocket-Extensions") {
        None => None,
        Some(value) => {
            let Some(offer) = offer else {
                return Err(format!(
                    "extensions {value:?} answered though none was offered"
                ));
            };
            let exts = parse_extensions(&value)?;
            if exts.len() != 1 || exts[0].name != "permessage-deflate" {
                return Err(format!("extensions {value:?} do not answer the one offer"));
            }
            let parsed = parse_deflate(&exts[0])?;
            Some(check_answer(offer, &parsed)?)
        }
    };
    Ok(Opened { deflate, leftover })
}
