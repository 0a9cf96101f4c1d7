//! `cargo xtask loadtest --fanout [--quick]`: the fan-out benchmark. One publisher,
//! 1,000 and 10,000 subscribers, 16 B and 1 KiB messages (`ws-loadgen fanout`):
//! deliveries per second (16 messages in flight) and publish-to-receive p50/p99
//! (one message in flight, so the times are those of one fan-out, not of a queue)
//! for
//!
//! * `ws-server`'s topics (the demo binary's `/fanout`, `--no-deflate`),
//! * a tokio-tungstenite server fanning out through `tokio::sync::broadcast`
//!   (`benches/examples/tungstenite_fanout.rs`, the usual axum/tokio pattern),
//! * sockudo-ws's `PubSub` (`benches/examples/sockudo_fanout.rs`),
//!
//! each pinned to CPU 0 with a single-threaded runtime, the generator pinned to
//! CPU 1 (the load test's rules); then across two `ws-server` nodes, the publisher
//! on one and the subscribers on the other, through Redis and through NATS (both
//! nodes and the broker on CPU 0). Prints a markdown table (also
//! `target/loadtest/fanout.md`); logs in `target/loadtest/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::loadtest::procs::{
    check_taskset, load_average, now_utc, number, run_json, start, Pinning, Running, Spec,
};
use crate::loadtest::render::with_commas;
use crate::process::target_dir;

/// The load test's rules: each server on CPU 0 with one runtime thread, the
/// generator on CPU 1.
const PINNING: Pinning = Pinning { threads: 1 };
use crate::{cargo, step};

/// Subscriber counts.
const SUBSCRIBERS: [usize; 2] = [1_000, 10_000];
/// Message sizes.
const SIZES: [usize; 2] = [16, 1024];
/// Messages in flight in the throughput run.
const WINDOW: usize = 16;
/// Messages in flight in the latency run.
const LATENCY_WINDOW: usize = 1;

/// One measured cell.
struct Cell {
    server: String,
    subscribers: usize,
    size: usize,
    result: Result<Measured, String>,
}

struct Measured {
    deliveries: f64,
    per_cpu: Option<f64>,
    lost: f64,
    /// From the run with one message in flight.
    p50: f64,
    p99: f64,
}

/// A broker process pinned to CPU 0; killed on drop.
struct BrokerProcess(Child);

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find(name: &str) -> Result<PathBuf, String> {
    ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{name} not found: install it with `scripts/brokers.sh install`"))
}

