//! The example applications of the demo binary, after Tomcat's WebSocket examples:
//! echo (whole, partial and streaming), chat and snake, each with a small
//! HTML/JavaScript page served by the same server, linked from the index page `/`.
//!
//! Pages connect to `ws(s)://location.host/<endpoint>`, so they work over `ws://`
//! and `wss://` alike, on whatever address the server listens.

mod chat;
mod echo;
mod escape;
mod game;
mod snake;
mod version;

use ws_server::{DeployError, Server};

const HTML: &str = "text/html; charset=utf-8";

/// The static pages: (path, content).
const PAGES: [(&str, &str); 4] = [
    ("/", include_str!("pages/index.html")),
    ("/echo.html", include_str!("pages/echo.html")),
    ("/chat.html", include_str!("pages/chat.html")),
    ("/snake.html", include_str!("pages/snake.html")),
];

/// Deploys the example endpoints (`/echo-stream`, `/chat`, `/snake`,
/// `/http-version`) and their
/// pages; the index page replaces any earlier resource at `/`. The whole and partial
/// echo endpoints (`/echo`, `/echo-partial`) are the binary's own.
pub fn install(server: &Server) -> Result<(), DeployError> {
    server.add_endpoint("/echo-stream", echo::EchoStream)?;
    server.add_endpoint("/chat", chat::Chat::default())?;
    server.add_endpoint("/snake", snake::Snake::default())?;
    server.add_endpoint("/http-version", version::HttpVersionReport)?;
    for (path, page) in PAGES {
        server.add_static(path, HTML, page)?;
    }
    Ok(())
}
