//! The sections of a load test: what is measured, in which order, on which
//! processes. Every measurement is one run of `ws-loadgen` (or of an echo-client
//! example) that prints one JSON line.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use super::procs::{self, number, run_json, ClientSpec, Pinning, Running, Spec};
use super::stats::{keep_best, Cell, Pair, Sample};

/// Message sizes.
pub const SIZES: [usize; 4] = [16, 1024, 65536, 1 << 20];

/// A load shape: connections and messages in flight per message size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// A short name for tables.
    pub name: &'static str,
    /// What it is, for people.
    pub about: &'static str,
    /// (connections, in flight) at each of [`SIZES`].
    pub load: [(usize, usize); 4],
}

/// Many connections with several messages in flight (the load test's first shape).
pub const MANY: Shape = Shape {
    name: "100 x 8",
    about: "100 connections x 8 messages in flight",
    load: [(100, 8); 4],
};

/// Few connections with deep windows.
pub const DEEP: Shape = Shape {
    name: "4 x deep",
    about: "4 connections x 64 messages in flight at 16 B and 1 KiB, 16 at 64 KiB, 4 at 1 MiB",
    load: [(4, 64), (4, 64), (4, 16), (4, 4)],
};

/// Both shapes, in report order.
pub const SHAPES: [Shape; 2] = [MANY, DEEP];

/// Message kinds of the load generator.
pub const BINARY: &str = "binary";
/// JSON-like text, compressible.
pub const TEXT: &str = "text";

/// One throughput cell to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The load shape.
    pub shape: Shape,
    /// Bytes per message.
    pub size: usize,
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub in_flight: usize,
    /// `binary` or `text`.
    pub kind: &'static str,
    /// permessage-deflate offered (and required).
    pub deflate: bool,
}

/// The points of `shapes` x [`SIZES`] for one kind, leaving out `skip`.
pub fn grid(
    shapes: &[Shape],
    kind: &'static str,
    deflate: bool,
    skip: impl Fn(&Shape, usize) -> bool,
) -> Vec<Point> {
    let mut points = Vec::new();
    for shape in shapes {
        for (size, &(connections, in_flight)) in SIZES.iter().zip(&shape.load) {
            if !skip(shape, *size) {
                points.push(Point {
                    shape: *shape,
                    size: *size,
                    connections,
                    in_flight,
                    kind,
                    deflate,
                });
            }
        }
    }
    points
}

/// The settings every section shares.
pub struct Ctx<'a> {
    /// Window after the warm-up, seconds.
    pub duration: &'static str,
    /// Warm-up, seconds.
    pub warmup: &'static str,
    /// Interleaved rounds; throughput cells keep their best round.
    pub rounds: usize,
    /// Latency runs per server and round.
    pub latency_runs: usize,
    /// A latency run's warm-up, seconds.
    pub latency_warmup: &'static str,
    /// A latency run's window after the warm-up, seconds.
    pub latency_duration: &'static str,
    /// Alternating pairs per deflate-off throughput cell, ws-server against the
    /// cell's best peer, after the rounds (`--pairs N`; 0: none).
    pub pairs: usize,
    /// Cores and threads.
    pub pinning: Pinning,
    /// The `ws-loadgen` binary.
    pub loadgen: &'a Path,
    /// Where server logs go.
    pub out_dir: &'a Path,
}

