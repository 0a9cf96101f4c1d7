//! [`Conn`]: one client connection through either of ws-client's APIs, behind one
//! set of verbs, so a session plan runs the same way on both.

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use ws_client::{
    connect, connect_endpoint, ClientConfig, CloseCode, CloseInfo, Endpoint, Error, Message,
    MessageKind, SessionHandle, WebSocket,
};

/// Which client API a connection uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `connect`: the `WebSocket` stream and sink, owned by the lane's task.
    Stream,
    /// `connect_endpoint`: callbacks in the driver's task, sends through a handle.
    Endpoint,
}

/// What a connection yields next.
#[derive(Debug)]
pub(crate) enum Next {
    /// A whole message.
    Message(Message),
    /// A pong (endpoint API only: the stream skips pongs).
    Pong(Bytes),
    /// The session ended: the error reported first, if any, and how it closed.
    End {
        /// The error the stream or `on_error` reported (its `Debug` form).
        error: Option<String>,
        /// How the session closed (`None` if the API did not say).
        info: Option<CloseInfo>,
    },
}

/// What the forwarding endpoint sends to the lane.
#[derive(Debug)]
pub(crate) enum Incoming {
    Message(Message),
    Pong(Bytes),
    Error(String),
    Closed(CloseInfo),
}

/// Forwards every callback to the lane's task.
struct Forward(mpsc::UnboundedSender<Incoming>);

impl Endpoint for Forward {
    type State = ();

    async fn on_open(&self, _: &SessionHandle) {}

    async fn on_message(&self, _: &mut (), _: &SessionHandle, message: Message) {
        let _ = self.0.send(Incoming::Message(message));
    }

    async fn on_pong(&self, _: &mut (), _: &SessionHandle, payload: Bytes) {
        let _ = self.0.send(Incoming::Pong(payload));
    }

    async fn on_error(&self, _: &mut (), _: &SessionHandle, error: &Error) {
        let _ = self.0.send(Incoming::Error(format!("{error:?}")));
    }

    async fn on_close(&self, _: &mut (), _: &SessionHandle, close: &CloseInfo) {
        let _ = self.0.send(Incoming::Closed(close.clone()));
    }
}

/// One open connection.
pub(crate) enum Conn {
    /// Through `connect`.
    Stream {
        /// The WebSocket.
        ws: Box<WebSocket>,
        /// An error item the stream yielded, kept for the end.
        error: Option<String>,
    },
    /// Through `connect_endpoint`.
    Endpoint {
        /// The session's handle.
        handle: SessionHandle,
        /// The endpoint's callbacks.
        events: mpsc::UnboundedReceiver<Incoming>,
        /// An `on_error`, kept for the end.
        error: Option<String>,
    },
}

impl Conn {
    /// Opens a connection to `uri` through `api`.
    pub async fn open(api: Api, uri: &str, config: &ClientConfig) -> Result<Conn, String> {
        match api {
            Api::Stream => {
                let ws = connect(uri, config).await.map_err(|e| format!("{e}"))?;
                Ok(Conn::Stream {
                    ws: Box::new(ws),
                    error: None,
                })
            }
            Api::Endpoint => {
                let (tx, events) = mpsc::unbounded_channel();
                let handle = connect_endpoint(uri, config, Forward(tx))
                    .await
                    .map_err(|e| format!("{e}"))?;
                Ok(Conn::Endpoint {
                    handle,
                    events,
                    error: None,
                })
            }
        }
    }

    /// Queues a message (waits only for room below the high-water mark).
    pub async fn send(&mut self, message: Message) -> Result<(), String> {
        match self {
            // `feed`, not `send`: the stream writes while it reads, so a large
            // message and its echo cannot stall each other.
            Conn::Stream { ws, .. } => ws.feed(message).await.map_err(|e| format!("{e:?}")),
            Conn::Endpoint { handle, .. } => {
                handle.send(message).await.map_err(|e| format!("{e:?}"))
            }
        }
    }

    /// Queues a ping.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), String> {
        match self {
            Conn::Stream { ws, .. } => ws.ping(payload).map_err(|e| format!("{e:?}")),
            Conn::Endpoint { handle, .. } => handle.ping(payload).map_err(|e| format!("{e:?}")),
        }
    }

    /// Starts the close handshake with `code`.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), String> {
        match self {
            Conn::Stream { ws, .. } => ws.close_with(code, reason).map_err(|e| format!("{e:?}")),
            Conn::Endpoint { handle, .. } => {
                handle.close(code, reason).map_err(|e| format!("{e:?}"))
            }
        }
    }

    /// The next message, pong or the end.
    pub async fn next(&mut self) -> Next {
        match self {
            Conn::Stream { ws, error } => loop {
                match ws.next().await {
                    Some(Ok(message)) => return Next::Message(message),
                    Some(Err(e)) => *error = Some(format!("{e:?}")),
                    None => {
                        return Next::End {
                            error: error.take(),
                            info: ws.close_info().cloned(),
                        }
                    }
                }
            },
            Conn::Endpoint { events, error, .. } => loop {
                match events.recv().await {
                    Some(Incoming::Message(message)) => return Next::Message(message),
                    Some(Incoming::Pong(payload)) => return Next::Pong(payload),
                    Some(Incoming::Error(e)) => *error = Some(e),
                    Some(Incoming::Closed(info)) => {
                        return Next::End {
                            error: error.take(),
                            info: Some(info),
                        }
                    }
                    None => {
                        return Next::End {
                            error: Some("the endpoint went away without on_close".into()),
                            info: None,
                        }
                    }
                }
            },
        }
    }

    /// Drops the connection without a close frame.
    pub async fn drop_abruptly(self) {
        match self {
            Conn::Stream { ws, .. } => drop(ws),
            Conn::Endpoint {
                handle, mut events, ..
            } => {
                handle.terminate();
                // Wait for the driver to let go (on_close), so lanes do not pile up
                // sessions.
                while events.recv().await.is_some() {}
            }
        }
    }

    /// Writes the first `part` of a message of `kind` (flushed to the socket), then
    /// drops the connection without finishing it or closing.
    pub async fn drop_mid_message(self, kind: MessageKind, part: Bytes) -> Result<(), String> {
        match self {
            Conn::Stream { mut ws, .. } => {
                // The writer is dropped unfinished at the end of this block.
                {
                    let mut writer = ws.send_writer(kind);
                    writer
                        .write_all(&part)
                        .await
                        .map_err(|e| format!("{e:?}"))?;
                    writer.flush().await.map_err(|e| format!("{e:?}"))?;
                }
                drop(ws);
                Ok(())
            }
            Conn::Endpoint { ref handle, .. } => {
                handle
                    .send_part_flushed(kind, part, false)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                self.drop_abruptly().await;
                Ok(())
            }
        }
    }
}
