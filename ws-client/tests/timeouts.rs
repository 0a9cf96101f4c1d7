//! IO_TIMEOUT_MS on each connection step: every timeout names its step.

mod support;

use std::time::Duration;

use support::{config, listener, silent_server};
use tokio::net::TcpSocket;
use ws_client::{connect, ClientConfig, ConnectError, Proxy, Step};

fn short() -> ClientConfig {
    let cfg = config();
    let settings = cfg
        .settings
        .clone()
        .with_io_timeout(Duration::from_millis(300));
    cfg.with_settings(settings)
}

fn assert_timeout(err: ConnectError, want: Step) {
    match err {
        ConnectError::Timeout { step, after } => {
            assert_eq!(step, want);
            assert_eq!(after, Duration::from_millis(300));
        }
        other => panic!("expected a {want:?} timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn read_response_times_out() {
    let addr = silent_server().await;
    let err = connect(&format!("ws://{addr}/"), &short())
        .await
        .unwrap_err();
    assert_timeout(err, Step::ReadResponse);
}

#[tokio::test]
async fn tls_handshake_times_out() {
    // The server reads the ClientHello and stalls.
    let addr = silent_server().await;
    let err = connect(&format!("wss://localhost:{}/", addr.port()), &short())
        .await
        .unwrap_err();
    assert_timeout(err, Step::TlsHandshake);
}

#[tokio::test]
async fn proxy_connect_times_out() {
    let proxy = silent_server().await;
    let cfg = short().with_proxy(Proxy::http(proxy.to_string()));
    let err = connect("ws://target.invalid/", &cfg).await.unwrap_err();
    assert_timeout(err, Step::ProxyConnect);
}

#[tokio::test]
async fn write_request_times_out() {
    // A request far larger than the socket buffers, to a server that never reads.
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let cfg = short().with_header("X-Padding", "p".repeat(48 << 20));
    let err = connect(&format!("ws://{addr}/"), &cfg).await.unwrap_err();
    assert_timeout(err, Step::WriteRequest);
}

#[tokio::test]
async fn tcp_connect_times_out() {
    // A listener that never accepts, its backlog filled: further SYNs go unanswered.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let l = socket.listen(0).unwrap();
    let addr = l.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let err = connect(&format!("ws://{addr}/"), &short())
        .await
        .unwrap_err();
    assert_timeout(err, Step::Connect);
    drop(l);
}
