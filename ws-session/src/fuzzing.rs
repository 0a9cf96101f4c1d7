//! Shared entry points of the fuzz targets (`fuzz/fuzz_targets/session_*.rs`), also
//! used by the seed-replay test, and inputs shared by this crate's unit and
//! integration tests ([`noise`]). Not a stable API.

use std::time::{Duration, Instant};

use ws_frame::{Decoded, FrameHeader, OpCode};

use crate::{CloseCause, DeflateConfig, Delivery, Event, Role, Session, SessionConfig, State};

/// Feeds `data` to a session of `role` (with permessage-deflate when `deflate`),
/// checking the session's guarantees: no panic, bounded buffering, nothing after
/// `Closed`, every event well formed, a protocol failure or the peer's close closing
/// only after the events before it were taken (and echoed: the echoes precede the
/// close frame).
///
/// The first byte picks options (delivery modes, small limits); the rest is the input,
/// cut into pieces whose sizes come from the second byte (whose top bit also sends
/// pieces through [`Session::lend_input`] loans whenever one is offered), with a
/// timer tick between pieces; data events are echoed back. After each piece a
/// bounded write drains part of the output (through one of the queue's three views,
/// picked by the piece's first byte), so partial writes and control frames jumping
/// queued data are fuzzed too; the output, all drained at the end, must be
/// well-formed frames. `t0` is the clock base (the caller's; the session reads no
/// clock).
pub fn drive(role: Role, deflate: bool, data: &[u8], t0: Instant) {
    let (opts, input) = match data.split_first() {
        Some((o, rest)) => (*o, rest),
        None => (0, data),
    };
    let step = usize::from(input.first().copied().unwrap_or(1) % 17).max(1);
    let use_loans = input.first().is_some_and(|b| b & 0x80 != 0);
    let mut config = SessionConfig::default()
        .with_text_buffer_size(if opts & 1 != 0 { 64 } else { 8192 })
        .with_binary_buffer_size(if opts & 2 != 0 { 64 } else { 8192 })
        .with_max_message_size(if opts & 4 != 0 { 1024 } else { 1 << 20 })
        .with_max_queued_pongs(if opts & 8 != 0 { 2 } else { 64 })
        .with_read_idle_timeout(Some(Duration::from_secs(5)));
    if opts & 16 != 0 {
        config = config.with_text_delivery(Delivery::Partial);
    }
    if opts & 32 != 0 {
        config = config.with_binary_delivery(Delivery::Partial);
    }
    if deflate {
        let d = DeflateConfig::default()
            .with_client_no_context_takeover(opts & 64 != 0)
            .with_server_no_context_takeover(opts & 64 != 0)
            .with_client_max_window_bits(if opts & 128 != 0 { 9 } else { 15 })
            .with_server_max_window_bits(if opts & 128 != 0 { 9 } else { 15 });
        config = config.with_deflate(Some(d));
    }
    let limit = config.max_message_size;
    let part_max = config.text_buffer_size.max(config.binary_buffer_size);
    let mut session = match role {
        Role::Server => Session::server(config, t0),
        Role::Client => Session::client(config, || [1, 2, 3, 4], t0),
    };
    let mut now = t0;
    let mut closed = false;
    // A data event was taken while the session was already closed.
    let mut taken_closed = false;
    let mut close_sent = false;
    // Written and not yet checked: the start of a frame cut by a partial write.
    let mut wire = Vec::new();
    for piece in input.chunks(step) {
        now += Duration::from_millis(1);
        if use_loans {
            feed_through_loans(&mut session, now, piece);
        } else {
            session.handle_input(now, piece);
        }
        session.handle_timeout(now);
        while let Some(event) = session.poll_event() {
            assert!(!closed, "event after Closed: {event:?}");
            // Echo data back, so sending (compression, parts, queue) is fuzzed too;
            // refusals (closing, queue full) are fine.
            let open = session.state() != State::Closed;
            match event {
                Event::Message(m) => {
                    assert!(m.as_bytes().len() as u64 <= limit);
                    taken_closed |= !open;
                    let _ = session.send(now, m);
                }
                Event::Part { kind, data, last } => {
                    assert!(data.len() <= part_max);
                    taken_closed |= !open;
                    let _ = session.send_part(now, kind, data, last);
                }
                Event::Ping(p) | Event::Pong(p) => assert!(p.len() <= 125),
                Event::Closed(info) => {
                    // In order: a violation or the peer's close closes the session
                    // only once the events before it have been taken (so replies
                    // to them go out before our close frame).
                    if matches!(info.cause, CloseCause::Protocol(_) | CloseCause::Handshake) {
                        assert!(!taken_closed, "closed for {info:?} before its events");
                    }
                    closed = true;
                }
            }
        }
        assert_eq!(closed, session.state() == State::Closed);
        write_some(&mut session, step * 13, piece[0] % 3, &mut wire);
        let checked = check_output(role, &wire, &mut close_sent);
        wire.drain(..checked);
        if session.is_finished() {
            // A front-end drops the transport now. A timeout that gave up on the
            // peer may have dropped the rest of a frame cut by a partial write.
            break;
        }
    }
    if !session.is_finished() {
        session.transmit_into(&mut wire);
        assert_eq!(session.pending_transmit(), 0);
        let checked = check_output(role, &wire, &mut close_sent);
        assert_eq!(checked, wire.len(), "output ends inside a frame");
    }
    session.handle_eof(now);
}

