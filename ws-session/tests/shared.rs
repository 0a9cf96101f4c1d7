//! Shared frames (`Session::send_shared`): one encoding queued in many server
//! sessions, in order with their own sends, within their bounds, and the forms each
//! session takes (plain; deflated without context for `server_no_context_takeover`;
//! its own encoding otherwise).

mod common;

use std::time::Instant;

use common::*;
use ws_frame::{OpCode, Rsv};
use ws_session::{
    DeflateConfig, Event, Message, MessageKind, SendError, Session, SessionConfig,
    SharedCompressor, SharedDeflate, SharedForm, SharedFrame,
};

fn text(s: &str) -> Message {
    Message::Text(s.to_owned())
}

#[test]
fn one_encoding_reaches_many_sessions_in_order_with_their_own_sends() {
    let t0 = Instant::now();
    let small = SharedFrame::plain(&text("shared"));
    let large = SharedFrame::plain(&Message::Binary(vec![7u8; 5000].into()));
    for _ in 0..3 {
        let mut s = server(SessionConfig::default(), t0);
        s.send_text(t0, "before").unwrap();
        s.send_shared(t0, &small).unwrap();
        s.send_binary(t0, vec![1u8; 2000]).unwrap();
        s.send_shared(t0, &large).unwrap();
        s.send_text(t0, "after").unwrap();
        let out = output(&mut s);
        let got: Vec<(OpCode, Vec<u8>)> =
            out.iter().map(|w| (w.opcode, w.payload.clone())).collect();
        assert_eq!(
            got,
            [
                (OpCode::Text, b"before".to_vec()),
                (OpCode::Text, b"shared".to_vec()),
                (OpCode::Binary, vec![1u8; 2000]),
                (OpCode::Binary, vec![7u8; 5000]),
                (OpCode::Text, b"after".to_vec()),
            ]
        );
        assert!(out.iter().all(|w| w.fin && !w.masked && w.rsv == Rsv::NONE));
    }
    // The large frame is queued by reference: the encoding is shared, not copied.
    assert_eq!(large.wire().len(), 4 + 5000);
    assert_eq!(large.payload_len(), 5000);
}

#[test]
fn a_client_reads_a_shared_frame_as_any_message() {
    let t0 = Instant::now();
    let mut s = server(SessionConfig::default(), t0);
    let mut c = client(SessionConfig::default(), t0);
    s.send_shared(t0, &SharedFrame::plain(&text("hello all")))
        .unwrap();
    pump(&mut s, &mut c, t0);
    assert_eq!(events(&mut c), [Event::Message(text("hello all"))]);
}

#[test]
fn refusals_queue_nothing() {
    let t0 = Instant::now();
    let frame = SharedFrame::plain(&Message::Binary(vec![0u8; 3000].into()));

    // No room below max_outbound_bytes.
    let mut s = server(SessionConfig::default().with_max_outbound_bytes(2000), t0);
    assert!(matches!(
        s.send_shared(t0, &frame),
        Err(SendError::QueueFull { needed: 3004, .. })
    ));
    assert_eq!(s.pending_transmit(), 0);

    // A message sent in parts is unfinished.
    let mut s = server(SessionConfig::default(), t0);
    s.send_part(t0, MessageKind::Text, "par", false).unwrap();
    let queued = s.pending_transmit();
    assert_eq!(s.send_shared(t0, &frame), Err(SendError::MessageInProgress));
    assert_eq!(s.pending_transmit(), queued);
    s.send_part(t0, MessageKind::Text, "t", true).unwrap();
    s.send_shared(t0, &frame).unwrap();

    // Closing or closed.
    let mut s = server(SessionConfig::default(), t0);
    s.close(t0, ws_frame::CloseCode::NORMAL, "").unwrap();
    let queued = s.pending_transmit();
    assert_eq!(s.send_shared(t0, &frame), Err(SendError::Closed));
    assert_eq!(s.pending_transmit(), queued);

    // A client masks every frame: never shared.
    let mut c = client(SessionConfig::default(), t0);
    assert_eq!(c.shared_form(10), SharedForm::Own);
    assert_eq!(c.send_shared(t0, &frame), Err(SendError::NotShareable));
    assert_eq!(c.pending_transmit(), 0);

    // A frame longer than the session's fragment size.
    let mut s = server(SessionConfig::default().with_fragment_size(Some(1000)), t0);
    assert_eq!(s.shared_form(3000), SharedForm::Own);
    assert_eq!(s.shared_form(1000), SharedForm::Plain);
    assert_eq!(s.send_shared(t0, &frame), Err(SendError::NotShareable));
    assert_eq!(s.pending_transmit(), 0);
}

