//! Frame codec benchmarks: ws-frame against tungstenite and fastwebsockets, with
//! `memcpy` of the same sizes as the hardware reference, all in one run.
//!
//! What each peer row measures (their public APIs differ):
//! * `header_decode`: 1000 masked 4-byte frames decoded back to back from one buffer;
//!   ws-frame `FrameHeader::decode`, tungstenite `FrameHeader::parse` (header only).
//! * `frame_read`: the same stream, header decode plus payload unmasking; ws-frame by
//!   hand, fastwebsockets through `WebSocket::read_frame` over an in-memory stream
//!   (its header parser is not public), which also copies into its read buffer.
//! * `header_encode`: three headers (7-bit, 16-bit, 64-bit lengths, masked).
//! * `unmask`: in place; tungstenite's mask function is private (fastwebsockets'
//!   is derived from it, as its source says), so fastwebsockets stands for both.
//! * `utf8`: tungstenite validates with `std::str::from_utf8`, fastwebsockets and
//!   ws-frame with `simdutf8`.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const FRAMES: usize = 1000;

/// `FRAMES` masked binary frames with 4-byte payloads, as a client sends them.
fn frame_stream() -> Vec<u8> {
    let mut wire = Vec::with_capacity(FRAMES * 10);
    for i in 0..FRAMES {
        wire.extend_from_slice(&[0x82, 0x84]);
        wire.extend_from_slice(&KEY);
        wire.extend_from_slice(&(i as u32).to_be_bytes());
    }
    wire
}

fn header_decode(c: &mut Criterion) {
    let wire = frame_stream();
    let mut group = c.benchmark_group("header_decode");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.bench_function("ws-frame", |b| {
        b.iter(|| {
            let mut at = 0;
            let mut total = 0u64;
            while at < wire.len() {
                match ws_frame::FrameHeader::decode(&wire[at..]) {
                    Ok(ws_frame::Decoded::Complete(h, n)) => {
                        total += h.payload_len;
                        at += n + h.payload_len as usize;
                    }
                    _ => unreachable!(),
                }
            }
            black_box(total)
        })
    });
    group.bench_function("tungstenite", |b| {
        b.iter(|| {
            let mut cursor = Cursor::new(&wire[..]);
            let mut total = 0u64;
            while (cursor.position() as usize) < wire.len() {
                let (_h, len) = tungstenite::protocol::frame::FrameHeader::parse(&mut cursor)
                    .expect("valid")
                    .expect("complete");
                total += len;
                cursor.set_position(cursor.position() + len);
            }
            black_box(total)
        })
    });
    group.finish();
}

