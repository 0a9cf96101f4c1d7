//! [`Server`]: deployment (endpoints, static resources), the accept loop, the
//! handshake of each connection, and graceful shutdown.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tracing::Instrument;
use ws_config::ServerSettings;
use ws_frame::CloseCode;
use ws_handshake::{error_response, Limits, ServerConfig, StatusCode, UpgradeRequest};
use ws_session::{Session, SessionConfig};

use crate::endpoint::Endpoint;
use crate::error::{DeployError, Error};
use crate::handle::{EndpointSlot, SessionHandle, SessionInit};
use crate::origin::OriginPolicy;
use crate::request::{read_request, Request};
use crate::route::Router;
use crate::tls::TlsConfig;
use tokio_util::either::Either;

/// Default time a client has to complete its opening handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Listen backlog of [`Server::bind`].
pub const LISTEN_BACKLOG: u32 = 4096;

/// Builds a [`Server`]; every setting has a default.
#[derive(Clone, Debug)]
pub struct ServerBuilder {
    session: SessionConfig,
    settings: ServerSettings,
    handshake_timeout: Duration,
    limits: Limits,
    origin: OriginPolicy,
    deflate: ws_handshake::DeflateConfig,
    tls: Option<TlsConfig>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        let settings = ServerSettings::default();
        ServerBuilder {
            session: SessionConfig::default()
                .with_text_buffer_size(settings.text_buffer_size)
                .with_binary_buffer_size(settings.binary_buffer_size),
            settings,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            limits: Limits::default(),
            origin: OriginPolicy::default(),
            deflate: ws_handshake::DeflateConfig::default(),
            tls: None,
        }
    }
}

impl ServerBuilder {
    /// Takes the Tomcat keys of a resolved [`ws_config::Config`]: the session
    /// configuration (buffer sizes, timeouts) and the server settings
    /// (`noAddAfterHandshake`, `BLOCKING_SEND_TIMEOUT`).
    pub fn config(self, config: &ws_config::Config) -> Self {
        self.session_config(config.session_config())
            .settings(config.server_settings())
    }

    /// The base session configuration of every session (endpoints may adjust it in
    /// [`Endpoint::session_config`]).
    pub fn session_config(mut self, config: SessionConfig) -> Self {
        self.session = config;
        self
    }

    /// Server settings: `noAddAfterHandshake`, `BLOCKING_SEND_TIMEOUT` (the buffer
    /// sizes in it are applied through [`session_config`](Self::session_config)).
    pub fn settings(mut self, settings: ServerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Time a client has for its opening handshake (TLS included); default 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Bounds on the request head (default 8 KiB, 100 fields; 431 beyond).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The origin policy (default: [`OriginPolicy::same_origin`]).
    pub fn origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origin = policy;
        self
    }

    /// Allows every `Origin` (Tomcat's default; see [`OriginPolicy`]).
    pub fn allow_any_origin(self) -> Self {
        self.origin_policy(OriginPolicy::allow_any_origin())
    }

    /// Turns permessage-deflate on (default) or off.
    pub fn deflate(mut self, on: bool) -> Self {
        self.deflate.enabled = on;
        self
    }

    /// The permessage-deflate negotiation policy.
    pub fn deflate_config(mut self, config: ws_handshake::DeflateConfig) -> Self {
        self.deflate = config;
        self
    }

    /// Serves `wss://` with this TLS configuration.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The server (no endpoints yet: add them with [`Server::add_endpoint`]).
    pub fn build(self) -> Server {
        let (stop, _) = watch::channel(false);
        Server {
            inner: Arc::new(Inner {
                builder: self,
                router: RwLock::new(Router::default()),
                statics: RwLock::new(HashMap::new()),
                handshake_started: AtomicBool::new(false),
                next_id: AtomicU64::new(1),
                connections: AtomicUsize::new(0),
                connection_ended: Notify::new(),
                stop,
                deploy: Mutex::new(()),
            }),
        }
    }
}

