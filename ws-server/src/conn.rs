//! [`Conn`]: the transport a session runs on, without building the driver for every
//! transport type.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::either::Either;

/// Any transport, as a trait object.
pub(crate) trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + ?Sized> Transport for T {}

/// The transport a session runs on. The driver is made for each endpoint type, not
/// for each endpoint and transport type: plain TCP, the common case, is called
/// directly (inlined, `Left`), any other transport (TLS, user transports) through
/// [`Transport`] (`Right`).
pub(crate) type Conn<'a> = Either<&'a mut TcpStream, &'a mut dyn Transport>;
