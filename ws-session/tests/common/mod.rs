//! Test helpers: a manual clock, raw frame builders and a wire parser.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use ws_frame::{apply_mask, Decoded, FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};
use ws_session::{Event, Session, SessionConfig};

pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A raw frame as a peer would send it; `mask` for client-to-server frames.
pub fn frame(fin: bool, rsv: u8, op: u8, payload: &[u8], mask: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let b0 = (u8::from(fin) << 7) | rsv | op;
    out.push(b0);
    let m = if mask { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mut body = payload.to_vec();
    if mask {
        out.extend_from_slice(&KEY);
        apply_mask(&mut body, KEY, 0);
    }
    out.extend_from_slice(&body);
    out
}

/// A masked frame from a client (input for a server session).
pub fn cframe(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
    frame(fin, 0, op, payload, true)
}

/// A decoded frame read from a session's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    pub fin: bool,
    pub rsv: Rsv,
    pub opcode: OpCode,
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Parses every frame in `bytes` (unmasking).
pub fn parse_wire(mut bytes: &[u8]) -> Vec<Wire> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let Ok(Decoded::Complete(h, n)) = FrameHeader::decode(bytes) else {
            panic!("bad output frame: {bytes:?}")
        };
        let len = h.payload_len as usize;
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(k) = h.mask {
            apply_mask(&mut payload, k, 0);
        }
        out.push(Wire {
            fin: h.fin,
            rsv: h.rsv,
            opcode: h.opcode,
            masked: h.mask.is_some(),
            payload,
        });
        bytes = &bytes[n + len..];
    }
    let _ = MAX_HEADER_LEN;
    out
}

/// Everything the session wants to write, parsed.
pub fn output(s: &mut Session) -> Vec<Wire> {
    let mut buf = Vec::new();
    s.transmit_into(&mut buf);
    parse_wire(&buf)
}

pub fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// The close code in a close frame payload.
pub fn close_code(w: &Wire) -> Option<u16> {
    assert_eq!(w.opcode, OpCode::Close);
    (w.payload.len() >= 2).then(|| u16::from_be_bytes([w.payload[0], w.payload[1]]))
}

pub fn masks() -> impl FnMut() -> [u8; 4] + Send + 'static {
    let mut n = 0u32;
    move || {
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        n.to_be_bytes()
    }
}

pub fn server(config: SessionConfig, t0: Instant) -> Session {
    Session::server(config, t0)
}

pub fn client(config: SessionConfig, t0: Instant) -> Session {
    Session::client(config, masks(), t0)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Moves all pending bytes from `a` to `b`.
pub fn pump(a: &mut Session, b: &mut Session, now: Instant) {
    let mut buf = Vec::new();
    a.transmit_into(&mut buf);
    b.handle_input(now, &buf);
}
