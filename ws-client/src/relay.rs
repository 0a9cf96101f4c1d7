//! The `ws-client` binary's I/O loop (binary-only module): input to the
//! connection, the connection to output.
//!
//! It uses a thin slice of the library on purpose: [`connect`], the [`WebSocket`]
//! as a `Stream` and `Sink` of messages, [`WebSocket::close_info`], and
//! `WebSocket::ping` for `--ping-interval` (the `Sink` carries data messages
//! only).

use std::future::pending;
use std::io;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::{Interval, MissedTickBehavior};
use ws_client::{connect, Bytes, ClientConfig, CloseInfo, ConnectError, Error, Message, WebSocket};

/// Where the messages to send come from (a file or standard input).
pub type Input = Box<dyn AsyncRead + Unpin + Send>;
/// Where the messages received go (a file or standard output).
pub type Output = Box<dyn AsyncWrite + Unpin + Send>;

/// Bytes read at most per binary message in binary mode.
const CHUNK: usize = 64 << 10;

/// What the loop does with input and received messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Each input line is a text message; each message received is written
    /// followed by a newline.
    Lines,
    /// Each input chunk is a binary message; messages received are written raw.
    Binary,
    /// Every message received is sent back; no input, no output.
    Echo,
}

/// How one run ended.
#[derive(Debug)]
pub enum Outcome {
    /// A close handshake (whoever started it).
    Closed(CloseInfo),
    /// The connection could not be opened.
    ConnectFailed(ConnectError),
    /// The connection failed without a close handshake.
    Failed(Error),
    /// Reading the input or writing the output failed (the connection was closed).
    Local(io::Error),
}

/// Connects to `uri` and runs `mode` until the connection ends.
pub async fn run(
    uri: &str,
    config: &ClientConfig,
    mode: Mode,
    io: (Input, Output),
    line_limit: usize,
    ping_interval: Option<Duration>,
) -> Outcome {
    let mut ws = match connect(uri, config).await {
        Ok(ws) => ws,
        Err(e) => return Outcome::ConnectFailed(e),
    };
    let mut pings = ping_interval.map(|every| {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks
    });
    let ended = match mode {
        Mode::Echo => echo(&mut ws, &mut pings).await,
        Mode::Lines | Mode::Binary => {
            let (input, output) = io;
            let messages = read_input(input, mode, line_limit);
            relay(&mut ws, messages, output, mode, &mut pings).await
        }
    };
    if let Err(outcome) = ended {
        return outcome;
    }
    match ws.close_info() {
        Some(info) => Outcome::Closed(info.clone()),
        None => Outcome::Failed(Error::Closed),
    }
}

/// Sends every message back until the stream ends.
async fn echo(ws: &mut WebSocket, pings: &mut Option<Interval>) -> Result<(), Outcome> {
    loop {
        tokio::select! {
            message = ws.next() => match message {
                // A send refused because the peer is closing is not our failure.
                Some(message) => {
                    let _ = ws.send(message.map_err(Outcome::Failed)?).await;
                }
                None => return Ok(()),
            },
            () = tick(pings) => ping(ws),
        }
    }
}

/// Sends the input's messages and writes what arrives, until the stream ends. The
/// end of the input closes with 1000; the loop then reads on until the server's
/// answer ends the stream.
async fn relay(
    ws: &mut WebSocket,
    mut messages: mpsc::Receiver<io::Result<Message>>,
    mut output: Output,
    mode: Mode,
    pings: &mut Option<Interval>,
) -> Result<(), Outcome> {
    let mut input_open = true;
    loop {
        tokio::select! {
            next = messages.recv(), if input_open => match next {
                Some(Ok(message)) => {
                    // Refused: the connection is closing; the stream says how.
                    if ws.send(message).await.is_err() {
                        input_open = false;
                    }
                }
                Some(Err(e)) => {
                    let _ = ws.close().await;
                    return Err(Outcome::Local(e));
                }
                None => {
                    input_open = false;
                    let _ = ws.close().await;
                }
            },
            message = ws.next() => match message {
                Some(message) => {
                    let message = message.map_err(Outcome::Failed)?;
                    if let Err(e) = write_message(&mut output, &message, mode).await {
                        let _ = ws.close().await;
                        return Err(Outcome::Local(e));
                    }
                }
                None => return Ok(()),
            },
            () = tick(pings) => ping(ws),
        }
    }
}

/// Writes one message: raw in binary mode, else followed by a newline.
async fn write_message(output: &mut Output, message: &Message, mode: Mode) -> io::Result<()> {
    match message {
        Message::Text(text) => output.write_all(text.as_bytes()).await?,
        Message::Binary(data) => output.write_all(data).await?,
    }
    if mode != Mode::Binary {
        output.write_all(b"\n").await?;
    }
    output.flush().await
}

/// The next ping time, or never without `--ping-interval`.
async fn tick(pings: &mut Option<Interval>) {
    match pings {
        Some(ticks) => {
            ticks.tick().await;
        }
        None => pending().await,
    }
}

/// Queues an empty ping (it leaves with the next poll of the stream); a refusal
/// means the connection is closing, which the stream reports.
fn ping(ws: &mut WebSocket) {
    let _ = ws.ping(&[]);
}

/// Reads the input in a task of its own and hands over messages through a small
/// channel (a `select!` on the channel is cancellation-safe; a read is not
/// always). The channel ends at the end of the input, after an error.
fn read_input(input: Input, mode: Mode, line_limit: usize) -> mpsc::Receiver<io::Result<Message>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let read = match mode {
            Mode::Binary => read_chunks(input, &tx).await,
            _ => read_lines(input, line_limit, &tx).await,
        };
        if let Err(e) = read {
            let _ = tx.send(Err(e)).await;
        }
    });
    rx
}

/// Each chunk as a read returns it (at most [`CHUNK`] bytes): one binary message.
async fn read_chunks(mut input: Input, tx: &mpsc::Sender<io::Result<Message>>) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = input.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let message = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
        if tx.send(Ok(message)).await.is_err() {
            return Ok(());
        }
    }
}

/// Each line (without its `\n` or `\r\n`) as a text message; a line longer than
/// `limit` bytes or not UTF-8 is an error (never buffered beyond the limit).
async fn read_lines(
    input: Input,
    limit: usize,
    tx: &mpsc::Sender<io::Result<Message>>,
) -> io::Result<()> {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        // The limit plus room for "\r\n".
        let bound = limit.saturating_add(2) as u64;
        if (&mut reader)
            .take(bound)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        if line.len() > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("input line {number} is longer than {limit} bytes (--max-message-size)"),
            ));
        }
        let text = String::from_utf8(std::mem::take(&mut line)).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("input line {number} is not UTF-8 (--binary sends bytes as they are)"),
            )
        })?;
        if tx.send(Ok(Message::Text(text))).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
