//! Functions of a range vector: a window of raw samples per series and step.

use super::super::annotations::{Level, invalid_quantile, possible_non_counter};
use super::super::evaluator::Ctx;
use super::super::selectors::reduce_matrix;
use super::super::value::{RangeValue, RawSeries, StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::edges;
use super::extrapolation::CounterWindows;
use super::range_fn::RangeFn;
use crate::syntax::ast::{Call, Expr, RangeMode};
use parquetry_model::Labels;
use rayon::prelude::*;
use std::sync::Arc;

/// True when `name` is computed over a range vector here.
pub fn is_range_function(name: &str) -> bool {
    RangeFn::from_name(name).is_some()
}

/// A range function call checked and ready to run: the function, its range-vector argument
/// and its scalar parameters (one value per step), evaluated once per query.
pub(crate) struct RangeCall<'a> {
    call: &'a Call,
    /// The function, resolved once.
    kind: RangeFn,
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
        let Some(kind) = RangeFn::from_name(name) else {
            return Err(EvalError::Execution(format!(
                "{name} is not a function of a range vector"
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
        if kind == RangeFn::DoubleExponentialSmoothing {
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
            kind,
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
        series_points(self.kind, range, s, &self.params, step_times, lookback)
    }

    /// True when the function's result keeps the metric name (`last_over_time`,
    /// `first_over_time`); every other range function drops it.
    pub(crate) fn keeps_name(&self) -> bool {
        matches!(self.kind, RangeFn::LastOverTime | RangeFn::FirstOverTime)
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
        if matches!(self.kind, RangeFn::Rate | RangeFn::Increase)
            && matches!(self.matrix, Expr::MatrixSelector(_))
            && let Some((labels, true)) = last
            && let Some(message) = possible_non_counter(labels.metric_name().unwrap_or(""))
        {
            ctx.options
                .annotations
                .add(Level::Info, message, self.matrix.span().start);
        }
        if self.kind == RangeFn::QuantileOverTime {
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
                    labels: Arc::unwrap_or_clone(s.labels),
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
                    name = call.kind.name()
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

/// One series of a range vector reduced to the function `kind`'s value at each step.
/// `range` gives the windows (its own `series` are not used).
fn series_points(
    kind: RangeFn,
    range: &RangeValue,
    s: &RawSeries,
    params: &[Vec<f64>],
    step_times: &[i64],
    lookback: i64,
) -> Vec<Option<f64>> {
    if range.mode == RangeMode::Default {
        let resets = ResetPlaces::for_function(kind, &s.values);
        let mut counter_windows = CounterWindows::new(range.range_ms, kind == RangeFn::Rate);
        window_points(range, s, step_times, |w, k, start, end| {
            let (ts, vs) = (&s.timestamps[w.clone()], &s.values[w.clone()]);
            if let Some(resets) = &resets {
                if kind == RangeFn::Resets {
                    return Some(resets.within(w).len() as f64);
                }
                let before_resets = resets.within(w).map(|at| s.values[at - 1]);
                return counter_windows.value(ts, vs, start, end, before_resets);
            }
            let p = |j: usize| params.get(j).map_or(f64::NAN, |v| v[k]);
            kind.window_value(ts, vs, start, end, range.range_ms, step_times[k], p(0), p(1))
        })
    } else {
        range
            .window_ends
            .iter()
            .map(|&end| {
                let start = end - range.range_ms;
                edges::apply(
                    kind.name(),
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

/// Where a series' counter resets are (the samples below the one before them), in order,
/// so that a window finds its own by two binary searches instead of looking at every
/// sample: kept for the functions that look at the resets of every window, `rate`,
/// `increase` and `resets`. A series without any reset (most counters over most ranges)
/// allocates nothing.
struct ResetPlaces(Vec<u32>);

impl ResetPlaces {
    fn for_function(kind: RangeFn, values: &[f64]) -> Option<Self> {
        if !matches!(kind, RangeFn::Rate | RangeFn::Increase | RangeFn::Resets) {
            return None;
        }
        let resets = values.windows(2).enumerate().filter(|(_, w)| w[1] < w[0]);
        Some(ResetPlaces(resets.map(|(i, _)| i as u32 + 1).collect()))
    }

    /// The resets between consecutive samples of `window` (sample indices, non-empty):
    /// the indices of the samples below the one before them, in order.
    fn within(&self, window: std::ops::Range<usize>) -> impl ExactSizeIterator<Item = usize> + '_ {
        let first = self.0.partition_point(|&i| i as usize <= window.start);
        let end = self.0.partition_point(|&i| (i as usize) < window.end);
        self.0[first..end].iter().map(|&i| i as usize)
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
    // over the samples, each edge first tried where the step before moved it by. An end
    // below the one before (never from a grid, but cheap to allow) finds its edges by
    // binary search.
    let (mut lo, mut hi, mut previous) = (0, 0, i64::MIN);
    let (mut lo_moved, mut hi_moved) = (0, 0);
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
                let (old_lo, old_hi) = (lo, hi.max(lo));
                lo = edge_after(ts, old_lo, start, lo_moved);
                hi = edge_after(ts, old_hi.max(lo), end, hi_moved);
                (lo_moved, hi_moved) = (lo - old_lo, hi - old_hi);
            }
            previous = end;
            if lo >= hi {
                return None;
            }
            f(lo..hi, k, start, end)
        })
        .collect()
}

/// The first index from `from` on whose time is after `bound`, in ascending `ts` whose
/// times before `from` are all at or before it: `from + guess` when that is the place
/// (samples scraped at a steady interval move a window's edge by the same number of
/// samples at every step), otherwise found one sample at a time.
fn edge_after(ts: &[i64], from: usize, bound: i64, guess: usize) -> usize {
    let at = from + guess;
    let after = |i: usize| ts.get(i).is_none_or(|&t| t > bound);
    // Every time before `at` is at or before the bound: the edge is `at` or beyond.
    let reached = at <= ts.len() && (guess == 0 || ts[at - 1] <= bound);
    if reached && after(at) {
        return at;
    }
    let mut i = if reached { at } else { from };
    while !after(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn an_edge_is_the_first_time_after_its_bound_whatever_the_guess(
            gaps in proptest::collection::vec(1i64..40, 0..60),
            from in 0usize..60,
            bound in -5i64..1300,
            guess in 0usize..70,
        ) {
            let ts: Vec<i64> = gaps.iter().scan(0, |t, g| { *t += g; Some(*t) }).collect();
            // `from` is never past the edge: the times before it are at or before `bound`.
            let edge = ts.partition_point(|&t| t <= bound);
            let from = from.min(edge);
            prop_assert_eq!(edge_after(&ts, from, bound, guess), edge);
        }

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
            let series = RawSeries { labels: parquetry_model::Labels::empty().into(), drop_name: false, timestamps: timestamps.clone().into(), values: values.clone().into() };
            for name in ["rate", "increase", "resets"] {
                let kind = RangeFn::from_name(name).unwrap();
                let got = series_points(kind, &range, &series, &[], &window_ends, 300_000);
                let want: Vec<Option<f64>> = window_ends.iter().map(|&end| {
                    let start = end - range.range_ms;
                    let lo = timestamps.partition_point(|&t| t <= start);
                    let hi = timestamps.partition_point(|&t| t <= end);
                    if lo >= hi { return None; }
                    kind.window_value(&timestamps[lo..hi], &values[lo..hi], start, end, range.range_ms, end, f64::NAN, f64::NAN)
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
            let series = RawSeries { labels: parquetry_model::Labels::empty().into(), drop_name: false, values: vec![0.0; timestamps.len()].into(), timestamps: timestamps.clone().into() };
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


    }
}
