//! [`Tally`]: what the lanes did, counted as they go, and the report printed at
//! the end.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How a session ended, as planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ending {
    /// We closed after every echo arrived.
    ClientClose,
    /// We closed with echoes still on their way (they must all arrive first).
    ClientCloseWithPending,
    /// We waited past the server's read idle timeout: the server closed (1001).
    ServerIdleClose,
    /// We sent a message over the server's limit: the server closed (1009).
    ServerTooBig,
    /// We dropped the connection without a close frame.
    Drop,
    /// We dropped it in the middle of sending a message.
    DropMidMessage,
}

/// Errors kept with their detail (the first few).
const DETAILS: usize = 20;

/// Counters shared by every lane.
#[derive(Default)]
pub struct Tally {
    sessions: AtomicU64,
    stream_api: AtomicU64,
    deflate: AtomicU64,
    partial: AtomicU64,
    messages: AtomicU64,
    text: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_echoed: AtomicU64,
    largest: AtomicU64,
    pings: AtomicU64,
    pongs: AtomicU64,
    large_deferred: AtomicU64,
    endings: Mutex<BTreeMap<Ending, u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
    details: Mutex<Vec<String>>,
}

impl Tally {
    /// A session started.
    pub fn session(&self, stream_api: bool, deflate: bool, partial: bool) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
        self.stream_api
            .fetch_add(u64::from(stream_api), Ordering::Relaxed);
        self.deflate
            .fetch_add(u64::from(deflate), Ordering::Relaxed);
        self.partial
            .fetch_add(u64::from(partial), Ordering::Relaxed);
    }

    /// A message was sent.
    pub fn sent(&self, len: usize) {
        self.bytes_sent.fetch_add(len as u64, Ordering::Relaxed);
    }

    /// A message's echo arrived and matched.
    pub fn echoed(&self, len: usize, text: bool) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.text.fetch_add(u64::from(text), Ordering::Relaxed);
        self.bytes_echoed.fetch_add(len as u64, Ordering::Relaxed);
        self.largest.fetch_max(len as u64, Ordering::Relaxed);
    }

    /// A ping was sent.
    pub fn ping(&self) {
        self.pings.fetch_add(1, Ordering::Relaxed);
    }

    /// A pong arrived with its ping's payload.
    pub fn pong(&self) {
        self.pongs.fetch_add(1, Ordering::Relaxed);
    }

    /// A large message gave way to a smaller one (every permit was busy).
    pub fn large_deferred(&self) {
        self.large_deferred.fetch_add(1, Ordering::Relaxed);
    }

    /// A session ended as planned.
    pub fn ended(&self, ending: Ending) {
        *self.endings.lock().unwrap().entry(ending).or_default() += 1;
    }

    /// Something went wrong: counted under `kind`, described by `detail`.
    pub fn error(&self, kind: &str, detail: String) {
        *self
            .errors
            .lock()
            .unwrap()
            .entry(kind.to_owned())
            .or_default() += 1;
        let mut details = self.details.lock().unwrap();
        if details.len() < DETAILS {
            details.push(format!("{kind}: {detail}"));
        }
    }

    /// How many errors there were.
    pub fn error_count(&self) -> u64 {
        self.errors.lock().unwrap().values().sum()
    }

    /// How many sessions ended as `ending` planned.
    pub fn ended_count(&self, ending: Ending) -> u64 {
        self.endings
            .lock()
            .unwrap()
            .get(&ending)
            .copied()
            .unwrap_or(0)
    }

    /// Sessions and messages so far, for progress lines.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.sessions.load(Ordering::Relaxed),
            self.messages.load(Ordering::Relaxed),
        )
    }
}

/// Bytes in a readable unit.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.2} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let sessions = get(&self.sessions);
        writeln!(
            f,
            "sessions  {sessions} (stream API {}, endpoint API {}; deflate {}, plain {}; /echo-partial {}, /echo {})",
            get(&self.stream_api),
            sessions - get(&self.stream_api),
            get(&self.deflate),
            sessions - get(&self.deflate),
            get(&self.partial),
            sessions - get(&self.partial),
        )?;
        let endings = self.endings.lock().unwrap();
        let list: Vec<String> = endings.iter().map(|(e, n)| format!("{e:?} {n}")).collect();
        writeln!(f, "ends      {}", list.join(", "))?;
        let messages = get(&self.messages);
        writeln!(
            f,
            "messages  {messages} echoed and checked (text {}, binary {}; largest {}; {} large ones made smaller while 1 MiB+ permits were busy)",
            get(&self.text),
            messages - get(&self.text),
            bytes(get(&self.largest)),
            get(&self.large_deferred),
        )?;
        writeln!(
            f,
            "bytes     sent {}, echoed and checked {}",
            bytes(get(&self.bytes_sent)),
            bytes(get(&self.bytes_echoed)),
        )?;
        writeln!(
            f,
            "pings     {} sent, {} pongs checked (the stream API skips pongs)",
            get(&self.pings),
            get(&self.pongs),
        )?;
        let errors = self.errors.lock().unwrap();
        if errors.is_empty() {
            writeln!(f, "errors    none")?;
        } else {
            let list: Vec<String> = errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            writeln!(f, "errors    {}", list.join(", "))?;
            for detail in self.details.lock().unwrap().iter() {
                writeln!(f, "  {detail}")?;
            }
        }
        Ok(())
    }
}
