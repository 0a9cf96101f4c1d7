//! The `ws-server` binary: prints its address, echoes on `/echo` and
//! `/echo-partial`, serves its index page, takes `--config`, and exits 0 with 1001
//! to its sessions on SIGTERM.

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::command::{first_line, help_text, stderr_of_failure};
use common::*;
use ws_server::Message;
use ws_session::{CloseCode, SessionConfig};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port; returns it and the address it printed.
fn spawn(extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(["--addr", "127.0.0.1:0", "--threads", "1"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    (Running(child), line.trim_end().to_owned())
}

/// [`spawn`] for a plain `ws://` server: the binary and the address it listens on.
fn spawn_plain(extra: &[&str]) -> (Running, SocketAddr) {
    let (child, line) = spawn(extra);
    let addr = line
        .strip_prefix("listening on ws://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not a ws:// address: {line:?}"));
    (child, addr)
}

#[tokio::test]
async fn binary_prints_its_address_echoes_and_shuts_down_on_sigterm() {
    let (mut child, addr) = spawn_plain(&[]);
    assert_ne!(addr.port(), 0);

    let mut whole = connect(addr, "/echo").await;
    whole.send("hi").await;
    assert_eq!(whole.recv().await, Message::Text("hi".into()));
    whole.send(vec![1u8, 2, 3]).await;
    assert_eq!(whole.recv().await, Message::Binary(vec![1u8, 2, 3].into()));

    let big = SessionConfig::default().with_binary_buffer_size(1 << 20);
    let mut partial = connect_with(addr, "/echo-partial", |r| r, big)
        .await
        .unwrap();
    let blob = vec![9u8; 50_000];
    partial.send(blob.clone()).await;
    assert_eq!(partial.recv().await, Message::Binary(blob.into()));

    let get = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let (head, mut tcp) = raw(addr, &get).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let page = String::from_utf8(read_to_end(&mut tcp).await).unwrap();
    assert!(page.contains("/echo-partial"));

    // SIGTERM: every session gets 1001, the process exits 0.
    let pid = child.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    for c in [&mut whole, &mut partial] {
        let info = c.closed().await;
        assert_eq!(info.code, CloseCode::GOING_AWAY);
    }
    let status = guard(tokio::task::spawn_blocking(move || child.0.wait()))
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn binary_config_file_raises_the_echo_limit() {
    let path =
        std::env::temp_dir().join(format!("ws-server-bin-{}.properties", std::process::id()));
    let text = format!(
        "{p}textBufferSize=16777216\n{p}binaryBufferSize=16777216\n",
        p = ws_config::PREFIX
    );
    std::fs::write(&path, text).unwrap();
    let (_child, addr) = spawn_plain(&["--config", path.to_str().unwrap(), "--no-deflate"]);
    let _ = std::fs::remove_file(&path);
    let big = SessionConfig::default().with_binary_buffer_size(16 << 20);
    let mut c = connect_with(addr, "/echo", |r| r, big).await.unwrap();
    let blob: Vec<u8> = (0..(2 << 20)).map(|i: u32| i as u8).collect();
    c.send(blob.clone()).await;
    assert_eq!(c.recv().await, Message::Binary(blob.into()));
}

/// `--client-window-bits` is the window asked of a browser-like offer
/// (`client_max_window_bits` without a value): 12 by default, the given bits
/// otherwise, nothing at 15 (the client may then use its full window).
#[tokio::test]
async fn client_window_bits_sets_the_window_asked_of_clients() {
    use ws_handshake::{ClientMaxWindowBits, DeflateOffer};
    for (flag, asked) in [(None, Some(12)), (Some("10"), Some(10)), (Some("15"), None)] {
        let args: Vec<&str> = flag.map_or(vec![], |bits| vec!["--client-window-bits", bits]);
        let (_child, addr) = spawn_plain(&args);
        let browser = |r: ws_handshake::ClientRequest| {
            r.deflate(DeflateOffer {
                client_max_window_bits: Some(ClientMaxWindowBits::Supported),
                ..DeflateOffer::default()
            })
        };
        let mut c = connect_with(addr, "/echo", browser, SessionConfig::default())
            .await
            .unwrap();
        let params = c.established.deflate.expect("deflate negotiated");
        assert_eq!(params.client_max_window_bits, asked, "{flag:?}");
        let text = "{\"a\":1,\"b\":[1,2,3]} ".repeat(20);
        c.send(text.as_str()).await;
        assert_eq!(c.recv().await, Message::Text(text), "{flag:?}");
    }
}

/// `--compression-level` is the level the server compresses at: one compressible
/// text message goes out plain (as it is, RSV1 clear) at 0, compressed at 1, and
/// smaller again at the default 6.
#[tokio::test]
async fn compression_level_sets_how_hard_the_server_compresses() {
    // JSON-like records that deflate can shrink but not to nothing.
    let text: String = (0..160u32)
        .map(|i| format!("{{\"id\":{i},\"score\":{}}},", i * 7919 % 1000))
        .collect();
    let mut sizes = Vec::new();
    for level in [Some("0"), Some("1"), None] {
        let args: Vec<&str> = level.map_or(vec![], |l| vec!["--compression-level", l]);
        let (_child, addr) = spawn_plain(&args);
        let offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        let (head, mut tcp) = raw(addr, &upgrade_request(addr, "/echo", offer)).await;
        assert!(head.contains("permessage-deflate"), "{level:?}: {head}");
        // Sent uncompressed (RSV1 clear), which a compressing client may always do.
        tcp.write_all(&wire::client_frame(0x81, text.as_bytes()))
            .await
            .unwrap();
        tcp.write_all(&wire::client_frame(0x88, &wire::close_payload(1000, "")))
            .await
            .unwrap();
        let frames = guard(wire::frames_until_close(&mut tcp)).await;
        let echo = &frames[0];
        let first = if level == Some("0") { 0x81 } else { 0xc1 };
        assert_eq!(
            echo.first, first,
            "{level:?}: one text frame, RSV1 if compressed"
        );
        sizes.push(echo.payload.len());
    }
    let [plain, fast, default] = sizes[..] else {
        unreachable!()
    };
    assert_eq!(
        plain,
        text.len(),
        "level 0 sends the text as it is: {sizes:?}"
    );
    assert!(fast < text.len(), "level 1 compresses: {sizes:?}");
    assert!(default < fast, "level 6 compresses more than 1: {sizes:?}");
}

/// Opens `n` connections that offer permessage-deflate and have one message of
/// `text` echoed on each (sent plain; the server compresses the echo, so each holds
/// a compressor until it has been idle for a second). All are open before the first
/// message goes, so that no compressor of the wave is released before the last is
/// taken. Returns them open.
async fn compressing_connections(addr: SocketAddr, n: usize, text: &[u8]) -> Vec<TcpStream> {
    let offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        let (head, tcp) = raw(addr, &upgrade_request(addr, "/echo", offer)).await;
        assert!(head.contains("permessage-deflate"), "{head}");
        open.push(tcp);
    }
    let frame = wire::client_frame(0x81, text);
    for tcp in &mut open {
        tcp.write_all(&frame).await.unwrap();
    }
    for tcp in &mut open {
        let mut got = Vec::new();
        while wire::parse(&got).0.is_empty() {
            let mut chunk = [0u8; 4096];
            let read = guard(tcp.read(&mut chunk)).await.unwrap();
            assert_ne!(read, 0, "the server closed before echoing");
            got.extend_from_slice(&chunk[..read]);
        }
        assert_eq!(wire::parse(&got).0[0].first, 0xc1, "a compressed echo");
    }
    open
}

#[tokio::test]
async fn idle_compressing_connections_give_their_heap_back() {
    // The case glibc leaves resident on its own: after the first compressor freed
    // (unmapped), glibc's mmap threshold rises past a compressor's size and the next
    // ones come from the heap, where freeing them leaves holes between the blocks
    // other connections keep. The binary's heap trimmer (heap_trim.rs) gives the
    // pages of those holes back. Measured: the second wave took 84 MiB (about 287
    // KiB a connection); two seconds after it went idle the server held 3 MiB more
    // than before it, and without the trimmer all 84 MiB still 9 s later.
    let (child, addr) = spawn_plain(&[]);
    let pid = child.0.id();
    let text: Vec<u8> = (0..40u32)
        .flat_map(|i| format!("{{\"id\":{i},\"score\":{}}},", i * 7919 % 1000).into_bytes())
        .collect();
    let first = compressing_connections(addr, 100, &text).await;
    // Idle for longer than `release_after_idle` (1 s): the first wave's compressors
    // are freed and unmapped.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = process::rss_of(pid);
    let second = compressing_connections(addr, SECOND_WAVE, &text).await;
    let busy = process::rss_of(pid);
    let held = busy.saturating_sub(before);
    assert!(
        held > SECOND_WAVE as u64 * (200 << 10),
        "the second wave should hold a compressor each: {held} bytes"
    );
    // Released after 1 s idle, trimmed at the trimmer's next look (once a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    let bound = before + SECOND_WAVE as u64 * (64 << 10);
    let mut now = process::rss_of(pid);
    while now > bound && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        now = process::rss_of(pid);
    }
    assert!(
        now <= bound,
        "idle compressing connections still hold {} bytes each (busy: {})",
        now.saturating_sub(before) / SECOND_WAVE as u64,
        held / SECOND_WAVE as u64,
    );
    drop((first, second));
}

