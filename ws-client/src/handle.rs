//! [`SessionHandle`]: a cloneable handle to send on an open connection, async or
//! blocking.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::channel::{mpsc, oneshot};
use futures::SinkExt;
use ws_frame::CloseCode;
use ws_session::{CloseInfo, Message, MessageKind};

use crate::driver::{Command, Reply, Shared};
use crate::error::Error;
use ws_handshake::DeflateParams;

/// Sends on one connection. Cheap to clone; every clone talks to the same driver
/// task. The connection stays open while a handle (or the [`WebSocket`](crate::WebSocket))
/// exists, or until it is closed; when the last one is dropped the client closes
/// with 1000.
///
/// Every send completes once its bytes are written to the transport (not merely
/// queued), so awaiting it is backpressure. Dropping a send future after it started
/// does not withdraw the message.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    blocking_timeout: Option<Duration>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl SessionHandle {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        shared: Arc<Shared>,
        blocking_timeout: Option<Duration>,
    ) -> Self {
        SessionHandle {
            commands,
            shared,
            runtime: tokio::runtime::Handle::current(),
            blocking_timeout,
        }
    }

    async fn request(&self, command: impl FnOnce(Reply) -> Command) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        let mut commands = self.commands.clone();
        commands
            .send(command(Some(tx)))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.unwrap_or(Err(Error::Closed))
    }

    /// Sends a whole message (text or binary).
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.request(|r| Command::Send(message, r)).await
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.send(Message::Text(text.into())).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send(Message::Binary(data.into())).await
    }

    /// Sends one part of a message; `last` ends it. Other whole messages are
    /// refused until then; pings may go out between parts.
    pub async fn send_part(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), Error> {
        let data = data.into();
        self.request(|r| Command::Part(kind, data, last, r)).await
    }

    /// Sends a ping (at most 125 bytes); the pong arrives at
    /// [`Endpoint::on_pong`](crate::Endpoint::on_pong).
    pub async fn ping(&self, payload: impl Into<Bytes>) -> Result<(), Error> {
        let payload = payload.into();
        self.request(|r| Command::Ping(payload, r)).await
    }

    /// Starts the close handshake; completes when our close frame is written. The
    /// end of the connection is reported to [`Endpoint::on_close`](crate::Endpoint::on_close)
    /// (or as the end of the [`WebSocket`](crate::WebSocket) stream).
    pub async fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let reason = reason.to_owned();
        self.request(|r| Command::Close(code, reason, r)).await
    }

    /// Waits until everything sent before is written.
    pub async fn flush(&self) -> Result<(), Error> {
        self.request(Command::Flush).await
    }

    /// Changes the idle timeouts of this session (JSR 356's `setMaxIdleTimeout`, and
    /// Tomcat's read and write idle timeouts): read, write and both directions,
    /// `None` for off. They count from the last activity; one already passed closes
    /// the session with 1001 at once.
    pub async fn set_idle_timeouts(
        &self,
        read: Option<Duration>,
        write: Option<Duration>,
        max: Option<Duration>,
    ) -> Result<(), Error> {
        self.request(|r| Command::SetIdle([read, write, max], r))
            .await
    }

    /// Sends a whole message and waits until it is written, at most
    /// `BLOCKING_SEND_TIMEOUT` (default 20 s; `None` waits forever). On timeout the
    /// session is closed with 1001 and [`Error::SendTimeout`] returned.
    ///
    /// For threads outside the runtime (a thread of your own, `spawn_blocking`).
    /// Calling it from inside an async task (an endpoint callback included) panics,
    /// as any blocking call there would stall the runtime; `send(..).await` has the
    /// same completion rule and is what to use there.
    pub fn send_blocking(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.blocking(self.send(message))
    }

    /// [`send_part`](Self::send_part), blocking like [`send_blocking`](Self::send_blocking).
    pub fn send_part_blocking(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), Error> {
        self.blocking(self.send_part(kind, data, last))
    }

    fn blocking(
        &self,
        work: impl std::future::Future<Output = Result<(), Error>>,
    ) -> Result<(), Error> {
        let Some(limit) = self.blocking_timeout else {
            return self.runtime.block_on(work);
        };
        let result = self
            .runtime
            .block_on(async { tokio::time::timeout(limit, work).await });
        match result {
            Ok(done) => done,
            Err(_) => {
                let mut commands = self.commands.clone();
                let _ = commands.try_send(Command::Close(
                    CloseCode::GOING_AWAY,
                    "blocking send timed out".into(),
                    None,
                ));
                Err(Error::SendTimeout(limit))
            }
        }
    }

    /// The subprotocol the server chose.
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// The permessage-deflate parameters the server accepted, if any.
    pub fn deflate(&self) -> Option<DeflateParams> {
        self.shared.deflate
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.shared.close_info()
    }

    /// Whether the connection is still open (no close reported yet).
    pub fn is_open(&self) -> bool {
        self.shared.close_info().is_none()
    }
}
