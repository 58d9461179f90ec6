//! Functions of a range vector: a window of raw samples per series and step.

use super::super::annotations::{Level, invalid_quantile, possible_non_counter};
use super::super::evaluator::Ctx;
use super::super::kahan::{kahan_mean, kahan_sum, kahan_sum_inc};
use super::super::selectors::reduce_matrix;
use super::super::value::{RangeValue, RawSeries, StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::{edges, quantile};
use crate::syntax::ast::{Call, Expr, RangeMode};
use parquetry_model::Labels;
use rayon::prelude::*;

/// Names of the functions whose range-vector argument is windowed here.
const RANGE_FUNCTIONS: &[&str] = &[
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "deriv",
    "predict_linear",
    "changes",
    "resets",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "last_over_time",
    "first_over_time",
    "present_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "mad_over_time",
    "quantile_over_time",
    "double_exponential_smoothing",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
    "ts_of_last_over_time",
    "ts_of_first_over_time",
];

/// True when `name` is computed over a range vector here.
pub fn is_range_function(name: &str) -> bool {
    RANGE_FUNCTIONS.contains(&name)
}

/// A range function call checked and ready to run: its name, its range-vector argument
/// and its scalar parameters (one value per step), evaluated once per query.
pub(crate) struct RangeCall<'a> {
    call: &'a Call,
    /// The function's name.
    pub(crate) name: &'a str,
    /// The range-vector argument.
    pub(crate) matrix: &'a Expr,
    params: Vec<Vec<f64>>,
}

impl<'a> RangeCall<'a> {
    /// Checks the call (a range-vector argument, a window mode the function allows, valid
    /// smoothing factors) and evaluates its scalar parameters.
    pub(crate) fn prepare(ctx: &Ctx, c: &'a Call, grid: &StepGrid) -> Result<Self, EvalError> {
        let name = c.func.name;
        let matrix_index = c
            .args
            .iter()
            .position(|a| a.value_type() == crate::syntax::ast::ValueType::Matrix);
        let Some(mi) = matrix_index else {
            return Err(EvalError::Execution(format!(
                "{name} needs a range vector argument"
            )));
        };
        check_range_mode(name, &c.args[mi])?;
        let mut params: Vec<Vec<f64>> = Vec::new();
        for (i, a) in c.args.iter().enumerate() {
            if i != mi {
                match ctx.eval(a, grid)? {
                    Value::Scalar(s) => params.push(s),
                    other => {
                        return Err(EvalError::Execution(format!(
                            "{name}: expected a scalar parameter, got {}",
                            other.type_name()
                        )));
                    }
                }
            }
        }
        if name == "double_exponential_smoothing" {
            for (p, what) in params.iter().zip(["smoothing", "trend"]) {
                if let Some(bad) = p.iter().find(|v| !(**v > 0.0 && **v < 1.0)) {
                    return Err(EvalError::Execution(format!(
                        "invalid {what} factor. Expected: 0 < {} < 1, got: {bad}",
                        if what == "smoothing" { "sf" } else { "tf" }
                    )));
                }
            }
        }
        Ok(RangeCall {
            call: c,
            name,
            matrix: &c.args[mi],
            params,
        })
    }

    /// The function's value for one series at each step; `range` gives the windows.
    pub(crate) fn points(
        &self,
        range: &RangeValue,
        s: &RawSeries,
        step_times: &[i64],
        lookback: i64,
    ) -> Vec<Option<f64>> {
        series_points(self.name, range, s, &self.params, step_times, lookback)
    }

    /// True when the function's result keeps the metric name (`last_over_time`,
    /// `first_over_time`); every other range function drops it.
    pub(crate) fn keeps_name(&self) -> bool {
        matches!(self.name, "last_over_time" | "first_over_time")
    }

