//! The opening phase: connection (TCP, proxy tunnel, TLS, HTTP/2 or HTTP/1.1),
//! upgrade request (a `GET` with `Upgrade`, or an extended CONNECT on an HTTP/2
//! stream), and the response policy (redirects, authentication) for both, each
//! I/O step under `IO_TIMEOUT_MS`.

use std::collections::HashSet;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::net::TcpStream;
use ws_handshake::auth::{answer_challenges, DigestRequest};
use ws_handshake::{ClientRequest, DeflateOffer, Established, Outcome, StatusCode, WsUri};

use crate::config::ClientConfig;
use crate::error::{ConnectError, Step};
use crate::http2::{self, Http2};
use crate::proxy::ProxyAddr;
use crate::redirect;
use crate::rng;
use crate::steps::{read_head, tcp_connect, write_all};
use crate::tls;
use crate::transport::Transport;

/// A completed upgrade.
pub(crate) struct Upgraded {
    pub(crate) transport: Transport,
    pub(crate) established: Established,
    /// Bytes after the response head: the first frames.
    pub(crate) leftover: Vec<u8>,
    /// The request target (path and query) of the URI that accepted, after
    /// redirects.
    pub(crate) target: String,
}

/// Headers that carry credentials: sent only to the origin of the URI given to
/// `connect`.
fn is_credential_header(name: &str) -> bool {
    ["Authorization", "Cookie", "Proxy-Authorization"]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Opens the connection and performs the upgrade, following redirects and
/// answering one 401.
pub(crate) async fn open(uri: &str, config: &ClientConfig) -> Result<Upgraded, ConnectError> {
    let settings = &config.settings;
    let first = WsUri::parse(uri).map_err(ConnectError::Request)?;
    let home = redirect::origin(&first);
    let mut current = uri.to_owned();
    let mut visited = HashSet::from([redirect::canonical(&first)]);
    let mut redirects = 0u32;
    let mut authorization: Option<String> = None;
    loop {
        let target = WsUri::parse(&current).map_err(ConnectError::Request)?;
        let at_home = redirect::origin(&target) == home;
        let request = build_request(&current, config, at_home, authorization.as_deref())?;
        let connection = connection(&target, config).await?;
        let over_h2 = matches!(connection, Connection::Http2(..));
        let (outcome, transport, leftover) = match connection {
            Connection::Http1(mut transport) => {
                write_all(
                    &mut transport,
                    &request.to_bytes(),
                    Step::WriteRequest,
                    settings.io_timeout,
                )
                .await?;
                let mut reader = request.handshake(settings.response_limits());
                let (outcome, leftover) = read_head(
                    &mut transport,
                    &mut reader,
                    Step::ReadResponse,
                    settings.io_timeout,
                    ConnectError::Handshake,
                )
                .await?;
                (outcome, Some(transport), leftover)
            }
            Connection::Http2(shared, key) => {
                let limits = settings.response_limits();
                match http2::open_stream(&shared, &request, limits, settings.io_timeout).await {
                    Ok((outcome, stream)) => {
                        let transport = stream.map(|s| Transport::Http2(Box::new(s)));
                        (outcome, transport, Vec::new())
                    }
                    Err(e) => {
                        // A connection that failed is not offered again.
                        config.pool.remove(&key);
                        return Err(e);
                    }
                }
            }
        };
        match outcome {
            Outcome::Accepted(established) => {
                let transport = transport.ok_or(ConnectError::Closed(Step::ReadResponse))?;
                return Ok(Upgraded {
                    transport,
                    established,
                    leftover,
                    target: target.target,
                });
            }
            Outcome::Redirect(r) => {
                if settings.max_redirections == 0 {
                    return Err(ConnectError::RedirectsDisabled {
                        status: r.status.0,
                        location: r.location,
                    });
                }
                redirects += 1;
                if redirects > settings.max_redirections {
                    return Err(ConnectError::TooManyRedirects(settings.max_redirections));
                }
                let next = redirect::resolve(&target, &r.location)
                    .ok_or_else(|| ConnectError::BadRedirect(r.location.clone()))?;
                let next_uri =
                    WsUri::parse(&next).map_err(|_| ConnectError::BadRedirect(next.clone()))?;
                if !visited.insert(redirect::canonical(&next_uri)) {
                    return Err(ConnectError::RedirectLoop(next));
                }
                tracing::debug!(status = r.status.0, to = %next, "following redirect");
                // A computed Authorization answered one challenge for one URI.
                authorization = None;
                current = next;
            }
            Outcome::Challenge(c) if c.status == StatusCode::UNAUTHORIZED => {
                if authorization.is_some() {
                    return Err(ConnectError::AuthenticationFailed);
                }
                // Configured credentials answer only the origin they were given for.
                let creds = settings
                    .credentials
                    .as_ref()
                    .filter(|_| at_home)
                    .ok_or(ConnectError::AuthenticationRequired)?;
                let cnonce = rng::cnonce();
                let digest = DigestRequest {
                    // The request's method: an HTTP/2 WebSocket is a CONNECT.
                    method: if over_h2 { "CONNECT" } else { "GET" },
                    uri: &target.target,
                    cnonce: &cnonce,
                    nc: 1,
                };
                let value = answer_challenges(&c.challenges, &creds.into(), &digest)
                    .map_err(ConnectError::Auth)?;
                authorization = Some(value);
            }
            Outcome::Challenge(c) => {
                return Err(ConnectError::Rejected {
                    status: c.status.0,
                    reason: c.status.reason().to_owned(),
                })
            }
            Outcome::Rejected(r) => {
                return Err(ConnectError::Rejected {
                    status: r.status.0,
                    reason: r.reason,
                })
            }
        }
    }
}

fn build_request(
    uri: &str,
    config: &ClientConfig,
    at_home: bool,
    authorization: Option<&str>,
) -> Result<ClientRequest, ConnectError> {
    let mut request =
        ClientRequest::new(uri, rng::handshake_nonce()).map_err(ConnectError::Request)?;
    for p in &config.protocols {
        request = request
            .protocol(p.as_str())
            .map_err(ConnectError::Request)?;
    }
    if config.deflate {
        request = request.deflate(DeflateOffer {
            client_max_window_bits: Some(ws_handshake::ClientMaxWindowBits::Supported),
            ..DeflateOffer::default()
        });
    }
    let mut has_origin = false;
    for (name, value) in &config.headers {
        if is_credential_header(name) && !at_home {
            continue;
        }
        if authorization.is_some() && name.eq_ignore_ascii_case("Authorization") {
            continue;
        }
        has_origin |= name.eq_ignore_ascii_case("Origin");
        request = request.header(name, value).map_err(ConnectError::Request)?;
    }
    if let (false, Some(origin)) = (has_origin, &config.settings.default_origin) {
        request = request
            .header("Origin", origin)
            .map_err(ConnectError::Request)?;
    }
    if let Some(value) = authorization {
        request = request
            .header("Authorization", value)
            .map_err(ConnectError::Request)?;
    }
    Ok(request)
}

/// How the request goes out: on a connection of its own (HTTP/1.1) or on a new
/// stream of a shared HTTP/2 connection (with its pool key).
enum Connection {
    Http1(Transport),
    Http2(SendRequest<Bytes>, String),
}

/// The pool key of `target` reached through `proxy`: WebSockets share an HTTP/2
/// connection only when all of these agree.
fn pool_key(target: &WsUri, proxy: Option<&ProxyAddr>) -> String {
    let scheme = if target.secure { "wss" } else { "ws" };
    let via = proxy.map_or(String::new(), |p| format!(" via {}:{}", p.host, p.port));
    format!(
        "{scheme}://{}:{}{via}",
        target.host.to_ascii_lowercase(),
        target.port
    )
}

/// A connection for `target`: a pooled HTTP/2 connection, a new one (ALPN `h2`
/// with extended CONNECT, or prior knowledge when asked), or HTTP/1.1 (TCP,
/// through a proxy tunnel, TLS for `wss`).
async fn connection(target: &WsUri, config: &ClientConfig) -> Result<Connection, ConnectError> {
    let settings = &config.settings;
    let after = settings.io_timeout;
    let proxy = config.proxy.for_target(target)?;
    let try_h2 = match config.http2 {
        Http2::Off => false,
        Http2::Prefer => true,
        _ => target.secure,
    };
    let key = pool_key(target, proxy.as_ref());
    if try_h2 {
        if let Some(shared) = config.pool.get(&key) {
            return Ok(Connection::Http2(shared, key));
        }
    }
    // Build the TLS configuration first: a bad trust store fails before any I/O.
    let tls_config = if target.secure {
        Some(tls::rustls_config(&settings.tls, try_h2)?)
    } else {
        None
    };
    let tcp = tcp_or_tunnel(target, proxy.as_ref(), config).await?;
    let limits = settings.response_limits();
    let Some(tls_config) = tls_config else {
        if !try_h2 {
            return Ok(Connection::Http1(Transport::Plain(tcp)));
        }
        // Prior knowledge; a server that does not speak HTTP/2 (or not WebSockets
        // over it) gets a new HTTP/1.1 connection.
        match http2::handshake(tcp, limits, after).await {
            Ok(Some(pooled)) => {
                let shared = pooled.requests.clone();
                config.pool.put(key.clone(), pooled);
                return Ok(Connection::Http2(shared, key));
            }
            Ok(None) => tracing::debug!("no extended CONNECT: HTTP/1.1"),
            Err(e) => tracing::debug!(error = %e, "no HTTP/2 with prior knowledge: HTTP/1.1"),
        }
        let tcp = tcp_or_tunnel(target, proxy.as_ref(), config).await?;
        return Ok(Connection::Http1(Transport::Plain(tcp)));
    };
    let host = target.connect_host();
    let stream = tls::handshake(tls_config, host, tcp, after).await?;
    if !(try_h2 && stream.get_ref().1.alpn_protocol() == Some(tls::ALPN_H2)) {
        return Ok(Connection::Http1(Transport::Tls(Box::new(stream))));
    }
    if let Some(pooled) = http2::handshake(stream, limits, after).await? {
        let shared = pooled.requests.clone();
        config.pool.put(key.clone(), pooled);
        return Ok(Connection::Http2(shared, key));
    }
    // HTTP/2 without extended CONNECT: a new connection that offers HTTP/1.1 only.
    tracing::debug!("the server chose h2 without extended CONNECT: HTTP/1.1");
    let tls_config = tls::rustls_config(&settings.tls, false)?;
    let tcp = tcp_or_tunnel(target, proxy.as_ref(), config).await?;
    let stream = tls::handshake(tls_config, host, tcp, after).await?;
    Ok(Connection::Http1(Transport::Tls(Box::new(stream))))
}

/// TCP to the server, directly or through a proxy tunnel.
async fn tcp_or_tunnel(
    target: &WsUri,
    proxy: Option<&ProxyAddr>,
    config: &ClientConfig,
) -> Result<TcpStream, ConnectError> {
    let settings = &config.settings;
    match proxy {
        Some(proxy) => crate::proxy::tunnel(proxy, target, settings).await,
        None => tcp_connect(target.connect_host(), target.port, settings.io_timeout).await,
    }
}
