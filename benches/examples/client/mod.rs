//! What every echo-client example shares: the command line, the messages and their
//! check, and the measurement over any `Stream` + `Sink` of messages, so that the
//! clients differ only in the library that connects, frames, masks and parses.
//!
//! Each connection is split (`StreamExt::split`) into a writer and a reader that run
//! concurrently in the connection's task: the writer keeps `--in-flight` messages
//! outstanding, `feed`-ing while it may and flushing when it must wait; the reader
//! checks every echo (order, length, content, kind: `ws_loadgen::payload::Checker`)
//! and lets the writer send another. Each message is built fresh (one copy of the
//! pattern into a buffer the library then owns), as an application hands over what it
//! sends; that copy is the same for every client. Throughput is counted over a window
//! after a warm-up; the client's own CPU time over the window is read from
//! `/proc/self/task/*/schedstat`, so messages per client CPU-second compare the
//! clients even when the server, not the client, sets the pace. Prints one JSON line.

// Shared by every client example; each uses a part.
#![allow(dead_code)]

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{Notify, Semaphore};
use ws_loadgen::cpu::cpu_nanos;
use ws_loadgen::payload::{Checker, Pattern, PayloadKind, PERIOD};

/// Limit on whole messages, well above the largest load-test message (1 MiB).
pub const MAX_MESSAGE: usize = 64 << 20;

/// After the window, how long the last echoes and the closes may take.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a client library can compress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deflate {
    /// `--deflate` offers permessage-deflate.
    Supported,
    /// `--deflate` is refused.
    Unsupported,
}

/// The command line.
#[derive(Clone, Debug)]
pub struct Args {
    /// `ws://127.0.0.1:PORT/PATH` of an echo server on loopback.
    pub url: String,
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub in_flight: usize,
    /// Bytes per message.
    pub size: usize,
    /// Binary (random) or text (JSON-like) messages.
    pub kind: PayloadKind,
    /// Offer permessage-deflate (and require the library to have it).
    pub deflate: bool,
    /// Warm-up before the window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// Runtime threads (1: single-threaded).
    pub threads: usize,
}

const USAGE: &str = "usage: --url ws://127.0.0.1:PORT/PATH [--connections N] [--in-flight K] \
[--size BYTES] [--kind binary|text] [--deflate] [--warmup SECS] [--duration SECS] [--threads N]";

/// Parses the arguments after the program name.
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        url: String::new(),
        connections: 4,
        in_flight: 16,
        size: 16,
        kind: PayloadKind::Binary,
        deflate: false,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(5),
        threads: 1,
    };
    let count = |v: &str, max: usize| v.parse().ok().filter(|n| (1..=max).contains(n));
    let seconds = |v: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|s| (0.0..=3600.0).contains(s))
            .map(Duration::from_secs_f64)
    };
    while let Some(flag) = args.next() {
        if flag == "--deflate" {
            out.deflate = true;
            continue;
        }
        let value = args
            .next()
            .ok_or(format!("{flag} needs a value; {USAGE}"))?;
        let bad = || format!("{flag} {value}: out of range; {USAGE}");
        match flag.as_str() {
            "--url" => out.url = value.clone(),
            "--connections" => out.connections = count(&value, 10_000).ok_or_else(bad)?,
            "--in-flight" => out.in_flight = count(&value, 4096).ok_or_else(bad)?,
            "--size" => {
                out.size = ws_loadgen::cli::parse_size(&value)
                    .filter(|s| (8..=16 << 20).contains(s))
                    .ok_or_else(bad)?
            }
            "--kind" => out.kind = PayloadKind::parse(&value).ok_or_else(bad)?,
            "--warmup" => out.warmup = seconds(&value).ok_or_else(bad)?,
            "--duration" => out.duration = seconds(&value).ok_or_else(bad)?,
            "--threads" => out.threads = count(&value, 64).ok_or_else(bad)?,
            _ => return Err(format!("unknown option {flag}; {USAGE}")),
        }
    }
    // Loopback only, as the load generator.
    ws_loadgen::Target::parse(&out.url).map_err(|e| format!("--url: {e}"))?;
    Ok(out)
}