    /// The annotations Prometheus adds once the function has run: for `rate` and
    /// `increase` over a selector, an info when `last` (the selected series last in label
    /// order, and whether it gave any value) is not named like a counter; for
    /// `quantile_over_time`, a warning at every step where `valued_at` says some series
    /// had a value and φ is outside [0, 1].
    pub(crate) fn annotate(
        &self,
        ctx: &Ctx,
        last: Option<(&Labels, bool)>,
        valued_at: impl Fn(usize) -> bool,
    ) {
        if matches!(self.name, "rate" | "increase")
            && matches!(self.matrix, Expr::MatrixSelector(_))
            && let Some((labels, true)) = last
            && let Some(message) = possible_non_counter(labels.metric_name().unwrap_or(""))
        {
            ctx.options
                .annotations
                .add(Level::Info, message, self.matrix.span().start);
        }
        if self.name == "quantile_over_time" {
            for (k, q) in self.params[0].iter().enumerate() {
                if !(0.0..=1.0).contains(q) && valued_at(k) {
                    ctx.options.annotations.add(
                        Level::Warning,
                        invalid_quantile(*q),
                        self.call.args[0].span().start,
                    );
                }
            }
        }
    }
}

/// Evaluates a range function: scalar parameters first, then the window of each series at
/// each step.
pub fn eval(ctx: &Ctx, c: &Call, grid: &StepGrid) -> Result<Value, EvalError> {
    let call = RangeCall::prepare(ctx, c, grid)?;
    let step_times: Vec<i64> = grid.times().collect();
    let lookback = ctx.options.lookback_ms;
    // Each batch's series are reduced in parallel, checking for cancellation between them
    // (a subquery's window can make each series long work).
    let reduce = |mut range: RangeValue| -> Result<Vec<StepSeries>, EvalError> {
        std::mem::take(&mut range.series)
            .into_par_iter()
            .map(|s| {
                ctx.check_deadline()?;
                Ok(StepSeries {
                    points: call.points(&range, &s, &step_times, lookback),
                    drop_name: s.drop_name || !call.keeps_name(),
                    labels: s.labels,
                })
            })
            .collect()
    };
    // A range selector is read and reduced a batch of series at a time; a subquery's
    // range vector is already in memory.
    let out = match call.matrix {
        Expr::MatrixSelector(ms) => reduce_matrix(ctx, ms, grid, &reduce)?,
        other => match ctx.eval(other, grid)? {
            Value::Range(r) => reduce(r)?,
            v => {
                return Err(EvalError::Execution(format!(
                    "{name}: expected a range vector, got {}",
                    v.type_name(),
                    name = call.name
                )));
            }
        },
    };
    let last = out
        .iter()
        .max_by(|a, b| a.labels.cmp(&b.labels))
        .map(|s| (&s.labels, s.points.iter().any(Option::is_some)));
    call.annotate(ctx, last, |k| out.iter().any(|s| s.points[k].is_some()));
    Ok(Value::Vector(out))
}

/// One series of a range vector reduced to the function `name`'s value at each step.
/// `range` gives the windows (its own `series` are not used).
fn series_points(
    name: &str,
    range: &RangeValue,
    s: &RawSeries,
    params: &[Vec<f64>],
    step_times: &[i64],
    lookback: i64,
) -> Vec<Option<f64>> {
    if range.mode == RangeMode::Default {
        let resets = ResetCounts::for_function(name, &s.values);
        window_points(range, s, step_times, |w, k, start, end| {
            let (ts, vs) = (&s.timestamps[w.clone()], &s.values[w.clone()]);
            if let Some(resets) = &resets {
                let n = resets.within(w);
                if name == "resets" {
                    return Some(n as f64);
                }
                if n == 0 {
                    return extrapolated_rate(ts, vs, start, end, range.range_ms, true, name == "rate", true);
                }
            }
            let p = |j: usize| params.get(j).map_or(f64::NAN, |v| v[k]);
            window_value(
                name,
                ts,
                vs,
                start,
                end,
                range.range_ms,
                step_times[k],
                p(0),
                p(1),
            )
        })
    } else {
        range
            .window_ends
            .iter()
            .map(|&end| {
                let start = end - range.range_ms;
                edges::apply(
                    name,
                    range.mode,
                    &s.timestamps,
                    &s.values,
                    start,
                    end,
                    range.range_ms,
                    lookback,
                )
            })
            .collect()
    }
}

