//! Streaming a message too large to hold, both ways of the lower-level API: the
//! client sends it through a `MessageWriter` (an `AsyncWrite`, one frame per write,
//! waiting whenever the queue is above its high-water mark) and the server reads it
//! with `next_part` under partial delivery (parts of at most 64 KiB). Neither side
//! ever holds more than a few hundred KiB, whatever the size.
//!
//! ```sh
//! cargo run --release --example streaming            # 64 MiB
//! cargo run --release --example streaming -- 1024    # 1 GiB
//! ```

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use ws_client::{connect, ClientConfig, Delivery, MessageKind, SessionConfig};
use ws_server::{accept, AcceptConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: u64 = std::env::args().nth(1).map_or(Ok(64), |a| a.parse())?;
    let total = mib << 20;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    // The server takes binary messages as parts, and allows messages up to `total`.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let session = SessionConfig::default()
            .with_max_message_size(total)
            .with_binary_delivery(Delivery::Partial)
            .with_binary_buffer_size(64 * 1024);
        let mut ws = accept(tcp, AcceptConfig::default().with_session(session)).await?;
        let (mut bytes, mut parts) = (0u64, 0u64);
        while let Some(part) = ws.next_part().await {
            let part = part?;
            bytes += part.data.len() as u64;
            parts += 1;
            if part.last {
                break;
            }
        }
        println!("server: received {bytes} bytes in {parts} parts");
        while ws.next().await.is_some() {} // until the client's close
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(bytes)
    });

    let mut ws = connect(&format!("ws://{addr}/upload"), &ClientConfig::default()).await?;
    let chunk = vec![0x5au8; 64 * 1024];
    let mut writer = ws.send_writer(MessageKind::Binary);
    let mut sent = 0u64;
    while sent < total {
        writer.write_all(&chunk).await?;
        sent += chunk.len() as u64;
    }
    writer.shutdown().await?; // the last frame
    println!("client: sent {sent} bytes");
    futures::SinkExt::close(&mut ws).await?;
    while ws.next().await.is_some() {}
    let received = server.await?.map_err(|e| e.to_string())?;
    assert_eq!(received, total);
    Ok(())
}
