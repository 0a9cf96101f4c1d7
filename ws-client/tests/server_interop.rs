//! The client against this project's server (`ws-server`), both client APIs, with
//! and without permessage-deflate.

mod support;

use std::sync::mpsc as std_mpsc;

use futures::{SinkExt, StreamExt};
use support::ServerEcho;
use ws_client::{
    connect, connect_endpoint, Bytes, ClientConfig, CloseCode, CloseInfo, Message, Proxy,
    SessionConfig, SessionHandle,
};

async fn server() -> std::net::SocketAddr {
    let big = ws_session::SessionConfig::default()
        .with_text_buffer_size(16 << 20)
        .with_binary_buffer_size(16 << 20);
    let server = ws_server::Server::builder().session_config(big).build();
    server.add_endpoint("/echo", ServerEcho).unwrap();
    let listener = ws_server::Server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve(listener));
    addr
}

fn config(deflate: bool) -> ClientConfig {
    ClientConfig::default()
        .with_proxy(Proxy::none())
        .with_deflate(deflate)
        .with_session(
            SessionConfig::default()
                .with_text_buffer_size(16 << 20)
                .with_binary_buffer_size(16 << 20),
        )
}

#[tokio::test]
async fn stream_sink_against_ws_server() {
    let addr = server().await;
    for deflate in [true, false] {
        let mut ws = connect(&format!("ws://{addr}/echo"), &config(deflate))
            .await
            .unwrap();
        assert_eq!(ws.deflate().is_some(), deflate);
        let messages = [
            Message::Text("hi".into()),
            Message::Binary(Bytes::from(vec![42u8; 1 << 20])),
            Message::Text("a".repeat(100_000)),
        ];
        for m in &messages {
            ws.feed(m.clone()).await.unwrap();
        }
        ws.flush().await.unwrap();
        for m in &messages {
            assert_eq!(&ws.next().await.unwrap().unwrap(), m);
        }
        ws.close().await.unwrap();
        assert!(ws.next().await.is_none());
        assert_eq!(ws.close_info().unwrap().code, CloseCode::NORMAL);
    }
}

struct Client {
    out: std_mpsc::Sender<String>,
}

impl ws_client::Endpoint for Client {
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        session.send_text("ping?").await.unwrap();
    }
    async fn on_message(&self, _: &mut Self::State, session: &SessionHandle, message: Message) {
        self.out.send(format!("{message:?}")).unwrap();
        session.close(CloseCode::NORMAL, "thanks").unwrap();
    }
    async fn on_close(&self, _: &mut Self::State, _: &SessionHandle, info: &CloseInfo) {
        self.out.send(format!("closed {}", info.code.0)).unwrap();
    }
}

#[tokio::test]
async fn endpoint_against_ws_server() {
    let addr = server().await;
    let (tx, rx) = std_mpsc::channel();
    connect_endpoint(
        &format!("ws://{addr}/echo"),
        &config(true),
        Client { out: tx },
    )
    .await
    .unwrap();
    let rx = tokio::task::spawn_blocking(move || {
        let a = rx.recv().unwrap();
        let b = rx.recv().unwrap();
        (a, b)
    });
    let (a, b) = rx.await.unwrap();
    assert_eq!(a, "Text(\"ping?\")");
    assert_eq!(b, "closed 1000");
}

#[tokio::test]
async fn unknown_path_is_rejected_with_its_status() {
    let addr = server().await;
    let err = connect(&format!("ws://{addr}/nope"), &config(true))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ws_client::ConnectError::Rejected { status: 404, .. }),
        "{err:?}"
    );
}
