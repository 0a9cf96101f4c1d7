//! The lower-level API: [`accept`] performs the server handshake on any
//! `AsyncRead + AsyncWrite` and returns the open [`WebSocket`] (a `Stream` + `Sink`
//! of messages, from `ws-tokio`).

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ws_handshake::{Limits, ServerConfig};
use ws_session::{Session, SessionConfig};
use ws_tokio::{SessionInfo, WebSocket};

use crate::builder::DEFAULT_HANDSHAKE_TIMEOUT;
use crate::error::AcceptError;
use crate::request::{read_request, Request};
use ws_handshake::OriginPolicy;

/// Settings of [`accept`]: the handshake (limits, subprotocols, deflate, origin
/// policy, timeout) and the session.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AcceptConfig {
    /// Head limits, supported subprotocols (the first one the client offers that is
    /// listed here is chosen) and permessage-deflate policy (on by default, with
    /// [`DeflateConfig::lean`](ws_handshake::DeflateConfig::lean): a 4 KiB window
    /// asked of the client, 32 KiB for the server's own).
    pub handshake: ServerConfig,
    /// The origin policy (default: same origin or no `Origin`).
    pub origin: OriginPolicy,
    /// Time for the whole handshake (default 10 s).
    pub timeout: Duration,
    /// The session configuration (its delivery modes decide whether big messages
    /// come whole or as parts: see [`WebSocket::next_part`]).
    pub session: SessionConfig,
}

impl Default for AcceptConfig {
    fn default() -> Self {
        AcceptConfig {
            handshake: ServerConfig {
                deflate: ws_handshake::DeflateConfig::lean(),
                ..ServerConfig::default()
            },
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
/// answered with its status and reported as [`AcceptError::Handshake`]; a plain
/// HTTP request gets 426 (`Upgrade: websocket`).
pub async fn accept<S>(mut stream: S, config: AcceptConfig) -> Result<WebSocket<S>, AcceptError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = async {
        match read_request(&mut stream, config.handshake.limits, false).await? {
            Request::Eof | Request::Http2(_) => {
                Err(AcceptError::Io(std::io::ErrorKind::UnexpectedEof.into()))
            }
            Request::Plain(plain) => {
                crate::statics::Statics::default()
                    .answer(&mut stream, &plain.method, &plain.path, true)
                    .await?;
                Err(AcceptError::NotUpgrade {
                    method: plain.method,
                    path: plain.path,
                })
            }
            Request::Rejected(e) => {
                stream.write_all(&e.response()).await?;
                Err(AcceptError::Handshake(e))
            }
            Request::Upgrade(upgrade) => {
                if let Err(e) = upgrade.check_origin(|o| config.origin.allows(o, upgrade.host())) {
                    stream.write_all(&e.response()).await?;
                    return Err(AcceptError::Handshake(e));
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
        .map_err(|_| AcceptError::HandshakeTimeout)??;
    let session_config = ws_tokio::negotiated_session(config.session, accepted.deflate.as_ref());
    let session = Session::server(session_config, Instant::now());
    let info = SessionInfo::new(upgrade.target())
        .with_protocol(accepted.protocol)
        .with_deflate(accepted.deflate);
    Ok(WebSocket::from_session(stream, session, info).with_leftover(upgrade.leftover()))
}
