//! HTTP/2 on the WebSocket port (RFC 9113 with RFC 8441 extended CONNECT), served
//! by the `h2` crate: one task per connection polls it and accepts streams; each
//! stream runs in a task of its own: a WebSocket (an extended CONNECT with
//! `:protocol = websocket`, validated by `ws-handshake`, routed and negotiated by
//! `upgrade::prepare` as an HTTP/1.1 upgrade is, then run by `ws-tokio`'s driver on
//! an [`H2Stream`]) or a plain request (the static pages, `statics.rs`).
//!
//! * `SETTINGS_ENABLE_CONNECT_PROTOCOL` is advertised unless
//!   `websockets_over_http2(false)`; then h2 resets a stream carrying `:protocol`
//!   with `PROTOCOL_ERROR` (RFC 8441 section 4: malformed).
//! * Flow control: each stream's window is [`STREAM_WINDOW`], the connection's
//!   [`CONNECTION_WINDOW`], so a session that stops reading holds at most its
//!   stream window of the connection's and the other streams go on.
//! * Graceful shutdown: the sessions get 1001 from `Server::shutdown` like every
//!   other session; the connection sends `GOAWAY` and ends when its streams have.

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::either::Either;
use tracing::Instrument;
use ws_handshake::UpgradeRequest;
use ws_tokio::http2::H2Stream;

use crate::server::Server;
use crate::upgrade::{prepare, Refusal};

/// Receive window of each stream: what a session that stops reading may leave
/// unread (the session's own high-water mark is 256 KiB too).
pub(crate) const STREAM_WINDOW: u32 = 256 * 1024;
/// Receive window of a connection: many streams' worth, so no single stream can
/// take it all.
pub(crate) const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;
/// Streams a client may have open at once on one connection.
pub(crate) const MAX_STREAMS: u32 = 1024;
/// h2's budget for the framing overhead of small DATA frames buffered and not yet
/// read (h2 charges 256 bytes minus the payload per frame under 256 bytes, and
/// closes the connection with ENHANCE_YOUR_CALM past the budget: its guard against
/// floods of tiny frames, which flow control does not count). Small WebSocket
/// messages are one small DATA frame each, and a session that stops reading
/// leaves its stream window of them buffered: h2's default (half the connection
/// window, 4 MiB here) let two stalled streams of 16-byte messages close the whole
/// connection. 32 MiB covers about 140,000 buffered small frames.
pub(crate) const DATA_FRAME_BUDGET: usize = 32 << 20;

impl Server {
    /// Serves one HTTP/2 connection (its preface not yet read by h2) until it ends.
    pub(crate) async fn serve_h2<S>(self, io: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let b = &self.inner.builder;
        let mut builder = h2::server::Builder::new();
        builder
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_concurrent_streams(MAX_STREAMS)
            .data_frame_budget(DATA_FRAME_BUDGET)
            .max_header_list_size(u32::try_from(b.limits.max_header_bytes).unwrap_or(u32::MAX));
        if b.extended_connect {
            builder.enable_connect_protocol();
        }
        let handshake =
            tokio::time::timeout(b.handshake_timeout, builder.handshake::<_, Bytes>(io));
        let mut connection = match handshake.await {
            Ok(Ok(connection)) => connection,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "HTTP/2 handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("HTTP/2 handshake timed out");
                return;
            }
        };
        tracing::debug!("HTTP/2 connection");
        let mut stop = self.inner.stop.subscribe();
        let mut stopping = false;
        loop {
            if !stopping && self.inner.stopping() {
                stopping = true;
                connection.graceful_shutdown();
            }
            tokio::select! {
                next = connection.accept() => match next {
                    Some(Ok((request, respond))) => {
                        let server = self.clone();
                        let span = tracing::debug_span!("stream", id = ?respond.stream_id());
                        tokio::spawn(server.serve_stream(request, respond).instrument(span));
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "HTTP/2 connection failed");
                        break;
                    }
                    None => break,
                },
                _ = stop.changed(), if !stopping => {}
            }
        }
        tracing::debug!("HTTP/2 connection ended");
    }

    /// One stream: a WebSocket or a plain request.
    async fn serve_stream(self, request: http::Request<RecvStream>, respond: SendResponse<Bytes>) {
        let (parts, body) = request.into_parts();
        let protocol = parts
            .extensions
            .get::<h2::ext::Protocol>()
            .map(|p| p.as_str().to_owned());
        match protocol {
            Some(protocol) if parts.method == http::Method::CONNECT => {
                self.serve_websocket(parts, &protocol, body, respond).await
            }
            _ => self.serve_plain(&parts, respond),
        }
    }

    /// An extended CONNECT: validated, routed and negotiated as an HTTP/1.1
    /// upgrade is, then the session on the stream.
    async fn serve_websocket(
        self,
        parts: http::request::Parts,
        protocol: &str,
        body: RecvStream,
        mut respond: SendResponse<Bytes>,
    ) {
        let inner = &self.inner;
        let version = parts.version;
        let refusal = match UpgradeRequest::from_http(&parts, Some(protocol), inner.builder.limits)
        {
            Ok(upgrade) => match prepare(inner, &upgrade) {
                Ok((slot, accepted, opened)) => {
                    let head = accepted.http_response();
                    let send = match respond.send_response(head, false) {
                        Ok(send) => send,
                        Err(e) => {
                            tracing::debug!(error = %e, "stream gone before the 200");
                            return;
                        }
                    };
                    let mut stream = H2Stream::new(send, body);
                    slot.endpoint.run(Either::Right(&mut stream), opened).await;
                    return;
                }
                Err(refusal) => refusal,
            },
            Err(e) => Refusal::Handshake(e),
        };
        let response = refusal.http_response(version);
        tracing::debug!(
            status = response.status().as_u16(),
            "extended CONNECT refused"
        );
        let (head, text) = response.into_parts();
        send(
            &mut respond,
            http::Response::from_parts(head, ()),
            Bytes::from(text),
        );
    }

    /// A plain request: the static pages, 426 at an endpoint's path, 404, 405.
    fn serve_plain(&self, parts: &http::request::Parts, mut respond: SendResponse<Bytes>) {
        let path = parts.uri.path();
        let endpoint = self.inner.router().lookup(path).is_some();
        let method = parts.method.as_str();
        let answer = self
            .inner
            .statics
            .resolve(method, path, endpoint, "CONNECT");
        let (head, body) = answer.to_http();
        let body = if parts.method == http::Method::HEAD {
            Bytes::new()
        } else {
            body
        };
        send(&mut respond, head, body);
    }
}

/// Sends a complete response (the body in one DATA frame sequence, h2 cutting it
/// to the peer's window).
fn send(respond: &mut SendResponse<Bytes>, head: http::Response<()>, body: Bytes) {
    let empty = body.is_empty();
    match respond.send_response(head, empty) {
        Ok(mut stream) if !empty => {
            if let Err(e) = stream.send_data(body, true) {
                tracing::debug!(error = %e, "response body not sent");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "response not sent"),
    }
}

/// Whether a TLS connection chose HTTP/2 through ALPN.
pub(crate) fn is_h2(alpn: Option<&[u8]>) -> bool {
    alpn == Some(crate::tls::ALPN_H2)
}
