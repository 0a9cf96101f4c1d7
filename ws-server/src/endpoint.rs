//! The [`Endpoint`] trait: what user code implements, in the JSR-356 spirit.
//!
//! Every callback has a default (do nothing), so an endpoint implements only what it
//! needs. Callbacks are `async`: write them as `async fn` in the `impl` block. The
//! returned futures must be `Send` (hold no `Rc` or `std::sync::MutexGuard` across an
//! `.await`).
//!
//! For one session, callbacks run one at a time and in order, on the task that drives
//! the connection (Tomcat also never calls a session's handlers concurrently). While a
//! callback is pending the connection keeps writing (so awaiting a send inside a
//! callback is fine) and keeps its timers, but reads nothing: a slow callback slows
//! its own peer down, nobody else. Long work belongs in a spawned task holding a
//! clone of the [`SessionHandle`].
//!
//! Callbacks are not boxed. The server runs each session with a driver built for the
//! endpoint's own type, and a running `on_message`, `on_part` or `on_pong` future
//! lives in place in the connection's task: no allocation per call, but its size
//! counts in every connection's memory, idle or not (the demo echo's: 208 bytes). A
//! callback that keeps large state across `.await`s can box it itself
//! (`Box::pin(async move { ... }).await`). `on_open`, `on_error` and `on_close` run
//! once per session and are boxed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::TcpStream;
use tracing::Instrument;
use ws_session::{CloseInfo, Delivery, Message, MessageKind, SessionConfig};

use crate::error::Error;
use crate::handle::SessionHandle;
use crate::io::Conn;
use crate::server::{ConnectionGuard, Opened};
use tokio_util::either::Either;

/// A WebSocket endpoint: deploy it at a path with
/// [`Server::add_endpoint`](crate::Server::add_endpoint).
///
/// # Example
///
/// ```
/// use ws_server::{Endpoint, Message, SessionHandle};
///
/// struct Echo;
///
/// impl Endpoint for Echo {
///     async fn on_message(&self, session: &SessionHandle, message: Message) {
///         // Queues the echo; waits only if the peer is far behind (backpressure).
///         let _ = session.send(message).await;
///     }
/// }
/// ```
pub trait Endpoint: Send + Sync + 'static {
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

    /// Subprotocols this endpoint speaks, in the server's order of preference. The
    /// default choice ([`select_protocol`](Self::select_protocol)) is the first one
    /// in the client's list that appears here (Tomcat's rule).
    fn protocols(&self) -> Vec<String> {
        Vec::new()
    }

    /// Picks the subprotocol from the client's offer: the index of the chosen one, or
    /// `None` for no subprotocol. Only an offered protocol can be chosen.
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

    /// The session is open. If this completes without waiting (no pending
    /// `.await`), it runs before the 101 is written: a client that sees the 101 knows
    /// `on_open` has run, and what it sent follows right after the 101. If it waits,
    /// the 101 is written first (so it may await flushed sends).
    fn on_open(&self, session: &SessionHandle) -> impl Future<Output = ()> + Send {
        let _ = session;
        async {}
    }

    /// A whole message (types with [`Delivery::Whole`]).
    fn on_message(
        &self,
        session: &SessionHandle,
        message: Message,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, message);
        async {}
    }

    /// A part of a message (types with [`Delivery::Partial`]); `last` ends the
    /// message. Text parts are whole UTF-8 characters.
    fn on_part(
        &self,
        session: &SessionHandle,
        kind: MessageKind,
        data: Bytes,
        last: bool,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, kind, data, last);
        async {}
    }

    /// A pong arrived (pings are answered automatically).
    fn on_pong(&self, session: &SessionHandle, payload: Bytes) -> impl Future<Output = ()> + Send {
        let _ = (session, payload);
        async {}
    }

    /// Something failed: a protocol error by the peer (the mapped close code was
    /// sent), an I/O error. [`on_close`](Self::on_close) follows.
    fn on_error(&self, session: &SessionHandle, error: &Error) -> impl Future<Output = ()> + Send {
        let _ = (session, error);
        async {}
    }

    /// The session closed: `close.code`, `close.reason` and `close.initiator` say how
    /// (1006 for timeouts, lost connections and failures, whatever went on the wire).
    /// Called exactly once per opened session; no callback follows.
    fn on_close(
        &self,
        session: &SessionHandle,
        close: &CloseInfo,
    ) -> impl Future<Output = ()> + Send {
        let _ = (session, close);
        async {}
    }
}

/// A boxed callback future.
pub(crate) type BoxFut<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The object-safe form of [`Endpoint`] the server stores: what the handshake
/// needs, and two ways to run a session ([`drive`](Self::drive) in place,
/// [`spawn_tcp`](Self::spawn_tcp) in a task of its own), both with a driver made for
/// the endpoint's own type (its callbacks are called, and kept while they wait,
/// without boxing).
pub(crate) trait DynEndpoint: Send + Sync + 'static {
    fn text_delivery(&self) -> Delivery;
    fn binary_delivery(&self) -> Delivery;
    fn select_protocol(&self, offered: &[String]) -> Option<usize>;
    fn session_config(&self, config: SessionConfig) -> SessionConfig;
    /// Runs an opened session on `stream` to its end.
    fn drive<'a>(&'a self, stream: Conn<'a>, opened: Opened) -> BoxFut<'a>;
    /// Runs an opened session on plain TCP in a task of its own, which holds just
    /// the driver (an idle connection keeps the least); `guard` and `span` live as
    /// long as the session.
    fn spawn_tcp(
        self: Arc<Self>,
        tcp: TcpStream,
        opened: Opened,
        guard: ConnectionGuard,
        span: tracing::Span,
    );
}

impl<E: Endpoint> DynEndpoint for E {
    fn text_delivery(&self) -> Delivery {
        Endpoint::text_delivery(self)
    }
    fn binary_delivery(&self) -> Delivery {
        Endpoint::binary_delivery(self)
    }
    fn select_protocol(&self, offered: &[String]) -> Option<usize> {
        Endpoint::select_protocol(self, offered)
    }
    fn session_config(&self, config: SessionConfig) -> SessionConfig {
        Endpoint::session_config(self, config)
    }
    fn drive<'a>(&'a self, stream: Conn<'a>, opened: Opened) -> BoxFut<'a> {
        Box::pin(crate::driver::run(self, stream, opened))
    }
    fn spawn_tcp(
        self: Arc<Self>,
        mut tcp: TcpStream,
        opened: Opened,
        guard: ConnectionGuard,
        span: tracing::Span,
    ) {
        let session = async move {
            let _guard = guard;
            let conn: Conn<'_> = Either::Left(&mut tcp);
            crate::driver::run(&*self, conn, opened).await;
        };
        tokio::spawn(session.instrument(span));
    }
}
