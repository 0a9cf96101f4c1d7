//! Protocol rules on an in-memory session: every violation gives the right close code
//! on the wire and the right local event; control frames; close handshake; sending.

mod common;

use std::time::Instant;

use common::*;
use ws_frame::OpCode;
use ws_session::{
    CloseCause, CloseCode, Delivery, Event, Initiator, Message, MessageKind, ProtocolError,
    SendError, SessionConfig, State,
};

/// Feeds `input` to a fresh server session and returns (events, output frames).
fn serve(config: SessionConfig, input: &[u8]) -> (Vec<Event>, Vec<Wire>) {
    let t0 = Instant::now();
    let mut s = server(config, t0);
    s.handle_input(t0, input);
    (events(&mut s), output(&mut s))
}

/// Asserts the session failed with `code` on the wire and a matching local event.
fn assert_failed(events: &[Event], wire: &[Wire], code: u16) -> ProtocolError {
    let last = wire.last().expect("a close frame was sent");
    assert_eq!(close_code(last), Some(code), "wire: {wire:?}");
    match events.last() {
        Some(Event::Closed(info)) => {
            assert_eq!(info.initiator, Initiator::Local);
            assert_eq!(info.code.0, code);
            match &info.cause {
                CloseCause::Protocol(e) => {
                    assert_eq!(e.close_code().0, code);
                    e.clone()
                }
                other => panic!("cause {other:?}"),
            }
        }
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn unmasked_client_frame_fails_with_1002() {
    let (ev, wire) = serve(SessionConfig::default(), &frame(true, 0, 1, b"hi", false));
    assert_eq!(
        assert_failed(&ev, &wire, 1002),
        ProtocolError::UnmaskedFrame
    );
    assert_eq!(ev.len(), 1, "no data delivered");
}

#[test]
fn masked_server_frame_fails_with_1002_in_client_role() {
    let t0 = Instant::now();
    let mut c = client(SessionConfig::default(), t0);
    c.handle_input(t0, &frame(true, 0, 2, b"hi", true));
    let (ev, wire) = (events(&mut c), output(&mut c));
    assert_eq!(assert_failed(&ev, &wire, 1002), ProtocolError::MaskedFrame);
    assert!(wire[0].masked, "client frames are masked");
}

#[test]
fn rsv_bits_without_extension_fail() {
    for rsv in [0x40, 0x20, 0x10] {
        let (ev, wire) = serve(SessionConfig::default(), &frame(true, rsv, 1, b"x", true));
        assert_eq!(
            assert_failed(&ev, &wire, 1002),
            ProtocolError::ReservedBits(rsv)
        );
    }
}

#[test]
fn rsv_rules_with_deflate() {
    let cfg = SessionConfig::default().with_deflate(Some(Default::default()));
    // RSV2 is never defined.
    let (ev, wire) = serve(cfg.clone(), &frame(true, 0x20, 1, b"x", true));
    assert_failed(&ev, &wire, 1002);
    // RSV1 on a control frame.
    let (ev, wire) = serve(cfg.clone(), &frame(true, 0x40, 9, b"", true));
    assert_failed(&ev, &wire, 1002);
    // RSV1 on a continuation frame.
    let mut input = frame(false, 0, 1, b"a", true);
    input.extend(frame(true, 0x40, 0, b"b", true));
    let (ev, wire) = serve(cfg, &input);
    assert_failed(&ev, &wire, 1002);
}

#[test]
fn continuation_rules() {
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 0, b"x"));
    assert_eq!(
        assert_failed(&ev, &wire, 1002),
        ProtocolError::UnexpectedContinuation
    );
    let mut input = cframe(false, 1, b"a");
    input.extend(cframe(true, 2, b"b"));
    let (ev, wire) = serve(SessionConfig::default(), &input);
    assert_eq!(
        assert_failed(&ev, &wire, 1002),
        ProtocolError::ExpectedContinuation
    );
}

#[test]
fn control_frame_syntax_and_reserved_opcodes() {
    // Fragmented ping; ping over 125 bytes; reserved opcodes: all 1002, from the header.
    let mut inputs = vec![cframe(false, 9, b""), cframe(true, 9, &[0; 126])];
    for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        inputs.push(cframe(true, op, b""));
    }
    for input in inputs {
        let (ev, wire) = serve(SessionConfig::default(), &input);
        assert!(matches!(
            assert_failed(&ev, &wire, 1002),
            ProtocolError::Frame(_)
        ));
    }
}

