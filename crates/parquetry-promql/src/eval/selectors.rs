//! Plain and range selectors.

use super::evaluator::Ctx;
use super::lookback::{sample_at_times, values_at_times};
use super::value::{RangeValue, StepSeries, Value};
use super::{EvalError, StepGrid};
use crate::syntax::ast::{MatrixSelector, VectorSelector};
use parquetry_model::value::is_stale_nan;

/// A plain selector: each series' newest sample within the lookback of each step.
pub fn eval_vector(ctx: &Ctx, vs: &VectorSelector, grid: &StepGrid) -> Result<Value, EvalError> {
    let times = ctx.effective_times(&vs.modifiers, grid);
    let Some((lo, hi)) = bounds(&times) else {
        return Ok(Value::Vector(Vec::new()));
    };
    let lookback = ctx.options.lookback_ms;
    let raw = ctx.fetch(&vs.matchers, lo - lookback + 1, hi)?;
    ctx.check_points(raw.len(), times.len())?;
    Ok(Value::Vector(
        raw.into_iter()
            .map(|s| StepSeries {
                points: values_at_times(&s.timestamps, &s.values, &times, lookback),
                labels: s.labels,
                drop_name: false,
            })
            .collect(),
    ))
}

/// A plain selector's sample *times* (in seconds) instead of values, for `timestamp()`.
pub fn eval_vector_timestamps(ctx: &Ctx, vs: &VectorSelector, grid: &StepGrid) -> Result<Value, EvalError> {
    let times = ctx.effective_times(&vs.modifiers, grid);
    let Some((lo, hi)) = bounds(&times) else {
        return Ok(Value::Vector(Vec::new()));
    };
    let lookback = ctx.options.lookback_ms;
    let raw = ctx.fetch(&vs.matchers, lo - lookback + 1, hi)?;
    Ok(Value::Vector(
        raw.into_iter()
            .map(|s| StepSeries {
                points: sample_at_times(&s.timestamps, &s.values, &times, lookback)
                    .into_iter()
                    .map(|i| i.map(|i| s.timestamps[i] as f64 / 1000.0))
                    .collect(),
                labels: s.labels,
                drop_name: true,
            })
            .collect(),
    ))
}

/// A range selector: raw samples (stale markers removed) covering every step's window.
pub fn eval_matrix(ctx: &Ctx, ms: &MatrixSelector, grid: &StepGrid) -> Result<RangeValue, EvalError> {
    let times = ctx.effective_times(&ms.selector.modifiers, grid);
    let range = ctx.duration_ms(&ms.range);
    let Some((lo, hi)) = bounds(&times) else {
        return Ok(RangeValue {
            series: Vec::new(),
            range_ms: range,
            window_ends: times,
        });
    };
    let mut raw = ctx.fetch(&ms.selector.matchers, lo - range + 1, hi)?;
    for s in &mut raw {
        if s.values.iter().any(|v| is_stale_nan(*v)) {
            let keep: Vec<bool> = s.values.iter().map(|v| !is_stale_nan(*v)).collect();
            let mut k = keep.iter();
            s.timestamps.retain(|_| *k.next().unwrap_or(&false));
            let mut k = keep.iter();
            s.values.retain(|_| *k.next().unwrap_or(&false));
        }
    }
    Ok(RangeValue {
        series: raw,
        range_ms: range,
        window_ends: times,
    })
}

fn bounds(times: &[i64]) -> Option<(i64, i64)> {
    Some((*times.iter().min()?, *times.iter().max()?))
}
