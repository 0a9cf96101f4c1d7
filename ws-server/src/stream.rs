//! The lower-level API: a [`WebSocket`] over any `AsyncRead + AsyncWrite`, as a
//! futures [`Stream`] of messages and a [`Sink`] of messages.
//!
//! All state lives in the `WebSocket` (the session, its queue, the timer), and every
//! method is a `poll_*` function that only moves bytes between that state and the
//! transport, so the API is cancellation-safe: dropping a `next()` or `send()` future
//! loses nothing (bytes read are already parsed into the session, messages given to
//! the sink are already queued).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ws_frame::CloseCode;
use ws_handshake::{Accepted, Limits, ServerConfig};
use ws_session::{CloseCause, CloseInfo, Delivery, Event, Message, Session, SessionConfig};

use crate::error::Error;
use crate::io::{poll_read_session, poll_write_session};
use crate::origin::OriginPolicy;
use crate::request::{read_request, Request};
use crate::server::{deflate_config, DEFAULT_HANDSHAKE_TIMEOUT};

/// Settings of [`accept`]: the handshake (limits, subprotocols, deflate, origin
/// policy, timeout) and the session.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AcceptConfig {
    /// Head limits, supported subprotocols (the first one the client offers that is
    /// listed here is chosen) and permessage-deflate policy (on by default).
    pub handshake: ServerConfig,
    /// The origin policy (default: same origin or no `Origin`).
    pub origin: OriginPolicy,
    /// Time for the whole handshake (default 10 s).
    pub timeout: Duration,
    /// The session configuration (delivery is always whole for a `WebSocket`).
    pub session: SessionConfig,
}

impl Default for AcceptConfig {
    fn default() -> Self {
        AcceptConfig {
            handshake: ServerConfig::default(),
            origin: OriginPolicy::default(),
            timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            session: SessionConfig::default(),
        }
    }
}

impl AcceptConfig {
    /// Sets the supported subprotocols.
    pub fn with_protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.handshake.protocols = p.into_iter().map(Into::into).collect();
        self
    }

    /// Turns permessage-deflate on or off.
    pub fn with_deflate(mut self, on: bool) -> Self {
        self.handshake.deflate.enabled = on;
        self
    }

    /// Sets the origin policy.
    pub fn with_origin_policy(mut self, origin: OriginPolicy) -> Self {
        self.origin = origin;
        self
    }

    /// Sets the handshake timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the session configuration.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Sets the request head limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.handshake.limits = limits;
        self
    }
}

/// Performs the server handshake on `stream` (any path is accepted; check
/// [`WebSocket::path`]) and returns the open WebSocket. A refused request is
/// answered with its status and reported as [`Error::Handshake`]; a plain HTTP
/// request gets 404.
pub async fn accept<S>(mut stream: S, config: AcceptConfig) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = async {
        match read_request(&mut stream, config.handshake.limits).await? {
            Request::Eof => Err(Error::Io(io::ErrorKind::UnexpectedEof.into())),
            Request::Plain(_, path) => {
                let not_found =
                    ws_handshake::error_response(ws_handshake::StatusCode::NOT_FOUND, &[]);
                stream.write_all(&not_found).await?;
                Err(Error::NotFound(path))
            }
            Request::Rejected(e) => {
                stream.write_all(&e.response()).await?;
                Err(Error::Handshake(e))
            }
            Request::Upgrade(upgrade) => {
                if let Err(e) = upgrade.check_origin(|o| config.origin.allows(o, upgrade.host())) {
                    stream.write_all(&e.response()).await?;
                    return Err(Error::Handshake(e));
                }
                let accepted = upgrade.accept(&config.handshake);
                stream.write_all(&accepted.response()).await?;
                stream.flush().await?;
                Ok((upgrade, accepted))
            }
        }
    };
    let (upgrade, accepted) = tokio::time::timeout(config.timeout, handshake)
        .await
        .map_err(|_| Error::HandshakeTimeout)??;
    let mut ws = WebSocket::from_upgraded(stream, &accepted, config.session);
    ws.target = upgrade.target().to_owned();
    ws.path_len = upgrade.path().len();
    if !upgrade.leftover().is_empty() {
        ws.session.handle_input(Instant::now(), upgrade.leftover());
    }
    Ok(ws)
}

