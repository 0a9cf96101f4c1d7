//! The example applications of the demo binary, after Tomcat's WebSocket examples:
//! echo (whole, partial and streaming), chat, snake and drawboard, each with a
//! small HTML/JavaScript page served by the same server, linked from the index
//! page `/`. Chat, snake and drawboard run on the server's topics, so with a broker
//! (`--broker`) the members connected to different servers share one room, one
//! game and one canvas.
//!
//! Pages connect to `ws(s)://location.host/<endpoint>`, so they work over `ws://`
//! and `wss://` alike, on whatever address the server listens.

mod chat;
mod drawboard;
mod echo;
mod escape;
mod fanout;
mod game;
mod snake;
mod version;

use ws_server::{DeployError, Server};

const HTML: &str = "text/html; charset=utf-8";

/// The static pages: (path, content).
const PAGES: [(&str, &str); 5] = [
    ("/", include_str!("pages/index.html")),
    ("/echo.html", include_str!("pages/echo.html")),
    ("/chat.html", include_str!("pages/chat.html")),
    ("/snake.html", include_str!("pages/snake.html")),
    ("/drawboard.html", include_str!("pages/drawboard.html")),
];

/// Deploys the example endpoints (`/echo-stream`, `/chat`, `/snake`, `/drawboard`,
/// `/http-version`, and `/fanout` for the fan-out benchmark), their topics'
/// policies, and their
/// pages; the index page replaces any earlier resource at `/`. The whole and partial
/// echo endpoints (`/echo`, `/echo-partial`) are the binary's own.
pub fn install(server: &Server) -> Result<(), DeployError> {
    server.add_endpoint("/echo-stream", echo::EchoStream)?;
    let topics = server.topics();
    chat::configure(topics);
    snake::configure(topics);
    drawboard::configure(topics);
    server.add_endpoint("/chat", chat::Chat::default())?;
    server.add_endpoint("/snake", snake::Snake::new(topics.clone()))?;
    server.add_endpoint("/drawboard", drawboard::Drawboard::new(topics.clone()))?;
    server.add_endpoint("/fanout", fanout::Fanout)?;
    server.add_endpoint("/http-version", version::HttpVersionReport)?;
    for (path, page) in PAGES {
        server.add_static(path, HTML, page)?;
    }
    Ok(())
}