fn frame_read(c: &mut Criterion) {
    let wire = frame_stream();
    let mut group = c.benchmark_group("frame_read");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.bench_function("ws-frame", |b| {
        b.iter_batched_ref(
            || wire.clone(),
            |buf| {
                let mut at = 0;
                let mut total = 0u64;
                while at < buf.len() {
                    let Ok(ws_frame::Decoded::Complete(h, n)) =
                        ws_frame::FrameHeader::decode(&buf[at..])
                    else {
                        unreachable!()
                    };
                    let start = at + n;
                    let end = start + h.payload_len as usize;
                    if let Some(key) = h.mask {
                        ws_frame::apply_mask(&mut buf[start..end], key, 0);
                    }
                    total += u64::from(buf[start]);
                    at = end;
                }
                black_box(total)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("fastwebsockets", |b| {
        b.iter_batched(
            || {
                fastwebsockets::WebSocket::after_handshake(
                    Cursor::new(wire.clone()),
                    fastwebsockets::Role::Server,
                )
            },
            |mut ws| {
                futures::executor::block_on(async {
                    let mut total = 0u64;
                    for _ in 0..FRAMES {
                        let frame = ws.read_frame().await.expect("valid frame");
                        total += u64::from(frame.payload[0]);
                    }
                    black_box(total)
                })
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn header_encode(c: &mut Criterion) {
    let lens = [100u64, 1000, 100_000];
    let mut group = c.benchmark_group("header_encode");
    group.throughput(Throughput::Elements(lens.len() as u64));
    group.bench_function("ws-frame", |b| {
        let mut out = [0u8; ws_frame::MAX_HEADER_LEN];
        b.iter(|| {
            let mut total = 0;
            for len in lens {
                let mut h = ws_frame::FrameHeader::new(ws_frame::OpCode::Binary, black_box(len));
                h.mask = Some(KEY);
                total += h.encode(&mut out);
                black_box(&out);
            }
            total
        })
    });
    group.bench_function("tungstenite", |b| {
        use tungstenite::protocol::frame::{coding, FrameHeader};
        let mut out = [0u8; 14];
        b.iter(|| {
            let mut total = 0;
            for len in lens {
                let h = FrameHeader {
                    opcode: coding::OpCode::Data(coding::Data::Binary),
                    mask: Some(KEY),
                    ..FrameHeader::default()
                };
                let mut cursor = &mut out[..];
                h.format(black_box(len), &mut cursor).expect("fits");
                total += 14 - cursor.len();
                black_box(&out);
            }
            total
        })
    });
    group.bench_function("fastwebsockets", |b| {
        let payloads: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0u8; n as usize]).collect();
        let mut out = [0u8; 14];
        b.iter(|| {
            let mut total = 0;
            for p in &payloads {
                let mut frame = fastwebsockets::Frame::new(
                    true,
                    fastwebsockets::OpCode::Binary,
                    Some(KEY),
                    fastwebsockets::Payload::Borrowed(black_box(p)),
                );
                total += frame.fmt_head(&mut out);
                black_box(&out);
            }
            total
        })
    });
    group.finish();
}

const MASK_SIZES: [usize; 5] = [16, 125, 1024, 64 * 1024, 1024 * 1024];

fn unmask(c: &mut Criterion) {
    let mut group = c.benchmark_group("unmask");
    for size in MASK_SIZES {
        let mut buf = vec![0x5Au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ws-frame", size), &size, |b, _| {
            b.iter(|| ws_frame::apply_mask(black_box(&mut buf), KEY, 0))
        });
        group.bench_with_input(BenchmarkId::new("fastwebsockets", size), &size, |b, _| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), KEY))
        });
        let src = vec![0xA5u8; size];
        group.bench_with_input(BenchmarkId::new("memcpy", size), &size, |b, _| {
            b.iter(|| black_box(&mut buf[..]).copy_from_slice(black_box(&src)))
        });
    }
    group.finish();
}

/// Realistic text: mostly ASCII with some two-, three- and four-byte characters.
fn text(len: usize) -> Vec<u8> {
    let pattern = "The quick brown fox — naïve café, 日本語テキスト, emoji 🦀🚀. ";
    let mut s = String::with_capacity(len + pattern.len());
    while s.len() < len {
        s.push_str(pattern);
    }
    while s.len() > len {
        s.pop();
    }
    s.into_bytes()
}

fn utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("utf8");
    for size in [1024usize, 64 * 1024] {
        let data = text(size);
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_with_input(BenchmarkId::new("ws-frame", size), &data, |b, d| {
            b.iter(|| ws_frame::validate_utf8(black_box(d)).is_ok())
        });
        group.bench_with_input(
            BenchmarkId::new("ws-frame-incremental", size),
            &data,
            |b, d| {
                b.iter(|| {
                    let mut v = ws_frame::Utf8Validator::new();
                    v.feed(black_box(d)).and_then(|()| v.finish()).is_ok()
                })
            },
        );
        let t_frame = tungstenite::protocol::frame::Frame::message(
            data.clone(),
            tungstenite::protocol::frame::coding::OpCode::Data(
                tungstenite::protocol::frame::coding::Data::Text,
            ),
            true,
        );
        group.bench_with_input(BenchmarkId::new("tungstenite", size), &t_frame, |b, f| {
            b.iter(|| black_box(f).to_text().is_ok())
        });
        let f_frame = fastwebsockets::Frame::text(fastwebsockets::Payload::Borrowed(&data));
        group.bench_with_input(
            BenchmarkId::new("fastwebsockets", size),
            &f_frame,
            |b, f| b.iter(|| black_box(f).is_utf8()),
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    header_decode,
    frame_read,
    header_encode,
    unmask,
    utf8
);
criterion_main!(benches);
