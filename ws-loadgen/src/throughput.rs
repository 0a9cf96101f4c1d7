//! Throughput mode: N connections, each keeping K messages in flight (pipelined),
//! every echo checked; echoed messages per second over a measured window after a
//! warm-up. Messages are binary or JSON-like text, optionally compressed with
//! permessage-deflate (offered as a browser does, and then required).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::conn::{write_failed, Conn};
use crate::cpu::cpu_nanos;
use crate::encode::push_pong;
use crate::error::LoadError;
use crate::outbox::{MaskedWire, Outbox};
use crate::payload::PayloadKind;
use crate::pool::{open_all, wait_or_fail};
use crate::rng::Rng;
use crate::target::Target;
use crate::wire::Wires;

/// After the window, how long connections may take to receive their last echoes.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Encoded bytes waiting to be written below which another message is encoded.
const REFILL_BELOW: usize = 64 * 1024;

/// Read buffer per connection.
const READ_BUF: usize = 64 * 1024;
/// The boundary the read buffer starts on.
const CACHE_LINE: usize = 64;

/// What to run.
#[derive(Clone, Debug)]
pub struct ThroughputConfig {
    /// The server.
    pub target: Target,
    /// A name for the server in reports.
    pub label: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Messages each connection keeps in flight.
    pub in_flight: usize,
    /// Bytes per message.
    pub size: usize,
    /// Binary (random bytes) or text (JSON-like) messages.
    pub kind: PayloadKind,
    /// Offer permessage-deflate, compress what is sent and inflate what comes back;
    /// the run fails if the server declines.
    pub deflate: bool,
    /// Warm-up before the window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// The server's process id, to read its CPU time over the window.
    pub server_pid: Option<u32>,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ThroughputReport {
    /// The server's name.
    pub label: String,
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub in_flight: usize,
    /// Bytes per message.
    pub size: usize,
    /// What the messages carried.
    pub kind: PayloadKind,
    /// The server's permessage-deflate answer, if compression was on.
    pub deflate: Option<String>,
    /// Echoes completed (and checked) inside the window.
    pub messages: u64,
    /// The window's actual length in seconds.
    pub seconds: f64,
    /// Echoes completed over the whole run, warm-up and drain included.
    pub total_messages: u64,
    /// How many of them came compressed (permessage-deflate lets a server send any
    /// message uncompressed, and some do below a size).
    pub compressed_echoes: u64,
    /// Connections whose close handshake ended with the server's 1000.
    pub clean_closes: usize,
    /// CPU time the server used during the window, in seconds (with a server pid).
    pub server_cpu_seconds: Option<f64>,
    /// CPU time this generator used during the window, in seconds (all its threads).
    pub generator_cpu_seconds: f64,
}

impl ThroughputReport {
    /// Echoed messages per second.
    pub fn msgs_per_sec(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    /// Echoed payload megabytes (10^6 bytes, one direction) per second.
    pub fn mb_per_sec(&self) -> f64 {
        self.msgs_per_sec() * self.size as f64 / 1e6
    }

    /// Echoed messages per second of server CPU time (with a server pid): the
    /// server's efficiency, much less sensitive than msgs/s to other load on the
    /// machine.
    pub fn msgs_per_server_cpu_sec(&self) -> Option<f64> {
        self.server_cpu_seconds
            .filter(|&s| s > 0.0)
            .map(|s| self.messages as f64 / s)
    }

    /// A human-readable table.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
        format!(
            "| server | conns | in flight | size (B) | kind | deflate | msgs/s | MB/s | window (s) | server CPU (s) | msgs/server CPU-s | generator CPU (s) | clean closes |\n\
             |---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n\
             | {} | {} | {} | {} | {} | {} | {:.0} | {:.1} | {:.2} | {} | {} | {:.2} | {}/{} |",
            self.label,
            self.connections,
            self.in_flight,
            self.size,
            self.kind.name(),
            self.deflate.as_deref().unwrap_or("off"),
            self.msgs_per_sec(),
            self.mb_per_sec(),
            self.seconds,
            opt(self.server_cpu_seconds, 2),
            opt(self.msgs_per_server_cpu_sec(), 0),
            self.generator_cpu_seconds,
            self.clean_closes,
            self.connections
        )
    }

    /// One JSON object (a line for tools to collect).
    pub fn json(&self) -> serde_json::Value {
        json!({
            "mode": "throughput",
            "server": self.label,
            "connections": self.connections,
            "in_flight": self.in_flight,
            "size": self.size,
            "kind": self.kind.name(),
            "deflate": self.deflate,
            "messages": self.messages,
            "seconds": self.seconds,
            "msgs_per_sec": self.msgs_per_sec(),
            "mb_per_sec": self.mb_per_sec(),
            "total_messages": self.total_messages,
            "compressed_echoes": self.compressed_echoes,
            "clean_closes": self.clean_closes,
            "server_cpu_seconds": self.server_cpu_seconds,
            "msgs_per_server_cpu_sec": self.msgs_per_server_cpu_sec(),
            "generator_cpu_seconds": self.generator_cpu_seconds,
        })
    }
}

/// Shared by the connection tasks and the run.
#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    echoed: AtomicU64,
}

