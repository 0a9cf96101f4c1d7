//! Interop with an independent implementation: the Python `websockets` echo server,
//! installed by `scripts/python-peers.sh` into `target/peers/venv`.

#[allow(dead_code)] // the helpers this test does not use
#[path = "../../ws-server/tests/common/command.rs"]
mod command;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use command::first_line;
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use ws_client::{
    connect, Bytes, ClientConfig, CloseCode, Message, MessageKind, Proxy, SessionConfig,
};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The venv's python, installing the peer if needed; fails loudly without python3.
fn peer_python() -> PathBuf {
    let root = workspace();
    let script = root.join("scripts/python-peers.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed (python3 with venv is required: apt-get install -y python3 python3-venv):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[tokio::test]
async fn python_websockets_echo() {
    let python = tokio::task::spawn_blocking(peer_python).await.unwrap();
    let mut server = Command::new(python)
        .arg(workspace().join("scripts/python_echo_server.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let port = first_line(&mut server);
    let port: u16 = port.trim().parse().expect("the server prints its port");

    let cfg = ClientConfig::default()
        .with_proxy(Proxy::none())
        .with_protocol("chat")
        .with_session(
            SessionConfig::default()
                .with_text_buffer_size(16 << 20)
                .with_binary_buffer_size(16 << 20),
        );
    let mut ws = connect(&format!("ws://127.0.0.1:{port}/"), &cfg)
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    assert!(ws.deflate().is_some(), "permessage-deflate negotiated");

    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let messages = [
        Message::Text("hello, websockets".into()),
        Message::Binary(Bytes::from_static(&[0, 255, 1, 254])),
        Message::Text("ünïcødé ✓ ".repeat(10_000)),
        Message::Binary(Bytes::from(big)),
    ];
    for m in &messages {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(&ws.next().await.unwrap().unwrap(), m);
    }
    let mut writer = ws.send_writer(MessageKind::Text);
    writer.write_all(b"frag").await.unwrap();
    writer.write_all(b"ments").await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("fragments".into())
    );

    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    let info = ws.close_info().unwrap();
    assert_eq!(info.code, CloseCode::NORMAL);

    drop(server.stdin.take());
    let _ = server.kill();
    let _ = server.wait();
}
