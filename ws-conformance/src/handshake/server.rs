//! The suite as server: checks the client's upgrade request and answers 101, with
//! the permessage-deflate answer a case's profile asks for.

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{accept_key, has_token, header_values, read_head};
use crate::deflate::{answer_offer, parse_deflate, parse_extensions, DeflateParams};

/// What a successful opening handshake leaves.
#[derive(Debug)]
pub struct Accepted {
    /// The request path (with query).
    pub path: String,
    /// The permessage-deflate parameters answered, if the case asked for deflate and
    /// an offer could carry them.
    pub deflate: Option<DeflateParams>,
    /// Why the profile could not be answered (no offer, or none that fits).
    pub deflate_declined: Option<String>,
    /// Bytes read after the request head (the first frames, if any).
    pub leftover: Vec<u8>,
}

/// Reads the client's upgrade request, checks it (RFC 6455 section 4.2.1) and
/// answers 101; an invalid request gets a 400 and an error with its reason. `profile`
/// is the permessage-deflate answer wanted (`None`: decline every offer).
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin + ?Sized>(
    io: &mut S,
    profile: Option<&DeflateParams>,
) -> Result<Accepted, String> {
    let (head, leftover) = read_head(io).await?;
    let checked = check_request(&head, profile);
    let (key, accepted) = match checked {
        Ok(ok) => ok,
        Err(reason) => {
            let body = format!("{reason}\n");
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = io.write_all(response.as_bytes()).await;
            return Err(format!("invalid upgrade request: {reason}"));
        }
    };
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(&key)
    );
    if let Some(params) = &accepted.deflate {
        response.push_str(&format!(
            "Sec-WebSocket-Extensions: {}\r\n",
            params.answer_header()
        ));
    }
    response.push_str("\r\n");
    io.write_all(response.as_bytes())
        .await
        .map_err(|e| format!("writing the 101: {e}"))?;
    io.flush().await.map_err(|e| e.to_string())?;
    Ok(Accepted {
        leftover,
        ..accepted
    })
}

/// The permessage-deflate answer for `profile` to the offers in `extensions` (the
/// `Sec-WebSocket-Extensions` values, joined): the parameters answered, or why the
/// profile could not be answered; the same over HTTP/1.1 and HTTP/2.
pub fn negotiate(
    profile: Option<&DeflateParams>,
    extensions: Option<String>,
) -> Result<(Option<DeflateParams>, Option<String>), String> {
    let Some(profile) = profile else {
        return Ok((None, None));
    };
    let Some(value) = extensions else {
        return Ok((
            None,
            Some("the client offered no permessage-deflate".to_owned()),
        ));
    };
    let exts = parse_extensions(&value).map_err(|e| format!("extensions: {e}"))?;
    let mut why = format!("no permessage-deflate among the offers {value:?}");
    for ext in exts.iter().filter(|e| e.name == "permessage-deflate") {
        match parse_deflate(ext).and_then(|offer| answer_offer(profile, &offer)) {
            Ok(params) => return Ok((Some(params), None)),
            Err(e) => why = e,
        }
    }
    Ok((None, Some(why)))
}

/// The request checks; returns the key and the handshake's result but its leftover.
fn check_request(
    head: &[u8],
    profile: Option<&DeflateParams>,
) -> Result<(String, Accepted), String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("incomplete request head".into()),
        Err(e) => return Err(format!("malformed request head: {e}")),
    }
    if request.method != Some("GET") {
        return Err(format!("method {:?}, expected GET", request.method));
    }
    if request.version != Some(1) {
        return Err("not HTTP/1.1".into());
    }
    let path = request.path.unwrap_or_default().to_owned();
    let headers = request.headers;
    let get = |name: &str| header_values(headers, name);
    if get("Host").is_none() {
        return Err("no Host header".into());
    }
    if !get("Upgrade").is_some_and(|v| has_token(&v, "websocket")) {
        return Err("no `Upgrade: websocket`".into());
    }
    if !get("Connection").is_some_and(|v| has_token(&v, "upgrade")) {
        return Err("no `Connection: Upgrade`".into());
    }
    if get("Sec-WebSocket-Version").as_deref() != Some("13") {
        return Err("Sec-WebSocket-Version is not 13".into());
    }
    let key = get("Sec-WebSocket-Key").ok_or("no Sec-WebSocket-Key")?;
    match base64::engine::general_purpose::STANDARD.decode(&key) {
        Ok(nonce) if nonce.len() == 16 => {}
        _ => {
            return Err(format!(
                "Sec-WebSocket-Key {key:?} is not 16 bytes in base64"
            ))
        }
    }
    let (deflate, deflate_declined) = negotiate(profile, get("Sec-WebSocket-Extensions"))?;
    Ok((
        key,
        Accepted {
            path,
            deflate,
            deflate_declined,
            leftover: Vec::new(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "GET /c/1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n";

    fn head(extra: &str) -> Vec<u8> {
        format!("{GOOD}{extra}\r\n").into_bytes()
    }

    #[test]
    fn a_plain_request_is_accepted_without_deflate() {
        let (key, a) = check_request(&head(""), None).unwrap();
        assert_eq!(
            (key.as_str(), a.path.as_str()),
            ("dGhlIHNhbXBsZSBub25jZQ==", "/c/1")
        );
        assert!(a.deflate.is_none() && a.deflate_declined.is_none());
    }

    #[test]
    fn the_profile_is_answered_when_an_offer_fits() {
        let profile = DeflateParams {
            client_max_window_bits: Some(10),
            ..Default::default()
        };
        let ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
        let (_, a) = check_request(&head(ext), Some(&profile)).unwrap();
        assert_eq!(a.deflate.unwrap().client_max_window_bits, Some(10));
        let bare = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        let (_, a) = check_request(&head(bare), Some(&profile)).unwrap();
        assert!(a.deflate.is_none());
        assert!(a
            .deflate_declined
            .unwrap()
            .contains("client_max_window_bits"));
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let no_key = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Version: 13\r\n\r\n";
        assert!(check_request(no_key.as_bytes(), None)
            .unwrap_err()
            .contains("Key"));
        let old = GOOD.replace("Version: 13", "Version: 8");
        assert!(check_request(format!("{old}\r\n").as_bytes(), None).is_err());
    }
}
