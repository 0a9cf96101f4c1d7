//! Connections mode: open N connections, each handshakes and echoes one message,
//! then all stay idle while the server's resident memory is measured; then every
//! connection closes with 1000.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::conn::Conn;
use crate::error::LoadError;
use crate::memory::rss_bytes;
use crate::payload::Pattern;
use crate::pool::{open_all, OPEN_CONCURRENCY};
use crate::target::Target;

/// Bytes per message.
pub const MESSAGE_SIZE: usize = 16;

/// How long the idle connections are left alone before the memory is read.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Bound of each phase (open + echo, close).
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
    /// The server's process id, to read its memory (`/proc/PID/status`).
    pub server_pid: Option<u32>,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionsReport {
    /// The server's name.
    pub label: String,
    /// Connections opened, each of which echoed one checked message.
    pub connections: usize,
    /// Seconds to open all connections and echo one message on each.
    pub open_seconds: f64,
    /// Server `VmRSS` before the first connection, bytes.
    pub rss_before: Option<u64>,
    /// Server `VmRSS` with all connections idle, bytes.
    pub rss_idle: Option<u64>,
    /// Connections whose close handshake ended with the server's 1000.
    pub clean_closes: usize,
}

impl ConnectionsReport {
    /// Server memory per idle connection in bytes (may be negative if the server
    /// released memory in between).
    pub fn bytes_per_connection(&self) -> Option<f64> {
        let (before, idle) = (self.rss_before?, self.rss_idle?);
        Some((idle as f64 - before as f64) / self.connections as f64)
    }

    /// A human-readable table.
    pub fn table(&self) -> String {
        let kib = |b: Option<u64>| b.map_or("-".into(), |b| format!("{}", b / 1024));
        format!(
            "| server | connections | open+echo (s) | RSS before (KiB) | RSS idle (KiB) | bytes/idle conn | clean closes |\n\
             |---|---:|---:|---:|---:|---:|---:|\n\
             | {} | {} | {:.2} | {} | {} | {} | {}/{} |",
            self.label,
            self.connections,
            self.open_seconds,
            kib(self.rss_before),
            kib(self.rss_idle),
            self.bytes_per_connection()
                .map_or("-".into(), |b| format!("{b:.0}")),
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
            "open_seconds": self.open_seconds,
            "rss_before": self.rss_before,
            "rss_idle": self.rss_idle,
            "bytes_per_connection": self.bytes_per_connection(),
            "clean_closes": self.clean_closes,
        })
    }
}

/// Runs the connections measurement; each phase is bounded by [`PHASE_TIMEOUT`].
pub async fn run(config: &ConnectionsConfig) -> Result<ConnectionsReport, LoadError> {
    if config.connections == 0 {
        return Err(LoadError::Usage("connections must be at least 1".into()));
    }
    let rss = |pid: Option<u32>| pid.map(rss_bytes).transpose();
    let rss_before = rss(config.server_pid)?;
    let pattern = Arc::new(Pattern::new(MESSAGE_SIZE)?);
    let started = Instant::now();
    let conns = tokio::time::timeout(PHASE_TIMEOUT, open_and_echo(config, &pattern))
        .await
        .map_err(|_| LoadError::Timeout("opening connections"))??;
    let open_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let rss_idle = rss(config.server_pid)?;
    let clean_closes = tokio::time::timeout(PHASE_TIMEOUT, close_all(conns))
        .await
        .map_err(|_| LoadError::Timeout("closing connections"))??;
    Ok(ConnectionsReport {
        label: config.label.clone(),
        connections: config.connections,
        open_seconds,
        rss_before,
        rss_idle,
        clean_closes,
    })
}

async fn open_and_echo(
    config: &ConnectionsConfig,
    pattern: &Arc<Pattern>,
) -> Result<Vec<Conn>, LoadError> {
    let conns = open_all(&config.target, pattern, config.connections).await?;
    let permits = Arc::new(Semaphore::new(OPEN_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (index, mut conn) in conns.into_iter().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Task(e.to_string()))?;
            conn.echo_once().await?;
            Ok::<_, LoadError>((index, conn))
        });
    }
    let mut echoed = Vec::with_capacity(config.connections);
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
