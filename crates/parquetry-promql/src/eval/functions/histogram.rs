//! `histogram_quantile` over classic `le` buckets.

use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::{scalar_arg, vector_arg};
use parquetry_model::{Labels, METRIC_NAME};
use std::collections::HashMap;

/// Relative tolerance under which neighbouring bucket counts count as equal.
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// Evaluates `histogram_quantile` and the experimental `histogram_quantiles`; `None` for
/// other names.
pub fn eval(name: &str, args: &[Value], grid: &StepGrid) -> Result<Option<Value>, EvalError> {
    match name {
        "histogram_quantile" => {
            let q = scalar_arg(args, 0, name)?;
            Ok(Some(Value::Vector(quantiles(
                q,
                &vector_arg(args, 1, name)?,
                grid,
            ))))
        }
        "histogram_quantiles" => {
            let series = vector_arg(args, 0, name)?;
            let label = super::string_arg(args, 1, name)?;
            let mut out = Vec::new();
            for i in 2..args.len() {
                let q = scalar_arg(args, i, name)?;
                let text = format_bound(q.first().copied().unwrap_or(f64::NAN));
                for mut s in quantiles(q, &series, grid) {
                    s.labels = s.labels.with(label, &text);
                    out.push(s);
                }
            }
            Ok(Some(Value::Vector(out)))
        }
        _ => Ok(None),
    }
}

/// A float as OpenMetrics writes bounds: integers with `.0`.
fn format_bound(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        parquetry_model::value::format_api_value(v)
    }
}

/// `histogram_quantile(q, series)` for every bucket group.
fn quantiles(q: &[f64], series: &[StepSeries], grid: &StepGrid) -> Vec<StepSeries> {
    // Group the bucket series by their labels without `le` (and the metric name).
    let mut groups: Vec<(Labels, Vec<(f64, usize)>)> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for (i, s) in series.iter().enumerate() {
        let Some(le) = s.labels.get("le").and_then(parse_le) else {
            continue;
        };
        let key = s.labels.without("le").without(METRIC_NAME);
        let g = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push((le, i));
    }
    let steps = grid.len();
    groups
        .into_iter()
        .map(|(labels, buckets)| {
            let points = (0..steps)
                .map(|k| {
                    let present: Vec<(f64, f64)> = buckets
                        .iter()
                        .filter_map(|&(le, i)| series[i].points[k].map(|c| (le, c)))
                        .collect();
                    (!present.is_empty()).then(|| bucket_quantile(q[k], present))
                })
                .collect();
            StepSeries {
                labels,
                drop_name: true,
                points,
            }
        })
        .collect()
}

/// An `le` label as a bound (`+Inf` included); `None` when it is not a number.
fn parse_le(s: &str) -> Option<f64> {
    let v = parquetry_model::value::parse_value(s.trim())?;
    (!v.is_nan()).then_some(v)
}

/// The quantile `q` of cumulative buckets `(upper bound, count)`, as Prometheus computes
/// it: buckets sorted and merged by bound, counts forced monotonic, then linear
/// interpolation inside the bucket the rank falls in.
pub fn bucket_quantile(q: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Merge buckets with the same bound.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for (le, c) in buckets {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += c,
            _ => merged.push((le, c)),
        }
    }
    let mut buckets = merged;
    let mut prev = buckets[0].1;
    for b in buckets.iter_mut().skip(1) {
        let cur = b.1;
        if cur == prev {
            continue;
        }
        if almost_equal(prev, cur, SMALL_DELTA_TOLERANCE) || cur < prev {
            b.1 = prev;
            continue;
        }
        prev = cur;
    }
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1].partition_point(|x| x.1 < rank);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

/// Prometheus' `almost.Equal`: equal, or within `epsilon` relative to their magnitude.
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || a.abs() + b.abs() < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / (a.abs() + b.abs()).min(f64::MAX) < epsilon
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_inside_the_bucket() {
        let b = vec![(0.1, 10.0), (0.5, 20.0), (f64::INFINITY, 20.0)];
        assert!((bucket_quantile(0.5, b.clone()) - 0.1).abs() < 1e-12);
        assert!((bucket_quantile(0.75, b.clone()) - 0.3).abs() < 1e-12);
        assert_eq!(
            bucket_quantile(0.99, vec![(1.0, 1.0), (f64::INFINITY, 10.0)]),
            1.0
        );
        assert!(bucket_quantile(0.5, vec![(1.0, 1.0)]).is_nan(), "no +Inf bucket");
    }
}
