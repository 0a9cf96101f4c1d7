//! Automatic pongs: every ping is answered by its own pong, in order, with its
//! payload; what queued automatic pongs may hold is bounded (count and payload
//! bytes), and past the bound the newest queued pong is replaced, so a peer that pings
//! without reading our output cannot grow our memory.

mod common;

use std::time::Instant;

use common::*;
use ws_frame::OpCode;
use ws_session::{Event, SessionConfig};

/// A 125-byte payload (the most a control frame carries) that names ping `i`.
fn payload(i: u32) -> Vec<u8> {
    let mut p = format!("ping {i:>5} ").into_bytes();
    p.resize(125, b'.');
    p
}

/// How a payload is shown in assertions: its name, without the padding.
fn name(payload: &[u8]) -> String {
    String::from_utf8_lossy(payload)
        .trim_end_matches('.')
        .trim()
        .to_owned()
}

fn pings(range: std::ops::Range<u32>, payload: impl Fn(u32) -> Vec<u8>) -> Vec<u8> {
    range.flat_map(|i| cframe(true, 9, &payload(i))).collect()
}

/// The pongs on the wire, by payload name.
fn pong_payloads(wire: &[Wire]) -> Vec<String> {
    wire.iter()
        .map(|w| {
            assert_eq!(w.opcode, OpCode::Pong);
            name(&w.payload)
        })
        .collect()
}

fn names(range: impl Iterator<Item = u32>) -> Vec<String> {
    range.map(|i| name(&payload(i))).collect()
}

/// Autobahn's case 2.10 shape (ten pings in a row), with the largest payloads, all
/// arriving in one read: ten pongs, in order, each with its ping's payload.
#[test]
fn ten_pings_in_one_read_get_ten_pongs_in_order() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.handle_input(t0, &pings(0..10, payload));
    let ev = events(&mut s);
    assert_eq!(ev.len(), 10);
    let wire = output(&mut s);
    assert_eq!(pong_payloads(&wire), names(0..10));
}

/// A client answers with masked pongs, one per ping, also between the frames of a
/// message it is receiving.
#[test]
fn a_client_answers_every_ping_also_inside_a_message() {
    let t0 = Instant::now();
    let mut c = client(SessionConfig::default(), t0);
    let mut input = frame(false, 0, 1, b"he", false);
    for i in 0..3u32 {
        input.extend(frame(true, 0, 9, &i.to_be_bytes(), false));
    }
    input.extend(frame(true, 0, 0, b"llo", false));
    c.handle_input(t0, &input);
    let wire = output(&mut c);
    assert!(wire.iter().all(|w| w.masked));
    let got: Vec<Vec<u8>> = wire.iter().map(|w| w.payload.clone()).collect();
    let want: Vec<Vec<u8>> = (0..3u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(got, want);
}

/// A ping flood from a peer that never reads: at most 64 pongs wait (the default
/// bound); the first 63 pings are answered one by one and the newest queued pong
/// carries the latest ping's payload.
#[test]
fn a_ping_flood_queues_at_most_the_bound_and_answers_the_latest() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    for chunk in (0..100_000u32).collect::<Vec<_>>().chunks(1000) {
        s.handle_input(t0, &pings(chunk[0]..chunk[0] + 1000, payload));
        while s.poll_event().is_some() {}
        // 64 pongs of 125 bytes, 2-byte headers: the queue stays within 64 x 127.
        assert!(s.pending_transmit() <= 64 * 127, "{}", s.pending_transmit());
    }
    let wire = output(&mut s);
    let want = names((0..63).chain([99_999]));
    assert_eq!(pong_payloads(&wire), want);
    // Written out, the queue has room again: the next pings are answered one by one.
    s.handle_input(t0, &pings(0..3, payload));
    assert_eq!(pong_payloads(&output(&mut s)).len(), 3);
}

/// Pongs that have been written no longer count: a peer that reads our output gets
/// every pong, however many pings it sends.
#[test]
fn a_peer_that_reads_gets_every_pong() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut got = Vec::new();
    for round in 0..20u32 {
        s.handle_input(t0, &pings(round * 50..round * 50 + 50, payload));
        got.extend(pong_payloads(&output(&mut s)));
    }
    assert_eq!(got.len(), 1000, "pongs for 1000 pings");
    assert_eq!(got, names(0..1000));
    assert!(events(&mut s)
        .iter()
        .all(|e| matches!(e, Event::Ping(p) if p.len() == 125)));
}
