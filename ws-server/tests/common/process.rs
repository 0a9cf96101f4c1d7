//! What this test process holds: open file descriptors and resident memory, for
//! fault tests that check both come back to where they were. Such tests must not
//! run beside others in the same process: each runs through [`alone`].

use std::sync::Mutex;
use std::time::Duration;

/// Resident memory may exceed its baseline by at most this much after the rounds
/// of a fault scenario, plus an allowance for the allocator's keeping of large
/// blocks where a scenario allocates them (see [`Baseline::check`]). Measured
/// after two warm-up rounds: at most 0.2 MiB of growth in any scenario of either
/// role that allocates no large block.
pub const RSS_BOUND: u64 = 4 << 20;

/// Runtime threads that may allocate a scenario's large blocks: the test's own
/// thread and the runtime's two workers (see [`alone`]). glibc gives each thread
/// an arena, and after a large block is freed it raises its mmap threshold and
/// keeps the next freed one in that arena's heap: one large block per arena may
/// stay resident, and which arena gets one first is up to the scheduler
/// (measured, client role, 16 MiB masked copies: RSS rose by 16 MiB after
/// rounds 1 and 6 and stayed flat over rounds 6 to 13).
pub const ARENAS: u64 = 3;
/// Open file descriptors of this process.
pub fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd (fault tests need Linux)")
        .count()
}

/// Resident memory of this process, in bytes.
pub fn rss() -> u64 {
    rss_in("/proc/self/status")
}

/// Threads of process `pid` (a server the test started).
#[allow(dead_code)] // Not every test binary that includes `common` counts threads.
pub fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("/proc/PID/task (Linux)")
        .count()
}

/// Resident memory of process `pid` (a server the test started), in bytes.
pub fn rss_of(pid: u32) -> u64 {
    rss_in(&format!("/proc/{pid}/status"))
}

fn rss_in(status: &str) -> u64 {
    let status = std::fs::read_to_string(status).expect(status);
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/self/status")
        * 1024
}

/// Runs `test` on a multi-thread runtime of its own (two workers), alone in this
/// process: the lock is taken before the runtime is built and released after it
/// is dropped, so no other test's runtime, threads or sockets are counted. A
/// failed test poisons nothing: the next one still runs.
pub fn alone<F: std::future::Future>(test: F) -> F::Output {
    static SERIAL: Mutex<()> = Mutex::new(());
    let _alone = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let output = runtime.block_on(test);
    drop(runtime);
    output
}

/// Waits until `done` holds, checking every 10 ms; panics with `what` after
/// `guard` (a hang guard, never a timing assertion).
pub async fn wait_for(what: &str, guard: Duration, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < guard,
            "hang guard expired waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until at most `max` fds are open; panics after `guard`.
pub async fn wait_for_fds(max: usize, what: &str, guard: Duration) {
    let started = std::time::Instant::now();
    while fds() > max {
        assert!(
            started.elapsed() < guard,
            "hang guard expired: {what}: {} fds open, baseline {max}",
            fds()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The process's fds and memory at a quiet moment.
#[derive(Clone, Copy, Debug)]
pub struct Baseline {
    pub fds: usize,
    pub rss: u64,
}

impl Baseline {
    pub fn now() -> Self {
        Baseline {
            fds: fds(),
            rss: rss(),
        }
    }

    /// Waits until the open fds are back to the baseline, then checks resident
    /// memory against [`RSS_BOUND`], plus `large_block` bytes per arena
    /// ([`ARENAS`]) when the scenario allocates (and frees) blocks that large each
    /// round (0 when it allocates none); returns what it measured, for the log.
    pub async fn check(&self, what: &str, guard: Duration, large_block: u64) -> Baseline {
        wait_for_fds(self.fds, what, guard).await;
        let now = Baseline::now();
        let bound = RSS_BOUND + ARENAS * large_block;
        assert!(
            now.rss <= self.rss + bound,
            "{what}: resident memory {} KiB, baseline {} KiB: more than {} KiB above",
            now.rss >> 10,
            self.rss >> 10,
            bound >> 10
        );
        eprintln!(
            "{what}: fds {} -> {}, RSS {} KiB -> {} KiB",
            self.fds,
            now.fds,
            self.rss >> 10,
            now.rss >> 10
        );
        now
    }
}
