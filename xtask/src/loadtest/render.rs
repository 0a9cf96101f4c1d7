//! The load test's markdown report.

use super::measure::{
    Cells, Clients, MemoryRow, PairedCell, Plain, Point, Throughput, MEMORY_LATER, MEMORY_MESSAGES,
    MEMORY_SIZE,
};
use super::stats::{
    median, median_interval, median_pair, paired, Interval, Sample, Verdict, CONFIDENCE,
};
use super::work::{describe, Cost, CostRow, WorkPoint};

/// Our server's and client's names in the tables.
pub const OURS: [&str; 2] = ["ws-server", "ws-client"];

/// Appends a line.
fn push(md: &mut String, line: impl AsRef<str>) {
    md.push_str(line.as_ref());
    md.push('\n');
}

/// `1,234,567`.
pub fn with_commas(n: f64) -> String {
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

/// `16 B`, `1 KiB`, `64 KiB`, `1 MiB`.
pub fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1024 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// Which figure of a sample a table shows.
#[derive(Clone, Copy)]
pub enum Figure {
    /// msgs/s, with MB/s of payload.
    Rate,
    /// msgs per CPU-second of the measured side.
    PerCpu,
    /// The generator's CPU per second of window.
    Generator,
    /// The share of echoes that came back compressed.
    Compressed,
}

impl Figure {
    fn value(self, s: &Sample) -> Option<f64> {
        match self {
            Figure::Rate => Some(s.msgs),
            Figure::PerCpu => (s.per_cpu > 0.0).then_some(s.per_cpu),
            Figure::Generator => s.generator,
            Figure::Compressed => s.compressed,
        }
    }

    fn show(self, s: &Sample, size: usize) -> String {
        match self {
            Figure::Rate => format!(
                "{} ({:.1})",
                with_commas(s.msgs),
                s.msgs * size as f64 / 1e6
            ),
            Figure::PerCpu => self.value(s).map_or("-".into(), with_commas),
            Figure::Generator => self.value(s).map_or("-".into(), |g| format!("{g:.2}")),
            Figure::Compressed => self
                .value(s)
                .map_or("-".into(), |c| format!("{:.0}%", 100.0 * c)),
        }
    }
}

/// A size x server table of `figure` over the points `pick` selects, with the ratio
/// of ours (the column named in [`OURS`]) to the best of the others, naming it
/// (higher is better), unless `figure` is the generator's CPU.
pub fn size_table(
    md: &mut String,
    names: &[&str],
    points: &[Point],
    cells: &Cells,
    pick: impl Fn(&Point) -> bool,
    figure: Figure,
) {
    let ours = names.iter().position(|n| OURS.contains(n));
    let ratio = matches!(figure, Figure::Rate | Figure::PerCpu);
    let mut header = "| size |".to_string();
    let mut rule = "|---:|".to_string();
    for name in names {
        header.push_str(&format!(" {name} |"));
        rule.push_str("---:|");
    }
    if ratio {
        let ours_name = ours.map_or("ours", |i| names[i]);
        let others = if ours_name == OURS[1] {
            "client"
        } else {
            "peer"
        };
        header.push_str(&format!(" {ours_name} / best {others} |"));
        rule.push_str("---:|");
    }
    push(md, header);
    push(md, rule);
    for (i, point) in points.iter().enumerate().filter(|(_, p)| pick(p)) {
        let mut line = format!("| {} |", size_name(point.size));
        for row in cells {
            let cell = match &row[i] {
                None => "—".to_string(),
                Some(Ok(s)) => figure.show(s, point.size),
                Some(Err(_)) => "failed".into(),
            };
            line.push_str(&format!(" {cell} |"));
        }
        if ratio {
            let value = |s: usize| match &cells[s][i] {
                Some(Ok(sample)) => figure.value(sample),
                _ => None,
            };
            let best = (0..names.len())
                .filter(|&s| Some(s) != ours)
                .filter_map(|s| value(s).map(|v| (v, names[s])))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let text = match (ours.and_then(value), best) {
                (Some(v), Some((b, name))) => format!("{:.2} ({name})", v / b),
                _ => "-".into(),
            };
            line.push_str(&format!(" {text} |"));
        }
        push(md, line);
    }
}

/// The deflate-off section: per shape, msgs/s, msgs per server CPU-second and the
/// generator's CPU; then round-trip latency with the paired comparison.
pub fn plain(md: &mut String, names: &[&str], plain: &Plain, window: &str, latency_window: &str) {
    for shape in super::measure::SHAPES {
        let pick = |p: &Point| p.shape == shape;
        if !plain.points.iter().any(pick) {
            continue;
        }
        push(
            md,
            format!(
                "\n### Throughput, deflate off, {} ({window})\n\nmsgs/s (MB/s of payload echoed):\n",
                shape.about
            ),
        );
        size_table(md, names, &plain.points, &plain.cells, pick, Figure::Rate);
        push(
            md,
            "\nmsgs per second of the server's own CPU time (from /proc/PID/task/*/schedstat \
             over the same window; less sensitive to other load on the machine):\n",
        );
        size_table(md, names, &plain.points, &plain.cells, pick, Figure::PerCpu);
        generator_table(md, names, &plain.points, &plain.cells, pick);
    }
    paired_throughput(md, names, plain);
    if plain.latency.iter().all(Vec::is_empty) {
        return;
    }
    let runs = plain.latency.first().map_or(0, Vec::len);
    push(
        md,
        format!(
            "\n### Round trip, deflate off\n\n1 connection, 1 message of 16 B in flight \
             (microseconds; median of {runs} interleaved runs per server, \
             {latency_window}):\n"
        ),
    );
    push(md, "| server | p50 | p99 |");
    push(md, "|---|---:|---:|");
    for (name, runs) in names.iter().zip(&plain.latency) {
        match median_pair(runs.clone()) {
            Ok((p50, p99)) => push(md, format!("| {name} | {p50:.1} | {p99:.1} |")),
            Err(_) => push(md, format!("| {name} | failed | failed |")),
        }
    }
    let Some(ours) = names.iter().position(|n| *n == OURS[0]) else {
        return;
    };
    let rows: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(s, _)| *s != ours)
        .filter_map(|(s, name)| {
            let p = paired(&plain.latency[ours], &plain.latency[s])?;
            let n = p.runs;
            let cell = |median: f64, interval: Option<Interval>, lower: usize| {
                let range =
                    interval.map_or("-".to_string(), |(lo, hi)| format!("{lo:+.1} to {hi:+.1}"));
                format!(
                    "{median:+.1} | {range} | {lower} of {n} | {}",
                    Verdict::of(interval).words()
                )
            };
            Some(format!(
                "| {name} | {} | {} |",
                cell(p.median.0, p.interval.0, p.lower.0),
                cell(p.median.1, p.interval.1, p.lower.1)
            ))
        })
        .collect();
    if !rows.is_empty() {
        let confidence = CONFIDENCE * 100.0;
        push(
            md,
            format!(
                "\nPaired, {ours_name} minus each peer: the median of run-by-run differences \
                 (the servers measured back to back within each run, so drift between runs \
                 cancels; microseconds, negative is faster); an interval of at least \
                 {confidence:.0}% confidence for that median, from the differences' order \
                 statistics (no assumption about their distribution); the runs where \
                 {ours_name} was lower; and the verdict: lower or higher only when the whole \
                 interval is on that side of zero.\n",
                ours_name = OURS[0]
            ),
        );
        push(
            md,
            "| peer | p50 diff | interval | lower in | p50 verdict | p99 diff | interval | \
             lower in | p99 verdict |",
        );
        push(md, "|---|---:|---:|---:|---|---:|---:|---:|---|");
        for row in rows {
            push(md, row);
        }
    }
}

