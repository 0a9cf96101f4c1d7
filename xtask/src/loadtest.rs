//! `cargo xtask loadtest [--quick] [--rounds N]`: `ws-server` against the peer echo
//! servers (`tokio-tungstenite`, `fastwebsockets`; examples of `benches/`), measured
//! with `ws-loadgen` in the same run and on the same settings.
//!
//! Every server is pinned to CPU 0 with `taskset` and a single-threaded runtime,
//! without permessage-deflate; the generator (single-threaded too) is pinned to CPU 1.
//! The servers run side by side (idle unless measured) and are measured in turn:
//! each round runs throughput at 16 B, 1 KiB, 64 KiB and 1 MiB (100 connections, 8
//! messages in flight each) on every server, then round-trip latency (1 connection,
//! 16 B; 5 runs per server and round, interleaved, rotating which server goes first); a
//! throughput cell keeps its best round (2 rounds; 1 with `--quick`), a latency
//! cell the median of its runs, and a paired line the median of run-by-run
//! differences against each peer (drift between runs cancels); an error in any run
//! sticks. Then SIGTERM. Last, the connections run against a fresh
//! `ws-server` (10,000 connections; 1,000 with `--quick`) reads its memory per idle
//! connection. Prints one markdown table (also written to
//! `target/loadtest/report.md`); server logs go to `target/loadtest/*.log`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{cargo, root, step};

/// Message sizes of the throughput runs.
const SIZES: [usize; 4] = [16, 1024, 65536, 1 << 20];
/// Connections of the throughput runs.
const CONNECTIONS: usize = 100;
/// Messages in flight per connection.
const IN_FLIGHT: usize = 8;
/// How long a server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The run's length settings.
struct Plan {
    warmup: &'static str,
    duration: &'static str,
    /// Interleaved rounds; each throughput cell reports its best round.
    rounds: usize,
    /// Latency runs per server and round; the cell reports their median.
    latency_runs: usize,
    idle_connections: usize,
    quick: bool,
}

/// A server to measure.
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) binary: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) path: &'static str,
}

/// A started server; killed on drop if it was not stopped.
pub(crate) struct Running {
    pub(crate) name: &'static str,
    child: Option<Child>,
    pub(crate) url: String,
    log: PathBuf,
}

/// One server's results.
struct Row {
    name: &'static str,
    /// Per size: msgs/s, and msgs per second of server CPU time; or why the cell is
    /// empty.
    throughput: Vec<Result<(f64, f64), String>>,
    /// p50 and p99 in microseconds: the median run.
    latency: Result<(f64, f64), String>,
    /// Every latency run, in order (run `k` of every server was measured in the same
    /// back-to-back group).
    latency_runs: Vec<Cell>,
}

