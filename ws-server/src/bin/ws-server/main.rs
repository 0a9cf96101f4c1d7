//! The demo server: echo endpoints, an index page, graceful shutdown on Ctrl-C.
//!
//! ```text
//! cargo run --release -p ws-server -- [--addr HOST:PORT] [--config FILE.properties]
//!     [--threads N] [--tls-cert PEM --tls-key PEM] [--no-deflate]
//!     [--client-window-bits BITS] [--compression-level LEVEL] [--allow-any-origin]
//!     [--broker redis://HOST:PORT | nats://HOST:PORT] [--no-heap-trim]
//! ```
//!
//! The flags, their defaults and the exit statuses are in `cli.rs` (`--help`).
//! `--broker` (or `ws-server.broker` in the `.properties` file) relays the topics
//! of the examples to the other servers using the same broker; `GET /health`
//! reports its state.
//! Prints exactly one line, `listening on ws://ADDR` (or `wss://`), to stdout when
//! ready; SIGINT and SIGTERM are handled from before that line on. Logs go to
//! stderr, filtered by `RUST_LOG` (default `info`), coloured only when stderr is a
//! terminal.
//!
//! On glibc a task gives freed heap back to the system after bursts of
//! compressing connections (`heap_trim.rs`, the crate's one module with `unsafe`;
//! `--no-heap-trim` turns it off).

#![deny(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ws_handshake::DeflateConfig;
use ws_server::{Echo, PartialEcho, Server, TlsConfig};

mod broker;
mod cli;
mod demo;
mod heap_trim;

use cli::{fail, Args, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Grace period for sessions to answer the 1001 on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
    // Usage errors print clap's message and exit 2; --help and --version exit 0.
    let args = Args::parse();
    // Files named on the command line are read before anything starts: a bad one
    // is a usage error (2), like a bad flag.
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    // The broker URL (flag or file) is checked here too: a wrong one is a usage
    // error (2), not a failure at run time.
    let broker_url = match broker::url(args.broker.as_deref(), args.config.as_deref())
        .and_then(|url| url.map(broker::checked).transpose())
    {
        Ok(url) => url,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match TlsConfig::from_pem_files(cert, key) {
            Ok(tls) => Some(tls),
            Err(e) => return fail(EXIT_USAGE, e),
        },
        _ => None,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log file or a pipe to a log
        // collector gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
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
            .worker_threads(usize::from(n))
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => return fail(EXIT_FAILURE, format_args!("cannot start the runtime: {e}")),
    };
    if !args.no_heap_trim {
        runtime.spawn(heap_trim::watch());
    }
    match runtime.block_on(run(args, config, tls, broker_url)) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => fail(EXIT_FAILURE, e),
    }
}

/// The `--config` file, then the environment (system-property keys).
fn load_config(args: &Args) -> Result<ws_config::Config, ws_config::ConfigErrors> {
    let mut sources = ws_config::Sources::new();
    if let Some(path) = &args.config {
        sources = sources.properties_file(path)?;
    }
    sources.process_env().resolve()
}

async fn run(
    args: Args,
    config: ws_config::Config,
    tls: Option<TlsConfig>,
    broker_url: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    // Before anything can report readiness: a supervisor may signal the instant it
    // reads the `listening` line, and a signal that comes before its handler is
    // installed kills the process (SIGTERM) or is lost (SIGINT ignored by a shell).
    let mut signals = ShutdownSignals::install()?;
    // The tuning the negotiated permessage-deflate parameters go on top of.
    let mut session = config.session_config();
    let tuning = session.deflate.unwrap_or_default();
    session.deflate = Some(tuning.with_compression_level(args.compression_level));
    let mut builder = Server::builder()
        .config(&config)
        .session_config(session)
        .deflate_config(DeflateConfig {
            enabled: !args.no_deflate,
            max_client_window_bits: args.client_window_bits,
            ..DeflateConfig::lean()
        });
    if args.allow_any_origin {
        builder = builder.allow_any_origin();
    }
    let scheme = match tls {
        Some(tls) => {
            builder = builder.tls(tls);
            "wss"
        }
        None => "ws",
    };
    if let Some(url) = broker_url {
        builder = builder.broker(broker::connect(&url).await?);
    }
    let server = builder.build();
    server.add_health_check("/health")?;
    server.add_endpoint("/echo", Echo)?;
    server.add_endpoint("/echo-partial", PartialEcho)?;
    server.add_static("/", "text/html; charset=utf-8", index_page(scheme))?;
    // The examples (chat, snake, streaming echo) and their pages; replaces the index.
    demo::install(&server)?;

    let listener = Server::bind(&args.addr).await?;
    let local = listener.local_addr()?;
    let serving = tokio::spawn(server.clone().serve(listener));
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{local}")?;
        out.flush()?;
    }
    signals.recv().await;
    tracing::info!("signal received");
    server.shutdown(SHUTDOWN_GRACE).await;
    serving.abort();
    Ok(())
}

/// SIGINT and SIGTERM (Ctrl-C on Windows), registered with the runtime when built:
/// from then on a signal is recorded, however soon it comes, and [`recv`] returns.
///
/// [`recv`]: ShutdownSignals::recv
struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl ShutdownSignals {
    /// Installs the handlers (needs the runtime); an error if the OS refuses.
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(ShutdownSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(ShutdownSignals {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
    }

    /// Waits for the first signal (returns at once if one came already).
    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(windows)]
        self.ctrl_c.recv().await;
    }
}
