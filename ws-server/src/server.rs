//! [`Server`]: what a server is and what can be deployed on it (endpoints, static
//! resources). Serving connections is in `listener.rs`, their opening handshake in
//! `upgrade.rs`, graceful shutdown in `shutdown.rs`.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::watch;
use ws_tokio::{Message, SessionGroup, SessionHandle, Topics};

use crate::builder::ServerBuilder;
use crate::connections::Connections;
use crate::deployment::EndpointSlot;
use crate::error::DeployError;
use crate::route::Router;
use crate::statics::Statics;
use crate::Endpoint;

/// Listen backlog of [`Server::bind`].
pub const LISTEN_BACKLOG: u32 = 4096;

/// Everything a server's clones share.
pub(crate) struct Inner {
    pub(crate) builder: ServerBuilder,
    pub(crate) router: RwLock<Router<Arc<EndpointSlot>>>,
    pub(crate) statics: Statics,
    pub(crate) handshake_started: AtomicBool,
    pub(crate) connections: Arc<Connections>,
    /// Set once shutdown starts.
    pub(crate) stop: watch::Sender<bool>,
    /// Serialises deployment against the first handshake (`noAddAfterHandshake`).
    pub(crate) deploy: Mutex<()>,
    /// The topics its sessions subscribe to.
    pub(crate) topics: Topics,
}

impl Inner {
    pub(crate) fn router(&self) -> std::sync::RwLockReadGuard<'_, Router<Arc<EndpointSlot>>> {
        self.router.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether shutdown has started.
    pub(crate) fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

/// A WebSocket server: endpoints by path, an accept loop, graceful shutdown.
/// Cheap to clone (all clones are the same server).
///
/// See the [crate documentation](crate) for an example.
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::builder().build()
    }
}

impl ServerBuilder {
    /// The server (no endpoints yet: add them with [`Server::add_endpoint`]).
    pub fn build(self) -> Server {
        Server::new(self)
    }
}

impl Server {
    /// A builder with every default.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    fn new(mut builder: ServerBuilder) -> Server {
        let (stop, _) = watch::channel(false);
        if !builder.http2 {
            builder.tls = builder.tls.map(|tls| tls.without_h2());
        }
        let topics = builder.topics.clone().unwrap_or_default();
        Server {
            inner: Arc::new(Inner {
                topics,
                builder,
                router: RwLock::new(Router::default()),
                statics: Statics::default(),
                handshake_started: AtomicBool::new(false),
                connections: Arc::default(),
                stop,
                deploy: Mutex::new(()),
            }),
        }
    }

    /// Deploys `endpoint` at `path`: an exact path (`/echo`) or a URI template with
    /// whole-segment parameters (`/rooms/{room}`). Allowed while the server runs;
    /// refused with [`DeployError::AfterHandshake`] once a handshake has started if
    /// `noAddAfterHandshake` is on, and for invalid or duplicate paths.
    pub fn add_endpoint(&self, path: &str, endpoint: impl Endpoint) -> Result<(), DeployError> {
        let _deploying = self.inner.deploy.lock().unwrap_or_else(|e| e.into_inner());
        if self.inner.builder.settings.no_add_after_handshake
            && self.inner.handshake_started.load(Ordering::Acquire)
        {
            return Err(DeployError::AfterHandshake);
        }
        let slot = Arc::new(EndpointSlot {
            path: path.to_owned(),
            endpoint: Arc::new(endpoint),
            group: Arc::new(SessionGroup::new()),
        });
        self.inner
            .router
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path, slot)?;
        tracing::debug!(path, "endpoint deployed");
        Ok(())
    }

    /// Serves `body` with `content_type` for `GET` and `HEAD` of exactly `path`.
    /// Replaces an earlier resource at the same path.
    pub fn add_static(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Result<(), DeployError> {
        self.inner.statics.insert(path, content_type, body.into())
    }

    /// Serves a health check at `path` for `GET` and `HEAD`: `200` with a JSON
    /// body that reports the server and its broker, computed at each request:
    /// `{"status":"ok","connections":3,"topics":2,"published":9,"delivered":27,
    /// "closed_slow":0,"broker":{"kind":"redis","address":"redis://127.0.0.1:6379",
    /// "state":"connected","published":9,...}}` (`"broker":null` without one). The answer is 200 while the broker is away too: the server
    /// still serves its own subscribers; the `state` says `connecting`.
    pub fn add_health_check(&self, path: &str) -> Result<(), DeployError> {
        let inner = Arc::downgrade(&self.inner);
        let make = move || {
            let body = inner.upgrade().map_or_else(
                || r#"{"status":"stopped"}"#.to_owned(),
                |inner| crate::health::json(&inner.topics, inner.connections.count()),
            );
            Bytes::from(body + "\n")
        };
        self.inner
            .statics
            .insert_computed(path, "application/json", Arc::new(make))
    }

    /// The topics of this server's sessions (see [`Topics`]).
    pub fn topics(&self) -> &Topics {
        &self.inner.topics
    }

    /// Publishes `message` on `topic` to the subscribed sessions of this server and,
    /// with a broker, of the others; returns how many local subscribers got it.
    /// See [`Topics::publish`].
    pub async fn publish(&self, topic: &str, message: impl Into<Message>) -> usize {
        self.inner.topics.publish(topic, message).await
    }

    /// Open connections (handshaking or in a session).
    pub fn connections(&self) -> usize {
        self.inner.connections.count()
    }

    /// Handles of every open session, of every endpoint.
    pub fn open_sessions(&self) -> Vec<SessionHandle> {
        self.inner
            .router()
            .values()
            .flat_map(|slot| slot.group.members())
            .collect()
    }

    /// Binds a TCP listener (port 0 picks a free port; ask the listener for it),
    /// with `SO_REUSEADDR` and a listen backlog of [`LISTEN_BACKLOG`] (the kernel caps
    /// it at `somaxconn`), so bursts of thousands of connects are not dropped.
    pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in tokio::net::lookup_host(addr).await? {
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            #[cfg(unix)]
            socket.set_reuseaddr(true)?;
            match socket
                .bind(addr)
                .and_then(|()| socket.listen(LISTEN_BACKLOG))
            {
                Ok(listener) => return Ok(listener),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }
}