struct Inner {
    builder: ServerBuilder,
    router: RwLock<Router<Arc<EndpointSlot>>>,
    statics: RwLock<HashMap<String, (String, Bytes)>>,
    handshake_started: AtomicBool,
    next_id: AtomicU64,
    connections: AtomicUsize,
    connection_ended: Notify,
    stop: watch::Sender<bool>,
    /// Serialises deployment against the first handshake (`noAddAfterHandshake`).
    deploy: Mutex<()>,
}

/// A WebSocket server: endpoints by path, an accept loop, graceful shutdown.
/// Cheap to clone (all clones are the same server).
///
/// See the [crate documentation](crate) for an example.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
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

/// A session accepted by the handshake, ready for its driver.
pub(crate) struct Opened {
    pub(crate) handle: SessionHandle,
    /// The 101 response, not written yet.
    pub(crate) response: Vec<u8>,
    /// Bytes the client sent after its request head.
    pub(crate) leftover: Vec<u8>,
}

/// Counts a connection while it lives: the count drops with the guard (shutdown
/// waits for zero).
pub(crate) struct ConnectionGuard(Arc<Inner>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
        self.0.connection_ended.notify_waiters();
    }
}

impl Server {
    /// A builder with every default.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
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
            sessions: Mutex::new(HashMap::new()),
        });
        self.inner
            .router
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path, slot)?;
        tracing::debug!(path, "endpoint deployed");
        Ok(())
    }

    /// Serves `body` with `content_type` for plain `GET`s of exactly `path` (other
    /// plain requests get 404). Replaces an earlier resource at the same path.
    pub fn add_static(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Result<(), DeployError> {
        if !path.starts_with('/') || path.bytes().any(|b| !b.is_ascii_graphic() || b == b'?') {
            return Err(DeployError::InvalidPath(
                path.to_owned(),
                "must start with '/' and be visible ASCII without '?'",
            ));
        }
        if content_type.bytes().any(|b| b.is_ascii_control()) {
            return Err(DeployError::InvalidPath(
                path.to_owned(),
                "content type has control characters",
            ));
        }
        self.inner
            .statics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), (content_type.to_owned(), body.into()));
        Ok(())
    }

    /// Open connections (handshaking or in a session).
    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::Acquire)
    }

    /// Handles of every open session, of every endpoint.
    pub fn open_sessions(&self) -> Vec<SessionHandle> {
        let router = self.inner.router.read().unwrap_or_else(|e| e.into_inner());
        router
            .values()
            .flat_map(|slot| slot.sessions().values().cloned().collect::<Vec<_>>())
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

    /// Accepts connections until [`shutdown`](Self::shutdown) starts; each connection
    /// runs in its own task (TLS first when configured).
    pub async fn serve(self, listener: TcpListener) -> io::Result<()> {
        let mut stop = self.inner.stop.subscribe();
        let local = listener.local_addr()?;
        tracing::info!(%local, tls = self.inner.builder.tls.is_some(), "accepting");
        loop {
            if *stop.borrow() {
                break;
            }
            let (tcp, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(pair) => pair,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            let _ = tcp.set_nodelay(true);
            let server = self.clone();
            tokio::spawn(async move { server.serve_tcp(tcp, peer).await });
        }
        tracing::info!(%local, "stopped accepting");
        Ok(())
    }

    async fn serve_tcp(self, tcp: tokio::net::TcpStream, peer: SocketAddr) {
        let span = tracing::debug_span!("conn", %peer);
        span.in_scope(|| tracing::debug!("accepted"));
        match self.inner.builder.tls.clone() {
            None => {
                let guard = self.count_connection();
                let mut tcp = tcp;
                let opened = self.open(&mut tcp).instrument(span.clone()).await;
                if let Some(opened) = opened {
                    // The session gets a task of its own, holding just the driver: this
                    // task, with the handshake's state, ends here.
                    let endpoint = Arc::clone(&opened.handle.shared.slot.endpoint);
                    endpoint.spawn_tcp(tcp, opened, guard, span);
                }
            }
            // Boxed: TLS state is large, and plain connections should not carry its
            // size in their task.
            Some(tls) => Box::pin(self.serve_tls(tcp, tls).instrument(span)).await,
        }
    }

    async fn serve_tls(self, tcp: tokio::net::TcpStream, tls: TlsConfig) {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
        let timeout = self.inner.builder.handshake_timeout;
        match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => self.serve_connection(stream).await,
            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        }
    }

    /// Serves one connection on any transport (already accepted, TLS done if any):
    /// reads the opening request under the handshake timeout, answers it (101,
    /// static resource, or an error status), and runs the session to its end.
    pub async fn serve_connection<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let _guard = self.count_connection();
        let mut stream = stream;
        if let Some(opened) = self.open(&mut stream).await {
            let slot = Arc::clone(&opened.handle.shared.slot);
            slot.endpoint
                .drive(Either::Right(&mut stream), opened)
                .await;
        }
    }

    /// Counts a connection until the guard drops (shutdown waits for the count).
    fn count_connection(&self) -> ConnectionGuard {
        self.inner.connections.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(Arc::clone(&self.inner))
    }

    /// The opening handshake under its timeout (refused with 503 once shutdown has
    /// started): `Some` for an opened session, `None` when the connection is done
    /// (answered, refused, failed).
    async fn open<S>(&self, stream: &mut S) -> Option<Opened>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        if *self.inner.stop.borrow() {
            refuse_during_shutdown(stream).await;
            return None;
        }
        let timeout = self.inner.builder.handshake_timeout;
        let mut stop = self.inner.stop.subscribe();
        // The handshake's state is boxed: it is large and only lives until the 101.
        let opened = tokio::select! {
            r = tokio::time::timeout(timeout, Box::pin(self.handshake(stream))) => match r {
                Ok(r) => r,
                Err(_) => Err(Error::HandshakeTimeout),
            },
            _ = stop.changed() => {
                refuse_during_shutdown(stream).await;
                return None;
            }
        };
        match opened {
            Ok(opened) => opened,
            Err(e) => {
                tracing::debug!(error = %e, "handshake failed");
                None
            }
        }
    }

    /// Reads the request and answers it; `Some` for an opened session.
    async fn handshake<S>(&self, stream: &mut S) -> Result<Option<Opened>, Error>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let b = &self.inner.builder;
        match read_request(stream, b.limits).await? {
            Request::Eof => Ok(None),
            Request::Plain(method, path) => {
                self.answer_plain(stream, &method, &path).await?;
                Ok(None)
            }
            Request::Rejected(e) => {
                tracing::debug!(status = e.status().0, error = %e, "upgrade refused");
                stream.write_all(&e.response()).await?;
                Err(Error::Handshake(e))
            }
            Request::Upgrade(upgrade) => self.upgrade(stream, upgrade).await,
        }
    }

    async fn answer_plain<S>(&self, stream: &mut S, method: &str, path: &str) -> io::Result<()>
    where
        S: AsyncWrite + Unpin,
    {
        let found = if method == "GET" || method == "HEAD" {
            self.inner
                .statics
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(path)
                .cloned()
        } else {
            None
        };
        let Some((content_type, body)) = found else {
            tracing::debug!(method, path, "no such resource");
            return stream
                .write_all(&error_response(StatusCode::NOT_FOUND, &[]))
                .await;
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        if method == "GET" {
            stream.write_all(&body).await?;
        }
        stream.flush().await
    }

    async fn upgrade<S>(
        &self,
        stream: &mut S,
        upgrade: UpgradeRequest,
    ) -> Result<Option<Opened>, Error>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let b = &self.inner.builder;
        {
            let _deploying = self.inner.deploy.lock().unwrap_or_else(|e| e.into_inner());
            self.inner.handshake_started.store(true, Ordering::Release);
        }
        let refuse = |status: StatusCode| error_response(status, &[]);
        if *self.inner.stop.borrow() {
            stream
                .write_all(&refuse(StatusCode::SERVICE_UNAVAILABLE))
                .await?;
            return Ok(None);
        }
        let route = self
            .inner
            .router
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .lookup(upgrade.path());
        let Some((slot, params)) = route else {
            tracing::debug!(path = upgrade.path(), "no endpoint");
            stream.write_all(&refuse(StatusCode::NOT_FOUND)).await?;
            return Err(Error::NotFound(upgrade.path().to_owned()));
        };
        if let Err(e) = upgrade.check_origin(|o| b.origin.allows(o, upgrade.host())) {
            tracing::debug!(origin = ?upgrade.origin(), "origin refused");
            stream.write_all(&e.response()).await?;
            return Err(Error::Handshake(e));
        }
        let endpoint = &slot.endpoint;
        let config = ServerConfig {
            limits: b.limits,
            protocols: Vec::new(),
            deflate: b.deflate,
        };
        let accepted = upgrade.accept_with(&config, |offered| endpoint.select_protocol(offered));
        let session_config = endpoint
            .session_config(b.session.clone())
            .with_text_delivery(endpoint.text_delivery())
            .with_binary_delivery(endpoint.binary_delivery())
            .with_deflate(accepted.deflate.as_ref().map(deflate_config));
        // The 101 is written by the driver, after `on_open` if that completes at once.
        let response = accepted.response();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(id, path = upgrade.path(), protocol = ?accepted.protocol,
            deflate = accepted.deflate.is_some(), "session opened");
        let session = Session::server(session_config, Instant::now());
        let target = upgrade.target().to_owned();
        let path_len = upgrade.path().len();
        let handle = SessionHandle::new(
            SessionInit {
                id,
                target,
                path_len,
                params,
                protocol: accepted.protocol,
                deflate: accepted.deflate,
                blocking_timeout: b.settings.blocking_send_timeout,
                slot: Arc::clone(&slot),
            },
            session,
        );
        slot.sessions().insert(id, handle.clone());
        Ok(Some(Opened {
            handle,
            response,
            leftover: upgrade.leftover().to_vec(),
        }))
    }

    /// Graceful shutdown: stops accepting, refuses new handshakes (503), sends 1001
    /// to every session, waits up to `grace` for the sessions to finish their close
    /// handshakes, then drops the connections that remain.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.stop.send_replace(true);
        let sessions = self.open_sessions();
        tracing::info!(sessions = sessions.len(), "shutting down");
        for s in &sessions {
            let _ = s.close(CloseCode::GOING_AWAY, "server shutting down");
        }
        let deadline = tokio::time::Instant::now() + grace;
        if !self.wait_connections(deadline).await {
            let left = self.open_sessions();
            tracing::info!(
                sessions = left.len(),
                "grace period over: dropping connections"
            );
            for s in left {
                s.shared.lock().kill = true;
                s.shared.wake.notify();
            }
            let _ = self
                .wait_connections(tokio::time::Instant::now() + Duration::from_secs(1))
                .await;
        }
    }

    /// Waits until no connection is left or `deadline`; true if none is left.
    async fn wait_connections(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            let ended = self.inner.connection_ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.connections() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return self.connections() == 0;
            }
        }
    }
}

/// Answers a connection whose handshake the shutdown interrupted (or that arrived
/// as it began) with 503, so the client knows to retry elsewhere rather than seeing
/// a reset; best effort, for at most a second.
async fn refuse_during_shutdown<S: AsyncWrite + Unpin>(stream: &mut S) {
    tracing::debug!("handshake refused: shutting down");
    let response = error_response(StatusCode::SERVICE_UNAVAILABLE, &[]);
    let refuse = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), refuse).await;
}

/// The negotiated permessage-deflate parameters as the session's configuration.
pub(crate) fn deflate_config(p: &ws_handshake::DeflateParams) -> ws_session::DeflateConfig {
    ws_session::DeflateConfig::default()
        .with_server_no_context_takeover(p.server_no_context_takeover)
        .with_client_no_context_takeover(p.client_no_context_takeover)
        .with_server_max_window_bits(p.server_window_bits())
        .with_client_max_window_bits(p.client_window_bits())
}
