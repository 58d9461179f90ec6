//! The experimental `anchored` and `smoothed` windows of `rate`, `increase`, `delta` (and,
//! anchored, `changes` and `resets`).
//!
//! An anchored window starts from the last sample at or before its start; a smoothed
//! window interpolates values at both edges from the samples around them. Neither
//! extrapolates.

use crate::syntax::ast::RangeMode;

/// One function over one window of a series whose samples extend beyond the window.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    name: &str,
    mode: RangeMode,
    ts: &[i64],
    vs: &[f64],
    start: i64,
    end: i64,
    range_ms: i64,
    lookback: i64,
) -> Option<f64> {
    let lo = ts.partition_point(|&t| t <= start);
    let hi = ts.partition_point(|&t| t <= end);
    let seconds = range_ms as f64 / 1000.0;
    match mode {
        RangeMode::Default => None,
        RangeMode::Anchored => {
            if hi == lo {
                return None;
            }
            let anchor = lo.checked_sub(1).filter(|&i| ts[i] > start - lookback);
            let seq: Vec<f64> = anchor
                .map(|i| vs[i])
                .into_iter()
                .chain(vs[lo..hi].iter().copied())
                .collect();
            Some(match name {
                "increase" => counter_increase(&seq),
                "rate" => counter_increase(&seq) / seconds,
                "delta" => seq[seq.len() - 1] - seq[0],
                "changes" => seq
                    .windows(2)
                    .filter(|w| !(w[0] == w[1] || (w[0].is_nan() && w[1].is_nan())))
                    .count() as f64,
                "resets" => seq.windows(2).filter(|w| w[1] < w[0]).count() as f64,
                _ => return None,
            })
        }
        RangeMode::Smoothed => {
            let counter = name != "delta";
            // Data only after the window, or only before it, gives nothing.
            let before = lo.checked_sub(1).filter(|&i| ts[i] > start - lookback);
            let reaches_start = lo < ts.len() || before.is_some_and(|i| ts[i] == start);
            if hi == 0 || !reaches_start || (before.is_none() && lo >= hi) {
                return None;
            }
            let left = match before {
                Some(i) if ts[i] == start || lo >= ts.len() => vs[i],
                Some(i) => interpolate(ts[i], vs[i], ts[lo], vs[lo], start, counter),
                None => vs[lo],
            };
            let last = hi - 1;
            let right = if hi < ts.len() && ts[hi] < end + lookback && ts[last] != end {
                interpolate(ts[last], vs[last], ts[hi], vs[hi], end, counter)
            } else {
                vs[last]
            };
            let seq: Vec<f64> = std::iter::once(left)
                .chain(vs[lo..hi].iter().copied())
                .chain(std::iter::once(right))
                .collect();
            Some(match name {
                "increase" => counter_increase(&seq),
                "rate" => counter_increase(&seq) / seconds,
                "delta" => right - left,
                _ => return None,
            })
        }
    }
}

/// The value at `t` between two samples; for counters a drop is a reset, so the value
/// rises from zero towards the second sample.
fn interpolate(t1: i64, v1: f64, t2: i64, v2: f64, t: i64, counter: bool) -> f64 {
    let f = (t - t1) as f64 / (t2 - t1) as f64;
    if counter && v2 < v1 {
        v2 * f
    } else {
        v1 + (v2 - v1) * f
    }
}

/// The increase of a counter over consecutive values, counting a drop as a reset.
fn counter_increase(seq: &[f64]) -> f64 {
    seq.windows(2)
        .map(|w| if w[1] >= w[0] { w[1] - w[0] } else { w[1] })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothed_interpolates_across_a_reset() {
        // 100 then 10 at 0 s and 15 s: the window (2 s, 12 s] rises from 1.33 to 8.
        let r = apply(
            "rate",
            RangeMode::Smoothed,
            &[0, 15_000],
            &[100.0, 10.0],
            2_000,
            12_000,
            10_000,
            300_000,
        )
        .unwrap();
        assert!((r - 0.666_666_666_666_667).abs() < 1e-9, "{r}");
    }

    #[test]
    fn anchored_starts_from_the_sample_before_the_window() {
        let ts = [0, 15_000, 30_000, 45_000, 60_000, 75_000];
        let vs = [1.0, 2.0, 3.0, 4.0, 5.0, 9.0];
        assert_eq!(
            apply(
                "increase",
                RangeMode::Anchored,
                &ts,
                &vs,
                20_000,
                80_000,
                60_000,
                300_000
            ),
            Some(7.0)
        );
        assert_eq!(
            apply(
                "increase",
                RangeMode::Anchored,
                &ts[..1],
                &vs[..1],
                -55_000,
                5_000,
                60_000,
                300_000
            ),
            Some(0.0)
        );
    }
}