#[test]
fn length_with_top_bit_fails_before_the_header_is_complete() {
    // CVE-2020-13935 shape: 127 then a length whose top bit is set.
    let (ev, wire) = serve(SessionConfig::default(), &[0x82, 0xff, 0x80]);
    assert_failed(&ev, &wire, 1002);
}

#[test]
fn bad_close_payloads() {
    let cases: [(&[u8], u16); 7] = [
        (b"\x03", 1002),
        (b"\x03\xed", 1002),     // 1005
        (b"\x03\xee", 1002),     // 1006
        (b"\x03\xe7", 1002),     // 999
        (b"\x03\xf8", 1002),     // 1016
        (b"\x13\x88", 1002),     // 5000
        (b"\x03\xe8\xff", 1007), // bad UTF-8 reason
    ];
    for (payload, code) in cases {
        let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 8, payload));
        assert!(matches!(
            assert_failed(&ev, &wire, code),
            ProtocolError::InvalidClose(_)
        ));
    }
}

#[test]
fn received_close_is_answered_with_the_same_code_and_1012_to_1014_are_accepted() {
    for code in [1000u16, 1001, 1012, 1013, 1014, 4000] {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 8, &payload));
        assert_eq!(wire.len(), 1);
        assert_eq!(close_code(&wire[0]), Some(code));
        let Some(Event::Closed(info)) = ev.last() else {
            panic!()
        };
        assert_eq!(info.initiator, Initiator::Remote);
        assert_eq!((info.code.0, info.reason.as_str()), (code, "bye"));
        assert_eq!(info.cause, CloseCause::Handshake);
    }
    // An empty close is answered with an empty close and reported as 1005.
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 8, b""));
    assert_eq!(wire[0].payload, b"");
    let Some(Event::Closed(info)) = ev.last() else {
        panic!()
    };
    assert_eq!(info.code, CloseCode::NO_STATUS_RECEIVED);
}

#[test]
fn invalid_utf8_across_fragments_is_detected_at_the_first_bad_byte() {
    // "ab" + first two bytes of '€', then a frame whose first byte breaks it.
    let mut input = cframe(false, 1, b"ab\xe2\x82");
    let bad_at = input.len() + 6; // header (2) + mask (4), then the bad byte
    input.extend(cframe(true, 0, b"\x28 and more text"));
    for delivery in [Delivery::Whole, Delivery::Partial] {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default().with_text_delivery(delivery), t0);
        let mut ev = Vec::new();
        for (i, byte) in input.iter().enumerate() {
            s.handle_input(t0, std::slice::from_ref(byte));
            ev.extend(events(&mut s));
            let failed = s.state() == State::Closed;
            assert_eq!(failed, i >= bad_at, "byte {i} of {delivery:?}");
        }
        let wire = output(&mut s);
        assert_eq!(assert_failed(&ev, &wire, 1007), ProtocolError::InvalidUtf8);
    }
    // A message ending inside a character is invalid too.
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 1, b"ab\xe2\x82"));
    assert_failed(&ev, &wire, 1007);
}

#[test]
fn whole_message_over_buffer_fails_1009_from_the_header() {
    // Only the header of a 8193-byte text frame: no payload byte is needed.
    let mut header = cframe(true, 1, &[b'a'; 8193]);
    header.truncate(2 + 2 + 4);
    let (ev, wire) = serve(SessionConfig::default(), &header);
    assert_eq!(
        assert_failed(&ev, &wire, 1009),
        ProtocolError::MessageTooBig { limit: 8192 }
    );
    // Fragmented: the total counts.
    let mut input = cframe(false, 2, &[1; 5000]);
    input.extend(cframe(true, 0, &[2; 3193]));
    let (ev, wire) = serve(SessionConfig::default(), &input);
    assert_failed(&ev, &wire, 1009);
    // Exactly the buffer size is fine.
    let (ev, _) = serve(SessionConfig::default(), &cframe(true, 2, &[7; 8192]));
    assert!(matches!(&ev[0], Event::Message(Message::Binary(b)) if b.len() == 8192));
    // One byte more with the whole payload at hand fails the same way.
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 1, &[b'a'; 8193]));
    assert_eq!(
        assert_failed(&ev, &wire, 1009),
        ProtocolError::MessageTooBig { limit: 8192 }
    );
    // Bad UTF-8 in a whole one-frame text message, and a continuation without a
    // start, keep their codes too.
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 1, &[b'a', 0xff]));
    assert_failed(&ev, &wire, 1007);
    let (ev, wire) = serve(SessionConfig::default(), &cframe(true, 0, b"x"));
    assert_failed(&ev, &wire, 1002);
}

