//! The `work` section: what one echo costs each server and each client, in counts
//! that the machine's noise does not move.
//!
//! On a shared machine, ten alternating pairs resolve a throughput ratio to a tenth
//! or a fifth. These counts are exact, or nearly, and they say why a cell reads as it
//! does: how much each side does in user space, how often it enters the kernel, and
//! how much of its time the kernel takes.
//!
//! Per server (deflate off) at [`SERVER_POINTS`], and per client (against ws-server
//! at full speed) at [`CLIENT_POINTS`]:
//! * **User-space instructions per echo.** The measured side runs under valgrind's
//!   callgrind twice, once with a short and once with a long window (`--warmup 0`).
//!   The difference of the two totals over the difference of the echoes leaves out
//!   everything both runs share: start-up, handshakes, closing and shutdown. Under
//!   callgrind the measured side runs some fifty times slower, so it sets the pace
//!   and its reads find as much as the window holds: the regime of a cell it bounds.
//!   One echo at a time (1 x 1) is the same work at any speed: the round trip's.
//! * **System calls per echo**, at full speed: perf's `raw_syscalls:sys_enter`
//!   tracepoint counted on the measured process (`perf stat`; counting, not
//!   sampling).
//! * **The kernel's share of the measured process' CPU time** over the same window
//!   (a server's from `/proc/PID/stat`, a client's from `perf stat`).
//!
//! The tools come from `scripts/profilers.sh install` (Debian's `valgrind` and
//! `linux-perf`), which the section runs first.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use super::measure::Ctx;
use super::procs::{self, number, run_json, ClientSpec, Running, Spec};

/// A load to count the work of: connections, messages in flight, message size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkPoint {
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub in_flight: usize,
    /// Bytes per (binary) message.
    pub size: usize,
}

impl WorkPoint {
    const fn new(connections: usize, in_flight: usize, size: usize) -> WorkPoint {
        WorkPoint {
            connections,
            in_flight,
            size,
        }
    }

    fn load_args(&self) -> Vec<String> {
        vec![
            "--connections".into(),
            self.connections.to_string(),
            "--in-flight".into(),
            self.in_flight.to_string(),
            "--size".into(),
            self.size.to_string(),
            "--kind".into(),
            "binary".into(),
        ]
    }
}

/// The servers' points: one echo at a time (the round trip's work) and the load
/// test's two shapes at 16 B and 1 KiB, where the per-message work shows.
///
/// 64 KiB and 1 MiB are left out: there the work is copying and masking, and
/// callgrind counts each iteration of a `rep`-prefixed string instruction (glibc's
/// `memcpy` and `memset` from a few KiB up, on this machine from 4 KiB) as one
/// instruction, so a copy made that way counts a byte as an instruction while a
/// vector loop counts 32 bytes as one. The counts would rank copy routines, not
/// work.
pub const SERVER_POINTS: [WorkPoint; 5] = [
    WorkPoint::new(1, 1, 16),
    WorkPoint::new(100, 8, 16),
    WorkPoint::new(100, 8, 1024),
    WorkPoint::new(4, 64, 16),
    WorkPoint::new(4, 64, 1024),
];

/// The clients' points: the deep shape at 16 B and 1 KiB, the sizes where the
/// client should lead.
pub const CLIENT_POINTS: [WorkPoint; 2] = [WorkPoint::new(4, 64, 16), WorkPoint::new(4, 64, 1024)];

/// Windows of a work run, seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Windows {
    /// The short callgrind window.
    pub short: f64,
    /// The long callgrind window.
    pub long: f64,
    /// The full-speed run's warm-up before the counted window.
    pub warmup: f64,
    /// The counted window of the full-speed run.
    pub counted: f64,
}

impl Windows {
    /// A full run's windows.
    pub const FULL: Windows = Windows {
        short: 1.0,
        long: 4.0,
        warmup: 1.0,
        counted: 2.0,
    };
    /// `--quick`'s: enough to show that the section works.
    pub const QUICK: Windows = Windows {
        short: 0.5,
        long: 1.5,
        warmup: 0.3,
        counted: 1.0,
    };
}

