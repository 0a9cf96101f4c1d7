//! The command line of the `ws-client` binary (binary-only module): flags, their
//! help and defaults, the exit statuses, and the [`ClientConfig`] they describe.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ws_client::ClientConfig;
use ws_config::{keys, Config, ConfigErrors, Sources};

/// The connection closed with 1000.
pub const EXIT_OK: u8 = 0;
/// Failure at run time: connecting failed (DNS, TCP, TLS, proxy, handshake refused,
/// timeout), or reading the input or writing the output failed.
pub const EXIT_FAILURE: u8 = 1;
/// Usage error: a bad flag or argument, or a file named by a flag (`--config`,
/// `--input`, `--output`) that cannot be used. Nothing was attempted. Also clap's
/// exit status for the errors it finds itself.
pub const EXIT_USAGE: u8 = 2;
/// The connection closed with a code other than 1000.
pub const EXIT_CLOSED_OTHER: u8 = 3;
/// The connection failed without a close handshake (protocol error, a message over
/// the limit, timeout, connection lost).
pub const EXIT_ABNORMAL: u8 = 4;

/// The message limit when neither `--max-message-size` nor a configuration key sets
/// one: large enough for what people pipe through a command-line tool, and the
/// session's own absolute limit (`max_message_size`, 64 MiB) so one number holds.
pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;

/// `--help`'s closing section: the exit statuses, numbered as ws-server's (0, 1, 2)
/// plus the two close outcomes.
const AFTER_HELP: &str = "\
Exit status:
  0  the connection closed with 1000
  1  failed at run time: could not connect, or reading the input or writing the
     output failed
  2  usage or configuration error: a bad flag or argument, or a file named by
     --config, --input or --output that cannot be used
  3  the connection closed with another code
  4  the connection failed without a close handshake (protocol error, message
     over the limit, timeout, connection lost)

When the connection closes, a line on stderr says who closed it, the code and the
reason.";

/// A command-line WebSocket client: sends each line of input as a text message
/// and prints every message received, one per line, until the input ends (then it
/// closes with 1000) or the server closes.
#[derive(Debug, Parser)]
#[command(name = "ws-client", version, after_help = AFTER_HELP)]
pub struct Args {
    /// The server: ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH.
    #[arg(value_name = "URI")]
    pub uri: String,

    /// Send every message received back unchanged (text or binary) until the
    /// server closes; no input is read (the mode for conformance test suites).
    #[arg(long, conflicts_with_all = ["binary", "input", "output"])]
    pub echo: bool,

    /// Binary mode: each chunk read from the input (at most 64 KiB, as the read
    /// returns it) is sent as one binary message, and every message received is
    /// written raw, with no newline added.
    #[arg(long, short = 'b')]
    pub binary: bool,

    /// Read the messages to send from FILE ('-' for standard input).
    #[arg(long, short = 'i', value_name = "FILE", default_value = "-")]
    pub input: PathBuf,

    /// Write the messages received to FILE, created or truncated ('-' for standard
    /// output).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub output: PathBuf,

    /// The largest message accepted, text or binary (a larger one fails the
    /// connection with 1009); also the longest input line. Bytes, or with a suffix
    /// K, M, G (KiB, MiB, GiB) [default: 64 MiB, unless --config sets textBufferSize,
    /// binaryBufferSize or DEFAULT_BUFFER_SIZE].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_message_size: Option<usize>,

    /// Send a ping every SECS seconds (decimals allowed) while connected.
    #[arg(long, value_name = "SECS", value_parser = parse_interval)]
    pub ping_interval: Option<Duration>,

    /// Tomcat's WebSocket client keys from a Java .properties file (timeouts, TLS
    /// trust store, credentials, buffer sizes).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Offer this subprotocol (repeat the flag for several, most preferred first).
    #[arg(long = "protocol", value_name = "NAME")]
    pub protocols: Vec<String>,

    /// Add a request header (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// Do not offer permessage-deflate (RFC 7692).
    #[arg(long)]
    pub no_deflate: bool,