/// How many counter resets (a sample below the one before it) a series has up to each
/// sample, so that any window's count is one subtraction. Kept for the functions that
/// look at resets of every window: `rate`, `increase` and `resets`.
struct ResetCounts(Vec<u32>);

impl ResetCounts {
    fn for_function(name: &str, values: &[f64]) -> Option<Self> {
        if !matches!(name, "rate" | "increase" | "resets") {
            return None;
        }
        let mut counts = Vec::with_capacity(values.len());
        let mut n = 0u32;
        counts.push(0);
        for w in values.windows(2) {
            if w[1] < w[0] {
                n += 1;
            }
            counts.push(n);
        }
        Some(ResetCounts(counts))
    }

    /// Resets between consecutive samples of `window` (sample indices, non-empty).
    fn within(&self, window: std::ops::Range<usize>) -> u32 {
        self.0[window.end - 1] - self.0[window.start]
    }
}

/// `anchored` and `smoothed` windows are only defined for some functions; others are
/// refused with Prometheus' message.
fn check_range_mode(name: &str, arg: &Expr) -> Result<(), EvalError> {
    let mode = match arg {
        Expr::MatrixSelector(m) => m.selector.mode,
        _ => RangeMode::Default,
    };
    match mode {
        RangeMode::Default => Ok(()),
        RangeMode::Anchored if !["changes", "delta", "increase", "rate", "resets"].contains(&name) => {
            Err(EvalError::Execution(format!(
                "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with {name}"
            )))
        }
        RangeMode::Smoothed if !["delta", "increase", "rate"].contains(&name) => Err(EvalError::Execution(
            format!("smoothed modifier can only be used with: delta, increase, rate - not with {name}"),
        )),
        _ => Ok(()),
    }
}

/// For each step, the window `(end - range, end]` of one series, passed to `f` as the
/// (non-empty) range of sample indices in it, with the step index and the window bounds.
fn window_points(
    range: &RangeValue,
    s: &RawSeries,
    step_times: &[i64],
    mut f: impl FnMut(std::ops::Range<usize>, usize, i64, i64) -> Option<f64>,
) -> Vec<Option<f64>> {
    let ts = &s.timestamps;
    // Window ends normally rise step by step, so both edges only move forward: one pass
    // over the samples. An end below the one before (never from a grid, but cheap to
    // allow) finds its edges by binary search.
    let (mut lo, mut hi, mut previous) = (0, 0, i64::MIN);
    range
        .window_ends
        .iter()
        .enumerate()
        .take(step_times.len())
        .map(|(k, &end)| {
            let start = end - range.range_ms;
            if end < previous {
                lo = ts.partition_point(|&t| t <= start);
                hi = ts.partition_point(|&t| t <= end);
            } else {
                while lo < ts.len() && ts[lo] <= start {
                    lo += 1;
                }
                hi = hi.max(lo);
                while hi < ts.len() && ts[hi] <= end {
                    hi += 1;
                }
            }
            previous = end;
            if lo >= hi {
                return None;
            }
            f(lo..hi, k, start, end)
        })
        .collect()
}