#[test]
fn a_huge_announced_length_allocates_nothing_and_fails() {
    // 2^62 bytes announced: refused from the header.
    let mut input = vec![0x82, 0xff];
    input.extend_from_slice(&(1u64 << 62).to_be_bytes());
    input.extend_from_slice(&KEY);
    let cfg = SessionConfig::default().with_binary_delivery(Delivery::Partial);
    let (ev, wire) = serve(cfg, &input);
    assert_failed(&ev, &wire, 1009);
}

/// Tiny continuation frames are not counted: they are stopped by the message limit
/// (payload) or by the framing bound (wire bytes per payload byte); `fragments.rs`
/// has the large cases.
#[test]
fn endless_tiny_continuations_hit_the_message_limit() {
    let cfg = SessionConfig::default()
        .with_binary_delivery(Delivery::Partial)
        .with_max_message_size(100_000);
    let t0 = Instant::now();
    let mut s = server(cfg, t0);
    s.handle_input(t0, &cframe(false, 2, b"x"));
    let mut frames = 1;
    let mut ev = Vec::new();
    while s.state() == State::Open {
        s.handle_input(t0, &cframe(false, 0, b"y"));
        ev.extend(events(&mut s));
        frames += 1;
        assert!(frames <= 100_001, "message limit not enforced");
    }
    assert_eq!(frames, 100_001);
    let wire = output(&mut s);
    assert_eq!(
        assert_failed(&ev, &wire, 1009),
        ProtocolError::MessageTooBig { limit: 100_000 }
    );
}

#[test]
fn partial_mode_has_an_absolute_limit() {
    let cfg = SessionConfig::default()
        .with_binary_delivery(Delivery::Partial)
        .with_max_message_size(20_000);
    let mut input = cframe(false, 2, &[1; 10_000]);
    input.extend(cframe(false, 0, &[2; 10_000]));
    input.extend(cframe(true, 0, &[3; 1]));
    let (ev, wire) = serve(cfg, &input);
    assert_failed(&ev, &wire, 1009);
    let parts: usize = ev
        .iter()
        .map(|e| match e {
            Event::Part { data, last, .. } => {
                assert!(!last && data.len() <= 8192);
                data.len()
            }
            _ => 0,
        })
        .sum();
    assert_eq!(parts, 20_000, "everything before the limit was delivered");
}

#[test]
fn partial_text_parts_end_on_character_boundaries() {
    let text = "é€😀x".repeat(50); // mixed widths
    let cfg = SessionConfig::default()
        .with_text_delivery(Delivery::Partial)
        .with_text_buffer_size(7);
    let mut input = Vec::new();
    let bytes = text.as_bytes();
    let mut chunks = bytes.chunks(13).peekable();
    let mut first = true;
    while let Some(c) = chunks.next() {
        let last = chunks.peek().is_none();
        input.extend(cframe(last, if first { 1 } else { 0 }, c));
        first = false;
    }
    let (ev, wire) = serve(cfg, &input);
    assert!(wire.is_empty());
    let mut joined = String::new();
    for (i, e) in ev.iter().enumerate() {
        let Event::Part { kind, data, last } = e else {
            panic!("{e:?}")
        };
        assert_eq!(*kind, MessageKind::Text);
        assert!(data.len() <= 7);
        assert_eq!(*last, i == ev.len() - 1);
        joined.push_str(std::str::from_utf8(data).expect("each part is UTF-8"));
    }
    assert_eq!(joined, text);
}

