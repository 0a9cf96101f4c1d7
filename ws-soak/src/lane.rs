//! One lane: sessions one after the other until the deadline, each drawn from the
//! lane's seeded generator ([`Plan`]) and checked as it runs.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use ws_client::{CloseCause, CloseCode, Initiator, Message, MessageKind};

use crate::conn::{Api, Conn, Next};
use crate::payload;
use crate::tally::{Ending, Tally};
use crate::Options;

/// Messages of at least this size go one at a time, under the shared permit.
const LARGE: usize = 1 << 20;

/// How long a lane waits for a large-message permit before it sends a smaller
/// message instead.
const PERMIT_WAIT: Duration = Duration::from_secs(1);

/// Bound on one session besides its planned idle wait (a hang guard).
const SESSION_GUARD: Duration = Duration::from_secs(120);

/// What every lane shares.
pub struct Shared {
    /// The run's options.
    pub options: Options,
    /// The counters.
    pub tally: Arc<Tally>,
    /// Permits for large messages in flight (bounds the memory of the run).
    pub large: Arc<Semaphore>,
    /// No session starts after this.
    pub deadline: Instant,
}

/// One session, drawn before it starts.
#[derive(Debug)]
struct Plan {
    api: Api,
    partial: bool,
    deflate: bool,
    messages: usize,
    window: usize,
    pings: bool,
    think: Duration,
    ending: Ending,
}

impl Plan {
    fn draw(rng: &mut StdRng, shared: &Shared) -> Plan {
        let options = &shared.options;
        let api = if rng.random_bool(0.6) {
            Api::Stream
        } else {
            Api::Endpoint
        };
        let partial = rng.random_bool(0.4);
        // The wait past the server's idle timeout, and as long again for the rest.
        let idle_fits = options
            .server_idle
            .is_some_and(|idle| Instant::now() + idle * 2 < shared.deadline);
        let ending = match rng.random_range(0..100u32) {
            0..=49 => Ending::ClientClose,
            50..=64 => Ending::ClientCloseWithPending,
            65..=76 => Ending::Drop,
            77..=86 => Ending::DropMidMessage,
            // Only /echo has a size limit (whole delivery).
            87..=95 if !partial => Ending::ServerTooBig,
            96..=97 if idle_fits => Ending::ServerIdleClose,
            _ => Ending::ClientClose,
        };
        Plan {
            api,
            partial,
            deflate: rng.random_bool(0.5),
            messages: rng.random_range(0..=24),
            window: rng.random_range(1..=8),
            pings: rng.random_bool(0.3),
            think: Duration::from_millis(rng.random_range(0..=100)),
            ending,
        }
    }
}

