//! Connections mode: open N connections and read the server's resident memory with
//! all of them idle right after the handshake; then each connection echoes M
//! messages and the memory is read again with all idle, and once more after a longer
//! idle time if asked (a server may release per-connection state that stays unused);
//! then every connection closes with 1000. With permessage-deflate offered (as a browser does, and required), the
//! two readings show what compression costs a server per connection before any
//! message and once its compressors have worked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::conn::Conn;
use crate::error::LoadError;
use crate::memory::rss_bytes;
use crate::payload::PayloadKind;
use crate::pool::{open_all, OPEN_CONCURRENCY};
use crate::target::Target;
use crate::wire::Wires;

/// Bytes per message by default.
pub const MESSAGE_SIZE: usize = 16;

/// Most messages each connection may echo.
pub const MAX_MESSAGES: usize = 10_000;

/// How long the idle connections are left alone before the memory is read.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Bound of each phase (open, echo, close).
pub const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// What to run.
#[derive(Clone, Debug)]
pub struct ConnectionsConfig {
    /// The server.
    pub target: Target,
    /// A name for the server in reports.
    pub label: String,
    /// How many connections.
    pub connections: usize,
    /// Messages each connection echoes after the first reading (0: none).
    pub messages: usize,
    /// Bytes per message.
    pub size: usize,
    /// Binary or JSON-like text messages.
    pub kind: PayloadKind,
    /// Offer (and require) permessage-deflate.
    pub deflate: bool,
    /// If not zero, a third reading this long after the second.
    pub later: Duration,
    /// The server's process id, to read its memory (`/proc/PID/status`).
    pub server_pid: Option<u32>,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionsReport {
    /// The server's name.
    pub label: String,
    /// Connections opened.
    pub connections: usize,
    /// Messages each connection echoed (each checked) before the second reading.
    pub messages: usize,
    /// Bytes per message.
    pub size: usize,
    /// What the messages carried.
    pub kind: PayloadKind,
    /// The server's permessage-deflate answer, if compression was on.
    pub deflate: Option<String>,
    /// Seconds to open all connections.
    pub open_seconds: f64,
    /// Server `VmRSS` before the first connection, bytes.
    pub rss_before: Option<u64>,
    /// Server `VmRSS` with all connections idle right after their handshake, bytes.
    pub rss_open: Option<u64>,
    /// Server `VmRSS` with all connections idle after their echoes, bytes.
    pub rss_idle: Option<u64>,
    /// Seconds between the second reading and the third (0: no third reading).
    pub later_seconds: f64,
    /// Server `VmRSS` at the third reading, bytes.
    pub rss_later: Option<u64>,
    /// Connections whose close handshake ended with the server's 1000.
    pub clean_closes: usize,
}

impl ConnectionsReport {
    fn per_connection(&self, rss: Option<u64>) -> Option<f64> {
        let (before, after) = (self.rss_before?, rss?);
        Some((after as f64 - before as f64) / self.connections as f64)
    }

    /// Server memory per connection in bytes, idle after its echoes (may be negative
    /// if the server released memory in between).
    pub fn bytes_per_connection(&self) -> Option<f64> {
        self.per_connection(self.rss_idle)
    }

    /// Server memory per connection in bytes, idle right after the handshake.
    pub fn bytes_per_connection_open(&self) -> Option<f64> {
        self.per_connection(self.rss_open)
    }

    /// Server memory per connection in bytes at the third reading, if there was one.
    pub fn bytes_per_connection_later(&self) -> Option<f64> {
        self.per_connection(self.rss_later)
    }

    /// A human-readable table.
    pub fn table(&self) -> String {
        let kib = |b: Option<u64>| b.map_or("-".into(), |b| format!("{}", b / 1024));
        let per = |b: Option<f64>| b.map_or("-".into(), |b| format!("{b:.0}"));
        format!(
            "| server | connections | deflate | open (s) | RSS before (KiB) | RSS open (KiB) | bytes/conn open | echoes | RSS idle (KiB) | bytes/conn idle | bytes/conn {:.1} s later | clean closes |\n\
             |---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|\n\
             | {} | {} | {} | {:.2} | {} | {} | {} | {} x {} B {} | {} | {} | {} | {}/{} |",
            self.later_seconds,
            self.label,
            self.connections,
            self.deflate.as_deref().unwrap_or("off"),
            self.open_seconds,
            kib(self.rss_before),
            kib(self.rss_open),
            per(self.bytes_per_connection_open()),
            self.messages,
            self.size,
            self.kind.name(),
            kib(self.rss_idle),
            per(self.bytes_per_connection()),
            per(self.bytes_per_connection_later()),
            self.clean_closes,
            self.connections
        )
    }

