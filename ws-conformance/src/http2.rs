//! The RFC 8441 transport: a WebSocket on one stream of an HTTP/2 connection
//! (prior knowledge on loopback TCP), opened by an extended `CONNECT` with
//! `:protocol = websocket`, answered `200` with the same `Sec-WebSocket-Extensions`
//! negotiation as over HTTP/1.1 and no key.
//!
//! The HTTP/2 framing is the `h2` crate's (the suite judges WebSockets, not HTTP/2);
//! the stream adapter [`H2Io`] is written here, apart from the stack under test,
//! as the independence rule asks: the stack's own adapter could hide its bugs.
//! [`H2Io`] releases flow-control capacity as bytes are read, writes only within
//! assigned capacity, ends the stream (`END_STREAM`) on shutdown, and reports the
//! peer's `END_STREAM` as the end of input, which is what
//! [`check::finish_tcp`](crate::check::finish_tcp) waits for over HTTP/2.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::deflate::{check_answer, parse_deflate, parse_extensions, DeflateParams};
use crate::handshake::server::negotiate;

/// One HTTP/2 stream as a byte stream.
pub struct H2Io {
    send: SendStream<Bytes>,
    recv: RecvStream,
    pending: Bytes,
    eof: bool,
    ended: bool,
}

impl H2Io {
    fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        H2Io {
            send,
            recv,
            pending: Bytes::new(),
            eof: false,
            ended: false,
        }
    }
}

fn broken(e: h2::Error) -> io::Error {
    let kind = if e.is_reset() {
        io::ErrorKind::ConnectionReset
    } else {
        io::ErrorKind::BrokenPipe
    };
    io::Error::new(kind, e)
}