#[test]
fn pings_are_answered_also_inside_a_fragmented_message() {
    let mut input = cframe(false, 1, b"hel");
    input.extend(cframe(true, 9, b"p1"));
    input.extend(cframe(true, 0xA, b"unsolicited"));
    input.extend(cframe(true, 0, b"lo"));
    let (ev, wire) = serve(SessionConfig::default(), &input);
    assert_eq!(
        ev,
        vec![
            Event::Ping("p1".into()),
            Event::Pong("unsolicited".into()),
            Event::Message(Message::Text("hello".into())),
        ]
    );
    assert_eq!(wire.len(), 1);
    assert_eq!(
        (wire[0].opcode, &wire[0].payload[..]),
        (OpCode::Pong, &b"p1"[..])
    );
    assert!(!wire[0].masked);
}

/// The bounds on waiting automatic pongs are configurable: past the count or the
/// payload bytes, the newest waiting pong takes the latest ping's payload.
#[test]
fn queued_pong_bounds_are_configurable() {
    let pings = |n: u32, len: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| {
                let mut p = i.to_be_bytes().to_vec();
                p.resize(len, 0);
                cframe(true, 9, &p)
            })
            .collect()
    };
    let answered = |wire: &[Wire]| -> Vec<u32> {
        wire.iter()
            .map(|w| u32::from_be_bytes(w.payload[..4].try_into().unwrap()))
            .collect()
    };
    // A count of 3: pings 0 and 1 answered, the third pong answers the latest.
    let (ev, wire) = serve(
        SessionConfig::default().with_max_queued_pongs(3),
        &pings(10, 4),
    );
    assert_eq!(ev.len(), 10);
    assert_eq!(answered(&wire), [0, 1, 9]);
    // A byte bound: 8192 / 125 = 65 pongs of 125 bytes fit.
    let cfg = SessionConfig::default()
        .with_max_queued_pongs(1000)
        .with_max_queued_pong_bytes(8192);
    let (_, wire) = serve(cfg, &pings(100, 125));
    let want: Vec<u32> = (0..64).chain([99]).collect();
    assert_eq!(answered(&wire), want);
    // Setters keep the bounds usable.
    let cfg = SessionConfig::default()
        .with_max_queued_pongs(0)
        .with_max_queued_pong_bytes(0);
    assert_eq!((cfg.max_queued_pongs, cfg.max_queued_pong_bytes), (1, 125));
}

#[test]
fn after_failing_no_more_data_is_delivered() {
    let mut input = cframe(true, 1, b"ok");
    input.extend(frame(true, 0, 1, b"unmasked", false));
    input.extend(cframe(true, 1, b"after"));
    let (ev, wire) = serve(SessionConfig::default(), &input);
    assert_eq!(ev[0], Event::Message(Message::Text("ok".into())));
    assert_eq!(ev.len(), 2);
    assert_failed(&ev, &wire, 1002);
}

#[test]
fn close_handshake_started_locally() {
    let t0 = Instant::now();
    let mut c = client(SessionConfig::default(), t0);
    let mut s = server(SessionConfig::default(), t0);
    c.send_text(t0, "last words").unwrap();
    c.close(t0, CloseCode::NORMAL, "done").unwrap();
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.send_text(t0, "more"), Err(SendError::Closed));
    pump(&mut c, &mut s, t0);
    let ev = events(&mut s);
    assert_eq!(ev[0], Event::Message(Message::Text("last words".into())));
    let Event::Closed(info) = &ev[1] else {
        panic!()
    };
    assert_eq!(
        (info.initiator, info.code),
        (Initiator::Remote, CloseCode::NORMAL)
    );
    // Data sent by the server before it saw the close still arrives at the client.
    pump(&mut s, &mut c, t0);
    let ev = events(&mut c);
    let Event::Closed(info) = &ev[0] else {
        panic!()
    };
    assert_eq!(
        (info.initiator, info.code, info.reason.as_str()),
        (Initiator::Local, CloseCode::NORMAL, "done")
    );
    assert!(c.is_finished() && s.is_finished());
}

#[test]
fn data_still_arrives_while_closing() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, CloseCode::GOING_AWAY, "").unwrap();
    s.handle_input(t0, &cframe(true, 2, b"late"));
    s.handle_input(t0, &cframe(true, 8, b"\x03\xe9"));
    let ev = events(&mut s);
    assert_eq!(ev[0], Event::Message(Message::Binary("late".into())));
    assert!(
        matches!(&ev[1], Event::Closed(i) if i.initiator == Initiator::Local && i.code.0 == 1001)
    );
}

