//! How repeated runs become one figure: the best round of a throughput cell, the
//! median run of a latency cell, and paired run-by-run differences with an interval
//! that says whether they separate two servers at all.

/// One throughput measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Echoed messages per second.
    pub msgs: f64,
    /// Echoed messages per second of the measured side's own CPU time (the server's,
    /// or the client's in the client section); 0 when unknown.
    pub per_cpu: f64,
    /// The load generator's CPU time per second of window (1.0 = one core busy),
    /// when it was read.
    pub generator: Option<f64>,
    /// With permessage-deflate: the share of echoes that came back compressed.
    pub compressed: Option<f64>,
}

/// A throughput cell: a sample, or why there is none.
pub type Cell = Result<Sample, String>;

/// Keeps the better of two results of one cell: the higher rate and, separately, the
/// higher rate per CPU-second; the generator's CPU and the compressed share go with
/// the higher rate. An error
/// in any round sticks (a failed echo check must never hide behind a good round).
pub fn keep_best(old: Option<Cell>, new: Cell) -> Cell {
    match (old, new) {
        (None, new) => new,
        (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Err(e),
        (Some(Ok(a)), Ok(b)) => {
            let faster = if b.msgs > a.msgs { b } else { a };
            Ok(Sample {
                msgs: faster.msgs,
                per_cpu: a.per_cpu.max(b.per_cpu),
                generator: faster.generator,
                compressed: faster.compressed,
            })
        }
    }
}

/// A latency run: (p50, p99) in microseconds, or why there is none.
pub type Pair = Result<(f64, f64), String>;

/// The median of each half of the runs' (p50, p99), or the first error: a single
/// run's p99 swings by several percent on a shared machine, and the median of
/// interleaved runs is steadier than the best one.
pub fn median_pair(runs: Vec<Pair>) -> Pair {
    let mut pairs = Vec::with_capacity(runs.len());
    for run in runs {
        pairs.push(run?);
    }
    let p50: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let p99: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    match (median(&p50), median(&p99)) {
        (Some(p50), Some(p99)) => Ok((p50, p99)),
        _ => Err("not run".into()),
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None`
/// when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n.is_multiple_of(2) => Some((v[mid - 1] + v[mid]) / 2.0),
        _ => Some(v[mid]),
    }
}

/// A range of values (microseconds, or ratios), low to high.
pub type Interval = (f64, f64);

/// The run-by-run comparison of two servers measured back to back in each run:
/// drift in the machine's load between runs cancels.
#[derive(Debug, PartialEq)]
pub struct Paired {
    /// Median of the differences `a - b` (p50, p99).
    pub median: (f64, f64),
    /// An interval of at least [`CONFIDENCE`] for the median difference (p50, p99);
    /// `None` with fewer runs than such an interval needs (six).
    pub interval: (Option<Interval>, Option<Interval>),
    /// Runs in which `a` was lower (p50, p99).
    pub lower: (usize, usize),
    /// Runs both servers completed.
    pub runs: usize,
}

/// The confidence of [`Paired::interval`].
pub const CONFIDENCE: f64 = 0.95;

/// What a paired comparison shows about `a` against `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is below zero: `a` is faster.
    Lower,
    /// The whole interval is above zero: `a` is slower.
    Higher,
    /// The interval holds zero: the runs do not separate the two.
    NotSeparated,
    /// Too few runs for an interval.
    TooFewRuns,
}

impl Verdict {
    /// The verdict of an interval for `a - b`.
    pub fn of(interval: Option<Interval>) -> Verdict {
        match interval {
            None => Verdict::TooFewRuns,
            Some((_, high)) if high < 0.0 => Verdict::Lower,
            Some((low, _)) if low > 0.0 => Verdict::Higher,
            Some(_) => Verdict::NotSeparated,
        }
    }

    /// The verdict in a report's words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Lower => "lower",
            Verdict::Higher => "higher",
            Verdict::NotSeparated => "not separated",
            Verdict::TooFewRuns => "too few runs",
        }
    }
}

/// [`Paired`] over the runs both servers completed; `None` without such a run.
pub fn paired(a: &[Pair], b: &[Pair]) -> Option<Paired> {
    let diffs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| match (x, y) {
            (Ok(x), Ok(y)) => Some((x.0 - y.0, x.1 - y.1)),
            _ => None,
        })
        .collect();
    if diffs.is_empty() {
        return None;
    }
    let lower = (
        diffs.iter().filter(|d| d.0 < 0.0).count(),
        diffs.iter().filter(|d| d.1 < 0.0).count(),
    );
    let p50: Vec<f64> = diffs.iter().map(|d| d.0).collect();
    let p99: Vec<f64> = diffs.iter().map(|d| d.1).collect();
    Some(Paired {
        median: (median(&p50)?, median(&p99)?),
        interval: (median_interval(&p50), median_interval(&p99)),
        lower,
        runs: diffs.len(),
    })
}

