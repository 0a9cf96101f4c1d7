//! `cargo xtask loadtest`: ws-server against the comparison peers' echo servers
//! (tokio-tungstenite, fastwebsockets, tokio-websockets, sockudo-ws, yawc: examples of
//! `benches/`, built with the same release profile), and ws-client against the peers'
//! clients, measured with `ws-loadgen` in the same run on the same settings.
//!
//! ```text
//! cargo xtask loadtest [--quick] [--rounds N] [--threads 1|2] [--clients]
//!                      [--only SECTIONS] [--client-server NAME]
//! ```
//!
//! Sections (`--only` takes a comma-separated list of these names):
//! * `throughput`: deflate off, every server, both shapes ([`measure::SHAPES`]: 100
//!   connections x 8 in flight; 4 connections with 64/64/16/4 in flight) at 16 B,
//!   1 KiB, 64 KiB and 1 MiB of random binary: msgs/s, msgs per server CPU-second,
//!   each with its ratio to the best peer (named), and the generator's own CPU.
//! * `latency`: one connection, one 16 B message in flight; every server, runs
//!   interleaved and rotated (12 per round, 2 s each), median run per server, and
//!   ws-server paired run by run with every peer (drift between runs cancels): the
//!   median difference, an interval of at least 95% for it, and whether that interval
//!   separates the two at all (`stats::median_interval`).
//! * `deflate`: permessage-deflate offered as Chromium offers it, ws-server against
//!   the peers that compress (yawc, sockudo-ws; tokio-tungstenite 0.30 cannot), JSON-
//!   like text and random binary, both shapes (the 100 x 8 shape without 1 MiB).
//! * `memory`: server RSS per connection right after the handshake, right after 8
//!   echoes of 1 KiB text and 3 s later, deflate off (10,000 connections) and on
//!   (2,000), a fresh server each time, every server.
//! * `clients`: the echo-client examples (ws-client, tokio-tungstenite,
//!   tokio-websockets, yawc, sockudo-ws) against one server (`--client-server`,
//!   default ws-server, deflate on when it can), the deep shape at every size, binary
//!   without deflate and text with it: msgs/s and msgs per client CPU-second.
//!   ws-server runs there with `--compression-level 1`, so that its compressing
//!   does not set the pace of the deflate cells (`client_servers`). Against
//!   ws-server, the deflate cells are measured a second time with
//!   `--client-window-bits 15` too, where every client compresses with the same
//!   window (with its default, ws-server asks clients that offer
//!   `client_max_window_bits` for 12 bits, and yawc's does not offer it).
//! * `work`: what one echo costs, in counts the machine's noise does not move
//!   ([`work`]): user-space instructions per echo (callgrind, two runs of different
//!   lengths differenced), system calls per echo and the kernel's share of CPU time
//!   (perf, at full speed); every server at 1 x 1, 100 x 8 and 4 x 64 with 16 B and
//!   1 KiB, and every client at 4 x 64 with 16 B and 1 KiB against ws-server. It
//!   installs valgrind and perf first (`scripts/profilers.sh install`).
//!
//! `--pairs N` (6 to 40) measures every deflate-off throughput cell again after the
//! rounds, in N alternating pairs of ws-server and the cell's best peer (the order
//! swapped at every pair): the median of the per-pair ratios, an interval of at
//! least 95% for it (`stats::median_interval`), and ahead or behind only when the
//! interval excludes 1. A best-of-rounds cell moves by a tenth between runs; the
//! pairs say how far a ratio can be trusted. With the `clients` section, the same
//! flag pairs ws-client with each cell's best other client against the one server
//! (the first client table: deflate off, and deflate on against the level-1 server).
//!
//! `--baseline LABEL=PATH` (repeatable) measures another build of ws-server beside
//! this one, same arguments, named `ws-server LABEL` (build an earlier commit in a
//! worktree and give its `target/release/ws-server`); with `--no-peers` the run is
//! that before/after comparison alone, and "best peer" in the tables is the best
//! baseline.
//!
//! The default run is `throughput,latency,deflate,memory,work` (about 38 minutes on
//! this project's 2-core machine); `--clients` runs the client section alone (about 9
//! minutes); `--quick` runs every section briefly (1 s windows, 1 round, fewer
//! connections), to check that the tooling works: its figures are not
//! representative.
//!
//! Fairness: every server runs with the same runtime threads on the same cores, idle
//! unless measured; with one thread (the default) servers are pinned with `taskset`
//! to CPU 0 and the generator (or the client measured) to CPU 1; `--threads 2` gives
//! every server two runtime threads and the generator two threads, all on CPUs 0 and 1
//! (the generator's CPU time is reported per cell). Within a round the server order
//! rotates per cell; a throughput cell keeps its best round (2 rounds; 1 with
//! `--quick`), a latency cell the median of its runs; an error in any run sticks.
//! Prints one markdown report (also written to `target/loadtest/report.md`); server
//! logs go to `target/loadtest/*.log`.