/// Reads the kind and payload of a data message; `None` for control messages.
pub type DataOf<M> = for<'a> fn(&'a M) -> Option<(PayloadKind, &'a [u8])>;

/// How the measured library's messages are made and read.
pub struct Codec<M> {
    /// Message from a payload the library may own, text (valid UTF-8) or binary.
    pub make: fn(Vec<u8>, PayloadKind) -> M,
    /// The kind and payload of a data message.
    pub data: DataOf<M>,
}

/// Counters shared by the connections of a run.
#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    echoed: AtomicU64,
}

/// Runs the client named `name`: parses the command line, connects with `connect`
/// (given the URL and whether to offer deflate), measures, prints one JSON line.
pub fn run<C, Fut, S, M, E>(name: &str, deflate: Deflate, connect: C, codec: Codec<M>) -> ExitCode
where
    C: Fn(String, bool) -> Fut,
    Fut: Future<Output = Result<S, String>>,
    S: Stream<Item = Result<M, E>> + Sink<M> + Unpin + Send + 'static,
    <S as Sink<M>>::Error: std::fmt::Debug,
    E: std::fmt::Debug,
    M: Send + 'static,
{
    let result = parse_args(std::env::args().skip(1)).and_then(|args| {
        if args.deflate && deflate == Deflate::Unsupported {
            return Err("--deflate: this library's client has no permessage-deflate".into());
        }
        let runtime = if args.threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(args.threads)
                .enable_all()
                .build()
        }
        .map_err(|e| e.to_string())?;
        runtime.block_on(measure(name, &args, connect, codec))
    });
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn measure<C, Fut, S, M, E>(
    name: &str,
    args: &Args,
    connect: C,
    codec: Codec<M>,
) -> Result<serde_json::Value, String>
where
    C: Fn(String, bool) -> Fut,
    Fut: Future<Output = Result<S, String>>,
    S: Stream<Item = Result<M, E>> + Sink<M> + Unpin + Send + 'static,
    <S as Sink<M>>::Error: std::fmt::Debug,
    E: std::fmt::Debug,
    M: Send + 'static,
{
    let pattern =
        Arc::new(Pattern::with_kind(args.size, args.kind, PERIOD).map_err(|e| e.to_string())?);
    let shared = Arc::new(Shared::default());
    let mut sockets = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        sockets.push(connect(args.url.clone(), args.deflate).await?);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for ws in sockets {
        let (pattern, shared) = (pattern.clone(), shared.clone());
        let in_flight = args.in_flight;
        let (make, data) = (codec.make, codec.data);
        tasks.spawn(async move {
            connection(ws, pattern, shared, in_flight, Codec { make, data }).await
        });
    }
    let failed = |tasks: &mut tokio::task::JoinSet<Result<(), String>>| {
        // A connection that ended early ended with an error (or a bug).
        match tasks.try_join_next() {
            Some(Ok(Err(e))) => Some(e),
            Some(Err(e)) => Some(e.to_string()),
            Some(Ok(Ok(()))) => Some("a connection ended before the window did".into()),
            None => None,
        }
    };
    tokio::time::sleep(args.warmup).await;
    if let Some(e) = failed(&mut tasks) {
        return Err(e);
    }
    let pid = std::process::id();
    let cpu_before = cpu_nanos(pid).map_err(|e| e.to_string())?;
    let before = shared.echoed.load(Ordering::Relaxed);
    let window = Instant::now();
    tokio::time::sleep(args.duration).await;
    let messages = shared.echoed.load(Ordering::Relaxed) - before;
    let seconds = window.elapsed().as_secs_f64();
    let cpu = (cpu_nanos(pid).map_err(|e| e.to_string())? - cpu_before) as f64 / 1e9;
    if let Some(e) = failed(&mut tasks) {
        return Err(e);
    }
    shared.stop.store(true, Ordering::Relaxed);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| e.to_string())??;
        }
        Ok::<(), String>(())
    })
    .await;
    drained.map_err(|_| "the last echoes did not arrive in time".to_string())??;
    Ok(serde_json::json!({
        "mode": "client",
        "client": name,
        "connections": args.connections,
        "in_flight": args.in_flight,
        "size": args.size,
        "kind": args.kind.name(),
        "deflate": args.deflate,
        "messages": messages,
        "seconds": seconds,
        "msgs_per_sec": messages as f64 / seconds,
        "client_cpu_seconds": cpu,
        "msgs_per_client_cpu_sec": if cpu > 0.0 { Some(messages as f64 / cpu) } else { None },
    }))
}

