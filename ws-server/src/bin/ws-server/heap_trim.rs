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
//! When. A thread looks once a second at the heap's free bytes (`mallinfo2`, a walk
//! of glibc's bins) and trims only when they grew by [`TRIM_AFTER_GROWTH`] since it
//! last trimmed, as [`TrimPolicy`] decides. A steady server frees and reuses about the
//! same bytes each second and is never trimmed; trimming costs one `madvise` per
//! free chunk and holds each arena's lock while it walks: measured, 17 ms to trim
//! 133 and 192 MiB of free heap after 2,000 connections went idle (the debug log
//! line `heap trimmed` gives each trim's size and time). `--no-heap-trim` turns
//! the thread off for a server that would rather keep the pages than pause.
//!
//! Safety. Both functions take plain integers, return plain structs, and are
//! thread-safe in glibc; the thread starts after `main` has allocated (glibc's
//! allocator is initialised), and nothing in this program calls `mallopt`. Miri
//! cannot run foreign calls, so the policy is what the tests (and Miri) run.
//!
//! Portability. `mallinfo2` is glibc 2.33's (2021), so the binary needs that glibc
//! or later to start; off glibc (musl, macOS, Windows) the module does nothing.

use std::time::Duration;

/// How often the thread looks at the heap.
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

/// Starts the trimming thread (a no-op off glibc). Returns at once.
pub fn start() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new()
            .name("heap-trim".into())
            .spawn(|| {
                let mut policy = TrimPolicy::default();
                loop {
                    std::thread::sleep(PERIOD);
                    let free = glibc::free_heap_bytes();
                    if policy.should_trim(free) {
                        let started = std::time::Instant::now();
                        glibc::trim();
                        tracing::debug!(
                            free_mib = free >> 20,
                            took_ms = started.elapsed().as_secs_f64() * 1e3,
                            "heap trimmed"
                        );
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("heap trimming off: cannot start its thread: {e}");
        }
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