/// With `--pairs`: each cell's alternating pairs against its best peer, the median
/// ratio with its interval and verdict, in msgs/s and per server CPU-second.
fn paired_throughput(md: &mut String, names: &[&str], plain: &Plain) {
    let intro = format!(
        "\n### Throughput pairs, deflate off\n\n{ours} against each cell's best peer in \
         alternating pairs (each run as long as the cells' above, the two measured back \
         to back, the order swapped at every pair): the median of the per-pair ratios \
         {ours} / peer, an interval of at least {:.0}% confidence for it (order \
         statistics), and the verdict (ahead or behind only when the whole interval is \
         on that side of 1):\n",
        CONFIDENCE * 100.0,
        ours = OURS[0]
    );
    paired_table(md, &intro, names, &plain.points, &plain.paired);
}

/// The table of paired cells under `intro`: per cell, the peer, the pairs taken,
/// and the median ratio with its interval and verdict, in msgs/s and per
/// CPU-second of the measured side (nothing when no cell was paired).
fn paired_table(
    md: &mut String,
    intro: &str,
    names: &[&str],
    points: &[Point],
    paired: &[Option<PairedCell>],
) {
    let rows: Vec<String> = points
        .iter()
        .zip(paired)
        .filter_map(|(point, cell)| {
            let cell = cell.as_ref()?;
            let show = |ratios: Vec<f64>| {
                // A ratio's verdict: its interval against 1.
                let interval = median_interval(&ratios);
                let verdict = Verdict::of(interval.map(|(lo, hi)| (lo - 1.0, hi - 1.0)));
                let verdict = match verdict {
                    Verdict::Lower => "behind",
                    Verdict::Higher => "ahead",
                    other => other.words(),
                };
                let median = median(&ratios).map_or("-".into(), |m| format!("{m:.3}"));
                let range = interval.map_or("-".into(), |(lo, hi)| format!("{lo:.3} to {hi:.3}"));
                format!("{median} | {range} | {verdict}")
            };
            Some(format!(
                "| {}{} | {} | {} | {} | {} | {} |",
                point.shape.name,
                if point.deflate { ", deflate" } else { "" },
                size_name(point.size),
                names[cell.peer],
                cell.ratios.len(),
                show(cell.ratios.iter().map(|r| r.0).collect()),
                show(cell.ratios.iter().map(|r| r.1).collect()),
            ))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    push(md, intro);
    push(
        md,
        "| shape | size | peer | pairs | msgs/s ratio | interval | verdict | per CPU-s ratio | \
         interval | verdict |",
    );
    push(md, "|---|---:|---|---:|---:|---:|---|---:|---:|---|");
    for row in rows {
        push(md, row);
    }
}

fn generator_table(
    md: &mut String,
    names: &[&str],
    points: &[Point],
    cells: &Cells,
    pick: impl Fn(&Point) -> bool,
) {
    push(
        md,
        "\nThe generator's own CPU per second of window (1.00 = one core busy; near its \
         share of the cores, the generator may be what limits a cell):\n",
    );
    size_table(md, names, points, cells, pick, Figure::Generator);
}

/// The deflate-on section: per payload kind and shape, msgs/s and msgs per server
/// CPU-second, ws-server against the best compressing peer.
pub fn deflate(md: &mut String, names: &[&str], results: &Throughput, window: &str) {
    for kind in [super::measure::TEXT, super::measure::BINARY] {
        for shape in super::measure::SHAPES {
            let pick = |p: &Point| p.shape == shape && p.kind == kind;
            if !results.points.iter().any(pick) {
                continue;
            }
            let about = match kind {
                super::measure::TEXT => "JSON-like text (compressible)",
                _ => "random binary (incompressible)",
            };
            push(
                md,
                format!(
                    "\n### Throughput, deflate on, {about}, {} ({window})\n\nmsgs/s (MB/s of \
                     payload before compression):\n",
                    shape.about
                ),
            );
            size_table(
                md,
                names,
                &results.points,
                &results.cells,
                pick,
                Figure::Rate,
            );
            push(md, "\nmsgs per server CPU-second:\n");
            size_table(
                md,
                names,
                &results.points,
                &results.cells,
                pick,
                Figure::PerCpu,
            );
            generator_table(md, names, &results.points, &results.cells, pick);
            push(
                md,
                "\nShare of the echoes that came back compressed (each server decides per \
                 message; some send small ones as they are):\n",
            );
            size_table(
                md,
                names,
                &results.points,
                &results.cells,
                pick,
                Figure::Compressed,
            );
        }
    }
}

/// Memory per connection: one row per server, deflate off and on, right after the
/// handshake and after traffic; the last row is ws-server against the lowest peer
/// (lower is better).
pub fn memory(md: &mut String, rows: &[MemoryRow], plain_conns: usize, deflate_conns: usize) {
    push(
        md,
        format!(
            "\n### Server memory per connection\n\nServer RSS growth per connection \
             (bytes), with every connection idle: right after its handshake; right after \
             it echoed {MEMORY_MESSAGES} messages of {} of JSON-like text; and \
             {MEMORY_LATER} s later (a server may release what an idle connection does \
             not use). {} connections with deflate off, {} with deflate on (offered as \
             Chromium does); a fresh server for each.\n",
            size_name(MEMORY_SIZE),
            with_commas(plain_conns as f64),
            with_commas(deflate_conns as f64),
        ),
    );
    push(
        md,
        format!(
            "| server | off: handshake | off: traffic | off: +{MEMORY_LATER} s | on: handshake | \
             on: traffic | on: +{MEMORY_LATER} s |"
        ),
    );
    push(md, "|---|---:|---:|---:|---:|---:|---:|");
    // The six figures of a row: deflate off, then on.
    let figures = |row: &MemoryRow| -> [Option<f64>; 6] {
        let plain = row.plain.as_ref().ok();
        let on = row.deflate.as_ref().and_then(|d| d.as_ref().ok());
        std::array::from_fn(|i| {
            if i < 3 {
                plain.map(|p| p[i])
            } else {
                on.map(|p| p[i - 3])
            }
        })
    };
    for row in rows {
        let mut line = format!("| {} |", row.name);
        let values = figures(row);
        for (i, value) in values.iter().enumerate() {
            let memory = if i < 3 {
                Some(&row.plain)
            } else {
                row.deflate.as_ref()
            };
            let text = match (memory, value) {
                (None, _) => "—".to_string(),
                (Some(Err(_)), _) => "failed".into(),
                (Some(Ok(_)), Some(v)) => with_commas(*v),
                (Some(Ok(_)), None) => "-".into(),
            };
            line.push_str(&format!(" {text} |"));
        }
        push(md, line);
    }
    let Some(ours) = rows.iter().find(|r| r.name == OURS[0]) else {
        return;
    };
    let mut line = format!("| {} / lowest peer |", OURS[0]);
    for (col, mine) in figures(ours).into_iter().enumerate() {
        let lowest = rows
            .iter()
            .filter(|r| r.name != OURS[0])
            .filter_map(|r| figures(r)[col].map(|v| (v, r.name)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let text = match (mine, lowest) {
            (Some(v), Some((low, name))) if low > 0.0 => format!("{:.2} ({name})", v / low),
            _ => "-".into(),
        };
        line.push_str(&format!(" {text} |"));
    }
    push(md, line);
    push(
        md,
        "\n— : the server cannot compress. A figure can be negative when a server \
         releases more than the connections hold. Every server runs on glibc's malloc; \
         ws-server's binary also gives back free heap pages once its free heap has grown \
         by 16 MiB (`malloc_trim`, ws-server/src/bin/ws-server/heap_trim.rs), which is \
         what its +3 s column with deflate reads.",
    );
}

/// The client section: per payload, msgs/s and msgs per client CPU-second, ws-client
/// against the best other client.
pub fn clients(md: &mut String, names: &[&str], results: &Clients, window: &str) {
    for deflate in [false, true] {
        let pick = |p: &Point| p.deflate == deflate;
        if !results.points.iter().any(pick) {
            continue;
        }
        let what = if deflate {
            "deflate on, JSON-like text"
        } else {
            "deflate off, random binary"
        };
        push(
            md,
            format!(
                "\n### Clients against {}, {what}, {} ({window})\n\nmsgs/s (MB/s):\n",
                results.server,
                super::measure::DEEP.about
            ),
        );
        size_table(
            md,
            names,
            &results.points,
            &results.cells,
            pick,
            Figure::Rate,
        );
        push(md, "\nmsgs per second of the client's own CPU time:\n");
        size_table(
            md,
            names,
            &results.points,
            &results.cells,
            pick,
            Figure::PerCpu,
        );
    }
    push(
        md,
        "\n— : the client cannot offer permessage-deflate. With deflate, each client \
         decides per message whether to compress (ws-client, through ws-session, sends \
         messages under 32 bytes as they are by default), which the harness does not see.",
    );
    let intro = format!(
        "\n### Client pairs against {}\n\n{ours} against each cell's best other client in \
         alternating pairs (each run as long as the cells' above, the two measured back to \
         back against the same server, the order swapped at every pair): the median of the \
         per-pair ratios {ours} / client, an interval of at least {:.0}% confidence for it \
         (order statistics), and the verdict (ahead or behind only when the whole interval \
         is on that side of 1); per CPU-s is per second of the client's own CPU time:\n",
        results.server,
        CONFIDENCE * 100.0,
        ours = OURS[1]
    );
    paired_table(md, &intro, names, &results.points, &results.paired);
}

/// One figure of a [`Cost`]: its title, how to read it and how to show it.
type Metric = (&'static str, fn(&Cost) -> f64, fn(f64) -> String);

/// The work section: per contestant (servers, or clients) and point, user-space
/// instructions per echo with ours over the lowest other, system calls per echo,
/// and the kernel's share of CPU time.
pub fn work(md: &mut String, who: &str, names: &[&str], points: &[WorkPoint], rows: &[CostRow]) {
    push(
        md,
        format!(
            "\n### What one echo costs the {who}\n\nUser-space instructions per echo \
             (callgrind, two runs of different lengths differenced: start-up, handshakes \
             and shutdown cancel), system calls per echo and the kernel's share of the \
             process' CPU time (perf's syscall tracepoint and the process' user and \
             system time, at full speed). Binary messages, deflate off. The instruction \
             counts repeat within a few percent from run to run, whatever the machine's \
             load (more for a side that makes a system call per echo, whose reads find \
             a varying number of messages); system calls per echo depend on how many messages a read finds, and move by \
             up to a tenth at 100 x 8. Callgrind counts each iteration of a \
             `rep`-prefixed string instruction as one instruction: a side that clears or \
             copies kilobytes per echo with glibc's `memset` or `memcpy` (which use them \
             from 4 KiB up here) shows a large count for little time.\n"
        ),
    );
    let ours = names.iter().position(|n| OURS.contains(n));
    let mut header = format!("| {} |", &who[..who.len() - 1]);
    let mut rule = "|---|".to_string();
    for point in points {
        header.push_str(&format!(" {} |", describe(point)));
        rule.push_str("---:|");
    }
    let metrics: [Metric; 3] = [
        ("instructions per echo", |c| c.instructions, with_commas),
        (
            "system calls per echo",
            |c| c.syscalls,
            |v| format!("{v:.3}"),
        ),
        (
            "kernel share of CPU time",
            |c| c.kernel_share,
            |v| format!("{:.0}%", v * 100.0),
        ),
    ];
    for (k, (title, value, show)) in metrics.iter().enumerate() {
        push(md, format!("\n{}:\n", super::capitalize(title)));
        push(md, &header);
        push(md, &rule);
        for (s, row) in rows.iter().enumerate() {
            let mut line = format!("| {} |", names[s]);
            for cell in row {
                let text = match cell {
                    Ok(cost) => show(value(cost)),
                    Err(_) => "failed".into(),
                };
                line.push_str(&format!(" {text} |"));
            }
            push(md, line);
        }
        // Ours over the lowest other: below 1 is less work per echo.
        if let (0, Some(ours)) = (k, ours) {
            let mut line = format!("| {} / lowest other |", names[ours]);
            for i in 0..points.len() {
                let cost = |s: usize| rows[s][i].as_ref().ok().map(value);
                let lowest = (0..rows.len())
                    .filter(|&s| s != ours)
                    .filter_map(|s| cost(s).map(|v| (v, names[s])))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                let text = match (cost(ours), lowest) {
                    (Some(v), Some((low, name))) if low > 0.0 => {
                        format!("{:.2} ({name})", v / low)
                    }
                    _ => "-".into(),
                };
                line.push_str(&format!(" {text} |"));
            }
            push(md, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::measure::{grid, Memory, PairedCell, BINARY, DEEP, MANY, SHAPES};
    use super::super::stats::{Cell, Pair};
    use super::*;

    fn cell(msgs: f64) -> Option<Cell> {
        Some(Ok(Sample {
            msgs,
            per_cpu: 2.0 * msgs,
            generator: Some(0.5),
            compressed: Some(0.25),
        }))
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
    fn tables_name_the_best_peer_and_skip_what_was_not_run() {
        let points = grid(&[MANY], BINARY, false, |_, s| s == 65536);
        let names = ["ws-server", "tokio-tungstenite", "fastwebsockets"];
        let cells = vec![
            vec![cell(200.0), cell(100.0), cell(100.0)],
            vec![cell(100.0), cell(50.0), cell(200.0)],
            vec![cell(50.0), Some(Err("boom".into())), cell(300.0)],
        ];
        let mut md = String::new();
        size_table(&mut md, &names, &points, &cells, |_| true, Figure::Rate);
        assert!(md.contains("| ws-server / best peer |"), "{md}");
        assert!(
            md.contains("| 16 B | 200 (0.0) | 100 (0.0) | 50 (0.0) | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        assert!(
            md.contains("| 1 KiB | 100 (0.1) | 50 (0.1) | failed | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        assert!(
            md.contains("| 1 MiB |") && md.contains("0.33 (fastwebsockets)"),
            "{md}"
        );
        assert!(!md.contains("64 KiB"), "{md}");
        let mut md = String::new();
        size_table(&mut md, &names, &points, &cells, |_| true, Figure::PerCpu);
        assert!(
            md.contains("| 16 B | 400 | 200 | 100 | 2.00 (tokio-tungstenite) |"),
            "{md}"
        );
        let mut md = String::new();
        size_table(
            &mut md,
            &names,
            &points,
            &cells,
            |_| true,
            Figure::Generator,
        );
        assert!(md.contains("| 16 B | 0.50 | 0.50 | 0.50 |"), "{md}");
        assert!(!md.contains("best peer"), "{md}");
        let mut md = String::new();
        size_table(
            &mut md,
            &names,
            &points,
            &cells,
            |_| true,
            Figure::Compressed,
        );
        assert!(md.contains("| 16 B | 25% | 25% | 25% |"), "{md}");
    }

    #[test]
    fn client_tables_compare_with_the_best_other_client_and_mark_what_cannot_run() {
        let points = grid(&[DEEP], "text", true, |_, _| false);
        let names = ["ws-client", "tokio-tungstenite", "yawc"];
        let cells = vec![vec![cell(300.0); 4], vec![None; 4], vec![cell(100.0); 4]];
        let mut md = String::new();
        size_table(&mut md, &names, &points, &cells, |_| true, Figure::Rate);
        assert!(md.contains("| ws-client / best client |"), "{md}");
        assert!(
            md.contains("| 16 B | 300 (0.0) | — | 100 (0.0) | 3.00 (yawc) |"),
            "{md}"
        );
    }

    #[test]
    fn client_pairs_name_the_other_client_and_the_deflate_cells() {
        let mut points = grid(&[DEEP], BINARY, false, |_, _| false);
        points.extend(grid(&[DEEP], "text", true, |_, _| false));
        let names = ["ws-client", "tokio-tungstenite", "yawc"];
        let mut paired = vec![None; points.len()];
        // 1 KiB without deflate: behind in msgs/s in every pair, level per CPU-second.
        paired[1] = Some(PairedCell {
            peer: 1,
            ratios: vec![
                (0.95, 1.0),
                (0.97, 1.1),
                (0.96, 0.9),
                (0.94, 1.0),
                (0.98, 1.05),
                (0.93, 0.95),
            ],
        });
        // 1 KiB with deflate: ahead in every pair.
        paired[5] = Some(PairedCell {
            peer: 2,
            ratios: vec![(1.5, 1.5); 6],
        });
        let results = Clients {
            server: "ws-server --compression-level 1",
            cells: vec![vec![cell(10.0); points.len()]; 3],
            points,
            paired,
        };
        let mut md = String::new();
        clients(&mut md, &names, &results, "5 s");
        assert!(
            md.contains("### Client pairs against ws-server --compression-level 1"),
            "{md}"
        );
        let deep = DEEP.name;
        assert!(
            md.contains(&format!(
                "| {deep} | 1 KiB | tokio-tungstenite | 6 | 0.955 | 0.930 to 0.980 | behind \
                 | 1.000 | 0.900 to 1.100 | not separated |"
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "| {deep}, deflate | 1 KiB | yawc | 6 | 1.500 | 1.500 to 1.500 | ahead |"
            )),
            "{md}"
        );
        assert_eq!(
            md.matches(&format!("| {deep}")).count(),
            2,
            "the paired cells only: {md}"
        );
    }

    #[test]
    fn the_plain_section_pairs_latency_against_every_peer() {
        let points = grid(&SHAPES, BINARY, false, |_, _| false);
        let names = ["ws-server", "tokio-tungstenite", "fastwebsockets"];
        let ours: Vec<Pair> = (0..6).map(|i| Ok((10.0 + i as f64, 20.0))).collect();
        // fastwebsockets: 1 us slower at p50 in every run; at p99 faster in two runs
        // of six, slower in four.
        let fast: Vec<Pair> = (0..6)
            .map(|i| Ok((11.0 + i as f64, if i < 2 { 19.0 } else { 21.0 })))
            .collect();
        // tokio-tungstenite lost a run: five pairs, too few for an interval.
        let mut tt = ours.clone();
        tt[3] = Err("lost".into());
        let mut paired = vec![None; points.len()];
        // The first cell: ws-server ahead in six pairs of six against
        // fastwebsockets in msgs/s; per CPU-second one pair below 1.
        paired[0] = Some(PairedCell {
            peer: 2,
            ratios: vec![
                (1.10, 1.2),
                (1.05, 1.1),
                (1.20, 0.9),
                (1.08, 1.1),
                (1.12, 1.3),
                (1.02, 1.0),
            ],
        });
        let plain = Plain {
            cells: vec![vec![cell(10.0); points.len()]; 3],
            points,
            latency: vec![ours, tt, fast],
            paired,
        };
        let mut md = String::new();
        super::plain(&mut md, &names, &plain, "5 s", "2 s each");
        assert!(
            md.contains("100 connections x 8 messages in flight (5 s)"),
            "{md}"
        );
        assert!(md.contains("4 connections x 64 messages in flight"), "{md}");
        assert!(md.contains("| ws-server | 12.5 | 20.0 |"), "{md}");
        assert!(
            md.contains("median of 6 interleaved runs per server, 2 s each"),
            "{md}"
        );
        assert!(
            md.contains(
                "| tokio-tungstenite | +0.0 | - | 0 of 5 | too few runs | +0.0 | - | 0 of 5 \
                 | too few runs |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| fastwebsockets | -1.0 | -1.0 to -1.0 | 6 of 6 | lower | -1.0 | -1.0 to \
                 +1.0 | 4 of 6 | not separated |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| 100 x 8 | 16 B | fastwebsockets | 6 | 1.090 | 1.020 to 1.200 | ahead | 1.100 \
                 | 0.900 to 1.300 | not separated |"
            ),
            "{md}"
        );
        assert_eq!(
            md.matches("| 100 x 8 | ").count(),
            1,
            "only the paired cell: {md}"
        );
    }

    #[test]
    fn memory_compares_with_the_lowest_peer_per_column() {
        let ok = |a: f64, b: f64, c: f64| -> Memory { Ok([a, b, c]) };
        let rows = [
            MemoryRow {
                name: "ws-server",
                plain: ok(3000.0, 4000.0, 4000.0),
                deflate: Some(ok(30_000.0, 40_000.0, 5_000.0)),
            },
            MemoryRow {
                name: "fastwebsockets",
                plain: ok(6000.0, 8000.0, 8000.0),
                deflate: None,
            },
            MemoryRow {
                name: "yawc",
                plain: ok(12_000.0, 2000.0, 1000.0),
                deflate: Some(Err("x".into())),
            },
            MemoryRow {
                name: "sockudo-ws",
                plain: ok(9000.0, 9000.0, 9000.0),
                deflate: Some(ok(300_000.0, 20_000.0, 20_000.0)),
            },
        ];
        let mut md = String::new();
        memory(&mut md, &rows, 100, 10);
        assert!(
            md.contains("| ws-server | 3,000 | 4,000 | 4,000 | 30,000 | 40,000 | 5,000 |"),
            "{md}"
        );
        assert!(
            md.contains("| fastwebsockets | 6,000 | 8,000 | 8,000 | — | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("| yawc | 12,000 | 2,000 | 1,000 | failed | failed | failed |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| ws-server / lowest peer | 0.50 (fastwebsockets) | 2.00 (yawc) | 4.00 (yawc) \
                 | 0.10 (sockudo-ws) | 2.00 (sockudo-ws) | 0.25 (sockudo-ws) |"
            ),
            "{md}"
        );
        assert!(md.contains("+3 s"), "{md}");
    }
}
