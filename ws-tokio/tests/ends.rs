//! How a `WebSocket` ends, once for both roles over an in-memory duplex pipe and
//! loopback TCP: a valid message before a protocol violation is yielded first, then
//! the violation as one error, and by then our close frame with its code has been
//! written, so a caller that drops the WebSocket at the error loses nothing.

mod support;

use futures::StreamExt;
use support::{link, websocket, Role, CASES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_session::{CloseCode, Message, SessionConfig};
use ws_tokio::Error;

/// One frame as the peer of `ours` sends it: masked when the peer is a client.
fn frame(ours: Role, first: u8, payload: &[u8]) -> Vec<u8> {
    let masked = ours == Role::Server;
    let mut out = vec![first, payload.len() as u8 | if masked { 0x80 } else { 0 }];
    let key = [1, 2, 3, 4];
    if masked {
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// The code of the first close frame in `wire` (frames we sent: masked when we are
/// the client).
fn close_code(wire: &[u8]) -> Option<u16> {
    let mut rest = wire;
    while rest.len() >= 2 {
        let masked = rest[1] & 0x80 != 0;
        let len = (rest[1] & 0x7f) as usize;
        let start = 2 + if masked { 4 } else { 0 };
        let payload: Vec<u8> = if masked {
            let key = &rest[2..6];
            rest[start..start + len]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect()
        } else {
            rest[start..start + len].to_vec()
        };
        if rest[0] & 0x0f == 0x8 {
            return Some(u16::from_be_bytes([payload[0], payload[1]]));
        }
        rest = &rest[start + len..];
    }
    None
}

#[tokio::test]
async fn a_violation_after_a_message_yields_the_message_then_the_error_with_the_close_written() {
    for (role, how) in CASES {
        let case = format!("{role:?} over {how:?}");
        let (ours, mut theirs) = link(how).await;
        let mut ws = websocket(role, ours, SessionConfig::default());
        // A text message, then a frame with a reserved bit (RSV2), in one write.
        let mut input = frame(role, 0x81, b"before");
        input.extend(frame(role, 0xA1, b"bad"));
        theirs.write_all(&input).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::Text("before".into()),
            "{case}"
        );
        let end = ws.next().await.unwrap();
        assert!(matches!(end, Err(Error::Protocol(_))), "{case}: {end:?}");
        assert_eq!(
            ws.close_info().unwrap().code,
            CloseCode::PROTOCOL_ERROR,
            "{case}"
        );
        // Dropped at the error: the close frame is already on its way.
        drop(ws);
        let mut wire = Vec::new();
        let _ = theirs.read_to_end(&mut wire).await;
        assert_eq!(close_code(&wire), Some(1002), "{case}: {wire:?}");
    }
}
