//! Helpers shared by the integration tests: feed input whole and byte by byte.
#![allow(dead_code)]

use ws_handshake::{
    ClientError, ClientHandshake, Limits, Outcome, ServerError, ServerHandshake, UpgradeRequest,
};

/// Feeds `data` to a fresh server handshake whole, then byte by byte; asserts both
/// agree (leftover included) and returns the result.
pub fn server_feed(data: &[u8], limits: Limits) -> Result<Option<UpgradeRequest>, ServerError> {
    let whole = ServerHandshake::new(limits).handle_input(data);
    let mut h = ServerHandshake::new(limits);
    let mut stepped = Ok(None);
    let mut leftover_after = data.len();
    for (i, b) in data.iter().enumerate() {
        stepped = h.handle_input(std::slice::from_ref(b));
        if !matches!(stepped, Ok(None)) {
            leftover_after = i + 1;
            break;
        }
    }
    match (&whole, &stepped) {
        (Ok(Some(a)), Ok(Some(b))) => {
            assert_eq!(a.headers(), b.headers());
            assert_eq!(a.target(), b.target());
            assert_eq!(a.leftover(), &data[leftover_after..], "leftover");
            assert!(b.leftover().is_empty());
        }
        _ => assert_eq!(whole, stepped, "whole vs byte by byte"),
    }
    whole
}

/// Same for a client handshake; `make` builds a fresh reader each time.
pub fn client_feed(
    data: &[u8],
    make: impl Fn() -> ClientHandshake,
) -> Result<Option<(Outcome, Vec<u8>)>, ClientError> {
    let whole = make().handle_input(data);
    let mut h = make();
    let mut stepped = Ok(None);
    for (i, b) in data.iter().enumerate() {
        stepped = h.handle_input(std::slice::from_ref(b));
        if !matches!(stepped, Ok(None)) {
            if let Ok(Some((_, rest))) = &mut stepped {
                assert!(rest.is_empty());
                rest.extend_from_slice(&data[i + 1..]);
            }
            break;
        }
    }
    assert_eq!(whole, stepped, "whole vs byte by byte");
    whole
}

/// A valid request as Chromium sends it, with `extra` header lines inserted before the
/// final empty line and `replace` edits applied to the text first.
pub fn chromium_request() -> String {
    "GET /chat?room=1 HTTP/1.1\r\n\
     Host: example.com:8080\r\n\
     Connection: Upgrade\r\n\
     Pragma: no-cache\r\n\
     Cache-Control: no-cache\r\n\
     User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
     Upgrade: websocket\r\n\
     Origin: https://example.com\r\n\
     Sec-WebSocket-Version: 13\r\n\
     Accept-Encoding: gzip, deflate, br\r\n\
     Accept-Language: en-US,en;q=0.9\r\n\
     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
     Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
     \r\n"
        .to_owned()
}
