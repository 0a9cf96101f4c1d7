//! Child processes of the xtask commands, written once: the target directory, a
//! child killed when dropped, and starting a server that announces itself with one
//! `listening on URL` line (ws-server's contract, which the peers follow too).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::root;

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `target/` at the root).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// A child process, killed and reaped when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` with its stderr in the file `log` and waits for its first
/// stdout line, `listening on URL`; returns the process and the URL. `what` names
/// it in errors.
pub fn start_listening(
    mut command: Command,
    what: &str,
    log: &Path,
) -> Result<(Running, String), String> {
    let log_file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("{what} did not start: {line:?}; see {}", log.display()))?
        .to_owned();
    Ok((running, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn the_url_comes_from_the_listening_line() {
        let log = std::env::temp_dir().join(format!("xtask-process-{}.log", std::process::id()));
        let (running, url) = start_listening(
            shell("echo 'listening on ws://127.0.0.1:9'; exec sleep 30"),
            "sh",
            &log,
        )
        .unwrap();
        assert_eq!(url, "ws://127.0.0.1:9");
        drop(running); // killed, or this test would hold a sleeping child
        let other = start_listening(shell("echo ready"), "sh", &log)
            .err()
            .expect("another first line is an error");
        assert!(other.contains("sh did not start: \"ready\\n\""), "{other}");
        let _ = std::fs::remove_file(log);
    }
}
