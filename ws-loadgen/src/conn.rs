//! One client connection: TCP connect, the opening handshake from `ws-handshake`
//! (offering permessage-deflate as Chromium does, when asked), then masked frames out
//! and checked echoes in.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use ws_frame::CloseCode;
use ws_handshake::{
    ClientMaxWindowBits, ClientRequest, DeflateOffer, DeflateParams, Limits, Outcome,
};

use crate::encode::{push_close, push_message, push_pong};
use crate::error::LoadError;
use crate::receive::Receiver;
use crate::rng::Rng;
use crate::target::Target;
use crate::wire::{Wire, Wires};

/// The offer Chromium sends on every connection:
/// `Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits`.
pub fn browser_offer() -> DeflateOffer {
    DeflateOffer {
        client_max_window_bits: Some(ClientMaxWindowBits::Supported),
        ..DeflateOffer::default()
    }
}

/// How long a connect plus handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the close handshake may take, and then the wait for the server to end
/// the TCP connection.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// An open WebSocket connection that sends messages of one [`Wire`] form.
#[derive(Debug)]
pub struct Conn {
    /// The socket.
    pub(crate) stream: TcpStream,
    /// Decoder and echo checker.
    pub(crate) rx: Receiver,
    /// Masks.
    pub(crate) rng: Rng,
    /// Sequence number of the next message to send.
    pub(crate) sent: u64,
    wire: Arc<Wire>,
    deflate: Option<DeflateParams>,
}

impl Conn {
    /// Connects to `target` and completes the handshake (bounded by
    /// [`HANDSHAKE_TIMEOUT`]). `index` seeds the connection's masks and key. With
    /// `deflate`, offers permessage-deflate as a browser does ([`browser_offer`]) and
    /// fails with [`LoadError::DeflateDeclined`] if the server does not take it: a run
    /// that asks for compression never measures a connection without it.
    pub async fn open(
        target: &Target,
        wires: &Arc<Wires>,
        index: u64,
        deflate: bool,
    ) -> Result<Conn, LoadError> {
        let mut rng = Rng::seeded(index);
        let (stream, leftover, params) =
            timeout(HANDSHAKE_TIMEOUT, handshake(target, &mut rng, deflate))
                .await
                .map_err(|_| LoadError::Timeout("connect and handshake"))??;
        let wire = match params {
            Some(p) => wires.deflated(p.client_window_bits())?,
            None if deflate => return Err(LoadError::DeflateDeclined),
            None => wires.plain(),
        };
        let mut rx = Receiver::for_wire(&wire, params.is_some());
        rx.feed(&leftover)?;
        Ok(Conn {
            stream,
            rx,
            rng,
            sent: 0,
            wire,
            deflate: params,
        })
    }

    /// How this connection's messages go on the wire.
    pub fn wire(&self) -> &Arc<Wire> {
        &self.wire
    }

    /// The permessage-deflate parameters the server answered with, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// Sends the next message and waits for its checked echo (not bounded in time:
    /// callers bound the whole run).
    pub async fn echo_once(&mut self) -> Result<(), LoadError> {
        let mut out = Vec::with_capacity(self.wire.payload_len(self.sent) + 14);
        push_message(&mut out, &self.wire, self.sent, self.rng.mask());
        self.sent += 1;
        if let Err(e) = self.stream.write_all(&out).await {
            return Err(write_failed(&mut self.stream, &mut self.rx, e).await);
        }
        let mut buf = [0u8; 4096];
        while self.rx.expected() < self.sent {
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(LoadError::Closed("end of stream".into()));
            }
            self.rx.feed(&buf[..n])?;
            if let Some(code) = self.rx.close() {
                return Err(LoadError::Closed(format!("close code {code:?}")));
            }
            self.answer_pings().await?;
        }
        Ok(())
    }

    /// Answers pings received so far.
    pub(crate) async fn answer_pings(&mut self) -> Result<(), LoadError> {
        if self.rx.has_pings() {
            let mut out = Vec::new();
            for ping in self.rx.take_pings() {
                push_pong(&mut out, &ping, self.rng.mask());
            }
            self.stream.write_all(&out).await?;
        }
        Ok(())
    }

    /// The close handshake with 1000, bounded by [`CLOSE_TIMEOUT`] twice: send our
    /// close, read (and check any remaining echoes) until the server's close arrives,
    /// then wait for the server to end the TCP connection (RFC 6455 section 7.1.1:
    /// the server closes first). Returns whether the server answered with 1000.
    pub async fn close(mut self) -> Result<bool, LoadError> {
        let mut out = Vec::new();
        push_close(&mut out, CloseCode::NORMAL, self.rng.mask());
        let mut buf = [0u8; 4096];
        let reply = timeout(CLOSE_TIMEOUT, async {
            self.stream.write_all(&out).await?;
            loop {
                if let Some(code) = self.rx.close() {
                    return Ok(code);
                }
                let n = self.stream.read(&mut buf).await?;
                if n == 0 {
                    return Err(LoadError::Closed(
                        "no close frame before end of stream".into(),
                    ));
                }
                self.rx.feed(&buf[..n])?;
            }
        })
        .await
        .map_err(|_| LoadError::Timeout("close handshake"))??;
        // Whatever follows the close frame is ignored; wait for the end of stream.
        let _ = timeout(CLOSE_TIMEOUT, async {
            while let Ok(n) = self.stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
        Ok(reply == Some(CloseCode::NORMAL.0))
    }
}

/// Turns a failed write into the reason the server gave, when it closed first: reads
/// what is left (for at most a second) looking for its close frame.
pub(crate) async fn write_failed(
    reader: &mut (impl AsyncReadExt + Unpin),
    rx: &mut Receiver,
    error: std::io::Error,
) -> LoadError {
    let mut buf = [0u8; 4096];
    let found = timeout(Duration::from_secs(1), async {
        while rx.close().is_none() {
            match reader.read(&mut buf).await {
                Ok(n) if n > 0 => {
                    if let Err(e) = rx.feed(&buf[..n]) {
                        return Some(e);
                    }
                }
                _ => return None,
            }
        }
        rx.close()
            .map(|code| LoadError::Closed(format!("close code {code:?}")))
    })
    .await;
    match found {
        Ok(Some(reason)) => reason,
        _ => LoadError::Io(error),
    }
}

/// What the handshake leaves: the socket, bytes read past the 101, and the
/// negotiated permessage-deflate parameters.
type Handshake = (TcpStream, Vec<u8>, Option<DeflateParams>);

/// TCP connect, send the upgrade request, read the response.
async fn handshake(target: &Target, rng: &mut Rng, deflate: bool) -> Result<Handshake, LoadError> {
    let mut stream = TcpStream::connect(target.addr()).await?;
    stream.set_nodelay(true)?;
    let mut request = ClientRequest::new(target.url(), rng.nonce())?;
    if deflate {
        request = request.deflate(browser_offer());
    }
    let mut response = request.handshake(Limits::default());
    stream.write_all(&request.to_bytes()).await?;
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(LoadError::Closed(
                "end of stream during the handshake".into(),
            ));
        }
        match response.handle_input(&buf[..n])? {
            None => continue,
            Some((Outcome::Accepted(established), leftover)) => {
                return Ok((stream, leftover, established.deflate))
            }
            Some((Outcome::Redirect(r), _)) => return Err(LoadError::Refused(r.status.0)),
            Some((Outcome::Challenge(c), _)) => return Err(LoadError::Refused(c.status.0)),
            Some((Outcome::Rejected(r), _)) => return Err(LoadError::Refused(r.status.0)),
        }
    }
}
