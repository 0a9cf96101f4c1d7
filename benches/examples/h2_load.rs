//! The HTTP/2 load client of `cargo xtask h2bench`: N WebSockets echoing messages
//! of one size, over N TCP connections (HTTP/1.1 upgrades) or as N streams of one
//! HTTP/2 connection (RFC 8441, prior knowledge); or N idle WebSockets on one
//! HTTP/2 connection, for the server's memory per WebSocket.
//!
//! ```text
//! h2_load echo  --addr HOST:PORT --path /echo --transport tcp|h2 --connections N --size BYTES --seconds S
//! h2_load idle  --addr HOST:PORT --path /echo --connections N --pid SERVER_PID
//! ```
//!
//! Echo prints one line, `msgs_per_sec=X mib_per_sec=Y`: echoes received per second
//! over S seconds after a one-second warm-up, each WebSocket writing and reading at
//! once (split halves) with its sends bounded by the session's high-water mark.
//! Idle prints `before_kib=A after_kib=B per_websocket_bytes=C` from the server's
//! `VmRSS`. The client is this stack's own (`ws-tokio` over TCP or an h2 stream), the
//! same for both transports, so the ratio of the two is the transport's cost.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_handshake::{ClientRequest, Limits, Outcome};
use ws_session::{Message, Session, SessionConfig};
use ws_tokio::http2::H2Stream;
use ws_tokio::{SessionInfo, WebSocket};

struct Args {
    mode: String,
    addr: String,
    path: String,
    transport: String,
    connections: usize,
    size: usize,
    seconds: u64,
    pid: u32,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        mode: it.next().ok_or("usage: h2_load echo|idle ...")?,
        addr: "127.0.0.1:8080".into(),
        path: "/echo".into(),
        transport: "h2".into(),
        connections: 100,
        size: 1024,
        seconds: 3,
        pid: 0,
    };
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} {v}: a number"))
        };
        match flag.as_str() {
            "--addr" => a.addr = v,
            "--path" => a.path = v,
            "--transport" => a.transport = v,
            "--connections" => a.connections = num(&v)? as usize,
            "--size" => a.size = num(&v)? as usize,
            "--seconds" => a.seconds = num(&v)?,
            "--pid" => a.pid = num(&v)? as u32,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn session(config: SessionConfig) -> Session {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    // Masks need not be secret against our own server on loopback.
    let masks = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state as u32).to_le_bytes()
    };
    Session::client(config, masks, Instant::now())
}

fn config(size: usize) -> SessionConfig {
    SessionConfig::default()
        .with_text_buffer_size(size.max(8192) * 2)
        .with_binary_buffer_size(size.max(8192) * 2)
}

/// An HTTP/1.1 WebSocket on its own TCP connection.
/// A WebSocket over either transport, opened before the measurement starts.
enum Either {
    Tcp(WebSocket<TcpStream>),
    H2(WebSocket<H2Stream>),
}

async fn tcp_socket(args: &Args) -> Result<WebSocket<TcpStream>, String> {
    let mut tcp = TcpStream::connect(&args.addr)
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let request = ClientRequest::new(&format!("ws://{}{}", args.addr, args.path), [7; 16])
        .map_err(|e| e.to_string())?;
    tcp.write_all(&request.to_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut reader = request.handshake(Limits::default());
    let mut buf = [0u8; 4096];
    loop {
        let n = tcp.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        match reader.handle_input(&buf[..n]).map_err(|e| e.to_string())? {
            None => continue,
            Some((Outcome::Accepted(_), leftover)) => {
                let ws = WebSocket::from_session(
                    tcp,
                    session(config(args.size)),
                    SessionInfo::new(&args.path),
                );
                return Ok(ws.with_leftover(&leftover));
            }
            Some((other, _)) => return Err(format!("refused: {other:?}")),
        }
    }
}

/// One HTTP/2 connection with prior knowledge; its SETTINGS received.
async fn h2_connection(args: &Args) -> Result<h2::client::SendRequest<Bytes>, String> {
    let tcp = TcpStream::connect(&args.addr)
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let (client, mut connection) = h2::client::Builder::new()
        .initial_window_size(256 * 1024)
        .initial_connection_window_size(8 << 20)
        .max_concurrent_reset_streams(4096)
        // A measuring tool: never the one to give up on a flood of small echoes.
        .data_frame_budget(1 << 30)
        .handshake::<_, Bytes>(tcp)
        .await
        .map_err(|e| e.to_string())?;
    let mut ping = connection.ping_pong().ok_or("no ping")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    ping.ping(h2::Ping::opaque())
        .await
        .map_err(|e| e.to_string())?;
    Ok(client)
}

/// A WebSocket on a new stream of `client`.
async fn h2_socket(
    client: &h2::client::SendRequest<Bytes>,
    args: &Args,
) -> Result<WebSocket<H2Stream>, String> {
    let request = ClientRequest::new(&format!("ws://{}{}", args.addr, args.path), [7; 16])
        .map_err(|e| e.to_string())?;
    let mut head = request.to_http2();
    head.extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    let mut ready = client.clone().ready().await.map_err(|e| e.to_string())?;
    let (response, send) = ready.send_request(head, false).map_err(|e| e.to_string())?;
    let response = response.await.map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("refused: {}", response.status()));
    }
    let stream = H2Stream::new(send, response.into_body());
    Ok(WebSocket::from_session(
        stream,
        session(config(args.size)),
        SessionInfo::new(&args.path),
    ))
}

