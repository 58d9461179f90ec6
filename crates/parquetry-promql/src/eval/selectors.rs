//! Plain and range selectors.

use super::evaluator::Ctx;
use super::lookback::{sample_at_times, values_at_times};
use super::value::{RangeValue, RawSeries, StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{MatrixSelector, RangeMode, VectorSelector};
use parquetry_model::Labels;
use parquetry_model::value::is_stale_nan;
use rayon::prelude::*;
use std::sync::Arc;

/// A plain selector: each series' newest sample within the lookback of each step.
pub fn eval_vector(ctx: &Ctx, vs: &VectorSelector, grid: &StepGrid) -> Result<Value, EvalError> {
    let times = ctx.effective_times(&vs.modifiers, grid);
    let Some((lo, hi)) = bounds(&times) else {
        return Ok(Value::Vector(Vec::new()));
    };
    let lookback = ctx.options.lookback_ms;
    let smoothed = vs.mode == RangeMode::Smoothed;
    let max_t = if smoothed { hi + lookback } else { hi };
    let mut out = ctx.reduce_batches(&vs.matchers, lo - lookback + 1, max_t, times.len(), &|batch| {
        Ok(batch
            .into_par_iter()
            .map(|s| StepSeries {
                points: if smoothed {
                    smoothed_values(&s.timestamps, &s.values, &times, lookback)
                } else {
                    values_at_times(&s.timestamps, &s.values, &times, lookback)
                },
                labels: Arc::unwrap_or_clone(s.labels),
                drop_name: false,
            })
            .collect())
    })?;
    sort_like_storage(&mut out, |s| &s.labels);
    Ok(Value::Vector(out))
}

/// Puts a selector's series in label order, the order Prometheus' storage returns them
/// in. The store reads them in its own order (by series id) because that is the order of
/// their rows; the order matters where a tie is broken by input order (`topk`, `limitk`)
/// and in the order of an instant query's answer.
///
/// The series are sorted by their labels' order keys ([`Labels::append_order_key`]),
/// written side by side into one buffer, so that each comparison is one byte-string
/// comparison rather than a walk over two label sets.
pub fn sort_like_storage<T>(series: &mut Vec<T>, labels: impl Fn(&T) -> &Labels) {
    if series.len() < 2 {
        return;
    }
    let mut keys = Vec::new();
    let mut spans = Vec::with_capacity(series.len());
    for s in series.iter() {
        let start = keys.len();
        labels(s).append_order_key(&mut keys);
        spans.push(start..keys.len());
    }
    let mut order: Vec<usize> = (0..series.len()).collect();
    order.sort_by(|&a, &b| keys[spans[a].clone()].cmp(&keys[spans[b].clone()]));
    let mut unsorted: Vec<Option<T>> = series.drain(..).map(Some).collect();
    series.extend(
        order
            .into_iter()
            .map(|i| unsorted[i].take().expect("each index once")),
    );
}

/// A plain selector's sample *times* (in seconds) instead of values, for `timestamp()`.
pub fn eval_vector_timestamps(ctx: &Ctx, vs: &VectorSelector, grid: &StepGrid) -> Result<Value, EvalError> {
    let times = ctx.effective_times(&vs.modifiers, grid);
    let Some((lo, hi)) = bounds(&times) else {
        return Ok(Value::Vector(Vec::new()));
    };
    let lookback = ctx.options.lookback_ms;
    let mut out = ctx.reduce_batches(&vs.matchers, lo - lookback + 1, hi, times.len(), &|batch| {
        Ok(batch
            .into_iter()
            .map(|s| StepSeries {
                points: sample_at_times(&s.timestamps, &s.values, &times, lookback)
                    .into_iter()
                    .map(|i| i.map(|i| s.timestamps[i] as f64 / 1000.0))
                    .collect(),
                labels: Arc::unwrap_or_clone(s.labels),
                drop_name: true,
            })
            .collect())
    })?;
    sort_like_storage(&mut out, |s| &s.labels);
    Ok(Value::Vector(out))
}

/// A range selector: raw samples (stale markers removed) covering every step's window,
/// all at once. Used where a range vector is the value itself (an instant query's result).
pub fn eval_matrix(ctx: &Ctx, ms: &MatrixSelector, grid: &StepGrid) -> Result<RangeValue, EvalError> {
    let mut all: Option<RangeValue> = None;
    matrix_batches(ctx, ms, grid, &mut |r| {
        match &mut all {
            Some(a) => a.series.extend(r.series),
            None => all = Some(r),
        }
        Ok(())
    })?;
    if let Some(a) = &mut all {
        sort_like_storage(&mut a.series, |s| &s.labels);
    }
    let times = ctx.effective_times(&ms.selector.modifiers, grid);
    Ok(all.unwrap_or(RangeValue {
        series: Vec::new(),
        range_ms: ctx.duration_ms(&ms.range),
        window_ends: times,
        mode: ms.selector.mode,
    }))
}

/// A range selector handed to `each` a batch of series at a time, so that the whole
/// range vector is never held at once.
fn matrix_batches(
    ctx: &Ctx,
    ms: &MatrixSelector,
    grid: &StepGrid,
    each: &mut dyn FnMut(RangeValue) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    let m = MatrixRead::new(ctx, ms, grid);
    let Some((min_t, max_t)) = m.bounds else {
        return Ok(());
    };
    ctx.fetch_batches(&ms.selector.matchers, min_t, max_t, &mut |raw| {
        each(m.range_value(raw))
    })
}

/// A range selector reduced to step series a batch of series at a time by `reduce`
/// (which a range function supplies), batches on several threads at once; the result is
/// in label order, as a selector's.
pub fn reduce_matrix(
    ctx: &Ctx,
    ms: &MatrixSelector,
    grid: &StepGrid,
    reduce: &(dyn Fn(RangeValue) -> Result<Vec<StepSeries>, EvalError> + Sync),
) -> Result<Vec<StepSeries>, EvalError> {
    let m = MatrixRead::new(ctx, ms, grid);
    let Some((min_t, max_t)) = m.bounds else {
        return Ok(Vec::new());
    };
    let mut out = ctx.reduce_batches(&ms.selector.matchers, min_t, max_t, grid.len(), &|raw| {
        reduce(m.range_value(raw))
    })?;
    sort_like_storage(&mut out, |s| &s.labels);
    Ok(out)
}

/// A range selector's batches of series, each made into something by `f` (batches on
/// several threads at once where the source can), returned in the source's batch order.
pub fn map_matrix<T: Send>(
    ctx: &Ctx,
    ms: &MatrixSelector,
    grid: &StepGrid,
    f: &(dyn Fn(RangeValue) -> Result<T, EvalError> + Sync),
) -> Result<Vec<T>, EvalError> {
    let m = MatrixRead::new(ctx, ms, grid);
    let Some((min_t, max_t)) = m.bounds else {
        return Ok(Vec::new());
    };
    ctx.map_batches(&ms.selector.matchers, min_t, max_t, &|raw| f(m.range_value(raw)))
}

/// What reading a range selector needs: its windows and the time span they cover.
struct MatrixRead {
    window_ends: Vec<i64>,
    range_ms: i64,
    mode: RangeMode,
    /// The samples to read, `[min, max]`; `None` when there are no steps.
    bounds: Option<(i64, i64)>,
}

impl MatrixRead {
    fn new(ctx: &Ctx, ms: &MatrixSelector, grid: &StepGrid) -> Self {
        let window_ends = ctx.effective_times(&ms.selector.modifiers, grid);
        let range_ms = ctx.duration_ms(&ms.range);
        let mode = ms.selector.mode;
        // Anchored and smoothed windows also look at the samples just outside the window.
        let margin = if mode == RangeMode::Default {
            0
        } else {
            ctx.options.lookback_ms
        };
        let bounds = bounds(&window_ends).map(|(lo, hi)| (lo - range_ms + 1 - margin, hi + margin));
        MatrixRead {
            window_ends,
            range_ms,
            mode,
            bounds,
        }
    }

    /// A batch of raw series as a range vector, stale markers removed.
    fn range_value(&self, mut raw: Vec<RawSeries>) -> RangeValue {
        for s in &mut raw {
            remove_stale(s);
        }
        RangeValue {
            series: raw,
            range_ms: self.range_ms,
            window_ends: self.window_ends.clone(),
            mode: self.mode,
        }
    }
}

/// Drops stale markers: range vectors never contain them.
fn remove_stale(s: &mut RawSeries) {
    if s.values.iter().any(|v| is_stale_nan(*v)) {
        let (timestamps, values): (Vec<i64>, Vec<f64>) = s
            .timestamps
            .iter()
            .zip(s.values.iter())
            .filter(|(_, v)| !is_stale_nan(**v))
            .map(|(t, v)| (*t, *v))
            .unzip();
        s.timestamps = timestamps.into();
        s.values = values.into();
    }
}

/// A `smoothed` selector: the value at each time interpolated linearly between the
/// samples around it (the last value carried forward when no later sample exists).
fn smoothed_values(ts: &[i64], vs: &[f64], times: &[i64], lookback: i64) -> Vec<Option<f64>> {
    times
        .iter()
        .map(|&t| {
            let after = ts.partition_point(|&x| x <= t);
            let before = after.checked_sub(1)?;
            if ts[before] <= t - lookback || is_stale_nan(vs[before]) {
                return None;
            }
            if ts[before] == t || after >= ts.len() || ts[after] > t + lookback || is_stale_nan(vs[after]) {
                return Some(vs[before]);
            }
            let f = (t - ts[before]) as f64 / (ts[after] - ts[before]) as f64;
            Some(vs[before] + (vs[after] - vs[before]) * f)
        })
        .collect()
}

fn bounds(times: &[i64]) -> Option<(i64, i64)> {
    Some((*times.iter().min()?, *times.iter().max()?))
}

#[cfg(test)]
mod tests {
    use super::sort_like_storage;
    use parquetry_model::Labels;

    #[test]
    fn series_come_out_in_label_order_with_their_own_payloads() {
        let pairs = [
            ("b", "2", 0),
            ("a", "10", 1),
            ("a", "1", 2),
            ("a", "1\0", 3),
            ("c", "", 4),
        ];
        let mut series: Vec<(Labels, usize)> = pairs
            .iter()
            .map(|&(name, value, i)| (Labels::from_pairs([("__name__", "m"), (name, value)]), i))
            .collect();
        let mut want = series.clone();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        sort_like_storage(&mut series, |s| &s.0);
        assert_eq!(series, want);
        assert_eq!(series.iter().map(|s| s.1).collect::<Vec<_>>(), [4, 2, 3, 1, 0]);
    }
}