/// One connection: writer and reader concurrently; after the stop flag, no new
/// message, and the connection closes once every echo is in.
async fn connection<S, M, E>(
    ws: S,
    pattern: Arc<Pattern>,
    shared: Arc<Shared>,
    in_flight: usize,
    codec: Codec<M>,
) -> Result<(), String>
where
    S: Stream<Item = Result<M, E>> + Sink<M> + Unpin,
    <S as Sink<M>>::Error: std::fmt::Debug,
    E: std::fmt::Debug,
{
    let (mut sink, mut stream) = ws.split();
    let room = Semaphore::new(in_flight);
    let sent = AtomicU64::new(0);
    let writer_done = AtomicBool::new(false);
    let finished = Notify::new();
    let writer = async {
        let mut seq = 0u64;
        while !shared.stop.load(Ordering::Relaxed) {
            match room.try_acquire() {
                Ok(permit) => permit.forget(),
                Err(_) => {
                    // Everything allowed is queued: send it, then wait for room.
                    sink.flush().await.map_err(|e| format!("flush: {e:?}"))?;
                    room.acquire().await.map_err(|e| e.to_string())?.forget();
                }
            }
            let mut payload = Vec::with_capacity(pattern.size());
            pattern.write(seq, &mut payload);
            sink.feed((codec.make)(payload, pattern.kind()))
                .await
                .map_err(|e| format!("send: {e:?}"))?;
            seq += 1;
            sent.store(seq, Ordering::Relaxed);
        }
        sink.flush().await.map_err(|e| format!("flush: {e:?}"))?;
        writer_done.store(true, Ordering::Release);
        // Wakes the reader if it waits with no echo outstanding.
        finished.notify_one();
        Ok::<_, String>(sink)
    };
    let reader = async {
        let mut checker = Checker::new();
        loop {
            if writer_done.load(Ordering::Acquire)
                && checker.expected() == sent.load(Ordering::Relaxed)
            {
                return Ok(());
            }
            let next = tokio::select! {
                biased;
                next = stream.next() => next,
                // Re-checks the end condition once the writer has finished.
                _ = finished.notified() => continue,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(e)) => return Err(format!("receive: {e:?}")),
                None => return Err("the server ended the connection".into()),
            };
            let Some((kind, bytes)) = (codec.data)(&message) else {
                continue; // control messages are the library's
            };
            if kind != pattern.kind() {
                return Err("echo of the other kind (text for binary or the reverse)".into());
            }
            checker
                .check(&pattern, bytes)
                .map_err(|e| format!("echo check: {e}"))?;
            shared.echoed.fetch_add(1, Ordering::Relaxed);
            room.add_permits(1);
        }
    };
    // The first error ends both halves (a writer waiting for room never gets it
    // from a reader that failed).
    let (mut sink, ()) = tokio::try_join!(writer, reader)?;
    // Best effort: a close frame and the server's reply (not measured).
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = sink.close().await;
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    Ok(())
}

/// A TCP connection with `TCP_NODELAY` (as every client here sets it) to the server
/// of `url`, with the URL's authority and path for libraries that take them apart.
pub async fn tcp(url: &str) -> Result<(tokio::net::TcpStream, String, String), String> {
    let target = ws_loadgen::Target::parse(url).map_err(|e| e.to_string())?;
    let stream = tokio::net::TcpStream::connect(target.addr())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let rest = url.strip_prefix("ws://").unwrap_or(url);
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    Ok((stream, host.to_string(), path.to_string()))
}

/// The text of a payload made from a text pattern (ASCII, so always valid).
pub fn text(payload: Vec<u8>) -> String {
    String::from_utf8(payload).expect("text patterns are ASCII")
}
