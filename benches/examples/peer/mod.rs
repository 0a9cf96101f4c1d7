//! What every peer echo server shares: the command line (`ws-server`'s contract), the
//! runtime, and the accept loop that stops on SIGINT or SIGTERM.

// Shared by every peer example; each uses a part.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};

/// Limit on whole messages and frames, well above the largest load-test message
/// (1 MiB), for every peer.
pub const MAX_MESSAGE: usize = 64 << 20;

/// Whether a peer can compress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deflate {
    /// The peer implements permessage-deflate: `--deflate` accepts offers.
    Supported,
    /// The library has no permessage-deflate: `--deflate` is refused, so a run that
    /// asks for compression can never measure this peer without it.
    Unsupported,
}

/// The command line: `--addr HOST:PORT` (default `127.0.0.1:8080`), `--threads N`
/// (1 = single-threaded runtime; default: one worker per core), `--deflate` (accept
/// permessage-deflate offers; off by default, unlike `ws-server`), `--no-deflate`
/// (the default; accepted so that both servers take the same flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// Address to bind; port 0 picks a free one.
    pub addr: String,
    /// Runtime worker threads.
    pub threads: Option<usize>,
    /// Accept permessage-deflate.
    pub deflate: bool,
}

const USAGE: &str = "usage: [--addr HOST:PORT] [--threads N] [--deflate | --no-deflate]";

/// Parses the arguments after the program name.
pub fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        addr: "127.0.0.1:8080".into(),
        threads: None,
        deflate: false,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--no-deflate" => out.deflate = false,
            "--deflate" => out.deflate = true,
            "--addr" => out.addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--threads" => {
                let n = args.next().ok_or("--threads needs a number")?;
                out.threads = Some(
                    n.parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or(format!("--threads {n}: expected a positive integer"))?,
                );
            }
            other => return Err(format!("unknown option {other}; {USAGE}")),
        }
    }
    Ok(out)
}

/// Runs the server: binds, prints `listening on ws://ADDR` once, and hands every
/// accepted connection (with `TCP_NODELAY`) and the `--deflate` setting to `handler`
/// in its own task until SIGINT or SIGTERM.
pub fn serve<F, Fut>(name: &str, deflate: Deflate, handler: F) -> ExitCode
where
    F: Fn(TcpStream, bool) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let result = parse_args(std::env::args().skip(1)).and_then(|args| {
        if args.deflate && deflate == Deflate::Unsupported {
            return Err("--deflate: this library has no permessage-deflate".into());
        }
        let runtime = match args.threads {
            Some(1) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Some(n) => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .enable_all()
                .build(),
            None => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        }
        .map_err(|e| e.to_string())?;
        runtime
            .block_on(accept_loop(&args.addr, args.deflate, handler))
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn accept_loop<F, Fut>(addr: &str, deflate: bool, handler: F) -> std::io::Result<()>
where
    F: Fn(TcpStream, bool) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Handlers first: a supervisor may signal as soon as it reads the line below.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind(addr).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on ws://{}", listener.local_addr()?)?;
    stdout.flush()?;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(handler(stream, deflate));
                }
                // Out of file descriptors and the like: back off briefly.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
}

/// The echo loop over a `Stream` + `Sink` of messages, in the idiomatic fast way: every
/// message that is already readable is `feed`-ed to the sink, and the sink is flushed
/// only when no more are ready, so many echoes share one write. `is_data` picks the
/// text and binary messages; the library answers pings and the close itself, and the
/// loop runs until the stream ends so that the close reply goes out.
pub async fn echo_batched<S, M, E>(mut ws: S, is_data: impl Fn(&M) -> bool)
where
    S: Stream<Item = Result<M, E>> + Sink<M> + Unpin,
{
    while let Some(Ok(first)) = ws.next().await {
        let mut next = Some(first);
        let mut open = true;
        while let Some(message) = next.take() {
            if is_data(&message) && ws.feed(message).await.is_err() {
                return;
            }
            match ws.next().now_or_never() {
                Some(Some(Ok(message))) => next = Some(message),
                Some(_) => open = false,
                None => {}
            }
        }
        // Also sends the automatic pong or close reply, if one is queued.
        if ws.flush().await.is_err() || !open {
            return;
        }
    }
}
