//! Property test of the outbound queue's order rules (see the writer's module docs)
//! over small frames (the flat lane) and large ones (queue entries), messages and
//! parts, pings, an abort, and partial writes through each of the three views of the
//! queue (`poll_transmit`, `copy_transmit`, `transmit_chunk`):
//!
//! * data frames leave whole, in the order they were sent, shared frames
//!   (`send_shared`) among them (after an abort, the ones not yet started are
//!   dropped);
//! * a control frame leaves at the first frame boundary after it was queued,
//!   behind only control frames queued before it.

mod common;

use std::io::IoSlice;
use std::time::Instant;

use common::*;
use proptest::prelude::*;
use ws_frame::{CloseCode, OpCode};
use ws_session::{Message, MessageKind, SessionConfig, SharedFrame};

#[derive(Clone, Debug)]
enum Op {
    /// A whole binary message of this length.
    Send(usize),
    /// A whole binary message of this length, as a shared frame.
    Shared(usize),
    /// One part of a binary message; `true` ends it.
    Part(usize, bool),
    Ping(usize),
    /// Write up to this many bytes through view 0 (slices), 1 (copy) or 2 (chunk).
    Write(usize, u8),
    Abort,
}

fn op() -> impl Strategy<Value = Op> {
    // Around the flat lane's limit (1 KiB) and well above it.
    let len = || prop_oneof![0usize..40, 1000usize..1100, 3000usize..5000];
    prop_oneof![
        6 => len().prop_map(Op::Send),
        3 => len().prop_map(Op::Shared),
        2 => (len(), any::<bool>()).prop_map(|(n, last)| Op::Part(n, last)),
        3 => (0usize..10).prop_map(Op::Ping),
        6 => (1usize..3000, 0u8..3).prop_map(|(n, view)| Op::Write(n, view)),
        1 => Just(Op::Abort),
    ]
}

/// The first `max` unwritten bytes as one view of the queue shows them.
fn peek(s: &ws_session::Session, max: usize, view: u8) -> Vec<u8> {
    match view {
        0 => {
            let mut bufs = [IoSlice::new(&[]); 4];
            let n = s.poll_transmit(&mut bufs);
            let joined: Vec<u8> = bufs[..n].iter().flat_map(|b| b.iter().copied()).collect();
            joined[..joined.len().min(max)].to_vec()
        }
        1 => {
            let mut out = vec![0; max.min(s.pending_transmit())];
            let n = s.copy_transmit(&mut out);
            out.truncate(n);
            out
        }
        _ => {
            let chunk = s.transmit_chunk();
            chunk[..chunk.len().min(max)].to_vec()
        }
    }
}

/// Wire length of a server frame (unmasked) with `len` payload bytes.
fn frame_len(len: usize) -> usize {
    2 + if len < 126 {
        0
    } else if len <= 0xFFFF {
        2
    } else {
        8
    } + len
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_leave_whole_in_order_and_control_frames_jump_at_the_next_boundary(
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let t0 = Instant::now();
        let mut s = server(SessionConfig::default(), t0);
        let mut wire = Vec::new();
        let mut data: Vec<Vec<u8>> = Vec::new();
        // (bytes written when queued, opcode, payload)
        let mut controls: Vec<(usize, OpCode, Vec<u8>)> = Vec::new();
        let mut aborted = false;
        let mut id = 0u8;
        for op in ops {
            id = id.wrapping_add(1);
            match op {
                Op::Send(n) => {
                    if s.send_binary(t0, vec![id; n]).is_ok() {
                        data.push(vec![id; n]);
                    }
                }
                Op::Shared(n) => {
                    let frame = SharedFrame::plain(&Message::Binary(vec![id; n].into()));
                    if s.send_shared(t0, &frame).is_ok() {
                        data.push(vec![id; n]);
                    }
                }
                Op::Part(n, last) => {
                    if s.send_part(t0, MessageKind::Binary, vec![id; n], last).is_ok() {
                        data.push(vec![id; n]);
                    }
                }
                Op::Ping(n) => {
                    if s.ping(t0, &vec![id; n]).is_ok() {
                        controls.push((wire.len(), OpCode::Ping, vec![id; n]));
                    }
                }
                Op::Write(n, view) => {
                    let bytes = peek(&s, n, view);
                    prop_assert!(!bytes.is_empty() || s.pending_transmit() == 0);
                    s.advance_transmit(bytes.len());
                    wire.extend(bytes);
                }
                Op::Abort => {
                    if s.abort(t0, CloseCode::GOING_AWAY, "bye").is_ok() {
                        aborted = true;
                        controls.push((wire.len(), OpCode::Close, Vec::new()));
                    }
                }
            }
        }
        s.transmit_into(&mut wire);
        prop_assert_eq!(s.pending_transmit(), 0);

        let frames = parse_wire(&wire);
        let mut starts = Vec::with_capacity(frames.len());
        let mut at = 0;
        for f in &frames {
            starts.push(at);
            at += frame_len(f.payload.len());
        }
        let is_data = |op: OpCode| matches!(op, OpCode::Binary | OpCode::Continuation);

        // Data: whole, in order; after an abort a prefix, none after the close.
        let got: Vec<Vec<u8>> = frames
            .iter()
            .filter(|f| is_data(f.opcode))
            .map(|f| f.payload.clone())
            .collect();
        if aborted {
            prop_assert!(got.len() <= data.len());
            prop_assert_eq!(&got[..], &data[..got.len()]);
            let close = frames.iter().position(|f| f.opcode == OpCode::Close).unwrap();
            prop_assert!(frames[close..].iter().all(|f| !is_data(f.opcode)));
        } else {
            prop_assert_eq!(&got, &data);
        }

        // Control frames: in queue order, each at the first boundary after it was
        // queued, behind only control frames.
        let control_at: Vec<usize> = (0..frames.len()).filter(|&i| !is_data(frames[i].opcode)).collect();
        prop_assert_eq!(control_at.len(), controls.len());
        for (&i, (queued_at, op, payload)) in control_at.iter().zip(&controls) {
            prop_assert_eq!(frames[i].opcode, *op);
            if *op == OpCode::Ping {
                prop_assert_eq!(&frames[i].payload, payload);
            }
            let boundary = starts.iter().position(|&s| s >= *queued_at).unwrap_or(frames.len());
            prop_assert!(boundary <= i, "control frame {} left before it was queued", i);
            prop_assert!(
                frames[boundary..i].iter().all(|f| !is_data(f.opcode)),
                "a data frame started after the boundary went ahead of control frame {}", i
            );
        }
    }
}