#[test]
fn eof_reports_1006() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.handle_eof(t0);
    let ev = events(&mut s);
    assert!(matches!(&ev[0], Event::Closed(i)
        if i.initiator == Initiator::Remote && i.code == CloseCode::ABNORMAL && i.cause == CloseCause::Eof));
    assert!(s.is_finished());
}

#[test]
fn control_frames_jump_queued_data_but_never_split_a_frame() {
    // Small frames (encoded back to back in the flat lane) and large ones (queue
    // entries with a shared payload).
    for len in [1000, 5000] {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default(), t0);
        s.send_binary(t0, vec![1u8; len]).unwrap();
        s.send_binary(t0, vec![2u8; len]).unwrap();
        // Write 10 bytes of the first frame, then ping.
        let mut bufs = [std::io::IoSlice::new(&[]); 8];
        assert!(s.poll_transmit(&mut bufs) >= 1);
        s.advance_transmit(10);
        s.ping(t0, b"now").unwrap();
        let mut rest = Vec::new();
        s.transmit_into(&mut rest);
        // Reassemble: the 10 bytes already written + the rest.
        let mut all = {
            let mut s2 = server(SessionConfig::default(), t0);
            s2.send_binary(t0, vec![1u8; len]).unwrap();
            let mut b = Vec::new();
            s2.transmit_into(&mut b);
            b[..10].to_vec()
        };
        all.extend(rest);
        let wire = parse_wire(&all);
        let ops: Vec<_> = wire.iter().map(|w| w.opcode).collect();
        assert_eq!(ops, [OpCode::Binary, OpCode::Ping, OpCode::Binary], "{len}");
        assert_eq!(wire[0].payload, vec![1u8; len]);
        assert_eq!(wire[2].payload, vec![2u8; len]);
    }
}

#[test]
fn partial_sends_interleave_with_control_frames() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.send_part(t0, MessageKind::Text, "hel", false).unwrap();
    assert_eq!(s.send_text(t0, "x"), Err(SendError::MessageInProgress));
    assert_eq!(
        s.send_part(t0, MessageKind::Binary, "x", false),
        Err(SendError::MessageInProgress)
    );
    s.ping(t0, b"p").unwrap();
    // A part ending inside a character is fine; invalid text is refused.
    s.send_part(t0, MessageKind::Text, &b"lo \xe2\x82"[..], false)
        .unwrap();
    assert_eq!(
        s.send_part(t0, MessageKind::Text, &b"\x28"[..], true),
        Err(SendError::InvalidUtf8)
    );
    s.send_part(t0, MessageKind::Text, &b"\xac"[..], true)
        .unwrap();
    s.send_text(t0, "next").unwrap();
    let wire = output(&mut s);
    let ops: Vec<_> = wire.iter().map(|w| (w.opcode, w.fin)).collect();
    assert_eq!(
        ops,
        [
            (OpCode::Ping, true),
            (OpCode::Text, false),
            (OpCode::Continuation, false),
            (OpCode::Continuation, true),
            (OpCode::Text, true)
        ]
    );
    // And a receiving session assembles it.
    let mut c = client(SessionConfig::default(), t0);
    let mut bytes = Vec::new();
    for w in &wire {
        bytes.extend(common::frame(w.fin, 0, w.opcode.as_u8(), &w.payload, false));
    }
    c.handle_input(t0, &bytes);
    let ev = events(&mut c);
    assert_eq!(ev[1], Event::Message(Message::Text("hello €".into())));
}

