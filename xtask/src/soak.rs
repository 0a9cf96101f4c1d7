//! `cargo xtask soak [--minutes N | --seconds N] [--lanes N] [--seed N]`: a bounded
//! soak of the release `ws-server` by `ws-soak` (5 minutes and 200 connections at
//! a time by default).
//!
//! 1. The release binaries `ws-server` and `ws-soak` are built.
//! 2. `target/soak/soak.properties` sets the server's text and binary buffers to
//!    4 MiB (the largest message; one byte more is refused with 1009) and its read
//!    idle timeout to 8 s (sessions that wait past it see the server close them).
//!    `ws-server` runs on a free loopback port with it (deflate on, its default),
//!    its log in `target/soak/ws-server.log`.
//! 3. A warm-up run of `ws-soak` (a tenth of the time, 5 to 30 s), then, once the
//!    server holds no connection, its RSS and open fds are the start sample.
//! 4. The soak itself (see `ws-soak`'s docs for what its lanes do); once the
//!    server holds no connection again, the end sample.
//! 5. The driver's tally (messages, bytes, closes, errors by kind) and the
//!    server's RSS and fds at start and end are printed. The soak fails if the
//!    driver saw any error, the server died, its fds at the end differ from the
//!    start, or its RSS grew by more than [`RSS_BOUND`].
//!
//! "Holds no connection": none of the server's open sockets is a TCP socket in a
//! state other than LISTEN (`/proc/PID/fd` against `/proc/net/tcp`).

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{start_listening, target_dir, Running};
use crate::{cargo, step};

/// The largest message of the soak (the server's buffer sizes).
const MAX_MESSAGE: usize = 4 << 20;

/// The server's read idle timeout in the soak.
const SERVER_IDLE_MS: u64 = 8000;

/// How much the server's RSS may grow from the start sample (after the warm-up)
/// to the end sample. The allocator keeps freed memory in its arenas, and how much
/// depends on the peak of the moment (messages up to 4 MiB, four of 1 MiB or more
/// in flight at once, each held by the server as received, compressed and queued
/// copies), so a peak later in the run than in the warm-up leaves more behind
/// without any leak. A leak of one 4 MiB message per session, or of a 64 KiB
/// buffer per connection over the run's tens of thousands of connections, passes
/// this bound many times over.
const RSS_BOUND: u64 = 64 << 20;

/// How long to wait for the server to let go of every connection.
const QUIET_GUARD: Duration = Duration::from_secs(60);

/// The server's resources at one moment.
#[derive(Clone, Copy, Debug)]
struct Sample {
    rss: u64,
    fds: usize,
}

impl Sample {
    fn of(pid: u32) -> Result<Sample, String> {
        let status = fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or("no VmRSS")?
            * 1024;
        let fds = fs::read_dir(format!("/proc/{pid}/fd"))
            .map_err(|e| format!("/proc/{pid}/fd: {e}"))?
            .count();
        Ok(Sample { rss, fds })
    }
}

struct Args {
    seconds: u64,
    lanes: usize,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        seconds: 300,
        lanes: 200,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = || -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{a} needs a number"))
        };
        match a.as_str() {
            "--minutes" => out.seconds = number()? * 60,
            "--seconds" => out.seconds = number()?,
            "--lanes" => out.lanes = number()? as usize,
            "--seed" => out.seed = number()?,
            other => return Err(format!("soak: unknown argument {other}")),
        }
    }
    Ok(out)
}

/// Runs the soak; `Err` if anything listed in the module docs went wrong.
pub fn run(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    let started = Instant::now();
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "ws-server",
        "-p",
        "ws-soak",
        "--bins",
    ]);
    step("build release ws-server and ws-soak", build)?;
    let release = target_dir().join("release");
    let out = target_dir().join("soak");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let properties = out.join("soak.properties");
    fs::write(&properties, server_properties())
        .map_err(|e| format!("{}: {e}", properties.display()))?;

    let (mut server, url) = start_server(&release.join("ws-server"), &properties, &out)?;
    let pid = server.0.id();
    eprintln!("\n==> ws-server at {url} (pid {pid})");

    let warmup = (args.seconds / 10).clamp(5, 30);
    drive(
        &format!("warm-up: ws-soak for {warmup} s"),
        &release.join("ws-soak"),
        &url,
        warmup,
        &args,
        args.seed.wrapping_add(1),
    )?;
    quiet(pid)?;
    let start = Sample::of(pid)?;

    drive(
        &format!("soak: ws-soak for {} s", args.seconds),
        &release.join("ws-soak"),
        &url,
        args.seconds,
        &args,
        args.seed,
    )?;
    quiet(pid)?;
    let end = Sample::of(pid)?;
    if let Ok(Some(status)) = server.0.try_wait() {
        return Err(format!("ws-server exited during the soak: {status}"));
    }
    stop(&mut server);

    println!("\nserver      start        end          bound");
    println!(
        "RSS         {:<12} {:<12} +{}",
        mib(start.rss),
        mib(end.rss),
        mib(RSS_BOUND)
    );
    println!("open fds    {:<12} {:<12} +0", start.fds, end.fds);
    println!(
        "\nsoak: {:.0} s in all (warm-up and build included); server log in {}",
        started.elapsed().as_secs_f64(),
        out.join("ws-server.log").display()
    );
    if end.fds != start.fds {
        return Err(format!(
            "soak: the server holds {} fds at the end, {} at the start",
            end.fds, start.fds
        ));
    }
    if end.rss > start.rss + RSS_BOUND {
        return Err(format!(
            "soak: the server's RSS grew from {} to {}, more than {}",
            mib(start.rss),
            mib(end.rss),
            mib(RSS_BOUND)
        ));
    }
    println!("soak: passed (no error, the server's fds back to the start, RSS within the bound)");
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

