//! The processes of a load test: the servers and clients it measures (what they are,
//! how they are started, pinned and stopped), and the tools it runs for one JSON line
//! of results.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which cores the measured side and the load generator run on, and with how many
/// runtime threads each. Every server of a run gets the same cores and threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinning {
    /// Runtime threads of every server, client and the generator: 1 or 2.
    pub threads: usize,
}

impl Pinning {
    /// The measured side's cores: CPU 0 alone, or both cores with two threads.
    pub fn measured_cpus(&self) -> &'static str {
        if self.threads == 1 {
            "0"
        } else {
            "0,1"
        }
    }

    /// The generator's cores: CPU 1 alone, or the same two cores as the servers.
    pub fn generator_cpus(&self) -> &'static str {
        if self.threads == 1 {
            "1"
        } else {
            "0,1"
        }
    }

    /// How the run keeps the comparison fair, for the report.
    pub fn describe(&self) -> String {
        if self.threads == 1 {
            "every server pinned to CPU 0 with a single-threaded runtime, `ws-loadgen` \
             (single-threaded) pinned to CPU 1"
                .into()
        } else {
            "every server with a two-thread runtime and `ws-loadgen` with two threads, all \
             on the same two cores (CPUs 0 and 1, shared: the scheduler balances them); \
             the generator's own CPU time is reported per cell, and msgs per server \
             CPU-second is the figure that does not depend on how the cores were shared"
                .into()
        }
    }
}

/// A server to measure: one of the comparison peers or ws-server.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Its name in reports.
    pub name: &'static str,
    /// The crate whose version Cargo.lock gives (`None` for ws-server, this project).
    pub krate: Option<&'static str>,
    /// The executable.
    pub binary: PathBuf,
    /// Arguments with permessage-deflate off.
    pub plain_args: Vec<String>,
    /// Arguments with permessage-deflate on; `None` if the library has none.
    pub deflate_args: Option<Vec<String>>,
    /// The echo path.
    pub path: &'static str,
}

impl Spec {
    /// Whether the server can compress.
    pub fn deflates(&self) -> bool {
        self.deflate_args.is_some()
    }
}

/// A client to measure: an echo-client example of `benches/`.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Its name in reports.
    pub name: &'static str,
    /// The crate whose version Cargo.lock gives (`None` for ws-client).
    pub krate: Option<&'static str>,
    /// The executable.
    pub binary: PathBuf,
    /// Whether it can offer permessage-deflate.
    pub deflates: bool,
}

/// A started server; killed on drop if it was not stopped.
pub struct Running {
    /// Its name in reports.
    pub name: &'static str,
    child: Option<Child>,
    /// `ws://ADDR/PATH`.
    pub url: String,
    log: PathBuf,
}

/// Starts `spec` (with or without deflate) on the measured cores with `pinning`'s
/// threads; with `raise_nofile`, its soft open-file limit is lifted to the hard limit
/// first. Fails if the server has no deflate and `deflate` is asked.
pub fn start(
    spec: &Spec,
    deflate: bool,
    pinning: Pinning,
    out_dir: &Path,
    raise_nofile: bool,
) -> Result<Running, String> {
    start_under(&[], spec, deflate, pinning, out_dir, raise_nofile)
}

/// [`start`], with the server run by `wrapper` (a tool and its arguments, such as
/// `valgrind --tool=callgrind ...`) that then runs the server in the same process:
/// the pid stays the server's and SIGTERM reaches it.
pub fn start_under(
    wrapper: &[String],
    spec: &Spec,
    deflate: bool,
    pinning: Pinning,
    out_dir: &Path,
    raise_nofile: bool,
) -> Result<Running, String> {
    let args = if deflate {
        spec.deflate_args
            .as_ref()
            .ok_or_else(|| format!("{} has no permessage-deflate", spec.name))?
    } else {
        &spec.plain_args
    };
    let suffix = if deflate { "-deflate" } else { "" };
    let log = out_dir.join(format!("{}{suffix}.log", spec.name));
    let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let cpus = pinning.measured_cpus();
    let mut cmd = if raise_nofile {
        let mut sh = Command::new("sh");
        sh.args([
            "-c",
            r#"ulimit -n "$(ulimit -Hn)" && exec taskset -c "$0" "$@""#,
            cpus,
        ]);
        sh
    } else {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", cpus]);
        taskset
    };
    cmd.args(wrapper)
        .arg(&spec.binary)
        .args(["--addr", "127.0.0.1:0", "--threads"])
        .arg(pinning.threads.to_string())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: cannot start: {e}", spec.binary.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let mut running = Running {
        name: spec.name,
        child: Some(child),
        url: String::new(),
        log,
    };
    let line = rx.recv_timeout(START_TIMEOUT).map_err(|_| {
        format!(
            "{} did not print `listening on ws://ADDR` (log: {})",
            spec.name,
            running.log.display()
        )
    })?;
    let addr = line
        .strip_prefix("listening on ws://")
        .ok_or_else(|| format!("{}: unexpected first line {line:?}", spec.name))?;
    running.url = format!("ws://{}{}", addr.trim(), spec.path);
    eprintln!(
        "==> {}{} listening at {}",
        spec.name,
        if deflate { " (deflate)" } else { "" },
        running.url
    );
    Ok(running)
}

