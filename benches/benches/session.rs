//! Session benchmarks: one echo round trip (client sends, server receives and echoes,
//! client receives) through an in-memory pair, in messages per second, for 16 B,
//! 1 KiB and 64 KiB binary messages.
//!
//! Rows:
//! * `ws-session`: two `ws_session::Session`s, bytes moved with `transmit_into`.
//! * `ws-session-deflate`: the same with permessage-deflate (context takeover, window
//!   15, threshold 0) on a compressible payload.
//! * `tungstenite`: two `tungstenite::WebSocket`s over an in-memory duplex stream
//!   (`from_raw_socket`), `send` + `read`; tungstenite has no permessage-deflate, so
//!   it has no deflate row.
//!
//! Payloads are the same bytes for every row (a repeating text-like pattern, so the
//! deflate row compresses realistically rather than on zeros).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ws_session::{Bytes, DeflateConfig, Event, Session, SessionConfig};

const SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

fn payload(len: usize) -> Vec<u8> {
    let words = b"the quick brown fox jumps over the lazy dog 0123456789 ";
    (0..len)
        .map(|i| words[(i * 7 + i / 64) % words.len()])
        .collect()
}

fn config(len: usize, deflate: bool) -> SessionConfig {
    let mut c = SessionConfig::default()
        .with_binary_buffer_size(len.max(8192))
        .with_text_buffer_size(len.max(8192));
    if deflate {
        c = c.with_deflate(Some(DeflateConfig::default().with_compression_threshold(0)));
    }
    c
}

struct Pair {
    client: Session,
    server: Session,
    wire: Vec<u8>,
    now: Instant,
}

impl Pair {
    fn new(len: usize, deflate: bool) -> Pair {
        let now = Instant::now();
        let mut n = 0u32;
        let masks = move || {
            n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            n.to_be_bytes()
        };
        Pair {
            client: Session::client(config(len, deflate), masks, now),
            server: Session::server(config(len, deflate), now),
            wire: Vec::with_capacity(2 * len + 64),
            now,
        }
    }

    fn echo(&mut self, msg: &Bytes) -> usize {
        self.client.send_binary(self.now, msg.clone()).unwrap();
        self.wire.clear();
        self.client.transmit_into(&mut self.wire);
        self.server.handle_input(self.now, &self.wire);
        let Some(Event::Message(m)) = self.server.poll_event() else {
            panic!("server got no message")
        };
        self.server.send(self.now, m).unwrap();
        self.wire.clear();
        self.server.transmit_into(&mut self.wire);
        self.client.handle_input(self.now, &self.wire);
        let Some(Event::Message(m)) = self.client.poll_event() else {
            panic!("client got no message")
        };
        m.as_bytes().len()
    }
}

/// One direction of an in-memory duplex stream.
type Pipe = Rc<RefCell<VecDeque<u8>>>;

/// One end of an in-memory duplex: reads `rx`, writes `tx`; an empty `rx` is
/// `WouldBlock`, as a non-blocking socket.
struct Duplex {
    rx: Pipe,
    tx: Pipe,
}

impl Read for Duplex {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rx = self.rx.borrow_mut();
        if rx.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        rx.read(buf)
    }
}

impl Write for Duplex {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.borrow_mut().extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct TungPair {
    client: tungstenite::WebSocket<Duplex>,
    server: tungstenite::WebSocket<Duplex>,
}

impl TungPair {
    fn new() -> TungPair {
        use tungstenite::protocol::Role;
        let a: Pipe = Rc::default();
        let b: Pipe = Rc::default();
        let client = Duplex {
            rx: a.clone(),
            tx: b.clone(),
        };
        let server = Duplex { rx: b, tx: a };
        TungPair {
            client: tungstenite::WebSocket::from_raw_socket(client, Role::Client, None),
            server: tungstenite::WebSocket::from_raw_socket(server, Role::Server, None),
        }
    }

    fn echo(&mut self, msg: &tungstenite::Bytes) -> usize {
        use tungstenite::Message;
        self.client.send(Message::Binary(msg.clone())).unwrap();
        let m = self.server.read().unwrap();
        self.server.send(m).unwrap();
        match self.client.read().unwrap() {
            Message::Binary(b) => b.len(),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_echo");
    group.throughput(Throughput::Elements(1));
    for (len, name) in SIZES {
        let data = payload(len);
        let ours = Bytes::from(data.clone());
        let theirs = tungstenite::Bytes::from(data.clone());
        group.bench_with_input(BenchmarkId::new("ws-session", name), &len, |b, _| {
            let mut pair = Pair::new(len, false);
            b.iter(|| black_box(pair.echo(&ours)))
        });
        group.bench_with_input(
            BenchmarkId::new("ws-session-deflate", name),
            &len,
            |b, _| {
                let mut pair = Pair::new(len, true);
                b.iter(|| black_box(pair.echo(&ours)))
            },
        );
        group.bench_with_input(BenchmarkId::new("tungstenite", name), &len, |b, _| {
            let mut pair = TungPair::new();
            b.iter(|| black_box(pair.echo(&theirs)))
        });
    }
    group.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);
