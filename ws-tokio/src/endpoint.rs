//! The [`Endpoint`] trait: what user code implements, in the JSR-356 spirit, for
//! servers and clients alike.
//!
//! One endpoint value serves every session it is given (a server endpoint is shared
//! by all its connections), so callbacks take `&self`. What belongs to one session
//! lives in the endpoint's typed [`State`](Endpoint::State): [`on_open`](Endpoint::on_open)
//! returns it, and every later callback of that session receives it as
//! `&mut Self::State`. No locks and no `Any` map for per-session data (the
//! [`Properties`](crate::Properties) map stays for Tomcat parity).
//!
//! # Order
//!
//! For one session, callbacks run one at a time and in order, on the task that
//! drives the session (Tomcat also never calls a session's handlers concurrently).
//! While a callback is pending the session keeps writing (awaiting a send inside a
//! callback is fine) and keeps its timers, but reads nothing: a slow callback slows
//! its own peer down, nobody else. Long work belongs in a spawned task holding a
//! clone of the [`SessionHandle`].
//!
//! # Cost
//!
//! Callbacks are not boxed. The driver is built for each endpoint type, and a
//! running `on_message`, `on_part` or `on_pong` future lives in place in the
//! session's task ([`CallbackSlot`](crate::CallbackSlot)): no allocation per call,
//! but its size counts in every connection's memory, idle or not. A callback that
//! keeps large state across `.await`s can box it itself
//! (`Box::pin(async move { ... }).await`). `on_open`, `on_error` and `on_close` run
//! once per session and are boxed.

use std::future::Future;

use bytes::Bytes;
use ws_session::{CloseInfo, Delivery, Message, MessageKind, SessionConfig};

use crate::error::Error;
use crate::handle::SessionHandle;

/// A WebSocket endpoint: a server deploys it at a path, a client connects with it.
///
/// # Example: typed per-session state
///
/// ```
/// use ws_tokio::{Endpoint, Message, SessionHandle};
///
/// /// Counts the messages of each session and echoes them numbered.
/// struct Numbered;
///
/// impl Endpoint for Numbered {
///     /// Each session's own counter.
///     type State = u64;
///
///     async fn on_open(&self, _session: &SessionHandle) -> u64 {
///         0
///     }
///
///     async fn on_message(&self, count: &mut u64, session: &SessionHandle, message: Message) {
///         *count += 1;
///         if let Message::Text(text) = message {
///             let _ = session.send_text(format!("{count}: {text}")).await;
///         }
///     }
/// }
/// ```
///
/// Every callback but [`on_open`](Self::on_open) has a default that does nothing.
/// The returned futures must be `Send` (hold no `Rc` or `std::sync::MutexGuard`
/// across an `.await`).
pub trait Endpoint: Send + Sync + 'static {
    /// What the endpoint keeps for each session: created by
    /// [`on_open`](Self::on_open), handed to every later callback of the session,
    /// dropped after [`on_close`](Self::on_close). `()` for none.
    type State: Send + 'static;

    /// How text messages are delivered: [`Delivery::Whole`] (default) to
    /// [`on_message`](Self::on_message), up to `textBufferSize` (1009 beyond), or
    /// [`Delivery::Partial`] to [`on_part`](Self::on_part) as they arrive.
    fn text_delivery(&self) -> Delivery {
        Delivery::Whole
    }

    /// How binary messages are delivered; as [`text_delivery`](Self::text_delivery).
    fn binary_delivery(&self) -> Delivery {
        Delivery::Whole
    }

    /// Server role: subprotocols this endpoint speaks, in the server's order of
    /// preference. The default choice ([`select_protocol`](Self::select_protocol))
    /// is the first one in the client's list that appears here (Tomcat's rule).
    /// Clients offer theirs in their connection configuration instead.
    fn protocols(&self) -> Vec<String> {
        Vec::new()
    }

    /// Server role: picks the subprotocol from the client's offer: the index of the
    /// chosen one, or `None` for no subprotocol. Only an offered protocol can be
    /// chosen.
    fn select_protocol(&self, offered: &[String]) -> Option<usize> {
        let ours = self.protocols();
        offered.iter().position(|p| ours.contains(p))
    }

    /// Adjusts the session configuration for a new session of this endpoint (idle
    /// timeouts, limits...). Delivery modes and deflate are set afterwards from
    /// [`text_delivery`](Self::text_delivery), [`binary_delivery`](Self::binary_delivery)
    /// and the negotiation.
    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        config
    }

    /// The session is open; returns its state. If this completes without waiting
    /// (no pending `.await`), a server runs it before the 101 is written: a client
    /// that sees the 101 knows `on_open` has run, and what it sent follows right
    /// after the 101. If it waits, the 101 is written first (so it may await flushed
    /// sends).
    fn on_open(&self, session: &SessionHandle) -> impl Future<Output = Self::State> + Send;

    /// A whole message (types with [`Delivery::Whole`]).
    fn on_message(
        &self,
        state: &mut Self::State,
        session: &SessionHandle,
        message: Message,
    ) -> impl Future<Output = ()> + Send {
        let _ = (state, session, message);
        async {}
    }

    /// A part of a message (types with [`Delivery::Partial`]); `last` ends the
    /// message. Text parts are whole UTF-8 characters.
    fn on_part(
        &self,
        state: &mut Self::State,
        session: &SessionHandle,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) -> impl Future<Output = ()> + Send {
        let _ = (state, session, kind, data, last);
        async {}
    }

    /// A pong arrived (pings are answered automatically).
    fn on_pong(
        &self,
        state: &mut Self::State,
        session: &SessionHandle,
        payload: Bytes,
    ) -> impl Future<Output = ()> + Send {
        let _ = (state, session, payload);
        async {}
    }

    /// The session failed: a protocol error by the peer (the mapped close code was
    /// sent), a timeout, a transport failure or an end without a close handshake.
    /// [`on_close`](Self::on_close) follows.
    fn on_error(
        &self,
        state: &mut Self::State,
        session: &SessionHandle,
        error: &Error,
    ) -> impl Future<Output = ()> + Send {
        let _ = (state, session, error);
        async {}
    }

    /// The session closed: `close.code`, `close.reason` and `close.initiator` say how
    /// (1006 for timeouts, lost connections and failures, whatever went on the wire).
    /// Called exactly once per opened session; no callback follows, and the state is
    /// dropped after it.
    fn on_close(
        &self,
        state: &mut Self::State,
        session: &SessionHandle,
        close: &CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        let _ = (state, session, close);
        async {}
    }
}