fn start_broker(kind: &str, out_dir: &Path) -> Result<(BrokerProcess, String), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port()
        .to_string();
    let log =
        std::fs::File::create(out_dir.join(format!("{kind}.log"))).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"]);
    let url = if kind == "redis" {
        cmd.arg(find("redis-server")?).args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        format!("redis://127.0.0.1:{port}")
    } else {
        cmd.arg(find("nats-server")?)
            .args(["-a", "127.0.0.1", "-p", &port]);
        format!("nats://127.0.0.1:{port}")
    };
    let child = cmd
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{kind}: {e}"))?;
    let process = BrokerProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
        if Instant::now() > deadline {
            return Err(format!("{kind} did not accept connections"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((process, url))
}

/// Entry point: `args` are the arguments after `loadtest`, `--fanout` removed.
pub fn run(args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [q] if q == "--quick" => true,
        _ => return Err("usage: cargo xtask loadtest --fanout [--quick]".into()),
    };
    let (warmup, duration) = if quick { ("0.5", "2") } else { ("1", "5") };
    check_taskset()?;
    let mut bins = cargo();
    bins.args([
        "build",
        "--release",
        "-p",
        "ws-loadgen",
        "-p",
        "ws-server",
        "--bins",
    ]);
    step("cargo build --release (ws-loadgen, ws-server)", bins)?;
    let mut peers = cargo();
    peers.args(["build", "--release", "-p", "ws-benches"]);
    peers.args([
        "--example",
        "tungstenite_fanout",
        "--example",
        "sockudo_fanout",
    ]);
    step("cargo build --release (peer fan-out servers)", peers)?;
    let release = target_dir().join("release");
    let out_dir = target_dir().join("loadtest");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let generator = release.join("ws-loadgen");
    let started = now_utc();
    let load_before = load_average();

    let specs = [
        Spec {
            name: "ws-server topics",
            krate: None,
            binary: release.join("ws-server"),
            plain_args: vec!["--no-deflate".into()],
            deflate_args: None,
            path: "/fanout",
        },
        Spec {
            name: "tokio-tungstenite + broadcast",
            krate: None,
            binary: release.join("examples/tungstenite_fanout"),
            plain_args: Vec::new(),
            deflate_args: None,
            path: "/fanout",
        },
        Spec {
            name: "sockudo-ws PubSub",
            krate: None,
            binary: release.join("examples/sockudo_fanout"),
            plain_args: Vec::new(),
            deflate_args: None,
            path: "/fanout",
        },
    ];
    let rounds = if quick { 2 } else { 3 };
    let mut cells = Vec::new();
    let run = |server: &str,
               sub_url: &str,
               pub_url: &str,
               pid: u32,
               n: usize,
               size: usize,
               window: usize| {
        let args: Vec<String> = [
            "fanout",
            "--url",
            sub_url,
            "--publish-url",
            pub_url,
            "--label",
            server,
            "--connections",
            &n.to_string(),
            "--size",
            &size.to_string(),
            "--window",
            &window.to_string(),
            "--warmup",
            warmup,
            "--duration",
            duration,
            "--server-pid",
            &pid.to_string(),
            "--json",
        ]
        .map(String::from)
        .to_vec();
        let result = run_json(PINNING.generator_cpus(), &generator, &args);
        if let Err(e) = &result {
            eprintln!("    {server}: {e}");
        }
        result
    };
    // One round of a cell: the throughput run, then the latency run.
    let measure = |server: &str, sub_url: &str, pub_url: &str, pid: u32, n: usize, size: usize| {
        run(server, sub_url, pub_url, pid, n, size, WINDOW).and_then(|v| {
            let latency = run(server, sub_url, pub_url, pid, n, size, LATENCY_WINDOW)?;
            Ok(Measured {
                deliveries: number(&v, "deliveries_per_sec")?,
                per_cpu: v["deliveries_per_server_cpu_sec"].as_f64(),
                lost: number(&v, "lost")? + number(&latency, "lost")?,
                p50: number(&latency, "p50_us")?,
                p99: number(&latency, "p99_us")?,
            })
        })
    };
    // One node: the servers side by side (idle unless measured), each cell measured
    // in interleaved rounds, rotating which server goes first.
    let mut servers = Vec::new();
    for spec in &specs {
        servers.push(start(spec, false, PINNING, &out_dir, true)?);
    }
    for &n in &SUBSCRIBERS {
        for &size in &SIZES {
            let mut results: Vec<Vec<Result<Measured, String>>> =
                (0..servers.len()).map(|_| Vec::new()).collect();
            for round in 0..rounds {
                for k in 0..servers.len() {
                    let s = (round + k) % servers.len();
                    let server = &servers[s];
                    let pub_url = format!("{}?publisher", server.url);
                    results[s].push(measure(
                        server.name,
                        &server.url,
                        &pub_url,
                        server.pid(),
                        n,
                        size,
                    ));
                }
            }
            for (server, rounds) in servers.iter().zip(results) {
                cells.push(Cell {
                    server: server.name.to_owned(),
                    subscribers: n,
                    size,
                    result: combine(rounds),
                });
            }
        }
    }
    for server in servers {
        stop(server);
    }
    // Two nodes through a broker: publisher on A, subscribers on B.
    for kind in ["redis", "nats"] {
        let (broker, url) = start_broker(kind, &out_dir)?;
        let node = |name: &'static str| Spec {
            name,
            krate: None,
            binary: release.join("ws-server"),
            plain_args: vec!["--no-deflate".into(), "--broker".into(), url.clone()],
            deflate_args: None,
            path: "/fanout",
        };
        let (a_name, b_name) = if kind == "redis" {
            ("node-a-redis", "node-b-redis")
        } else {
            ("node-a-nats", "node-b-nats")
        };
        let a = start(&node(a_name), false, PINNING, &out_dir, true)?;
        let b = start(&node(b_name), false, PINNING, &out_dir, true)?;
        // Both connected (the health check says so) before measuring.
        wait_connected(&a.url)?;
        wait_connected(&b.url)?;
        let label = format!("2 nodes via {kind}");
        for &n in &SUBSCRIBERS[..if quick { 1 } else { 2 }] {
            for &size in &SIZES {
                let pub_url = format!("{}?publisher", a.url);
                let rounds = (0..rounds)
                    .map(|_| measure(&label, &b.url, &pub_url, b.pid(), n, size))
                    .collect();
                cells.push(Cell {
                    server: label.clone(),
                    subscribers: n,
                    size,
                    result: combine(rounds),
                });
            }
        }
        stop(a);
        stop(b);
        drop(broker);
    }
    let report = render(&cells, &started, &load_before, &load_average(), quick);
    let path = out_dir.join("fanout.md");
    std::fs::write(&path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{report}");
    eprintln!("(also written to {})", path.display());
    if cells.iter().any(|c| c.result.is_err()) {
        return Err("some fan-out runs failed (see above)".into());
    }
    Ok(())
}

/// The rounds of one cell: the best deliveries/s and per CPU-second (as the echo
/// load test keeps the best round), the median p50 and p99, the lost summed; an
/// error in any round sticks.
fn combine(rounds: Vec<Result<Measured, String>>) -> Result<Measured, String> {
    let rounds: Vec<Measured> = rounds.into_iter().collect::<Result<_, _>>()?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let best = |v: Vec<f64>| v.into_iter().fold(f64::NAN, f64::max);
    Ok(Measured {
        deliveries: best(rounds.iter().map(|m| m.deliveries).collect()),
        per_cpu: rounds.iter().filter_map(|m| m.per_cpu).reduce(f64::max),
        lost: rounds.iter().map(|m| m.lost).sum(),
        p50: median(rounds.iter().map(|m| m.p50).collect()),
        p99: median(rounds.iter().map(|m| m.p99).collect()),
    })
}

fn stop(server: Running) {
    if let Err(e) = server.stop() {
        eprintln!("    {e}");
    }
}

/// Waits until the node at `ws_url` reports its broker connected.
fn wait_connected(ws_url: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let addr = ws_url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut body = String::new();
        if let Ok(mut tcp) = std::net::TcpStream::connect(&addr) {
            let _ = write!(tcp, "GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            let _ = tcp.read_to_string(&mut body);
        }
        if body.contains(r#""state":"connected""#) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{addr}: broker not connected: {body}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn render(cells: &[Cell], started: &str, before: &str, after: &str, quick: bool) -> String {
    let mut md = format!(
        "## Fan-out ({started}{})\n\nOne publisher. Deliveries per second with {WINDOW} \
         messages in flight (a message is published when the one {WINDOW} before it has \
         reached every subscriber), and per second of the subscribers' server's CPU time; \
         publish-to-receive p50/p99 from a second run with {LATENCY_WINDOW} message in flight \
         (the time one fan-out takes to reach the median and the 99th-percentile \
         subscriber); lost: deliveries missing after 10 s, both runs. Each cell is the \
         best round for the rates and the median round for the times ({} interleaved \
         rounds, rotating which server goes first). One node: each server pinned to CPU 0 with a \
         single-threaded runtime, no permessage-deflate; `ws-loadgen` pinned to CPU 1. Two \
         nodes: the publisher on node A, every subscriber on node B, A, B and the broker all \
         on CPU 0. Where a server's deliveries per CPU-second are far above its deliveries \
         per second, its CPU was not saturated and the generator (one core reading every \
         subscriber's socket) set the pace: compare servers by the CPU-second column \
         there.\n\n",
        if quick { ", --quick" } else { "" },
        if quick { 2 } else { 3 },
    );
    md.push_str("| server | subscribers | size | deliveries/s | per server CPU-s | p50 (us) | p99 (us) | lost |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for c in cells {
        let size = if c.size >= 1024 {
            "1 KiB".to_owned()
        } else {
            format!("{} B", c.size)
        };
        match &c.result {
            Ok(m) => md.push_str(&format!(
                "| {} | {} | {size} | {} | {} | {:.0} | {:.0} | {} |\n",
                c.server,
                with_commas(c.subscribers as f64),
                with_commas(m.deliveries),
                m.per_cpu.map_or("-".into(), with_commas),
                m.p50,
                m.p99,
                with_commas(m.lost),
            )),
            Err(e) => md.push_str(&format!(
                "| {} | {} | {size} | failed: {} | | | | |\n",
                c.server,
                with_commas(c.subscribers as f64),
                e.lines().next().unwrap_or_default()
            )),
        }
    }
    md.push_str(&format!(
        "\nLoad average before / after: {before} / {after}.\n"
    ));
    md
}
