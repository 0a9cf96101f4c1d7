//! Runs cases in either role: a connection per case, a bound on every case, several
//! cases at once (heavy ones alone).
//!
//! * As **client** ([`run_as_client`]) the suite connects to an echo server's URL.
//! * As **server** ([`run_as_server`]) it listens on a fresh loopback port per case and
//!   starts the client command with `{url}` replaced by `ws://127.0.0.1:PORT/CASE`;
//!   the client is expected to connect once and echo until the suite closes. The
//!   command is split into words (single and double quotes group; no shell).
//!
//! Both open the transport (TCP), run the HTTP/1.1 handshake of [`crate::handshake`],
//! and hand the stream to [`Conn::new`]: this is the seam where another transport
//! (RFC 8441 over HTTP/2) plugs in.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;
use tokio::sync::Semaphore;
use tokio::time::{timeout, Instant};

use crate::cases::Case;
use crate::check;
use crate::conn::{Conn, Role, Transport};
use crate::handshake;
use crate::http2;
use crate::verdict::Outcome;

/// How long connecting (or a client process connecting to us) may take.
const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// How long the opening handshake may take.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(5);
/// How long a client process has to exit after its case (it has nothing left to
/// do once the connection is closed).
const EXIT_WAIT: Duration = Duration::from_secs(2);
/// How much of a client process's standard error is kept.
const STDERR_TAIL: usize = 2048;

/// How a run goes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cases run at once (a heavy case takes them all).
    pub jobs: usize,
    /// A deflate case whose profile the peer declines is FAILED (else INFORMATIONAL).
    pub require_deflate: bool,
    /// Each case's WebSocket is an HTTP/2 stream (RFC 8441, prior knowledge)
    /// rather than an HTTP/1.1 connection.
    pub http2: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            jobs: 6,
            require_deflate: false,
            http2: false,
        }
    }
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// The case number.
    pub id: String,
    /// Its section.
    pub section: u8,
    /// What the suite sent.
    pub description: String,
    /// What a strict peer does.
    pub expectation: String,
    /// The permessage-deflate profile, if any.
    pub deflate: Option<String>,
    /// The verdict and reason.
    pub outcome: Outcome,
    /// Wall time of the case in milliseconds.
    pub millis: u64,
    /// As server: how the client process ended, and the last line of its stderr.
    pub peer_exit: Option<String>,
}

/// A `ws://HOST:PORT/PATH` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host name or address to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Request path (with query), starting with `/`.
    pub path: String,
}

impl Target {
    /// Reads a `ws://` URL (`wss://` is not supported: the suite speaks plain TCP).
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| format!("{url}: only ws:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse().map_err(|_| format!("{url}: bad port {p:?}"))?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        Ok(Target {
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Splits a command line into words: whitespace separates, quotes group.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(format!("unbalanced quote in {line:?}"));
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("empty command".into());
    }
    Ok(words)
}

/// Runs `cases` with the suite as client against `target`. `progress` sees each
/// result as it comes.
pub async fn run_as_client(
    target: Target,
    cases: Vec<Case>,
    settings: &Settings,
    progress: impl Fn(&CaseResult) + Send + Sync + 'static,
) -> Vec<CaseResult> {
    let target = Arc::new(target);
    let require = settings.require_deflate;
    let http2 = settings.http2;
    schedule(cases, settings.jobs, progress, move |case| {
        let target = target.clone();
        async move { (client_case(&target, &case, require, http2).await, None) }
    })
    .await
}

/// Starts a client for one case, given the case's URL: the way the suite as server
/// gets a peer.
#[derive(Clone)]
pub enum Launcher {
    /// A command (split into words) with `{url}` replaced; its exit ends the peer.
    Command(Vec<String>),
    /// A task in this process (for tests); its end ends the peer.
    Task(Arc<dyn Fn(String) -> BoxedTask + Send + Sync>),
}

