//! `cargo xtask h2bench [--seconds S]`: the HTTP/2 measurements of issue 19, short
//! enough for a shared machine, rerunnable.
//!
//! 1. `ws-server --no-deflate --threads 1` (pinned to CPU 0): 100 WebSockets
//!    echoing 16 B, 1 KiB, 64 KiB and 1 MiB binary messages as 100 streams of one
//!    HTTP/2 connection against 100 TCP connections (`benches/examples/h2_load.rs`,
//!    pinned to CPU 1, the same client code on both transports); the ratio h2 / TCP.
//! 2. Memory per idle WebSocket on one HTTP/2 connection: 1000 streams opened, the
//!    server's `VmRSS` before and after.
//! 3. axum: the same 100 TCP WebSockets against an axum `/echo` served by ws-axum
//!    and by axum's own `ws` module (`benches/examples/axum_echo.rs`, one runtime
//!    thread each, pinned to CPU 0); the ratio ours / axum.
//!
//! Prints markdown tables (also `target/h2bench/report.md`). Each cell is one run of
//! S seconds (default 3) after a one-second warm-up: a check of ratios, not a
//! benchmark of record.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{start_listening, Running};
use crate::{cargo, root, step};

const SIZES: [(usize, &str); 4] = [
    (16, "16 B"),
    (1024, "1 KiB"),
    (65536, "64 KiB"),
    (1 << 20, "1 MiB"),
];
const CONNECTIONS: &str = "100";
const IDLE_STREAMS: &str = "1000";

/// Runs the measurements; `Err` if anything fails.
pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = match args {
        [] => "3".to_owned(),
        [flag, s] if flag == "--seconds" => s.clone(),
        _ => return Err("usage: cargo xtask h2bench [--seconds S]".into()),
    };
    let mut build = cargo();
    build.args(["build", "--release", "-p", "ws-server", "--bins"]);
    step("cargo build --release -p ws-server", build)?;
    let mut examples = cargo();
    examples.args([
        "build",
        "--release",
        "-p",
        "ws-benches",
        "--example",
        "h2_load",
        "--example",
        "axum_echo",
    ]);
    step("cargo build --release (h2_load, axum_echo)", examples)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let release = target.join("release");
    let out = target.join("h2bench");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let properties = out.join("buffers.properties");
    fs::write(&properties, buffer_properties()).map_err(|e| e.to_string())?;
    let load = release.join("examples/h2_load");

    let mut report = String::from("## HTTP/2 (issue 19), one run per cell\n\n");
    report.push_str(&format!("Load average at start: {}\n\n", load_average()));

    // 1. HTTP/2 against TCP on ws-server.
    let config = properties.to_string_lossy().into_owned();
    let (server, addr, _) = start(
        &release.join("ws-server"),
        &["--no-deflate", "--config", &config],
        &out,
        "ws-server",
    )?;
    report.push_str(&format!(
        "### ws-server: {CONNECTIONS} WebSockets, one HTTP/2 connection vs {CONNECTIONS} TCP connections\n\n\
         | size | TCP msgs/s | HTTP/2 msgs/s | HTTP/2 / TCP |\n|---|---|---|---|\n"
    ));
    for (size, name) in SIZES {
        let tcp = echo(&load, &addr, "/echo", "tcp", size, &seconds)?;
        let h2 = echo(&load, &addr, "/echo", "h2", size, &seconds)?;
        report.push_str(&format!(
            "| {name} | {tcp:.0} | {h2:.0} | {:.2} |\n",
            h2 / tcp
        ));
    }

    // 2. Memory per idle WebSocket on one HTTP/2 connection, on a fresh server: one
    // that has just echoed 1 MiB messages holds freed memory that new streams reuse,
    // and measured 0 bytes per WebSocket.
    drop(server);
    let (server, addr, pid) = start(
        &release.join("ws-server"),
        &["--no-deflate", "--config", &config],
        &out,
        "ws-server-idle",
    )?;
    let idle = pinned(&load)
        .args([
            "idle",
            "--addr",
            &addr,
            "--path",
            "/echo",
            "--connections",
            IDLE_STREAMS,
        ])
        .args(["--pid", &pid.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&idle.stdout).trim().to_owned();
    if !idle.status.success() {
        return Err(format!(
            "h2_load idle failed: {}",
            String::from_utf8_lossy(&idle.stderr)
        ));
    }
    report.push_str(&format!(
        "\n### Memory per idle WebSocket on one HTTP/2 connection ({IDLE_STREAMS} streams, server VmRSS)\n\n`{line}`\n"
    ));
    drop(server);

    // 3. ws-axum against axum's own ws module.
    let axum_bin = release.join("examples/axum_echo");
    report.push_str(&format!(
        "\n### axum /echo, {CONNECTIONS} TCP WebSockets: ws-axum vs axum's ws (tokio-tungstenite)\n\n\
         | size | ws-axum msgs/s | axum ws msgs/s | ws-axum / axum |\n|---|---|---|---|\n"
    ));
    let mut rows = Vec::new();
    for which in ["ours", "axum"] {
        let (server, addr, _) = start(&axum_bin, &[which], &out, &format!("axum-{which}"))?;
        let mut cells = Vec::new();
        for (size, _) in SIZES {
            cells.push(echo(&load, &addr, "/echo", "tcp", size, &seconds)?);
        }
        rows.push(cells);
        drop(server);
    }
    for (i, (_, name)) in SIZES.iter().enumerate() {
        let (ours, theirs) = (rows[0][i], rows[1][i]);
        report.push_str(&format!(
            "| {name} | {ours:.0} | {theirs:.0} | {:.2} |\n",
            ours / theirs
        ));
    }
    println!("\n{report}");
    let file = out.join("report.md");
    fs::write(&file, &report).map_err(|e| format!("{}: {e}", file.display()))?;
    println!("(also in {})", file.display());
    Ok(())
}

