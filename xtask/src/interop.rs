//! `cargo xtask interop`: our server and client against independent WebSocket
//! implementations and a real browser.
//!
//! 1. `scripts/interop/setup.sh` installs the peers into `target/interop/` (a Python
//!    virtualenv with `websockets`, a Node project with `ws` and `playwright-core`,
//!    Debian's `chromium` if missing and running as root).
//! 2. The release `ws-server` and `ws-client` binaries are built.
//! 3. The demo server runs twice on loopback (`ws://`, and `wss://` with a
//!    self-signed certificate made by `openssl`), with text and binary buffers above
//!    16 MiB; twice more with `--compression-level 0` and `1` (Python's client
//!    checks their permessage-deflate echoes); and twice more sharing a Redis
//!    (`redis-server` on a free port, installed by `scripts/brokers.sh`) for the
//!    cross-server examples. The scripts of `scripts/interop/` run against them:
//!    Python and Node clients, Python and Node servers driving `ws-client --echo`,
//!    and Chromium through Playwright (chat and snake in two tabs on two servers,
//!    drawboard in two tabs; screenshots in `target/interop/`).
//! 4. HTTP/2 rows: Node's `http2` module as an RFC 8441 client of the `wss://` server
//!    (ALPN `h2`) and as a prior-knowledge server driving `ws-client --echo --http2`;
//!    Chromium loads a page over HTTP/2 and opens its WebSocket on that connection
//!    (the server's `/http-version` confirms an extended CONNECT).
//! 5. The ws-axum chat example (`examples/chat`) runs too: Python `websockets` and
//!    Chromium against it.
//! 6. Each script prints `RESULT<TAB>feature<TAB>PASS|FAIL<TAB>detail` lines; the
//!    matrix of peer x feature is printed, and any failure fails the command.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::process::{start_listening, Running};
use crate::{cargo, root, step};

/// Text and binary buffer sizes of the server and client under test: above the
/// 16 MiB messages of the matrix.
const BUFFER_SIZE: usize = 17 << 20;

/// A peer's results: feature -> (passed, detail), in the order reported.
type Results = Vec<(String, bool, String)>;