#[test]
fn outbound_bound_and_high_water() {
    let t0 = Instant::now();
    let cfg = SessionConfig::default()
        .with_max_outbound_bytes(3000)
        .with_outbound_high_water_mark(1500);
    let mut s = server(cfg, t0);
    s.send_binary(t0, vec![0u8; 1000]).unwrap();
    assert!(!s.is_above_high_water());
    s.send_binary(t0, vec![0u8; 1000]).unwrap();
    assert!(s.is_above_high_water());
    let err = s.send_binary(t0, vec![0u8; 1000]).unwrap_err();
    assert!(
        matches!(err, SendError::QueueFull { queued: 2008, .. }),
        "{err:?}"
    );
    assert_eq!(s.pending_transmit(), 2008, "a refused send queues nothing");
    s.advance_transmit(2008);
    assert!(!s.is_above_high_water());
    s.send_binary(t0, vec![0u8; 1000]).unwrap();
    assert_eq!(s.ping(t0, &[0; 126]), Err(SendError::ControlTooLong(126)));
}

#[test]
fn large_messages_are_fragmented_at_fragment_size() {
    let t0 = Instant::now();
    let mut c = client(SessionConfig::default().with_fragment_size(Some(100)), t0);
    c.send_binary(t0, vec![9u8; 250]).unwrap();
    let wire = output(&mut c);
    let shape: Vec<_> = wire
        .iter()
        .map(|w| (w.opcode, w.fin, w.payload.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (OpCode::Binary, false, 100),
            (OpCode::Continuation, false, 100),
            (OpCode::Continuation, true, 50)
        ]
    );
    assert!(wire.iter().all(|w| w.masked));
}

#[test]
fn invalid_close_commands_are_refused() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    assert!(matches!(
        s.close(t0, CloseCode::ABNORMAL, ""),
        Err(SendError::InvalidClose(_))
    ));
    assert!(matches!(
        s.close(t0, CloseCode::NORMAL, &"x".repeat(124)),
        Err(SendError::InvalidClose(_))
    ));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn vectored_transmit_in_small_steps_gives_the_same_bytes() {
    let t0 = Instant::now();
    let build = || {
        let mut c = client(SessionConfig::default().with_fragment_size(Some(300)), t0);
        c.send_binary(t0, vec![5u8; 1000]).unwrap();
        c.ping(t0, b"p").unwrap();
        c.send_text(t0, "tail").unwrap();
        c
    };
    let mut expected = Vec::new();
    build().transmit_into(&mut expected);
    let mut c = build();
    let mut got = Vec::new();
    for step in (1..).cycle() {
        let mut bufs = [std::io::IoSlice::new(&[]); 3];
        let n = c.poll_transmit(&mut bufs);
        if n == 0 {
            break;
        }
        // A short write: at most `step % 7 + 1` bytes of the first slices.
        let mut budget = step % 7 + 1;
        let mut wrote = 0;
        for b in &bufs[..n] {
            let take = budget.min(b.len());
            got.extend_from_slice(&b[..take]);
            wrote += take;
            budget -= take;
        }
        c.advance_transmit(wrote);
    }
    assert_eq!(got, expected);
    assert_eq!(c.pending_transmit(), 0);
}

#[test]
fn client_masks_come_from_the_mask_source() {
    let t0 = Instant::now();
    let mut keys = vec![[1, 2, 3, 4], [9, 8, 7, 6]].into_iter();
    let mut c =
        ws_session::Session::client(SessionConfig::default(), move || keys.next().unwrap(), t0);
    c.send_text(t0, "a").unwrap();
    c.send_text(t0, "b").unwrap();
    let mut wire = Vec::new();
    c.transmit_into(&mut wire);
    assert_eq!(&wire[2..6], &[1, 2, 3, 4]);
    assert_eq!(&wire[9..13], &[9, 8, 7, 6]);
    assert_eq!(wire[6] ^ 1, b'a');
}

#[test]
fn session_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<ws_session::Session>();
}

#[test]
fn abort_sends_its_code_ahead_of_data_and_reports_1006() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.send_binary(t0, vec![0u8; 10]).unwrap();
    s.abort(t0, CloseCode::POLICY_VIOLATION, "too slow")
        .unwrap();
    let wire = output(&mut s);
    assert_eq!(wire.len(), 1, "queued data was discarded");
    assert_eq!(close_code(&wire[0]), Some(1008));
    let ev = events(&mut s);
    let Some(Event::Closed(info)) = ev.last() else {
        panic!()
    };
    assert_eq!(
        (info.initiator, info.code, &info.cause),
        (Initiator::Local, CloseCode::ABNORMAL, &CloseCause::Aborted)
    );
    assert_eq!(s.abort(t0, CloseCode::NORMAL, ""), Err(SendError::Closed));
    s.handle_input(t0, &cframe(true, 2, b"ignored"));
    assert!(events(&mut s).is_empty());
}

