//! Fan-out mode: one publisher, N subscribers; deliveries per second and the time
//! from publish to receipt.
//!
//! The subscribers connect to `--url` (a pub/sub endpoint that subscribes every
//! connection), the publisher to `--publish-url` (one that does not subscribe it
//! and broadcasts what it receives to every subscriber). Each message carries its
//! sequence number and the time it was written (nanoseconds since the run's start,
//! big-endian, 16 bytes; the rest is padding up to `--size`), so a subscriber
//! measures publish-to-receive latency on the generator's one clock.
//!
//! The publisher keeps at most `--window` messages in flight: it publishes message
//! `k` only when message `k - window` has reached every subscriber. So the server
//! runs flat out, no queue grows without bound, and a server that drops messages
//! is seen: a message that has not reached every subscriber within
//! [`LOST_AFTER`] is counted lost (per missing delivery) and the window moves on.
//! A subscriber that gets a message twice, or out of order, fails the run.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use ws_frame::{Decoded, FrameHeader, OpCode};

use crate::conn::Conn;
use crate::encode::push_frame;
use crate::error::LoadError;
use crate::payload::PayloadKind;
use crate::pool::OPEN_CONCURRENCY;
use crate::rng::Rng;
use crate::stats::{summarize, Summary};
use crate::target::Target;
use crate::wire::Wires;

/// Bytes of sequence number and timestamp at the start of every message.
pub const HEAD: usize = 16;
/// A message that has not reached every subscriber within this long is lost
/// (far above any delivery time measured: a late message is not a lost one).
pub const LOST_AFTER: Duration = Duration::from_secs(10);
/// Receipt counters kept (a ring indexed by sequence number); more than the
/// largest window.
const RING: usize = 1 << 16;
/// The largest window accepted.
pub const MAX_WINDOW: usize = RING / 2;
/// Latency samples kept in all (bounds memory: 8 bytes each), shared out evenly
/// between the subscribers.
const MAX_SAMPLES: usize = 2_000_000;
/// The wait between the last subscriber's handshake and the first publish, so
/// that servers which subscribe a connection after its handshake have done so.
const SETTLE: Duration = Duration::from_millis(500);

/// What to run.
#[derive(Clone, Debug)]
pub struct FanoutConfig {
    /// Where the subscribers connect.
    pub subscribe: Target,
    /// Where the publisher connects.
    pub publish: Target,
    /// A name for the server in reports.
    pub label: String,
    /// Subscriber connections.
    pub subscribers: usize,
    /// Bytes per message (at least [`HEAD`]).
    pub size: usize,
    /// Messages in flight.
    pub window: usize,
    /// Warm-up (not measured).
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// The server's pid, for its CPU time over the window.
    pub server_pid: Option<u32>,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct FanoutReport {
    /// The server's name.
    pub label: String,
    /// Subscriber connections.
    pub subscribers: usize,
    /// Bytes per message.
    pub size: usize,
    /// Messages published in the window.
    pub published: u64,
    /// Deliveries (messages received by a subscriber) per second in the window.
    pub deliveries_per_sec: f64,
    /// Deliveries missing after [`LOST_AFTER`], over the whole run.
    pub lost: u64,
    /// Publish-to-receive times in nanoseconds (a sample of the deliveries in the
    /// window).
    pub nanos: Summary,
    /// Deliveries per second of the server's CPU time, if its pid was given.
    pub per_server_cpu_sec: Option<f64>,
}

fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

impl FanoutReport {
    /// A human-readable table.
    pub fn table(&self) -> String {
        format!(
            "| server | subscribers | size (B) | published | deliveries/s | lost | p50 (us) | p99 (us) |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n\
             | {} | {} | {} | {} | {:.0} | {} | {:.1} | {:.1} |",
            self.label,
            self.subscribers,
            self.size,
            self.published,
            self.deliveries_per_sec,
            self.lost,
            micros(self.nanos.p50),
            micros(self.nanos.p99),
        )
    }

    /// One JSON object.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "mode": "fanout",
            "server": self.label,
            "subscribers": self.subscribers,
            "size": self.size,
            "published": self.published,
            "deliveries_per_sec": self.deliveries_per_sec,
            "deliveries_per_server_cpu_sec": self.per_server_cpu_sec,
            "lost": self.lost,
            "samples": self.nanos.count,
            "p50_us": micros(self.nanos.p50),
            "p90_us": micros(self.nanos.p90),
            "p99_us": micros(self.nanos.p99),
            "max_us": micros(self.nanos.max),
        })
    }
}