fn deflate(no_takeover: bool, bits: u8) -> SessionConfig {
    SessionConfig::default().with_deflate(Some(
        DeflateConfig::default()
            .with_server_no_context_takeover(no_takeover)
            .with_server_max_window_bits(bits),
    ))
}

#[test]
fn forms_follow_the_negotiated_deflate_parameters() {
    let t0 = Instant::now();
    let params = |bits| SharedDeflate {
        window_bits: bits,
        level: 6,
    };
    // No deflate: plain at every size.
    assert_eq!(
        server(SessionConfig::default(), t0).shared_form(1 << 20),
        SharedForm::Plain
    );
    // No context takeover: deflated at or above the threshold (32 B), plain below.
    let s = server(deflate(true, 12), t0);
    assert_eq!(s.shared_form(31), SharedForm::Plain);
    assert_eq!(s.shared_form(32), SharedForm::Deflated(params(12)));
    // Context takeover: our compressor's window follows the peer's; own encoding.
    let s = server(deflate(false, 15), t0);
    assert_eq!(s.shared_form(100), SharedForm::Own);
    assert_eq!(s.shared_form(10), SharedForm::Plain);
    // Window 8 for our direction, or level 0: we never compress.
    assert_eq!(
        server(deflate(true, 8), t0).shared_form(100),
        SharedForm::Plain
    );
    let mut level0 = deflate(true, 12);
    level0.deflate = level0.deflate.map(|d| d.with_compression_level(0));
    assert_eq!(server(level0, t0).shared_form(100), SharedForm::Plain);
}

#[test]
fn deflated_frames_are_shared_by_no_context_takeover_sessions_and_refused_by_others() {
    let t0 = Instant::now();
    let long = "the same words again and again, ".repeat(40);
    let mut compressor = SharedCompressor::new(SharedDeflate {
        window_bits: 12,
        level: 6,
    });
    let frame = compressor.compress(&text(&long));
    assert_eq!(frame.form(), SharedForm::Deflated(compressor.params()));
    assert!(frame.payload_len() < long.len() / 4, "it compresses");

    // Two sessions with the same window (and one with a larger window, which can
    // read it too) take the same bytes; interleaved with their own compressed
    // sends, every message still inflates on the peer.
    for bits in [12, 12, 15] {
        let mut s = server(deflate(true, bits), t0);
        let mut c = client(deflate(true, bits), t0);
        s.send_text(t0, &long).unwrap();
        s.send_shared(t0, &frame).unwrap();
        s.send_text(t0, &long).unwrap();
        s.send_shared(t0, &frame).unwrap();
        let mut buf = Vec::new();
        s.transmit_into(&mut buf);
        let wire = parse_wire(&buf);
        assert!(wire.iter().all(|w| w.rsv == Rsv::RSV1), "all compressed");
        c.handle_input(t0, &buf);
        assert_eq!(events(&mut c), vec![Event::Message(text(&long)); 4]);
    }

    // A smaller window, or context takeover: refused, nothing queued.
    for (no_takeover, bits) in [(true, 11), (false, 12), (false, 15)] {
        let mut s: Session = server(deflate(no_takeover, bits), t0);
        assert_eq!(s.send_shared(t0, &frame), Err(SendError::NotShareable));
        assert_eq!(s.pending_transmit(), 0);
    }
    // No deflate at all: refused; the plain frame goes.
    let mut s = server(SessionConfig::default(), t0);
    assert_eq!(s.send_shared(t0, &frame), Err(SendError::NotShareable));
    s.send_shared(t0, &SharedFrame::plain(&text(&long)))
        .unwrap();
}

#[test]
fn the_shared_compressor_starts_every_message_afresh() {
    let mut compressor = SharedCompressor::new(SharedDeflate {
        window_bits: 15,
        level: 9,
    });
    let message = text(&"abcdefgh".repeat(100));
    let first = compressor.compress(&message);
    let second = compressor.compress(&message);
    // With context kept, the second would be a few back-references long.
    assert_eq!(first.wire(), second.wire());
}
