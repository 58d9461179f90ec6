//! `histogram_quantile` over classic `le` buckets.

use super::super::annotations::{Level, invalid_quantile};
use super::super::evaluator::Ctx;
use super::super::value::{StepSeries, Value};
use super::super::{EvalError, StepGrid};
use super::{scalar_arg, vector_arg};
use crate::syntax::ast::Call;
use foldhash::{HashMap, HashMapExt};
use parquetry_model::{Labels, METRIC_NAME};

/// Relative tolerance under which neighbouring bucket counts count as equal.
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// Where `histogram_quantile`'s annotations go: the query's sink, and the positions of
/// the φ argument and of the buckets argument.
struct Notes<'a> {
    ctx: &'a Ctx<'a>,
    quantile_at: usize,
    buckets_at: usize,
}

impl Notes<'_> {
    fn add(&self, level: Level, message: String, position: usize) {
        self.ctx.options.annotations.add(level, message, position);
    }
}

/// Evaluates `histogram_quantile` and the experimental `histogram_quantiles` (with
/// Prometheus' annotations); `None` for other names.
pub(super) fn eval(ctx: &Ctx, c: &Call, args: &[Value], grid: &StepGrid) -> Result<Option<Value>, EvalError> {
    let name = c.func.name;
    let at = |i: usize| c.args.get(i).map_or(0, |a| a.span().start);
    match name {
        "histogram_quantile" => {
            let q = scalar_arg(args, 0, name)?;
            let notes = Notes {
                ctx,
                quantile_at: at(0),
                buckets_at: at(1),
            };
            Ok(Some(Value::Vector(quantiles(
                q,
                vector_arg(args, 1, name)?,
                grid,
                &notes,
            ))))
        }
        "histogram_quantiles" => {
            let series = vector_arg(args, 0, name)?;
            let label = super::string_arg(args, 1, name)?;
            let mut out = Vec::new();
            for i in 2..args.len() {
                let q = scalar_arg(args, i, name)?;
                let text = format_bound(q.first().copied().unwrap_or(f64::NAN));
                let notes = Notes {
                    ctx,
                    quantile_at: at(i),
                    buckets_at: at(0),
                };
                for mut s in quantiles(q, series, grid, &notes) {
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

/// `histogram_quantile(q, series)` for every bucket group, with Prometheus' warnings
/// for a φ outside `[0, 1]` and for buckets without a usable `le`, and its info for
/// counts that had to be made monotonic.
fn quantiles(q: &[f64], series: &[StepSeries], grid: &StepGrid, notes: &Notes) -> Vec<StepSeries> {
    for bad in q.iter().filter(|q| !(0.0..=1.0).contains(*q)) {
        notes.add(Level::Warning, invalid_quantile(*bad), notes.quantile_at);
    }
    // Group the bucket series by their labels without `le` (and the metric name).
    let mut groups: Vec<(Labels, Vec<(f64, usize)>)> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for (i, s) in series.iter().enumerate() {
        let Some(le) = s.labels.get("le").and_then(parse_le) else {
            if s.points.iter().any(Option::is_some) {
                notes.add(Level::Warning, bad_bucket_label(s), notes.buckets_at);
            }
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
                    if present.is_empty() {
                        return None;
                    }
                    let (value, forced_monotonic) = bucket_quantile(q[k], present);
                    if forced_monotonic {
                        notes.add(Level::Info, forced_monotonicity(), notes.buckets_at);
                    }
                    Some(value)
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

/// Prometheus' warning for a bucket series whose `le` is missing or not a number; the
/// metric name is empty when an earlier function dropped it.
fn bad_bucket_label(s: &StepSeries) -> String {
    let name = if s.drop_name {
        ""
    } else {
        s.labels.metric_name().unwrap_or("")
    };
    let le = s.labels.get("le").unwrap_or("");
    format!("bucket label \"le\" is missing or has a malformed value of {le:?} for metric name {name:?}")
}

/// Prometheus' info for bucket counts that were not monotonic. The group's labels
/// no longer hold a metric name there, so the name it gives is always empty.
fn forced_monotonicity() -> String {
    "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"\"".to_string()
}

/// An `le` label as a bound (`+Inf` included); `None` when it is not a number.
fn parse_le(s: &str) -> Option<f64> {
    let v = parquetry_model::value::parse_value(s.trim())?;
    (!v.is_nan()).then_some(v)
}

/// The quantile `q` of cumulative buckets `(upper bound, count)`, as Prometheus computes
/// it: buckets sorted and merged by bound, counts forced monotonic, then linear
/// interpolation inside the bucket the rank falls in.
/// Also says whether a count below its predecessor had to be raised (Prometheus then
/// gives an info).
fn bucket_quantile(q: f64, mut buckets: Vec<(f64, f64)>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return (f64::NAN, false);
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
    let mut forced = false;
    for b in buckets.iter_mut().skip(1) {
        let cur = b.1;
        if cur == prev {
            continue;
        }
        if almost_equal(prev, cur, SMALL_DELTA_TOLERANCE) || cur < prev {
            forced |= cur < prev && !almost_equal(prev, cur, SMALL_DELTA_TOLERANCE);
            b.1 = prev;
            continue;
        }
        prev = cur;
    }
    if buckets.len() < 2 {
        return (f64::NAN, forced);
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations == 0.0 {
        return (f64::NAN, forced);
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1].partition_point(|x| x.1 < rank);
    if b == buckets.len() - 1 {
        return (buckets[buckets.len() - 2].0, forced);
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return (buckets[0].0, forced);
    }
    let (mut start, end, mut count) = (0.0, buckets[b].0, buckets[b].1);
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    (start + (end - start) * (rank / count), forced)
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
        assert!((bucket_quantile(0.5, b.clone()).0 - 0.1).abs() < 1e-12);
        assert!((bucket_quantile(0.75, b.clone()).0 - 0.3).abs() < 1e-12);
        assert_eq!(
            bucket_quantile(0.99, vec![(1.0, 1.0), (f64::INFINITY, 10.0)]).0,
            1.0
        );
        assert!(
            bucket_quantile(0.5, vec![(1.0, 1.0)]).0.is_nan(),
            "no +Inf bucket"
        );
    }

    #[test]
    fn counts_raised_to_monotonic_are_reported_and_tiny_deltas_are_not() {
        let falling = vec![(1.0, 5.0), (2.0, 4.0), (f64::INFINITY, 6.0)];
        assert!(bucket_quantile(0.5, falling).1);
        let jitter = vec![(1.0, 5.0), (2.0, 5.0 - 1e-15), (f64::INFINITY, 6.0)];
        assert!(!bucket_quantile(0.5, jitter).1);
    }
}
