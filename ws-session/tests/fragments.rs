//! Fragmentation costs: a legal message is never refused for its number of frames, a
//! fragment costs O(1) memory however small it is, and a peer that sends endless
//! tiny or empty fragments (which never reach the message-size limit) is stopped by
//! the framing bound with 1008.

mod common;

use std::time::Instant;

use common::*;
use ws_session::{
    CloseCause, Delivery, Event, Initiator, Message, MessageKind, ProtocolError, Session,
    SessionConfig, State,
};

const MIB: usize = 1 << 20;

/// Whole delivery with every limit at 64 MiB.
fn whole_64_mib() -> SessionConfig {
    SessionConfig::default()
        .with_text_buffer_size(64 * MIB)
        .with_binary_buffer_size(64 * MIB)
        .with_max_message_size(64 * MIB as u64)
}

/// Partial delivery with Tomcat's 8 KiB buffers (parts of at most 8 KiB) and the
/// 64 MiB message limit.
fn partial_64_mib() -> SessionConfig {
    SessionConfig::default()
        .with_text_delivery(Delivery::Partial)
        .with_binary_delivery(Delivery::Partial)
        .with_max_message_size(64 * MIB as u64)
}

/// Masked client frames carrying `payload` as one `kind` message in fragments of
/// `size` bytes, ended by an empty final frame (as a sender streaming parts of
/// unknown length ends its message).
fn fragmented(kind: MessageKind, payload: &[u8], size: usize) -> Vec<u8> {
    let op = match kind {
        MessageKind::Text => 1,
        MessageKind::Binary => 2,
    };
    let mut out = Vec::with_capacity(payload.len() / size * (size + 6) + 64);
    for (i, chunk) in payload.chunks(size).enumerate() {
        out.extend(cframe(false, if i == 0 { op } else { 0 }, chunk));
    }
    out.extend(cframe(true, 0, b""));
    out
}

/// ASCII text of `len` bytes (so every 1-byte fragment is a whole character).
fn text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Feeds `input` in reads of 64 KiB, draining events after each read as a front-end
/// does; returns every event.
fn feed(s: &mut Session, input: &[u8]) -> Vec<Event> {
    let t0 = Instant::now();
    let mut all = Vec::new();
    for read in input.chunks(64 * 1024) {
        s.handle_input(t0, read);
        all.extend(std::iter::from_fn(|| s.poll_event()));
    }
    all
}

/// The one whole text message in `events`; its buffer holds at most twice its
/// length (no reservation from announced lengths, no runaway growth).
fn whole_text(events: &[Event]) -> &String {
    assert_eq!(events.len(), 1, "one message: {:?}", events.first());
    let Event::Message(Message::Text(s)) = &events[0] else {
        panic!("expected a text message, got {:?}", events[0])
    };
    assert!(
        s.capacity() <= 2 * s.len().max(8 * 1024),
        "capacity {} for {} bytes",
        s.capacity(),
        s.len()
    );
    s
}

/// The bytes of a message delivered in parts, each at most `max` bytes.
fn joined_parts(events: &[Event], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Event::Part { data, last, .. } = e else {
            panic!("expected parts, got {e:?}")
        };
        assert!(data.len() <= max, "part of {} bytes", data.len());
        assert_eq!(*last, i + 1 == events.len(), "last flag of part {i}");
        out.extend_from_slice(data);
    }
    out
}

#[test]
fn a_4_mib_message_in_64_byte_fragments_is_delivered_whole_and_in_parts() {
    let payload = text(4 * MIB);
    let input = fragmented(MessageKind::Text, &payload, 64);
    assert_eq!(input.len(), 65_536 * 70 + 6, "65,537 frames");

    let mut s = server(whole_64_mib(), Instant::now());
    let ev = feed(&mut s, &input);
    assert_eq!(whole_text(&ev).as_bytes(), &payload[..]);
    assert_eq!(s.state(), State::Open);

    let mut s = server(partial_64_mib(), Instant::now());
    let ev = feed(&mut s, &input);
    assert_eq!(joined_parts(&ev, 8192), payload);
    assert_eq!(s.state(), State::Open);
}

