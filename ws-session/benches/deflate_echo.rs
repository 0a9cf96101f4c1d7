//! permessage-deflate echo: what a server session spends per compressed message,
//! under the parameters a browser's offer is answered with, in memory.
//!
//! Two modes:
//! * `server`: the load test's server alone. A client compresses each message on its
//!   own (as `ws-loadgen` does; RFC 7692 lets a client drop its context without
//!   negotiating it), those frames are made once, and the server inflates each one,
//!   compresses its echo with context takeover and queues it; the echo is dropped.
//! * `echo`: a client session that compresses with context takeover (as a browser
//!   does) and inflates the echo: both ends' work per round trip.
//!
//! Payloads follow `ws-loadgen`'s as they were until 2026-12-06: an 8-byte sequence
//! number, then a body cut from a fixed pattern at offset `seq % 7` (random bytes in
//! binary messages, JSON-like records in text messages), so consecutive messages
//! differ but repeat within a few kilobytes: with context takeover and a window
//! that holds the 7 bodies, even the random bytes compress to a few matches. This
//! bench keeps that layout on purpose, as the case where the window pays most
//! (`ws-loadgen` now cuts bodies that share nothing within a window, see its
//! `payload` module). `noise` messages are fresh random bytes each (over a cycle of
//! 4096), which no window helps with; under the default `skip_incompressible` the
//! sender compresses one in 65 of them and sends the rest plain, which is what that
//! case measures.
//!
//! Variants (the negotiated parameters of both sessions): the window of each
//! direction, the level and whether idle states are released (which keeps the
//! window's plaintext as a history while busy).
//!
//! Instruction counts, without the machine's noise: run one case alone with
//! `DEFLATE_ECHO=mode/payload/variant` and `DEFLATE_ECHO_COUNT=n` under
//! `valgrind --tool=callgrind` (the binary then runs `n` messages after a warm-up of
//! 1000 and exits; criterion is not started).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use ws_session::{Bytes, DeflateConfig, Event, Message, Session, SessionConfig};

/// Distinct body offsets (`ws-loadgen`'s `DEFLATE_PERIOD` until 2026-12-06).
const PERIOD: usize = 7;
/// Sequence number bytes at the start of every message.
const SEQ: usize = 8;
/// Client frames made once for the `server` mode (then cycled).
const FRAMES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Binary,
    Text,
    /// Fresh random bytes in every message: incompressible whatever the window.
    Noise,
}

struct Payload {
    name: &'static str,
    kind: Kind,
    size: usize,
}

const PAYLOADS: [Payload; 5] = [
    Payload {
        name: "binary-1KiB",
        kind: Kind::Binary,
        size: 1024,
    },
    Payload {
        name: "text-1KiB",
        kind: Kind::Text,
        size: 1024,
    },
    Payload {
        name: "noise-1KiB",
        kind: Kind::Noise,
        size: 1024,
    },
    Payload {
        name: "binary-64KiB",
        kind: Kind::Binary,
        size: 64 * 1024,
    },
    Payload {
        name: "text-64KiB",
        kind: Kind::Text,
        size: 64 * 1024,
    },
];

/// Negotiated parameters: `server_bits` for what the server sends, `client_bits` for
/// what the client sends.
struct Variant {
    name: &'static str,
    server_bits: u8,
    client_bits: u8,
    level: u32,
    release: bool,
}

const VARIANTS: [Variant; 8] = [
    // 4 KiB windows both ways: `ws_handshake::DeflateConfig::lean()` as the memory
    // work first chose it.
    Variant {
        name: "w12",
        server_bits: 12,
        client_bits: 12,
        level: 6,
        release: true,
    },
    // The answer before the lean policy.
    Variant {
        name: "w15",
        server_bits: 15,
        client_bits: 15,
        level: 6,
        release: true,
    },
    // `ws_handshake::DeflateConfig::lean()` answering Chromium's offer: the server
    // compresses with 32 KiB, the client with 4 KiB.
    Variant {
        name: "s15-c12",
        server_bits: 15,
        client_bits: 12,
        level: 6,
        release: true,
    },
    Variant {
        name: "s12-c15",
        server_bits: 12,
        client_bits: 15,
        level: 6,
        release: true,
    },
    Variant {
        name: "w12-keep",
        server_bits: 12,
        client_bits: 12,
        level: 6,
        release: false,
    },
    Variant {
        name: "w15-keep",
        server_bits: 15,
        client_bits: 15,
        level: 6,
        release: false,
    },
    Variant {
        name: "w12-l1",
        server_bits: 12,
        client_bits: 12,
        level: 1,
        release: true,
    },
    Variant {
        name: "w15-l1",
        server_bits: 15,
        client_bits: 15,
        level: 1,
        release: true,
    },
];