/// Runs the driver; fails if it reports errors or cannot run.
fn drive(
    name: &str,
    bin: &Path,
    url: &str,
    seconds: u64,
    args: &Args,
    seed: u64,
) -> Result<(), String> {
    let mut cmd = Command::new(bin);
    cmd.arg(url)
        .args(["--seconds", &seconds.to_string()])
        .args(["--lanes", &args.lanes.to_string()])
        .args(["--seed", &seed.to_string()])
        .args(["--max-size", &MAX_MESSAGE.to_string()])
        .args(["--server-idle-ms", &SERVER_IDLE_MS.to_string()]);
    step(name, cmd)
}

/// The server's settings for the soak (key names from `ws-config`, the one place
/// that spells them in full).
fn server_properties() -> String {
    use ws_config::keys::{BINARY_BUFFER_SIZE, READ_IDLE_TIMEOUT_MS, TEXT_BUFFER_SIZE};
    format!(
        "{}={MAX_MESSAGE}\n{}={MAX_MESSAGE}\n{}={SERVER_IDLE_MS}\n",
        TEXT_BUFFER_SIZE.name(),
        BINARY_BUFFER_SIZE.name(),
        READ_IDLE_TIMEOUT_MS.name()
    )
}

/// Starts `ws-server` on a free loopback port; returns it and its `ws://ADDR`.
fn start_server(bin: &Path, properties: &Path, out: &Path) -> Result<(Running, String), String> {
    let mut command = Command::new(bin);
    command
        .args(["--addr", "127.0.0.1:0", "--config"])
        .arg(properties)
        .env("RUST_LOG", "warn");
    start_listening(command, "ws-server", &out.join("ws-server.log"))
}

/// Stops the server gracefully (SIGTERM), or kills it after 10 s.
fn stop(server: &mut Running) {
    let pid = server.0.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = server.0.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the server holds no TCP connection (only its listener).
fn quiet(pid: u32) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let open = connections(pid)?;
        if open == 0 {
            return Ok(());
        }
        if started.elapsed() > QUIET_GUARD {
            return Err(format!(
                "soak: the server still holds {open} connections {} s after the driver ended",
                QUIET_GUARD.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The server's TCP sockets in a state other than LISTEN.
fn connections(pid: u32) -> Result<usize, String> {
    let mut inodes = HashSet::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd")).map_err(|e| e.to_string())? {
        let Ok(link) = entry.and_then(|e| fs::read_link(e.path())) else {
            continue; // closed meanwhile
        };
        let link = link.to_string_lossy().into_owned();
        if let Some(inode) = link
            .strip_prefix("socket:[")
            .and_then(|s| s.strip_suffix(']'))
        {
            inodes.insert(inode.to_owned());
        }
    }
    let mut open = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local remote st tx:rx tr:when retrnsmt uid timeout inode
            if let (Some(state), Some(inode)) = (fields.get(3), fields.get(9)) {
                if *state != "0A" && inodes.contains(*inode) {
                    open += 1;
                }
            }
        }
    }
    Ok(open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_use_the_full_key_names() {
        let text = server_properties();
        let props = ws_config::Properties::parse(&text, "soak").unwrap();
        let config = ws_config::Sources::new()
            .properties(props)
            .resolve()
            .unwrap();
        assert_eq!(config.effective_text_buffer_size(), MAX_MESSAGE);
        assert_eq!(config.effective_binary_buffer_size(), MAX_MESSAGE);
        assert_eq!(
            config.session_config().read_idle_timeout,
            Some(Duration::from_millis(SERVER_IDLE_MS))
        );
    }

    #[test]
    fn arguments() {
        let a = parse(&[
            "--minutes".into(),
            "2".into(),
            "--lanes".into(),
            "50".into(),
        ])
        .unwrap();
        assert_eq!((a.seconds, a.lanes), (120, 50));
        let a = parse(&["--seconds".into(), "25".into()]).unwrap();
        assert_eq!(a.seconds, 25);
        assert!(parse(&["--hours".into()]).is_err());
    }
}
