//! `ws-client`: a small command-line WebSocket client (like `websocat`).
//!
//! ```text
//! cargo run -p ws-client -- [OPTIONS] URI
//! ```
//!
//! Connects, sends each line of the input (standard input, or `--input FILE`) as a
//! text message, writes every received message to the output (standard output, or
//! `--output FILE`; text as a line, binary as raw bytes followed by a newline), and
//! closes with 1000 at the end of the input. `--binary` sends each chunk read as a
//! binary message and writes messages raw; `--echo` sends every received message
//! back unchanged until the peer closes (the mode for conformance test suites);
//! `--ping-interval SECS` pings while connected; `--http2` uses HTTP/2 (RFC 8441)
//! on `ws://` too. When the connection closes, a
//! line on stderr gives who closed it, the code and the reason.
//!
//! Messages of up to 64 MiB are accepted by default (`--max-message-size`), not
//! Tomcat's 8 KiB: a command-line tool is used to pipe files through.
//!
//! The flags and the exit statuses (0 closed with 1000; 1 runtime failure; 2 usage
//! or configuration error; 3 closed with another code; 4 failed without a close
//! handshake) are in `cli.rs` (`--help`); the I/O loop is in `relay.rs`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ws_client::{CloseCode, CloseInfo, Initiator};

mod cli;
mod relay;

use cli::{fail, Args, EXIT_ABNORMAL, EXIT_CLOSED_OTHER, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use relay::{Input, Mode, Outcome, Output};

fn main() -> ExitCode {
    // Usage errors print clap's message and exit 2; --help and --version exit 0.
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(EXIT_FAILURE, format_args!("cannot start the runtime: {e}")),
    };
    let status = runtime.block_on(run(args));
    // Standard input is read on a blocking thread that nothing can interrupt: when
    // the server closes first, that read may never end. Do not wait for it.
    runtime.shutdown_background();
    status
}

async fn run(args: Args) -> ExitCode {
    // A URI that is not ws:// or wss:// is a usage error (2), found before any
    // connection is tried; a bad redirect target later is a run-time failure (1).
    if let Err(e) = ws_handshake::WsUri::parse(&args.uri) {
        return fail(EXIT_USAGE, e);
    }
    let config = match args.client_config() {
        Ok(config) => config,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let mode = if args.echo {
        Mode::Echo
    } else if args.binary {
        Mode::Binary
    } else {
        Mode::Lines
    };
    let io = match open_files(&args.input, &args.output, mode).await {
        Ok(io) => io,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let line_limit = config.session.text_buffer_size;
    let outcome = relay::run(&args.uri, &config, mode, io, line_limit, args.ping_interval).await;
    // Over HTTP/2 the last frames are written by the connection's task: let it
    // finish before the process exits (briefly).
    let _ = tokio::time::timeout(Duration::from_secs(2), config.pool.close()).await;
    match outcome {
        Outcome::Closed(info) => {
            eprintln!("{}", describe_close(&info));
            if connection_close_code(&info) == CloseCode::NORMAL {
                ExitCode::from(EXIT_OK)
            } else {
                ExitCode::from(EXIT_CLOSED_OTHER)
            }
        }
        Outcome::ConnectFailed(e) => fail(EXIT_FAILURE, e),
        Outcome::Failed(e) => fail(EXIT_ABNORMAL, e),
        Outcome::Local(e) => fail(EXIT_FAILURE, e),
    }
}

/// Opens `--input` and `--output` (`-`: standard input and output) before
/// connecting, so a bad path is a usage error. Echo mode uses neither.
async fn open_files(input: &Path, output: &Path, mode: Mode) -> Result<(Input, Output), String> {
    if mode == Mode::Echo {
        return Ok((Box::new(tokio::io::empty()), Box::new(tokio::io::sink())));
    }
    let stdio = |p: &Path| p.as_os_str() == "-";
    let reader: Input = if stdio(input) {
        Box::new(tokio::io::stdin())
    } else {
        let file = tokio::fs::File::open(input)
            .await
            .map_err(|e| format!("--input {}: {e}", input.display()))?;
        Box::new(file)
    };
    let writer: Output = if stdio(output) {
        Box::new(tokio::io::stdout())
    } else {
        let file = tokio::fs::File::create(output)
            .await
            .map_err(|e| format!("--output {}: {e}", output.display()))?;
        Box::new(file)
    };
    Ok((reader, writer))
}

/// `closed by the server: 4001, reason "bye"`.
fn describe_close(info: &CloseInfo) -> String {
    let who = match info.initiator {
        Initiator::Remote => "the server",
        _ => "the client",
    };
    let reason = if info.reason.is_empty() {
        "no reason".to_owned()
    } else {
        format!("reason {:?}", info.reason)
    };
    // The server's close crossed ours with another code: RFC 6455 7.1.5 makes the
    // first close frame received the connection's close code, so say it.
    let connection = connection_close_code(info);
    let answer = if connection != info.code {
        format!("; the server's close frame said {connection}")
    } else {
        String::new()
    };
    format!("closed by {who}: {}, {reason}{answer}", info.code)
}

/// The connection's close code (RFC 6455 7.1.5: the code of the first close frame
/// received): when we closed first and the server's frame had a code, that one,
/// else the session's. A piped message the server refused with 1009 while our
/// 1000 for the end of the input crossed it exits 3, not 0.
fn connection_close_code(info: &CloseInfo) -> CloseCode {
    match info.peer_code {
        Some(peer) if info.initiator != Initiator::Remote => peer,
        _ => info.code,
    }
}
