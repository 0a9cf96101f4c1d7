//! The streaming echo (`/echo-stream`): each whole message goes back as a message
//! sent in parts of at most [`CHUNK`] bytes (text split on character boundaries),
//! like Tomcat's stream-based echo writing through an output stream.
//!
//! It also speaks the subprotocols [`PROTOCOLS`], so clients can test subprotocol
//! negotiation against the demo server (the first one in the client's list that we
//! speak is chosen, Tomcat's rule).

use bytes::Bytes;
use ws_server::{Endpoint, Message, MessageKind, SessionHandle};

/// Largest part of a streamed echo.
pub const CHUNK: usize = 4096;

/// The subprotocols of the streaming echo.
pub const PROTOCOLS: [&str; 2] = ["echo.v1", "echo.v2"];

/// Echoes every whole message back in parts.
pub struct EchoStream;

impl Endpoint for EchoStream {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    fn protocols(&self) -> Vec<String> {
        PROTOCOLS.iter().map(|p| p.to_string()).collect()
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let (kind, data) = match message {
            Message::Text(t) => (MessageKind::Text, Bytes::from(t)),
            Message::Binary(b) => (MessageKind::Binary, b),
        };
        let parts = split(kind, &data, CHUNK);
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            if session.send_part(kind, part, i + 1 == n).await.is_err() {
                return;
            }
        }
    }
}

/// `data` cut into parts of at most `chunk` bytes (`chunk` >= 4); text parts end on
/// UTF-8 character boundaries. An empty message is one empty part.
pub fn split(kind: MessageKind, data: &Bytes, chunk: usize) -> Vec<Bytes> {
    let mut parts = Vec::with_capacity(data.len() / chunk + 1);
    let mut start = 0;
    loop {
        let mut end = (start + chunk).min(data.len());
        if kind == MessageKind::Text {
            // Back off continuation bytes (10xxxxxx) so no character is cut.
            while end < data.len() && end > start && data[end] & 0xC0 == 0x80 {
                end -= 1;
            }
        }
        parts.push(data.slice(start..end));
        start = end;
        if start >= data.len() {
            return parts;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_message_is_one_empty_part() {
        assert_eq!(
            split(MessageKind::Binary, &Bytes::new(), 4),
            vec![Bytes::new()]
        );
    }

    #[test]
    fn binary_parts_are_full_chunks_and_a_rest() {
        let data = Bytes::from(vec![7u8; 10]);
        let parts = split(MessageKind::Binary, &data, 4);
        assert_eq!(parts.iter().map(Bytes::len).collect::<Vec<_>>(), [4, 4, 2]);
        assert_eq!(parts.concat(), data);
    }

    #[test]
    fn text_parts_are_whole_characters() {
        let text = "aé✓😀".repeat(50);
        let data = Bytes::from(text.clone());
        for chunk in 4..12 {
            let parts = split(MessageKind::Text, &data, chunk);
            for p in &parts {
                assert!(p.len() <= chunk && !p.is_empty());
                std::str::from_utf8(p).expect("each part is valid UTF-8");
            }
            assert_eq!(parts.concat(), text.as_bytes());
        }
    }
}