/// What one echo cost the measured process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    /// User-space instructions per echo (callgrind, differenced).
    pub instructions: f64,
    /// System calls per echo, at full speed.
    pub syscalls: f64,
    /// The kernel's share of the process' CPU time at full speed, 0 to 1.
    pub kernel_share: f64,
}

/// One contestant's costs, one per point (an error says why a cell is missing).
pub type CostRow = Vec<Result<Cost, String>>;

/// Installs (when missing) and checks valgrind and perf.
pub fn prepare() -> Result<(), String> {
    let script = crate::root().join("scripts/profilers.sh");
    let mut install = Command::new("bash");
    install.arg(&script).arg("install");
    crate::step(
        "install the profilers (scripts/profilers.sh install)",
        install,
    )?;
    for (tool, args) in [
        ("valgrind", &["--version"][..]),
        ("perf", &["--version"][..]),
    ] {
        let ok = Command::new(tool)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return Err(format!(
                "`{tool}` does not run; the work section needs it: scripts/profilers.sh install"
            ));
        }
    }
    Ok(())
}

/// Every server's costs at every point of `points`.
pub fn servers(
    ctx: &Ctx<'_>,
    specs: &[Spec],
    points: &[WorkPoint],
    windows: Windows,
) -> Vec<CostRow> {
    specs
        .iter()
        .map(|spec| {
            each_point(spec.name, points, |point| {
                server_cost(ctx, spec, point, windows)
            })
        })
        .collect()
}

/// `measure` at every point for the contestant `name`, each cell announced and a
/// failed one's reason printed.
fn each_point(
    name: &str,
    points: &[WorkPoint],
    mut measure: impl FnMut(&WorkPoint) -> Result<Cost, String>,
) -> CostRow {
    points
        .iter()
        .map(|point| {
            eprintln!("==> work: {name} at {}", describe(point));
            let cost = measure(point);
            if let Err(e) = &cost {
                eprintln!("    {e}");
            }
            cost
        })
        .collect()
}

/// Every client's costs at every point of `points`, against `server` (deflate off)
/// at full speed on the measured cores.
pub fn clients(
    ctx: &Ctx<'_>,
    server: &Spec,
    clients: &[ClientSpec],
    points: &[WorkPoint],
    windows: Windows,
) -> Result<Vec<CostRow>, String> {
    let running = procs::start(server, false, ctx.pinning, ctx.out_dir, false)?;
    let rows = clients
        .iter()
        .map(|client| {
            each_point(client.name, points, |point| {
                client_cost(ctx, client, &running.url, point, windows)
            })
        })
        .collect();
    running.stop()?;
    Ok(rows)
}

/// `4 x 64, 1 KiB`.
pub fn describe(point: &WorkPoint) -> String {
    format!(
        "{} x {}, {}",
        point.connections,
        point.in_flight,
        super::render::size_name(point.size)
    )
}

/// One server's cost at `point`: two callgrind runs, then one at full speed.
fn server_cost(
    ctx: &Ctx<'_>,
    spec: &Spec,
    point: &WorkPoint,
    windows: Windows,
) -> Result<Cost, String> {
    let short = server_under_callgrind(ctx, spec, point, windows.short)?;
    let long = server_under_callgrind(ctx, spec, point, windows.long)?;
    let instructions = per_echo_difference(short, long)?;
    let running = procs::start(spec, false, ctx.pinning, ctx.out_dir, false)?;
    let counted = server_at_full_speed(ctx, &running, point, windows);
    running.stop()?;
    let (syscalls, kernel_share) = counted?;
    Ok(Cost {
        instructions,
        syscalls,
        kernel_share,
    })
}

/// The server under callgrind for one `ws-loadgen` window of `seconds`: (its total
/// user-space instructions, the echoes the generator counted).
fn server_under_callgrind(
    ctx: &Ctx<'_>,
    spec: &Spec,
    point: &WorkPoint,
    seconds: f64,
) -> Result<(u64, u64), String> {
    let out = callgrind_file(ctx.out_dir, "server", spec.name, point, seconds);
    let _ = std::fs::remove_file(&out);
    let mut wrapper = vec![VALGRIND.to_string()];
    wrapper.extend(callgrind_args(&out));
    let running = procs::start_under(&wrapper, spec, false, ctx.pinning, ctx.out_dir, false)?;
    let mut args = loadgen_args(&running, point, ctx.pinning.threads);
    args.extend(["--warmup".into(), "0".into()]);
    args.extend(["--duration".into(), seconds.to_string()]);
    let result = run_json(ctx.pinning.generator_cpus(), ctx.loadgen, &args);
    // A peer may die of SIGTERM rather than exit 0; callgrind writes its file either way.
    let _ = running.stop();
    let echoes = number(&result?, "messages")? as u64;
    Ok((callgrind_total(&out)?, echoes))
}

