//! Property tests: input splits do not change events; events before a protocol
//! violation do not depend on the split either, and come before its close; whole and
//! partial delivery deliver the same bytes; deflate round trips across settings;
//! arbitrary input never panics.

mod common;

use std::time::Instant;

use common::*;
use proptest::prelude::*;
use ws_session::{
    fuzzing, DeflateConfig, Delivery, Event, Message, MessageKind, Role, SessionConfig,
};

/// A message as a peer sends it: kind, payload, frame sizes, and whether a ping goes
/// between its first and second frame.
#[derive(Clone, Debug)]
struct Sent {
    text: bool,
    payload: Vec<u8>,
    frame: usize,
    ping: bool,
}

fn sent() -> impl Strategy<Value = Sent> {
    (
        any::<bool>(),
        ".{0,300}",
        proptest::collection::vec(any::<u8>(), 0..300),
        1usize..120,
        any::<bool>(),
    )
        .prop_map(|(text, s, b, frame, ping)| Sent {
            text,
            payload: if text { s.into_bytes() } else { b },
            frame,
            ping,
        })
}

/// Masked client frames for `msgs`.
fn encode(msgs: &[Sent]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        let chunks: Vec<&[u8]> = if m.payload.is_empty() {
            vec![&[]]
        } else {
            m.payload.chunks(m.frame).collect()
        };
        for (i, c) in chunks.iter().enumerate() {
            let op = match (i, m.text) {
                (0, true) => 1,
                (0, false) => 2,
                _ => 0,
            };
            out.extend(cframe(i + 1 == chunks.len(), op, c));
            if i == 0 && m.ping {
                out.extend(cframe(true, 9, b"ping"));
            }
        }
    }
    out
}

fn run(config: SessionConfig, input: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let t0 = Instant::now();
    let mut s = server(config, t0);
    let mut rest = input;
    for &cut in cuts {
        let at = cut.min(rest.len());
        s.handle_input(t0, &rest[..at]);
        rest = &rest[at..];
    }
    s.handle_input(t0, rest);
    // Events first (the call order): a violation's close is queued when they are.
    let events = events(&mut s);
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    (events, wire)
}

/// What ends a client's input, by kind, and the close code: one of ten protocol
/// violations, or (kind 10) a valid close frame, which ends input the same way.
fn violation(kind: u8) -> (Vec<u8>, u16) {
    match kind % 11 {
        10 => (cframe(true, 8, b"\x0f\xa0bye"), 4000), // the peer's close
        0 => (frame(true, 0x20, 1, b"x", true), 1002), // RSV2
        1 => (cframe(true, 3 + kind / 10 % 5, b"x"), 1002), // reserved data opcode
        2 => (cframe(true, 0xb + kind / 10 % 5, b""), 1002), // reserved control opcode
        3 => (frame(true, 0, 2, b"x", false), 1002),   // unmasked
        4 => (cframe(true, 0, b"x"), 1002),            // continuation without a start
        5 => (cframe(true, 1, b"abc\xed\xa0\x80"), 1007), // a surrogate in text
        6 => {
            // A header announcing more than the 10,000-byte message limit.
            let mut head = cframe(true, 2, &[0; 10_001]);
            head.truncate(8);
            (head, 1009)
        }
        7 => (cframe(false, 9, b""), 1002), // fragmented ping
        8 => (cframe(true, 8, b"\x03\xe8\xc3"), 1007), // close reason not UTF-8
        _ => {
            // A new message inside a fragmented one (kind 9).
            let mut both = cframe(false, 1, b"a");
            both.extend(cframe(true, 2, b"b"));
            (both, 1002)
        }
    }
}

/// Feeds `input` cut at `cuts` as a front-end does: after each read, takes every
/// event and echoes each message or part at once. Returns the events and the wire.
fn run_echoing(config: SessionConfig, input: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let t0 = Instant::now();
    let mut s = server(config, t0);
    let mut events = Vec::new();
    let mut rest = input;
    let take = |s: &mut ws_session::Session, events: &mut Vec<Event>| {
        while let Some(e) = s.poll_event() {
            match &e {
                Event::Message(m) => s.send(t0, m.clone()).unwrap(),
                Event::Part { kind, data, last } => {
                    s.send_part(t0, *kind, data.clone(), *last).unwrap()
                }
                _ => {}
            }
            events.push(e);
        }
    };
    for &cut in cuts.iter().chain([&usize::MAX]) {
        let at = cut.min(rest.len());
        s.handle_input(t0, &rest[..at]);
        rest = &rest[at..];
        take(&mut s, &mut events);
    }
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    (events, wire)
}

/// Concatenated payloads per message from whole or partial events.
fn messages(events: &[Event]) -> Vec<(MessageKind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut current: Option<(MessageKind, Vec<u8>)> = None;
    for e in events {
        match e {
            Event::Message(m) => out.push((m.kind(), m.as_bytes().to_vec())),
            Event::Part { kind, data, last } => {
                let cur = current.get_or_insert_with(|| (*kind, Vec::new()));
                assert_eq!(cur.0, *kind);
                cur.1.extend_from_slice(data);
                if *last {
                    out.push(current.take().unwrap());
                }
            }
            _ => {}
        }
    }
    out
}

