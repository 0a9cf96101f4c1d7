//! An echo client on the endpoint API: connects, sends three messages from
//! `on_open`, prints what comes back, and closes after the third answer.
//!
//! ```sh
//! cargo run --example echo_server                              # one terminal
//! cargo run --example echo_client -- ws://127.0.0.1:9001/echo   # another
//! ```

use ws_client::{
    connect_endpoint, ClientConfig, CloseCode, CloseInfo, Endpoint, Message, SessionHandle,
};

/// Prints every message; closes after `expect` of them.
struct Printer {
    expect: usize,
    done: tokio::sync::mpsc::UnboundedSender<CloseInfo>,
}

impl Endpoint for Printer {
    /// How many answers this connection has seen.
    type State = usize;

    async fn on_open(&self, session: &SessionHandle) -> usize {
        for text in ["hello", "from", "ws-client"] {
            // Queued at once; they leave in one write.
            let _ = session.send_text(text).await;
        }
        0
    }

    async fn on_message(&self, seen: &mut usize, session: &SessionHandle, message: Message) {
        *seen += 1;
        match message {
            Message::Text(text) => println!("received: {text}"),
            Message::Binary(data) => println!("received {} bytes", data.len()),
        }
        if *seen == self.expect {
            let _ = session.close(CloseCode::NORMAL, "done");
        }
    }

    async fn on_close(&self, _: &mut usize, _: &SessionHandle, info: &CloseInfo) {
        let _ = self.done.send(info.clone());
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or("ws://127.0.0.1:9001/echo".into());
    let (done, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let config = ClientConfig::default();
    connect_endpoint(&uri, &config, Printer { expect: 3, done }).await?;
    let info = closed.recv().await.expect("on_close runs once");
    println!("closed: {} {}", info.code.0, info.reason);
    Ok(())
}
