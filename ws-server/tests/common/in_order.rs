//! What the in-order failure tests of both roles share (ws-server's
//! `tests/in_order.rs` and, through a `#[path]` module, ws-client's): the
//! recording echo endpoint, and the checks of what the raw peer received and of
//! the endpoint's callbacks.

use std::time::Duration;

use tokio::sync::mpsc;
use ws_tokio::{CloseInfo, Endpoint, Error, Initiator, Message, SessionHandle};

use super::wire::{describe, Frame};

/// Hang guard (never a timing assertion).
pub async fn guard<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test hang guard expired")
}

/// Echoes whole messages and reports every callback to the test, in order.
pub struct RecordingEcho(pub mpsc::UnboundedSender<String>);

impl Endpoint for RecordingEcho {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let _ = self.0.send(format!("message {message:?}"));
        let _ = session.send(message).await;
    }

    async fn on_error(&self, _: &mut (), _: &SessionHandle, error: &Error) {
        let kind = match error {
            Error::Protocol(_) => "protocol",
            _ => "other",
        };
        let _ = self.0.send(format!("error {kind}"));
    }

    async fn on_close(&self, _: &mut (), _: &SessionHandle, close: &CloseInfo) {
        let _ = self
            .0
            .send(format!("close {} {:?}", close.code.0, close.initiator));
    }
}

/// What the raw peer must have received: the echo of "before", then the close
/// frame with `code`.
pub fn assert_echo_then_close(frames: &[Frame], code: u16) {
    let echo = Frame {
        first: 0x81,
        payload: b"before".to_vec(),
    };
    assert!(
        frames.len() == 2 && frames[0] == echo && frames[1].close_code() == Some(code),
        "expected the echo, then a close frame with {code}; got {:?}",
        describe(frames)
    );
}

/// What [`RecordingEcho`] must have seen: the message, the protocol error, then
/// our close with `code`.
pub async fn assert_message_error_close(calls: &mut mpsc::UnboundedReceiver<String>, code: u16) {
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(guard(calls.recv()).await.expect("endpoint dropped"));
    }
    assert_eq!(
        seen,
        [
            "message Text(\"before\")".to_string(),
            "error protocol".to_string(),
            format!("close {code} {:?}", Initiator::Local),
        ]
    );
}
