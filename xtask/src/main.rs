//! Project automation, run as `cargo xtask <command>`.
//!
//! * `cargo xtask test` — every check CI runs, in order, stopping at the first failure:
//!   formatting, clippy (warnings denied), the brokers the topic tests need
//!   (`scripts/brokers.sh install`), the whole test suite (unit, integration,
//!   property, fuzz-seed replay, doc tests and the tidy checks in `src/tidy.rs`), the
//!   `no_std` build of `ws-frame`, rustdoc with warnings denied, and the packaging
//!   check below.
//! * `cargo xtask package` — the publishable crates' manifest fields, then `cargo
//!   package` of all of them, verified (see `src/package.rs`).
//! * `cargo xtask bench [ARGS]` — the criterion benchmarks of the `benches` crate,
//!   which measure this project and its peers in the same run, then a ratio table of
//!   the run. `ARGS` go to `cargo bench` (e.g. `--bench frame unmask -- --quick`).
//! * `cargo xtask bench-report` — the tables of the latest saved criterion results.
//! * `cargo xtask fuzz TARGET [SECONDS]` — a nightly `cargo fuzz` run of one target.
//! * `cargo xtask loadtest [--quick] [--threads 1|2] [--clients] [--only SECTIONS]
//!   [--pairs N]` —
//!   `ws-server` against the tokio-tungstenite, fastwebsockets, tokio-websockets,
//!   sockudo-ws and yawc echo servers under `ws-loadgen` (two load shapes, deflate off
//!   and on, latency, memory per connection), and `ws-client` against their clients;
//!   pinned to separate cores; prints a markdown report (see `src/loadtest/mod.rs`).
//! * `cargo xtask loadtest --fanout [--quick]` — the fan-out table: one publisher,
//!   1,000 and 10,000 subscribers, our topics against tokio-tungstenite + broadcast and
//!   sockudo-ws's pub/sub, and two nodes through Redis and NATS (see `src/fanout.rs`).
//! * `cargo xtask interop` — our server and client against Python `websockets`, Node
//!   `ws` and headless Chromium; prints a peer x feature matrix (see `src/interop.rs`).
//! * `cargo xtask conformance [--cases LIST] [--jobs N]` — `ws-conformance`, our suite
//!   in the style of the Autobahn TestSuite, as client against `ws-server`'s `/echo`
//!   and as server against `ws-client --echo` (limits raised to 64 MiB, deflate on);
//!   prints verdict counts per section and role and every case that is not OK,
//!   writes `target/conformance/report.md` and `report.json`, and fails on any
//!   FAILED or NON-STRICT case (see `src/conformance.rs`).
//! * `cargo xtask soak [--minutes N | --seconds N] [--lanes N] [--seed N]` — the
//!   release `ws-server` soaked by `ws-soak` (5 minutes, 200 connections at a time
//!   by default): every echo checked, the server's RSS and fds at start and end
//!   (see `src/soak.rs`).
//! * `cargo xtask h2bench [--seconds S]` — HTTP/2 against TCP on `ws-server`, memory
//!   per idle WebSocket on one HTTP/2 connection, ws-axum against axum's own `ws`
//!   (see `src/h2bench.rs`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench_report;
mod conformance;
mod fanout;
mod h2bench;
mod interop;
mod loadtest;
mod package;
mod process;
mod soak;
#[cfg(test)]
mod tidy;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("bench-report") => bench_report::print(&root().join("target/criterion"), None),
        Some("fuzz") => fuzz(&args[1..]),
        // The fan-out table (src/fanout.rs) or the echo load test.
        Some("loadtest") if args[1..].iter().any(|a| a == "--fanout") => {
            let rest: Vec<String> = args[1..]
                .iter()
                .filter(|a| *a != "--fanout")
                .cloned()
                .collect();
            fanout::run(&rest)
        }
        Some("loadtest") => loadtest::run(&args[1..]),
        Some("interop") => interop::run(&args[1..]),
        Some("conformance") => conformance::run(&args[1..]),
        Some("package") => package::check(),
        Some("soak") => soak::run(&args[1..]),
        Some("h2bench") => h2bench::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <test | bench [ARGS] | bench-report | fuzz TARGET [SECONDS] | loadtest [--quick] [--threads 1|2] [--clients] [--pairs N] [--fanout] | interop | conformance [--cases LIST] [--jobs N] | package | soak [--minutes N | --seconds N] [--lanes N] [--seed N] | h2bench [--seconds S]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The project root (the parent of this crate's folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs one step, echoing it and failing with its name if it fails.
fn step(name: &str, mut cmd: Command) -> Result<(), String> {
    eprintln!("\n==> {name}");
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    if !status.success() {
        return Err(format!("step failed: {name} ({status})"));
    }
    eprintln!("==> {name}: ok in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn test() -> Result<(), String> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    step("cargo fmt --check", fmt)?;

    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    step("cargo clippy -D warnings", clippy)?;

    // The topic tests run real brokers (ws-server/tests/brokers.rs): the project's
    // script installs Debian's redis-server and nats-server when missing (a no-op
    // when present); the tests start their own on free ports.
    let mut brokers = Command::new("bash");
    brokers
        .arg(root().join("scripts/brokers.sh"))
        .arg("install");
    step("scripts/brokers.sh install", brokers)?;

    let mut tests = cargo();
    tests.args(["test", "--workspace"]);
    step("cargo test --workspace", tests)?;

    let mut no_std = cargo();
    no_std.args([
        "build",
        "--release",
        "--manifest-path",
        "ws-frame/no-std-check/Cargo.toml",
    ]);
    // A separate target dir: the check crate has its own workspace and profile.
    no_std.env("CARGO_TARGET_DIR", root().join("target/no-std-check"));
    step("ws-frame no_std build", no_std)?;

    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    step("cargo doc -D warnings", doc)?;

    package::check()?;

    eprintln!("\nxtask test: all steps passed");
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    let started = std::time::SystemTime::now();
    let mut bench = cargo();
    // Arguments go to `cargo bench` as given: a bench target (`--bench frame`), a
    // filter, and after `--` criterion's own options.
    bench.args(["bench", "--package", "ws-benches"]).args(args);
    step("cargo bench", bench)?;
    println!("\nResults of this run (medians; `time / ours` above 1 means slower than ours):\n");
    bench_report::print(&root().join("target/criterion"), Some(started))
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let target = args
        .first()
        .ok_or("usage: cargo xtask fuzz TARGET [SECONDS]")?;
    let seconds = args.get(1).map(String::as_str).unwrap_or("60");
    let mut fuzz = Command::new("cargo");
    fuzz.current_dir(root().join("fuzz")).args([
        "+nightly",
        "fuzz",
        "run",
        target,
        "--",
        &format!("-max_total_time={seconds}"),
    ]);
    step(&format!("cargo fuzz run {target}"), fuzz)
        .map_err(|e| format!("{e}\n(needs `cargo install cargo-fuzz` and the nightly toolchain)"))
}
