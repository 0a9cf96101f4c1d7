//! CPU time consumed by another process, from `/proc/PID/task/*/schedstat`.
//!
//! Throughput in messages per second depends on how much of its core the server
//! got; on a shared machine that varies. Messages per server CPU-second does not
//! (much), so runs report both.

use std::io;

/// Nanoseconds that all threads of process `pid` have run on a CPU so far.
pub fn cpu_nanos(pid: u32) -> io::Result<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = entry?.path().join("schedstat");
        // A thread may end between listing and reading.
        if let Ok(text) = std::fs::read_to_string(path) {
            total += parse_schedstat(&text).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "unreadable schedstat")
            })?;
        }
    }
    Ok(total)
}

/// The first field of a `schedstat` line: time spent on a CPU, in nanoseconds.
pub fn parse_schedstat(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        assert_eq!(parse_schedstat("1618133 3294659 2\n"), Some(1_618_133));
        assert_eq!(parse_schedstat(""), None);
        assert_eq!(parse_schedstat("x 1 2"), None);
    }

    #[test]
    fn this_process_uses_cpu() {
        let before = cpu_nanos(std::process::id()).unwrap();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_nanos(std::process::id()).unwrap() >= before);
    }
}
