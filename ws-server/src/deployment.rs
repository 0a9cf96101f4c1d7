//! A deployed endpoint: [`EndpointSlot`] (the endpoint, its path and its open
//! sessions) and [`DynEndpoint`], the object-safe form the router stores.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::net::TcpStream;
use tracing::Instrument;
use ws_session::{Delivery, SessionConfig};
use ws_tokio::{Endpoint, Opened, SessionGroup};

use crate::conn::Conn;
use crate::connections::ConnectionGuard;

/// One deployed endpoint and its open sessions.
pub(crate) struct EndpointSlot {
    /// The path it was deployed at (`/rooms/{room}`).
    pub(crate) path: String,
    pub(crate) endpoint: Arc<dyn DynEndpoint>,
    /// Its open sessions (`SessionHandle::open_sessions`).
    pub(crate) group: Arc<SessionGroup>,
}

/// A boxed session future.
pub(crate) type BoxFut<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The object-safe form of [`Endpoint`] the server stores: what the handshake needs,
/// and two ways to run a session ([`run`](Self::run) in place,
/// [`spawn_tcp`](Self::spawn_tcp) in a task of its own), both with a driver made for
/// the endpoint's own type (its callbacks are called, and kept while they wait,
/// without boxing).
pub(crate) trait DynEndpoint: Send + Sync + 'static {
    fn text_delivery(&self) -> Delivery;
    fn binary_delivery(&self) -> Delivery;
    fn select_protocol(&self, offered: &[String]) -> Option<usize>;
    fn session_config(&self, config: SessionConfig) -> SessionConfig;
    /// Runs an opened session on `stream` to its end.
    fn run<'a>(&'a self, stream: Conn<'a>, opened: Opened) -> BoxFut<'a>;
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
    fn run<'a>(&'a self, stream: Conn<'a>, opened: Opened) -> BoxFut<'a> {
        Box::pin(opened.run(self, stream))
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
            let conn: Conn<'_> = tokio_util::either::Either::Left(&mut tcp);
            opened.run(&*self, conn).await;
        };
        tokio::spawn(session.instrument(span));
    }
}
