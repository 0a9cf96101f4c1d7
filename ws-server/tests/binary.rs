//! The `ws-server` binary: prints its address, echoes on `/echo` and
//! `/echo-partial`, serves its index page, takes `--config`, and exits 0 with 1001
//! to its sessions on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

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
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Running(child), line.trim_end().to_owned())
}

#[tokio::test]
async fn binary_prints_its_address_echoes_and_shuts_down_on_sigterm() {
    let (mut child, line) = spawn(&[]);
    let addr: SocketAddr = line
        .strip_prefix("listening on ws://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
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
    let (_child, line) = spawn(&["--config", path.to_str().unwrap(), "--no-deflate"]);
    let _ = std::fs::remove_file(&path);
    let addr: SocketAddr = line
        .strip_prefix("listening on ws://")
        .unwrap()
        .parse()
        .unwrap();
    let big = SessionConfig::default().with_binary_buffer_size(16 << 20);
    let mut c = connect_with(addr, "/echo", |r| r, big).await.unwrap();
    let blob: Vec<u8> = (0..(2 << 20)).map(|i: u32| i as u8).collect();
    c.send(blob.clone()).await;
    assert_eq!(c.recv().await, Message::Binary(blob.into()));
}

#[test]
fn binary_rejects_unknown_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
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
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
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
