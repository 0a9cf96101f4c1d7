//! permessage-deflate: RFC 7692 section 7.2.3 goldens, limits on inflated size,
//! context takeover and window settings.

mod common;

use std::time::Instant;

use common::*;
use ws_frame::{OpCode, Rsv};
use ws_session::fuzzing::noise;
use ws_session::{
    CloseCause, DeflateConfig, Delivery, Event, Message, ProtocolError, Session, SessionConfig,
};

fn deflate_cfg(d: DeflateConfig) -> SessionConfig {
    SessionConfig::default().with_deflate(Some(d))
}

fn plain() -> DeflateConfig {
    DeflateConfig::default().with_compression_threshold(0)
}

/// A client session (receives unmasked server frames, as in the RFC examples).
fn recv(d: DeflateConfig, input: &[u8]) -> Vec<Event> {
    let t0 = Instant::now();
    let mut c = client(deflate_cfg(d), t0);
    c.handle_input(t0, input);
    events(&mut c)
}

fn hello() -> Event {
    Event::Message(Message::Text("Hello".into()))
}

#[test]
fn rfc7692_7_2_3_1_single_and_fragmented() {
    let single = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(recv(plain(), &single), [hello()]);
    let fragmented = [
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(recv(plain(), &fragmented), [hello()]);
}

#[test]
fn rfc7692_7_2_3_2_shared_window() {
    let mut input = vec![0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    input.extend([0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    assert_eq!(recv(plain(), &input), [hello(), hello()]);
}

#[test]
fn rfc7692_7_2_3_3_stored_block_7_2_3_4_bfinal_7_2_3_5_two_blocks() {
    let stored = [
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(recv(plain(), &stored), [hello()]);
    let bfinal = [0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    assert_eq!(recv(plain(), &bfinal), [hello()]);
    let two = [
        0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(recv(plain(), &two), [hello()]);
}

#[test]
fn uncompressed_messages_are_allowed() {
    let mut input = vec![0x81, 0x05];
    input.extend(b"Hello");
    assert_eq!(recv(plain(), &input), [hello()]);
}

#[test]
fn sender_produces_the_rfc_bytes() {
    let t0 = Instant::now();
    // Context takeover: the second "Hello" refers back to the first.
    let mut s = server(deflate_cfg(plain()), t0);
    s.send_text(t0, "Hello").unwrap();
    s.send_text(t0, "Hello").unwrap();
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    assert_eq!(
        wire,
        [
            0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11,
            0x00, 0x00
        ]
    );
    // No context takeover: both are self-contained.
    let mut s = server(
        deflate_cfg(plain().with_server_no_context_takeover(true)),
        t0,
    );
    s.send_text(t0, "Hello").unwrap();
    s.send_text(t0, "Hello").unwrap();
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    let one = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(wire, [one, one].concat());
}

#[test]
fn below_threshold_goes_plain_and_window_8_never_compresses() {
    let t0 = Instant::now();
    let mut s = server(
        deflate_cfg(DeflateConfig::default().with_compression_threshold(10)),
        t0,
    );
    s.send_text(t0, "Hello").unwrap();
    s.send_text(t0, &"Hello".repeat(4)).unwrap();
    let w = output(&mut s);
    assert_eq!(w[0].rsv, Rsv::NONE);
    assert_eq!(w[1].rsv, Rsv::RSV1);
    let mut s = server(deflate_cfg(plain().with_server_max_window_bits(8)), t0);
    s.send_text(t0, &"Hello".repeat(40)).unwrap();
    assert_eq!(output(&mut s)[0].rsv, Rsv::NONE);
}

/// Level 0 sends every message plain, as it is, while the peer's compressed
/// messages are still inflated; the session never holds a compressor.
#[test]
fn level_0_sends_plain_and_still_inflates() {
    let t0 = Instant::now();
    let long = "Hello".repeat(40);
    for role in ["server", "client"] {
        let cfg = deflate_cfg(plain().with_compression_level(0));
        let mut s = if role == "server" {
            server(cfg, t0)
        } else {
            client(cfg, t0)
        };
        s.send_text(t0, &long).unwrap();
        s.send_binary(t0, vec![7u8; 300]).unwrap();
        let w = output(&mut s);
        assert!(w.iter().all(|f| f.rsv == Rsv::NONE), "{role}: {w:?}");
        assert_eq!(w[0].payload, long.as_bytes(), "{role}");
        assert_eq!(w[1].payload, [7u8; 300], "{role}");
        assert!(!s.holds_deflate_state(), "{role}: no compressor");
    }
    // The RFC 7692 section 7.2.3.1 "Hello", compressed by the peer, still arrives.
    let single = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(recv(plain().with_compression_level(0), &single), [hello()]);
}

#[test]
fn rsv1_only_on_the_first_frame() {
    let t0 = Instant::now();
    let mut c = client(deflate_cfg(plain()).with_fragment_size(Some(10)), t0);
    c.send_text(t0, &"abcdefghij".repeat(30)).unwrap();
    c.send_part(t0, ws_session::MessageKind::Binary, vec![1u8; 300], false)
        .unwrap();
    c.send_part(t0, ws_session::MessageKind::Binary, vec![2u8; 300], true)
        .unwrap();
    let w = output(&mut c);
    let first: Vec<_> = w
        .iter()
        .filter(|f| f.opcode != OpCode::Continuation)
        .collect();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|f| f.rsv == Rsv::RSV1));
    assert!(w
        .iter()
        .filter(|f| f.opcode == OpCode::Continuation)
        .all(|f| f.rsv == Rsv::NONE));
}

fn bomb(len: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(len / 100 + 1024);
    c.compress_vec(&vec![0u8; len], &mut out, FlushCompress::Sync)
        .unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

#[test]
fn decompression_bomb_ends_in_1009_whole_and_partial() {
    let payload = bomb(8 << 20); // 8 MiB of zeros, ~8 KiB compressed
    assert!(payload.len() < 20_000);
    for (delivery, limit) in [(Delivery::Whole, 8192u64), (Delivery::Partial, 1 << 20)] {
        let t0 = Instant::now();
        let cfg = deflate_cfg(plain())
            .with_binary_delivery(delivery)
            .with_max_message_size(1 << 20);
        let mut s = server(cfg, t0);
        s.handle_input(t0, &frame(true, 0x40, 2, &payload, true));
        let ev = events(&mut s);
        let delivered: usize = ev
            .iter()
            .map(|e| match e {
                Event::Part { data, .. } => data.len(),
                Event::Message(m) => m.as_bytes().len(),
                _ => 0,
            })
            .sum();
        assert!(delivered as u64 <= limit);
        let Some(Event::Closed(info)) = ev.last() else {
            panic!("{ev:?}")
        };
        assert_eq!(
            info.cause,
            CloseCause::Protocol(ProtocolError::MessageTooBig { limit })
        );
        assert_eq!(close_code(output(&mut s).last().unwrap()), Some(1009));
    }
}

#[test]
fn corrupt_compressed_data_fails_with_1007() {
    let t0 = Instant::now();
    let mut s = server(deflate_cfg(plain()), t0);
    s.handle_input(t0, &frame(true, 0x40, 2, &[0xff, 0xff, 0xff, 0xff], true));
    let ev = events(&mut s);
    let Some(Event::Closed(info)) = ev.last() else {
        panic!()
    };
    assert_eq!(
        info.cause,
        CloseCause::Protocol(ProtocolError::BadCompressedData)
    );
    assert_eq!(info.code.0, 1007);
}

#[test]
fn round_trips_across_takeover_and_window_settings() {
    let t0 = Instant::now();
    for bits in [9u8, 12, 15] {
        for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
            let d = DeflateConfig::default()
                .with_compression_threshold(0)
                .with_server_no_context_takeover(snct)
                .with_client_no_context_takeover(cnct)
                .with_server_max_window_bits(bits)
                .with_client_max_window_bits(bits);
            let cfg = deflate_cfg(d).with_binary_buffer_size(1 << 20);
            let mut c: Session = client(cfg.clone(), t0);
            let mut s = server(cfg, t0);
            let msgs: Vec<Vec<u8>> = (0..6u32)
                .map(|i| {
                    (0..(i * 3000 + 7))
                        .map(|j| ((j * 7 + i) % 251) as u8)
                        .collect()
                })
                .collect();
            for m in &msgs {
                c.send_binary(t0, m.clone()).unwrap();
                pump(&mut c, &mut s, t0);
                let Some(Event::Message(got)) = s.poll_event() else {
                    panic!()
                };
                s.send(t0, got).unwrap();
                pump(&mut s, &mut c, t0);
                let Some(Event::Message(back)) = c.poll_event() else {
                    panic!()
                };
                assert_eq!(
                    back.as_bytes(),
                    &m[..],
                    "bits {bits} snct {snct} cnct {cnct}"
                );
            }
        }
    }
}

#[test]
fn receiving_with_negotiated_window_8() {
    // A peer that compresses with window 8 is decoded (we inflate with 9).
    let t0 = Instant::now();
    let d = plain().with_server_max_window_bits(8);
    let mut c = client(deflate_cfg(d), t0);
    c.handle_input(t0, &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    assert_eq!(events(&mut c), [hello()]);
}

#[test]
fn empty_messages_keep_the_stream_in_step() {
    // zlib emits nothing for an empty sync flush; the message must still be `0x00`
    // (RFC 7692 section 7.2.3.6), or the next message fails to inflate.
    let t0 = Instant::now();
    let mut s = server(deflate_cfg(plain()), t0);
    s.send_text(t0, "Hello").unwrap();
    s.send_text(t0, "").unwrap();
    s.send_text(t0, "Hello").unwrap();
    let w = output(&mut s);
    assert_eq!(w[1].payload, [0x00]);
    assert!(w.iter().all(|f| f.rsv == Rsv::RSV1));
    let mut input = Vec::new();
    for f in &w {
        input.extend(frame(f.fin, 0x40, 1, &f.payload, false));
    }
    let ev = recv(plain(), &input);
    assert_eq!(
        ev,
        [
            hello(),
            Event::Message(Message::Text(String::new())),
            hello()
        ]
    );
    // An empty message in parts after a non-empty part.
    let mut c = client(deflate_cfg(plain()), t0);
    c.send_part(t0, ws_session::MessageKind::Binary, &b"abc"[..], false)
        .unwrap();
    c.send_part(t0, ws_session::MessageKind::Binary, &b""[..], true)
        .unwrap();
    c.send_binary(t0, &b"after"[..]).unwrap();
    let mut s = server(deflate_cfg(plain()), t0);
    pump(&mut c, &mut s, t0);
    assert_eq!(
        events(&mut s),
        [
            Event::Message(Message::Binary("abc".into())),
            Event::Message(Message::Binary("after".into()))
        ]
    );
    // A peer's RSV1 frame with no payload is tolerated as an empty message.
    assert_eq!(
        recv(
            plain(),
            &[0xc1, 0x00, 0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        ),
        [Event::Message(Message::Text(String::new())), hello()]
    );
}

#[test]
fn a_message_ending_with_bfinal_and_no_padding_does_not_break_the_next() {
    // "Hello" compressed with Z_FINISH (BFINAL, no trailing 0x00), then a fresh stream.
    let input = [
        0xc1, 0x07, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, // BFINAL
        0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, // new stream
    ];
    assert_eq!(recv(plain(), &input), [hello(), hello()]);
}

/// Sends `messages` from `from` to `to` and returns what `to` received.
fn exchange(from: &mut Session, to: &mut Session, messages: &[Message]) -> Vec<Event> {
    let t0 = Instant::now();
    for m in messages {
        from.send(t0, m.clone()).unwrap();
    }
    let mut wire = Vec::new();
    from.transmit_into(&mut wire);
    to.handle_input(t0, &wire);
    events(to)
}

/// JSON-like text of about `len` bytes, compressible.
fn json(i: usize, len: usize) -> Message {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&format!(
            r#"{{"id":{i},"user":"ada","text":"hello number {i}"}},"#
        ));
    }
    Message::Text(s)
}

#[test]
fn a_session_holds_no_zlib_state_until_its_first_compressed_message() {
    let t0 = Instant::now();
    for d in [plain(), plain().with_server_no_context_takeover(true)] {
        let mut s = server(deflate_cfg(d), t0);
        let mut c = client(deflate_cfg(d), t0);
        assert!(!s.holds_deflate_state() && !c.holds_deflate_state());
        // Messages below the threshold are sent plain: still nothing.
        let d2 = d.with_compression_threshold(1000);
        let mut s2 = server(deflate_cfg(d2), t0);
        assert_eq!(exchange(&mut s2, &mut c, &[json(0, 100)]).len(), 1);
        assert!(!s2.holds_deflate_state() && !c.holds_deflate_state());
        // The first compressed message creates them (context takeover both ways).
        let got = exchange(&mut s, &mut c, &[json(1, 2000)]);
        assert_eq!(got, [Event::Message(json(1, 2000))]);
        if d.server_no_context_takeover {
            assert!(!s.holds_deflate_state(), "handed back after the message");
            assert!(!c.holds_deflate_state(), "the client's inflater too");
        } else {
            assert!(s.holds_deflate_state(), "the window is the context");
            assert!(c.holds_deflate_state());
        }
    }
}

#[test]
fn without_context_takeover_idle_sessions_hold_nothing_and_messages_still_round_trip() {
    let t0 = Instant::now();
    let d = plain()
        .with_server_no_context_takeover(true)
        .with_client_no_context_takeover(true);
    // Many sessions on one thread share the spare states between messages.
    let mut pairs: Vec<(Session, Session)> = (0..20)
        .map(|_| (server(deflate_cfg(d), t0), client(deflate_cfg(d), t0)))
        .collect();
    for round in 0..3 {
        for (i, (s, c)) in pairs.iter_mut().enumerate() {
            let to_client = [json(i, 3000), json(i + 1, 50)];
            assert_eq!(exchange(s, c, &to_client).len(), 2);
            let to_server = [json(round, 5000)];
            let got = exchange(c, s, &to_server);
            assert_eq!(got, [Event::Message(json(round, 5000))]);
            assert!(!s.holds_deflate_state() && !c.holds_deflate_state());
        }
    }
}

#[test]
fn a_message_in_frames_keeps_its_state_until_it_ends_while_others_use_the_spares() {
    let t0 = Instant::now();
    let d = plain()
        .with_server_no_context_takeover(true)
        .with_client_no_context_takeover(true);
    let mut a = server(deflate_cfg(d), t0);
    let mut b = server(deflate_cfg(d), t0);
    let mut ca = client(deflate_cfg(d), t0);
    let mut cb = client(deflate_cfg(d), t0);
    // `a` sends a message in parts; between them `b` sends whole messages.
    let text = match json(7, 6000) {
        Message::Text(t) => t,
        _ => unreachable!(),
    };
    let (first, second) = text.split_at(3000);
    a.send_part(t0, ws_session::MessageKind::Text, first.to_owned(), false)
        .unwrap();
    let mut wire = Vec::new();
    a.transmit_into(&mut wire);
    ca.handle_input(t0, &wire);
    assert!(a.holds_deflate_state(), "mid-message");
    assert!(ca.holds_deflate_state(), "mid-message");
    assert_eq!(
        exchange(&mut b, &mut cb, &[json(1, 4000), json(2, 4000)]).len(),
        2
    );
    a.send_part(t0, ws_session::MessageKind::Text, second.to_owned(), true)
        .unwrap();
    let mut wire = Vec::new();
    a.transmit_into(&mut wire);
    ca.handle_input(t0, &wire);
    assert_eq!(events(&mut ca), [Event::Message(Message::Text(text))]);
    assert!(!a.holds_deflate_state() && !ca.holds_deflate_state());
}

#[test]
fn an_idle_compressor_is_released_and_the_next_message_still_inflates() {
    let t0 = Instant::now();
    let idle = std::time::Duration::from_secs(1);
    let d = plain().with_release_after_idle(Some(idle));
    let mut s = server(deflate_cfg(d), t0);
    let mut c = client(deflate_cfg(d), t0);
    assert_eq!(s.poll_timeout(), None, "nothing held, nothing to release");
    s.send(t0, json(1, 2000)).unwrap();
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    c.handle_input(t0, &wire);
    assert_eq!(events(&mut c).len(), 1);
    assert!(s.holds_deflate_state());
    // The release is a deadline like the others, counted from the last send.
    assert_eq!(s.poll_timeout(), Some(t0 + idle));
    s.handle_timeout(t0 + idle - std::time::Duration::from_millis(1));
    assert!(s.holds_deflate_state(), "not before its time");
    s.handle_timeout(t0 + idle);
    assert!(!s.holds_deflate_state());
    assert_eq!(s.poll_timeout(), None);
    // The client keeps its window (context takeover); our next message simply
    // does not refer to it.
    let later = t0 + idle * 2;
    s.send(later, json(2, 2000)).unwrap();
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    c.handle_input(later, &wire);
    assert_eq!(events(&mut c), [Event::Message(json(2, 2000))]);
    // Never released with `None`.
    let keep = plain().with_release_after_idle(None);
    let mut s = server(deflate_cfg(keep), t0);
    let mut c = client(deflate_cfg(keep), t0);
    exchange(&mut s, &mut c, &[json(3, 2000)]);
    assert!(s.holds_deflate_state());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn idle_states_go_back_to_the_pool_and_the_context_survives_as_a_window() {
    let t0 = Instant::now();
    let idle = std::time::Duration::from_secs(1);
    // Windows of 12 bits both ways, context takeover both ways (the lean policy).
    let d = plain()
        .with_server_max_window_bits(12)
        .with_client_max_window_bits(12)
        .with_release_after_idle(Some(idle));
    // One side releasing while the other keeps its state must agree too.
    for client_releases in [true, false] {
        let cd = if client_releases {
            d
        } else {
            d.with_release_after_idle(None)
        };
        let mut s = server(deflate_cfg(d), t0);
        let mut c = client(deflate_cfg(cd), t0);
        let mut now = t0;
        let mut wire_sizes = Vec::new();
        for round in 0..4 {
            // The same JSON each round: with the context kept, every round after the
            // first compresses to almost nothing, released states or not.
            let message = json(42, 1500);
            for server_sends in [true, false] {
                let (from, to) = if server_sends {
                    (&mut s, &mut c)
                } else {
                    (&mut c, &mut s)
                };
                from.send(now, message.clone()).unwrap();
                let mut wire = Vec::new();
                from.transmit_into(&mut wire);
                wire_sizes.push(wire.len());
                to.handle_input(now, &wire);
                assert_eq!(
                    events(to),
                    [Event::Message(message.clone())],
                    "round {round}"
                );
            }
            assert!(s.holds_deflate_state() && c.holds_deflate_state());
            // Idle: both ends hand their states back (the release is a deadline).
            now += idle;
            assert_eq!(s.poll_timeout(), Some(now));
            s.handle_timeout(now);
            c.handle_timeout(now);
            assert!(
                !s.holds_deflate_state(),
                "round {round}: the server still holds"
            );
            assert_eq!(c.holds_deflate_state(), !client_releases, "round {round}");
        }
        // Later rounds refer back to the first across every release.
        // (Each round's first frame is as small as the previous round's: without the
        // window as dictionary it would be as large as round 0's.)
        for later in &wire_sizes[2..] {
            assert!(
                later * 2 < wire_sizes[0],
                "context lost across a release: {wire_sizes:?}"
            );
        }
    }
}

#[test]
fn the_lean_answer_compresses_with_a_full_window_and_idles_on_4_kib() {
    // `ws_handshake::DeflateConfig::lean` answering Chromium: the server compresses
    // with 15 bits, the client with 12, context takeover both ways.
    let t0 = Instant::now();
    let idle = std::time::Duration::from_secs(1);
    let d = plain()
        .with_client_max_window_bits(12)
        .with_release_after_idle(Some(idle));
    let mut s = server(deflate_cfg(d), t0);
    let mut c = client(deflate_cfg(d), t0);
    // Random 1 KiB bodies in a cycle of 7 (7 KiB, as the load test sends them):
    // each repeats one sent 7 KiB earlier, within the server's window (a 4 KiB one
    // made 4 of 7 messages cost hundreds of bytes) but not the client's.
    let pattern = noise(7, 1024 + 7);
    let message = |i: usize| Message::Binary(pattern[i % 7..][..1024].to_vec().into());
    let mut now = t0;
    for round in 0..3 {
        for i in 0..21 {
            for server_sends in [true, false] {
                let (from, to) = if server_sends {
                    (&mut s, &mut c)
                } else {
                    (&mut c, &mut s)
                };
                from.send(now, message(i)).unwrap();
                let mut wire = Vec::new();
                from.transmit_into(&mut wire);
                if server_sends && i >= 7 {
                    assert!(wire.len() < 64, "round {round}, {i}: {} bytes", wire.len());
                }
                to.handle_input(now, &wire);
                assert_eq!(events(to), [Event::Message(message(i))]);
            }
        }
        // Idle: the server hands both its states back, keeping 4 KiB of context
        // each way (the client keeps its decompressor: a 15-bit window is not
        // released as a history), and the next round goes on from there.
        now += idle;
        s.handle_timeout(now);
        c.handle_timeout(now);
        assert!(!s.holds_deflate_state(), "round {round}");
    }
}

#[test]
fn large_messages_switch_to_a_12_bit_compressor_and_the_context_carries_over() {
    // 15-bit windows and context takeover (with the default idle release, so a
    // history is kept): messages of 32 KiB and more are compressed with 12 bits.
    // The messages are noise, compressed all the same (no pauses for
    // incompressible ones): the back-references are what is looked for.
    let t0 = Instant::now();
    let cfg = deflate_cfg(plain().with_skip_incompressible(false)).with_binary_buffer_size(1 << 21);
    let mut s = server(cfg.clone(), t0);
    let mut c = client(cfg, t0);
    let bin = |v: &[u8]| Message::Binary(v.to_vec().into());
    let send = |s: &mut Session, c: &mut Session, m: Message| {
        s.send(t0, m.clone()).unwrap();
        let mut wire = Vec::new();
        s.transmit_into(&mut wire);
        c.handle_input(t0, &wire);
        assert_eq!(events(c), [Event::Message(m)]);
        wire.len()
    };
    let big = noise(11, 100_000);
    let sizes = [1024, (1 << 15) - 1, 1 << 15, 3000, 1 << 18, 7, 40_000, 1024];
    for round in 0..2 {
        for (i, &len) in sizes.iter().enumerate() {
            let body = noise(100 * round + i as u64, len);
            send(&mut s, &mut c, bin(&body));
            // The end of what was just sent, again: a back-reference whichever
            // window the next message is compressed with.
            let again = &body[len.saturating_sub(1024)..];
            let wire = send(&mut s, &mut c, bin(again));
            assert!(wire < 64, "round {round}, after {len} B: {wire} wire bytes");
        }
        // Switching in the middle of a context: a large message that starts with
        // the last small one refers back to it across the switch, and the other way.
        let small = noise(7 + round, 2000);
        send(&mut s, &mut c, bin(&small));
        let mut large = small.clone();
        large.extend_from_slice(&big);
        let wire = send(&mut s, &mut c, bin(&large));
        assert!(
            wire < big.len() + 600,
            "{wire}: the small message was not found"
        );
        let wire = send(&mut s, &mut c, bin(&big[big.len() - 2000..]));
        assert!(wire < 64, "{wire}: the large message's end was not found");
    }
}

/// Which of the frames in `wire` (unmasked, one per message, payloads under 64 KiB)
/// have RSV1 set: `c` for compressed, `.` for plain.
fn rsv1_marks(wire: &[u8]) -> String {
    let mut marks = String::new();
    let mut at = 0;
    while at < wire.len() {
        marks.push(if wire[at] & 0x40 != 0 { 'c' } else { '.' });
        let (len, head) = match wire[at + 1] & 0x7f {
            126 => (u16::from_be_bytes([wire[at + 2], wire[at + 3]]) as usize, 4),
            127 => panic!("payloads here are under 64 KiB"),
            n => (n as usize, 2),
        };
        at += head + len;
    }
    marks
}

#[test]
fn incompressible_messages_go_plain_for_doubling_pauses_and_every_message_arrives() {
    let t0 = Instant::now();
    let mut s = server(deflate_cfg(DeflateConfig::default()), t0);
    let mut c = client(deflate_cfg(DeflateConfig::default()), t0);
    let mut sent = Vec::new();
    let mut wire = Vec::new();
    let mut send = |s: &mut Session, m: Message| {
        s.send(t0, m.clone()).unwrap();
        sent.push(Event::Message(m));
    };
    // Random binary of 1 KiB: compressed, then plain for 2, 4 and 8 messages, and
    // a fourth look starts a pause of 16.
    for i in 0..18 {
        send(&mut s, Message::Binary(noise(i, 1024).into()));
    }
    // Text that compresses, in between: compressed every time (its own pause).
    for i in 0..3 {
        send(&mut s, json(i, 1024));
    }
    // The binary pause goes on (compressible binary goes plain for its 16
    // messages); the next look pays and ends it.
    for _ in 0..18 {
        send(&mut s, Message::Binary(vec![7; 1024].into()));
    }
    s.transmit_into(&mut wire);
    assert_eq!(
        rsv1_marks(&wire),
        ["c..c....c........c", "ccc", "................", "cc"].concat()
    );
    // With context takeover on both sides, every message inflates to what was sent:
    // the plain ones entered neither window.
    c.handle_input(t0, &wire);
    assert_eq!(events(&mut c), sent);

    // Turned off, every message at the threshold or above is compressed.
    let mut s = server(
        deflate_cfg(DeflateConfig::default().with_skip_incompressible(false)),
        t0,
    );
    for i in 0..6 {
        s.send(t0, Message::Binary(noise(i, 1024).into())).unwrap();
    }
    let mut wire = Vec::new();
    s.transmit_into(&mut wire);
    assert_eq!(rsv1_marks(&wire), "cccccc");
}