impl Ctx<'_> {
    fn window_args(&self) -> [String; 4] {
        [
            "--warmup".into(),
            self.warmup.into(),
            "--duration".into(),
            self.duration.into(),
        ]
    }

    /// One `ws-loadgen throughput` run of `point` against `server`.
    fn throughput(&self, server: &mut Running, point: &Point) -> Cell {
        if server.has_exited() {
            return Err(format!("{} exited", server.name));
        }
        let mut args: Vec<String> = [
            "throughput",
            "--url",
            &server.url,
            "--label",
            server.name,
            "--connections",
            &point.connections.to_string(),
            "--in-flight",
            &point.in_flight.to_string(),
            "--size",
            &point.size.to_string(),
            "--kind",
            point.kind,
            "--server-pid",
            &server.pid().to_string(),
            "--threads",
            &self.pinning.threads.to_string(),
            "--json",
        ]
        .map(String::from)
        .to_vec();
        args.extend(self.window_args());
        if point.deflate {
            args.push("--deflate".into());
        }
        let v = run_json(self.pinning.generator_cpus(), self.loadgen, &args)?;
        let seconds = number(&v, "seconds")?;
        let total = number(&v, "total_messages")?;
        let compressed = v["compressed_echoes"]
            .as_f64()
            .filter(|_| point.deflate && total > 0.0);
        Ok(Sample {
            msgs: number(&v, "msgs_per_sec")?,
            per_cpu: number(&v, "msgs_per_server_cpu_sec")?,
            generator: v["generator_cpu_seconds"].as_f64().map(|c| c / seconds),
            compressed: compressed.map(|c| c / total),
        })
    }

    /// One `ws-loadgen latency` run against `server` (16 B, no deflate).
    fn latency(&self, server: &mut Running) -> Pair {
        if server.has_exited() {
            return Err(format!("{} exited", server.name));
        }
        let mut args: Vec<String> = ["latency", "--url", &server.url, "--label", server.name]
            .map(String::from)
            .to_vec();
        args.extend([
            "--warmup".into(),
            self.latency_warmup.into(),
            "--duration".into(),
            self.latency_duration.into(),
        ]);
        args.extend(["--threads".into(), self.pinning.threads.to_string()]);
        args.push("--json".into());
        let v = run_json(self.pinning.generator_cpus(), self.loadgen, &args)?;
        Ok((number(&v, "p50_us")?, number(&v, "p99_us")?))
    }
}

/// Throughput cells: `cells[server][point]`.
pub type Cells = Vec<Vec<Option<Cell>>>;

fn empty_cells(servers: usize, points: usize) -> Cells {
    vec![vec![None; points]; servers]
}

/// One round over `points` on every server, each point starting with the next
/// server in turn (none is always the first after a heavy cell).
fn throughput_round(
    ctx: &Ctx<'_>,
    servers: &mut [Running],
    points: &[Point],
    cells: &mut Cells,
    round: usize,
) {
    let n = servers.len();
    for (i, point) in points.iter().enumerate() {
        for k in 0..n {
            let s = (round + i + k) % n;
            let cell = ctx.throughput(&mut servers[s], point);
            if let Err(e) = &cell {
                eprintln!("    {}: {e}", servers[s].name);
            }
            cells[s][i] = Some(keep_best(cells[s][i].take(), cell));
        }
    }
}

/// The results of the throughput-and-latency section (deflate off).
pub struct Plain {
    /// The cells measured.
    pub points: Vec<Point>,
    /// `cells[server][point]`.
    pub cells: Cells,
    /// Every latency run per server, in order (run `k` of every server was measured
    /// in the same back-to-back group).
    pub latency: Vec<Vec<Pair>>,
    /// Per point, with `--pairs`: ws-server against the point's best peer in
    /// alternating pairs.
    pub paired: Vec<Option<PairedCell>>,
}

/// One throughput cell measured again as alternating pairs: ws-server and the
/// cell's best peer (by msgs/s over the rounds) back to back, the order swapped at
/// every pair, so that drift in the machine's load falls on both alike. The client
/// section pairs ws-client and the best other client the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedCell {
    /// The peer, as an index into the contestants (the servers, or the clients).
    pub peer: usize,
    /// Ours (ws-server, or ws-client) / the peer in each pair that both completed:
    /// (msgs/s, msgs per CPU-second of the measured side: the server's, or the
    /// client's). A pair that failed, or whose peer echoed nothing, is left out with
    /// a line on stderr; the report's "pairs" column counts the rest.
    pub ratios: Vec<(f64, f64)>,
}