/// xorshift64*, fixed seed: the same pattern in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The pattern bodies are cut from.
fn pattern(kind: Kind, size: usize) -> Vec<u8> {
    let len = size - SEQ + PERIOD;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ size as u64);
    match kind {
        Kind::Binary | Kind::Noise => (0..len).map(|_| rng.next() as u8).collect(),
        Kind::Text => {
            const ACTIONS: [&str; 4] = ["create", "update", "delete", "read"];
            const TAGS: [&str; 4] = ["red", "green", "blue", "new"];
            let mut out = String::with_capacity(len + 200);
            while out.len() < len {
                let mut pick = |n: u64| (rng.next() % n) as usize;
                out.push_str(&format!(
                    "{{\"id\":{},\"user\":\"user-{}\",\"action\":\"{}\",\"ts\":{},\"ok\":{},\"tags\":[\"{}\"]}},",
                    pick(1_000_000),
                    pick(10_000),
                    ACTIONS[pick(4)],
                    1_700_000_000 + pick(1_000_000),
                    pick(2) == 0,
                    TAGS[pick(4)],
                ));
            }
            out.truncate(len);
            out.into_bytes()
        }
    }
}

/// Message `seq`.
fn message(kind: Kind, size: usize, pattern: &[u8], seq: u64) -> Message {
    let start = seq as usize % PERIOD;
    let body = &pattern[start..start + size - SEQ];
    match kind {
        Kind::Binary => {
            let mut m = Vec::with_capacity(size);
            m.extend_from_slice(&seq.to_le_bytes());
            m.extend_from_slice(body);
            Message::Binary(Bytes::from(m))
        }
        Kind::Noise => {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (seq % 4096 + 1).wrapping_mul(0xff51_afd7));
            Message::Binary((0..size).map(|_| rng.next() as u8).collect())
        }
        Kind::Text => {
            let mut m = format!("{:08x}", seq as u32);
            m.push_str(std::str::from_utf8(body).unwrap());
            Message::Text(m)
        }
    }
}

fn deflate(v: &Variant) -> DeflateConfig {
    DeflateConfig::default()
        .with_server_max_window_bits(v.server_bits)
        .with_client_max_window_bits(v.client_bits)
        .with_compression_level(v.level)
        .with_release_after_idle(v.release.then_some(Duration::from_secs(1)))
}

fn config(d: DeflateConfig, size: usize) -> SessionConfig {
    SessionConfig::default()
        .with_binary_buffer_size(size.max(8192))
        .with_text_buffer_size(size.max(8192))
        .with_deflate(Some(d))
}

fn masks() -> impl FnMut() -> [u8; 4] + Send + 'static {
    let mut n = 0u32;
    move || {
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        n.to_be_bytes()
    }
}

/// One server session fed the same client frames over and over.
struct ServerOnly {
    server: Session,
    frames: Vec<Vec<u8>>,
    next: usize,
    out: Vec<u8>,
    now: Instant,
}

impl ServerOnly {
    fn new(p: &Payload, v: &Variant) -> ServerOnly {
        let now = Instant::now();
        let pattern = pattern(p.kind, p.size);
        // The client drops its context after every message, so each frame stands alone.
        let own = deflate(v).with_client_no_context_takeover(true);
        let mut client = Session::client(config(own, p.size), masks(), now);
        let frames = (0..FRAMES as u64)
            .map(|seq| {
                client
                    .send(now, message(p.kind, p.size, &pattern, seq))
                    .unwrap();
                let mut wire = Vec::new();
                client.transmit_into(&mut wire);
                wire
            })
            .collect();
        ServerOnly {
            server: Session::server(config(deflate(v), p.size), now),
            frames,
            next: 0,
            out: Vec::with_capacity(2 * p.size + 64),
            now,
        }
    }

    fn step(&mut self) -> usize {
        let frame = &self.frames[self.next % FRAMES];
        self.next += 1;
        self.server.handle_input(self.now, frame);
        let Some(Event::Message(m)) = self.server.poll_event() else {
            panic!("server got no message")
        };
        self.server.send(self.now, m).unwrap();
        self.out.clear();
        self.server.transmit_into(&mut self.out)
    }
}