use std::path::PathBuf;

mod measure;
pub(crate) mod procs;
pub(crate) mod render;
mod stats;
mod work;

use measure::Ctx;
use procs::{check_taskset, locked_version, ClientSpec, Pinning, Spec};

use crate::process::target_dir;
use crate::{cargo, root, step};

/// The sections a run measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sections {
    throughput: bool,
    latency: bool,
    deflate: bool,
    memory: bool,
    clients: bool,
    work: bool,
}

impl Sections {
    const NAMES: &'static str = "throughput, latency, deflate, memory, clients, work";

    fn parse(list: &str) -> Option<Sections> {
        let mut s = Sections::default();
        for name in list.split(',').map(str::trim) {
            match name {
                "throughput" => s.throughput = true,
                "latency" => s.latency = true,
                "deflate" => s.deflate = true,
                "memory" => s.memory = true,
                "clients" => s.clients = true,
                "work" => s.work = true,
                _ => return None,
            }
        }
        Some(s)
    }

    fn servers() -> Sections {
        Sections {
            throughput: true,
            latency: true,
            deflate: true,
            memory: true,
            clients: false,
            work: true,
        }
    }

    fn all() -> Sections {
        Sections {
            clients: true,
            ..Sections::servers()
        }
    }
}

/// What a run does.
#[derive(Debug, PartialEq)]
struct Plan {
    warmup: &'static str,
    duration: &'static str,
    rounds: usize,
    latency_runs: usize,
    /// Each latency run's warm-up and window, seconds: shorter than the throughput
    /// windows, and more runs, so that the two runs of a pair lie closer in time and
    /// more pairs bound the median difference (`stats::median_interval`).
    latency_warmup: &'static str,
    latency_duration: &'static str,
    /// `--pairs N`: alternating pairs per deflate-off throughput cell, ws-server
    /// against the cell's best peer, for a median ratio with an interval; and per
    /// client cell, ws-client against the best other client.
    pairs: usize,
    memory_plain: usize,
    memory_deflate: usize,
    threads: usize,
    sections: Sections,
    client_server: String,
    quick: bool,
    /// Other builds of ws-server measured beside this one (`--baseline
    /// LABEL=PATH`, repeatable): (label, binary).
    baselines: Vec<(String, PathBuf)>,
    /// Leave the peers out (`--no-peers`): with a baseline, a before/after run.
    peers: bool,
    /// The work section's windows.
    work: work::Windows,
}

const USAGE: &str = "usage: cargo xtask loadtest [--quick] [--rounds N] [--threads 1|2] \
[--clients] [--only SECTIONS] [--pairs N] [--client-server NAME] [--baseline LABEL=PATH]... \
[--no-peers]";

