//! An axum echo server at `/echo`, either with ws-axum (this stack) or with axum's
//! own `ws` module (tokio-tungstenite): the pair `cargo xtask h2bench` compares, on
//! the same axum version, router and runtime settings; no permessage-deflate on
//! either side (axum's module has none).
//!
//! ```text
//! axum_echo ours|axum [--addr HOST:PORT] [--threads N]
//! ```
//!
//! Prints `listening on ws://ADDR`. Both echo whole messages the idiomatic way:
//! receive one, send it back (the send flushes).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use axum::response::Response;
use axum::routing::any;
use axum::{Extension, Router};
use futures::{SinkExt, StreamExt};

/// Limits well above the largest measured message (1 MiB).
const MAX_MESSAGE: usize = 64 << 20;

async fn ours(ws: ws_axum::WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(message) = socket.next().await {
            match message {
                Ok(m) => {
                    if socket.send(m).await.is_err() {
                        return;
                    }
                }
                Err(_) => continue,
            }
        }
    })
}

async fn theirs(ws: axum::extract::ws::WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.next().await {
                use axum::extract::ws::Message;
                if matches!(message, Message::Text(_) | Message::Binary(_))
                    && socket.send(message).await.is_err()
                {
                    return;
                }
            }
        })
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let mut addr = "127.0.0.1:8080".to_owned();
    let mut threads = None;
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--addr", Some(v)) => addr = v,
            ("--threads", Some(v)) => threads = v.parse::<usize>().ok(),
            ("--no-deflate", _) => {}
            _ => {
                eprintln!("usage: axum_echo ours|axum [--addr HOST:PORT] [--threads N]");
                return ExitCode::from(2);
            }
        }
    }
    let app = match which.as_str() {
        "ours" => {
            let session = ws_session::SessionConfig::default()
                .with_text_buffer_size(MAX_MESSAGE)
                .with_binary_buffer_size(MAX_MESSAGE);
            let config = ws_axum::UpgradeConfig::default()
                .with_deflate(false)
                .with_session(session)
                .with_origin_policy(ws_axum::OriginPolicy::allow_any_origin());
            Router::new()
                .route("/echo", any(ours))
                .layer(Extension(config))
        }
        "axum" => Router::new().route("/echo", any(theirs)),
        _ => {
            eprintln!("axum_echo: first argument is `ours` or `axum`");
            return ExitCode::from(2);
        }
    };
    let mut runtime = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = runtime.enable_all().build().expect("runtime");
    let result: std::io::Result<()> = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on ws://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum_echo: {e}");
            ExitCode::FAILURE
        }
    }
}