/// What the subscribers and the publisher share.
struct Shared {
    start: Instant,
    subscribers: u32,
    /// Receipts of message `seq` at `seq % RING`.
    receipts: Vec<AtomicU32>,
    /// A message reached its last subscriber.
    completed: Notify,
    delivered: AtomicU64,
    /// Latencies are recorded (the measured window).
    recording: AtomicBool,
    stop: AtomicBool,
    stopped: Notify,
    /// Latency samples one subscriber keeps.
    samples_each: usize,
}

impl Shared {
    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// Runs the fan-out measurement, bounded by warm-up + window + a minute.
pub async fn run(config: &FanoutConfig) -> Result<FanoutReport, LoadError> {
    if config.size < HEAD || !(1..=MAX_WINDOW).contains(&config.window) {
        return Err(LoadError::Usage(format!(
            "fanout needs --size of at least {HEAD} and --window from 1 to {MAX_WINDOW}"
        )));
    }
    let shared = Arc::new(Shared {
        start: Instant::now(),
        subscribers: u32::try_from(config.subscribers)
            .map_err(|_| LoadError::Usage("too many subscribers".into()))?,
        receipts: (0..RING).map(|_| AtomicU32::new(0)).collect(),
        completed: Notify::new(),
        delivered: AtomicU64::new(0),
        recording: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        stopped: Notify::new(),
        samples_each: (MAX_SAMPLES / config.subscribers.max(1)).max(1),
    });
    let bound = config.warmup + config.duration + Duration::from_secs(60);
    tokio::time::timeout(bound, measure(config, shared))
        .await
        .map_err(|_| LoadError::Timeout("fanout run"))?
}

async fn measure(config: &FanoutConfig, shared: Arc<Shared>) -> Result<FanoutReport, LoadError> {
    // Any payload: the connections only use the handshake (deflate is not offered).
    let wires = Wires::new(HEAD, PayloadKind::Binary, false)?;
    let streams = open(&config.subscribe, &wires, config.subscribers).await?;
    let mut readers = JoinSet::new();
    for stream in streams {
        readers.spawn(subscriber(stream, Arc::clone(&shared)));
    }
    let mut publisher = Conn::open(&config.publish, &wires, u64::MAX, false).await?;
    tokio::time::sleep(SETTLE).await;

    let mut rng = Rng::seeded(7);
    let mut out = Vec::with_capacity(config.size + 14);
    let (mut seq, mut oldest, mut lost) = (0u64, 0u64, 0u64);
    let warm_end = Instant::now() + config.warmup;
    let mut window_start: Option<(Instant, u64, u64, u64)> = None;
    let end = warm_end + config.duration;
    loop {
        let now = Instant::now();
        if window_start.is_none() && now >= warm_end {
            let cpu = config
                .server_pid
                .and_then(|p| crate::cpu::cpu_nanos(p).ok());
            shared.recording.store(true, Ordering::Release);
            window_start = Some((
                now,
                shared.delivered.load(Ordering::Acquire),
                seq,
                cpu.unwrap_or(0),
            ));
        }
        if now >= end {
            break;
        }
        // The window: wait until the oldest message in flight reached everyone.
        while seq - oldest >= config.window as u64 {
            let slot = &shared.receipts[(oldest as usize) % RING];
            let notified = shared.completed.notified();
            if slot.load(Ordering::Acquire) >= shared.subscribers {
                oldest += 1;
                continue;
            }
            if tokio::time::timeout(LOST_AFTER, notified).await.is_err()
                && slot.load(Ordering::Acquire) < shared.subscribers
            {
                lost += u64::from(shared.subscribers - slot.load(Ordering::Acquire));
                oldest += 1;
            }
            reader_failure(&mut readers)?;
        }
        shared.receipts[(seq as usize) % RING].store(0, Ordering::Release);
        out.clear();
        let stamp = shared.now();
        push_frame(&mut out, OpCode::Binary, config.size, rng.mask(), |o| {
            o.extend_from_slice(&seq.to_be_bytes());
            o.extend_from_slice(&stamp.to_be_bytes());
            o.resize(o.len() + config.size - HEAD, b'.');
        });
        publisher.stream.write_all(&out).await?;
        seq += 1;
    }
    let (started, delivered_before, seq_before, cpu_before) =
        window_start.ok_or(LoadError::Usage("no measured window".into()))?;
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = shared.delivered.load(Ordering::Acquire) - delivered_before;
    let cpu_after = config
        .server_pid
        .and_then(|p| crate::cpu::cpu_nanos(p).ok());
    shared.recording.store(false, Ordering::Release);
    shared.stop.store(true, Ordering::Release);
    shared.stopped.notify_waiters();
    let mut samples = Vec::new();
    while let Some(result) = readers.join_next().await {
        samples.extend(result.map_err(|e| LoadError::Task(e.to_string()))??);
    }
    let nanos = summarize(&mut samples).ok_or(LoadError::Usage(
        "no message was received in the window".into(),
    ))?;
    let deliveries_per_sec = delivered as f64 / elapsed;
    let per_server_cpu_sec = cpu_after.map(|after| {
        let secs = (after.saturating_sub(cpu_before)) as f64 / 1e9;
        delivered as f64 / secs.max(1e-9)
    });
    Ok(FanoutReport {
        label: config.label.clone(),
        subscribers: config.subscribers,
        size: config.size,
        published: seq - seq_before,
        deliveries_per_sec,
        lost,
        nanos,
        per_server_cpu_sec,
    })
}

/// The first failure of a subscriber task, if one has ended.
fn reader_failure(readers: &mut JoinSet<Result<Vec<u64>, LoadError>>) -> Result<(), LoadError> {
    match readers.try_join_next() {
        None => Ok(()),
        Some(Ok(Ok(_))) => Err(LoadError::Closed("a subscriber ended early".into())),
        Some(Ok(Err(e))) => Err(e),
        Some(Err(e)) => Err(LoadError::Task(e.to_string())),
    }
}

/// Opens `count` subscriber connections, [`OPEN_CONCURRENCY`] at a time.
async fn open(
    target: &Target,
    wires: &Arc<Wires>,
    count: usize,
) -> Result<Vec<TcpStream>, LoadError> {
    let permits = Arc::new(Semaphore::new(OPEN_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let (target, wires, permits) = (target.clone(), wires.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Task(e.to_string()))?;
            let conn = Conn::open(&target, &wires, index as u64, false).await?;
            Ok::<_, LoadError>(conn.stream)
        });
    }
    let mut streams = Vec::with_capacity(count);
    while let Some(result) = tasks.join_next().await {
        streams.push(result.map_err(|e| LoadError::Task(e.to_string()))??);
    }
    Ok(streams)
}