#[tokio::test]
async fn a_single_threaded_server_runs_on_one_thread() {
    // `--threads 1` is one thread, trimmer and all, until a trim is due. A second
    // thread would make glibc route every system call of the process through its
    // cancellation-point wrappers, for good: 150 instructions more per echo
    // (heap_trim.rs, "Why a task").
    let (child, addr) = spawn_plain(&[]);
    let pid = child.0.id();
    let mut whole = connect(addr, "/echo").await;
    whole.send("hi").await;
    assert_eq!(whole.recv().await, Message::Text("hi".into()));
    let text = br#"{"id":1,"score":42},{"id":2,"score":7}"#;
    let compressing = compressing_connections(addr, 10, text).await;
    // Past the trimmer's first looks (once a second) and the compressors' release.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        process::threads_of(pid),
        1,
        "threads of a --threads 1 server"
    );
    drop((whole, compressing));
}

/// Connections in the heap-trim test's second wave.
const SECOND_WAVE: usize = 300;

fn run_binary(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_goes_to_stdout_with_exit_0_and_documents_every_flag() {
    let help = help_text(&run_binary(&["--help"]));
    for flag in [
        "--addr <HOST:PORT>",
        "[default: 127.0.0.1:8080]",
        "--config <FILE>",
        "--threads <N>",
        "--tls-cert <PEM>",
        "--tls-key <PEM>",
        "--no-deflate",
        "--client-window-bits <BITS>",
        "[default: 12]",
        "--compression-level <LEVEL>",
        "[default: 6]",
        "--allow-any-origin",
        "--no-heap-trim",
        "--broker <URL>",
        "--version",
        "Exit status:",
    ] {
        assert!(help.contains(flag), "{flag:?} missing from --help:\n{help}");
    }
    // -h is the short form: one line per flag.
    let short = run_binary(&["-h"]);
    assert_eq!(short.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&short.stdout).contains("--addr"));
}