/// The server at full speed for a `ws-loadgen` run, with its system calls and CPU
/// time counted over a window inside the run: (system calls per echo, kernel share).
fn server_at_full_speed(
    ctx: &Ctx<'_>,
    server: &Running,
    point: &WorkPoint,
    windows: Windows,
) -> Result<(f64, f64), String> {
    let pid = server.pid();
    // The count starts a little after the warm-up and ends before the run does.
    let lead = Duration::from_secs_f64(windows.warmup + 0.3);
    let counted = windows.counted;
    let counter = thread::spawn(move || {
        thread::sleep(lead);
        let before = cpu_ticks(pid)?;
        let report = count_syscalls_of(pid, counted)?;
        let after = cpu_ticks(pid)?;
        Ok::<_, String>((report, before, after))
    });
    let mut args = loadgen_args(server, point, ctx.pinning.threads);
    args.extend(["--warmup".into(), windows.warmup.to_string()]);
    args.extend(["--duration".into(), (counted + 0.6).to_string()]);
    let result = run_json(ctx.pinning.generator_cpus(), ctx.loadgen, &args);
    let (report, before, after) = counter
        .join()
        .map_err(|_| "the system-call counter panicked".to_string())??;
    // The generator's rate is steady over its window, which holds the counted one.
    let echoes = number(&result?, "msgs_per_sec")? * report.elapsed;
    if echoes < 1.0 {
        return Err("no echoes in the counted window".into());
    }
    Ok((
        report.syscalls as f64 / echoes,
        kernel_share(before, after)?,
    ))
}

/// One client's cost at `point` against the server at `url`.
fn client_cost(
    ctx: &Ctx<'_>,
    client: &ClientSpec,
    url: &str,
    point: &WorkPoint,
    windows: Windows,
) -> Result<Cost, String> {
    let mut args = vec!["--url".to_string(), url.to_string()];
    args.extend(point.load_args());
    args.extend(["--threads".into(), ctx.pinning.threads.to_string()]);
    args.extend(["--warmup".into(), "0".into()]);
    let under_callgrind = |seconds: f64| -> Result<(u64, u64), String> {
        let out = callgrind_file(ctx.out_dir, "client", client.name, point, seconds);
        let _ = std::fs::remove_file(&out);
        let mut full = callgrind_args(&out);
        full.push(client.binary.display().to_string());
        full.extend(args.iter().cloned());
        full.extend(["--duration".into(), seconds.to_string()]);
        let v = run_json(ctx.pinning.generator_cpus(), Path::new(VALGRIND), &full)?;
        Ok((callgrind_total(&out)?, number(&v, "messages")? as u64))
    };
    let instructions = per_echo_difference(
        under_callgrind(windows.short)?,
        under_callgrind(windows.long)?,
    )?;
    // At full speed, under `perf stat` (it runs the client, so it also reports the
    // client's user and system time).
    let stat = ctx.out_dir.join(format!(
        "perf-client-{}-{}.txt",
        file_safe(client.name),
        tag(point)
    ));
    let mut full: Vec<String> = [
        "stat",
        "-e",
        "raw_syscalls:sys_enter",
        "-o",
        &stat.display().to_string(),
        "--",
    ]
    .map(String::from)
    .to_vec();
    full.push(client.binary.display().to_string());
    full.extend(args.iter().cloned());
    full.extend(["--duration".into(), windows.counted.to_string()]);
    let v = run_json(ctx.pinning.generator_cpus(), Path::new("perf"), &full)?;
    let text = std::fs::read_to_string(&stat).map_err(|e| format!("{}: {e}", stat.display()))?;
    let report = PerfReport::parse(&text)?;
    let echoes = number(&v, "messages")?;
    let (Some(user), Some(sys)) = (report.user, report.sys) else {
        return Err(format!(
            "perf stat's report lacks the client's times: {text}"
        ));
    };
    if echoes < 1.0 || user + sys <= 0.0 {
        return Err("the client echoed nothing".into());
    }
    Ok(Cost {
        instructions,
        syscalls: report.syscalls as f64 / echoes,
        kernel_share: sys / (user + sys),
    })
}

