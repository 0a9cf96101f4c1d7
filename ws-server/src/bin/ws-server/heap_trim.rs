//! Gives heap that a burst of compressing connections freed back to the system
//! (glibc only): the binary's one module with `unsafe` code, two calls into glibc.
//!
//! Why. A connection with permessage-deflate holds a zlib compressor (about 316 KiB
//! at 15 window bits) while it sends, and gives it back after a second idle
//! (`DeflateConfig::release_after_idle`). glibc serves the first such states with
//! `mmap`, but the first one unmapped raises its *dynamic* mmap threshold past their
//! size, and every later one comes from the heap, between the small blocks other
//! connections keep. Freed there, they are holes in the middle of the heap, which
//! glibc never returns on its own (it only trims the top). So three seconds after a
//! burst of traffic, 2,000 idle compressing connections cost the process 50 to 107
//! KiB each, or 22 KiB, by the timing of that first unmapping (docs/performance.md).
//! `malloc_trim(0)` returns the whole pages inside free chunks (`MADV_DONTNEED`):
//! with it every run reads about 22 KiB.
//!
//! Why not a fixed mmap threshold (`mallopt`), which gives the same 22 KiB: it also
//! maps every other allocation above it, and at 1 MiB with deflate the server then
//! mapped and unmapped about 120 buffers a second and took four times the page
//! faults. Trimming changes nothing on the allocation path.
//!
//! When. A task on the server's runtime looks once a second at the heap's free
//! bytes (`mallinfo2`, a walk of glibc's bins) and trims only when they grew by
//! [`TRIM_AFTER_GROWTH`] since it last trimmed, as [`TrimPolicy`] decides. A steady
//! server frees and reuses about the same bytes each second and is never trimmed;
//! trimming costs one `madvise` per free chunk and holds each arena's lock while it
//! walks: measured, 17 ms to trim 133 and 192 MiB of free heap after 2,000
//! connections went idle (the debug log line `heap trimmed` gives each trim's size,
//! its time and the look's). `--no-heap-trim` turns it off for a server that would
//! rather keep the pages than pause.
//!
//! Why a task and not a thread of its own: a second thread makes glibc route every
//! system call of the process (each `recv`, `send` and `epoll_wait`) through its
//! cancellation-point wrappers, two atomic updates more per call, for as long as
//! the process lives. Measured with callgrind on a single-threaded server
//! (`--threads 1`), user-space instructions per one-at-a-time echo:
//!
//! | 16 B echo | no trimmer | a thread | this task |
//! |---|---:|---:|---:|
//! | binary, no timer in the runtime | 3,393 | 3,542 | 3,593 |
//! | text, deflate (its idle-release timer armed) | 7,887 | 8,049 | 7,889 |
//!
//! The task's cost is tokio's: a runtime with no timer at all parks more cheaply,
//! and the task's once-a-second tick is a timer. A runtime that has one anyway (a
//! compressing session's, an idle timeout's) pays next to nothing more, while the
//! thread's cost stays on every call; and compressing sessions are the ones this
//! module exists for. The look is a walk of glibc's bins under their lock, so a
//! thread that allocates meanwhile waits, wherever the look runs: 5 to 26 µs under
//! the load test's shapes, about 1 ms with 120 to 190 MiB of free heap in the bins
//! after 2,000 compressing connections went idle (`RUST_LOG=ws_server::heap_trim=trace`
//! logs every look). Only a trim, which is rare, runs on tokio's blocking pool: the
//! runtime's threads go on with what needs no allocation (and wait for glibc's
//! lock, as with a thread, for what does). A single-threaded server becomes
//! multi-threaded at its first trim, not at start.
//!
//! Safety. Both functions take plain integers, return plain structs, and are
//! thread-safe in glibc; the task starts after `main` has allocated (glibc's
//! allocator is initialised), and nothing in this program calls `mallopt`. Miri
//! cannot run foreign calls, so the policy is what the tests (and Miri) run.
//!
//! Portability. `mallinfo2` is glibc 2.33's (2021), so the binary needs that glibc
//! or later to start; off glibc (musl, macOS, Windows) the module does nothing.

use std::time::Duration;

/// How often the task looks at the heap.
const PERIOD: Duration = Duration::from_secs(1);