#[test]
fn the_peers_answer_code_is_reported() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, CloseCode::NORMAL, "").unwrap();
    s.handle_input(t0, &cframe(true, 8, b"\x03\xe9"));
    let ev = events(&mut s);
    let Some(Event::Closed(info)) = ev.last() else {
        panic!()
    };
    assert_eq!(info.code, CloseCode::NORMAL);
    assert_eq!(info.peer_code, Some(CloseCode::GOING_AWAY));
}

#[test]
fn eof_while_closing_is_reported_as_ours() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, CloseCode::NORMAL, "").unwrap();
    s.handle_eof(t0);
    let ev = events(&mut s);
    assert!(matches!(&ev[0], Event::Closed(i)
        if i.initiator == Initiator::Local && i.code == CloseCode::ABNORMAL && i.cause == CloseCause::Eof));
    assert!(s.is_finished());
    assert_eq!(s.poll_timeout(), None);
}

/// `copy_transmit` yields exactly the bytes `poll_transmit` lists, in order, from
/// wherever the last partial write stopped, and cuts at the buffer's end.
#[test]
fn copy_transmit_matches_poll_transmit() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.send_text(t0, "hello").unwrap();
    s.send_binary(t0, vec![7u8; 300]).unwrap();
    s.ping(t0, b"p").unwrap();
    s.send_text(t0, "").unwrap();
    let listed = |s: &ws_session::Session| {
        let mut slices = [std::io::IoSlice::new(&[]); 16];
        let n = s.poll_transmit(&mut slices);
        slices[..n]
            .iter()
            .flat_map(|b| b.to_vec())
            .collect::<Vec<u8>>()
    };
    for written in [0, 1, 2, 7, 150, 290] {
        let want = listed(&s);
        assert_eq!(want.len(), s.pending_transmit());
        let mut all = vec![0u8; want.len() + 5];
        assert_eq!(s.copy_transmit(&mut all), want.len());
        assert_eq!(&all[..want.len()], &want[..]);
        let mut cut = [0u8; 3];
        assert_eq!(s.copy_transmit(&mut cut), 3);
        assert_eq!(&cut[..], &want[..3]);
        s.advance_transmit(written);
    }
}

#[test]
fn a_client_lane_of_large_masked_frames_survives_partial_writes_pings_and_growth() {
    // A client copies (and masks) data frames up to 256 KiB into its flat lane; the
    // lane grows, drops written frames and is given back to the thread's spare
    // buffers, while the peer must still see every message whole and in order.
    let t0 = Instant::now();
    let config = SessionConfig::default().with_max_outbound_bytes(64 << 20);
    let mut c = ws_session::Session::client(config, masks(), t0);
    let sizes = [
        10usize, 2000, 70_000, 300_000, 65_536, 5, 200_000, 1_000_000,
    ];
    let mut sent = Vec::new();
    let mut wire = Vec::new();
    for round in 0..3u8 {
        for (i, &size) in sizes.iter().enumerate() {
            let payload: Vec<u8> = (0..size).map(|j| (j as u8) ^ (i as u8) ^ round).collect();
            c.send_binary(t0, payload.clone()).unwrap();
            sent.push(payload);
            if i % 3 == 1 {
                c.ping(t0, b"p").unwrap();
            }
            // Write part of what is queued: the lane is mid-frame when more comes.
            let chunk = c.transmit_chunk();
            let n = (chunk.len() / 3).max(1).min(chunk.len());
            wire.extend_from_slice(&chunk[..n]);
            c.advance_transmit(n);
        }
        c.transmit_into(&mut wire);
        assert_eq!(c.pending_transmit(), 0);
    }
    let frames = parse_wire(&wire);
    assert!(frames.iter().all(|f| f.masked));
    let data: Vec<_> = frames
        .iter()
        .filter(|f| f.opcode == OpCode::Binary)
        .map(|f| f.payload.clone())
        .collect();
    assert_eq!(data, sent);
    assert_eq!(
        frames.iter().filter(|f| f.opcode == OpCode::Ping).count(),
        3 * 3
    );
}
