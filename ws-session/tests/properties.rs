//! Property tests: input splits do not change events; whole and partial delivery
//! deliver the same bytes; deflate round trips across settings; arbitrary input never
//! panics.

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
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    (events(&mut s), wire)
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
