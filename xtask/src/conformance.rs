//! `cargo xtask conformance [--cases LIST] [--jobs N]`: our server and client against
//! `ws-conformance`, the project's own suite in the style of the Autobahn TestSuite.
//!
//! 1. The release binaries `ws-server`, `ws-client` and `ws-conformance` are built.
//! 2. `target/conformance/limits.properties` raises `textBufferSize` and
//!    `binaryBufferSize` to 64 MiB (the session's own message limit is 64 MiB by
//!    default; there is no key for it); the server and the client both read it.
//! 3. `ws-server` (permessage-deflate on, its default) runs on a free loopback port,
//!    its log in `target/conformance/ws-server.log`.
//! 4. The suite runs as client against the server's `/echo`, then as server against
//!    `ws-client --echo` (deflate offered, its default), every case of both roles,
//!    the deflate ones included (`--require-deflate`: a declined profile is FAILED).
//! 5. Both roles again over HTTP/2 (`--http2`: each WebSocket an RFC 8441 extended
//!    CONNECT stream, prior knowledge; the client command gets `--http2`).
//! 6. The results (`client-role.json`, `server-role.json`, and the `-h2` pair) are
//!    merged into
//!    `target/conformance/report.md` and `report.json`; the tables and every case
//!    that is not OK are printed.
//!
//! Fails when any case is FAILED or NON-STRICT. `--cases` selects cases by id or
//! prefix (`2,6.4`), `--jobs` sets how many run at once (default 6).

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::process::{start_listening, target_dir, Running};
use crate::{cargo, step};

/// The `/echo` limits of the server and the client under test.
const LIMIT: usize = 64 << 20;

/// Runs both roles; `Err` if a case is FAILED or NON-STRICT, or anything breaks.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut passthrough: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cases" | "--jobs" => {
                let v = it.next().ok_or(format!("{a} needs a value"))?;
                passthrough.extend([a.clone(), v.clone()]);
            }
            other => return Err(format!("conformance: unknown argument {other}")),
        }
    }
    let started = Instant::now();
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "ws-server",
        "-p",
        "ws-client",
        "-p",
        "ws-conformance",
        "--bins",
    ]);
    step(
        "build release ws-server, ws-client and ws-conformance",
        build,
    )?;
    let release = target_dir().join("release");
    let out = target_dir().join("conformance");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let limits = out.join("limits.properties");
    fs::write(&limits, limits_properties()).map_err(|e| format!("{}: {e}", limits.display()))?;

    eprintln!("\n==> start ws-server (limits {} MiB)", LIMIT >> 20);
    let (_server, base) = start_server(&release.join("ws-server"), &limits, &out)?;
    eprintln!("    {base}");

    let suite = release.join("ws-conformance");
    let client_json = out.join("client-role.json");
    let server_json = out.join("server-role.json");

    let mut client_role = Command::new(&suite);
    client_role
        .arg("client")
        .arg(format!("{base}/echo"))
        .arg("--require-deflate")
        .arg("--json")
        .arg(&client_json)
        .args(&passthrough);
    role(
        "suite as client against ws-server /echo",
        client_role,
        &out.join("client-role.txt"),
    )?;

    let client_cmd = format!(
        "{} --config {} --echo {{url}}",
        quoted(&release.join("ws-client")),
        quoted(&limits)
    );
    let mut server_role = Command::new(&suite);
    server_role
        .arg("server")
        .arg("--client-cmd")
        .arg(&client_cmd)
        .arg("--require-deflate")
        .arg("--json")
        .arg(&server_json)
        .args(&passthrough);
    role(
        "suite as server against ws-client --echo",
        server_role,
        &out.join("server-role.txt"),
    )?;
    // The same two roles over HTTP/2 (RFC 8441): every WebSocket an extended
    // CONNECT stream, prior knowledge on loopback.
    let client_h2_json = out.join("client-role-h2.json");
    let server_h2_json = out.join("server-role-h2.json");
    let mut client_role = Command::new(&suite);
    client_role
        .arg("client")
        .arg(format!("{base}/echo"))
        .args(["--http2", "--require-deflate", "--json"])
        .arg(&client_h2_json)
        .args(&passthrough);
    role(
        "suite as client against ws-server /echo over HTTP/2",
        client_role,
        &out.join("client-role-h2.txt"),
    )?;
    let client_cmd = format!(
        "{} --config {} --http2 --echo {{url}}",
        quoted(&release.join("ws-client")),
        quoted(&limits)
    );
    let mut server_role = Command::new(&suite);
    server_role
        .arg("server")
        .arg("--client-cmd")
        .arg(&client_cmd)
        .args(["--http2", "--require-deflate", "--json"])
        .arg(&server_h2_json)
        .args(&passthrough);
    role(
        "suite as server against ws-client --http2 --echo",
        server_role,
        &out.join("server-role-h2.txt"),
    )?;
    drop(_server);

    eprintln!("\n==> report");
    let report = out.join("report.md");
    let status = Command::new(&suite)
        .arg("report")
        .arg(&client_json)
        .arg(&server_json)
        .arg(&client_h2_json)
        .arg(&server_h2_json)
        .arg("--markdown")
        .arg(&report)
        .arg("--json")
        .arg(out.join("report.json"))
        .status()
        .map_err(|e| format!("{}: {e}", suite.display()))?;
    println!(
        "\nconformance: {:.0} s in all; report in {} (and report.json)",
        started.elapsed().as_secs_f64(),
        report.display()
    );
    match status.code() {
        Some(0) => {
            println!("conformance: every case OK or INFORMATIONAL");
            Ok(())
        }
        Some(1) => Err("conformance: some cases are FAILED or NON-STRICT (listed above)".into()),
        _ => Err(format!("conformance: the report step failed ({status})")),
    }
}