/// Payload letters below `alphabet`, empty one time in four (empty compressed
/// messages are an edge case of their own).
fn maybe_empty(alphabet: u8, max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => proptest::collection::vec(0u8..alphabet, 0..max),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_split_gives_the_same_events(
        msgs in proptest::collection::vec(sent(), 0..6),
        garbage in proptest::collection::vec(any::<u8>(), 0..40),
        cuts in proptest::collection::vec(0usize..64, 0..40),
        partial in any::<bool>(),
    ) {
        let mut input = encode(&msgs);
        input.extend(garbage);
        let delivery = if partial { Delivery::Partial } else { Delivery::Whole };
        let cfg = SessionConfig::default()
            .with_text_delivery(delivery)
            .with_binary_delivery(delivery)
            .with_text_buffer_size(97)
            .with_binary_buffer_size(97);
        let whole = run(cfg.clone(), &input, &[]);
        let split = run(cfg, &input, &cuts);
        prop_assert_eq!(whole, split);
    }

    /// Valid messages, then one violation (or the peer's close), fed in random
    /// splits: the events before it are those of the valid messages alone (plus, in
    /// partial delivery, parts of the violating message before its bad byte), the
    /// same for every split; every echo goes out before the close frame, and the
    /// close code is the violation's (or the peer's).
    #[test]
    fn events_before_a_violation_do_not_depend_on_the_split(
        msgs in proptest::collection::vec(sent(), 0..6),
        kind in any::<u8>(),
        trailer in proptest::collection::vec(any::<u8>(), 0..40),
        cuts in proptest::collection::vec(0usize..64, 0..40),
        partial in any::<bool>(),
    ) {
        let valid = encode(&msgs);
        let (bad, code) = violation(kind);
        let mut input = valid.clone();
        input.extend(bad);
        // Whatever follows the violation is never looked at.
        input.extend(trailer);
        // Whole delivery takes every valid message (at most 1,200 bytes); partial
        // delivery cuts parts of 97 bytes.
        let (delivery, buffer) = if partial {
            (Delivery::Partial, 97)
        } else {
            (Delivery::Whole, 10_000)
        };
        let cfg = SessionConfig::default()
            .with_text_delivery(delivery)
            .with_binary_delivery(delivery)
            .with_text_buffer_size(buffer)
            .with_binary_buffer_size(buffer)
            .with_max_message_size(10_000);
        let (before, _) = run(cfg.clone(), &valid, &[]);
        prop_assert!(
            !before.iter().any(|e| matches!(e, Event::Closed(_))),
            "the messages before the violation are valid"
        );
        let whole = run_echoing(cfg.clone(), &input, &[]);
        let split = run_echoing(cfg, &input, &cuts);
        prop_assert_eq!(&whole, &split);
        let (events, wire) = whole;
        let Some((Event::Closed(info), rest)) = events.split_last() else {
            return Err(TestCaseError::fail(format!("no Closed last: {events:?}")));
        };
        prop_assert_eq!(info.code.0, code);
        let cause = if kind % 11 == 10 {
            matches!(info.cause, ws_session::CloseCause::Handshake)
        } else {
            matches!(info.cause, ws_session::CloseCause::Protocol(_))
        };
        prop_assert!(cause, "{:?}", info);
        prop_assert_eq!(&rest[..before.len()], &before[..]);
        for e in &rest[before.len()..] {
            prop_assert!(matches!(e, Event::Part { last: false, .. }), "{:?}", e);
        }
        // The wire: pongs and echoes, then the close frame with the code, last.
        let frames = parse_wire(&wire);
        let last = frames.last().expect("a close frame");
        prop_assert_eq!(close_code(last), Some(code));
        let echoed: usize = frames
            .iter()
            .filter(|w| w.opcode.is_data())
            .map(|w| w.payload.len())
            .sum();
        let received: usize = rest
            .iter()
            .map(|e| match e {
                Event::Message(m) => m.as_bytes().len(),
                Event::Part { data, .. } => data.len(),
                _ => 0,
            })
            .sum();
        prop_assert_eq!(echoed, received);
    }

    #[test]
    fn whole_and_partial_deliver_the_same_bytes(
        msgs in proptest::collection::vec(sent(), 0..6),
        part in 4usize..50,
    ) {
        let input = encode(&msgs);
        let whole_cfg = SessionConfig::default();
        let partial_cfg = SessionConfig::default()
            .with_text_delivery(Delivery::Partial)
            .with_binary_delivery(Delivery::Partial)
            .with_text_buffer_size(part)
            .with_binary_buffer_size(part);
        let (whole, _) = run(whole_cfg, &input, &[]);
        let (partial, _) = run(partial_cfg, &input, &[]);
        let expected: Vec<_> = msgs
            .iter()
            .map(|m| (if m.text { MessageKind::Text } else { MessageKind::Binary }, m.payload.clone()))
            .collect();
        prop_assert_eq!(messages(&whole), expected.clone());
        prop_assert_eq!(messages(&partial), expected);
        for e in &partial {
            if let Event::Part { kind: MessageKind::Text, data, .. } = e {
                prop_assert!(std::str::from_utf8(data).is_ok());
            }
        }
    }

    #[test]
    fn deflate_round_trips(
        msgs in proptest::collection::vec((any::<bool>(), maybe_empty(8, 3000)), 1..8),
        server_nct in any::<bool>(),
        client_nct in any::<bool>(),
        server_bits in 8u8..=15,
        client_bits in 8u8..=15,
        level in 0u32..=9,
        threshold in 0usize..64,
        fragment in proptest::option::of(1usize..500),
        in_parts in any::<bool>(),
    ) {
        let d = DeflateConfig::default()
            .with_server_no_context_takeover(server_nct)
            .with_client_no_context_takeover(client_nct)
            .with_server_max_window_bits(server_bits)
            .with_client_max_window_bits(client_bits)
            .with_compression_level(level)
            .with_compression_threshold(threshold);
        let cfg = SessionConfig::default()
            .with_deflate(Some(d))
            .with_fragment_size(fragment)
            .with_binary_buffer_size(1 << 16)
            .with_text_buffer_size(1 << 16);
        let t0 = Instant::now();
        let mut c = client(cfg.clone(), t0);
        let mut s = server(cfg, t0);
        for (text, raw) in &msgs {
            // Small alphabet: compressible. Text is ASCII letters.
            let bytes: Vec<u8> = raw.iter().map(|b| b'a' + b).collect();
            let kind = if *text { MessageKind::Text } else { MessageKind::Binary };
            if in_parts {
                let mid = bytes.len() / 2;
                c.send_part(t0, kind, bytes[..mid].to_vec(), false).unwrap();
                c.send_part(t0, kind, bytes[mid..].to_vec(), true).unwrap();
            } else if *text {
                c.send_text(t0, std::str::from_utf8(&bytes).unwrap()).unwrap();
            } else {
                c.send_binary(t0, bytes.clone()).unwrap();
            }
            pump(&mut c, &mut s, t0);
            let got = s.poll_event();
            let Some(Event::Message(m)) = got else {
                return Err(TestCaseError::fail(format!("server got {got:?}")));
            };
            prop_assert_eq!(m.as_bytes(), &bytes[..]);
            s.send(t0, m).unwrap();
            pump(&mut s, &mut c, t0);
            let back = c.poll_event();
            let Some(Event::Message(m)) = back else {
                return Err(TestCaseError::fail(format!("client got {back:?}")));
            };
            prop_assert_eq!(m.as_bytes(), &bytes[..]);
            if *text {
                prop_assert!(matches!(m, Message::Text(_)));
            }
        }
    }

    #[test]
    fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::drive(Role::Server, false, &data, Instant::now());
        fuzzing::drive(Role::Client, false, &data, Instant::now());
        fuzzing::drive(Role::Server, true, &data, Instant::now());
        fuzzing::drive(Role::Client, true, &data, Instant::now());
    }

    #[test]
    fn compressed_input_any_split_and_any_delivery_gives_the_same_bytes(
        msgs in proptest::collection::vec((any::<bool>(), maybe_empty(6, 2000)), 1..6),
        fragment in proptest::option::of(1usize..300),
        takeover in any::<bool>(),
        cuts in proptest::collection::vec(0usize..200, 0..30),
        part in 4usize..100,
    ) {
        let d = DeflateConfig::default()
            .with_compression_threshold(0)
            .with_client_no_context_takeover(!takeover);
        let t0 = Instant::now();
        let mut c = client(
            SessionConfig::default().with_deflate(Some(d)).with_fragment_size(fragment),
            t0,
        );
        let mut expected = Vec::new();
        for (text, raw) in &msgs {
            let bytes: Vec<u8> = raw.iter().map(|b| b'a' + b).collect();
            if *text {
                c.send_text(t0, std::str::from_utf8(&bytes).unwrap()).unwrap();
                expected.push((MessageKind::Text, bytes));
            } else {
                c.send_binary(t0, bytes.clone()).unwrap();
                expected.push((MessageKind::Binary, bytes));
            }
        }
        let mut wire = Vec::new();
        c.transmit_into(&mut wire);
        let whole_cfg = SessionConfig::default().with_deflate(Some(d));
        let partial_cfg = whole_cfg
            .clone()
            .with_text_delivery(Delivery::Partial)
            .with_binary_delivery(Delivery::Partial)
            .with_text_buffer_size(part)
            .with_binary_buffer_size(part);
        let (whole, _) = run(whole_cfg.clone(), &wire, &[]);
        let (whole_split, _) = run(whole_cfg, &wire, &cuts);
        let (partial, _) = run(partial_cfg.clone(), &wire, &[]);
        let (partial_split, _) = run(partial_cfg, &wire, &cuts);
        prop_assert_eq!(&whole, &whole_split);
        prop_assert_eq!(&partial, &partial_split);
        prop_assert_eq!(messages(&whole), expected.clone());
        prop_assert_eq!(messages(&partial), expected);
    }
}
