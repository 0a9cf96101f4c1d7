//! Streaming in bounded memory: a 1 GiB message sent through the `MessageWriter`
//! and received as parts with `next_part`, once in each direction (client to server,
//! server to client), with the process's resident memory sampled all along: its
//! growth must stay under 32 MiB. (One test binary of its own, so no other test's
//! memory is counted.)

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::{link, pattern_slice, websocket, Link, Role};
use tokio::io::AsyncWriteExt;
use ws_session::{Delivery, MessageKind, SessionConfig};

const GIB: u64 = 1 << 30;
const CHUNK: usize = 64 * 1024;
const LIMIT: u64 = 32 << 20;

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kb * 1024
}

/// Samples the RSS every millisecond until stopped; returns the peak.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss()));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        Sampler {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn peak(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.peak.load(Ordering::Relaxed)
    }
}

/// Sends 1 GiB from a `sender` of role `from` to a receiver of the other role, which
/// takes parts and checks every byte against the pattern; returns the RSS growth.
async fn one_gigabyte(from: Role) -> u64 {
    let (a, b) = link(Link::Loopback).await;
    // The message limit of the receiver is raised past 1 GiB; its parts are at most
    // 64 KiB (partial delivery with a 64 KiB buffer).
    let receiving = SessionConfig::default()
        .with_max_message_size(2 * GIB)
        .with_binary_delivery(Delivery::Partial)
        .with_binary_buffer_size(CHUNK);
    let mut sender = websocket(from, a, SessionConfig::default());
    let mut receiver = websocket(from.peer(), b, receiving);
    // Warm up both ends (first buffers, thread-local read buffer) before the baseline.
    sender.send("warm-up".into()).await.unwrap();
    let warm = receiver.next_part().await.unwrap().unwrap();
    assert!(warm.last);
    let baseline = rss();
    let sampler = Sampler::start();

    let receiving = tokio::spawn(async move {
        let mut offset = 0u64;
        loop {
            let part = receiver.next_part().await.unwrap().unwrap();
            assert_eq!(part.kind, MessageKind::Binary);
            assert!(
                part.data.len() <= CHUNK,
                "a part of {} bytes",
                part.data.len()
            );
            // Compare in place, without keeping anything.
            let expected = pattern_slice(offset, part.data.len());
            assert!(part.data[..] == *expected, "bytes differ at {offset}");
            offset += part.data.len() as u64;
            if part.last {
                break;
            }
        }
        receiver.close().await.unwrap();
        while receiver.next().await.is_some() {}
        offset
    });
    let mut writer = sender.send_writer(MessageKind::Binary);
    let mut offset = 0u64;
    while offset < GIB {
        writer
            .write_all(pattern_slice(offset, CHUNK))
            .await
            .unwrap();
        offset += CHUNK as u64;
    }
    writer.shutdown().await.unwrap();
    while sender.next().await.is_some() {}
    assert_eq!(receiving.await.unwrap(), GIB);
    sampler.peak().saturating_sub(baseline)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_each_way_in_bounded_memory() {
    for from in [Role::Client, Role::Server] {
        let growth = one_gigabyte(from).await;
        eprintln!(
            "1 GiB from the {from:?}: peak RSS growth {:.1} MiB",
            growth as f64 / (1 << 20) as f64
        );
        assert!(
            growth < LIMIT,
            "1 GiB from the {from:?}: RSS grew by {growth} bytes (limit {LIMIT})"
        );
    }
}
