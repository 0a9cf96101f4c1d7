//! An echo server on the endpoint API: every message comes back unchanged.
//!
//! ```sh
//! cargo run --example echo_server             # ws://127.0.0.1:9001/echo
//! cargo run --example echo_server -- 127.0.0.1:0
//! cargo run --example echo_client -- ws://127.0.0.1:9001/echo   # in another terminal
//! ```
//!
//! Prints `listening on ws://ADDR/echo` once ready; Ctrl-C shuts it down gracefully
//! (1001 to every client).

use std::time::Duration;

use ws_server::{Endpoint, Message, Server, SessionHandle};

/// Echoes whole messages, text and binary.
struct Echo;

impl Endpoint for Echo {
    /// No per-session state.
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        println!("session {} opened", session.id());
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        // Queued at once; waits only if this client is far behind.
        let _ = session.send(message).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let server = Server::builder().build();
    server.add_endpoint("/echo", Echo)?;
    let listener = Server::bind(&addr).await?;
    println!("listening on ws://{}/echo", listener.local_addr()?);
    tokio::spawn(server.clone().serve(listener));
    tokio::signal::ctrl_c().await?;
    server.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