    /// One JSON object.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "mode": "connections",
            "server": self.label,
            "connections": self.connections,
            "messages": self.messages,
            "size": self.size,
            "kind": self.kind.name(),
            "deflate": self.deflate,
            "open_seconds": self.open_seconds,
            "rss_before": self.rss_before,
            "rss_open": self.rss_open,
            "rss_idle": self.rss_idle,
            "bytes_per_connection_open": self.bytes_per_connection_open(),
            "bytes_per_connection": self.bytes_per_connection(),
            "later_seconds": self.later_seconds,
            "rss_later": self.rss_later,
            "bytes_per_connection_later": self.bytes_per_connection_later(),
            "clean_closes": self.clean_closes,
        })
    }
}

/// Runs the connections measurement; each phase is bounded by [`PHASE_TIMEOUT`].
pub async fn run(config: &ConnectionsConfig) -> Result<ConnectionsReport, LoadError> {
    if config.connections == 0 || config.messages > MAX_MESSAGES {
        return Err(LoadError::Usage(format!(
            "connections must be at least 1 and messages at most {MAX_MESSAGES}"
        )));
    }
    let rss = |pid: Option<u32>| pid.map(rss_bytes).transpose();
    let rss_before = rss(config.server_pid)?;
    let wires = Wires::new(config.size, config.kind, config.deflate)?;
    let started = Instant::now();
    let conns = tokio::time::timeout(
        PHASE_TIMEOUT,
        open_all(&config.target, &wires, config.connections, config.deflate),
    )
    .await
    .map_err(|_| LoadError::Timeout("opening connections"))??;
    let open_seconds = started.elapsed().as_secs_f64();
    let deflate = conns[0].deflate().map(|p| p.to_extension().to_string());
    tokio::time::sleep(SETTLE).await;
    let rss_open = rss(config.server_pid)?;
    let conns = tokio::time::timeout(PHASE_TIMEOUT, echo_all(conns, config.messages))
        .await
        .map_err(|_| LoadError::Timeout("echoing on every connection"))??;
    tokio::time::sleep(SETTLE).await;
    let rss_idle = rss(config.server_pid)?;
    let rss_later = if config.later.is_zero() {
        None
    } else {
        tokio::time::sleep(config.later).await;
        rss(config.server_pid)?
    };
    let clean_closes = tokio::time::timeout(PHASE_TIMEOUT, close_all(conns))
        .await
        .map_err(|_| LoadError::Timeout("closing connections"))??;
    Ok(ConnectionsReport {
        label: config.label.clone(),
        connections: config.connections,
        messages: config.messages,
        size: config.size,
        kind: config.kind,
        deflate,
        open_seconds,
        rss_before,
        rss_open,
        rss_idle,
        later_seconds: config.later.as_secs_f64(),
        rss_later,
        clean_closes,
    })
}

/// Each connection echoes `messages` messages, [`OPEN_CONCURRENCY`] connections at a
/// time; returns them in their order.
async fn echo_all(conns: Vec<Conn>, messages: usize) -> Result<Vec<Conn>, LoadError> {
    let count = conns.len();
    let permits = Arc::new(Semaphore::new(OPEN_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (index, mut conn) in conns.into_iter().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Task(e.to_string()))?;
            for _ in 0..messages {
                conn.echo_once().await?;
            }
            Ok::<_, LoadError>((index, conn))
        });
    }
    let mut echoed = Vec::with_capacity(count);
    while let Some(result) = tasks.join_next().await {
        echoed.push(result.map_err(|e| LoadError::Task(e.to_string()))??);
    }
    echoed.sort_by_key(|(index, _)| *index);
    Ok(echoed.into_iter().map(|(_, conn)| conn).collect())
}

async fn close_all(conns: Vec<Conn>) -> Result<usize, LoadError> {
    let permits = Arc::new(Semaphore::new(OPEN_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for conn in conns {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Task(e.to_string()))?;
            conn.close().await
        });
    }
    let mut clean = 0;
    while let Some(result) = tasks.join_next().await {
        clean += usize::from(result.map_err(|e| LoadError::Task(e.to_string()))??);
    }
    Ok(clean)
}