/// Free heap growth, in bytes, that makes a trim worth its system calls: 16 MiB,
/// about 50 released compressors.
pub const TRIM_AFTER_GROWTH: usize = 16 << 20;

/// Decides from successive readings of the heap's free bytes whether to trim now.
///
/// Free bytes include what an earlier trim returned (the chunks stay free in
/// glibc's bins), so the reading after a trim is the new baseline; a lower reading
/// (the free memory reused) lowers it.
#[derive(Debug, Default)]
pub struct TrimPolicy {
    baseline: usize,
}

impl TrimPolicy {
    /// Takes one reading; true when the free bytes have grown by at least
    /// [`TRIM_AFTER_GROWTH`] since the baseline (which then moves to this reading).
    pub fn should_trim(&mut self, free_bytes: usize) -> bool {
        if free_bytes < self.baseline + TRIM_AFTER_GROWTH {
            self.baseline = self.baseline.min(free_bytes);
            return false;
        }
        self.baseline = free_bytes;
        true
    }
}

/// The trimmer: looks at the heap once a [`PERIOD`] and trims when [`TrimPolicy`]
/// says so. Runs for as long as the runtime it is spawned on (it never returns on
/// glibc; elsewhere it returns at once, as there is nothing to trim).
pub async fn watch() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut policy = TrimPolicy::default();
        let mut ticks = tokio::time::interval(PERIOD);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once: start with a period of quiet.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let looking = std::time::Instant::now();
            let free = glibc::free_heap_bytes();
            let looked = looking.elapsed();
            tracing::trace!(
                free_mib = free >> 20,
                looked_us = looked.as_secs_f64() * 1e6,
                "heap looked at"
            );
            if policy.should_trim(free) {
                trim(free, looked).await;
            }
        }
    }
}

/// One trim, on tokio's blocking pool so that the runtime's threads keep serving.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
async fn trim(free: usize, looked: Duration) {
    let trimming = tokio::task::spawn_blocking(|| {
        let started = std::time::Instant::now();
        glibc::trim();
        started.elapsed()
    });
    match trimming.await {
        Ok(took) => tracing::debug!(
            free_mib = free >> 20,
            took_ms = took.as_secs_f64() * 1e3,
            looked_us = looked.as_secs_f64() * 1e6,
            "heap trimmed"
        ),
        Err(e) => tracing::warn!("heap trim failed: {e}"),
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod glibc {
    /// The bytes in free heap chunks, every arena (`mallinfo2().fordblks`).
    pub(super) fn free_heap_bytes() -> usize {
        // SAFETY: no arguments; returns a struct by value. glibc locks each arena
        // while it sums it, so any thread may call it at any time after start-up.
        unsafe { libc::mallinfo2() }.fordblks
    }

    /// Returns the whole pages inside free chunks to the system.
    pub(super) fn trim() {
        // SAFETY: an integer argument (0: keep no padding at the heap's top) and an
        // integer result; thread-safe (it takes each arena's lock in turn).
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_the_free_heap_has_grown_by_the_threshold() {
        let mut policy = TrimPolicy::default();
        assert!(!policy.should_trim(0));
        assert!(!policy.should_trim(TRIM_AFTER_GROWTH - 1));
        assert!(policy.should_trim(TRIM_AFTER_GROWTH));
    }

    #[test]
    fn a_steady_free_heap_is_trimmed_once() {
        let mut policy = TrimPolicy::default();
        let free = 3 * TRIM_AFTER_GROWTH;
        assert!(policy.should_trim(free));
        for _ in 0..10 {
            assert!(!policy.should_trim(free));
            assert!(!policy.should_trim(free + TRIM_AFTER_GROWTH - 1));
        }
    }

    #[test]
    fn reused_memory_lowers_the_baseline() {
        let mut policy = TrimPolicy::default();
        assert!(policy.should_trim(5 * TRIM_AFTER_GROWTH));
        // New connections took the freed chunks back...
        assert!(!policy.should_trim(TRIM_AFTER_GROWTH));
        // ...and freed them again: that is growth from the lower reading.
        assert!(policy.should_trim(2 * TRIM_AFTER_GROWTH));
    }
}
