//! The example's application, apart from `main` so the tests run the very same
//! router over real sockets (`tests/chat.rs` includes this file).
//!
//! * `/`: the chat page (served by axum).
//! * `/chat`: the chat room, an [`Endpoint`] whose sessions share one
//!   [`SessionGroup`]: each text message goes to every member as `GuestN: text`;
//!   joins and departures are announced.
//! * `/echo`: an owned `WebSocket` echoing every message (interop peers).
//! * `/info`: sends one text message naming the HTTP version the WebSocket came
//!   over (`HTTP/1.1` or `HTTP/2`), then closes: proof of an extended CONNECT.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::response::{Html, Response};
use axum::routing::{any, get};
use axum::{Extension, Router};
use futures::{SinkExt, StreamExt};
use ws_axum::{
    CloseInfo, Endpoint, HttpVersion, Message, SessionGroup, SessionHandle, UpgradeConfig,
    WebSocketUpgrade,
};

/// The chat page.
const PAGE: &str = include_str!("chat.html");

/// The chat room: its members and the guest counter.
#[derive(Default)]
pub struct Room {
    members: Arc<SessionGroup>,
    next: AtomicU64,
}

impl Room {
    async fn broadcast(&self, text: &str) {
        for member in self.members.members() {
            let _ = member.send_text(text).await;
        }
    }
}

impl Endpoint for Room {
    /// The member's name.
    type State = String;

    fn protocols(&self) -> Vec<String> {
        vec!["chat".into()]
    }

    async fn on_open(&self, _session: &SessionHandle) -> String {
        let name = format!("Guest{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        self.broadcast(&format!("* {name} has joined")).await;
        name
    }

    async fn on_message(&self, name: &mut String, _session: &SessionHandle, message: Message) {
        if let Message::Text(text) = message {
            self.broadcast(&format!("{name}: {text}")).await;
        }
    }

    async fn on_close(&self, name: &mut String, _session: &SessionHandle, _close: &CloseInfo) {
        self.broadcast(&format!("* {name} has left")).await;
    }
}

/// The router: page, chat room, echo and info, with `config` for every upgrade.
pub fn app(config: UpgradeConfig) -> Router {
    let room = Arc::new(Room::default());
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route(
            "/chat",
            any(move |ws: WebSocketUpgrade| {
                let room = Arc::clone(&room);
                async move {
                    let members = Arc::clone(&room.members);
                    ws.group(members).run(room)
                }
            }),
        )
        .route("/echo", any(echo))
        .route("/info", any(info))
        .layer(Extension(config))
}

async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        // Polled until the end, so a close frame (ours after an error too) is
        // written before the socket is dropped.
        while let Some(message) = socket.next().await {
            if let Ok(message) = message {
                let _ = socket.send(message).await;
            }
        }
    })
}

async fn info(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        let version = match socket.info().http_version() {
            HttpVersion::Http2 => "HTTP/2",
            _ => "HTTP/1.1",
        };
        let _ = socket.send(Message::Text(version.into())).await;
        let _ = socket.close().await;
        while let Some(Ok(_)) = socket.next().await {}
    })
}
