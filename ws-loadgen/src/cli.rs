//! The command line of the `ws-loadgen` binary.

use std::time::Duration;

use crate::connections::{ConnectionsConfig, MAX_MESSAGES};
use crate::error::LoadError;
use crate::fanout::FanoutConfig;
use crate::latency::LatencyConfig;
use crate::payload::PayloadKind;
use crate::target::Target;
use crate::throughput::ThroughputConfig;

/// Usage text.
pub const USAGE: &str = "\
usage: ws-loadgen <throughput | latency | connections | fanout> [OPTIONS]

  --url URL          ws://HOST:PORT/PATH on loopback (default ws://127.0.0.1:8080/echo)
  --label NAME       the server's name in reports (default: server)
  --connections N    throughput: 100; connections: 10000; fanout: subscribers (1000)
  --publish-url URL  fanout: where the publisher connects (default: --url with
                     `?publisher` appended)
  --window W         fanout: messages in flight (default 16)
  --in-flight K      throughput: messages in flight per connection (default 8)
  --size BYTES       message size, e.g. 16, 1k, 64k, 1m (default 16)
  --kind KIND        binary (random bytes, incompressible; default) or text (JSON-like)
  --deflate          offer permessage-deflate as Chromium does
                     (permessage-deflate; client_max_window_bits), compress what is
                     sent, inflate what comes back; fails if the server declines
  --messages M       connections: echoes per connection between the first two
                     memory readings (default 1)
  --later SECS       connections: a third memory reading SECS after the second
                     (default 0: none)
  --duration SECS    measured window (default 5)
  --warmup SECS      warm-up before the window (default 1)
  --server-pid PID   connections: the server's VmRSS (/proc/PID/status);
                     throughput: its CPU time over the window (/proc/PID/task/*/schedstat)
  --threads N        generator runtime threads (default 1: single-threaded)
  --json             also print one JSON line with the results
";

/// Largest message size accepted.
pub const MAX_SIZE: usize = 16 << 20;
/// Most connections accepted.
pub const MAX_CONNECTIONS: usize = 100_000;
/// Most messages in flight per connection accepted.
pub const MAX_IN_FLIGHT: usize = 4096;
/// Longest window or warm-up accepted, in seconds.
pub const MAX_SECONDS: f64 = 3600.0;

/// A parsed command line.
#[derive(Clone, Debug)]
pub struct Args {
    /// What to run.
    pub mode: Mode,
    /// Runtime threads for the generator.
    pub threads: usize,
    /// Print a JSON line.
    pub json: bool,
}

/// The mode and its settings.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Pipelined echo throughput.
    Throughput(ThroughputConfig),
    /// One-at-a-time round trips.
    Latency(LatencyConfig),
    /// Many idle connections and server memory.
    Connections(ConnectionsConfig),
    /// One publisher, many subscribers.
    Fanout(FanoutConfig),
}

/// Parses a size: bytes, or with a `k`/`KiB` or `m`/`MiB` suffix (powers of 1024).
pub fn parse_size(text: &str) -> Option<usize> {
    let lower = text.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), ""),
    };
    let factor = match unit {
        "" | "b" => 1,
        "k" | "kib" => 1024,
        "m" | "mib" => 1024 * 1024,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(factor)
}

fn parse_seconds(name: &str, text: &str) -> Result<Duration, LoadError> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=MAX_SECONDS).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(LoadError::Usage(format!(
            "{name} {text}: expected seconds between 0 and {MAX_SECONDS}"
        ))),
    }
}

fn parse_count(name: &str, text: &str, max: usize) -> Result<usize, LoadError> {
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(LoadError::Usage(format!(
            "{name} {text}: expected an integer from 1 to {max}"
        ))),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Args, LoadError> {
    let usage = |why: String| LoadError::Usage(format!("{why}\n\n{USAGE}"));
    let (mode, rest) = args
        .split_first()
        .ok_or_else(|| usage("no mode given".into()))?;
    let mut url = "ws://127.0.0.1:8080/echo".to_owned();
    let mut label = "server".to_owned();
    let mut connections = None;
    let mut in_flight = 8;
    let mut size = 16;
    let mut kind = PayloadKind::Binary;
    let mut deflate = false;
    let mut messages = 1;
    let mut later = Duration::ZERO;
    let mut duration = Duration::from_secs(5);
    let mut warmup = Duration::from_secs(1);
    let mut server_pid = None;
    let mut threads = 1;
    let mut json = false;
    let mut publish_url = None;
    let mut window = 16;
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--json" => {
                json = true;
                continue;
            }
            "--deflate" => {
                deflate = true;
                continue;
            }
            _ => {}
        }
        let value = it
            .next()
            .ok_or_else(|| usage(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--url" => url = value.clone(),
            "--label" => label = value.clone(),
            "--connections" => connections = Some(parse_count(flag, value, MAX_CONNECTIONS)?),
            "--in-flight" => in_flight = parse_count(flag, value, MAX_IN_FLIGHT)?,
            "--size" => {
                size = parse_size(value)
                    .filter(|s| (crate::payload::SEQ_LEN..=MAX_SIZE).contains(s))
                    .ok_or_else(|| {
                        LoadError::Usage(format!(
                            "--size {value}: expected 8 bytes to 16 MiB (e.g. 16, 1k, 64k, 1m)"
                        ))
                    })?
            }
            "--kind" => {
                kind = PayloadKind::parse(value).ok_or_else(|| {
                    LoadError::Usage(format!("--kind {value}: expected binary or text"))
                })?
            }
            "--messages" => {
                messages = match value.parse::<usize>() {
                    Ok(n) if n <= MAX_MESSAGES => n,
                    _ => {
                        return Err(LoadError::Usage(format!(
                            "--messages {value}: expected an integer from 0 to {MAX_MESSAGES}"
                        )))
                    }
                }
            }
            "--later" => later = parse_seconds(flag, value)?,
            "--duration" => duration = parse_seconds(flag, value)?,
            "--warmup" => warmup = parse_seconds(flag, value)?,
            "--server-pid" => {
                server_pid = Some(value.parse::<u32>().map_err(|_| {
                    LoadError::Usage(format!("--server-pid {value}: expected a process id"))
                })?)
            }
            "--threads" => threads = parse_count(flag, value, 256)?,
            "--publish-url" => publish_url = Some(value.clone()),
            "--window" => window = parse_count(flag, value, crate::fanout::MAX_WINDOW)?,
            _ => return Err(usage(format!("unknown option {flag}"))),
        }
    }
    let target = Target::parse(&url)?;
    let mode = match mode.as_str() {
        "throughput" => Mode::Throughput(ThroughputConfig {
            target,
            label,
            connections: connections.unwrap_or(100),
            in_flight,
            size,
            kind,
            deflate,
            warmup,
            duration,
            server_pid,
        }),
        "latency" => Mode::Latency(LatencyConfig {
            target,
            label,
            size,
            kind,
            deflate,
            warmup,
            duration,
        }),
        "fanout" => {
            let publish = publish_url.unwrap_or_else(|| {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}publisher")
            });
            Mode::Fanout(FanoutConfig {
                subscribe: target,
                publish: Target::parse(&publish)?,
                label,
                subscribers: connections.unwrap_or(1000),
                size: size.max(crate::fanout::HEAD),
                window,
                warmup,
                duration,
                server_pid,
            })
        }
        "connections" => Mode::Connections(ConnectionsConfig {
            target,
            label,
            connections: connections.unwrap_or(10_000),
            messages,
            size,
            kind,
            deflate,
            later,
            server_pid,
        }),
        other => return Err(usage(format!("unknown mode {other}"))),
    };
    Ok(Args {
        mode,
        threads,
        json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, LoadError> {
        parse(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16"), Some(16));
        assert_eq!(parse_size("1k"), Some(1024));
        assert_eq!(parse_size("64KiB"), Some(65536));
        assert_eq!(parse_size("1m"), Some(1 << 20));
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("1g"), None);
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("-1"), None);
    }

    #[test]
    fn throughput_defaults_and_overrides() {
        let a = args("throughput --url ws://127.0.0.1:9/echo --size 64k --json").unwrap();
        assert!(a.json);
        assert_eq!(a.threads, 1);
        let Mode::Throughput(t) = a.mode else {
            panic!("wrong mode")
        };
        assert_eq!((t.connections, t.in_flight, t.size), (100, 8, 65536));
        assert_eq!(
            (t.warmup, t.duration),
            (Duration::from_secs(1), Duration::from_secs(5))
        );
        let a = args("throughput --connections 3 --in-flight 2 --duration 0.5 --label x").unwrap();
        let Mode::Throughput(t) = a.mode else {
            panic!("wrong mode")
        };
        assert_eq!((t.connections, t.in_flight, t.label.as_str()), (3, 2, "x"));
        assert_eq!(t.duration, Duration::from_millis(500));
    }

    #[test]
    fn connections_mode_takes_a_pid() {
        let Mode::Connections(c) = args("connections --server-pid 42").unwrap().mode else {
            panic!("wrong mode")
        };
        assert_eq!((c.connections, c.server_pid), (10_000, Some(42)));
        assert_eq!((c.messages, c.size, c.deflate), (1, 16, false));
        assert_eq!(c.later, Duration::ZERO);
        let line = "connections --messages 8 --size 1k --kind text --deflate --later 2.5";
        let Mode::Connections(c) = args(line).unwrap().mode else {
            panic!("wrong mode")
        };
        assert_eq!(
            (c.messages, c.size, c.kind, c.deflate),
            (8, 1024, PayloadKind::Text, true)
        );
        assert_eq!(c.later, Duration::from_millis(2500));
    }

    #[test]
    fn kind_and_deflate_reach_every_mode() {
        let Mode::Throughput(t) = args("throughput --kind text --deflate").unwrap().mode else {
            panic!("wrong mode")
        };
        assert_eq!((t.kind, t.deflate), (PayloadKind::Text, true));
        let Mode::Latency(l) = args("latency --deflate").unwrap().mode else {
            panic!("wrong mode")
        };
        assert_eq!((l.kind, l.deflate), (PayloadKind::Binary, true));
    }

    #[test]
    fn bad_lines_are_refused() {
        for line in [
            "",
            "flood",
            "throughput --size 4",
            "throughput --size 17m",
            "throughput --connections 0",
            "throughput --duration -1",
            "throughput --duration 99999",
            "throughput --url ws://10.1.2.3/echo",
            "throughput --bogus 1",
            "throughput --size",
            "connections --server-pid me",
            "throughput --kind json",
            "connections --messages 10001",
            "connections --messages -1",
        ] {
            assert!(matches!(args(line), Err(LoadError::Usage(_))), "{line:?}");
        }
    }
}
