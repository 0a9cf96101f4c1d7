//! Shared set-up for ws-tokio's tests: a byte link between two ends (an in-memory
//! duplex pipe or a loopback TCP connection) and sessions of either role on it.

#![allow(dead_code)] // each test binary uses part of it

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::net::TcpStream;
use tokio_util::either::Either;
use ws_session::{Session, SessionConfig};
use ws_tokio::{SessionInfo, WebSocket};

/// A transport end: duplex or TCP.
pub type Io = Either<DuplexStream, TcpStream>;

/// How the two ends are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// `tokio::io::duplex` with this many bytes of buffer each way.
    Duplex(usize),
    /// A loopback TCP connection.
    Loopback,
}

/// Which role the end under test plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    pub fn peer(self) -> Role {
        match self {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        }
    }
}

/// Every combination the semantics are tested on.
pub const CASES: [(Role, Link); 4] = [
    (Role::Server, Link::Duplex(4096)),
    (Role::Client, Link::Duplex(4096)),
    (Role::Server, Link::Loopback),
    (Role::Client, Link::Loopback),
];

/// Two connected ends.
pub async fn link(link: Link) -> (Io, Io) {
    match link {
        Link::Duplex(size) => {
            let (a, b) = tokio::io::duplex(size);
            (Either::Left(a), Either::Left(b))
        }
        Link::Loopback => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (a, b) = tokio::join!(TcpStream::connect(addr), listener.accept());
            let (a, b) = (a.unwrap(), b.unwrap().0);
            a.set_nodelay(true).unwrap();
            b.set_nodelay(true).unwrap();
            (Either::Right(a), Either::Right(b))
        }
    }
}

/// A session of `role` (clients mask with keys from a seeded generator: tests only).
pub fn session(role: Role, config: SessionConfig) -> Session {
    let now = Instant::now();
    match role {
        Role::Server => Session::server(config, now),
        Role::Client => {
            let mut rng = StdRng::seed_from_u64(7);
            Session::client(config, move || rng.random::<[u8; 4]>(), now)
        }
    }
}

/// An owned WebSocket of `role` over `io`.
pub fn websocket<S: AsyncRead + AsyncWrite + Unpin>(
    role: Role,
    io: S,
    config: SessionConfig,
) -> WebSocket<S> {
    WebSocket::from_session(io, session(role, config), SessionInfo::new("/test"))
}

/// Limits raised for big test messages, deflate off.
pub fn roomy() -> SessionConfig {
    SessionConfig::default()
        .with_text_buffer_size(64 << 20)
        .with_binary_buffer_size(64 << 20)
}

/// Period of the test pattern (a prime, so it does not line up with frame sizes).
const PERIOD: usize = 131_071;

/// Bytes `offset..offset + len` (`len <= 131_071`) of the test pattern, a slice of
/// one table: checkable without storing, and cheap even in debug builds.
pub fn pattern_slice(offset: u64, len: usize) -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let once: Vec<u8> = (0..PERIOD).map(|_| rng.random()).collect();
        once.repeat(2)
    });
    assert!(len <= PERIOD, "pattern slices are at most {PERIOD} bytes");
    let start = (offset % PERIOD as u64) as usize;
    &table[start..start + len]
}

/// An owned copy of [`pattern_slice`]; longer lengths repeat the pattern.
pub fn pattern(offset: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let take = (len - out.len()).min(PERIOD);
        out.extend_from_slice(pattern_slice(offset + out.len() as u64, take));
    }
    out
}