/// Lane `id`'s generator.
fn generator(seed: u64, id: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Runs lane `id` until the deadline.
pub async fn run(id: u64, shared: Arc<Shared>) {
    let mut rng = generator(shared.options.seed, id);
    while Instant::now() < shared.deadline {
        let plan = Plan::draw(&mut rng, &shared);
        shared
            .tally
            .session(plan.api == Api::Stream, plan.deflate, plan.partial);
        let guard = SESSION_GUARD + shared.options.server_idle.unwrap_or_default();
        let ending = plan.ending;
        let what = format!("{plan:?}");
        match tokio::time::timeout(guard, session(&mut rng, &shared, plan)).await {
            Ok(Ok(())) => shared.tally.ended(ending),
            Ok(Err((kind, detail))) => shared.tally.error(kind, format!("{detail}; {what}")),
            Err(_) => shared
                .tally
                .error("hang", format!("session not over after {guard:?}; {what}")),
        }
    }
}

/// An error: its kind (counted) and detail (shown for the first few).
type Failure = (&'static str, String);

/// A message waiting for its echo, with the permit it holds if large.
struct Pending {
    message: Message,
    permit: Option<OwnedSemaphorePermit>,
}

/// The session's state while it runs.
struct Session<'a> {
    conn: Conn,
    shared: &'a Shared,
    pending: VecDeque<Pending>,
    /// Ping payloads whose pongs the endpoint API must report, in order.
    pongs: VecDeque<Bytes>,
}

impl Session<'_> {
    /// Receives one message (or pong) and checks it against what is pending.
    async fn receive_one(&mut self) -> Result<(), Failure> {
        match self.conn.next().await {
            Next::Message(m) => {
                let Some(expected) = self.pending.pop_front() else {
                    return Err(("unexpected message", format!("{} B", m.as_bytes().len())));
                };
                if m != expected.message {
                    return Err((
                        "echo mismatch",
                        format!(
                            "got {:?} of {} B, expected {:?} of {} B",
                            m.kind(),
                            m.as_bytes().len(),
                            expected.message.kind(),
                            expected.message.as_bytes().len()
                        ),
                    ));
                }
                let text = matches!(m, Message::Text(_));
                self.shared.tally.echoed(m.as_bytes().len(), text);
                Ok(())
            }
            Next::Pong(payload) => match self.pongs.pop_front() {
                Some(expected) if expected == payload => {
                    self.shared.tally.pong();
                    Ok(())
                }
                other => Err((
                    "pong mismatch",
                    format!("got {payload:?}, expected {other:?}"),
                )),
            },
            Next::End { error, info } => Err((
                "ended early",
                format!(
                    "{} echoes pending; error {error:?}; {info:?}",
                    self.pending.len()
                ),
            )),
        }
    }

    /// Receives until nothing is pending.
    async fn drain(&mut self) -> Result<(), Failure> {
        while !self.pending.is_empty() || !self.pongs.is_empty() {
            self.receive_one().await?;
        }
        Ok(())
    }

    /// Waits for the end, taking pending echoes first; checks how it closed.
    async fn end(
        &mut self,
        cause: CloseCause,
        code: CloseCode,
        initiator: Initiator,
    ) -> Result<(), Failure> {
        loop {
            match self.conn.next().await {
                Next::End { error, info } => {
                    if !self.pending.is_empty() {
                        return Err((
                            "ended early",
                            format!("{} echoes pending; {info:?}", self.pending.len()),
                        ));
                    }
                    let Some(info) = info else {
                        return Err(("no close info", format!("error {error:?}")));
                    };
                    if info.cause != cause || info.code != code || info.initiator != initiator {
                        return Err((
                            "wrong close",
                            format!(
                                "expected {cause:?} {} {initiator:?}, got {info:?}; error {error:?}",
                                code.0
                            ),
                        ));
                    }
                    if let Some(error) = error {
                        return Err(("error on a clean close", error));
                    }
                    return Ok(());
                }
                Next::Message(m) => {
                    let Some(expected) = self.pending.pop_front() else {
                        return Err(("unexpected message", format!("{} B", m.as_bytes().len())));
                    };
                    if m != expected.message {
                        return Err(("echo mismatch", format!("{} B", m.as_bytes().len())));
                    }
                    let text = matches!(m, Message::Text(_));
                    self.shared.tally.echoed(m.as_bytes().len(), text);
                }
                // Pongs may still come; the stream API does not report them.
                Next::Pong(_) => {
                    self.pongs.pop_front();
                }
            }
        }
    }
}