fn parse(args: &[String]) -> Result<Plan, String> {
    let usage = |why: &str| format!("{why}\n{USAGE}\nsections: {}", Sections::NAMES);
    let (mut quick, mut rounds, mut threads, mut pairs) = (false, None, 1, 0);
    let (mut sections, mut client_server) = (None, "ws-server".to_string());
    let (mut baselines, mut peers) = (Vec::new(), true);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--quick" => quick = true,
            "--clients" => sections = Some(Sections::parse("clients").expect("a section")),
            "--rounds" => {
                let n = value()?
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=10).contains(n));
                rounds = Some(n.ok_or_else(|| usage("--rounds: 1 to 10"))?);
            }
            "--pairs" => {
                let n = value()?
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (6..=40).contains(n));
                pairs = n.ok_or_else(|| usage("--pairs: 6 to 40 (fewer give no interval)"))?;
            }
            "--threads" => {
                threads = match value()?.as_str() {
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(usage("--threads: 1 or 2 (the machine has two cores)")),
                }
            }
            "--only" => {
                let list = value()?;
                sections =
                    Some(Sections::parse(list).ok_or_else(|| usage("--only: unknown section"))?);
            }
            "--client-server" => client_server = value()?.clone(),
            "--baseline" => {
                let given = value()?;
                let (label, path) = given
                    .split_once('=')
                    .filter(|(label, path)| !label.is_empty() && !path.is_empty())
                    .ok_or_else(|| usage("--baseline: LABEL=PATH"))?;
                baselines.push((label.to_owned(), PathBuf::from(path)));
            }
            "--no-peers" => peers = false,
            other => return Err(usage(&format!("unknown option {other}"))),
        }
    }
    let sections = sections.unwrap_or(if quick {
        Sections::all()
    } else {
        Sections::servers()
    });
    Ok(if quick {
        Plan {
            warmup: "0.3",
            duration: "1",
            rounds: rounds.unwrap_or(1),
            latency_runs: 1,
            latency_warmup: "0.3",
            latency_duration: "1",
            pairs,
            memory_plain: 1_000,
            memory_deflate: 200,
            threads,
            sections,
            client_server,
            quick,
            baselines: baselines.clone(),
            peers,
            work: work::Windows::QUICK,
        }
    } else {
        Plan {
            warmup: "1",
            duration: "5",
            rounds: rounds.unwrap_or(2),
            latency_runs: 12,
            latency_warmup: "0.5",
            latency_duration: "2",
            pairs,
            memory_plain: 10_000,
            memory_deflate: 2_000,
            threads,
            sections,
            client_server,
            quick,
            baselines,
            peers,
            work: work::Windows::FULL,
        }
    })
}

/// The peer echo servers: (name in reports, crate, example, whether it compresses).
const PEERS: [(&str, &str, &str, bool); 5] = [
    (
        "tokio-tungstenite",
        "tokio-tungstenite",
        "tungstenite_echo",
        false,
    ),
    (
        "fastwebsockets",
        "fastwebsockets",
        "fastwebsockets_echo",
        false,
    ),
    (
        "tokio-websockets",
        "tokio-websockets",
        "tokio_websockets_echo",
        false,
    ),
    ("sockudo-ws", "sockudo-ws", "sockudo_echo", true),
    ("yawc", "yawc", "yawc_echo", true),
];

/// The client section's closing note: why ws-server compresses at level 1 there
/// (see [`client_servers`]), and that the first deflate table compares different
/// work. ws-server asks a client whose offer lets it choose for a 12-bit window (its
/// default, `--client-window-bits`), and a client that does not offer
/// `client_max_window_bits` (yawc's) compresses with 15 bits; the second table puts
/// every client on the same window.
const CLIENT_NOTE: &str = "\nws-server compresses its echoes at level 1 here \
    (`--compression-level 1`), so that the clients set the pace: at its default 6 \
    the server was the limit at 1 KiB. The first deflate table compares different \
    work: ws-server asks a client that offers `client_max_window_bits` (ws-client, \
    as browsers) to compress with a 12-bit window, and a client that does not offer \
    it (yawc) compresses with 15 bits. The table against `--client-window-bits 15` \
    has every client compress with the same 32 KiB window.\n";

/// The servers of the client section: `server` for the first table, and for
/// ws-server a second one asking no smaller window of clients than 15 bits (the
/// same-window deflate table; `None` for other servers and for a ws-server without
/// deflate).
///
/// ws-server compresses its echoes at level 1 in this section, so that the clients,
/// not the server, set the pace. At its default level 6 the server was the limit in
/// the 1 KiB text cell (4 x 64, 2026-12-06, four alternating pairs each against
/// yawc's client): ws-client / yawc's client read 1.10 to 1.30 in msgs/s but 1.40 to
/// 1.57 per client CPU-second; with the server at level 1, 1.50 to 1.70 in both.
fn client_servers(server: &Spec) -> (Spec, Option<Spec>) {
    if server.name != "ws-server" || server.deflate_args.is_none() {
        return (server.clone(), None);
    }
    let with = |name: &'static str, extra: &[&str]| {
        let mut spec = server.clone();
        spec.name = name;
        if let Some(args) = spec.deflate_args.as_mut() {
            args.extend(extra.iter().map(|a| a.to_string()));
        }
        spec
    };
    let level = ["--compression-level", "1"];
    let window = ["--compression-level", "1", "--client-window-bits", "15"];
    (
        with("ws-server --compression-level 1", &level),
        Some(with(
            "ws-server --compression-level 1 --client-window-bits 15",
            &window,
        )),
    )
}

