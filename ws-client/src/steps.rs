//! Connection steps under `IO_TIMEOUT_MS`: every await of the opening phase goes
//! through [`timed`], so a timeout always names its [`Step`].

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_handshake::{ClientError, ClientHandshake, Outcome};

use crate::error::{ConnectError, Step};

/// Runs one I/O step with a timeout.
pub(crate) async fn timed<T>(
    step: Step,
    after: Duration,
    work: impl Future<Output = io::Result<T>>,
) -> Result<T, ConnectError> {
    match tokio::time::timeout(after, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(ConnectError::Io { step, source }),
        Err(_) => Err(ConnectError::Timeout { step, after }),
    }
}

/// Resolves `host` and opens TCP to the first address that answers (one timeout for
/// resolution and all attempts together).
pub(crate) async fn tcp_connect(
    host: &str,
    port: u16,
    after: Duration,
) -> Result<TcpStream, ConnectError> {
    let tcp = timed(Step::Connect, after, TcpStream::connect((host, port))).await?;
    // Frames are batched by the driver; Nagle would only add latency.
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// Writes all of `bytes` in one timed step.
pub(crate) async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    step: Step,
    after: Duration,
) -> Result<(), ConnectError> {
    timed(step, after, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
}

/// Reads a response head, each read its own timed step. A head error is mapped by
/// `bad` (the upgrade and the proxy report them differently).
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    reader: &mut ClientHandshake,
    step: Step,
    after: Duration,
    bad: fn(ClientError) -> ConnectError,
) -> Result<(Outcome, Vec<u8>), ConnectError> {
    let mut buf = [0u8; 4096];
    loop {
        let n = timed(step, after, stream.read(&mut buf)).await?;
        if n == 0 {
            return Err(ConnectError::Closed(step));
        }
        if let Some(done) = reader.handle_input(&buf[..n]).map_err(bad)? {
            return Ok(done);
        }
    }
}
