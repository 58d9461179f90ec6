//! The instant-vector kernel: the value a series has at each evaluation time.

use super::StepGrid;
use parquetry_model::value::is_stale_nan;

/// Prometheus' default lookback delta: 5 minutes.
pub const DEFAULT_LOOKBACK_MS: i64 = 300_000;

/// For each time `t` of `grid`, the newest sample in `(t - lookback, t]`, unless that
/// sample is a stale marker (then the series has no value at `t`).
///
/// `ts` must be sorted ascending with `vs` alongside. Runs in one pass over the samples
/// (two pointers), so the cost is O(samples + steps).
pub fn values_at_steps(ts: &[i64], vs: &[f64], grid: &StepGrid, lookback: i64) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(grid.len());
    // `next` is the first sample after the current evaluation time.
    let mut next = 0;
    for t in grid.times() {
        while next < ts.len() && ts[next] <= t {
            next += 1;
        }
        let value = match next.checked_sub(1) {
            Some(last) if ts[last] > t - lookback && !is_stale_nan(vs[last]) => Some(vs[last]),
            _ => None,
        };
        out.push(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_model::value::stale_nan;
    use proptest::prelude::*;

    fn brute_force(ts: &[i64], vs: &[f64], grid: &StepGrid, lookback: i64) -> Vec<Option<f64>> {
        grid.times()
            .map(|t| {
                ts.iter()
                    .zip(vs)
                    .rfind(|(s, _)| **s <= t && **s > t - lookback)
                    .and_then(|(_, v)| (!is_stale_nan(*v)).then_some(*v))
            })
            .collect()
    }

    #[test]
    fn window_is_open_on_the_left_and_stale_ends_the_series() {
        let ts = [0, 60_000, 120_000];
        let vs = [1.0, 2.0, stale_nan()];
        let grid = StepGrid {
            start: 0,
            end: 480_000,
            step: 60_000,
        };
        let got = values_at_steps(&ts, &vs, &grid, DEFAULT_LOOKBACK_MS);
        assert_eq!(got[0], Some(1.0));
        assert_eq!(got[1], Some(2.0));
        assert_eq!(got[2], None, "stale marker");
        let fresh = values_at_steps(&ts[..2], &vs[..2], &grid, DEFAULT_LOOKBACK_MS);
        assert_eq!(fresh[5], Some(2.0), "60s + 5m - 1 step still sees the sample");
        assert_eq!(fresh[6], None, "a sample exactly lookback old is out");
    }

    proptest! {
        #[test]
        fn two_pointer_kernel_equals_brute_force(
            ts in proptest::collection::btree_set(-1000i64..1000, 0..50),
            start in -1200i64..1200, len in 0i64..2000, step in 1i64..300, lookback in 1i64..500,
        ) {
            let ts: Vec<i64> = ts.into_iter().collect();
            let vs: Vec<f64> = ts.iter().map(|t| if t % 7 == 0 { stale_nan() } else { *t as f64 }).collect();
            let grid = StepGrid { start, end: start + len, step };
            let got = values_at_steps(&ts, &vs, &grid, lookback);
            let want = brute_force(&ts, &vs, &grid, lookback);
            prop_assert_eq!(got, want);
        }
    }
}
