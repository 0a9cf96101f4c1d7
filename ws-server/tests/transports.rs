//! Transports and scale: TLS echo, the Stream/Sink API over in-memory and TCP
//! streams (cancellation-safe), and thousands of concurrent connections.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_handshake::{Limits, ServerConfig, ServerHandshake};
use ws_server::{accept, AcceptConfig, Message, Server, TlsConfig, WebSocket};
use ws_session::{CloseCode, SessionConfig};

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("ws-server-test-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn tls_echo_with_pem_files() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_file = temp_file("cert.pem", &generated.cert.pem());
    let key_file = temp_file("key.pem", &generated.signing_key.serialize_pem());
    let tls = TlsConfig::from_pem_files(&cert_file, &key_file).unwrap();
    let _ = (
        std::fs::remove_file(cert_file),
        std::fs::remove_file(key_file),
    );
    assert!(matches!(
        TlsConfig::from_pem(b"not pem", b"nor this"),
        Err(ws_server::TlsError { .. })
    ));

    let server = Server::builder().tls(tls).build();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;

    let config = common::trust::trusting(generated.cert.der().clone());
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls_stream = guard(connector.connect(name, tcp)).await.unwrap();
    let uri = format!("wss://localhost:{}/echo", addr.port());
    let mut c = handshake(tls_stream, &uri, with_deflate, SessionConfig::default())
        .await
        .unwrap();
    c.send("over tls").await;
    assert_eq!(c.recv().await, Message::Text("over tls".into()));
    let blob = vec![42u8; 8000];
    c.send(blob.clone()).await;
    assert_eq!(c.recv().await, Message::Binary(blob.into()));
    c.close(CloseCode::NORMAL).await;
    assert_eq!(c.closed().await.code, CloseCode::NORMAL);

    // A plain-text client on the TLS port gets nowhere (and the server survives).
    let (head, _) = raw(addr, &upgrade_request(addr, "/echo", "")).await;
    assert!(!head.contains("101"));
}

/// Echoes with the Stream/Sink API while cancelling `next()` again and again.
async fn cancelling_echo<S>(mut ws: WebSocket<S>) -> WebSocket<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(m)) => ws.send(m).await.unwrap(),
                Some(Err(e)) => panic!("{e}"),
                None => return ws,
            },
            // Drops the pending next() future: nothing may be lost.
            _ = tokio::time::sleep(Duration::from_micros(50)) => {}
        }
    }
}

#[tokio::test]
async fn stream_sink_over_duplex_is_cancellation_safe() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let server = tokio::spawn(async move {
        let mut config = AcceptConfig::default();
        config.session = SessionConfig::default().with_binary_buffer_size(1 << 20);
        let ws = accept(server_io, config).await.unwrap();
        assert_eq!(ws.path(), "/dup");
        assert_eq!(ws.query(), Some("a=b"));
        let ws = cancelling_echo(ws).await;
        ws.close_info().cloned()
    });
    let mut c = handshake(
        client_io,
        "ws://localhost/dup?a=b",
        |r| r,
        SessionConfig::default().with_binary_buffer_size(1 << 20),
    )
    .await
    .unwrap();
    for i in 0..100 {
        let text = format!("message {i} {}", "z".repeat(i * 37));
        // Byte by byte for some, so reads end mid-frame.
        if i % 10 == 0 {
            c.session
                .send_text(std::time::Instant::now(), &text)
                .unwrap();
            let mut wire = Vec::new();
            c.session.transmit_into(&mut wire);
            for b in wire {
                c.stream.write_all(&[b]).await.unwrap();
            }
        } else {
            c.send(text.as_str()).await;
        }
        assert_eq!(c.recv().await, Message::Text(text));
    }
    // Large frames: their payload is read straight into the message buffer (direct
    // reads through session loans), still with `next()` cancelled all along.
    for i in 0..3u32 {
        let blob: Vec<u8> = (0..150_000u32).map(|j| (j * 31 + i) as u8).collect();
        c.send(blob.clone()).await;
        assert_eq!(c.recv().await, Message::Binary(blob.into()));
    }
    c.close(CloseCode::NORMAL).await;
    assert_eq!(c.closed().await.code, CloseCode::NORMAL);
    let info = guard(server).await.unwrap().expect("close info");
    assert_eq!(info.code, CloseCode::NORMAL);
}

