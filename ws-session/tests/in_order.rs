//! In-order failure: when input holds complete messages and then a protocol
//! violation, the messages are delivered first, what the application sends in reply
//! goes out before the close frame, and only then does the violation close the
//! session with its code. Nothing after the violation is processed.

mod common;

use std::time::Instant;

use common::*;
use ws_frame::OpCode;
use ws_session::{
    CloseCause, Delivery, Event, Initiator, Message, ProtocolError, Session, SessionConfig, State,
};

/// Violations as a client would send them to a server, with their close codes.
fn violations() -> Vec<(&'static str, Vec<u8>, u16)> {
    let mut too_big = cframe(true, 2, &[0; 8193]);
    too_big.truncate(8); // the header announcing 8193 bytes is enough
    vec![
        ("reserved bit", frame(true, 0x20, 1, b"x", true), 1002),
        ("reserved opcode", cframe(true, 3, b"x"), 1002),
        ("unmasked frame", frame(true, 0, 2, b"x", false), 1002),
        ("stray continuation", cframe(true, 0, b"x"), 1002),
        ("invalid UTF-8", cframe(true, 1, b"ok \xff"), 1007),
        ("message over the buffer", too_big, 1009),
        ("one-byte close", cframe(true, 8, b"\x03"), 1002),
    ]
}

fn closed(event: Option<Event>) -> ws_session::CloseInfo {
    match event {
        Some(Event::Closed(info)) => info,
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn messages_before_a_violation_are_delivered_and_their_echoes_precede_the_close() {
    for (name, violation, code) in violations() {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default(), t0);
        let mut input = cframe(true, 1, b"hello");
        input.extend(cframe(true, 2, b"world"));
        input.extend(violation);
        s.handle_input(t0, &input);
        // The application takes each message and echoes it before taking the next.
        for want in [
            Message::Text("hello".into()),
            Message::Binary("world".into()),
        ] {
            let got = s.poll_event();
            assert_eq!(got, Some(Event::Message(want.clone())), "{name}");
            s.send(t0, want)
                .unwrap_or_else(|e| panic!("{name}: echo refused: {e}"));
        }
        let info = closed(s.poll_event());
        assert_eq!(
            (info.initiator, info.code.0),
            (Initiator::Local, code),
            "{name}"
        );
        assert!(matches!(info.cause, CloseCause::Protocol(_)), "{name}");
        assert_eq!(s.poll_event(), None, "{name}: nothing after Closed");
        assert_eq!(s.state(), State::Closed);
        let wire = output(&mut s);
        let shape: Vec<_> = wire.iter().map(|w| w.opcode).collect();
        assert_eq!(
            shape,
            [OpCode::Text, OpCode::Binary, OpCode::Close],
            "{name}"
        );
        assert_eq!(wire[0].payload, b"hello");
        assert_eq!(close_code(&wire[2]), Some(code), "{name}");
    }
}

#[test]
fn nothing_after_a_violation_is_processed() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut input = cframe(true, 1, b"first");
    input.extend(cframe(true, 3, b"")); // reserved opcode
    input.extend(cframe(true, 9, b"late ping"));
    input.extend(cframe(true, 1, b"late message"));
    s.handle_input(t0, &input);
    // The close waits until the events before it are taken.
    assert_eq!(
        s.pending_transmit(),
        0,
        "close queued before the events were taken"
    );
    assert_eq!(s.state(), State::Open);
    // More input while the violation is pending does nothing either.
    s.handle_input(t0, &cframe(true, 9, b"another ping"));
    assert!(s.lend_input().is_none());
    assert_eq!(s.pending_transmit(), 0);
    assert_eq!(
        s.poll_event(),
        Some(Event::Message(Message::Text("first".into())))
    );
    let info = closed(s.poll_event());
    assert!(matches!(
        info.cause,
        CloseCause::Protocol(ProtocolError::Frame(_))
    ));
    let wire = output(&mut s);
    assert_eq!(
        wire.len(),
        1,
        "no pong for a ping after the violation: {wire:?}"
    );
    assert_eq!(close_code(&wire[0]), Some(1002));
    s.handle_input(t0, &cframe(true, 1, b"after closed"));
    assert_eq!(s.poll_event(), None);
}

