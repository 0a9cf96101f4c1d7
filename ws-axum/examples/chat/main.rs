//! A chat room with axum and ws-axum: the page at `/`, the room at `/chat`, over
//! HTTP/1.1 and HTTP/2 (prior knowledge on plain TCP; `axum::serve` advertises
//! extended CONNECT).
//!
//! ```text
//! cargo run -p ws-axum --example chat -- [--addr 127.0.0.1:8080]
//! ```
//!
//! Prints `listening on http://ADDR` once it accepts connections. Tomcat's keys
//! come from the environment (e.g. raise `textBufferSize`).

#[path = "app.rs"]
mod app;

use ws_axum::{OriginPolicy, UpgradeConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8080".to_owned();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => {
                eprintln!("usage: chat [--addr HOST:PORT]");
                std::process::exit(1);
            }
        }
    }
    let keys = ws_config::Sources::new()
        .process_env()
        .resolve()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    // Interop peers connect from other origins (file pages, test scripts).
    let config =
        UpgradeConfig::from_config(&keys).with_origin_policy(OriginPolicy::allow_any_origin());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app::app(config)).await
}