/// Runs one role; its table goes to `log`, its progress to the terminal. Exit
/// status 1 (cases not OK) is reported by the merged report, not here.
fn role(name: &str, mut cmd: Command, log: &Path) -> Result<(), String> {
    eprintln!("\n==> {name}");
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let started = Instant::now();
    let status = cmd
        .stdout(file)
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    match status.code() {
        Some(0 | 1) => {
            eprintln!(
                "==> {name}: done in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        _ => Err(format!(
            "{name}: failed to run ({status}); see {}",
            log.display()
        )),
    }
}

/// The properties raising the text and binary buffers of server and client (key
/// names from `ws-config`, the one place that spells them in full).
fn limits_properties() -> String {
    use ws_config::keys::{BINARY_BUFFER_SIZE, TEXT_BUFFER_SIZE};
    format!(
        "{}={LIMIT}\n{}={LIMIT}\n",
        TEXT_BUFFER_SIZE.name(),
        BINARY_BUFFER_SIZE.name()
    )
}

/// Starts `ws-server` on a free loopback port; returns it and its `ws://ADDR`.
fn start_server(bin: &Path, limits: &Path, out: &Path) -> Result<(Running, String), String> {
    let mut command = Command::new(bin);
    command
        .args(["--addr", "127.0.0.1:0", "--config"])
        .arg(limits);
    start_listening(command, "ws-server", &out.join("ws-server.log"))
}

/// A path in double quotes for the suite's `--client-cmd` word splitting.
fn quoted(path: &Path) -> String {
    format!("\"{}\"", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_use_the_full_key_names_and_64_mib() {
        let text = limits_properties();
        let props = ws_config::Properties::parse(&text, "conformance").unwrap();
        let config = ws_config::Sources::new()
            .properties(props)
            .resolve()
            .unwrap();
        assert_eq!(config.effective_text_buffer_size(), 64 << 20);
        assert_eq!(config.effective_binary_buffer_size(), 64 << 20);
    }
}
