//! The demo server's command line (binary-only module): flags, their help and
//! defaults, and the exit statuses.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The server was stopped by SIGINT or SIGTERM and shut down gracefully.
pub const EXIT_OK: u8 = 0;
/// Failure at run time: the address could not be bound, the runtime not started.
pub const EXIT_FAILURE: u8 = 1;
/// Usage error: a bad flag, or a file named by a flag (`--config`, `--tls-cert`,
/// `--tls-key`) that cannot be read or is invalid. Nothing was started. Also
/// clap's exit status for the errors it finds itself.
pub const EXIT_USAGE: u8 = 2;

/// `--help`'s closing section: the exit statuses, the same numbering as ws-client's.
const AFTER_HELP: &str = "\
Exit status:
  0  shut down gracefully after SIGINT or SIGTERM (every session got 1001)
  1  failed at run time (address in use, ...)
  2  usage or configuration error: a bad flag or --broker URL, or a file named
     by --config, --tls-cert or --tls-key that cannot be read or is invalid
     (an unknown key under Tomcat's prefix or under ws-server. included)

Prints one line, 'listening on ws://ADDR' (wss:// with TLS), on stdout once it
accepts connections; logs go to stderr, filtered by RUST_LOG (default info).";

/// A demo WebSocket server: echo endpoints (/echo, /echo-partial, /echo-stream),
/// chat, snake and drawboard examples with their pages at http://ADDR/.
#[derive(Debug, Parser)]
#[command(name = "ws-server", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the line printed names it).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,

    /// Tomcat's WebSocket keys from a Java .properties file (e.g. textBufferSize and
    /// binaryBufferSize raise the 8 KiB message limit of /echo), and ws-server.broker.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Runtime worker threads, at least 1; 1 runs a single-threaded runtime
    /// [default: one per CPU core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Certificate chain (PEM) for wss://; needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) for wss://; needs --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Do not offer permessage-deflate (RFC 7692) to clients.
    #[arg(long)]
    pub no_deflate: bool,

    /// The largest compression window asked of a client whose permessage-deflate
    /// offer lets the server choose (`client_max_window_bits`, as browsers' offers
    /// do), in bits, 8 to 15. 12 (4 KiB) by default: the window the server keeps per
    /// connection between messages; 15 asks nothing and lets the client use 32 KiB
    /// (faster for the client at small messages, 28 KiB more held here per
    /// connection).
    #[arg(long, value_name = "BITS", default_value_t = ws_handshake::LEAN_WINDOW_BITS,
          value_parser = clap::value_parser!(u8).range(8..=15))]
    pub client_window_bits: u8,

    /// The zlib level the server compresses messages at, 1 to 9, or 0: send them
    /// uncompressed (still inflating what clients compress). 6 by default, zlib's
    /// and Tomcat's. 1 is several times as fast at 1 KiB JSON for about a third more
    /// bytes; 2 to 5 sit between (docs/performance.md, 2026-12-06, afternoon).
    #[arg(long, value_name = "LEVEL", default_value_t = 6,
          value_parser = clap::value_parser!(u32).range(0..=9))]
    pub compression_level: u32,

    /// Accept any Origin header (by default a browser's Origin must match the Host).
    #[arg(long)]
    pub allow_any_origin: bool,

    /// Keep freed heap in the process. By default (on glibc) the server gives the
    /// pages of free heap back to the system once it has grown by 16 MiB, as after
    /// idle compressing connections release their compressors; a trim of 130 to 190
    /// MiB took 17 ms, during which allocating threads wait for glibc's lock.
    #[arg(long)]
    pub no_heap_trim: bool,

    /// Relay the examples' topics to the other servers on this broker:
    /// redis://HOST:PORT or nats://HOST:PORT (overrides ws-server.broker in --config).
    #[arg(long, value_name = "URL")]
    pub broker: Option<String>,
}

/// Prints an error in clap's format (`error: ...` on stderr) and returns `status`.
pub fn fail(status: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(status)
}
