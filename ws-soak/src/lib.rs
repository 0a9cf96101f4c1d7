//! A soak driver for a WebSocket echo server (`ws-server`'s demo binary: `/echo`
//! delivers whole messages, `/echo-partial` echoes parts as they arrive).
//!
//! [`run`] keeps [`Options::lanes`] connections busy until the time is up. Each lane
//! runs sessions one after the other, every choice drawn from its seeded
//! generator:
//!
//! * the client API (`connect`'s `WebSocket` 60 %, `connect_endpoint` 40 %), the
//!   path (`/echo` 60 %, `/echo-partial` 40 %), permessage-deflate offered or not
//!   (50 %);
//! * up to 24 messages, text or binary, compressible or not, sized from 0 B to
//!   [`Options::max_size`] (mostly small: 40 % up to 125 B, 35 % up to 16 KiB,
//!   19 % up to 256 KiB, 4 % up to 1 MiB, 1 % up to the largest, and 0 B and the
//!   largest themselves), pipelined up to 8 deep, 0 to 100 ms apart; messages of
//!   1 MiB or more go one at a time, at most [`Options::large_in_flight`] in the
//!   whole run at once (a lane that waits a second for its turn sends a smaller one
//!   instead, rather than sit past the server's idle timeout); pings (checked
//!   against their pongs through the endpoint API);
//! * the end: our close after every echo (50 %) or with echoes still on their way
//!   (15 %, they must all arrive first), an abrupt drop (12 %) or a drop in the
//!   middle of a message (10 %), a message over the server's limit on `/echo`
//!   (the server closes with 1009), or a wait past the server's read idle timeout
//!   (the server closes with 1001, when [`Options::server_idle`] is set and the
//!   wait fits before the deadline).
//!
//! Every echo is compared with what was sent, in order; every close is checked
//! (cause, code, initiator, no error on a clean close). What went wrong is counted
//! by kind in the [`Tally`], with the first details.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod conn;
mod lane;
mod payload;
mod tally;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use ws_client::{ClientConfig, Proxy, SessionConfig};

pub use conn::Api;
pub use tally::{Ending, Tally};

/// What a run does.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server's base URI (`ws://127.0.0.1:PORT`); lanes connect to `/echo` and
    /// `/echo-partial` under it.
    pub url: String,
    /// How long lanes start new sessions (sessions under way then finish).
    pub duration: Duration,
    /// Connections at a time.
    pub lanes: usize,
    /// Seed of every lane's generator.
    pub seed: u64,
    /// The largest message: the server's buffer size for `/echo` (one byte more
    /// is the message it must refuse with 1009).
    pub max_size: usize,
    /// The server's read idle timeout, if it has one (sessions that wait past it
    /// expect the server's 1001).
    pub server_idle: Option<Duration>,
    /// Messages of 1 MiB or more in flight at once, across all lanes.
    pub large_in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            url: "ws://127.0.0.1:8080".into(),
            duration: Duration::from_secs(300),
            lanes: 200,
            seed: 1,
            max_size: 4 << 20,
            server_idle: None,
            large_in_flight: 4,
        }
    }
}

impl Options {
    /// The client configuration of a session: no proxy, deflate offered or not,
    /// buffers twice the largest message (echoes always fit).
    pub fn client_config(&self, deflate: bool) -> ClientConfig {
        let buffer = self.max_size.saturating_mul(2);
        ClientConfig::default()
            .with_proxy(Proxy::none())
            .with_deflate(deflate)
            .with_session(
                SessionConfig::default()
                    .with_text_buffer_size(buffer)
                    .with_binary_buffer_size(buffer),
            )
    }
}

/// Runs the soak and returns its tally; prints a progress line to stderr every
/// `progress` (if any).
pub async fn run(options: Options, progress: Option<Duration>) -> Arc<Tally> {
    let started = Instant::now();
    let shared = Arc::new(lane::Shared {
        deadline: started + options.duration,
        large: Arc::new(Semaphore::new(options.large_in_flight.max(1))),
        tally: Arc::default(),
        options,
    });
    let lanes: Vec<_> = (0..shared.options.lanes as u64)
        .map(|id| tokio::spawn(lane::run(id, Arc::clone(&shared))))
        .collect();
    let reporter = progress.map(|every| {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let (sessions, messages) = shared.tally.progress();
                eprintln!(
                    "ws-soak: {:>4.0} s: {sessions} sessions, {messages} messages, {} errors",
                    started.elapsed().as_secs_f64(),
                    shared.tally.error_count()
                );
            }
        })
    });
    for lane in lanes {
        if let Err(e) = lane.await {
            shared.tally.error("lane panicked", e.to_string());
        }
    }
    if let Some(reporter) = reporter {
        reporter.abort();
    }
    Arc::clone(&shared.tally)
}
