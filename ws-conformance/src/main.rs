//! `ws-conformance`: the conformance suite's command line.
//!
//! ```text
//! ws-conformance client ws://HOST:PORT/PATH [OPTIONS]
//! ws-conformance server --client-cmd "CMD ... {url} ..." [OPTIONS]
//! ws-conformance report ROLE.json... [--markdown FILE] [--json FILE]
//! ws-conformance list [--cases LIST]
//! ```
//!
//! Options of `client` and `server`: `--cases LIST` (comma-separated ids or prefixes:
//! `2,6.4,9.3.1`), `--jobs N` (cases at once, default 6), `--json FILE` (results),
//! `--http2` (each WebSocket an RFC 8441 extended CONNECT on an HTTP/2 stream, prior
//! knowledge; as server, the client command must speak it too), `--require-deflate`
//! (a deflate case the peer declines is FAILED, not
//! INFORMATIONAL).
//!
//! Exit status: 0 when no case is FAILED or NON-STRICT; 1 when some are; 2 for a
//! usage error.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ws_conformance::cases;
use ws_conformance::report::{self, RoleReport};
use ws_conformance::runner::{self, CaseResult, Settings, Target};

const USAGE: &str = "usage:
  ws-conformance client ws://HOST:PORT/PATH [--cases LIST] [--jobs N] [--json FILE] [--require-deflate] [--http2]
  ws-conformance server --client-cmd \"CMD ... {url} ...\" [--cases LIST] [--jobs N] [--json FILE] [--require-deflate] [--http2]
  ws-conformance report ROLE.json... [--markdown FILE] [--json FILE]
  ws-conformance list [--cases LIST]

exit status: 0 no case FAILED or NON-STRICT; 1 some are; 2 usage error";

/// Parsed options.
#[derive(Default)]
struct Options {
    positional: Vec<String>,
    cases: Vec<String>,
    jobs: Option<usize>,
    json: Option<String>,
    markdown: Option<String>,
    client_cmd: Option<String>,
    require_deflate: bool,
    http2: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--cases" => o.cases.extend(
                value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            "--jobs" => {
                o.jobs = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--jobs needs a number".to_owned())?,
                )
            }
            "--json" => o.json = Some(value()?),
            "--markdown" => o.markdown = Some(value()?),
            "--client-cmd" => o.client_cmd = Some(value()?),
            "--require-deflate" => o.require_deflate = true,
            "--http2" => o.http2 = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => o.positional.push(s.to_owned()),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("", &[][..]),
    };
    let options = match parse(rest) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let result = match command {
        "client" | "server" => run_role(command, options),
        "report" => merge(options),
        "list" => {
            for c in cases::select(cases::all(), &options.cases) {
                println!("{}\t{}", c.id, c.description);
            }
            Ok(true)
        }
        _ => return usage(""),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => usage(&e),
    }
}

fn usage(error: &str) -> ExitCode {
    if !error.is_empty() {
        eprintln!("ws-conformance: {error}");
    }
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Runs one role; `Ok(true)` when nothing is FAILED or NON-STRICT.
fn run_role(role: &str, o: Options) -> Result<bool, String> {
    let selected = cases::select(cases::all(), &o.cases);
    if selected.is_empty() {
        return Err(format!("no case matches {:?}", o.cases));
    }
    let settings = Settings {
        jobs: o.jobs.unwrap_or(Settings::default().jobs),
        require_deflate: o.require_deflate,
        http2: o.http2,
    };
    let total = selected.len();
    let done = Arc::new(AtomicUsize::new(0));
    let progress = move |r: &CaseResult| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if !r.outcome.is_ok() {
            eprintln!(
                "  {} {}: {}",
                r.id,
                r.outcome.verdict.label(),
                r.outcome.reason
            );
        }
        if n % 100 == 0 || n == total {
            eprintln!("  [{n}/{total} cases]");
        }
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (peer, results) = match role {
        "client" => {
            let [url] = o.positional.as_slice() else {
                return Err("client needs exactly one ws:// URL".into());
            };
            let target = Target::parse(url)?;
            eprintln!("ws-conformance: {total} cases as client against {url}");
            let results =
                runtime.block_on(runner::run_as_client(target, selected, &settings, progress));
            (url.clone(), results)
        }
        _ => {
            let line = o.client_cmd.ok_or("server needs --client-cmd")?;
            if !o.positional.is_empty() {
                return Err("server takes no positional argument".into());
            }
            let command = runner::split_command(&line)?;
            if !command.iter().any(|w| w.contains("{url}")) {
                return Err("--client-cmd must contain {url}".into());
            }
            eprintln!("ws-conformance: {total} cases as server against `{line}`");
            let results = runtime.block_on(runner::run_as_server(
                runner::Launcher::Command(command),
                selected,
                &settings,
                progress,
            ));
            (line, results)
        }
    };
    let report = RoleReport {
        role: if o.http2 {
            format!("{role} over HTTP/2")
        } else {
            role.to_owned()
        },
        peer,
        results,
    };
    println!("{}", report::table(&report));
    println!("{}", report::not_ok(&report));
    eprintln!(
        "ws-conformance: {} cases in {:.1} s",
        total,
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &o.json {
        write_json(path, &report.to_json())?;
    }
    Ok(!report.has_problems())
}

/// Merges role reports into one markdown report (and JSON), printed too.
fn merge(o: Options) -> Result<bool, String> {
    if o.positional.is_empty() {
        return Err("report needs at least one JSON file".into());
    }
    let mut reports = Vec::new();
    for path in &o.positional {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        reports.push(RoleReport::from_json(&value).map_err(|e| format!("{path}: {e}"))?);
    }
    let text = report::markdown(&reports);
    print!("{text}");
    if let Some(path) = &o.markdown {
        std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(path) = &o.json {
        let all: Vec<serde_json::Value> = reports.iter().map(RoleReport::to_json).collect();
        write_json(path, &serde_json::json!({ "roles": all }))?;
    }
    Ok(!reports.iter().any(RoleReport::has_problems))
}

fn write_json(path: &str, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))
}