/// The value of the range function `name` over one window: samples `ts` (milliseconds)
/// and `vs`, the window `start..=end` of length `range`, evaluated at `step_time`, with
/// the scalar parameters `p0` and `p1` (`quantile_over_time`'s φ, …). `None` when the
/// function gives no value for these samples (too few for a rate, an unknown name).
/// `ts`/`vs` is non-empty. LogQL's range aggregations share these kernels.
#[allow(clippy::too_many_arguments)]
pub fn window_value(
    name: &str,
    ts: &[i64],
    vs: &[f64],
    start: i64,
    end: i64,
    range: i64,
    step_time: i64,
    p0: f64,
    p1: f64,
) -> Option<f64> {
    let last = vs.len() - 1;
    Some(match name {
        "rate" => extrapolated_rate(ts, vs, start, end, range, true, true, false)?,
        "increase" => extrapolated_rate(ts, vs, start, end, range, true, false, false)?,
        "delta" => extrapolated_rate(ts, vs, start, end, range, false, false, false)?,
        "irate" | "idelta" => {
            if vs.len() < 2 {
                return None;
            }
            let (prev, cur) = (vs[last - 1], vs[last]);
            let mut d = cur - prev;
            if name == "irate" {
                if cur < prev {
                    d = cur;
                }
                let dt = (ts[last] - ts[last - 1]) as f64 / 1000.0;
                if dt == 0.0 {
                    return None;
                }
                d /= dt;
            }
            d
        }
        "deriv" => {
            if vs.len() < 2 {
                return None;
            }
            linear_regression(ts, vs, ts[0]).0
        }
        "predict_linear" => {
            if vs.len() < 2 {
                return None;
            }
            let (slope, intercept) = linear_regression(ts, vs, step_time);
            intercept + slope * p0
        }
        "changes" => vs
            .windows(2)
            .filter(|w| !(w[0] == w[1] || (w[0].is_nan() && w[1].is_nan())))
            .count() as f64,
        "resets" => vs.windows(2).filter(|w| w[1] < w[0]).count() as f64,
        "avg_over_time" => kahan_mean(vs.iter().copied()),
        "sum_over_time" => kahan_sum(vs.iter().copied()),
        "count_over_time" => vs.len() as f64,
        "min_over_time" => vs[1..]
            .iter()
            .fold(vs[0], |m, &v| if v < m || m.is_nan() { v } else { m }),
        "max_over_time" => vs[1..]
            .iter()
            .fold(vs[0], |m, &v| if v > m || m.is_nan() { v } else { m }),
        "last_over_time" => vs[last],
        "first_over_time" => vs[0],
        "present_over_time" => 1.0,
        "stddev_over_time" | "stdvar_over_time" => {
            let (mut n, mut mean, mut cm, mut aux, mut ca) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for &v in vs {
                n += 1.0;
                let delta = v - (mean + cm);
                (mean, cm) = kahan_sum_inc(delta / n, mean, cm);
                (aux, ca) = kahan_sum_inc(delta * (v - (mean + cm)), aux, ca);
            }
            let var = (aux + ca) / n;
            if name == "stddev_over_time" {
                var.sqrt()
            } else {
                var
            }
        }
        "mad_over_time" => {
            if vs.iter().any(|v| v.is_nan()) {
                return Some(f64::NAN);
            }
            let median = quantile(0.5, vs.to_vec());
            quantile(0.5, vs.iter().map(|v| (v - median).abs()).collect())
        }
        "quantile_over_time" => quantile(p0, vs.to_vec()),
        "double_exponential_smoothing" => double_exponential_smoothing(vs, p0, p1)?,
        "ts_of_max_over_time" | "ts_of_min_over_time" => {
            let max = name == "ts_of_max_over_time";
            let mut best = 0;
            for (i, &v) in vs.iter().enumerate().skip(1) {
                let b = vs[best];
                // Later samples win ties; NaN loses to any number.
                let better = if max {
                    v >= b || b.is_nan()
                } else {
                    v <= b || b.is_nan()
                };
                if better && !v.is_nan() {
                    best = i;
                }
            }
            ts[best] as f64 / 1000.0
        }
        "ts_of_last_over_time" => ts[last] as f64 / 1000.0,
        "ts_of_first_over_time" => ts[0] as f64 / 1000.0,
        _ => return None,
    })
}