#[test]
fn version_is_printed() {
    let out = run_binary(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("ws-server ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_one_error_style() {
    for args in [
        &["--bogus"][..],
        &["--threads", "0"],
        &["--threads", "many"],
        &["--tls-cert", "cert.pem"],
        &["--addr"],
        &["--config", "/nonexistent/ws-server.properties"],
        &["--broker", "http://127.0.0.1:6379"],
        &["--client-window-bits", "7"],
        &["--client-window-bits", "16"],
        &["--compression-level", "10"],
        &["--compression-level", "fast"],
    ] {
        let out = run_binary(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn flag_equals_value_form_is_accepted() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(["--addr=127.0.0.1:0", "--threads=1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    let child = Running(child);
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("listening on ws://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    let mut c = connect(addr, "/echo").await;
    c.send("eq").await;
    assert_eq!(c.recv().await, Message::Text("eq".into()));
    drop(child);
}

#[tokio::test]
async fn address_in_use_is_a_runtime_failure_exit_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_binary(&["--addr", &addr, "--threads", "1"]);
    let err = stderr_of_failure(&out, 1);
    assert!(err.lines().any(|l| l.starts_with("error: ")), "{err}");
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(["--addr", "127.0.0.1:0", "--threads", "1"])
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    assert!(line.starts_with("listening on "), "{line:?}");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("signal received"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape codes in a log written to a pipe:\n{log:?}"
    );
}

#[test]
fn a_short_key_name_in_the_config_file_is_refused_naming_the_full_key() {
    let path =
        std::env::temp_dir().join(format!("ws-server-short-{}.properties", std::process::id()));
    std::fs::write(&path, "textBufferSize=16777216\n").unwrap();
    let out = run_binary(&["--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let err = stderr_of_failure(&out, 2);
    assert!(
        err.contains(&format!("write {}textBufferSize", ws_config::PREFIX)),
        "{err}"
    );
}

#[test]
fn a_misspelt_ws_server_key_is_refused_with_the_right_one() {
    let path =
        std::env::temp_dir().join(format!("ws-server-typo-{}.properties", std::process::id()));
    std::fs::write(
        &path,
        "# the broker\nws-server.brokr=redis://127.0.0.1:6379\n",
    )
    .unwrap();
    let out = run_binary(&["--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let err = stderr_of_failure(&out, 2);
    assert!(
        err.starts_with("error: unknown key ws-server.brokr"),
        "{err}"
    );
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("did you mean ws-server.broker?"), "{err}");
}