/// `ws-loadgen throughput` with `threads` against `server` at `point`, windows left
/// to the caller.
fn loadgen_args(server: &Running, point: &WorkPoint, threads: usize) -> Vec<String> {
    let mut args = vec![
        "throughput".to_string(),
        "--url".into(),
        server.url.clone(),
        "--label".into(),
        server.name.into(),
        "--threads".into(),
        threads.to_string(),
        "--json".into(),
    ];
    args.extend(point.load_args());
    args
}

/// The program that runs callgrind.
const VALGRIND: &str = "valgrind";

/// valgrind's arguments for callgrind writing to `out`, quiet.
fn callgrind_args(out: &Path) -> Vec<String> {
    vec![
        "--tool=callgrind".into(),
        "--quiet".into(),
        format!("--callgrind-out-file={}", out.display()),
    ]
}

/// Where a callgrind run writes: `role` (`server` or `client`) keeps apart a peer's
/// server and client, which share its name.
fn callgrind_file(
    out_dir: &Path,
    role: &str,
    name: &str,
    point: &WorkPoint,
    seconds: f64,
) -> PathBuf {
    out_dir.join(format!(
        "callgrind-{role}-{}-{}-{seconds}s.out",
        file_safe(name),
        tag(point)
    ))
}

fn tag(point: &WorkPoint) -> String {
    format!("{}x{}-{}", point.connections, point.in_flight, point.size)
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The instructions per echo between two runs of different lengths: what the longer
/// run did more, over the echoes it did more.
fn per_echo_difference(short: (u64, u64), long: (u64, u64)) -> Result<f64, String> {
    let (instructions, echoes) = (
        long.0.checked_sub(short.0),
        long.1.checked_sub(short.1).filter(|&e| e > 0),
    );
    match (instructions, echoes) {
        (Some(i), Some(e)) => Ok(i as f64 / e as f64),
        _ => Err(format!(
            "the longer callgrind run did not do more: {short:?} then {long:?} (instructions, echoes)"
        )),
    }
}

/// The total instructions of a callgrind output file (its `totals:` line, or the
/// `summary:` line of older versions).
fn callgrind_total(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_callgrind_total(&text).ok_or_else(|| format!("{}: no totals line", path.display()))
}

fn parse_callgrind_total(text: &str) -> Option<u64> {
    let line = text
        .lines()
        .find(|l| l.starts_with("totals:"))
        .or_else(|| text.lines().find(|l| l.starts_with("summary:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `perf stat -e raw_syscalls:sys_enter -p PID -- sleep SECONDS`: the system calls
/// `pid` made in that window, and the window's length.
fn count_syscalls_of(pid: u32, seconds: f64) -> Result<PerfReport, String> {
    let out = Command::new("perf")
        .args(["stat", "-e", "raw_syscalls:sys_enter", "-p"])
        .arg(pid.to_string())
        .args(["--", "sleep", &seconds.to_string()])
        .output()
        .map_err(|e| format!("perf: {e}"))?;
    PerfReport::parse(&String::from_utf8_lossy(&out.stderr))
}

/// What `perf stat -e raw_syscalls:sys_enter` reports.
#[derive(Debug, PartialEq)]
struct PerfReport {
    /// System calls counted.
    syscalls: u64,
    /// Seconds counted.
    elapsed: f64,
    /// User and system CPU seconds, when perf ran the command itself (not with `-p`).
    user: Option<f64>,
    sys: Option<f64>,
}

impl PerfReport {
    /// Parses perf's human-readable report: the event line and the `seconds time
    /// elapsed`, `seconds user` and `seconds sys` lines.
    fn parse(text: &str) -> Result<PerfReport, String> {
        let (mut syscalls, mut elapsed, mut user, mut sys) = (None, None, None, None);
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(first), Some(second)) = (words.next(), words.next()) else {
                continue;
            };
            match second {
                "raw_syscalls:sys_enter" => syscalls = first.replace(',', "").parse().ok(),
                "seconds" => match words.next() {
                    Some("time") => elapsed = first.parse().ok(),
                    Some("user") => user = first.parse().ok(),
                    Some("sys") => sys = first.parse().ok(),
                    _ => {}
                },
                _ => {}
            }
        }
        match (syscalls, elapsed) {
            (Some(syscalls), Some(elapsed)) if elapsed > 0.0 => Ok(PerfReport {
                syscalls,
                elapsed,
                user,
                sys,
            }),
            _ => Err(format!(
                "perf stat's report lacks a count or a time: {text}"
            )),
        }
    }
}

/// (user, system) CPU time of `pid` so far, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> Result<(u64, u64), String> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_cpu_ticks(&text).ok_or_else(|| format!("{path}: unexpected format"))
}

/// utime and stime: fields 14 and 15, counted after the command name, which is in
/// parentheses and may hold spaces.
fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// The system part of the CPU time between two readings.
fn kernel_share(before: (u64, u64), after: (u64, u64)) -> Result<f64, String> {
    let user = after.0.saturating_sub(before.0);
    let sys = after.1.saturating_sub(before.1);
    if user + sys == 0 {
        return Err("the server used no CPU time in the counted window".into());
    }
    Ok(sys as f64 / (user + sys) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_of_two_runs_leaves_out_what_both_share() {
        // 5 M of start-up and shutdown in both, 3,000 per echo.
        let short = (5_000_000 + 3_000 * 1_000, 1_000);
        let long = (5_000_000 + 3_000 * 4_000, 4_000);
        assert_eq!(per_echo_difference(short, long), Ok(3_000.0));
        assert!(per_echo_difference(long, short).is_err());
        assert!(
            per_echo_difference((1, 5), (2, 5)).is_err(),
            "no more echoes"
        );
    }

    #[test]
    fn callgrind_totals_are_read_from_either_line() {
        let new = "events: Ir\nfn=main\n1 5\ntotals: 123456\n";
        assert_eq!(parse_callgrind_total(new), Some(123_456));
        let old = "events: Ir\nsummary: 987\n";
        assert_eq!(parse_callgrind_total(old), Some(987));
        assert_eq!(parse_callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn perf_reports_give_the_count_the_window_and_the_times() {
        let human =
            "# started on Sun Dec  6 22:19:24 2026\n\n\n Performance counter stats for 'ls':\n\n\
                     \x20          1,144      raw_syscalls:sys_enter\n\n\
                     \x20      0.003050232 seconds time elapsed\n\n\
                     \x20      0.250000000 seconds user\n\
                     \x20      0.750000000 seconds sys\n";
        assert_eq!(
            PerfReport::parse(human),
            Ok(PerfReport {
                syscalls: 1_144,
                elapsed: 0.003050232,
                user: Some(0.25),
                sys: Some(0.75)
            })
        );
        let attached = " Performance counter stats for process id '4242':\n\n\
                        \x20          91,011      raw_syscalls:sys_enter\n\n\
                        \x20      2.001234000 seconds time elapsed\n";
        let report = PerfReport::parse(attached).unwrap();
        assert_eq!(
            (report.syscalls, report.elapsed, report.user),
            (91_011, 2.001234, None)
        );
        assert!(PerfReport::parse("<not counted> raw_syscalls:sys_enter").is_err());
        assert!(PerfReport::parse("nothing here").is_err());
    }

    #[test]
    fn cpu_ticks_skip_a_command_name_with_spaces() {
        let stat = "4242 (ws server) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some((1234, 567)));
        assert_eq!(kernel_share((1000, 100), (1100, 400)), Ok(0.75));
        assert!(kernel_share((5, 5), (5, 5)).is_err());
    }

    #[test]
    fn the_points_name_their_load() {
        assert_eq!(describe(&SERVER_POINTS[0]), "1 x 1, 16 B");
        assert_eq!(describe(&CLIENT_POINTS[1]), "4 x 64, 1 KiB");
        assert_eq!(tag(&SERVER_POINTS[4]), "4x64-1024");
        assert_eq!(file_safe("ws-server --x 1"), "ws-server---x-1");
    }
}
