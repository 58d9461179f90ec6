//! The instant-vector kernel: the value a series has at each evaluation time.

use parquetry_model::value::is_stale_nan;

/// Prometheus' default lookback delta: 5 minutes.
pub const DEFAULT_LOOKBACK_MS: i64 = 300_000;

/// For each time `t` of `times` (non-decreasing), the index of the newest sample in
/// `(t - lookback, t]`, unless that sample is a stale marker (then the series has no value
/// at `t`).
///
/// `ts` must be sorted ascending with `vs` alongside. Runs in one pass over the samples
/// (two pointers), so the cost is O(samples + times).
pub fn sample_at_times(ts: &[i64], vs: &[f64], times: &[i64], lookback: i64) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(times.len());
    // `next` is the first sample after the current evaluation time.
    let mut next = 0;
    for &t in times {
        while next < ts.len() && ts[next] <= t {
            next += 1;
        }
        let found = match next.checked_sub(1) {
            Some(last) if ts[last] > t - lookback && !is_stale_nan(vs[last]) => Some(last),
            _ => None,
        };
        out.push(found);
    }
    out
}

/// The values [`sample_at_times`] picks.
pub fn values_at_times(ts: &[i64], vs: &[f64], times: &[i64], lookback: i64) -> Vec<Option<f64>> {
    sample_at_times(ts, vs, times, lookback)
        .into_iter()
        .map(|i| i.map(|i| vs[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_model::value::stale_nan;
    use proptest::prelude::*;

    fn brute_force(ts: &[i64], vs: &[f64], times: &[i64], lookback: i64) -> Vec<Option<f64>> {
        times
            .iter()
            .map(|&t| {
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
        let times: Vec<i64> = (0..9).map(|i| i * 60_000).collect();
        let got = values_at_times(&ts, &vs, &times, DEFAULT_LOOKBACK_MS);
        assert_eq!(got[0], Some(1.0));
        assert_eq!(got[1], Some(2.0));
        assert_eq!(got[2], None, "stale marker");
        let fresh = values_at_times(&ts[..2], &vs[..2], &times, DEFAULT_LOOKBACK_MS);
        assert_eq!(fresh[5], Some(2.0), "60s + 5m - 1 step still sees the sample");
        assert_eq!(fresh[6], None, "a sample exactly lookback old is out");
    }

    proptest! {
        #[test]
        fn two_pointer_kernel_equals_brute_force(
            ts in proptest::collection::btree_set(-1000i64..1000, 0..50),
            mut times in proptest::collection::vec(-1200i64..1200, 0..40),
            lookback in 1i64..500,
        ) {
            let ts: Vec<i64> = ts.into_iter().collect();
            times.sort_unstable();
            let vs: Vec<f64> = ts.iter().map(|t| if t % 7 == 0 { stale_nan() } else { *t as f64 }).collect();
            prop_assert_eq!(values_at_times(&ts, &vs, &times, lookback), brute_force(&ts, &vs, &times, lookback));
        }
    }
}