/// `taskset -c 1 BINARY`: the load client on the second core.
fn pinned(binary: &Path) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "1"]).arg(binary);
    cmd
}

/// One echo run: messages per second.
fn echo(
    load: &Path,
    addr: &str,
    path: &str,
    transport: &str,
    size: usize,
    seconds: &str,
) -> Result<f64, String> {
    let output = pinned(load)
        .args([
            "echo",
            "--addr",
            addr,
            "--path",
            path,
            "--transport",
            transport,
        ])
        .args([
            "--connections",
            CONNECTIONS,
            "--size",
            &size.to_string(),
            "--seconds",
            seconds,
        ])
        .output()
        .map_err(|e| format!("h2_load: {e} (taskset from util-linux is needed)"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "h2_load {transport} {size}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("msgs_per_sec="))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("h2_load printed {text:?}"))
}

/// Starts a server pinned to CPU 0 with one runtime thread; its address and pid.
fn start(
    binary: &Path,
    args: &[&str],
    out: &Path,
    name: &str,
) -> Result<(Running, String, u32), String> {
    let mut command = Command::new("taskset");
    command.args(["-c", "0"]).arg(binary).args(args).args([
        "--addr",
        "127.0.0.1:0",
        "--threads",
        "1",
    ]);
    let (running, url) = start_listening(command, name, &out.join(format!("{name}.log")))?;
    let pid = running.0.id();
    let addr = url.rsplit("://").next().unwrap_or(&url).to_owned();
    Ok((running, addr, pid))
}

/// Raises ws-server's whole-message limits above 1 MiB (key names from ws-config).
fn buffer_properties() -> String {
    use ws_config::keys::{BINARY_BUFFER_SIZE, TEXT_BUFFER_SIZE};
    const LIMIT: usize = 4 << 20;
    format!(
        "{}={LIMIT}\n{}={LIMIT}\n",
        TEXT_BUFFER_SIZE.name(),
        BINARY_BUFFER_SIZE.name()
    )
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