/// An interval for the median of `values` with confidence of at least
/// [`CONFIDENCE`], from their order statistics alone (no assumption about how the
/// values are distributed, only that the runs are independent): the `k`-th smallest
/// and the `k`-th largest value, for the largest `k` at which fewer than `k` values
/// fall below the true median with probability at most (1 - confidence) / 2. Each
/// value lies below the median with probability one half, so that count is
/// binomial(n, 1/2). With 10 runs the interval is from the 2nd to the 9th value
/// (97.9%); below 6 runs no interval reaches 95%, and this is `None`.
pub fn median_interval(values: &[f64]) -> Option<Interval> {
    let n = values.len();
    let tail = (1.0 - CONFIDENCE) / 2.0;
    // P(X <= j) for X ~ binomial(n, 1/2), term by term from P(X = 0) = 2^-n.
    let mut term = 0.5f64.powi(i32::try_from(n).ok()?);
    let mut below = 0.0;
    let mut k = 0;
    for j in 0..n / 2 {
        below += term;
        if below > tail {
            break;
        }
        // P(X <= j) <= tail: the (j + 1)-th order statistics bound the interval.
        k = j + 1;
        term *= (n - j) as f64 / (j + 1) as f64;
    }
    if k == 0 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((sorted[k - 1], sorted[n - k]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(msgs: f64, per_cpu: f64) -> Sample {
        Sample {
            msgs,
            per_cpu,
            generator: Some(msgs / 10.0),
            compressed: None,
        }
    }

    #[test]
    fn rounds_keep_the_best_result_and_errors_stick() {
        assert_eq!(keep_best(None, Ok(s(1.0, 2.0))), Ok(s(1.0, 2.0)));
        let best = keep_best(Some(Ok(s(1.0, 2.0))), Ok(s(3.0, 0.0))).unwrap();
        assert_eq!(
            (best.msgs, best.per_cpu, best.generator),
            (3.0, 2.0, Some(0.3))
        );
        let best = keep_best(Some(Ok(s(3.0, 0.0))), Ok(s(1.0, 2.0))).unwrap();
        assert_eq!(
            (best.msgs, best.per_cpu, best.generator),
            (3.0, 2.0, Some(0.3))
        );
        let failed = keep_best(Some(Err("corrupt".into())), Ok(s(9.0, 9.0)));
        assert_eq!(failed, Err("corrupt".into()));
        let failed = keep_best(Some(Ok(s(9.0, 9.0))), Err("corrupt".into()));
        assert_eq!(failed, Err("corrupt".into()));
    }

    #[test]
    fn paired_differences_skip_runs_either_server_lost() {
        let a = vec![
            Ok((10.0, 30.0)),
            Ok((20.0, 40.0)),
            Err("x".into()),
            Ok((5.0, 5.0)),
        ];
        let b = vec![
            Ok((9.0, 31.0)),
            Ok((25.0, 40.0)),
            Ok((1.0, 1.0)),
            Err("y".into()),
        ];
        // Differences of runs 0 and 1 only: (1, -1) and (-5, 0).
        assert_eq!(
            paired(&a, &b),
            Some(Paired {
                median: (-2.0, -0.5),
                interval: (None, None),
                lower: (1, 1),
                runs: 2
            })
        );
        assert_eq!(paired(&a[2..], &b[2..]), None);
    }

    /// The interval's order statistics against binomial tables: 6 runs are the
    /// fewest for 95% (the extremes, 96.9%), 10 runs give the 2nd and 9th values
    /// (97.9%), 20 runs the 6th and 15th (95.9%; the 7th and 14th would be 88.5%),
    /// 24 runs (the load test's) the 7th and 18th (97.7%).
    #[test]
    fn the_median_interval_takes_the_order_statistics_binomial_tables_give() {
        let values = |n: usize| (1..=n).rev().map(|v| v as f64).collect::<Vec<_>>();
        assert_eq!(median_interval(&values(5)), None);
        assert_eq!(median_interval(&values(6)), Some((1.0, 6.0)));
        assert_eq!(median_interval(&values(10)), Some((2.0, 9.0)));
        assert_eq!(median_interval(&values(20)), Some((6.0, 15.0)));
        assert_eq!(median_interval(&values(24)), Some((7.0, 18.0)));
        assert_eq!(median_interval(&[]), None);
    }

    #[test]
    fn the_verdict_separates_only_when_the_interval_excludes_zero() {
        assert_eq!(Verdict::of(Some((-3.0, -0.1))), Verdict::Lower);
        assert_eq!(Verdict::of(Some((0.2, 4.0))), Verdict::Higher);
        assert_eq!(Verdict::of(Some((-1.0, 0.5))), Verdict::NotSeparated);
        assert_eq!(Verdict::of(Some((-1.0, 0.0))), Verdict::NotSeparated);
        assert_eq!(Verdict::of(None), Verdict::TooFewRuns);
        // p50: nine runs lower by 1, one higher by 2, so the 2nd to 9th differences
        // are all -1; p99: equal in every run.
        let a: Vec<Pair> = (0..10)
            .map(|i| Ok((if i == 9 { 12.0 } else { 9.0 }, 9.0)))
            .collect();
        let b: Vec<Pair> = (0..10).map(|_| Ok((10.0, 9.0))).collect();
        let p = paired(&a, &b).unwrap();
        assert_eq!(p.lower, (9, 0));
        assert_eq!(p.interval.0, Some((-1.0, -1.0)));
        assert_eq!(Verdict::of(p.interval.0), Verdict::Lower);
        assert_eq!(Verdict::of(p.interval.1), Verdict::NotSeparated);
    }

    #[test]
    fn latency_cells_take_the_median_run_and_errors_stick() {
        let runs = vec![Ok((3.0, 30.0)), Ok((1.0, 50.0)), Ok((2.0, 10.0))];
        assert_eq!(median_pair(runs), Ok((2.0, 30.0)));
        let even = vec![
            Ok((1.0, 10.0)),
            Ok((4.0, 40.0)),
            Ok((2.0, 20.0)),
            Ok((3.0, 30.0)),
        ];
        assert_eq!(median_pair(even), Ok((2.5, 25.0)));
        let failed = vec![Ok((1.0, 1.0)), Err("corrupt".into()), Ok((1.0, 1.0))];
        assert_eq!(median_pair(failed), Err("corrupt".into()));
        assert!(median_pair(Vec::new()).is_err());
    }
}
