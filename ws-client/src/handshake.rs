//! The opening phase: transport (TCP, proxy tunnel, TLS), upgrade request, and the
//! response policy (redirects, authentication), each I/O step under `IO_TIMEOUT_MS`.

use std::collections::HashSet;

use ws_handshake::auth::{answer_challenges, DigestRequest};
use ws_handshake::{ClientRequest, DeflateOffer, Established, Outcome, StatusCode, WsUri};

use crate::config::ClientConfig;
use crate::error::{ConnectError, Step};
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
        let mut transport = transport(&target, config).await?;
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
        match outcome {
            Outcome::Accepted(established) => {
                return Ok(Upgraded {
                    transport,
                    established,
                    leftover,
                    target: target.target,
                })
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
                    method: "GET",
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

/// TCP (direct or through a proxy tunnel), then TLS for `wss`.
async fn transport(target: &WsUri, config: &ClientConfig) -> Result<Transport, ConnectError> {
    let settings = &config.settings;
    // Build the TLS configuration first: a bad trust store fails before any I/O.
    let tls_config = if target.secure {
        Some(tls::rustls_config(&settings.tls)?)
    } else {
        None
    };
    let tcp = match config.proxy.for_target(target)? {
        Some(proxy) => crate::proxy::tunnel(&proxy, target, settings).await?,
        None => tcp_connect(target.connect_host(), target.port, settings.io_timeout).await?,
    };
    match tls_config {
        Some(c) => tls::handshake(c, target.connect_host(), tcp, settings.io_timeout).await,
        None => Ok(Transport::Plain(tcp)),
    }
}