/// Measures every point in `pairs` alternating pairs of `ours` and the point's best
/// other contestant in `cells` (servers, or clients against one server): `run(c,
/// point)` measures contestant `c` once.
fn paired_cells(
    pairs: usize,
    points: &[Point],
    cells: &Cells,
    ours: usize,
    mut run: impl FnMut(usize, &Point) -> Cell,
) -> Vec<Option<PairedCell>> {
    let msgs = |s: usize, i: usize| match &cells[s][i] {
        Some(Ok(sample)) => Some(sample.msgs),
        _ => None,
    };
    let mut paired = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let best = (0..cells.len())
            .filter(|&s| s != ours)
            .filter_map(|s| msgs(s, i).map(|m| (s, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((peer, _)) = best else {
            paired.push(None);
            continue;
        };
        let mut ratios = Vec::with_capacity(pairs);
        for k in 0..pairs {
            let order = if k % 2 == 0 {
                [ours, peer]
            } else {
                [peer, ours]
            };
            let [a, b] = order.map(|s| run(s, point));
            let (mine, theirs) = if order[0] == ours { (a, b) } else { (b, a) };
            match (mine, theirs) {
                (Ok(m), Ok(t)) if t.msgs > 0.0 && t.per_cpu > 0.0 => {
                    ratios.push((m.msgs / t.msgs, m.per_cpu / t.per_cpu));
                }
                (Ok(_), Ok(t)) => eprintln!(
                    "    pair {k}: left out: the peer echoed {:.0} msgs/s at {:.0} msgs per \
                     CPU-second (no ratio to take)",
                    t.msgs, t.per_cpu
                ),
                (m, t) => {
                    for e in [m.err(), t.err()].into_iter().flatten() {
                        eprintln!("    pair {k}: {e}");
                    }
                }
            }
        }
        paired.push(Some(PairedCell { peer, ratios }));
    }
    paired
}

/// Deflate off: all servers run side by side (idle unless measured); each round
/// measures every throughput point on every server, then round-trip latency
/// (`latency_runs` runs per server, interleaved, each run starting with the next
/// server in turn).
/// With `--pairs`, every cell is then measured again in alternating pairs of `ours`
/// (ws-server's index in `specs`) and its best peer ([`PairedCell`]).
pub fn plain(
    ctx: &Ctx<'_>,
    specs: &[Spec],
    throughput: bool,
    latency: bool,
    ours: Option<usize>,
) -> Result<Plain, String> {
    let points = if throughput {
        grid(&SHAPES, BINARY, false, |_, _| false)
    } else {
        Vec::new()
    };
    let mut servers = Vec::new();
    for spec in specs {
        servers.push(procs::start(spec, false, ctx.pinning, ctx.out_dir, false)?);
    }
    let mut cells = empty_cells(specs.len(), points.len());
    let mut runs: Vec<Vec<Pair>> = vec![Vec::new(); specs.len()];
    for round in 0..ctx.rounds {
        eprintln!("\n==> deflate off: round {} of {}", round + 1, ctx.rounds);
        throughput_round(ctx, &mut servers, &points, &mut cells, round);
        if !latency {
            continue;
        }
        // The heavy throughput runs leave the machine busy for a moment.
        thread::sleep(Duration::from_secs(1));
        for run in 0..ctx.latency_runs {
            let first = round * ctx.latency_runs + run;
            for k in 0..servers.len() {
                let s = (first + k) % servers.len();
                let pair = ctx.latency(&mut servers[s]);
                if let Err(e) = &pair {
                    eprintln!("    {}: {e}", servers[s].name);
                }
                runs[s].push(pair);
            }
        }
    }
    let paired = match ours {
        Some(ours) if ctx.pairs > 0 && throughput => {
            eprintln!(
                "\n==> deflate off: {} alternating pairs per cell",
                ctx.pairs
            );
            paired_cells(ctx.pairs, &points, &cells, ours, |s, point| {
                ctx.throughput(&mut servers[s], point)
            })
        }
        _ => Vec::new(),
    };
    procs::stop_all(servers);
    Ok(Plain {
        points,
        cells,
        latency: runs,
        paired,
    })
}

/// Results of a throughput section: `cells[server][point]`.
pub struct Throughput {
    /// The cells measured.
    pub points: Vec<Point>,
    /// `cells[server][point]`.
    pub cells: Cells,
}

/// What [`deflate_skips`] leaves out, for the report.
pub const DEFLATE_TRIM: &str = "With deflate on, the 100 x 8 shape leaves out 1 MiB: 800 MiB in \
flight through level-6 deflate take longer to drain than a run allows (about 30 ms of server CPU \
per incompressible 1 MiB message).";

/// The 100 x 8 shape leaves out 1 MiB with compression: 800 MiB in flight through
/// level-6 deflate take longer to drain than the run allows (about 30 ms of server
/// CPU per incompressible 1 MiB message: 25 s for the last echoes).
pub fn deflate_skips(shape: &Shape, size: usize) -> bool {
    *shape == MANY && size >= 1 << 20
}

/// Deflate on, as browsers use it: the servers that compress, side by side, with
/// compressible text and incompressible binary, both shapes.
pub fn deflate(ctx: &Ctx<'_>, specs: &[Spec]) -> Result<Throughput, String> {
    let mut points = grid(&SHAPES, TEXT, true, deflate_skips);
    points.extend(grid(&SHAPES, BINARY, true, deflate_skips));
    let mut servers = Vec::new();
    for spec in specs {
        servers.push(procs::start(spec, true, ctx.pinning, ctx.out_dir, false)?);
    }
    let mut cells = empty_cells(specs.len(), points.len());
    for round in 0..ctx.rounds {
        eprintln!("\n==> deflate on: round {} of {}", round + 1, ctx.rounds);
        throughput_round(ctx, &mut servers, &points, &mut cells, round);
    }
    procs::stop_all(servers);
    Ok(Throughput { points, cells })
}

/// Server memory per connection (bytes), every connection idle: right after the
/// handshake, right after each echoed [`MEMORY_MESSAGES`] messages, and
/// [`MEMORY_LATER`] seconds later.
pub type Memory = Result<[f64; 3], String>;

/// Echoes per connection between the first two memory readings.
pub const MEMORY_MESSAGES: usize = 8;
/// Their size.
pub const MEMORY_SIZE: usize = 1024;
/// Seconds between the second and third readings: a server may release state a
/// connection leaves unused (ws-server releases an idle compressor after 1 s).
pub const MEMORY_LATER: &str = "3";

/// One server's memory figures: deflate off, and on when it can.
pub struct MemoryRow {
    /// The server.
    pub name: &'static str,
    /// Deflate off.
    pub plain: Memory,
    /// Deflate on; `None` if the server cannot compress.
    pub deflate: Option<Memory>,
}

/// Memory per connection, on a fresh server each: `plain_conns` connections without
/// deflate, `deflate_conns` with (compressing connections cost a hundred times more;
/// fewer keep the run's memory sane on a shared machine).
pub fn memory(
    ctx: &Ctx<'_>,
    specs: &[Spec],
    plain_conns: usize,
    deflate_conns: usize,
) -> Vec<MemoryRow> {
    eprintln!("\n==> memory per connection");
    specs
        .iter()
        .map(|spec| MemoryRow {
            name: spec.name,
            plain: memory_run(ctx, spec, false, plain_conns),
            deflate: spec
                .deflates()
                .then(|| memory_run(ctx, spec, true, deflate_conns)),
        })
        .collect()
}

fn memory_run(ctx: &Ctx<'_>, spec: &Spec, deflate: bool, connections: usize) -> Memory {
    let server = procs::start(spec, deflate, ctx.pinning, ctx.out_dir, true)?;
    let mut args: Vec<String> = [
        "connections",
        "--url",
        &server.url,
        "--label",
        spec.name,
        "--connections",
        &connections.to_string(),
        "--messages",
        &MEMORY_MESSAGES.to_string(),
        "--size",
        &MEMORY_SIZE.to_string(),
        "--kind",
        TEXT,
        "--later",
        MEMORY_LATER,
        "--server-pid",
        &server.pid().to_string(),
        "--json",
    ]
    .map(String::from)
    .to_vec();
    if deflate {
        args.push("--deflate".into());
    }
    let result = run_json(ctx.pinning.generator_cpus(), ctx.loadgen, &args).and_then(|v| {
        let clean = number(&v, "clean_closes")? as usize;
        if clean != connections {
            eprintln!("    {}: {clean} of {connections} closed cleanly", spec.name);
        }
        Ok([
            number(&v, "bytes_per_connection_open")?,
            number(&v, "bytes_per_connection")?,
            number(&v, "bytes_per_connection_later")?,
        ])
    });
    if let Err(e) = &result {
        eprintln!("    {}: {e}", spec.name);
    }
    if let Err(e) = server.stop() {
        eprintln!("    {e}");
    }
    result
}

/// Results of the client section.
pub struct Clients {
    /// The one server every client talked to.
    pub server: &'static str,
    /// The cells measured.
    pub points: Vec<Point>,
    /// `cells[client][point]`: `None` where the client cannot compress.
    pub cells: Cells,
    /// Per point, with `--pairs`: ws-client against the point's best other client
    /// in alternating pairs (ratios per client CPU-second in the second place).
    pub paired: Vec<Option<PairedCell>>,
}

/// The client section's points against `server`: the deep shape at every size,
/// binary without deflate, and text with deflate when the server can compress.
pub fn client_points(server: &Spec) -> Vec<Point> {
    let mut points = grid(&[DEEP], BINARY, false, |_, _| false);
    if server.deflates() {
        points.extend(client_deflate_points());
    }
    points
}

/// The client section's deflate points alone: the deep shape, text, every size.
pub fn client_deflate_points() -> Vec<Point> {
    grid(&[DEEP], TEXT, true, |_, _| false)
}

/// The clients against one server (started with deflate on when it can compress)
/// at `points`, skipping deflate points for the clients that cannot offer it.
/// Rounds and rotation as for servers; each cell reports msgs/s and msgs per client
/// CPU-second. With `--pairs` and `ours` (ws-client's index in `clients`), every
/// point is then measured again in alternating pairs of ours and its best other
/// client.
pub fn clients(
    ctx: &Ctx<'_>,
    server: &Spec,
    clients: &[ClientSpec],
    points: Vec<Point>,
    ours: Option<usize>,
) -> Result<Clients, String> {
    let mut running = procs::start(server, server.deflates(), ctx.pinning, ctx.out_dir, false)?;
    let mut cells = empty_cells(clients.len(), points.len());
    let n = clients.len();
    for round in 0..ctx.rounds {
        eprintln!("\n==> clients: round {} of {}", round + 1, ctx.rounds);
        for (i, point) in points.iter().enumerate() {
            for k in 0..n {
                let c = (round + i + k) % n;
                if point.deflate && !clients[c].deflates {
                    continue;
                }
                let cell = if running.has_exited() {
                    Err(format!("{} exited", server.name))
                } else {
                    client_run(ctx, &clients[c], &running.url, point)
                };
                if let Err(e) = &cell {
                    eprintln!("    {}: {e}", clients[c].name);
                }
                cells[c][i] = Some(keep_best(cells[c][i].take(), cell));
            }
        }
    }
    let paired = match ours {
        Some(ours) if ctx.pairs > 0 => {
            eprintln!("\n==> clients: {} alternating pairs per cell", ctx.pairs);
            paired_cells(ctx.pairs, &points, &cells, ours, |c, point| {
                if running.has_exited() {
                    Err(format!("{} exited", server.name))
                } else {
                    client_run(ctx, &clients[c], &running.url, point)
                }
            })
        }
        _ => Vec::new(),
    };
    if let Err(e) = running.stop() {
        eprintln!("    {e}");
    }
    Ok(Clients {
        server: server.name,
        points,
        cells,
        paired,
    })
}

fn client_run(ctx: &Ctx<'_>, client: &ClientSpec, url: &str, point: &Point) -> Cell {
    let mut args: Vec<String> = [
        "--url",
        url,
        "--connections",
        &point.connections.to_string(),
        "--in-flight",
        &point.in_flight.to_string(),
        "--size",
        &point.size.to_string(),
        "--kind",
        point.kind,
        "--threads",
        &ctx.pinning.threads.to_string(),
    ]
    .map(String::from)
    .to_vec();
    args.extend(ctx.window_args());
    if point.deflate {
        args.push("--deflate".into());
    }
    let v = run_json(ctx.pinning.generator_cpus(), &client.binary, &args)?;
    Ok(Sample {
        msgs: number(&v, "msgs_per_sec")?,
        per_cpu: v["msgs_per_client_cpu_sec"].as_f64().unwrap_or(0.0),
        generator: None,
        compressed: None,
    })
}

/// The example binary `name` of the release build.
pub fn example(release: &Path, name: &str) -> PathBuf {
    release.join("examples").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shapes_cover_every_size_and_deflate_trims_one_cell() {
        let all = grid(&SHAPES, BINARY, false, |_, _| false);
        assert_eq!(all.len(), 8);
        assert_eq!((all[0].connections, all[0].in_flight), (100, 8));
        let deep: Vec<_> = all[4..]
            .iter()
            .map(|p| (p.size, p.connections, p.in_flight))
            .collect();
        assert_eq!(
            deep,
            [(16, 4, 64), (1024, 4, 64), (65536, 4, 16), (1 << 20, 4, 4)]
        );
        let trimmed = grid(&SHAPES, TEXT, true, deflate_skips);
        assert_eq!(trimmed.len(), 7);
        assert!(!trimmed.iter().any(|p| p.shape == MANY && p.size == 1 << 20));
        assert!(trimmed.iter().all(|p| p.deflate && p.kind == TEXT));
    }
}