#[test]
fn a_ping_before_the_violation_is_answered_before_the_close() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut input = cframe(true, 9, b"p");
    input.extend(frame(true, 0x40, 2, b"x", true)); // RSV1 without deflate
    s.handle_input(t0, &input);
    assert_eq!(s.poll_event(), Some(Event::Ping("p".into())));
    assert_eq!(closed(s.poll_event()).code.0, 1002);
    let wire = output(&mut s);
    let shape: Vec<_> = wire.iter().map(|w| w.opcode).collect();
    assert_eq!(shape, [OpCode::Pong, OpCode::Close]);
}

/// A close caused by a protocol error queues behind the data the application had
/// already queued: nothing sent before it is discarded.
#[test]
fn a_failure_close_does_not_discard_queued_data() {
    for len in [100, 5000] {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default(), t0);
        s.send_binary(t0, vec![1u8; len]).unwrap();
        s.send_text(t0, "second").unwrap();
        s.handle_input(t0, &cframe(true, 1, b"\xc0"));
        assert_eq!(closed(s.poll_event()).code.0, 1007);
        let wire = output(&mut s);
        let shape: Vec<_> = wire.iter().map(|w| (w.opcode, w.payload.len())).collect();
        let reason = ProtocolError::InvalidUtf8.to_string().len();
        assert_eq!(
            shape,
            [
                (OpCode::Binary, len),
                (OpCode::Text, 6),
                (OpCode::Close, 2 + reason)
            ],
            "{len}"
        );
    }
}

#[test]
fn parts_before_a_violation_are_delivered_first() {
    let t0 = Instant::now();
    let cfg = SessionConfig::default()
        .with_text_delivery(Delivery::Partial)
        .with_text_buffer_size(4);
    let mut s = server(cfg, t0);
    let mut input = cframe(false, 1, b"abcdef");
    input.extend(cframe(true, 0, b"gh\xff"));
    s.handle_input(t0, &input);
    let mut parts = Vec::new();
    let info = loop {
        match s.poll_event() {
            Some(Event::Part { data, last, .. }) => {
                assert!(!last);
                parts.extend_from_slice(&data);
                s.send_text(t0, std::str::from_utf8(&data).unwrap())
                    .expect("replies are accepted until Closed is taken");
            }
            other => break closed(other),
        }
    };
    // "abcd" (full), "ef" (frame end); "gh" never made a part: the bad byte came
    // in the same bytes as it, before the part was full or its frame ended.
    assert_eq!(parts, b"abcdef");
    assert_eq!(info.code.0, 1007);
    let wire = output(&mut s);
    let shape: Vec<_> = wire.iter().map(|w| w.opcode).collect();
    assert_eq!(
        shape,
        [OpCode::Text, OpCode::Text, OpCode::Close],
        "the echoed parts, then the close"
    );
}

#[test]
fn a_client_delivers_before_failing_too() {
    let t0 = Instant::now();
    let mut c = client(SessionConfig::default(), t0);
    let mut input = frame(true, 0, 1, b"from server", false);
    input.extend(frame(true, 0, 1, b"masked", true));
    c.handle_input(t0, &input);
    let Some(Event::Message(m)) = c.poll_event() else {
        panic!("the message first")
    };
    c.send(t0, m).unwrap();
    let info = closed(c.poll_event());
    assert_eq!(info.cause, CloseCause::Protocol(ProtocolError::MaskedFrame));
    let wire = output(&mut c);
    let shape: Vec<_> = wire.iter().map(|w| (w.opcode, w.masked)).collect();
    assert_eq!(shape, [(OpCode::Text, true), (OpCode::Close, true)]);
}