/// The echo clients: (name, crate, example, whether it offers deflate).
const CLIENTS: [(&str, Option<&str>, &str, bool); 5] = [
    ("ws-client", None, "client_ws_client", true),
    (
        "tokio-tungstenite",
        Some("tokio-tungstenite"),
        "client_tungstenite",
        false,
    ),
    (
        "tokio-websockets",
        Some("tokio-websockets"),
        "client_tokio_websockets",
        false,
    ),
    ("yawc", Some("yawc"), "client_yawc", true),
    ("sockudo-ws", Some("sockudo-ws"), "client_sockudo", false),
];

/// Entry point: `args` are the arguments after `loadtest`.
pub fn run(args: &[String]) -> Result<(), String> {
    let plan = parse(args)?;
    check_taskset()?;
    if std::thread::available_parallelism().map_or(0, |n| n.get()) < 2 {
        return Err(
            "the load test pins the servers and the generator to two cores; this machine has fewer"
                .into(),
        );
    }
    // The binary has lived at both places; without it the peers are measured alone.
    let have_server = [
        "ws-server/src/main.rs",
        "ws-server/src/bin/ws-server/main.rs",
    ]
    .iter()
    .any(|p| root().join(p).exists());
    build(have_server, plan.sections.clients || plan.sections.work)?;
    let release = target_dir().join("release");
    let out_dir = target_dir().join("loadtest");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let loadgen = release.join("ws-loadgen");
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap_or_default();

    let mut specs = Vec::new();
    if have_server {
        // Tomcat's 8 KiB default buffers would close 64 KiB and 1 MiB messages with 1009.
        let config = out_dir.join("ws-server.properties");
        std::fs::write(&config, server_properties())
            .map_err(|e| format!("{}: {e}", config.display()))?;
        let config_args = vec!["--config".to_string(), config.display().to_string()];
        let mut plain_args = vec!["--no-deflate".to_string()];
        plain_args.extend(config_args.clone());
        specs.push(Spec {
            name: "ws-server",
            krate: None,
            binary: release.join("ws-server"),
            plain_args: plain_args.clone(),
            // Deflate is on by default, with its default policy.
            deflate_args: Some(config_args.clone()),
            path: "/echo",
        });
        // Other builds of ws-server (an earlier commit's `target/release/ws-server`,
        // built by the caller), with the same arguments: before and after a change,
        // in one run, under the same pinning and rotation.
        for (label, binary) in &plan.baselines {
            if !binary.is_file() {
                return Err(format!("--baseline {}: no such file", binary.display()));
            }
            specs.push(Spec {
                // Names are `&'static str` (the peers' are constants); a run has a
                // handful of baselines, leaked once.
                name: Box::leak(format!("ws-server {label}").into_boxed_str()),
                krate: None,
                binary: binary.clone(),
                plain_args: plain_args.clone(),
                deflate_args: Some(config_args.clone()),
                path: "/echo",
            });
        }
    } else {
        eprintln!(
            "xtask loadtest: ws-server/src/main.rs does not exist yet: measuring the peers only"
        );
    }
    for (name, krate, example, deflates) in PEERS.into_iter().filter(|_| plan.peers) {
        specs.push(Spec {
            name,
            krate: Some(krate),
            binary: measure::example(&release, example),
            plain_args: Vec::new(),
            deflate_args: deflates.then(|| vec!["--deflate".to_string()]),
            path: "/echo",
        });
    }
    let clients: Vec<ClientSpec> = CLIENTS
        .iter()
        .map(|&(name, krate, example, deflates)| ClientSpec {
            name,
            krate,
            binary: measure::example(&release, example),
            deflates,
        })
        .collect();

    let ctx = Ctx {
        duration: plan.duration,
        warmup: plan.warmup,
        rounds: plan.rounds,
        latency_runs: plan.latency_runs,
        latency_warmup: plan.latency_warmup,
        latency_duration: plan.latency_duration,
        pairs: plan.pairs,
        pinning: Pinning {
            threads: plan.threads,
        },
        loadgen: &loadgen,
        out_dir: &out_dir,
    };
    let started = procs::now_utc();
    let load_before = procs::load_average();
    let mut md = header(&plan, &ctx, &started, &specs, &clients, &lock);
    let window = format!(
        "{} s windows after {} s warm-up, best of {} round(s)",
        plan.duration, plan.warmup, plan.rounds
    );
    let latency_window = format!(
        "{} s each after {} s warm-up",
        plan.latency_duration, plan.latency_warmup
    );
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();

    let s = plan.sections;
    if s.work {
        work::prepare()?;
    }
    if s.throughput || s.latency {
        let ours = specs.iter().position(|spec| spec.name == render::OURS[0]);
        let plain = measure::plain(&ctx, &specs, s.throughput, s.latency, ours)?;
        render::plain(&mut md, &names, &plain, &window, &latency_window);
    }
    if s.deflate {
        let deflating: Vec<Spec> = specs.iter().filter(|s| s.deflates()).cloned().collect();
        let results = measure::deflate(&ctx, &deflating)?;
        let names: Vec<&str> = deflating.iter().map(|s| s.name).collect();
        render::deflate(&mut md, &names, &results, &window);
        md.push_str(&format!("\n{}\n", measure::DEFLATE_TRIM));
    }
    if s.memory {
        let rows = measure::memory(&ctx, &specs, plan.memory_plain, plan.memory_deflate);
        render::memory(&mut md, &rows, plan.memory_plain, plan.memory_deflate);
    }
    if s.clients {
        let server = specs
            .iter()
            .find(|s| s.name == plan.client_server)
            .ok_or_else(|| format!("--client-server {}: no such server", plan.client_server))?;
        let names: Vec<&str> = clients.iter().map(|c| c.name).collect();
        let (server, same_window) = client_servers(server);
        let points = measure::client_points(&server);
        // `--pairs` pairs this table's cells; the same-window table below is not paired.
        let ours = names.iter().position(|n| *n == render::OURS[1]);
        let results = measure::clients(&ctx, &server, &clients, points, ours)?;
        render::clients(&mut md, &names, &results, &window);
        if let Some(same) = same_window {
            let deflate_points = measure::client_deflate_points();
            let results = measure::clients(&ctx, &same, &clients, deflate_points, None)?;
            render::clients(&mut md, &names, &results, &window);
            md.push_str(CLIENT_NOTE);
        }
    }
    if s.work {
        let (server_points, client_points): (&[_], &[_]) = if plan.quick {
            (&work::SERVER_POINTS[..1], &work::CLIENT_POINTS[1..])
        } else {
            (&work::SERVER_POINTS, &work::CLIENT_POINTS)
        };
        let rows = work::servers(&ctx, &specs, server_points, plan.work);
        render::work(&mut md, "servers", &names, server_points, &rows);
        if let Some(server) = specs.iter().find(|s| s.name == plan.client_server) {
            let rows = work::clients(&ctx, server, &clients, client_points, plan.work)?;
            let names: Vec<&str> = clients.iter().map(|c| c.name).collect();
            render::work(&mut md, "clients", &names, client_points, &rows);
        }
    }
    md.push_str(&format!(
        "\nLoad average before / after (other work on the machine skews results): {load_before} / {}.\n",
        procs::load_average()
    ));
    let path = out_dir.join("report.md");
    std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{md}");
    eprintln!("(also written to {})", path.display());
    Ok(())
}