/// The future of a [`Launcher::Task`].
pub type BoxedTask = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Runs `cases` with the suite as server; `launcher` starts the client of each case.
pub async fn run_as_server(
    launcher: Launcher,
    cases: Vec<Case>,
    settings: &Settings,
    progress: impl Fn(&CaseResult) + Send + Sync + 'static,
) -> Vec<CaseResult> {
    let launcher = Arc::new(launcher);
    let require = settings.require_deflate;
    let http2 = settings.http2;
    schedule(cases, settings.jobs, progress, move |case| {
        let launcher = launcher.clone();
        async move { server_case(&launcher, &case, require, http2).await }
    })
    .await
}

/// Runs every case under a semaphore of `jobs` permits (a heavy case takes all);
/// results come back in case order.
async fn schedule<F, Fut>(
    cases: Vec<Case>,
    jobs: usize,
    progress: impl Fn(&CaseResult) + Send + Sync + 'static,
    run: F,
) -> Vec<CaseResult>
where
    F: Fn(Case) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (Outcome, Option<String>)> + Send + 'static,
{
    let jobs = jobs.max(1) as u32;
    let permits = Arc::new(Semaphore::new(jobs as usize));
    let progress = Arc::new(progress);
    let run = Arc::new(run);
    let mut tasks = Vec::new();
    for case in cases {
        let (permits, progress, run) = (permits.clone(), progress.clone(), run.clone());
        let meta = CaseResult {
            id: case.id.clone(),
            section: case.section,
            description: case.description.clone(),
            expectation: case.expectation.clone(),
            deflate: case.deflate.map(|d| d.describe()),
            outcome: Outcome::ok(),
            millis: 0,
            peer_exit: None,
        };
        let mut result = meta.clone();
        let task = tokio::spawn(async move {
            let need = if case.heavy { jobs } else { 1 };
            let _permit = permits.acquire_many(need).await.expect("never closed");
            let started = Instant::now();
            let (outcome, peer_exit) = run(case).await;
            result.outcome = outcome;
            result.millis = started.elapsed().as_millis() as u64;
            result.peer_exit = peer_exit;
            progress(&result);
            result
        });
        tasks.push((meta, task));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for (meta, task) in tasks {
        results.push(match task.await {
            Ok(r) => r,
            // A bug of the suite must not take the other cases with it.
            Err(e) => CaseResult {
                outcome: Outcome::failed(format!("the suite itself failed in this case: {e}")),
                ..meta
            },
        });
    }
    results
}

/// The verdict when a deflate case's profile was not negotiated.
fn declined(why: &str, require: bool) -> Outcome {
    if require {
        Outcome::failed(format!("permessage-deflate not negotiated: {why}"))
    } else {
        Outcome::info(format!(
            "permessage-deflate not negotiated ({why}); nothing to test"
        ))
    }
}

fn bounded(case: &Case, outcome: Result<Outcome, tokio::time::error::Elapsed>) -> Outcome {
    outcome.unwrap_or_else(|_| {
        Outcome::failed(format!(
            "the case did not finish within its bound of {} s (the peer stopped answering)",
            case.timeout.as_secs()
        ))
    })
}

async fn client_case(target: &Target, case: &Case, require: bool, http2: bool) -> Outcome {
    let work = async {
        let tcp = match timeout(
            CONNECT_WAIT,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Outcome::failed(format!("connecting: {e}")),
            Err(_) => return Outcome::failed("connecting timed out"),
        };
        let _ = tcp.set_nodelay(true);
        if http2 {
            let opened = timeout(
                HANDSHAKE_WAIT,
                http2::open(
                    tcp,
                    &target.host_header(),
                    &target.path,
                    case.deflate.as_ref(),
                ),
            )
            .await;
            let (io, deflate) = match opened {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => return Outcome::failed(format!("extended CONNECT: {e}")),
                Err(_) => return Outcome::failed("extended CONNECT timed out"),
            };
            let mut conn = Conn::new(Box::new(io), Role::Client, Vec::new(), deflate);
            if case.deflate.is_some() && conn.deflate().is_none() {
                return declined("the server answered without it", require)
                    .and(check::close_normally(&mut conn).await);
            }
            return (case.script)(&mut conn).await;
        }
        let mut io: Box<dyn Transport> = Box::new(tcp);
        let nonce: [u8; 16] = StdRng::from_os_rng().random();
        let opened = match timeout(
            HANDSHAKE_WAIT,
            handshake::client::open(
                &mut *io,
                &target.host_header(),
                &target.path,
                case.deflate.as_ref(),
                nonce,
            ),
        )
        .await
        {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Outcome::failed(format!("opening handshake: {e}")),
            Err(_) => return Outcome::failed("opening handshake timed out"),
        };
        let mut conn = Conn::new(io, Role::Client, opened.leftover, opened.deflate);
        if case.deflate.is_some() && conn.deflate().is_none() {
            return declined("the server answered without it", require)
                .and(check::close_normally(&mut conn).await);
        }
        (case.script)(&mut conn).await
    };
    bounded(case, timeout(case.timeout, work).await)
}

/// A started client: a process (with the tail of its stderr) or a task.
enum Started {
    Process(tokio::process::Child, Arc<Mutex<Vec<u8>>>),
    Task(tokio::task::JoinHandle<()>),
}

/// A started client, and how it ended once it has.
struct Peer {
    started: Started,
    ended: Option<String>,
}

impl Peer {
    fn launch(launcher: &Launcher, url: &str) -> Result<Peer, String> {
        match launcher {
            Launcher::Task(f) => Ok(Peer {
                started: Started::Task(tokio::spawn(f(url.to_owned()))),
                ended: None,
            }),
            Launcher::Command(command) => {
                let args: Vec<String> = command.iter().map(|a| a.replace("{url}", url)).collect();
                let mut child = Command::new(&args[0])
                    .args(&args[1..])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("cannot start {:?}: {e}", args[0]))?;
                let tail = Arc::new(Mutex::new(Vec::new()));
                if let Some(mut err) = child.stderr.take() {
                    let tail = tail.clone();
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        while let Ok(n) = err.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            let mut t = tail.lock().expect("not poisoned");
                            t.extend_from_slice(&buf[..n]);
                            let excess = t.len().saturating_sub(STDERR_TAIL);
                            t.drain(..excess);
                        }
                    });
                }
                Ok(Peer {
                    started: Started::Process(child, tail),
                    ended: None,
                })
            }
        }
    }

    /// Waits until the peer ends by itself; how it ended.
    async fn ended(&mut self) -> String {
        if let Some(how) = &self.ended {
            return how.clone();
        }
        let how = match &mut self.started {
            Started::Process(child, _) => match child.wait().await {
                Ok(status) => status.to_string(),
                Err(e) => format!("wait failed: {e}"),
            },
            Started::Task(handle) => match handle.await {
                Ok(()) => "task ended".into(),
                Err(e) => format!("task failed: {e}"),
            },
        };
        self.ended = Some(how.clone());
        how
    }

    /// Gives the peer [`EXIT_WAIT`] to end, then stops it; how it ended, and the
    /// last line of its stderr.
    async fn finish(mut self) -> String {
        let exit = match timeout(EXIT_WAIT, self.ended()).await {
            Ok(how) => how,
            Err(_) => {
                match &mut self.started {
                    Started::Process(child, _) => {
                        let _ = child.kill().await;
                    }
                    Started::Task(handle) => handle.abort(),
                }
                format!(
                    "still running {} s after the case; stopped",
                    EXIT_WAIT.as_secs()
                )
            }
        };
        let last_line = match &self.started {
            Started::Process(_, tail) => {
                let t = tail.lock().expect("not poisoned");
                String::from_utf8_lossy(&t)
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(str::to_owned)
            }
            Started::Task(_) => None,
        };
        match last_line {
            Some(line) => format!("{exit}; stderr: {line}"),
            None => exit,
        }
    }
}

