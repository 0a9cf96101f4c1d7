//! A server configured from a Tomcat `.properties` file: the repository's
//! `websocket.properties` (or the file given as the first argument), so a Tomcat
//! user keeps their keys (`textBufferSize`, `BLOCKING_SEND_TIMEOUT`, ...).
//!
//! ```sh
//! cargo run --example properties                       # the repository's file
//! cargo run --example properties -- my.properties 127.0.0.1:9003
//! ```
//!
//! Prints the limits it took from the file, then `listening on ws://ADDR/echo`.

use std::path::PathBuf;
use std::time::Duration;

use ws_server::{Echo, Server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../websocket.properties")
    });
    let addr = args.next().unwrap_or("127.0.0.1:9003".into());
    // File values win over the environment, the environment over Tomcat's defaults;
    // a bad value or an unknown key is an error naming the file, line and key.
    let config = ws_config::Sources::new()
        .properties_file(&file)?
        .process_env()
        .resolve()?;
    let session = config.session_config();
    println!(
        "{}: text messages up to {} bytes, binary up to {} bytes",
        file.display(),
        session.text_buffer_size,
        session.binary_buffer_size
    );
    let server = Server::builder().config(&config).build();
    server.add_endpoint("/echo", Echo)?;
    let listener = Server::bind(&addr).await?;
    println!("listening on ws://{}/echo", listener.local_addr()?);
    tokio::spawn(server.clone().serve(listener));
    tokio::signal::ctrl_c().await?;
    server.shutdown(Duration::from_secs(5)).await;
    Ok(())
}