/// The report's opening: when, how, and which versions.
fn header(
    plan: &Plan,
    ctx: &Ctx<'_>,
    started: &str,
    specs: &[Spec],
    clients: &[ClientSpec],
    lock: &str,
) -> String {
    let mut versions: Vec<String> = specs
        .iter()
        .filter_map(|s| s.krate)
        .map(|k| format!("{k} {}", locked_version(lock, k)))
        .collect();
    for c in clients.iter().filter_map(|c| c.krate) {
        let v = format!("{c} {}", locked_version(lock, c));
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    let quick = if plan.quick {
        "\n**--quick: brief windows, one round, fewer connections; these figures are not \
         representative, they only show that every section runs.**\n"
    } else {
        ""
    };
    format!(
        "## Load test ({started}, --threads {}){quick}\n\n{}; every echo checked. Peers \
         (versions from Cargo.lock; all built with this workspace's release profile: thin \
         LTO, one codegen unit): {}. ws-server: this tree, `--config` raising its message \
         limits to 16 MiB.\n",
        plan.threads,
        capitalize(&ctx.pinning.describe()),
        versions.join(", ")
    )
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
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

/// Builds the generator, ws-server, the peer echo servers and (for the client
/// section) the echo clients, all with the release profile.
fn build(have_server: bool, clients: bool) -> Result<(), String> {
    let mut bins = cargo();
    bins.args(["build", "--release", "-p", "ws-loadgen"]);
    if have_server {
        bins.args(["-p", "ws-server"]);
    }
    bins.arg("--bins");
    step("cargo build --release (ws-loadgen, ws-server)", bins)?;
    let mut examples = cargo();
    examples.args(["build", "--release", "-p", "ws-benches"]);
    for (_, _, example, _) in PEERS {
        examples.args(["--example", example]);
    }
    if clients {
        for (_, _, example, _) in CLIENTS {
            examples.args(["--example", example]);
        }
    }
    step(
        "cargo build --release (peer echo servers and clients)",
        examples,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(line: &str) -> Result<Plan, String> {
        parse(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

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
    fn sections_default_to_the_servers_and_quick_runs_them_all() {
        let full = plan("").unwrap();
        assert_eq!(full.sections, Sections::servers());
        assert_eq!((full.rounds, full.threads, full.duration), (2, 1, "5"));
        let quick = plan("--quick").unwrap();
        assert_eq!(quick.sections, Sections::all());
        assert_eq!(quick.rounds, 1);
        let clients = plan("--clients --threads 2").unwrap();
        assert!(clients.sections.clients && !clients.sections.throughput);
        assert_eq!(clients.threads, 2);
        assert_eq!(full.pairs, 0, "pairs only on request");
        assert_eq!(plan("--pairs 8").unwrap().pairs, 8);
        assert!(plan("--pairs 5").is_err(), "too few for an interval");
        let only = plan("--quick --only deflate,memory --rounds 3").unwrap();
        assert!(only.sections.deflate && only.sections.memory && !only.sections.latency);
        assert_eq!(only.rounds, 3);
        let before_after =
            plan("--baseline old=/tmp/old/ws-server --baseline v1=/v1 --no-peers").unwrap();
        assert_eq!(
            before_after.baselines,
            [
                ("old".to_string(), PathBuf::from("/tmp/old/ws-server")),
                ("v1".to_string(), PathBuf::from("/v1"))
            ]
        );
        assert!(!before_after.peers && full.peers && full.baselines.is_empty());
        for bad in [
            "--threads 3",
            "--only flood",
            "--rounds 0",
            "--bogus",
            "--rounds",
            "--baseline",
            "--baseline /no/label",
            "--baseline =/x",
        ] {
            assert!(plan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_section_runs_ws_server_at_level_1_and_peers_as_they_are() {
        let spec = |name: &'static str, deflate: Option<Vec<String>>| Spec {
            name,
            krate: None,
            binary: PathBuf::from(name),
            plain_args: vec!["--no-deflate".into()],
            deflate_args: deflate,
            path: "/echo",
        };
        let ours = spec("ws-server", Some(vec!["--config".into(), "x".into()]));
        let (first, same) = client_servers(&ours);
        assert_eq!(first.name, "ws-server --compression-level 1");
        assert_eq!(
            first.deflate_args.unwrap(),
            ["--config", "x", "--compression-level", "1"]
        );
        assert_eq!(first.plain_args, ["--no-deflate"]);
        let same = same.expect("a same-window table against ws-server");
        assert_eq!(
            same.deflate_args.unwrap(),
            [
                "--config",
                "x",
                "--compression-level",
                "1",
                "--client-window-bits",
                "15"
            ]
        );
        let peer = spec("yawc", Some(vec!["--deflate".into()]));
        let (first, same) = client_servers(&peer);
        assert_eq!(first.deflate_args.unwrap(), ["--deflate"]);
        assert!(same.is_none());
        let (_, same) = client_servers(&spec("ws-server", None));
        assert!(same.is_none(), "no deflate, no same-window table");
    }

    #[test]
    fn every_peer_and_client_is_an_example_of_the_benches_crate() {
        let examples = root().join("benches/examples");
        for (_, _, example, _) in PEERS {
            assert!(examples.join(format!("{example}.rs")).exists(), "{example}");
        }
        for (_, _, example, _) in CLIENTS {
            assert!(examples.join(format!("{example}.rs")).exists(), "{example}");
        }
    }
}