async fn server_case(
    launcher: &Launcher,
    case: &Case,
    require: bool,
    http2: bool,
) -> (Outcome, Option<String>) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => return (Outcome::failed(format!("cannot listen: {e}")), None),
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => return (Outcome::failed(format!("cannot listen: {e}")), None),
    };
    let url = format!("ws://127.0.0.1:{port}/{}", case.id);
    let mut peer = match Peer::launch(launcher, &url) {
        Ok(p) => p,
        Err(e) => return (Outcome::failed(e), None),
    };
    let work = async {
        let accepted = tokio::select! {
            a = timeout(CONNECT_WAIT, listener.accept()) => a,
            how = peer.ended() => {
                return Outcome::failed(format!("the client ended before connecting ({how})"));
            }
        };
        let tcp = match accepted {
            Ok(Ok((tcp, _))) => tcp,
            Ok(Err(e)) => return Outcome::failed(format!("accepting: {e}")),
            Err(_) => return Outcome::failed("the client did not connect within 10 s"),
        };
        drop(listener);
        let _ = tcp.set_nodelay(true);
        if http2 {
            let accepted = timeout(HANDSHAKE_WAIT, http2::accept(tcp, case.deflate.as_ref())).await;
            let accepted = match accepted {
                Ok(Ok(a)) => a,
                Ok(Err(e)) => return Outcome::failed(format!("extended CONNECT: {e}")),
                Err(_) => return Outcome::failed("extended CONNECT timed out"),
            };
            let mut conn = Conn::new(
                Box::new(accepted.io),
                Role::Server,
                Vec::new(),
                accepted.deflate,
            );
            if let (Some(_), None) = (&case.deflate, conn.deflate()) {
                let why = accepted.deflate_declined.unwrap_or_default();
                return declined(&why, require).and(check::close_normally(&mut conn).await);
            }
            return (case.script)(&mut conn).await;
        }
        let mut io: Box<dyn Transport> = Box::new(tcp);
        let accepted = match timeout(
            HANDSHAKE_WAIT,
            handshake::server::accept(&mut *io, case.deflate.as_ref()),
        )
        .await
        {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => return Outcome::failed(format!("opening handshake: {e}")),
            Err(_) => return Outcome::failed("opening handshake timed out"),
        };
        let mut conn = Conn::new(io, Role::Server, accepted.leftover, accepted.deflate);
        if let (Some(_), None) = (&case.deflate, conn.deflate()) {
            let why = accepted.deflate_declined.unwrap_or_default();
            return declined(&why, require).and(check::close_normally(&mut conn).await);
        }
        (case.script)(&mut conn).await
    };
    let outcome = bounded(case, timeout(case.timeout, work).await);
    (outcome, Some(peer.finish().await))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("ws://127.0.0.1:9001/echo?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 9001, "/echo?x=1")
        );
        assert_eq!(t.host_header(), "127.0.0.1:9001");
        let t = Target::parse("ws://localhost").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, "/"));
        let t = Target::parse("ws://[::1]:8080/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.host_header()),
            ("::1", "[::1]:8080".into())
        );
        assert!(Target::parse("wss://x/").is_err());
        assert!(Target::parse("ws://:80/").is_err());
    }

    #[test]
    fn commands_split_like_a_shell_without_one() {
        assert_eq!(
            split_command(r#"/bin/ws-client --config "a b.properties" --echo '{url}'"#).unwrap(),
            [
                "/bin/ws-client",
                "--config",
                "a b.properties",
                "--echo",
                "{url}"
            ]
        );
        assert_eq!(split_command("x ''").unwrap(), ["x", ""]);
        assert!(split_command("x 'open").is_err());
        assert!(split_command("  ").is_err());
    }
}
