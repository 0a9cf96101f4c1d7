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

use futures::{SinkExt, StreamExt};
use support::in_order::{assert_echo_then_close, assert_message_error_close, guard, RecordingEcho};
use support::wire::{frames_until_close, server_frame, Frame};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use ws_client::{connect, connect_endpoint, ClientConfig, Error, Message, SessionConfig};

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

async fn endpoint_api(violation: Vec<u8>, code: u16) {
    let (uri, peer) = raw_server(violation).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _handle = connect_endpoint(&uri, &cfg(), RecordingEcho(tx))
        .await
        .unwrap();
    let frames = guard(peer).await.unwrap();
    assert_echo_then_close(&frames, code);
    assert_message_error_close(&mut rx, code).await;
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
