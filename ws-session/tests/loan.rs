//! Direct reads through [`Session::lend_input`]: feeding large frames through loans
//! gives exactly the events and output of feeding the same bytes to `handle_input`,
//! protocol errors inside lent bytes are caught, and a loan never reserves more than
//! the growth rule allows from what the peer actually sent.

mod common;

use std::time::Instant;

use bytes::BufMut;
use common::*;
use proptest::prelude::*;
use ws_session::{Delivery, Event, Message, Session, SessionConfig};

/// Feeds `input` in reads of the sizes in `reads` (cycled; then the rest), taking a
/// loan whenever the session offers one. Returns events, wire bytes and the number
/// of bytes that went through loans.
fn run_with_loans(
    config: SessionConfig,
    input: &[u8],
    reads: &[usize],
) -> (Vec<Event>, Vec<u8>, usize) {
    let t0 = Instant::now();
    let mut s = server(config, t0);
    let mut rest = input;
    let mut lent_bytes = 0;
    let mut i = 0;
    while !rest.is_empty() && !s.is_closed() {
        let read = reads
            .get(i % reads.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            .max(1);
        i += 1;
        match s.lend_input() {
            Some(mut loan) => {
                // An empty give-back (a read that would block) changes nothing.
                let empty = s.lend_input();
                assert!(empty.is_none(), "a second loan while one is out");
                let n = read.min(loan.max_len()).min(rest.len());
                loan.buf_mut().put_slice(&rest[..n]);
                assert_eq!(loan.len(), n);
                s.handle_loan(t0, loan);
                lent_bytes += n;
                rest = &rest[n..];
            }
            None => {
                let n = read.min(rest.len());
                s.handle_input(t0, &rest[..n]);
                rest = &rest[n..];
            }
        }
    }
    // Events first (the call order): a violation's close is queued when they are.
    let events = events(&mut s);
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    (events, wire, lent_bytes)
}

fn run_plain(config: SessionConfig, input: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let t0 = Instant::now();
    let mut s = server(config, t0);
    s.handle_input(t0, input);
    // Events first (the call order): a violation's close is queued when they are.
    let events = events(&mut s);
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    (events, wire)
}

fn big_config() -> SessionConfig {
    SessionConfig::default()
        .with_text_buffer_size(4 << 20)
        .with_binary_buffer_size(4 << 20)
}

/// A text payload of about `len` bytes with multi-byte characters throughout.
fn big_text(len: usize) -> Vec<u8> {
    const LINE: &str = "héllo wörld — ☃ 𝄞 ";
    LINE.repeat(len / LINE.len() + 1).into_bytes()
}

#[test]
fn a_large_binary_frame_arrives_mostly_through_loans() {
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let input = cframe(true, 2, &payload);
    let (events, wire, lent) = run_with_loans(big_config(), &input, &[4096, 65536]);
    assert!(wire.is_empty(), "nothing to answer: {wire:?}");
    assert!(lent > payload.len() / 2, "only {lent} bytes were lent");
    match &events[..] {
        [Event::Message(Message::Binary(data))] => assert_eq!(&data[..], &payload[..]),
        other => panic!("expected one binary message, got {other:?}"),
    }
}

#[test]
fn invalid_utf8_inside_lent_bytes_closes_with_1007() {
    let mut payload = big_text(200_000);
    let at = payload.len() - 1000;
    payload[at] = 0xff;
    let input = cframe(true, 1, &payload);
    let (events, wire, lent) = run_with_loans(big_config(), &input, &[8192]);
    assert!(lent > 0);
    let frames = parse_wire(&wire);
    assert_eq!(frames.len(), 1);
    assert_eq!(close_code(&frames[0]), Some(1007));
    assert!(matches!(events.last(), Some(Event::Closed(_))));
}

#[test]
fn a_stalled_large_frame_reserves_by_bytes_received_not_by_its_announced_length() {
    let t0 = Instant::now();
    let mut s: Session = server(big_config(), t0);
    // Announces 4 MiB, sends 1 byte.
    let mut input = cframe(true, 2, &vec![0u8; 4 << 20]);
    input.truncate(input.len() - (4 << 20) + 1);
    s.handle_input(t0, &input);
    let loan = s.lend_input().expect("a large frame is under way");
    assert!(
        loan.max_len() <= 16 * 1024,
        "lent {} bytes after one",
        loan.max_len()
    );
    s.handle_loan(t0, loan);
    // After 100,000 bytes, at most eight times that may be reserved.
    s.handle_input(t0, &vec![0u8; 99_999]);
    let loan = s.lend_input().expect("still under way");
    assert!(
        loan.max_len() <= 8 * 100_000 - 100_000,
        "lent {} bytes after 100,000",
        loan.max_len()
    );
    s.handle_loan(t0, loan);
    // Many small steps later the loans still stay within the bound.
    let mut received = 100_000;
    for _ in 0..40 {
        let mut loan = s.lend_input().expect("still under way");
        assert!(
            received + loan.max_len() <= 8 * received,
            "lent {} bytes after {received}",
            loan.max_len()
        );
        let n = loan.max_len().min(50_000);
        loan.buf_mut().put_slice(&vec![0u8; n]);
        s.handle_loan(t0, loan);
        received += n;
    }
}

#[test]
fn partial_delivery_lends_no_more_than_the_part_has_room_for() {
    let config = SessionConfig::default()
        .with_binary_delivery(Delivery::Partial)
        .with_binary_buffer_size(50_000);
    let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let input = cframe(true, 2, &payload);
    let (events, _, lent) = run_with_loans(config.clone(), &input, &[100_000]);
    let (plain, _) = run_plain(config, &input);
    assert!(lent > 0);
    assert_eq!(events, plain);
    for e in &events {
        if let Event::Part { data, .. } = e {
            assert!(data.len() <= 50_000);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Large and small frames, fragments, pings between fragments, whole or partial
    /// delivery: loans or no loans, the session says and sends exactly the same.
    #[test]
    fn loans_give_the_same_events_and_output_as_plain_input(
        sizes in proptest::collection::vec(0usize..180_000, 1..4),
        fragment in 20_000usize..200_000,
        text in any::<bool>(),
        partial in any::<bool>(),
        reads in proptest::collection::vec(1usize..150_000, 1..8),
        ping in any::<bool>(),
    ) {
        let mut input = Vec::new();
        for (n, size) in sizes.iter().enumerate() {
            let payload: Vec<u8> = if text {
                big_text(*size)
            } else {
                (0..*size).map(|i| (i * 31 + n) as u8).collect()
            };
            let chunks: Vec<&[u8]> = if payload.is_empty() {
                vec![&[]]
            } else {
                payload.chunks(fragment).collect()
            };
            for (i, c) in chunks.iter().enumerate() {
                let op = match i { 0 if text => 1, 0 => 2, _ => 0 };
                input.extend(cframe(i + 1 == chunks.len(), op, c));
                if ping && i == 0 {
                    input.extend(cframe(true, 9, b"mid-message"));
                }
            }
        }
        let delivery = if partial { Delivery::Partial } else { Delivery::Whole };
        let config = big_config()
            .with_text_delivery(delivery)
            .with_binary_delivery(delivery)
            .with_text_buffer_size(if partial { 70_001 } else { 4 << 20 })
            .with_binary_buffer_size(if partial { 70_001 } else { 4 << 20 });
        let (events, wire, _) = run_with_loans(config.clone(), &input, &reads);
        let (plain_events, plain_wire) = run_plain(config, &input);
        prop_assert_eq!(events, plain_events);
        prop_assert_eq!(wire, plain_wire);
    }
}

#[test]
fn after_a_large_frame_the_next_read_takes_only_a_header_and_the_next_payload_is_lent_whole() {
    let t0 = Instant::now();
    let mut s: Session = server(big_config(), t0);
    assert_eq!(s.read_limit(), None, "no frame seen yet");
    // A small frame first: no limit.
    s.handle_input(t0, &cframe(true, 2, b"small"));
    assert_eq!(s.read_limit(), None);
    // A 300 KiB frame: between frames afterwards, reads are limited to a header.
    let large = vec![7u8; 300 * 1024];
    s.handle_input(t0, &cframe(true, 2, &large));
    assert_eq!(s.read_limit(), Some(ws_frame::MAX_HEADER_LEN));
    // The next large frame's header alone, as such a read takes it: the session then
    // lends its buffer for the payload, none of which went through handle_input.
    let next = cframe(true, 2, &large);
    let header_len = ws_frame::MAX_HEADER_LEN;
    s.handle_input(t0, &next[..header_len]);
    assert_eq!(s.read_limit(), None, "a frame is under way");
    let mut rest = &next[header_len..];
    let mut lent = 0;
    while !rest.is_empty() {
        let mut loan = s.lend_input().expect("the payload is lent");
        let n = loan.max_len().min(rest.len());
        loan.buf_mut().put_slice(&rest[..n]);
        s.handle_loan(t0, loan);
        lent += n;
        rest = &rest[n..];
    }
    assert_eq!(lent, large.len());
    let messages: Vec<_> = events(&mut s)
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(Message::Binary(b)) => Some(b.len()),
            _ => None,
        })
        .collect();
    assert_eq!(messages, [5, large.len(), large.len()]);
    // A small data frame ends the run of large ones: no limit after it.
    s.handle_input(t0, &cframe(true, 2, b"small again"));
    assert_eq!(s.read_limit(), None);
}