/// Runs one session to its planned end.
async fn session(rng: &mut StdRng, shared: &Shared, plan: Plan) -> Result<(), Failure> {
    let options = &shared.options;
    let path = if plan.partial { "echo-partial" } else { "echo" };
    let uri = format!("{}/{path}", options.url.trim_end_matches('/'));
    let config = options.client_config(plan.deflate);
    let conn = Conn::open(plan.api, &uri, &config)
        .await
        .map_err(|e| ("connect", e))?;
    let mut s = Session {
        conn,
        shared,
        pending: VecDeque::new(),
        pongs: VecDeque::new(),
    };
    for i in 0..plan.messages {
        let mut len = payload::size(rng, options.max_size);
        let mut permit = None;
        if len >= LARGE {
            // Large messages go alone: nothing of ours is pending while we wait for
            // a permit, so lanes cannot hold permits waiting for each other.
            s.drain().await?;
            let large = Arc::clone(&shared.large);
            match tokio::time::timeout(PERMIT_WAIT, large.acquire_owned()).await {
                Ok(acquired) => permit = Some(acquired.map_err(|e| ("permit", e.to_string()))?),
                // Busy: a smaller message instead, rather than a wait that the
                // server's read idle timeout could end.
                Err(_) => {
                    shared.tally.large_deferred();
                    len = rng.random_range(0..LARGE);
                }
            }
        }
        if permit.is_none() {
            while s.pending.len() >= plan.window {
                s.receive_one().await?;
            }
        }
        let (text, compressible) = (rng.random_bool(0.5), rng.random_bool(0.5));
        let message = payload::message(rng, len, text, compressible);
        if plan.pings && rng.random_bool(0.3) {
            let payload = Bytes::from(format!("ping {i}"));
            s.conn.ping(&payload).map_err(|e| ("ping refused", e))?;
            shared.tally.ping();
            if plan.api == Api::Endpoint {
                s.pongs.push_back(payload);
            }
        }
        s.conn
            .send(message.clone())
            .await
            .map_err(|e| ("send refused", e))?;
        shared.tally.sent(len);
        s.pending.push_back(Pending { message, permit });
        if s.pending.back().is_some_and(|p| p.permit.is_some()) {
            s.drain().await?;
        }
        if !plan.think.is_zero() {
            tokio::time::sleep(plan.think).await;
        }
    }
    match plan.ending {
        Ending::ClientClose | Ending::ClientCloseWithPending => {
            if plan.ending == Ending::ClientClose {
                s.drain().await?;
            }
            let code = match rng.random_range(0..4u32) {
                0 => CloseCode::NORMAL,
                1 => CloseCode::GOING_AWAY,
                _ => CloseCode(rng.random_range(3000..=4999)),
            };
            s.conn
                .close(code, "soak over")
                .map_err(|e| ("close refused", e))?;
            s.end(CloseCause::Handshake, code, Initiator::Local).await
        }
        Ending::ServerIdleClose => {
            s.drain().await?;
            s.end(
                CloseCause::Handshake,
                CloseCode::GOING_AWAY,
                Initiator::Remote,
            )
            .await
        }
        Ending::ServerTooBig => {
            s.drain().await?;
            let _permit = Arc::clone(&shared.large)
                .acquire_owned()
                .await
                .map_err(|e| ("permit", e.to_string()))?;
            let message = payload::message(rng, options.max_size + 1, false, true);
            s.conn
                .send(message)
                .await
                .map_err(|e| ("send refused", e))?;
            s.end(
                CloseCause::Handshake,
                CloseCode::MESSAGE_TOO_BIG,
                Initiator::Remote,
            )
            .await
        }
        Ending::Drop => {
            // Some echoes may still be on their way: the server must cope.
            s.conn.drop_abruptly().await;
            Ok(())
        }
        Ending::DropMidMessage => {
            let len = rng.random_range(1..=64 * 1024);
            let compressible = rng.random_bool(0.5);
            let part = payload::message(rng, len, false, compressible);
            let kind = MessageKind::Binary;
            s.conn
                .drop_mid_message(kind, Bytes::copy_from_slice(part.as_bytes()))
                .await
                .map_err(|e| ("send refused", e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end-to-end test (`tests/soak.rs`: seed 0, 16 lanes, no idle timeout)
    /// expects every ending but the idle close; each lane runs at least its first
    /// session, so the first plans alone must hold them all.
    #[test]
    fn the_first_plans_of_the_end_to_end_test_hold_every_ending() {
        let shared = Shared {
            options: Options {
                seed: 0,
                ..Options::default()
            },
            tally: Arc::default(),
            large: Arc::new(Semaphore::new(1)),
            deadline: Instant::now() + Duration::from_secs(60),
        };
        let mut endings: Vec<Ending> = (0..16)
            .map(|id| Plan::draw(&mut generator(0, id), &shared).ending)
            .collect();
        endings.sort();
        endings.dedup();
        assert_eq!(
            endings,
            [
                Ending::ClientClose,
                Ending::ClientCloseWithPending,
                Ending::ServerTooBig,
                Ending::Drop,
                Ending::DropMidMessage
            ]
        );
    }
}