/// Entry point: `args` are the arguments after `loadtest`.
pub fn run(args: &[String]) -> Result<(), String> {
    let usage = || "usage: cargo xtask loadtest [--quick] [--rounds N]".to_string();
    let (mut quick, mut rounds) = (false, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--rounds" => {
                let n = it.next().and_then(|n| n.parse::<usize>().ok());
                rounds = Some(n.filter(|n| (1..=10).contains(n)).ok_or_else(usage)?);
            }
            _ => return Err(usage()),
        }
    }
    let plan = if quick {
        Plan {
            warmup: "0.5",
            duration: "2",
            rounds: rounds.unwrap_or(1),
            latency_runs: 1,
            idle_connections: 1_000,
            quick,
        }
    } else {
        Plan {
            warmup: "1",
            duration: "5",
            rounds: rounds.unwrap_or(2),
            latency_runs: 5,
            idle_connections: 10_000,
            quick,
        }
    };
    check_taskset()?;
    // The binary moved under src/bin/ when ws-server became a library with a demo
    // binary; this check had kept looking at the old path and measured only the
    // peers since.
    let have_server = root().join("ws-server/src/bin/ws-server/main.rs").exists();
    build(have_server)?;
    let release = target_dir().join("release");
    let out_dir = target_dir().join("loadtest");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let loadgen = release.join("ws-loadgen");

    let mut specs = Vec::new();
    if have_server {
        // Tomcat's 8 KiB default buffers would close 64 KiB and 1 MiB messages with 1009.
        let config = out_dir.join("ws-server.properties");
        std::fs::write(&config, server_properties())
            .map_err(|e| format!("{}: {e}", config.display()))?;
        specs.push(Spec {
            name: "ws-server",
            binary: release.join("ws-server"),
            args: vec![
                "--no-deflate".into(),
                "--config".into(),
                config.display().to_string(),
            ],
            path: "/echo",
        });
    } else {
        eprintln!(
            "xtask loadtest: ws-server/src/bin/ws-server/main.rs does not exist: measuring the peers only"
        );
    }
    for (name, example) in [
        ("tokio-tungstenite", "tungstenite_echo"),
        ("fastwebsockets", "fastwebsockets_echo"),
    ] {
        specs.push(Spec {
            name,
            binary: release.join("examples").join(example),
            args: Vec::new(),
            path: "/echo",
        });
    }

    let started = chrono_free_now();
    let load_before = load_average();
    let rows = measure_all(&specs, &plan, &loadgen, &out_dir)?;
    // Memory per idle connection: ws-server (the peers only when it does not exist).
    let idle = idle_run(&specs[0], &plan, &loadgen, &out_dir);
    let load_after = load_average();

    let report = render(&rows, &idle, &plan, &started, &load_before, &load_after);
    let path = out_dir.join("report.md");
    std::fs::write(&path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{report}");
    eprintln!("(also written to {})", path.display());
    Ok(())
}

/// The `.properties` text that raises `ws-server`'s whole-message limits to 16 MiB
/// (key names from `ws-config`, the one place that spells them in full).
fn server_properties() -> String {
    use ws_config::keys::{BINARY_BUFFER_SIZE, TEXT_BUFFER_SIZE};
    const LIMIT: usize = 16 << 20;
    format!(
        "{}={LIMIT}\n{}={LIMIT}\n",
        TEXT_BUFFER_SIZE.name(),
        BINARY_BUFFER_SIZE.name()
    )
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub(crate) fn check_taskset() -> Result<(), String> {
    match Command::new("taskset").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(
            "`taskset` (util-linux) is required to pin the server and the generator \
                  to separate cores; install util-linux"
                .into(),
        ),
    }
}

fn build(have_server: bool) -> Result<(), String> {
    let mut bins = cargo();
    bins.args(["build", "--release", "-p", "ws-loadgen"]);
    if have_server {
        bins.args(["-p", "ws-server"]);
    }
    bins.arg("--bins");
    step("cargo build --release (ws-loadgen, ws-server)", bins)?;
    let mut peers = cargo();
    peers.args([
        "build",
        "--release",
        "-p",
        "ws-benches",
        "--example",
        "tungstenite_echo",
        "--example",
        "fastwebsockets_echo",
    ]);
    step("cargo build --release (peer echo servers)", peers)
}

/// Starts `spec` pinned to CPU 0 with one runtime thread; with `raise_nofile`, its
/// soft open-file limit is lifted to the hard limit first.
pub(crate) fn start(spec: &Spec, out_dir: &Path, raise_nofile: bool) -> Result<Running, String> {
    let log = out_dir.join(format!("{}.log", spec.name));
    let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut cmd = if raise_nofile {
        let mut sh = Command::new("sh");
        sh.args([
            "-c",
            r#"ulimit -n "$(ulimit -Hn)" && exec taskset -c 0 "$0" "$@""#,
        ]);
        sh
    } else {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", "0"]);
        taskset
    };
    cmd.arg(&spec.binary)
        .args(["--addr", "127.0.0.1:0", "--threads", "1"])
        .args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: cannot start: {e}", spec.binary.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let mut running = Running {
        name: spec.name,
        child: Some(child),
        url: String::new(),
        log,
    };
    let line = rx.recv_timeout(START_TIMEOUT).map_err(|_| {
        format!(
            "{} did not print `listening on ws://ADDR` (log: {})",
            spec.name,
            running.log.display()
        )
    })?;
    let addr = line
        .strip_prefix("listening on ws://")
        .ok_or_else(|| format!("{}: unexpected first line {line:?}", spec.name))?;
    running.url = format!("ws://{}{}", addr.trim(), spec.path);
    eprintln!("==> {} listening at {}", spec.name, running.url);
    Ok(running)
}

