//! In-order failure over loopback, server role: a raw client sends a valid text
//! message and then a violation in one write. The echo endpoint receives the
//! message first, its echo goes out before the close frame, and the close frame
//! carries the violation's code (1002 reserved bit or opcode, 1007 bad UTF-8, 1009
//! a message over the buffer size); then `on_error` and `on_close` with that code.

mod common;

use common::in_order::{assert_echo_then_close, assert_message_error_close, RecordingEcho};
use common::wire::{client_frame, frames_until_close};
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Sends "before" and then `violation` in one write; checks the wire and the
/// endpoint's callbacks.
async fn message_then(violation: Vec<u8>, code: u16) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_server, addr) = serve("/echo", RecordingEcho(tx)).await;
    let (head, mut tcp) = raw(addr, &upgrade_request(addr, "/echo", "")).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");

    let mut input = client_frame(0x81, b"before");
    input.extend(violation);
    tcp.write_all(&input).await.unwrap();

    let frames = guard(frames_until_close(&mut tcp)).await;
    assert_echo_then_close(&frames, code);
    assert_message_error_close(&mut rx, code).await;
}

#[tokio::test]
async fn a_reserved_bit_after_a_message_closes_with_1002_after_its_echo() {
    // RSV2 without an extension that defines it.
    message_then(client_frame(0xA1, b"bad"), 1002).await;
}

#[tokio::test]
async fn a_reserved_opcode_after_a_message_closes_with_1002_after_its_echo() {
    message_then(client_frame(0x83, b"bad"), 1002).await;
}

#[tokio::test]
async fn bad_utf8_after_a_message_closes_with_1007_after_its_echo() {
    message_then(client_frame(0x81, &[b'o', b'k', 0xff, 0xfe]), 1007).await;
}

#[tokio::test]
async fn an_oversized_message_after_a_message_closes_with_1009_after_its_echo() {
    // One byte over the default text buffer (8192): refused from its header.
    message_then(client_frame(0x81, &[b'x'; 8193]), 1009).await;
}
