//! A broadcast room with typed per-session state: each member gets a name when it
//! joins (its `State`), and every text message goes to everyone in the same room
//! (`/rooms/{room}`), prefixed with the sender's name.
//!
//! ```sh
//! cargo run --example broadcast_room          # ws://127.0.0.1:9002/rooms/NAME
//! ```
//!
//! Try it with two `cargo run -p ws-client -- ws://127.0.0.1:9002/rooms/blue`
//! terminals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ws_server::{CloseInfo, Endpoint, Message, Server, SessionHandle};

/// The room endpoint; one value serves every session.
#[derive(Default)]
struct Room {
    next_member: AtomicU64,
}

/// What the endpoint keeps for each session.
struct Member {
    name: String,
}

/// Sends `text` to every open session of this endpoint in `session`'s room.
async fn broadcast(session: &SessionHandle, text: &str) {
    let room = session.path_param("room");
    for peer in session.open_sessions() {
        if peer.path_param("room") == room {
            let _ = peer.send_text(text).await;
        }
    }
}

impl Endpoint for Room {
    type State = Member;

    async fn on_open(&self, session: &SessionHandle) -> Member {
        let name = format!("member{}", self.next_member.fetch_add(1, Ordering::Relaxed));
        broadcast(session, &format!("* {name} joined")).await;
        Member { name }
    }

    async fn on_message(&self, member: &mut Member, session: &SessionHandle, message: Message) {
        if let Message::Text(text) = message {
            broadcast(session, &format!("{}: {text}", member.name)).await;
        }
    }

    async fn on_close(&self, member: &mut Member, session: &SessionHandle, _: &CloseInfo) {
        // This session has already left the room's list: it is not told.
        broadcast(session, &format!("* {} left", member.name)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9002".into());
    let server = Server::builder().build();
    server.add_endpoint("/rooms/{room}", Room::default())?;
    let listener = Server::bind(&addr).await?;
    println!(
        "listening on ws://{}/rooms/{{room}}",
        listener.local_addr()?
    );
    tokio::spawn(server.clone().serve(listener));
    tokio::signal::ctrl_c().await?;
    server.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
