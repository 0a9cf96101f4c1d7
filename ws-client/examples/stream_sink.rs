//! The `Stream` + `Sink` API on both sides, in one process: a server that accepts
//! one connection with `ws_server::accept` and echoes it, and a client from
//! `ws_client::connect` that sends, reads and closes. No endpoint, no callbacks:
//! the caller's task owns each WebSocket.
//!
//! ```sh
//! cargo run --example stream_sink
//! ```

use futures::{SinkExt, StreamExt};
use ws_client::{connect, ClientConfig, Message};
use ws_server::{accept, AcceptConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    // The server: accept one WebSocket and echo until the client closes.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut ws = accept(tcp, AcceptConfig::default()).await?;
        while let Some(message) = ws.next().await {
            ws.send(message?).await?;
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    });

    // The client.
    let mut ws = connect(&format!("ws://{addr}/echo"), &ClientConfig::default()).await?;
    for i in 0..3 {
        ws.send(Message::Text(format!("message {i}"))).await?;
        println!("echoed: {:?}", ws.next().await.expect("an echo")?);
    }
    ws.close().await?; // 1000, then the server's answer ends the stream
    assert!(ws.next().await.is_none());
    println!("closed: {:?}", ws.close_info().map(|c| c.code.0));
    server.await?.map_err(|e| e.to_string())?;
    Ok(())
}