/// Prometheus' extrapolated rate/increase/delta: the change over the samples in the
/// window (with counter resets compensated for counters), extrapolated towards the window
/// edges when the samples are close enough to them. `no_resets` says the caller already
/// knows the window has no counter reset, so there is nothing to compensate.
#[allow(clippy::too_many_arguments)]
fn extrapolated_rate(
    ts: &[i64],
    vs: &[f64],
    start: i64,
    end: i64,
    range: i64,
    counter: bool,
    rate: bool,
    no_resets: bool,
) -> Option<f64> {
    if vs.len() < 2 {
        return None;
    }
    let mut change = vs[vs.len() - 1] - vs[0];
    if counter && !no_resets {
        let mut prev = vs[0];
        for &v in &vs[1..] {
            if v < prev {
                change += prev;
            }
            prev = v;
        }
    }
    let last = vs.len() - 1;
    let mut to_start = (ts[0] - start) as f64 / 1000.0;
    let mut to_end = (end - ts[last]) as f64 / 1000.0;
    let sampled = (ts[last] - ts[0]) as f64 / 1000.0;
    let average = sampled / last as f64;
    let threshold = average * 1.1;
    let mut interval = sampled;
    if to_start >= threshold {
        to_start = average / 2.0;
    }
    if counter && change > 0.0 && vs[0] >= 0.0 {
        let to_zero = sampled * (vs[0] / change);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    interval += to_start;
    if to_end >= threshold {
        to_end = average / 2.0;
    }
    interval += to_end;
    let mut factor = interval / sampled;
    if rate {
        factor /= range as f64 / 1000.0;
    }
    Some(change * factor)
}

/// Least-squares slope and intercept (at `intercept_time`), with compensated sums.
fn linear_regression(ts: &[i64], vs: &[f64], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let init = vs[0];
    let mut constant = true;
    for (i, (&t, &v)) in ts.iter().zip(vs).enumerate() {
        if constant && i > 0 && v != init {
            constant = false;
        }
        n += 1.0;
        let x = (t - intercept_time) as f64 / 1000.0;
        (sx, cx) = kahan_sum_inc(x, sx, cx);
        (sy, cy) = kahan_sum_inc(v, sy, cy);
        (sxy, cxy) = kahan_sum_inc(x * v, sxy, cxy);
        (sx2, cx2) = kahan_sum_inc(x * x, sx2, cx2);
    }
    if constant {
        if init.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init);
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

fn double_exponential_smoothing(vs: &[f64], sf: f64, tf: f64) -> Option<f64> {
    if vs.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, vs[0]);
    let mut b = vs[1] - vs[0];
    for (i, &v) in vs.iter().enumerate().skip(1) {
        let x = sf * v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Some(s1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rate_extrapolates_like_prometheus() {
        // A counter rising by 1 every 15 s, window (0, 60s], samples at 15..60.
        let ts = [15_000, 30_000, 45_000, 60_000];
        let vs = [1.0, 2.0, 3.0, 4.0];
        let inc = extrapolated_rate(&ts, &vs, 0, 60_000, 60_000, true, false, false).unwrap();
        // 3 over 45 s, extrapolated 15 s to the start but capped by the zero point (15 s).
        assert!((inc - 4.0).abs() < 1e-12, "{inc}");
        let r = extrapolated_rate(&ts, &vs, 0, 60_000, 60_000, true, true, false).unwrap();
        assert!((r - 4.0 / 60.0).abs() < 1e-12);
        let reset = extrapolated_rate(
            &[10_000, 20_000, 30_000],
            &[5.0, 1.0, 2.0],
            0,
            30_000,
            30_000,
            true,
            false,
            false,
        )
        .unwrap();
        // 2 - 5 + 5 (the value before the reset) = 2 over 20 s, extrapolated to 30 s.
        assert!((reset - 3.0).abs() < 1e-12, "{reset}");
    }

    #[test]
    fn regression_finds_a_line() {
        let ts: Vec<i64> = (0..10).map(|i| i * 1000).collect();
        let vs: Vec<f64> = (0..10).map(|i| 3.0 + 2.0 * i as f64).collect();
        let (slope, intercept) = linear_regression(&ts, &vs, 0);
        assert!((slope - 2.0).abs() < 1e-12 && (intercept - 3.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn windows_without_resets_skip_the_reset_loop_with_the_same_answer(
            steps in proptest::collection::vec((0.0f64..10.0, proptest::bool::weighted(0.1)), 2..80),
            range_s in 16i64..200,
        ) {
            // A counter that grows and now and then resets to a small value.
            let mut v = 0.0;
            let values: Vec<f64> = steps.iter().map(|(inc, reset)| { v = if *reset { *inc } else { v + inc }; v }).collect();
            let timestamps: Vec<i64> = (0..values.len() as i64).map(|i| i * 15_000).collect();
            let window_ends: Vec<i64> = (0..values.len() as i64 + 4).map(|i| i * 15_000 + 7_000).collect();
            let range = RangeValue { series: Vec::new(), range_ms: range_s * 1000, window_ends: window_ends.clone(), mode: RangeMode::Default };
            let series = RawSeries { labels: parquetry_model::Labels::empty(), drop_name: false, timestamps: timestamps.clone(), values: values.clone() };
            for name in ["rate", "increase", "resets"] {
                let got = series_points(name, &range, &series, &[], &window_ends, 300_000);
                let want: Vec<Option<f64>> = window_ends.iter().map(|&end| {
                    let start = end - range.range_ms;
                    let lo = timestamps.partition_point(|&t| t <= start);
                    let hi = timestamps.partition_point(|&t| t <= end);
                    if lo >= hi { return None; }
                    window_value(name, &timestamps[lo..hi], &values[lo..hi], start, end, range.range_ms, end, f64::NAN, f64::NAN)
                }).collect();
                prop_assert_eq!(got, want, "{}", name);
            }
        }

        #[test]
        fn the_window_sweep_finds_the_edges_binary_search_finds(
            ts in proptest::collection::btree_set(-2000i64..2000, 0..60),
            mut ends in proptest::collection::vec(-2500i64..2500, 0..40),
            range_ms in 1i64..900,
            sorted in proptest::bool::ANY,
        ) {
            if sorted {
                ends.sort_unstable();
            }
            let timestamps: Vec<i64> = ts.into_iter().collect();
            let series = RawSeries { labels: parquetry_model::Labels::empty(), drop_name: false, values: vec![0.0; timestamps.len()], timestamps: timestamps.clone() };
            let range = RangeValue { series: Vec::new(), range_ms, window_ends: ends.clone(), mode: RangeMode::Default };
            let mut seen = Vec::new();
            window_points(&range, &series, &ends, |w, k, _, _| { seen.push((k, w)); None });
            let want: Vec<(usize, std::ops::Range<usize>)> = ends.iter().enumerate().filter_map(|(k, &end)| {
                let lo = timestamps.partition_point(|&t| t <= end - range_ms);
                let hi = timestamps.partition_point(|&t| t <= end);
                (lo < hi).then_some((k, lo..hi))
            }).collect();
            prop_assert_eq!(seen, want);
        }

        #[test]
        fn over_time_kernels_equal_brute_force(vs in proptest::collection::vec(-1e6f64..1e6, 1..40)) {
            let ts: Vec<i64> = (0..vs.len() as i64).map(|i| i * 1000).collect();
            let run = |name: &str| window_value(name, &ts, &vs, -1, ts[ts.len() - 1], 1, 0, 0.5, 0.5).unwrap();
            let sum: f64 = vs.iter().sum();
            prop_assert!((run("sum_over_time") - sum).abs() <= 1e-6 * (1.0 + sum.abs()));
            prop_assert!((run("avg_over_time") - sum / vs.len() as f64).abs() <= 1e-6 * (1.0 + sum.abs()));
            prop_assert_eq!(run("count_over_time"), vs.len() as f64);
            prop_assert_eq!(run("max_over_time"), vs.iter().cloned().fold(f64::MIN, f64::max));
            prop_assert_eq!(run("min_over_time"), vs.iter().cloned().fold(f64::MAX, f64::min));
            let changes = vs.windows(2).filter(|w| w[0] != w[1]).count() as f64;
            prop_assert_eq!(run("changes"), changes);
            let resets = vs.windows(2).filter(|w| w[1] < w[0]).count() as f64;
            prop_assert_eq!(run("resets"), resets);
            let mean = sum / vs.len() as f64;
            let var = vs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vs.len() as f64;
            prop_assert!((run("stdvar_over_time") - var).abs() <= 1e-6 * (1.0 + var));
        }
    }
}
