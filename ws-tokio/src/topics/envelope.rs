//! The bytes a topic message travels in between servers: a 11-byte head (magic
//! byte, version, kind, origin node id) and the payload.
//!
//! The origin lets a node skip its own messages when the broker hands them back
//! (it subscribes to the topics it publishes on whenever it has local
//! subscribers), so a message is never delivered twice on the node that published
//! it.

use bytes::{BufMut, Bytes, BytesMut};
use ws_session::Message;

const MAGIC: u8 = 0xB7;
const VERSION: u8 = 1;
const TEXT: u8 = 1;
const BINARY: u8 = 2;
const HEAD: usize = 11;

/// Encodes `message` as published by node `origin`.
pub(crate) fn encode(origin: u64, message: &Message) -> Bytes {
    let payload = message.as_bytes();
    let mut out = BytesMut::with_capacity(HEAD + payload.len());
    out.put_u8(MAGIC);
    out.put_u8(VERSION);
    out.put_u8(match message {
        Message::Text(_) => TEXT,
        Message::Binary(_) => BINARY,
    });
    out.put_u64(origin);
    out.put_slice(payload);
    out.freeze()
}

/// Decodes an envelope: its origin node and message; `None` for bytes that are
/// not one of ours (another version, or text that is not UTF-8).
pub(crate) fn decode(bytes: &Bytes) -> Option<(u64, Message)> {
    if bytes.len() < HEAD || bytes[0] != MAGIC || bytes[1] != VERSION {
        return None;
    }
    let origin = u64::from_be_bytes(bytes[3..HEAD].try_into().ok()?);
    let payload = bytes.slice(HEAD..);
    let message = match bytes[2] {
        TEXT => Message::Text(String::from_utf8(payload.to_vec()).ok()?),
        BINARY => Message::Binary(payload),
        _ => return None,
    };
    Some((origin, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_bytes() {
        for message in [
            Message::Text("héllo".into()),
            Message::Binary(Bytes::from_static(&[0, 1, 2])),
            Message::Text(String::new()),
        ] {
            let wire = encode(0x0102_0304_0506_0708, &message);
            assert_eq!(decode(&wire), Some((0x0102_0304_0506_0708, message)));
        }
        assert_eq!(decode(&Bytes::from_static(b"hello world")), None);
        let mut bad = encode(1, &Message::Text("x".into())).to_vec();
        bad[HEAD] = 0xff; // not UTF-8
        assert_eq!(decode(&Bytes::from(bad)), None);
        let mut other = encode(1, &Message::Text("x".into())).to_vec();
        other[1] = 2; // another version
        assert_eq!(decode(&Bytes::from(other)), None);
    }
}
