//! Plain HTTP on the WebSocket port: small static resources for `GET` and `HEAD`,
//! `426 Upgrade Required` for a plain request to a WebSocket endpoint, 404 and 405
//! otherwise. One answer ([`Statics::resolve`]) for both versions: written as
//! HTTP/1.1 bytes (every answer closes the connection) or as an HTTP/2 response on
//! its stream (`http2.rs`).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::DeployError;

/// Makes the body of a resource computed at each request (a health check).
pub(crate) type Generator = Arc<dyn Fn() -> Bytes + Send + Sync>;

/// A resource: a fixed body, or one computed at each request.
#[derive(Clone)]
enum Body {
    Fixed(Bytes),
    Computed(Generator),
}

/// Static resources by exact path: content type and body.
#[derive(Default)]
pub(crate) struct Statics {
    map: RwLock<HashMap<String, (String, Body)>>,
}

impl std::fmt::Debug for Statics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statics").finish_non_exhaustive()
    }
}

impl Statics {
    /// Adds (or replaces) the resource at `path`.
    pub(crate) fn insert(
        &self,
        path: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), DeployError> {
        self.insert_body(path, content_type, Body::Fixed(body))
    }

    /// Adds (or replaces) a resource whose body `make` computes at each request.
    pub(crate) fn insert_computed(
        &self,
        path: &str,
        content_type: &str,
        make: Generator,
    ) -> Result<(), DeployError> {
        self.insert_body(path, content_type, Body::Computed(make))
    }

    fn insert_body(&self, path: &str, content_type: &str, body: Body) -> Result<(), DeployError> {
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
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), (content_type.to_owned(), body));
        Ok(())
    }

    fn get(&self, path: &str) -> Option<(String, Bytes)> {
        let (content_type, body) = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()?;
        let body = match body {
            Body::Fixed(bytes) => bytes,
            Body::Computed(make) => make(),
        };
        Some((content_type, body))
    }

    /// The answer to a plain request for `path`; `endpoint` tells whether a
    /// WebSocket endpoint is deployed there, `websocket_method` how a WebSocket
    /// opens on this connection (`GET`, or `CONNECT` over HTTP/2).
    pub(crate) fn resolve(
        &self,
        method: &str,
        path: &str,
        endpoint: bool,
        websocket_method: &str,
    ) -> Response {
        let readable = method == "GET" || method == "HEAD";
        let response = match self.get(path) {
            Some((content_type, body)) if readable => Response {
                status: "200 OK",
                headers: format!("Content-Type: {content_type}\r\nCache-Control: no-cache\r\n"),
                body,
            },
            Some(_) => method_not_allowed("GET, HEAD"),
            None if endpoint && readable => Response {
                status: "426 Upgrade Required",
                headers: "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                          Content-Type: text/plain; charset=utf-8\r\n"
                    .into(),
                body: Bytes::from_static(
                    b"426 Upgrade Required: this is a WebSocket endpoint; connect with a \
                      WebSocket client (Upgrade: websocket).\n",
                ),
            },
            None if endpoint => method_not_allowed(websocket_method),
            None => Response {
                status: "404 Not Found",
                headers: "Content-Type: text/plain; charset=utf-8\r\n".into(),
                body: Bytes::from_static(b"404 Not Found\n"),
            },
        };
        tracing::debug!(method, path, status = response.status, "plain request");
        response
    }

    /// Answers a plain HTTP/1.1 request for `path` (see [`resolve`](Self::resolve)).
    pub(crate) async fn answer<S>(
        &self,
        stream: &mut S,
        method: &str,
        path: &str,
        endpoint: bool,
    ) -> io::Result<()>
    where
        S: AsyncWrite + Unpin,
    {
        let response = self.resolve(method, path, endpoint, "GET");
        response.write(stream, method == "HEAD").await
    }
}

fn method_not_allowed(allow: &str) -> Response {
    Response {
        status: "405 Method Not Allowed",
        headers: format!("Allow: {allow}\r\nContent-Type: text/plain; charset=utf-8\r\n"),
        body: Bytes::from_static(b"405 Method Not Allowed\n"),
    }
}

/// A plain response: status line, extra header lines, body.
pub(crate) struct Response {
    status: &'static str,
    headers: String,
    body: Bytes,
}

impl Response {
    /// The same answer for an HTTP/2 stream: head (without the connection-specific
    /// `Upgrade` field) and body.
    pub(crate) fn to_http(&self) -> (http::Response<()>, Bytes) {
        let mut response = http::Response::new(());
        let code = self.status.split(' ').next().unwrap_or("500");
        *response.status_mut() =
            http::StatusCode::from_bytes(code.as_bytes()).unwrap_or(http::StatusCode::OK);
        let fields = response.headers_mut();
        for line in self.headers.split("\r\n") {
            let Some((name, value)) = line.split_once(": ") else {
                continue;
            };
            if name.eq_ignore_ascii_case("upgrade") {
                continue;
            }
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                fields.append(name, value);
            }
        }
        fields.insert(http::header::CONTENT_LENGTH, self.body.len().into());
        (response, self.body.clone())
    }

    async fn write<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        head_only: bool,
    ) -> io::Result<()> {
        let head = format!(
            "HTTP/1.1 {}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.status,
            self.headers,
            self.body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        if !head_only {
            stream.write_all(&self.body).await?;
        }
        stream.flush().await
    }
}
