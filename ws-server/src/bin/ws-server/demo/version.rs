//! `/http-version`: sends one text message naming the HTTP version the WebSocket
//! arrived over (`HTTP/2` for an extended CONNECT, RFC 8441; `HTTP/1.1` for an
//! upgrade), then echoes. The server-side proof the interop browser test reads.

use ws_server::{Endpoint, HttpVersion, Message, SessionHandle};

/// The HTTP version reporter.
pub struct HttpVersionReport;

impl Endpoint for HttpVersionReport {
    type State = ();

    async fn on_open(&self, session: &SessionHandle) {
        let version = match session.http_version() {
            HttpVersion::Http2 => "HTTP/2",
            _ => "HTTP/1.1",
        };
        let _ = session.send_text(version).await;
    }

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let _ = session.send(message).await;
    }
}
