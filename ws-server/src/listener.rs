//! Serving connections: the accept loop ([`Server::serve`]), TLS (ALPN `h2` goes to
//! `http2.rs`), and one connection on any transport ([`Server::serve_connection`]),
//! HTTP/1.1 or, recognised by its preface, HTTP/2.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::either::Either;
use tracing::Instrument;

use crate::http2::is_h2;
use crate::prefixed::Prefixed;
use crate::server::Server;
use crate::tls::TlsConfig;
use crate::upgrade::{open, Opening, Upgraded};

impl Server {
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

    async fn serve_tcp(self, tcp: TcpStream, peer: SocketAddr) {
        let span = tracing::debug_span!("conn", %peer);
        span.in_scope(|| tracing::debug!("accepted"));
        match self.inner.builder.tls.clone() {
            None => {
                let guard = self.inner.connections.open();
                let mut tcp = tcp;
                match open(&self.inner, &mut tcp).instrument(span.clone()).await {
                    Opening::Session(Upgraded { slot, opened }) => {
                        // The session gets a task of its own, holding just the driver:
                        // this task, with the handshake's state, ends here.
                        Arc::clone(&slot.endpoint).spawn_tcp(tcp, opened, guard, span);
                    }
                    // Prior knowledge: HTTP/2 from the first byte.
                    Opening::Http2(prefix) => {
                        let h2 = self.serve_h2(Prefixed::new(prefix, tcp));
                        Box::pin(h2.instrument(span)).await;
                        drop(guard);
                    }
                    Opening::Done => {}
                }
            }
            // Boxed: TLS state is large, and plain connections should not carry its
            // size in their task.
            Some(tls) => Box::pin(self.serve_tls(tcp, tls).instrument(span)).await,
        }
    }

    async fn serve_tls(self, tcp: TcpStream, tls: TlsConfig) {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
        let timeout = self.inner.builder.handshake_timeout;
        match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
            Ok(Ok(stream)) if is_h2(stream.get_ref().1.alpn_protocol()) => {
                let _guard = self.inner.connections.open();
                self.serve_h2(stream).await;
            }
            Ok(Ok(stream)) => self.serve_connection(stream).await,
            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        }
    }

    /// Serves one connection on any transport (already accepted, TLS done if any):
    /// reads the opening request under the handshake timeout, answers it (101,
    /// static resource, or an error status), and runs the session to its end. A
    /// connection that starts with the HTTP/2 preface is served as HTTP/2.
    pub async fn serve_connection<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let _guard = self.inner.connections.open();
        let mut stream = stream;
        match open(&self.inner, &mut stream).await {
            Opening::Session(Upgraded { slot, opened }) => {
                slot.endpoint.run(Either::Right(&mut stream), opened).await;
            }
            Opening::Http2(prefix) => {
                Box::pin(self.clone().serve_h2(Prefixed::new(prefix, &mut stream))).await;
            }
            Opening::Done => {}
        }
    }
}