impl Running {
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether the process has exited.
    fn has_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then wait up to [`STOP_TIMEOUT`], then SIGKILL.
    pub(crate) fn stop(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(format!("{} exited with {status} on SIGTERM", self.name))
                }
                _ => thread::sleep(Duration::from_millis(50)),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!(
            "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM",
            self.name
        ))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `ws-loadgen` pinned to CPU 1 and returns its JSON result line.
pub(crate) fn loadgen(binary: &Path, args: &[String]) -> Result<Value, String> {
    let out = Command::new("taskset")
        .args(["-c", "1"])
        .arg(binary)
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ws-loadgen: cannot start: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with('{')) {
        eprintln!("    {line}");
    }
    if !out.status.success() {
        return Err(format!(
            "ws-loadgen {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let json = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("ws-loadgen printed no JSON line")?;
    serde_json::from_str(json).map_err(|e| format!("ws-loadgen JSON: {e}"))
}

pub(crate) fn number(v: &Value, key: &str) -> Result<f64, String> {
    v[key]
        .as_f64()
        .ok_or_else(|| format!("ws-loadgen JSON lacks {key}"))
}

/// One measured cell: a pair of numbers, or why there is none.
type Cell = Result<(f64, f64), String>;

/// Keeps the better of two results of one cell; an error in any round sticks (a
/// failed echo check must never hide behind a good round).
fn keep_best(
    old: Option<Cell>,
    new: Cell,
    better: impl Fn((f64, f64), (f64, f64)) -> (f64, f64),
) -> Cell {
    match (old, new) {
        (None, new) => new,
        (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Err(e),
        (Some(Ok(a)), Ok(b)) => Ok(better(a, b)),
    }
}

/// The median of each half of the runs' (p50, p99), or the first error: a single
/// run's p99 swings by several percent on a shared machine, and the median of
/// interleaved runs is steadier than the best one.
fn median_cell(runs: Vec<Cell>) -> Cell {
    let mut pairs = Vec::with_capacity(runs.len());
    for run in runs {
        pairs.push(run?);
    }
    if pairs.is_empty() {
        return Err("not run".into());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        }
    };
    Ok((
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
    ))
}

/// The run-by-run comparison of two servers measured back to back in each run:
/// drift in the machine's load between runs cancels.
#[derive(Debug, PartialEq)]
struct Paired {
    /// Median of the differences `a - b` (p50, p99).
    median: (f64, f64),
    /// Runs in which `a` was lower (p50, p99).
    lower: (usize, usize),
    /// Runs both servers completed.
    runs: usize,
}

/// [`Paired`] over the runs both servers completed; `None` without such a run.
fn paired(a: &[Cell], b: &[Cell]) -> Option<Paired> {
    let diffs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| match (x, y) {
            (Ok(x), Ok(y)) => Some((x.0 - y.0, x.1 - y.1)),
            _ => None,
        })
        .collect();
    if diffs.is_empty() {
        return None;
    }
    let lower = (
        diffs.iter().filter(|d| d.0 < 0.0).count(),
        diffs.iter().filter(|d| d.1 < 0.0).count(),
    );
    let median = median_cell(diffs.iter().map(|d| Ok(*d)).collect()).ok()?;
    Some(Paired {
        median,
        lower,
        runs: diffs.len(),
    })
}

/// All servers run side by side (pinned to CPU 0, idle unless measured); each round
/// measures every size on every server in turn, then latency (`latency_runs` runs
/// per server, interleaved, each run starting with the next server in turn), so slow
/// drifts in the machine's load hit all servers alike. Throughput cells keep the
/// best round; latency cells the median run.
fn measure_all(
    specs: &[Spec],
    plan: &Plan,
    binary: &Path,
    out_dir: &Path,
) -> Result<Vec<Row>, String> {
    let mut servers = Vec::new();
    for spec in specs {
        servers.push(start(spec, out_dir, false)?);
    }
    let mut throughput: Vec<Vec<Option<Cell>>> = vec![vec![None; SIZES.len()]; specs.len()];
    let mut latency: Vec<Vec<Cell>> = vec![Vec::new(); specs.len()];
    let common = |mode: &str, url: &str, name: &str| -> Vec<String> {
        [
            mode,
            "--url",
            url,
            "--label",
            name,
            "--warmup",
            plan.warmup,
            "--duration",
            plan.duration,
        ]
        .map(String::from)
        .to_vec()
    };
    for round in 1..=plan.rounds {
        eprintln!("\n==> round {round} of {}", plan.rounds);
        for (i, size) in SIZES.iter().enumerate() {
            for (s, server) in servers.iter_mut().enumerate() {
                let cell = if server.has_exited() {
                    Err(format!("{} exited", server.name))
                } else {
                    let mut args = common("throughput", &server.url, server.name);
                    args.extend([
                        "--connections".to_string(),
                        CONNECTIONS.to_string(),
                        "--in-flight".into(),
                        IN_FLIGHT.to_string(),
                        "--size".into(),
                        size.to_string(),
                    ]);
                    args.extend(["--server-pid".to_string(), server.pid().to_string()]);
                    loadgen(binary, &args).and_then(|v| {
                        let per_cpu = number(&v, "msgs_per_server_cpu_sec")?;
                        Ok((number(&v, "msgs_per_sec")?, per_cpu))
                    })
                };
                if let Err(e) = &cell {
                    eprintln!("    {}: {e}", server.name);
                }
                let old = throughput[s][i].take();
                throughput[s][i] = Some(keep_best(old, cell, |a, b| (a.0.max(b.0), a.1.max(b.1))));
            }
        }
        // The runs rotate the servers' order, so none is always the first after the
        // heavy throughput runs (which leave the machine busy for a moment).
        thread::sleep(Duration::from_secs(1));
        for run in 0..plan.latency_runs {
            let first = (round - 1) * plan.latency_runs + run;
            for k in 0..servers.len() {
                let s = (first + k) % servers.len();
                let server = &mut servers[s];
                let cell = if server.has_exited() {
                    Err(format!("{} exited", server.name))
                } else {
                    loadgen(binary, &common("latency", &server.url, server.name))
                        .and_then(|v| Ok((number(&v, "p50_us")?, number(&v, "p99_us")?)))
                };
                if let Err(e) = &cell {
                    eprintln!("    {}: {e}", server.name);
                }
                latency[s].push(cell);
            }
        }
    }
    for server in servers {
        if let Err(e) = server.stop() {
            eprintln!("    {e}");
        }
    }
    Ok(specs
        .iter()
        .zip(throughput)
        .zip(latency)
        .map(|((spec, cells), latency)| Row {
            name: spec.name,
            throughput: cells
                .into_iter()
                .map(|c| c.unwrap_or_else(|| Err("not run".into())))
                .collect(),
            latency: median_cell(latency.clone()),
            latency_runs: latency,
        })
        .collect())
}

/// The connections run against `spec`: bytes per idle connection, or why not.
fn idle_run(spec: &Spec, plan: &Plan, binary: &Path, out_dir: &Path) -> Result<Value, String> {
    let server = start(spec, out_dir, true)?;
    let args: Vec<String> = [
        "connections",
        "--url",
        &server.url,
        "--label",
        spec.name,
        "--connections",
        &plan.idle_connections.to_string(),
        "--server-pid",
        &server.pid().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let result = loadgen(binary, &args);
    if let Err(e) = server.stop() {
        eprintln!("    {e}");
    }
    result
}

pub(crate) fn with_commas(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1024 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// A size x server table with the `ws-server / best peer` ratio of `value`; `show`
/// formats a cell given the message size.
fn size_table(
    md: &mut String,
    rows: &[Row],
    value: impl Fn((f64, f64)) -> f64,
    show: impl Fn(usize, (f64, f64)) -> String,
) {
    let ours = rows.iter().find(|r| r.name == "ws-server");
    let peers: Vec<&Row> = rows.iter().filter(|r| r.name != "ws-server").collect();
    let mut header = "| size |".to_string();
    let mut rule = "|---:|".to_string();
    for r in rows {
        header.push_str(&format!(" {} |", r.name));
        rule.push_str("---:|");
    }
    header.push_str(" ws-server / best peer |");
    rule.push_str("---:|");
    md.push_str(&format!("{header}\n{rule}\n"));
    for (i, size) in SIZES.iter().enumerate() {
        let mut line = format!("| {} |", size_name(*size));
        for r in rows {
            match &r.throughput[i] {
                Ok(t) => line.push_str(&format!(" {} |", show(*size, *t))),
                Err(_) => line.push_str(" failed |"),
            }
        }
        let best = peers
            .iter()
            .filter_map(|p| p.throughput[i].as_ref().ok().map(|t| (value(*t), p.name)))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let ratio = match (ours.map(|o| &o.throughput[i]), best) {
            (Some(Ok(t)), Some((peer, name))) => format!("{:.2} ({name})", value(*t) / peer),
            _ => "-".into(),
        };
        md.push_str(&format!("{line} {ratio} |\n"));
    }
}

/// The markdown report.
fn render(
    rows: &[Row],
    idle: &Result<Value, String>,
    plan: &Plan,
    started: &str,
    load_before: &str,
    load_after: &str,
) -> String {
    let mut md = String::new();
    let push = |md: &mut String, line: String| {
        md.push_str(&line);
        md.push('\n');
    };
    push(
        &mut md,
        format!(
            "## Load test ({started}{})\n",
            if plan.quick { ", --quick" } else { "" }
        ),
    );
    push(
        &mut md,
        format!(
            "Echo throughput in messages/s (MB/s of payload echoed): {CONNECTIONS} connections \
             x {IN_FLIGHT} messages in flight, {} s window after {} s warm-up, best of {} \
             interleaved round(s); every server pinned to CPU 0 with a single-threaded runtime \
             and no permessage-deflate, `ws-loadgen` pinned to CPU 1; every echo checked.\n",
            plan.duration, plan.warmup, plan.rounds
        ),
    );
    size_table(
        &mut md,
        rows,
        |t| t.0,
        |size, t| format!("{} ({:.1})", with_commas(t.0), t.0 * size as f64 / 1e6),
    );
    push(
        &mut md,
        "\nServer efficiency: echoed messages per second of the server's own CPU time \
         (from /proc/PID/task/*/schedstat over the same windows; less sensitive to other \
         load on the machine than msgs/s):\n"
            .into(),
    );
    size_table(&mut md, rows, |t| t.1, |_, t| with_commas(t.1));
    push(
        &mut md,
        format!(
            "\nRound trip, 1 connection, 1 message of 16 B in flight (microseconds; median of \
             {} interleaved runs per server):\n",
            plan.rounds * plan.latency_runs
        ),
    );
    push(&mut md, "| server | p50 | p99 |".into());
    push(&mut md, "|---|---:|---:|".into());
    for r in rows {
        match &r.latency {
            Ok((p50, p99)) => push(&mut md, format!("| {} | {p50:.1} | {p99:.1} |", r.name)),
            Err(_) => push(&mut md, format!("| {} | failed | failed |", r.name)),
        }
    }
    if let Some((ours, peers)) = rows.split_first() {
        let paired: Vec<String> = peers
            .iter()
            .filter_map(|peer| {
                let p = paired(&ours.latency_runs, &peer.latency_runs)?;
                let ((p50, p99), (l50, l99), n) = (p.median, p.lower, p.runs);
                Some(format!(
                    "{} - {}: p50 {p50:+.1} (lower in {l50} of {n} runs), p99 {p99:+.1} \
                     (lower in {l99} of {n})",
                    ours.name, peer.name
                ))
            })
            .collect();
        if !paired.is_empty() {
            push(
                &mut md,
                format!(
                    "\nPaired: the median of run-by-run differences (servers measured back to \
                     back within each run, so drift between runs cancels; microseconds, \
                     negative is faster), and in how many runs ours was the lower: {}.",
                    paired.join("; ")
                ),
            );
        }
    }
    push(&mut md, String::new());
    match idle {
        Ok(v) => {
            let per = v["bytes_per_connection"]
                .as_f64()
                .map_or("-".into(), |b| format!("{b:.0}"));
            let kib = |key: &str| {
                v[key]
                    .as_f64()
                    .map_or("-".into(), |b| format!("{:.0}", b / 1024.0))
            };
            push(
                &mut md,
                format!(
                    "Idle connections ({}): {} connections each echoed one message; server RSS \
                     {} KiB before, {} KiB with all idle: **{per} bytes per idle connection**; \
                     {} of {} closed cleanly with 1000.",
                    v["server"].as_str().unwrap_or("?"),
                    v["connections"],
                    kib("rss_before"),
                    kib("rss_idle"),
                    v["clean_closes"],
                    v["connections"],
                ),
            );
        }
        Err(e) => push(&mut md, format!("Idle connections: failed: {e}")),
    }
    push(
        &mut md,
        format!(
            "\nLoad average before / after (other work on the machine skews results): \
             {load_before} / {load_after}."
        ),
    );
    md
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

/// The current UTC time via `date` (no clock crate in xtask).
pub(crate) fn chrono_free_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "time unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_properties_raise_both_buffer_sizes() {
        let props = ws_config::Properties::parse(&server_properties(), "loadtest").unwrap();
        let config = ws_config::Sources::new()
            .properties(props)
            .resolve()
            .unwrap();
        let session = config.session_config();
        assert_eq!(session.text_buffer_size, 16 << 20);
        assert_eq!(session.binary_buffer_size, 16 << 20);
    }

    #[test]
    fn rounds_keep_the_best_result_and_errors_stick() {
        let max = |a: (f64, f64), b: (f64, f64)| if b.0 > a.0 { b } else { a };
        assert_eq!(keep_best(None, Ok((1.0, 2.0)), max), Ok((1.0, 2.0)));
        assert_eq!(
            keep_best(Some(Ok((1.0, 2.0))), Ok((3.0, 0.0)), max),
            Ok((3.0, 0.0))
        );
        assert_eq!(
            keep_best(Some(Ok((3.0, 0.0))), Ok((1.0, 2.0)), max),
            Ok((3.0, 0.0))
        );
        let failed = keep_best(Some(Err("corrupt".into())), Ok((9.0, 9.0)), max);
        assert_eq!(failed, Err("corrupt".into()));
        let failed = keep_best(Some(Ok((9.0, 9.0))), Err("corrupt".into()), max);
        assert_eq!(failed, Err("corrupt".into()));
    }

    #[test]
    fn numbers_and_sizes_print_for_people() {
        assert_eq!(with_commas(0.0), "0");
        assert_eq!(with_commas(999.4), "999");
        assert_eq!(with_commas(1234.0), "1,234");
        assert_eq!(with_commas(1234567.0), "1,234,567");
        assert_eq!(size_name(16), "16 B");
        assert_eq!(size_name(1024), "1 KiB");
        assert_eq!(size_name(65536), "64 KiB");
        assert_eq!(size_name(1 << 20), "1 MiB");
    }

    #[test]
    fn the_report_has_ratios_against_the_best_peer() {
        let row = |name, msgs: [f64; 4]| Row {
            name,
            throughput: msgs.iter().map(|&m| Ok((m, 2.0 * m))).collect(),
            latency: Ok((10.0, 20.0)),
            latency_runs: vec![Ok((10.0, 20.0)), Ok((12.0, 18.0))],
        };
        let mut slow = row("fastwebsockets", [50.0, 50.0, 50.0, 300.0]);
        slow.throughput[1] = Err("boom".into());
        slow.latency_runs = vec![Ok((9.0, 21.0)), Err("lost".into())];
        let rows = [
            row("ws-server", [200.0, 100.0, 100.0, 100.0]),
            row("tokio-tungstenite", [100.0, 50.0, 200.0, 50.0]),
            slow,
        ];
        let idle = Ok(serde_json::json!({
            "server": "ws-server", "connections": 10, "bytes_per_connection": 2048.0,
            "rss_before": 1024.0, "rss_idle": 21504.0, "clean_closes": 10
        }));
        let plan = Plan {
            warmup: "1",
            duration: "5",
            rounds: 2,
            latency_runs: 3,
            idle_connections: 10,
            quick: false,
        };
        let md = render(&rows, &idle, &plan, "now", "0.1", "0.2");
        assert!(
            md.contains("| 16 B | 200 (0.0) | 100 (0.0) | 50 (0.0) | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        assert!(
            md.contains("| 1 KiB | 100 (0.1) | 50 (0.1) | failed | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        assert!(
            md.contains("| 64 KiB |") && md.contains("0.50 (tokio-tungstenite)"),
            "{md}"
        );
        assert!(md.contains("0.33 (fastwebsockets)"), "{md}");
        assert!(
            md.contains("| 16 B | 400 | 200 | 100 | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        assert!(md.contains("**2048 bytes per idle connection**"), "{md}");
        assert!(md.contains("| ws-server | 10.0 | 20.0 |"), "{md}");
        assert!(md.contains("median of 6 interleaved runs"), "{md}");
        assert!(
            md.contains(
                "ws-server - tokio-tungstenite: p50 +0.0 (lower in 0 of 2 runs), p99 +0.0 \
                 (lower in 0 of 2); ws-server - fastwebsockets: p50 +1.0 (lower in 0 of 1 \
                 runs), p99 -1.0 (lower in 1 of 1)."
            ),
            "{md}"
        );
    }

    #[test]
    fn paired_differences_skip_runs_either_server_lost() {
        let a = vec![
            Ok((10.0, 30.0)),
            Ok((20.0, 40.0)),
            Err("x".into()),
            Ok((5.0, 5.0)),
        ];
        let b = vec![
            Ok((9.0, 31.0)),
            Ok((25.0, 40.0)),
            Ok((1.0, 1.0)),
            Err("y".into()),
        ];
        // Differences of runs 0 and 1 only: (1, -1) and (-5, 0).
        assert_eq!(
            paired(&a, &b),
            Some(Paired {
                median: (-2.0, -0.5),
                lower: (1, 1),
                runs: 2
            })
        );
        assert_eq!(paired(&a[2..], &b[2..]), None);
    }

    #[test]
    fn latency_cells_take_the_median_run_and_errors_stick() {
        let runs = vec![Ok((3.0, 30.0)), Ok((1.0, 50.0)), Ok((2.0, 10.0))];
        assert_eq!(median_cell(runs), Ok((2.0, 30.0)));
        let even = vec![
            Ok((1.0, 10.0)),
            Ok((4.0, 40.0)),
            Ok((2.0, 20.0)),
            Ok((3.0, 30.0)),
        ];
        assert_eq!(median_cell(even), Ok((2.5, 25.0)));
        let failed = vec![Ok((1.0, 1.0)), Err("corrupt".into()), Ok((1.0, 1.0))];
        assert_eq!(median_cell(failed), Err("corrupt".into()));
        assert!(median_cell(Vec::new()).is_err());
    }
}