/// One subscriber: reads frames, counts receipts, samples latencies in the
/// window; returns the samples when stopped.
async fn subscriber(mut stream: TcpStream, shared: Arc<Shared>) -> Result<Vec<u64>, LoadError> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut filled, mut expected) = (0usize, None::<u64>);
    let mut samples = Vec::new();
    loop {
        let stopped = shared.stopped.notified();
        if shared.stop.load(Ordering::Acquire) {
            return Ok(samples);
        }
        if filled == buf.len() {
            return Err(LoadError::Usage("a message larger than 64 KiB".into()));
        }
        let n = tokio::select! {
            n = stream.read(&mut buf[filled..]) => n?,
            _ = stopped => return Ok(samples),
        };
        if n == 0 {
            return Err(LoadError::Closed("end of stream".into()));
        }
        filled += n;
        let mut at = 0;
        while let Ok(Decoded::Complete(header, len)) = FrameHeader::decode(&buf[at..filled]) {
            let end = at + len + header.payload_len as usize;
            if end > filled {
                break;
            }
            let payload = &buf[at + len..end];
            match header.opcode {
                OpCode::Binary | OpCode::Text if payload.len() >= HEAD => {
                    let seq = u64::from_be_bytes(payload[..8].try_into().unwrap_or_default());
                    let stamp = u64::from_be_bytes(payload[8..16].try_into().unwrap_or_default());
                    if expected.is_some_and(|e| seq < e) {
                        return Err(LoadError::Closed(format!(
                            "message {seq} after {} (duplicated or reordered)",
                            expected.unwrap_or_default() - 1
                        )));
                    }
                    expected = Some(seq + 1);
                    let count =
                        shared.receipts[(seq as usize) % RING].fetch_add(1, Ordering::AcqRel) + 1;
                    if count == shared.subscribers {
                        shared.completed.notify_one();
                    }
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                    if shared.recording.load(Ordering::Relaxed)
                        && samples.len() < shared.samples_each
                    {
                        samples.push(shared.now().saturating_sub(stamp));
                    }
                }
                OpCode::Close => return Err(LoadError::Closed("close frame".into())),
                // Pings are not answered: the servers measured send none.
                _ => {}
            }
            at = end;
        }
        buf.copy_within(at..filled, 0);
        filled -= at;
    }
}
