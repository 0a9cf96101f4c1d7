//! Opening-handshake benchmarks: ws-handshake against tungstenite on the same bytes,
//! and byte-by-byte feeding of 1 KiB and 64 KiB heads to show linear time.
//!
//! * `server_upgrade`: a Chromium upgrade request parsed, validated and answered
//!   with a 101 written to bytes. ws-handshake also negotiates permessage-deflate
//!   (tungstenite 0.28 has no extension negotiation in its handshake), so a row with
//!   deflate disabled is given too. tungstenite: `Request::try_parse` (httparse into
//!   `http::Request`), `create_response`, `write_response` into a `Vec`.
//! * `feed_byte_by_byte`: a head of 1 KiB or 64 KiB (many `X-Pad` fields) pushed one
//!   byte per call; throughput is per byte, so equal per-byte times mean linear cost.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tungstenite::handshake::machine::TryParse;
use ws_handshake::{DeflateConfig, Limits, ServerConfig, ServerHandshake};

/// What Chromium 120 sends for `new WebSocket("ws://example.com:8080/chat")`.
const CHROMIUM: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: example.com:8080\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://example.com:8080\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: session=8f2b1c0d9e7a6b5c4d3e2f1a; theme=dark\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

fn ours(config: &ServerConfig) -> Vec<u8> {
    let mut h = ServerHandshake::new(config.limits);
    let req = h.handle_input(black_box(CHROMIUM)).unwrap().unwrap();
    req.accept(config).response()
}

fn tungstenite_server() -> Vec<u8> {
    let (_, req) = tungstenite::handshake::server::Request::try_parse(black_box(CHROMIUM))
        .unwrap()
        .unwrap();
    let resp = tungstenite::handshake::server::create_response(&req).unwrap();
    let mut out = Vec::with_capacity(160);
    tungstenite::handshake::server::write_response(&mut out, &resp).unwrap();
    out
}

fn server_upgrade(c: &mut Criterion) {
    let with_deflate = ServerConfig::default();
    let without_deflate = ServerConfig {
        deflate: DeflateConfig::disabled(),
        ..ServerConfig::default()
    };
    // Both answer the same accept key.
    assert!(String::from_utf8(ours(&with_deflate))
        .unwrap()
        .contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert!(String::from_utf8(tungstenite_server())
        .unwrap()
        .contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

    let mut group = c.benchmark_group("server_upgrade");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ws-handshake", |b| b.iter(|| ours(&with_deflate)));
    group.bench_function("ws-handshake (deflate off)", |b| {
        b.iter(|| ours(&without_deflate))
    });
    group.bench_function("tungstenite", |b| b.iter(tungstenite_server));
    group.finish();
}

/// A valid upgrade request padded with `X-Pad` fields to `size` bytes.
fn padded_request(size: usize) -> Vec<u8> {
    let base = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let mut out = base.to_vec();
    let mut i = 0;
    while out.len() + 2 < size {
        let room = size - 2 - out.len();
        let line = format!("X-Pad-{i}: {}\r\n", "a".repeat(40));
        if line.len() <= room {
            out.extend_from_slice(line.as_bytes());
        } else if room >= 12 {
            let short = format!("X-E: {}\r\n", "b".repeat(room - 7));
            out.extend_from_slice(short.as_bytes());
        } else {
            // Too little room for a field: lengthen the key's neighbour instead.
            out.truncate(out.len() - 2);
            out.extend_from_slice(&b"c".repeat(room));
            out.extend_from_slice(b"\r\n");
        }
        i += 1;
    }
    out.extend_from_slice(b"\r\n");
    assert_eq!(out.len(), size);
    out
}

fn feed_byte_by_byte(c: &mut Criterion) {
    let limits = Limits {
        max_header_bytes: 128 * 1024,
        max_headers: 4096,
    };
    let mut group = c.benchmark_group("feed_byte_by_byte");
    for size in [1024, 64 * 1024] {
        let wire = padded_request(size);
        // Sanity: the padded head is accepted when fed byte by byte.
        let mut h = ServerHandshake::new(limits);
        let last = wire
            .iter()
            .map(|b| h.handle_input(std::slice::from_ref(b)))
            .last();
        assert!(matches!(last, Some(Ok(Some(_)))));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ws-handshake", size), &wire, |b, wire| {
            b.iter(|| {
                let mut h = ServerHandshake::new(limits);
                let mut done = None;
                for byte in wire {
                    if let Some(req) = h.handle_input(std::slice::from_ref(byte)).unwrap() {
                        done = Some(req);
                    }
                }
                black_box(done.unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, server_upgrade, feed_byte_by_byte);
criterion_main!(benches);
