//! What both peer echo servers share: the command line (`ws-server`'s contract), the
//! runtime, and the accept loop that stops on SIGINT or SIGTERM.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};

/// The command line: `--addr HOST:PORT` (default `127.0.0.1:8080`), `--threads N`
/// (1 = single-threaded runtime; default: one worker per core), `--no-deflate`
/// (accepted for symmetry: the peers never compress).
pub struct Args {
    /// Address to bind; port 0 picks a free one.
    pub addr: String,
    /// Runtime worker threads.
    pub threads: Option<usize>,
}

/// Parses the arguments after the program name.
pub fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        addr: "127.0.0.1:8080".into(),
        threads: None,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--no-deflate" => {}
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
            other => {
                return Err(format!(
                "unknown option {other}; usage: [--addr HOST:PORT] [--threads N] [--no-deflate]"
            ))
            }
        }
    }
    Ok(out)
}

/// Runs the server: binds, prints `listening on ws://ADDR` once, and hands every
/// accepted connection (with `TCP_NODELAY`) to `handler` in its own task until
/// SIGINT or SIGTERM.
pub fn serve<F, Fut>(name: &str, handler: F) -> ExitCode
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let result = parse_args(std::env::args().skip(1)).and_then(|args| {
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
            .block_on(accept_loop(&args.addr, handler))
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

async fn accept_loop<F, Fut>(addr: &str, handler: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
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
                    tokio::spawn(handler(stream));
                }
                // Out of file descriptors and the like: back off briefly.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
    }
}