/// Echoes on `ws` until `stop`, counting echoes received after `counting` is set.
async fn pump<S>(ws: WebSocket<S>, size: usize, received: Arc<AtomicU64>, stop: Instant)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let payload = Bytes::from(vec![0x5a; size]);
    let (mut read, mut write) = ws.split();
    let writer = async move {
        while Instant::now() < stop {
            if write.send(Message::Binary(payload.clone())).await.is_err() {
                return;
            }
        }
    };
    let reader = async move {
        while let Some(Ok(_)) = read.next().await {
            received.fetch_add(1, Ordering::Relaxed);
            if Instant::now() >= stop {
                return;
            }
        }
    };
    let _ = tokio::time::timeout_at((stop + Duration::from_secs(2)).into(), async {
        tokio::join!(writer, reader)
    })
    .await;
}

async fn echo(args: Args) -> Result<(), String> {
    let received = Arc::new(AtomicU64::new(0));
    let warmup = Duration::from_secs(1);
    let window = Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    let client = if args.transport == "h2" {
        Some(h2_connection(&args).await?)
    } else {
        None
    };
    // Every WebSocket is opened before the clock starts: opening 100 one after the
    // other can take longer than the warm-up and the window together, and a window
    // that had ended before the pumps started measured 0 messages per second.
    let mut sockets = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        sockets.push(match &client {
            Some(client) => Either::H2(h2_socket(client, &args).await?),
            None => Either::Tcp(tcp_socket(&args).await?),
        });
    }
    let start = Instant::now() + Duration::from_millis(200);
    let stop = start + warmup + window;
    for socket in sockets {
        let received = Arc::clone(&received);
        tasks.push(match socket {
            Either::H2(ws) => tokio::spawn(pump(ws, args.size, received, stop)),
            Either::Tcp(ws) => tokio::spawn(pump(ws, args.size, received, stop)),
        });
    }
    tokio::time::sleep_until((start + warmup).into()).await;
    let before = received.load(Ordering::Relaxed);
    tokio::time::sleep_until((start + warmup + window).into()).await;
    let after = received.load(Ordering::Relaxed);
    let rate = (after - before) as f64 / window.as_secs_f64();
    println!(
        "msgs_per_sec={rate:.0} mib_per_sec={:.1}",
        rate * args.size as f64 / (1 << 20) as f64
    );
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}

fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or("no VmRSS".into())
}

async fn idle(args: Args) -> Result<(), String> {
    let client = h2_connection(&args).await?;
    // One stream first, so the connection's own state is in the baseline.
    let first = h2_socket(&client, &args).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(args.pid)?;
    let mut sockets = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        sockets.push(h2_socket(&client, &args).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(args.pid)?;
    let per = (after.saturating_sub(before) * 1024) / args.connections as u64;
    println!("before_kib={before} after_kib={after} per_websocket_bytes={per}");
    drop(sockets);
    drop(first);
    Ok(())
}

fn main() -> ExitCode {
    let result = parse().and_then(|args| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            match args.mode.as_str() {
                "echo" => echo(args).await,
                "idle" => idle(args).await,
                other => Err(format!("unknown mode {other}")),
            }
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("h2_load: {e}");
            ExitCode::FAILURE
        }
    }
}