/// A client and a server session, both compressing with context takeover.
struct Echo {
    client: Session,
    server: Session,
    kind: Kind,
    size: usize,
    pattern: Vec<u8>,
    seq: u64,
    wire: Vec<u8>,
    now: Instant,
}

impl Echo {
    fn new(p: &Payload, v: &Variant) -> Echo {
        let now = Instant::now();
        Echo {
            client: Session::client(config(deflate(v), p.size), masks(), now),
            server: Session::server(config(deflate(v), p.size), now),
            kind: p.kind,
            size: p.size,
            pattern: pattern(p.kind, p.size),
            seq: 0,
            wire: Vec::with_capacity(2 * p.size + 64),
            now,
        }
    }

    fn step(&mut self) -> usize {
        let m = message(self.kind, self.size, &self.pattern, self.seq);
        self.seq += 1;
        self.client.send(self.now, m).unwrap();
        self.wire.clear();
        self.client.transmit_into(&mut self.wire);
        self.server.handle_input(self.now, &self.wire);
        let Some(Event::Message(m)) = self.server.poll_event() else {
            panic!("server got no message")
        };
        self.server.send(self.now, m).unwrap();
        self.wire.clear();
        let sent = self.server.transmit_into(&mut self.wire);
        self.client.handle_input(self.now, &self.wire);
        let Some(Event::Message(m)) = self.client.poll_event() else {
            panic!("client got no message")
        };
        assert_eq!(m.as_bytes().len(), self.size);
        sent
    }
}

fn bench(c: &mut Criterion) {
    for mode in ["server", "echo"] {
        for p in &PAYLOADS {
            let mut group = c.benchmark_group(format!("deflate_echo/{mode}/{}", p.name));
            group.throughput(Throughput::Elements(1));
            group.warm_up_time(Duration::from_secs(1));
            group.measurement_time(Duration::from_secs(2));
            if p.size > 4096 {
                group.sample_size(20);
            }
            for v in &VARIANTS {
                group.bench_function(BenchmarkId::from_parameter(v.name), |b| {
                    if mode == "server" {
                        let mut s = ServerOnly::new(p, v);
                        b.iter(|| black_box(s.step()))
                    } else {
                        let mut e = Echo::new(p, v);
                        b.iter(|| black_box(e.step()))
                    }
                });
            }
            group.finish();
        }
    }
}

/// One case, `n` messages after a warm-up, for an instruction counter.
fn profile(case: &str, n: u64) {
    let mut parts = case.split('/');
    let (Some(mode), Some(payload), Some(variant)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("DEFLATE_ECHO is mode/payload/variant, not {case}")
    };
    let p = PAYLOADS
        .iter()
        .find(|p| p.name == payload)
        .expect("payload");
    let parsed;
    let v = match VARIANTS.iter().find(|v| v.name == variant) {
        Some(v) => v,
        None => {
            parsed = parse_variant(variant);
            &parsed
        }
    };
    let mut step: Box<dyn FnMut() -> usize> = match mode {
        "server" => {
            let mut s = ServerOnly::new(p, v);
            Box::new(move || s.step())
        }
        "echo" => {
            let mut e = Echo::new(p, v);
            Box::new(move || e.step())
        }
        _ => panic!("mode is server or echo"),
    };
    for _ in 0..1000 {
        step();
    }
    let mut wire = 0;
    let show = std::env::var("DEFLATE_ECHO_SIZES").is_ok();
    for i in 0..n {
        let sent = step();
        if show && i < 40 {
            print!("{sent} ");
        }
        wire += sent;
    }
    if show {
        println!();
    }
    println!(
        "{case}: {n} messages, {:.1} wire bytes per echo",
        wire as f64 / n as f64
    );
}

/// A variant outside the table, for the instruction counter: `s15-c12-l6`, with
/// `-keep` for no idle release.
fn parse_variant(name: &str) -> Variant {
    let mut v = Variant {
        name: "custom",
        server_bits: 15,
        client_bits: 15,
        level: 6,
        release: true,
    };
    for part in name.split('-') {
        let (key, value) = part.split_at(1);
        match (key, value.parse::<u32>()) {
            ("s", Ok(bits)) => v.server_bits = bits as u8,
            ("c", Ok(bits)) => v.client_bits = bits as u8,
            ("l", Ok(level)) => v.level = level,
            ("k", _) if part == "keep" => v.release = false,
            _ => panic!("unknown variant {name}"),
        }
    }
    v
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(case) = std::env::var("DEFLATE_ECHO") {
        let n = std::env::var("DEFLATE_ECHO_COUNT")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000);
        profile(&case, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
