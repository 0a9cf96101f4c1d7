//! The demo server: echo endpoints, an index page, graceful shutdown on Ctrl-C.
//!
//! ```text
//! cargo run --release -p ws-server -- [--addr HOST:PORT] [--config FILE.properties]
//!     [--threads N] [--tls-cert PEM --tls-key PEM] [--no-deflate] [--allow-any-origin]
//!     [--broker redis://HOST:PORT | nats://HOST:PORT]
//! ```
//!
//! `--broker` (or `ws-server.broker` in the `.properties` file) relays the topics
//! of the examples to the other servers using the same broker; `GET /health`
//! reports its state.
//!
//! Prints exactly one line, `listening on ws://ADDR` (or `wss://`), to stdout when
//! ready. Logs go to stderr, filtered by `RUST_LOG` (default `info`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ws_server::{Delivery, Endpoint, Message, MessageKind, Server, SessionHandle, TlsConfig};

mod broker;
mod demo;

/// Grace period for sessions to answer the 1001 on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

const USAGE: &str = "usage: ws-server [--addr HOST:PORT] [--config FILE.properties] [--threads N] \
[--tls-cert PEM --tls-key PEM] [--no-deflate] [--allow-any-origin] [--broker URL]";

/// Echoes whole messages, text and binary.
struct Echo;

impl Endpoint for Echo {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let _ = session.send(message).await;
    }
}

/// Echoes each part as it arrives.
struct EchoPartial;

impl Endpoint for EchoPartial {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    fn text_delivery(&self) -> Delivery {
        Delivery::Partial
    }

    fn binary_delivery(&self) -> Delivery {
        Delivery::Partial
    }

    async fn on_part(
        &self,
        _: &mut (),
        session: &SessionHandle,
        kind: MessageKind,
        data: bytes::Bytes,
        last: bool,
    ) {
        let _ = session.send_part(kind, data, last).await;
    }
}

struct Args {
    addr: String,
    config: Option<PathBuf>,
    threads: Option<usize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    deflate: bool,
    any_origin: bool,
    broker: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".into(),
        config: None,
        threads: None,
        tls_cert: None,
        tls_key: None,
        deflate: true,
        any_origin: false,
        broker: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?,
            "--config" => args.config = Some(value()?.into()),
            "--threads" => {
                let n: usize = value()?.parse().map_err(|_| "--threads needs a number")?;
                args.threads = Some(n.max(1));
            }
            "--tls-cert" => args.tls_cert = Some(value()?.into()),
            "--tls-key" => args.tls_key = Some(value()?.into()),
            "--no-deflate" => args.deflate = false,
            "--allow-any-origin" => args.any_origin = true,
            "--broker" => args.broker = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.tls_cert.is_some() != args.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    Ok(args)
}

fn index_page(scheme: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ws-server</title></head>\n\
         <body><h1>ws-server</h1>\n<ul>\n\
         <li><code>{scheme}://HOST/echo</code>: echoes whole text and binary messages</li>\n\
         <li><code>{scheme}://HOST/echo-partial</code>: echoes each part as it arrives</li>\n\
         </ul></body></html>\n"
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
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
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut sources = ws_config::Sources::new();
    if let Some(path) = &args.config {
        sources = sources.properties_file(path)?;
    }
    let config = sources.process_env().resolve()?;
    let mut builder = Server::builder().config(&config).deflate(args.deflate);
    if args.any_origin {
        builder = builder.allow_any_origin();
    }
    let scheme = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            builder = builder.tls(TlsConfig::from_pem_files(cert, key)?);
            "wss"
        }
        _ => "ws",
    };
    if let Some(url) = broker::url(args.broker.as_deref(), args.config.as_deref())? {
        builder = builder.broker(broker::connect(&url).await?);
    }
    let server = builder.build();
    server.add_health_check("/health")?;
    server.add_endpoint("/echo", Echo)?;
    server.add_endpoint("/echo-partial", EchoPartial)?;
    server.add_static("/", "text/html; charset=utf-8", index_page(scheme))?;
    // The examples (chat, snake, streaming echo) and their pages; replaces the index.
    demo::install(&server)?;

    let listener = Server::bind(&args.addr).await?;
    let local = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{local}")?;
        out.flush()?;
    }
    let serving = tokio::spawn(server.clone().serve(listener));
    shutdown_signal().await;
    tracing::info!("signal received");
    server.shutdown(SHUTDOWN_GRACE).await;
    serving.abort();
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