impl Running {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then wait up to [`STOP_TIMEOUT`], then SIGKILL.
    pub fn stop(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(format!("{} exited with {status} on SIGTERM", self.name))
                }
                _ => thread::sleep(Duration::from_millis(50)),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!(
            "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM",
            self.name
        ))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Stops every server, printing (not failing on) what went wrong.
pub fn stop_all(servers: Vec<Running>) {
    for server in servers {
        if let Err(e) = server.stop() {
            eprintln!("    {e}");
        }
    }
}

/// Runs `binary` with `args` pinned to `cpus` and returns its last JSON line; its
/// other output is echoed indented.
pub fn run_json(cpus: &str, binary: &Path, args: &[String]) -> Result<Value, String> {
    let name = binary
        .file_name()
        .map_or("tool".into(), |n| n.to_string_lossy().into_owned());
    let out = Command::new("taskset")
        .args(["-c", cpus])
        .arg(binary)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with('{')) {
        eprintln!("    {line}");
    }
    if !out.status.success() {
        return Err(format!(
            "{name} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let json = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| format!("{name} printed no JSON line"))?;
    serde_json::from_str(json).map_err(|e| format!("{name} JSON: {e}"))
}

/// A number of a JSON result.
pub fn number(v: &Value, key: &str) -> Result<f64, String> {
    v[key].as_f64().ok_or_else(|| format!("result lacks {key}"))
}

/// The versions Cargo.lock resolved for `krate` (more than one if several are
/// locked), or `?`.
pub fn locked_version(lock: &str, krate: &str) -> String {
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{krate}\"") {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                versions.push(v.to_string());
            }
        }
    }
    if versions.is_empty() {
        "?".into()
    } else {
        versions.join(" / ")
    }
}

/// Fails with the install hint if `taskset` is missing.
pub fn check_taskset() -> Result<(), String> {
    match Command::new("taskset").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(
            "`taskset` (util-linux) is required to pin the servers and the generator \
             to their cores; install util-linux (apt-get install util-linux)"
                .into(),
        ),
    }
}

/// The first number of `/proc/loadavg`, or `?`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".into())
}

/// The current UTC time via `date` (no clock crate in xtask).
pub fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "time unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_lock_file() {
        let lock = "[[package]]\nname = \"yawc\"\nversion = \"0.5.0\"\nsource = \"x\"\n\n\
                    [[package]]\nname = \"tungstenite\"\nversion = \"0.28.0\"\n\n\
                    [[package]]\nname = \"tungstenite\"\nversion = \"0.30.0\"\n";
        assert_eq!(locked_version(lock, "yawc"), "0.5.0");
        assert_eq!(locked_version(lock, "tungstenite"), "0.28.0 / 0.30.0");
        assert_eq!(locked_version(lock, "sockudo-ws"), "?");
    }

    #[test]
    fn one_thread_pins_apart_and_two_threads_share_both_cores() {
        let one = Pinning { threads: 1 };
        assert_eq!((one.measured_cpus(), one.generator_cpus()), ("0", "1"));
        let two = Pinning { threads: 2 };
        assert_eq!((two.measured_cpus(), two.generator_cpus()), ("0,1", "0,1"));
        assert!(two.describe().contains("same two cores"));
    }
}