/// Writes at most `budget` queued bytes to `wire` as a front-end would, through
/// `view`: 0 the vectored slices, 1 a copy, 2 the next contiguous chunk.
fn write_some(session: &mut Session, budget: usize, view: u8, wire: &mut Vec<u8>) {
    let n = match view {
        0 => {
            let mut bufs = [std::io::IoSlice::new(&[]); 8];
            let count = session.poll_transmit(&mut bufs);
            let mut left = budget;
            for buf in &bufs[..count] {
                let take = buf.len().min(left);
                wire.extend_from_slice(&buf[..take]);
                left -= take;
            }
            budget - left
        }
        1 => {
            let mut buf = vec![0; budget.min(session.pending_transmit())];
            let n = session.copy_transmit(&mut buf);
            wire.extend_from_slice(&buf[..n]);
            n
        }
        _ => {
            let chunk = session.transmit_chunk();
            let n = chunk.len().min(budget);
            wire.extend_from_slice(&chunk[..n]);
            n
        }
    };
    session.advance_transmit(n);
}

/// Feeds `piece` as a front-end doing direct reads would: into a loan while the
/// session offers one (never more than it lends), the rest as plain input.
fn feed_through_loans(session: &mut Session, now: Instant, mut piece: &[u8]) {
    use bytes::BufMut;
    while !piece.is_empty() {
        match session.lend_input() {
            Some(mut loan) => {
                assert!(loan.max_len() > 0, "an empty loan");
                let n = loan.max_len().min(piece.len());
                loan.buf_mut().put_slice(&piece[..n]);
                session.handle_loan(now, loan);
                piece = &piece[n..];
            }
            None => {
                session.handle_input(now, piece);
                return;
            }
        }
    }
}

/// Our own output must be well-formed frames: masked exactly by clients, control
/// payloads within 125 bytes, nothing after our close frame. Returns the length of
/// the complete frames at the start of `out` (a partial write may cut the last).
fn check_output(role: Role, out: &[u8], close_sent: &mut bool) -> usize {
    let mut at = 0;
    while at < out.len() {
        assert!(!*close_sent, "bytes after our close frame");
        let header = match FrameHeader::decode(&out[at..]) {
            Ok(Decoded::Complete(header, len)) => (header, len),
            Ok(Decoded::Incomplete(_)) => break,
            Err(e) => panic!("session wrote an invalid frame: {e:?}"),
        };
        let (header, len) = header;
        assert_eq!(header.mask.is_some(), role == Role::Client);
        if header.opcode.is_control() {
            assert!(header.payload_len <= 125);
        }
        let total = len + header.payload_len as usize;
        if at + total > out.len() {
            break;
        }
        if header.opcode == OpCode::Close {
            *close_sent = true;
        }
        at += total;
    }
    at
}

/// `len` pseudo-random (incompressible) bytes from `seed`: the same bytes for the
/// same seed, for tests of compression that need data no window helps with.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}