/// Runs the whole interop suite; `Err` if anything failed.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("interop takes no arguments (got {a})"));
    }
    let started = Instant::now();
    let root = root();
    let cache = root.join("target/interop");
    fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;

    let mut setup = Command::new("bash");
    setup.arg(root.join("scripts/interop/setup.sh")).arg(&cache);
    step("install interop peers (scripts/interop/setup.sh)", setup)?;

    let mut brokers = Command::new("bash");
    brokers.arg(root.join("scripts/brokers.sh")).arg("install");
    step("install the brokers (scripts/brokers.sh install)", brokers)?;

    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "ws-server",
        "-p",
        "ws-client",
        "--bins",
    ]);
    step("build release ws-server and ws-client", build)?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "ws-axum", "--example", "chat"]);
    step("build release ws-axum chat example", build)?;
    let release = root.join("target/release");

    let properties = cache.join("buffers.properties");
    fs::write(&properties, buffer_properties()).map_err(|e| e.to_string())?;
    let (cert, key) = make_certificate(&cache)?;

    eprintln!("\n==> start the demo server (ws:// and wss://)");
    let server_bin = release.join("ws-server");
    let config = properties.to_string_lossy().into_owned();
    let (_plain, ws_base) = start_server(&server_bin, &["--config", &config], &cache, "ws")?;
    let tls_args = [
        "--config",
        &config,
        "--tls-cert",
        cert.to_str().unwrap_or_default(),
        "--tls-key",
        key.to_str().unwrap_or_default(),
    ];
    let (_tls, wss_base) = start_server(&server_bin, &tls_args, &cache, "wss")?;
    eprintln!("    {ws_base} and {wss_base}");
    // The levels other than the default: at 0 the server sends its echoes plain
    // (and inflates Python's compressed messages), at 1 in zlib-rs's fixed-code
    // blocks, which Python's zlib inflates.
    let level = |n: &'static str| ["--config", &config, "--compression-level", n];
    let (_stored, level0_base) = start_server(&server_bin, &level("0"), &cache, "level-0")?;
    let (_fast, level1_base) = start_server(&server_bin, &level("1"), &cache, "level-1")?;
    eprintln!("    {level0_base} and {level1_base} (--compression-level 0 and 1)");
    let chat_bin = release.join("examples/chat");
    // The example reads Tomcat's system-property keys from the environment:
    // DEFAULT_BUFFER_SIZE raises its text and binary buffers like the demo's.
    let buffers = ws_config::keys::DEFAULT_BUFFER_SIZE
        .env_vars()
        .map(|[name, _]| (name, BUFFER_SIZE.to_string()));
    let (_axum, axum_base) = start_server_env(&chat_bin, &[], &cache, "axum", buffers)?;
    eprintln!("    axum example at {axum_base}");
    let (_redis, redis_url) = start_redis(&cache)?;
    let redis_args = ["--broker", redis_url.as_str()];
    let (_a, redis_a) = start_server(&server_bin, &redis_args, &cache, "redis-a")?;
    let (_b, redis_b) = start_server(&server_bin, &redis_args, &cache, "redis-b")?;
    eprintln!("    {redis_a} and {redis_b} through {redis_url}");
    let http = |base: &str| base.replacen("ws://", "http://", 1);
    let (redis_a, redis_b) = (http(&redis_a), http(&redis_b));

    let scripts = root.join("scripts/interop");
    let python = cache.join("venv/bin/python");
    let node_dir = cache.join("node");
    let client_bin = release.join("ws-client");
    let http_base = ws_base.replacen("ws://", "http://", 1);
    let https_base = wss_base.replacen("wss://", "https://", 1);
    let s = |p: &Path| p.to_string_lossy().into_owned();

    let buffer = BUFFER_SIZE.to_string();
    let peers: Vec<(&str, Command)> = vec![
        (
            "python client",
            script(&python, &scripts.join("py_client.py"), &[&ws_base, &buffer]),
        ),
        (
            "python client, level 0",
            script(
                &python,
                &scripts.join("py_client.py"),
                &[&level0_base, &buffer, "deflate-only"],
            ),
        ),
        (
            "python client, level 1",
            script(
                &python,
                &scripts.join("py_client.py"),
                &[&level1_base, &buffer, "deflate-only"],
            ),
        ),
        (
            "node client",
            node(
                &node_dir,
                &scripts.join("node_client.mjs"),
                &[&ws_base, &buffer],
            ),
        ),
        (
            "python server",
            script(
                &python,
                &scripts.join("py_server.py"),
                &[&s(&client_bin), &config, &buffer],
            ),
        ),
        (
            "node server",
            node(
                &node_dir,
                &scripts.join("node_server.mjs"),
                &[&s(&client_bin), &config, &buffer],
            ),
        ),
        (
            "node http2 client",
            node(
                &node_dir,
                &scripts.join("node_h2_client.mjs"),
                &[&https_base, &s(&cert)],
            ),
        ),
        (
            "node http2 server",
            node(
                &node_dir,
                &scripts.join("node_h2_server.mjs"),
                &[&s(&client_bin), &config],
            ),
        ),
        (
            "python axum",
            script(&python, &scripts.join("py_axum.py"), &[&axum_base]),
        ),
        (
            "chromium",
            node(
                &node_dir,
                &scripts.join("browser.mjs"),
                &[
                    &http_base,
                    &https_base,
                    &s(&cert),
                    &s(&cache),
                    &axum_base,
                    &redis_a,
                    &redis_b,
                ],
            ),
        ),
    ];

    let mut all: Vec<(&str, Results)> = Vec::new();
    for (peer, cmd) in peers {
        eprintln!("\n==> {peer}");
        all.push((peer, run_peer(cmd)));
    }

    let failures = print_matrix(&all);
    println!(
        "\ninterop: {:.0} s in all; screenshots in {}",
        started.elapsed().as_secs_f64(),
        cache.display()
    );
    if failures > 0 {
        return Err(format!("interop: {failures} check(s) failed"));
    }
    println!("interop: every check passed");
    Ok(())
}

/// The properties file raising the text and binary buffers (the key prefix is
/// assembled here so that its literal stays in `ws-config`).
fn buffer_properties() -> String {
    let prefix = ["org.apache", ".tomcat.websocket."].concat();
    format!("{prefix}textBufferSize={BUFFER_SIZE}\n{prefix}binaryBufferSize={BUFFER_SIZE}\n")
}

/// A fresh self-signed certificate for 127.0.0.1 (P-256), made with `openssl`.
fn make_certificate(cache: &Path) -> Result<(PathBuf, PathBuf), String> {
    let dir = cache.join("tls");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut openssl = Command::new("openssl");
    openssl
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    step("test certificate (openssl req -x509)", openssl)
        .map_err(|e| format!("{e}\n(openssl is needed: apt-get install -y openssl)"))?;
    Ok((cert, key))
}

