//! In-order failure over loopback, client role, through both APIs: a raw server
//! sends a valid text message and then a violation in one write (1002 reserved bit
//! or opcode, 1007 bad UTF-8, 1009 a message over the buffer size).
//!
//! * endpoint API: the echo endpoint receives the message, its echo reaches the
//!   server before our close frame, which carries the violation's code; then
//!   `on_error` and `on_close` with that code;
//! * `WebSocket` stream: the message is yielded first (the test echoes it, and the
//!   echo leaves before the close frame), then the error, then the end.

mod support;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::wire::{describe, frames_until_close, server_frame, Frame};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use ws_client::{
    connect, connect_endpoint, ClientConfig, CloseInfo, Endpoint, Error, Initiator, Message,
    SessionConfig, SessionHandle,
};

/// Hang guard (never a timing assertion).
async fn guard<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test hang guard expired")
}

/// Default session limits (8 KiB buffers), no deflate.
fn cfg() -> ClientConfig {
    support::config()
        .with_deflate(false)
        .with_session(SessionConfig::default())
}

/// A raw server for one connection: upgrades, writes "before" and `violation` in
/// one write, then returns every frame the client sent, up to its close frame.
async fn raw_server(violation: Vec<u8>) -> (String, JoinHandle<Vec<Frame>>) {
    let (l, addr) = support::listener().await;
    let peer = tokio::spawn(async move {
        let (mut s, _) = support::accept_session(&l).await;
        let mut input = server_frame(0x81, b"before");
        input.extend(violation);
        s.write_all(&input).await.unwrap();
        frames_until_close(&mut s).await
    });
    (format!("ws://{addr}/"), peer)
}

/// What the server must have received: the echo, then our close with `code`.
fn assert_echo_then_close(frames: &[Frame], code: u16) {
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

/// Echoes whole messages and reports every callback to the test, in order.
struct RecordingEcho(mpsc::UnboundedSender<String>);

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

async fn endpoint_api(violation: Vec<u8>, code: u16) {
    let (uri, peer) = raw_server(violation).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _handle = connect_endpoint(&uri, &cfg(), RecordingEcho(tx))
        .await
        .unwrap();
    let frames = guard(peer).await.unwrap();
    assert_echo_then_close(&frames, code);
    let mut calls = Vec::new();
    while calls.len() < 3 {
        calls.push(guard(rx.recv()).await.expect("endpoint dropped"));
    }
    assert_eq!(
        calls,
        [
            "message Text(\"before\")".to_string(),
            "error protocol".to_string(),
            format!("close {code} {:?}", Initiator::Local),
        ]
    );
}

async fn stream_api(violation: Vec<u8>, code: u16) {
    let (uri, peer) = raw_server(violation).await;
    let mut ws = connect(&uri, &cfg()).await.unwrap();
    let first = guard(ws.next()).await;
    let Some(Ok(message)) = first else {
        panic!("expected the message before the error, got {first:?}");
    };
    assert_eq!(message, Message::Text("before".into()));
    // The echo is queued and written before the violation takes effect.
    guard(ws.send(message)).await.unwrap();
    let end = guard(ws.next()).await;
    assert!(matches!(end, Some(Err(Error::Protocol(_)))), "{end:?}");
    assert_eq!(ws.close_info().unwrap().code.0, code);
    assert!(guard(ws.next()).await.is_none());
    let frames = guard(peer).await.unwrap();
    assert_echo_then_close(&frames, code);
}

/// RSV2 without an extension that defines it.
fn reserved_bit() -> Vec<u8> {
    server_frame(0xA1, b"bad")
}

fn reserved_opcode() -> Vec<u8> {
    server_frame(0x83, b"bad")
}

fn bad_utf8() -> Vec<u8> {
    server_frame(0x81, &[b'o', b'k', 0xff, 0xfe])
}

/// One byte over the default text buffer (8192): refused from its header.
fn oversized() -> Vec<u8> {
    server_frame(0x81, &[b'x'; 8193])
}

#[tokio::test]
async fn endpoint_echo_precedes_the_close_for_a_reserved_bit() {
    endpoint_api(reserved_bit(), 1002).await;
}

#[tokio::test]
async fn endpoint_echo_precedes_the_close_for_a_reserved_opcode() {
    endpoint_api(reserved_opcode(), 1002).await;
}

#[tokio::test]
async fn endpoint_echo_precedes_the_close_for_bad_utf8() {
    endpoint_api(bad_utf8(), 1007).await;
}

#[tokio::test]
async fn endpoint_echo_precedes_the_close_for_an_oversized_message() {
    endpoint_api(oversized(), 1009).await;
}

#[tokio::test]
async fn stream_yields_the_message_before_the_error_for_a_reserved_bit() {
    stream_api(reserved_bit(), 1002).await;
}

#[tokio::test]
async fn stream_yields_the_message_before_the_error_for_a_reserved_opcode() {
    stream_api(reserved_opcode(), 1002).await;
}

#[tokio::test]
async fn stream_yields_the_message_before_the_error_for_bad_utf8() {
    stream_api(bad_utf8(), 1007).await;
}

#[tokio::test]
async fn stream_yields_the_message_before_the_error_for_an_oversized_message() {
    stream_api(oversized(), 1009).await;
}