/// An endpoint that sends every whole message back to its sender, text as text and
/// binary as binary: the echo service that load tests, conformance runs and the
/// examples deploy. A send that fails (the session is closing) is dropped: the
/// close callbacks say why.
///
/// ```
/// use ws_tokio::Echo;
///
/// fn assert_endpoint<E: ws_tokio::Endpoint>(_: E) {}
/// assert_endpoint(Echo);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Echo;

impl Endpoint for Echo {
    type State = ();

    async fn on_open(&self, _session: &SessionHandle) {}

    async fn on_message(&self, _: &mut (), session: &SessionHandle, message: Message) {
        let _ = session.send(message).await;
    }
}

/// An endpoint that sends every part back as it arrives, without waiting for the
/// whole message: the streaming counterpart of [`Echo`], for messages larger than
/// the buffers (`textBufferSize`, `binaryBufferSize`) and for conformance runs that
/// check fragment by fragment. Text parts go back as text, binary as binary, and the
/// last part ends the echoed message. A send that fails (the session is closing) is
/// dropped: the close callbacks say why.
///
/// ```
/// use ws_tokio::{Endpoint, PartialEcho};
/// use ws_session::Delivery;
///
/// assert_eq!(PartialEcho.text_delivery(), Delivery::Partial);
/// assert_eq!(PartialEcho.binary_delivery(), Delivery::Partial);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct PartialEcho;

impl Endpoint for PartialEcho {
    type State = ();

    async fn on_open(&self, _session: &SessionHandle) {}

    fn text_delivery(&self) -> Delivery {
        Delivery::Partial
    }

    fn binary_delivery(&self) -> Delivery {
        Delivery::Partial
    }

    async fn on_part(
        &self,
        _: &mut (),
        session: &SessionHandle,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) {
        let _ = session.send_part(kind, data, last).await;
    }
}
