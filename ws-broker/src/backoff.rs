//! Reconnection delays: exponential from 100 ms to 5 s, with jitter so that many
//! servers that lost one broker do not all come back at the same instant.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(5);

/// The delay before reconnection attempt `attempt` (0 for the first retry):
/// `100 ms * 2^attempt`, at most 5 s, minus up to a quarter at random.
pub(crate) fn delay(attempt: u32) -> Duration {
    let base = FIRST.saturating_mul(1u32 << attempt.min(16)).min(MAX);
    // A random fraction from the OS-seeded hasher keys (no RNG dependency).
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let quarter = base / 4;
    let jitter = quarter.mul_f64((hasher.finish() % 1000) as f64 / 1000.0);
    base - jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_five_seconds_with_bounded_jitter() {
        for (attempt, base) in [
            (0, 100),
            (1, 200),
            (2, 400),
            (5, 3200),
            (6, 5000),
            (40, 5000),
        ] {
            let d = delay(attempt).as_millis() as u64;
            assert!(d <= base && d >= base * 3 / 4, "attempt {attempt}: {d} ms");
        }
    }
}