#[tokio::test]
async fn stream_errors_and_from_upgraded() {
    // A protocol error is yielded once, then the stream ends.
    let (mut client_io, server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut ws = accept(server_io, AcceptConfig::default()).await.unwrap();
        let first = ws.next().await;
        let second = ws.next().await;
        (format!("{first:?}"), second.is_none())
    });
    let req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
               Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    client_io.write_all(req.as_bytes()).await.unwrap();
    client_io.write_all(&[0x81, 0x01, b'x']).await.unwrap(); // unmasked
    let (first, ended) = guard(server).await.unwrap();
    assert!(first.contains("UnmaskedFrame"), "{first}");
    assert!(ended);
    let mut out = vec![0u8; 512];
    let n = client_io.read(&mut out).await.unwrap();
    assert!(String::from_utf8_lossy(&out[..n]).starts_with("HTTP/1.1 101"));

    // Upgraded by "another HTTP stack": our handshake crate by hand.
    let (client_io, mut server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut hs = ServerHandshake::new(Limits::default());
        let mut buf = vec![0u8; 4096];
        let upgrade = loop {
            let n = server_io.read(&mut buf).await.unwrap();
            if let Some(u) = hs.handle_input(&buf[..n]).unwrap() {
                break u;
            }
        };
        let accepted = upgrade.accept(&ServerConfig::default());
        server_io.write_all(&accepted.response()).await.unwrap();
        let ws = WebSocket::from_upgraded(server_io, &accepted, SessionConfig::default());
        cancelling_echo(ws).await;
    });
    let mut c = handshake(
        client_io,
        "ws://h/x",
        with_deflate,
        SessionConfig::default(),
    )
    .await
    .unwrap();
    assert!(c.established.deflate.is_some());
    c.send(vec![1u8, 2, 3]).await;
    assert_eq!(c.recv().await, Message::Binary(vec![1u8, 2, 3].into()));
    c.close(CloseCode::NORMAL).await;
    c.closed().await;
    guard(server).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_connections_each_echo() {
    const N: usize = 2000;
    let server = Server::builder().deflate(false).build();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;
    // At most 100 connecting at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(100));
    // A watch channel, not a Notify: a task that reaches its wait after the release
    // still sees it (Notify::notify_waiters wakes only tasks already waiting).
    let (release_tx, release) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for i in 0..N {
        let (limit, mut release) = (limit.clone(), release.clone());
        tasks.push(tokio::spawn(async move {
            let mut c =
                {
                    let _permit = limit.acquire().await.unwrap();
                    let t0 = std::time::Instant::now();
                    let mut c =
                        match tokio::time::timeout(Duration::from_secs(5), connect(addr, "/echo"))
                            .await
                        {
                            Ok(c) => c,
                            Err(_) => panic!("connection {i}: handshake not done in 5 s"),
                        };
                    let t1 = t0.elapsed();
                    let text = format!("hello from {i}");
                    c.send(text.as_str()).await;
                    match tokio::time::timeout(Duration::from_secs(5), c.recv()).await {
                        Ok(m) => assert_eq!(m, Message::Text(text)),
                        Err(_) => panic!("connection {i}: no echo in 5 s (handshake took {t1:?})"),
                    }
                    c
                };
            let released = release.wait_for(|go| *go).await.map(|_| ()).ok();
            (c.session.is_closed(), released, c.flush().await)
        }));
    }
    let waited = tokio::time::timeout(GUARD, async {
        while server.open_sessions().len() < N {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "only {} of {N} sessions open ({} connections)",
        server.open_sessions().len(),
        server.connections()
    );
    assert_eq!(server.open_sessions().len(), N);
    release_tx.send(true).unwrap();
    for t in tasks {
        let (closed, released, ()) = guard(t).await.unwrap();
        assert!(!closed);
        assert_eq!(released, Some(()));
    }
}
