//! What a compressor's window costs and buys, message by message: compresses a
//! stream of messages with context takeover (one raw-deflate stream, a sync flush
//! after each message, as permessage-deflate does) at memLevel 7 and, by default,
//! level 6 (as ws-session does), once per window size, and prints the time and the
//! compressed bytes per message.
//!
//! ```text
//! cargo run --release -p ws-benches --example deflate_window -- SOURCE SIZE [BITS...] [--level N]
//! ```
//!
//! `SOURCE` is a file (cut into consecutive messages of `SIZE` bytes, cycled until
//! about 4 MB have been compressed), or one of `ws-loadgen`'s JSON-like text
//! layouts: `loadgen` (its messages as they are now, bodies that share nothing
//! within a window) or `shifted` (its layout until 2026-12-06: each body the one
//! before shifted by a byte). `BITS` defaults to `12 13 15`. With `--sizes`, the
//! compressed size of each of the first 40 messages is printed instead. `--level N`
//! (0 to 9) compresses at level `N` instead of 6.
//!
//! The figures in docs/performance.md (2026-12-06) come from this program.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use ws_loadgen::payload::{Pattern, PayloadKind, PERIOD};
use zlib_rs::{Deflate, DeflateConfig, DeflateFlush};

/// Bytes compressed per window size, about.
const TOTAL: usize = 4_000_000;
/// Messages whose sizes `--sizes` prints.
const SHOWN: usize = 40;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes_only = args.iter().any(|a| a == "--sizes");
    let level_at = args.iter().position(|a| a == "--level");
    let level = match level_at.map(|at| args.get(at + 1).map(|l| l.parse::<i32>())) {
        None => 6,
        Some(Some(Ok(level @ 0..=9))) => level,
        Some(_) => {
            eprintln!("--level takes a number from 0 to 9");
            return ExitCode::from(2);
        }
    };
    // The positional arguments: all but `--sizes` and `--level N`.
    let rest: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| a != "--sizes" && level_at.is_none_or(|at| i != at && i != at + 1))
        .map(|(_, a)| a)
        .collect();
    let (Some(source), Some(Ok(size))) = (rest.first(), rest.get(1).map(|s| s.parse::<usize>()))
    else {
        eprintln!("usage: deflate_window SOURCE SIZE [BITS...] [--sizes] [--level N]  (SOURCE: a file, loadgen or shifted)");
        return ExitCode::from(2);
    };
    let bits: Vec<u8> = match rest[2..].iter().map(|b| b.parse()).collect() {
        Ok(b) if !rest[2..].is_empty() => b,
        Ok(_) => vec![12, 13, 15],
        Err(_) => {
            eprintln!("BITS are numbers from 9 to 15");
            return ExitCode::from(2);
        }
    };
    let messages = match messages(source, size) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{source}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for bits in bits {
        let mut compressor = Deflate::new_with_config(DeflateConfig {
            level,
            window_bits: -i32::from(bits.clamp(9, 15)),
            mem_level: 7,
            ..DeflateConfig::default()
        });
        let mut out = vec![0u8; size * 2 + 64];
        if sizes_only {
            let sizes: Vec<u64> = messages
                .iter()
                .cycle()
                .take(SHOWN)
                .map(|m| compress(&mut compressor, m, &mut out))
                .collect();
            println!("{bits} bits: {sizes:?}");
            continue;
        }
        let count = (TOTAL / size).max(messages.len());
        let start = Instant::now();
        let compressed: u64 = messages
            .iter()
            .cycle()
            .take(count)
            .map(|m| compress(&mut compressor, m, &mut out))
            .sum();
        let elapsed = start.elapsed();
        println!(
            "{source} {size} B, {bits} bits, level {level}: {:.2} us a message, {:.1} bytes a message ({:.3} of the input)",
            elapsed.as_secs_f64() * 1e6 / count as f64,
            compressed as f64 / count as f64,
            compressed as f64 / (count * size) as f64,
        );
    }
    ExitCode::SUCCESS
}

/// Compresses one message with a sync flush; returns the bytes it produced.
fn compress(compressor: &mut Deflate, message: &[u8], out: &mut [u8]) -> u64 {
    let before = compressor.total_out();
    let _ = compressor.compress(message, out, DeflateFlush::SyncFlush);
    compressor.total_out() - before
}

/// The messages of `source`, each `size` bytes.
fn messages(source: &str, size: usize) -> Result<Vec<Vec<u8>>, String> {
    match source {
        "loadgen" | "shifted" => {
            let pattern =
                Pattern::with_kind(size, PayloadKind::Text, PERIOD).map_err(|e| e.to_string())?;
            let count = pattern.period();
            Ok((0..count)
                .map(|seq| {
                    if source == "loadgen" {
                        return pattern.message(seq);
                    }
                    // The old layout: the body at offset `seq % 251` of the pattern.
                    let mut m = pattern.seq_bytes(seq).to_vec();
                    let start = (seq % PERIOD) as usize;
                    m.extend_from_slice(&pattern.bytes()[start..start + size - m.len()]);
                    m
                })
                .collect())
        }
        path => {
            let data = std::fs::read(path).map_err(|e| e.to_string())?;
            if data.len() < size || size == 0 {
                return Err(format!(
                    "{} bytes, fewer than one message of {size}",
                    data.len()
                ));
            }
            Ok(data.chunks_exact(size).map(<[u8]>::to_vec).collect())
        }
    }
}
