//! Latency mode: one connection, one message in flight; round-trip time of each
//! echo (write to checked echo), percentiles over a window after a warm-up.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::conn::Conn;
use crate::error::LoadError;
use crate::payload::PayloadKind;
use crate::stats::{summarize, Summary};
use crate::target::Target;
use crate::wire::Wires;

/// The most round trips recorded in one run (bounds memory: 8 bytes each).
pub const MAX_SAMPLES: usize = 10_000_000;

/// Slack on top of warm-up + window before the run is declared stuck.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What to run.
#[derive(Clone, Debug)]
pub struct LatencyConfig {
    /// The server.
    pub target: Target,
    /// A name for the server in reports.
    pub label: String,
    /// Bytes per message.
    pub size: usize,
    /// Binary or JSON-like text messages.
    pub kind: PayloadKind,
    /// Offer (and require) permessage-deflate.
    pub deflate: bool,
    /// Warm-up (round trips not recorded).
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyReport {
    /// The server's name.
    pub label: String,
    /// Bytes per message.
    pub size: usize,
    /// Round-trip times in nanoseconds.
    pub nanos: Summary,
    /// Whether the close handshake ended with the server's 1000.
    pub clean_close: bool,
}

fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

impl LatencyReport {
    /// A human-readable table (microseconds).
    pub fn table(&self) -> String {
        let s = &self.nanos;
        format!(
            "| server | size (B) | round trips | p50 (us) | p90 (us) | p99 (us) | max (us) | mean (us) |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n\
             | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            self.label,
            self.size,
            s.count,
            micros(s.p50),
            micros(s.p90),
            micros(s.p99),
            micros(s.max),
            s.mean / 1000.0
        )
    }

    /// One JSON object (microseconds).
    pub fn json(&self) -> serde_json::Value {
        let s = &self.nanos;
        json!({
            "mode": "latency",
            "server": self.label,
            "size": self.size,
            "samples": s.count,
            "p50_us": micros(s.p50),
            "p90_us": micros(s.p90),
            "p99_us": micros(s.p99),
            "max_us": micros(s.max),
            "mean_us": s.mean / 1000.0,
            "clean_close": self.clean_close,
        })
    }
}

/// Runs the latency measurement: bounded by warm-up + window + [`STALL_TIMEOUT`],
/// and by [`MAX_SAMPLES`] round trips.
pub async fn run(config: &LatencyConfig) -> Result<LatencyReport, LoadError> {
    let wires = Wires::new(config.size, config.kind, config.deflate)?;
    let mut conn = Conn::open(&config.target, &wires, 0, config.deflate).await?;
    let bound = config.warmup + config.duration + STALL_TIMEOUT;
    let mut samples = tokio::time::timeout(bound, measure(&mut conn, config))
        .await
        .map_err(|_| LoadError::Timeout("latency run"))??;
    let clean_close = conn.close().await?;
    let nanos = summarize(&mut samples).ok_or(LoadError::Usage(
        "the window was too short for one round trip".into(),
    ))?;
    Ok(LatencyReport {
        label: config.label.clone(),
        size: config.size,
        nanos,
        clean_close,
    })
}

async fn measure(conn: &mut Conn, config: &LatencyConfig) -> Result<Vec<u64>, LoadError> {
    let warm_end = Instant::now() + config.warmup;
    while Instant::now() < warm_end {
        conn.echo_once().await?;
    }
    let end = Instant::now() + config.duration;
    let mut samples = Vec::with_capacity(1 << 16);
    loop {
        let start = Instant::now();
        if start >= end || samples.len() >= MAX_SAMPLES {
            return Ok(samples);
        }
        conn.echo_once().await?;
        samples.push(start.elapsed().as_nanos() as u64);
    }
}