    /// The zlib level messages are compressed at when permessage-deflate is
    /// negotiated, 1 to 9, or 0: send them uncompressed (still inflating what the
    /// server compresses). 6 by default, zlib's; 1 is several times as fast for
    /// about a third more bytes.
    #[arg(long, value_name = "LEVEL", default_value_t = 6,
          value_parser = clap::value_parser!(u32).range(0..=9))]
    pub compression_level: u32,

    /// Use HTTP/2 (RFC 8441) on `ws://` too, with prior knowledge; on `wss://`
    /// HTTP/2 is used whenever the server offers it through ALPN.
    #[arg(long)]
    pub http2: bool,
}

impl Args {
    /// The connection settings: the `--config` file and the environment (Tomcat's
    /// keys), the message limit, and what the request offers.
    pub fn client_config(&self) -> Result<ClientConfig, ConfigErrors> {
        let mut sources = Sources::new();
        if let Some(path) = &self.config {
            sources = sources.properties_file(path)?;
        }
        if let Some(size) = self.max_message_size {
            // Code wins over the file; the table checks the value.
            sources = sources
                .set(keys::TEXT_BUFFER_SIZE, size.to_string())
                .set(keys::BINARY_BUFFER_SIZE, size.to_string());
        }
        // System-property keys (DEFAULT_BUFFER_SIZE, ...) from the environment.
        let resolved = sources.process_env().resolve()?;
        let mut config = ClientConfig::from_config(&resolved);
        apply_default_limit(&resolved, &mut config);
        config.protocols = self.protocols.clone();
        config.headers = self.headers.clone();
        config.deflate = !self.no_deflate;
        // The tuning the negotiated parameters go on top of.
        let tuning = config.session.deflate.unwrap_or_default();
        config.session.deflate = Some(tuning.with_compression_level(self.compression_level));
        if self.http2 {
            config.http2 = ws_client::Http2::Prefer;
        }
        Ok(config)
    }
}

/// [`DEFAULT_MAX_MESSAGE`] for each buffer size no source set (Tomcat's 8 KiB
/// otherwise), and the session's absolute limits raised to the largest.
fn apply_default_limit(resolved: &Config, config: &mut ClientConfig) {
    let by_default = !resolved.is_set(&keys::DEFAULT_BUFFER_SIZE);
    let session = &mut config.session;
    if by_default && !resolved.is_set(&keys::TEXT_BUFFER_SIZE) {
        session.text_buffer_size = DEFAULT_MAX_MESSAGE;
    }
    if by_default && !resolved.is_set(&keys::BINARY_BUFFER_SIZE) {
        session.binary_buffer_size = DEFAULT_MAX_MESSAGE;
    }
    let largest = session.text_buffer_size.max(session.binary_buffer_size);
    session.max_message_size = session.max_message_size.max(largest as u64);
    // One message of the largest size fits in the outbound queue, with room for
    // its frame headers and control frames.
    session.max_outbound_bytes = session.max_outbound_bytes.max(largest + (64 << 10));
}

/// `1048576`, `64K`, `16MiB`, `1 G`: bytes, suffixes in powers of 1024.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        other => return Err(format!("unknown unit {other:?}; use K, M or G")),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| "expected a number of bytes, e.g. 1048576 or 64M".to_owned())?;
    n.checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| "out of range".to_owned())
}

/// Seconds, decimals allowed, more than zero.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| "expected a number of seconds, e.g. 30 or 0.5".to_owned())?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "expected more than 0 seconds".to_owned())
}

/// `Name: value`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_owned())?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// Prints an error in clap's format (`error: ...` on stderr) and returns `status`.
pub fn fail(status: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("1 g"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("-1").is_err());
        assert!(parse_interval("soon").is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-A:  b c "),
            Ok(("X-A".to_owned(), "b c".to_owned()))
        );
        assert!(parse_header("no colon").is_err());
    }
}