/// The transport ends while a violation waits behind undelivered events: the
/// events come first, then the violation is reported (nothing can be written).
#[test]
fn eof_after_a_violation_still_delivers_in_order() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut input = cframe(true, 2, b"data");
    input.extend(cframe(true, 0xb, b""));
    s.handle_input(t0, &input);
    s.handle_eof(t0);
    assert_eq!(
        s.poll_event(),
        Some(Event::Message(Message::Binary("data".into())))
    );
    let info = closed(s.poll_event());
    assert!(matches!(
        info.cause,
        CloseCause::Protocol(ProtocolError::Frame(_))
    ));
    assert_eq!(s.poll_event(), None);
    assert!(s.is_finished());
}

/// The deferred failure keeps the flush deadline of an abnormal close, counted from
/// the input that held the violation.
#[test]
fn the_failure_close_has_its_flush_deadline() {
    let t0 = Instant::now();
    let mut s: Session = server(SessionConfig::default(), t0);
    s.handle_input(t0, &cframe(true, 1, b"\xff"));
    let t1 = t0 + ms(10);
    assert_eq!(closed(s.poll_event()).code.0, 1007);
    assert_eq!(s.poll_timeout(), Some(t0 + ms(50)));
    s.handle_timeout(t1);
    assert!(s.pending_transmit() > 0);
}

/// The peer's close frame is input like any other: the messages before it are
/// delivered first and the replies to them go out before our answering close
/// (Autobahn case 7.1.1: a message then a close, expecting the echo).
#[test]
fn a_message_before_the_peers_close_is_answered_before_our_close() {
    for (payload, code) in [(&b"\x03\xe8bye"[..], 1000), (&b""[..], 1005)] {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default(), t0);
        let mut input = cframe(true, 1, b"Hello World!");
        input.extend(cframe(true, 8, payload));
        input.extend(cframe(true, 9, b"after the close"));
        s.handle_input(t0, &input);
        let Some(Event::Message(m)) = s.poll_event() else {
            panic!("the message first")
        };
        s.send(t0, m)
            .unwrap_or_else(|e| panic!("echo before the close refused: {e}"));
        let info = closed(s.poll_event());
        assert_eq!(
            (info.initiator, info.code.0, &info.cause),
            (Initiator::Remote, code, &CloseCause::Handshake)
        );
        assert_eq!(s.send_text(t0, "late"), Err(ws_session::SendError::Closed));
        let wire = output(&mut s);
        let shape: Vec<_> = wire.iter().map(|w| w.opcode).collect();
        assert_eq!(
            shape,
            [OpCode::Text, OpCode::Close],
            "no pong after the close"
        );
        assert_eq!(wire[1].payload, &payload[..payload.len().min(2)]);
        assert!(s.is_finished());
    }
}

/// A peer that answers our close after more data: the data comes first, then the
/// handshake completes; the close timer no longer runs once its close is read.
#[test]
fn the_peers_answer_after_data_ends_the_handshake_in_order() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, ws_session::CloseCode::NORMAL, "done").unwrap();
    let mut input = cframe(true, 2, b"late data");
    input.extend(cframe(true, 8, b"\x03\xe8"));
    s.handle_input(t0, &input);
    assert_eq!(
        s.poll_timeout(),
        None,
        "the close timer stops with the peer's close"
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::Message(Message::Binary("late data".into())))
    );
    let info = closed(s.poll_event());
    assert_eq!((info.initiator, info.code.0), (Initiator::Local, 1000));
    s.handle_eof(t0);
    assert!(s.is_finished());
}

/// The peer's close, then the end of the transport before the events are taken:
/// a completed handshake, reported after the events before it.
#[test]
fn eof_after_the_peers_close_reports_the_handshake() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut input = cframe(true, 1, b"last");
    input.extend(cframe(true, 8, b"\x03\xe9"));
    s.handle_input(t0, &input);
    s.handle_eof(t0);
    assert_eq!(
        s.poll_event(),
        Some(Event::Message(Message::Text("last".into())))
    );
    let info = closed(s.poll_event());
    assert_eq!(
        (info.initiator, info.code.0, &info.cause),
        (Initiator::Remote, 1001, &CloseCause::Handshake)
    );
    assert!(s.is_finished());
}
