//! `ws-client`: a small command-line WebSocket client (like `websocat`).
//!
//! ```text
//! cargo run -p ws-client -- [OPTIONS] URI
//! ```
//!
//! Connects, sends each line of standard input as a text message, prints every
//! received message (text as a line, binary as raw bytes followed by a newline),
//! and closes with 1000 at the end of input. With `--echo` it sends every received
//! message back unchanged (text or binary, whole) until the peer closes: the mode
//! for conformance test suites.
//!
//! Options: `--echo`, `--config FILE.properties` (Tomcat's keys, e.g. raise
//! `textBufferSize`/`binaryBufferSize`), `--protocol NAME` (repeatable),
//! `--header "Name: value"` (repeatable), `--no-deflate`, `--http2` (HTTP/2 with
//! prior knowledge on `ws://` too), `--help`.
//!
//! Exit status: 0 when the connection closed with 1000; 3 when it closed with
//! another code (printed on standard error); 4 when it failed without a close
//! handshake (protocol error, timeout, connection lost); 2 when connecting failed;
//! 1 for a usage or configuration error.

use std::process::ExitCode;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use ws_client::{connect, ClientConfig, CloseCode, Error, Message, WebSocket};

const USAGE: &str = "usage: ws-client [--echo] [--config FILE.properties] [--protocol NAME]... \
[--header 'Name: value']... [--no-deflate] [--http2] URI

exit status: 0 closed with 1000; 3 closed with another code; 4 failed without a close
handshake; 2 connect failed; 1 usage or configuration error";

struct Args {
    uri: String,
    echo: bool,
    config: ClientConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut uri = None;
    let mut echo = false;
    let mut config_file = None;
    let mut protocols = Vec::new();
    let mut headers = Vec::new();
    let mut deflate = true;
    let mut http2 = ws_client::Http2::Auto;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--echo" => echo = true,
            "--no-deflate" => deflate = false,
            "--http2" => http2 = ws_client::Http2::Prefer,
            "--config" => config_file = Some(value("--config")?),
            "--protocol" => protocols.push(value("--protocol")?),
            "--header" => {
                let h = value("--header")?;
                let (name, v) = h
                    .split_once(':')
                    .ok_or(format!("--header {h:?}: expected 'Name: value'"))?;
                headers.push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "-h" | "--help" => return Err(String::new()),
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            a if uri.is_none() => uri = Some(a.to_owned()),
            a => return Err(format!("unexpected argument {a}")),
        }
    }
    let mut config = match config_file {
        Some(path) => ClientConfig::from_properties_file(&path).map_err(|e| e.to_string())?,
        // System-property keys (DEFAULT_BUFFER_SIZE, ...) from the environment.
        None => ws_config::Sources::new()
            .process_env()
            .resolve()
            .map(|c| ClientConfig::from_config(&c))
            .map_err(|e| e.to_string())?,
    };
    config.protocols = protocols;
    config.headers = headers;
    config.deflate = deflate;
    config.http2 = http2;
    Ok(Args {
        uri: uri.ok_or("missing URI")?,
        echo,
        config,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ws-client: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    let ws = match connect(&args.uri, &args.config).await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("ws-client: {e}");
            return ExitCode::from(2);
        }
    };
    let result = if args.echo {
        echo(ws).await
    } else {
        interactive(ws).await
    };
    // Over HTTP/2 the last frames are written by the connection's task: let it
    // finish before the process exits (briefly).
    let _ = tokio::time::timeout(Duration::from_secs(2), args.config.pool.close()).await;
    match result {
        Ok(code) if code == CloseCode::NORMAL => ExitCode::SUCCESS,
        Ok(code) => {
            eprintln!("ws-client: closed with {}", code.0);
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("ws-client: {e}");
            ExitCode::from(4)
        }
    }
}

/// The close code once the stream ends.
fn close_code(ws: &WebSocket) -> Result<CloseCode, Error> {
    ws.close_info().map(|i| i.code).ok_or(Error::Closed)
}

async fn echo(mut ws: WebSocket) -> Result<CloseCode, Error> {
    while let Some(message) = ws.next().await {
        // A send refused because the peer is closing is not our failure.
        let _ = ws.send(message?).await;
    }
    close_code(&ws)
}

async fn interactive(mut ws: WebSocket) -> Result<CloseCode, Error> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    let mut input_open = true;
    loop {
        tokio::select! {
            line = lines.next_line(), if input_open => match line {
                Ok(Some(line)) => ws.send(Message::Text(line)).await?,
                _ => {
                    input_open = false;
                    ws.close().await?;
                }
            },
            message = ws.next() => match message {
                Some(message) => {
                    match message? {
                        Message::Text(t) => stdout.write_all(t.as_bytes()).await?,
                        Message::Binary(b) => stdout.write_all(&b).await?,
                    }
                    stdout.write_all(b"\n").await?;
                    stdout.flush().await?;
                }
                None => break,
            },
        }
    }
    close_code(&ws)
}