/// Starts a server (the demo binary, or the axum example) on a free loopback port;
/// returns it and its base address (`ws://`, `wss://` or `http://`), read from its
/// first line. Its log goes to `cache/ws-server-NAME.log`.
fn start_server(
    bin: &Path,
    args: &[&str],
    cache: &Path,
    name: &str,
) -> Result<(Running, String), String> {
    start_server_env(bin, args, cache, name, None)
}

/// As [`start_server`], with one more environment variable.
fn start_server_env(
    bin: &Path,
    args: &[&str],
    cache: &Path,
    name: &str,
    env: Option<(String, String)>,
) -> Result<(Running, String), String> {
    let mut command = Command::new(bin);
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    command.args(["--addr", "127.0.0.1:0"]).args(args);
    let log = cache.join(format!("ws-server-{name}.log"));
    start_listening(command, &format!("ws-server ({name})"), &log)
}

/// Starts `redis-server` on a free loopback port (no persistence); returns it and
/// its URL once it accepts connections.
fn start_redis(cache: &Path) -> Result<(Running, String), String> {
    let binary = ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or("redis-server not found: install it with `scripts/brokers.sh install`")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let log = fs::File::create(cache.join("redis.log")).map_err(|e| e.to_string())?;
    let child = Command::new(binary)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server: {e}"))?;
    let running = Running(child);
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("redis-server did not accept connections within 20 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok((running, format!("redis://127.0.0.1:{port}")))
}

fn script(python: &Path, file: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(python);
    cmd.arg(file).args(args);
    cmd
}

fn node(node_dir: &Path, file: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("node");
    cmd.env("INTEROP_NODE", node_dir).arg(file).args(args);
    cmd
}

/// Runs one peer script, echoing its result lines; a script that fails without
/// reporting a failure (or reports nothing) counts as a failed check.
fn run_peer(mut cmd: Command) -> Results {
    let mut results = Results::new();
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            results.push(("(start)".into(), false, format!("could not start: {e}")));
            return results;
        }
    };
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let mut fields = line.splitn(4, '\t');
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some("RESULT"), Some(feature), Some(verdict), detail) => {
                    let ok = verdict == "PASS";
                    let detail = detail.unwrap_or_default().to_owned();
                    eprintln!("    {verdict} {feature}: {detail}");
                    results.push((feature.to_owned(), ok, detail));
                }
                _ => eprintln!("    | {line}"),
            }
        }
    }
    let status = child.wait();
    let clean = matches!(&status, Ok(s) if s.success());
    if results.is_empty() || (!clean && results.iter().all(|r| r.1)) {
        results.push((
            "(script)".into(),
            false,
            format!("exited with {status:?} and no failed check reported"),
        ));
    }
    results
}

/// Prints feature rows x peer columns; returns the number of failed checks.
fn print_matrix(all: &[(&str, Results)]) -> usize {
    let mut features: Vec<&str> = Vec::new();
    let mut cells: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    for (peer, results) in all {
        for (feature, ok, _) in results {
            if !features.contains(&feature.as_str()) {
                features.push(feature);
            }
            cells.insert((peer, feature), *ok);
        }
    }
    let width = features.iter().map(|f| f.len()).max().unwrap_or(7).max(7);
    println!("\n## Interop matrix (PASS / FAIL / - not applicable)\n");
    let mut header = format!("| {:width$} |", "feature");
    let mut rule = format!("|{}|", "-".repeat(width + 2));
    for (peer, _) in all {
        header.push_str(&format!(" {peer} |"));
        rule.push_str(&format!("{}|", "-".repeat(peer.len() + 2)));
    }
    println!("{header}\n{rule}");
    for feature in &features {
        let mut row = format!("| {feature:width$} |");
        for (peer, _) in all {
            let cell = match cells.get(&(*peer, *feature)) {
                Some(true) => "PASS",
                Some(false) => "FAIL",
                None => "-",
            };
            row.push_str(&format!(" {cell:w$} |", w = peer.len()));
        }
        println!("{row}");
    }
    let mut failures = 0;
    for (peer, results) in all {
        for (feature, ok, detail) in results {
            if !ok {
                failures += 1;
                println!("\nFAIL {peer} / {feature}: {detail}");
            }
        }
    }
    failures
}