#[test]
fn a_1_mib_message_in_1_byte_fragments_is_delivered_whole_and_in_parts() {
    let payload = text(MIB);
    let input = fragmented(MessageKind::Text, &payload, 1);
    // What it costs on the wire: 7 bytes per payload byte (2 header, 4 mask, 1 data).
    assert_eq!(input.len(), 7 * MIB + 6);

    let mut s = server(whole_64_mib(), Instant::now());
    let ev = feed(&mut s, &input);
    assert_eq!(whole_text(&ev).as_bytes(), &payload[..]);

    // Parts end at frame ends: one part per 1-byte fragment, the empty last one too.
    let mut s = server(partial_64_mib(), Instant::now());
    let ev = feed(&mut s, &input);
    assert_eq!(ev.len(), MIB + 1);
    assert_eq!(joined_parts(&ev, 1), payload);

    // Binary, whole, fed in one call.
    let payload: Vec<u8> = (0..MIB).map(|i| (i * 7) as u8).collect();
    let input = fragmented(MessageKind::Binary, &payload, 1);
    let t0 = Instant::now();
    let mut s = server(whole_64_mib(), t0);
    s.handle_input(t0, &input);
    let ev = events(&mut s);
    assert!(matches!(&ev[..], [Event::Message(Message::Binary(b))] if b[..] == payload[..]));
}

/// Tomcat's defaults (whole delivery, 8 KiB buffers): a message at the buffer size
/// in 1-byte fragments, 56 KiB on the wire, is delivered.
#[test]
fn tomcat_defaults_take_an_8_kib_message_in_1_byte_fragments() {
    let payload = text(8192);
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.handle_input(t0, &fragmented(MessageKind::Text, &payload, 1));
    let ev = events(&mut s);
    assert_eq!(whole_text(&ev).as_bytes(), &payload[..]);
}

/// Empty continuation frames never reach a size limit; the framing bound (wire
/// bytes of one message at most 8 per payload byte plus 64 KiB) stops them: after a
/// 1-byte first frame (7 wire bytes), 10,922 empty continuations (6 bytes each) fit
/// in 8 + 65,536 bytes and the next one fails with 1008. Nothing is buffered.
#[test]
fn endless_empty_continuations_are_stopped_by_the_framing_bound() {
    for delivery in [Delivery::Whole, Delivery::Partial] {
        let cfg = whole_64_mib()
            .with_text_delivery(delivery)
            .with_binary_delivery(delivery);
        let t0 = Instant::now();
        let mut s = server(cfg, t0);
        s.handle_input(t0, &cframe(false, 2, b"x"));
        let empty = cframe(false, 0, b"");
        let mut sent = 0;
        let mut ev = Vec::new();
        while s.state() != State::Closed {
            assert!(sent <= 100_000, "empty continuations not stopped");
            s.handle_input(t0, &empty);
            sent += 1;
            ev.extend(std::iter::from_fn(|| s.poll_event()));
        }
        assert_eq!(sent, 10_923, "{delivery:?}");
        let wire = output(&mut s);
        assert_eq!(close_code(wire.last().unwrap()), Some(1008));
        let Some(Event::Closed(info)) = ev.last() else {
            panic!("{ev:?}")
        };
        assert_eq!((info.initiator, info.code.0), (Initiator::Local, 1008));
        assert!(matches!(
            info.cause,
            CloseCause::Protocol(ProtocolError::FramingOverhead { .. })
        ));
        // Partial delivery handed out the one byte; whole delivery nothing.
        let parts: usize = ev
            .iter()
            .map(|e| match e {
                Event::Part { data, .. } => data.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(parts, usize::from(delivery == Delivery::Partial));
    }
}
