//! Percentiles of round-trip times (nearest-rank method on a sorted vector).

/// Summary of a set of samples, in the samples' unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Smallest sample.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// The `p`-th percentile (0 < p <= 100) of `sorted` by nearest rank: the smallest
/// sample such that at least `p` percent of the samples are at most it. `None` for no
/// samples.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Sorts `samples` and summarises them; `None` for no samples.
pub fn summarize(samples: &mut [u64]) -> Option<Summary> {
    samples.sort_unstable();
    let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
    Some(Summary {
        count: samples.len(),
        min: *samples.first()?,
        p50: percentile(samples, 50.0)?,
        p90: percentile(samples, 90.0)?,
        p99: percentile(samples, 99.0)?,
        max: *samples.last()?,
        mean: sum as f64 / samples.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_one_to_a_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.9), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.5), Some(1));
    }

    #[test]
    fn small_and_empty_sets() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 1.0), Some(7));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        // Four samples: the median by nearest rank is the second.
        assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 51.0), Some(3));
        assert_eq!(summarize(&mut []), None);
    }

    #[test]
    fn summary_sorts_first_and_keeps_the_tail() {
        let mut v: Vec<u64> = (1..=1000).rev().collect();
        v.push(1_000_000);
        let s = summarize(&mut v).unwrap();
        assert_eq!((s.count, s.min, s.max), (1001, 1, 1_000_000));
        assert_eq!((s.p50, s.p90, s.p99), (501, 901, 991));
        assert!(s.mean > 1000.0);
    }
}