impl AsyncRead for H2Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.pending.is_empty() && !this.eof {
            match ready!(this.recv.poll_data(cx)) {
                Some(Ok(data)) => this.pending = data,
                Some(Err(e)) => return Poll::Ready(Err(broken(e))),
                None => this.eof = true,
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        let _ = this.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let mut room = this.send.capacity();
        while room == 0 {
            this.send.reserve_capacity(buf.len());
            room = match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(n)) => n,
                Some(Err(e)) => return Poll::Ready(Err(broken(e))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            };
        }
        let n = room.min(buf.len());
        this.send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
            .map_err(broken)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ended {
            this.ended = true;
            this.send.send_data(Bytes::new(), true).map_err(broken)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for H2Io {
    fn drop(&mut self) {
        if !self.ended {
            self.send.send_reset(h2::Reason::CANCEL);
        }
    }
}

/// The suite as client: an HTTP/2 connection with prior knowledge to `host:port`,
/// then the extended CONNECT for `path` offering `offer`. The stream and the
/// negotiated parameters, or why the server refused (each deviation from RFC 8441
/// section 4-5 / RFC 7692 with its reason).
pub async fn open(
    tcp: TcpStream,
    authority: &str,
    path: &str,
    offer: Option<&DeflateParams>,
) -> Result<(H2Io, Option<DeflateParams>), String> {
    let (client, mut connection) = h2::client::handshake(tcp)
        .await
        .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
    let mut ping = connection.ping_pong().ok_or("no PING handle")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // The answer to a PING follows the server's SETTINGS.
    ping.ping(h2::Ping::opaque())
        .await
        .map_err(|e| format!("HTTP/2 PING: {e}"))?;
    if !client.is_extended_connect_protocol_enabled() {
        return Err("the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL".into());
    }
    let mut request = http::Request::builder()
        .method("CONNECT")
        .uri(format!("http://{authority}{path}"))
        .header("sec-websocket-version", "13");
    if let Some(offer) = offer {
        request = request.header("sec-websocket-extensions", offer.offer_header());
    }
    let mut request = request.body(()).map_err(|e| e.to_string())?;
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    let mut client = client.ready().await.map_err(|e| e.to_string())?;
    let (response, send) = client
        .send_request(request, false)
        .map_err(|e| format!("sending the extended CONNECT: {e}"))?;
    let response = response
        .await
        .map_err(|e| format!("the extended CONNECT: {e}"))?;
    if response.status() != 200 {
        return Err(format!("expected 200, got {}", response.status()));
    }
    let get = |name: &str| {
        let values: Vec<&str> = response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    if let Some(accept) = get("sec-websocket-accept") {
        return Err(format!(
            "Sec-WebSocket-Accept {accept:?} on an HTTP/2 stream (RFC 8441 section 5: no key)"
        ));
    }
    if let Some(p) = get("sec-websocket-protocol") {
        return Err(format!(
            "subprotocol {p:?} answered though none was offered"
        ));
    }
    let deflate = match get("sec-websocket-extensions") {
        None => None,
        Some(value) => {
            let Some(offer) = offer else {
                return Err(format!(
                    "extensions {value:?} answered though none was offered"
                ));
            };
            let exts = parse_extensions(&value)?;
            if exts.len() != 1 || exts[0].name != "permessage-deflate" {
                return Err(format!("extensions {value:?} do not answer the one offer"));
            }
            Some(check_answer(offer, &parse_deflate(&exts[0])?)?)
        }
    };
    Ok((H2Io::new(send, response.into_body()), deflate))
}

/// What the suite as server accepted on an HTTP/2 connection.
pub struct Accepted {
    /// The stream.
    pub io: H2Io,
    /// The permessage-deflate parameters answered.
    pub deflate: Option<DeflateParams>,
    /// Why the profile could not be answered.
    pub deflate_declined: Option<String>,
}

/// The suite as server: an HTTP/2 connection (prior knowledge) advertising
/// extended CONNECT; its first stream must be an extended CONNECT with
/// `:protocol = websocket` and version 13, answered 200 with `profile`'s deflate
/// answer. Other streams of the connection are refused.
pub async fn accept(tcp: TcpStream, profile: Option<&DeflateParams>) -> Result<Accepted, String> {
    let mut connection = h2::server::Builder::new()
        .enable_connect_protocol()
        .handshake::<_, Bytes>(tcp)
        .await
        .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
    let (request, mut respond) = match connection.accept().await {
        Some(Ok(pair)) => pair,
        Some(Err(e)) => return Err(format!("HTTP/2: {e}")),
        None => return Err("the client closed the HTTP/2 connection".into()),
    };
    // The connection runs on; further streams are refused.
    tokio::spawn(async move {
        while let Some(Ok((_, mut other))) = connection.accept().await {
            other.send_reset(h2::Reason::REFUSED_STREAM);
        }
    });
    let refuse = |respond: &mut h2::server::SendResponse<Bytes>, why: String| {
        let mut response = http::Response::new(());
        *response.status_mut() = http::StatusCode::BAD_REQUEST;
        let _ = respond.send_response(response, true);
        Err(format!("invalid extended CONNECT: {why}"))
    };
    let protocol = request
        .extensions()
        .get::<h2::ext::Protocol>()
        .map(|p| p.as_str().to_owned());
    if request.method() != http::Method::CONNECT || protocol.as_deref() != Some("websocket") {
        let why = format!("{} with :protocol {protocol:?}", request.method());
        return refuse(&mut respond, why);
    }
    let get = |name: &str| {
        let values: Vec<&str> = request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    if get("sec-websocket-version").as_deref() != Some("13") {
        return refuse(&mut respond, "Sec-WebSocket-Version is not 13".into());
    }
    if get("sec-websocket-key").is_some() {
        return refuse(&mut respond, "Sec-WebSocket-Key on HTTP/2".into());
    }
    let (deflate, deflate_declined) = match negotiate(profile, get("sec-websocket-extensions")) {
        Ok(pair) => pair,
        Err(why) => return refuse(&mut respond, why),
    };
    let mut response = http::Response::new(());
    if let Some(params) = &deflate {
        if let Ok(value) = http::HeaderValue::from_str(&params.answer_header()) {
            response
                .headers_mut()
                .insert("sec-websocket-extensions", value);
        }
    }
    let send = respond
        .send_response(response, false)
        .map_err(|e| format!("sending the 200: {e}"))?;
    Ok(Accepted {
        io: H2Io::new(send, request.into_body()),
        deflate,
        deflate_declined,
    })
}
