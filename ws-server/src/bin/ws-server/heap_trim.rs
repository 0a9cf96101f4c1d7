//! Gives heap that a burst of compressing connections freed back to the system
//! (glibc only): the binary's one module with `unsafe` code, two calls into glibc
//! and the registration of its clock's `timerfd` with tokio.
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
//! | 16 B echo | no trimmer | a thread | a task on a tokio timer |
//! |---|---:|---:|---:|
//! | binary, no timer in the runtime | 3,393 | 3,542 | 3,593 |
//! | text, deflate (its idle-release timer armed) | 7,887 | 8,049 | 7,889 |
//!
//! The task's cost on a tokio timer was tokio's: while any timer is armed, the
//! runtime reads the clock before and after each park, and a runtime with no other
//! timer parks once per echo here. So the task ticks on a `timerfd` instead
//! ([`Ticks`]), which the runtime's I/O driver watches like a socket: the load
//! test's `work` section (two windows differenced, so start-up is left out) counted
//! 3,556 instructions per echo with the tokio timer and 3,363 with the `timerfd`,
//! the loaded cells unchanged (within 0.1%). A runtime with a timer armed anyway (a
//! compressing session's, an idle timeout's) paid next to nothing more either way,
//! while the thread's cost stays on every call.
//!
//! The look is a walk of glibc's bins under their lock, so a thread that allocates
//! meanwhile waits, wherever the look runs: 5 to 26 µs under
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
        let mut ticks = Ticks::every(PERIOD);
        loop {
            ticks.next().await;
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

/// The trimmer's clock: a tick every [`PERIOD`], the first one period after start.
///
/// A Linux `timerfd` watched by the runtime's I/O driver, not a tokio timer. While
/// any tokio timer is armed, the runtime reads the clock before and after each time
/// it parks, once per wake-up, so under one-message-at-a-time traffic a runtime
/// with no other timer paid about 200 user-space instructions per echo for this
/// once-a-second tick (callgrind; docs/performance.md). A `timerfd` is one more
/// descriptor in the runtime's `epoll` set: nothing while it is not due, one wake-up
/// and one `read` a second when it is. Where it cannot be made (a sandbox that
/// forbids it), the tick falls back to a tokio interval.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
enum Ticks {
    /// The `timerfd`, registered with the runtime's I/O driver.
    TimerFd(tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>),
    /// The fallback.
    Interval(tokio::time::Interval),
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
impl Ticks {
    fn every(period: Duration) -> Ticks {
        match timer_fd(period) {
            Ok(fd) => Ticks::TimerFd(fd),
            Err(e) => {
                tracing::debug!(error = %e, "no timerfd: the heap trimmer ticks on a tokio timer");
                Ticks::interval(period)
            }
        }
    }

    /// The fallback: a tokio interval whose first tick is one `period` away.
    fn interval(period: Duration) -> Ticks {
        let start = tokio::time::Instant::now() + period;
        let mut interval = tokio::time::interval_at(start, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ticks::Interval(interval)
    }

    /// Waits for the next tick. Ticks missed while the task was busy are merged
    /// into one (a `timerfd` read returns how many expired; they are not replayed).
    async fn next(&mut self) {
        match self {
            Ticks::TimerFd(fd) => loop {
                let Ok(mut ready) = fd.readable().await else {
                    // The I/O driver is gone: the runtime is shutting down.
                    return std::future::pending().await;
                };
                let mut expirations = [0u8; 8];
                match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut expirations)?)) {
                    Ok(Ok(_)) => return,
                    // Not seen on Linux for a monotonic, non-blocking timer; rather
                    // than wake in a loop on an error that stays, tick on tokio's.
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "timerfd failed: the heap trimmer ticks on a tokio timer");
                        *self = Ticks::interval(PERIOD);
                        return;
                    }
                    // Not due after all (a spurious wake-up): readiness is cleared.
                    Err(_would_block) => continue,
                }
            },
            Ticks::Interval(interval) => {
                interval.tick().await;
            }
        }
    }
}

/// A non-blocking `timerfd` on the monotonic clock that expires every `period`,
/// first one `period` from now, registered with the current runtime.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn timer_fd(period: Duration) -> std::io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    let fd = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
    )?;
    let every = Timespec {
        tv_sec: period.as_secs() as _,
        tv_nsec: period.subsec_nanos() as _,
    };
    let spec = Itimerspec {
        it_interval: every,
        it_value: every,
    };
    timerfd_settime(&fd, TimerfdTimerFlags::empty(), &spec)?;
    register::readable(fd)
}

/// Hands the `timerfd` to the runtime's I/O driver.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod register {
    use std::os::fd::OwnedFd;
    use tokio::io::unix::AsyncFd;

    /// Registers `fd` for readiness to read with the current runtime.
    pub(super) fn readable(fd: OwnedFd) -> std::io::Result<AsyncFd<OwnedFd>> {
        // SAFETY: tokio asks that the descriptor stay open, and the same, for as
        // long as the `AsyncFd` lives. An `OwnedFd` moved in is owned by it alone:
        // it returns the same descriptor every time and closes it only when the
        // `AsyncFd` drops it.
        Ok(unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }?)
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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[cfg_attr(miri, ignore = "Miri cannot make system calls (timerfd)")]
    fn ticks_come_from_a_timerfd_one_period_apart() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let period = Duration::from_millis(30);
            let started = std::time::Instant::now();
            let mut ticks = Ticks::every(period);
            assert!(
                matches!(ticks, Ticks::TimerFd(_)),
                "a timerfd, not a tokio timer"
            );
            for n in 1..=3u32 {
                ticks.next().await;
                assert!(started.elapsed() >= period * n, "tick {n} came early");
            }
        });
    }

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