/// An open WebSocket: a [`Stream`] of received messages and a [`Sink`] of messages
/// to send. Pings are answered automatically and pongs skipped. The stream ends
/// after the close handshake (see [`close_info`](Self::close_info)); a protocol
/// violation by the peer is yielded once as an error (the close code was sent), then
/// the stream ends.
///
/// The sink's `poll_ready` applies backpressure at the session's high-water mark;
/// `poll_flush` writes everything queued; `poll_close` queues a 1000 close and
/// flushes it (keep polling the stream to read the peer's answer).
pub struct WebSocket<S> {
    stream: S,
    session: Session,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    eof: bool,
    unflushed: bool,
    close: Option<CloseInfo>,
    protocol: Option<String>,
    target: String,
    path_len: usize,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("session", &self.session)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wraps a stream whose handshake another HTTP stack (hyper, axum...) already did,
    /// with the negotiation result from [`ws_handshake::UpgradeRequest::accept`]
    /// (whose 101 was sent). Delivery is set to whole for both types.
    pub fn from_upgraded(stream: S, negotiated: &Accepted, config: SessionConfig) -> Self {
        let config = config
            .with_text_delivery(Delivery::Whole)
            .with_binary_delivery(Delivery::Whole)
            .with_deflate(negotiated.deflate.as_ref().map(deflate_config));
        WebSocket {
            stream,
            session: Session::server(config, Instant::now()),
            sleep: None,
            eof: false,
            unflushed: false,
            close: None,
            protocol: negotiated.protocol.clone(),
            target: String::new(),
            path_len: 0,
        }
    }

    /// The request path (empty for [`from_upgraded`](Self::from_upgraded)).
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The query string, if any (not for [`from_upgraded`](Self::from_upgraded)).
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The negotiated subprotocol.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// How the session closed, once it has.
    pub fn close_info(&self) -> Option<&CloseInfo> {
        self.close.as_ref()
    }

    /// The underlying session (state, queue size, configuration).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Queues a ping (at most 125 bytes); it goes out with the next flush.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        Ok(self.session.ping(Instant::now(), payload)?)
    }

    /// Queues a close frame with `code` and `reason` behind queued messages; flush
    /// (or keep polling the stream) to send it.
    pub fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        Ok(self.session.close(Instant::now(), code, reason)?)
    }

    /// Writes what is queued; `Ready` when all is written and flushed.
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            if self.session.pending_transmit() == 0 {
                break;
            }
            ready!(poll_write_session(&mut self.stream, cx, &mut self.session))?;
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) {
        loop {
            let Some(deadline) = self.session.poll_timeout() else {
                self.sleep = None;
                return;
            };
            let deadline = tokio::time::Instant::from_std(deadline);
            match &mut self.sleep {
                Some(s) if s.deadline() == deadline => {}
                Some(s) => s.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            let Some(sleep) = self.sleep.as_mut() else {
                return;
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return;
            }
            self.session.handle_timeout(Instant::now());
        }
    }
}

impl<S> Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            while let Some(event) = this.session.poll_event() {
                match event {
                    Event::Message(m) => return Poll::Ready(Some(Ok(m))),
                    Event::Closed(info) => {
                        let error = match &info.cause {
                            CloseCause::Protocol(e) => Some(Error::Protocol(e.clone())),
                            _ => None,
                        };
                        this.close = Some(info);
                        if let Some(e) = error {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                    _ => {}
                }
            }
            // Write what is queued (pongs, close replies) without waiting for it.
            if let Poll::Ready(Err(e)) = this.poll_write_all(cx) {
                if !this.session.is_closed() {
                    this.session.handle_eof(Instant::now());
                    this.eof = true;
                    return Poll::Ready(Some(Err(e)));
                }
                return Poll::Ready(None);
            }
            this.poll_timer(cx);
            if this.session.is_closed() {
                if this.close.is_none() {
                    continue; // hand out the Closed event first
                }
                if this.session.is_finished() {
                    return Poll::Ready(None);
                }
                return Poll::Pending;
            }
            if this.eof {
                return Poll::Pending;
            }
            match poll_read_session(&mut this.stream, cx, &mut this.session, &mut None) {
                Poll::Ready(Ok(0)) => this.eof = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    this.eof = true;
                    this.session.handle_eof(Instant::now());
                    let _ = this.session.poll_event();
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S> Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        while this.session.is_above_high_water() {
            ready!(poll_write_session(&mut this.stream, cx, &mut this.session))?;
            this.unflushed = true;
        }
        if this.session.is_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut()
            .session
            .send(Instant::now(), item)
            .map_err(|e| match e {
                ws_session::SendError::Closed => Error::Closed,
                e => Error::Send(e),
            })
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.session.state() == ws_session::State::Open {
            let _ = this.session.close(Instant::now(), CloseCode::NORMAL, "");
        }
        this.poll_write_all(cx)
    }
}
