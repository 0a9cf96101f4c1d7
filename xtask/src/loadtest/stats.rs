//! How repeated runs become one figure: the best round of a throughput cell, the
//! median run of a latency cell, and paired run-by-run differences.

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
    if pairs.is_empty() {
        return Err("not run".into());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        if v.len().is_multiple_of(2) {
            (v[mid - 1] + v[mid]) / 2.0
        } else {
            v[mid]
        }
    };
    Ok((
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
    ))
}

/// The run-by-run comparison of two servers measured back to back in each run:
/// drift in the machine's load between runs cancels.
#[derive(Debug, PartialEq)]
pub struct Paired {
    /// Median of the differences `a - b` (p50, p99).
    pub median: (f64, f64),
    /// Runs in which `a` was lower (p50, p99).
    pub lower: (usize, usize),
    /// Runs both servers completed.
    pub runs: usize,
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
    let median = median_pair(diffs.iter().map(|d| Ok(*d)).collect()).ok()?;
    Some(Paired {
        median,
        lower,
        runs: diffs.len(),
    })
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
                lower: (1, 1),
                runs: 2
            })
        );
        assert_eq!(paired(&a[2..], &b[2..]), None);
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