/// Runs the throughput measurement. Fails on the first connection error (a failed
/// echo check among them). Bounded: warm-up + window + [`DRAIN_TIMEOUT`] + close.
pub async fn run(config: &ThroughputConfig) -> Result<ThroughputReport, LoadError> {
    if config.connections == 0 || config.in_flight == 0 {
        return Err(LoadError::Usage(
            "connections and in-flight must be at least 1".into(),
        ));
    }
    let wires = Wires::new(config.size, config.kind, config.deflate)?;
    let conns = open_all(&config.target, &wires, config.connections, config.deflate).await?;
    let first = &conns[0];
    let wire = first.wire().clone();
    // Every connection of a server negotiates alike, so all share one wire form.
    if conns.iter().any(|c| !Arc::ptr_eq(c.wire(), &wire)) {
        return Err(LoadError::Usage(
            "connections negotiated different permessage-deflate windows".into(),
        ));
    }
    let deflate = first.deflate().map(|p| p.to_extension().to_string());
    // One masking key for the run's messages (see `outbox`); pongs and closes still
    // draw a fresh key each.
    let key = Rng::seeded(u64::MAX).mask();
    let masked = Arc::new(MaskedWire::new(wire, key));
    let shared = Arc::new(Shared::default());
    let mut tasks = JoinSet::new();
    for mut conn in conns {
        let shared = shared.clone();
        let in_flight = config.in_flight;
        let outbox = Outbox::new(masked.clone());
        tasks.spawn(async move {
            pump(&mut conn, outbox, &shared, in_flight).await?;
            let compressed = conn.rx.compressed_echoes();
            Ok::<_, LoadError>((conn.close().await?, compressed))
        });
    }
    let stop = || shared.stop.store(true, Ordering::Relaxed);
    let started = Instant::now();
    wait_or_fail(&mut tasks, started + config.warmup, &stop).await?;
    let cpu = || config.server_pid.map(cpu_nanos).transpose();
    let cpu_before = cpu()?;
    let own_before = cpu_nanos(std::process::id())?;
    let before = shared.echoed.load(Ordering::Relaxed);
    let window = Instant::now();
    wait_or_fail(&mut tasks, window + config.duration, &stop).await?;
    let messages = shared.echoed.load(Ordering::Relaxed) - before;
    let seconds = window.elapsed().as_secs_f64();
    let generator_cpu_seconds =
        cpu_nanos(std::process::id())?.saturating_sub(own_before) as f64 / 1e9;
    let server_cpu_seconds = match (cpu_before, cpu()?) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e9),
        _ => None,
    };
    stop();
    let (mut clean_closes, mut compressed_echoes) = (0, 0);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT + 2 * crate::conn::CLOSE_TIMEOUT, async {
        while let Some(result) = tasks.join_next().await {
            let (clean, compressed) = result.map_err(|e| LoadError::Task(e.to_string()))??;
            clean_closes += usize::from(clean);
            compressed_echoes += compressed;
        }
        Ok::<(), LoadError>(())
    })
    .await;
    match drained {
        Ok(result) => result?,
        Err(_) => {
            tasks.abort_all();
            return Err(LoadError::Timeout("draining the last echoes"));
        }
    }
    Ok(ThroughputReport {
        label: config.label.clone(),
        connections: config.connections,
        in_flight: config.in_flight,
        size: config.size,
        kind: config.kind,
        deflate,
        messages,
        seconds,
        total_messages: shared.echoed.load(Ordering::Relaxed),
        compressed_echoes,
        clean_closes,
        server_cpu_seconds,
        generator_cpu_seconds,
    })
}

/// One connection's loop: keep `in_flight` messages outstanding, write and read at
/// the same time (a large echo must never wait for our write to finish), check every
/// echo; after the stop flag, send nothing new and return once all echoes are in.
async fn pump(
    conn: &mut Conn,
    mut out: Outbox,
    shared: &Shared,
    in_flight: usize,
) -> Result<(), LoadError> {
    let in_flight = in_flight as u64;
    let Conn {
        stream,
        rx,
        rng,
        sent,
        ..
    } = conn;
    let (mut reader, mut writer) = stream.split();
    // The read buffer starts on a cache line: the kernel's copy into a buffer 16
    // bytes past one is several times slower per byte on fast-string CPUs (measured
    // for ws-tokio's read buffer, `ws_tokio`'s `aligned` module). Connections would
    // otherwise read at a speed set by where the allocator put their buffer.
    let mut storage = vec![0u8; READ_BUF + CACHE_LINE];
    let start = storage.as_ptr().align_offset(CACHE_LINE).min(CACHE_LINE);
    let input = &mut storage[start..start + READ_BUF];
    let mut pong = Vec::new();
    loop {
        let stopping = shared.stop.load(Ordering::Relaxed);
        if stopping && rx.expected() == *sent {
            while out.queued() > 0 {
                let written = writer.write_vectored(&out.slices()).await;
                match written {
                    Ok(0) => return Err(LoadError::Closed("socket refused writes".into())),
                    Ok(n) => out.advance(n),
                    Err(e) => return Err(write_failed(&mut reader, rx, e).await),
                }
            }
            return Ok(());
        }
        for ping in rx.take_pings() {
            pong.clear();
            push_pong(&mut pong, &ping, rng.mask());
            out.push_encoded(&pong);
        }
        while !stopping && *sent - rx.expected() < in_flight && out.queued() < REFILL_BELOW {
            out.push_message(*sent);
            *sent += 1;
        }
        let slices = out.slices();
        tokio::select! {
            biased;
            read = reader.read(input) => {
                let n = read?;
                if n == 0 {
                    return Err(LoadError::Closed("end of stream".into()));
                }
                let done = rx.feed(&input[..n])?;
                if let Some(code) = rx.close() {
                    return Err(LoadError::Closed(format!("close code {code:?}")));
                }
                if done > 0 {
                    shared.echoed.fetch_add(done, Ordering::Relaxed);
                }
            }
            wrote = writer.write_vectored(&slices), if !slices.is_empty() => {
                let n = match wrote {
                    Ok(n) => n,
                    Err(e) => return Err(write_failed(&mut reader, rx, e).await),
                };
                if n == 0 {
                    return Err(LoadError::Closed("socket refused writes".into()));
                }
                drop(slices);
                out.advance(n);
            }
        }
    }
}
