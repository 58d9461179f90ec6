//! TraceQL metrics: the spans a query finds, turned into time series.
//!
//! The range `[start, end)` is cut into steps aligned to multiples of the step; a span
//! counts in the step its start falls in, and the point of a step carries the step's
//! start time. `rate()` is the spans of a step per second of the step,
//! `count_over_time()` their number; `min/max/avg/sum_over_time(field)` and
//! `quantile_over_time(field, q…)` take the field's numeric values (durations in
//! seconds), the quantiles exact (interpolated between the two nearest values, as
//! PromQL's `quantile` does). `histogram_over_time(field)` counts spans per
//! power-of-two bucket, labelled `__bucket` with the bucket's upper bound. `by(…)`
//! fields become labels named as written; a span without a value has no such label.
//! A step without spans has no point.

use super::field::field_value;
use super::spansets::{spansets, union};
use super::trace_view::TraceView;
use super::value::Value;
use super::{EvalError, Regexes, compile_regexes, for_each_batch};
use crate::syntax::ast::{FieldExpr, MetricsFunction, MetricsStage, Query, Rank};
use parquetry_model::Cancel;
use parquetry_spans::SpanStore;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{Value as Json, json};

/// The range and step of a metrics query.
#[derive(Clone, Copy, Debug)]
pub struct MetricsParams {
    /// Spans starting at or after this time (ns)…
    pub start_ns: i64,
    /// …and before this one count.
    pub end_ns: i64,
    /// The step, ns (positive).
    pub step_ns: i64,
}

/// One time series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its labels, sorted by name.
    pub labels: Vec<(String, String)>,
    /// Its points: step start (ms since the epoch) and value, in time order.
    pub points: Vec<(i64, f64)>,
}

/// The answer to a metrics query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsResult {
    /// The series, sorted by labels.
    pub series: Vec<Series>,
    /// Traces evaluated.
    pub inspected_traces: u64,
    /// Spans evaluated.
    pub inspected_spans: u64,
}

/// What one series gathers in one step.
#[derive(Clone, Debug, Default)]
struct Cell {
    count: u64,
    values: Vec<f64>,
}

/// A series' labels, sorted by name.
type Labels = Vec<(String, String)>;

type Cells = FxHashMap<(Labels, i64), Cell>;

/// Runs the metrics query `q` over `store`.
pub fn run_metrics(store: &SpanStore, q: &Query, params: &MetricsParams) -> Result<MetricsResult, EvalError> {
    run_metrics_until(store, q, params, &Cancel::default())
}

/// [`run_metrics`], stopping with [`EvalError::Cancelled`] once `cancel` is cancelled.
pub fn run_metrics_until(
    store: &SpanStore,
    q: &Query,
    params: &MetricsParams,
    cancel: &Cancel,
) -> Result<MetricsResult, EvalError> {
    let Some(stage) = &q.metrics else {
        return Err(EvalError::Invalid(
            "not a metrics query: end it with | rate(), | count_over_time() or another …_over_time() function".into(),
        ));
    };
    if params.step_ns <= 0 || params.end_ns <= params.start_ns {
        return Err(EvalError::Invalid(
            "a metrics query needs a positive step and an end after its start".into(),
        ));
    }
    let regexes = compile_regexes(q)?;
    let first_step = params.start_ns - params.start_ns.rem_euclid(params.step_ns);
    let mut cells = Cells::default();
    let mut result = MetricsResult::default();
    let inspected = for_each_batch(
        store,
        q,
        &regexes,
        (params.start_ns, params.end_ns),
        cancel,
        &mut |batch| {
            let parts: Vec<Cells> = batch
                .into_par_iter()
                .map(|spans| {
                    let mut cells = Cells::default();
                    gather(
                        q,
                        stage,
                        TraceView::new(spans),
                        &regexes,
                        params,
                        first_step,
                        &mut cells,
                    );
                    cells
                })
                .collect();
            for part in parts {
                for (key, cell) in part {
                    let into = cells.entry(key).or_default();
                    into.count += cell.count;
                    into.values.extend(cell.values);
                }
            }
        },
    )?;
    (result.inspected_traces, result.inspected_spans) = inspected;
    result.series = into_series(stage, cells, params.step_ns);
    Ok(result)
}

/// Adds the spans `q` finds in `t` to `cells`.
fn gather(
    q: &Query,
    stage: &MetricsStage,
    t: TraceView,
    regexes: &Regexes,
    params: &MetricsParams,
    first_step: i64,
    cells: &mut Cells,
) {
    let found = union(&spansets(&q.spansets, &t, regexes));
    for i in found {
        let start = t.spans[i].start;
        if !(params.start_ns..params.end_ns).contains(&start) {
            continue;
        }
        let step = first_step + (start - first_step) / params.step_ns * params.step_ns;
        let mut labels: Vec<(String, String)> = stage
            .by
            .iter()
            .filter_map(|f| {
                let v = field_value(f, &t, i, regexes);
                (v != Value::Nil).then(|| (f.to_string(), v.to_text()))
            })
            .collect();
        let value = |f: &FieldExpr| numeric(&field_value(f, &t, i, regexes));
        let sample = match &stage.function {
            MetricsFunction::Rate | MetricsFunction::CountOverTime => None,
            MetricsFunction::HistogramOverTime(f) => {
                let Some(v) = value(f) else { continue };
                labels.push(("__bucket".into(), bucket_bound(v).to_string()));
                None
            }
            MetricsFunction::MinOverTime(f)
            | MetricsFunction::MaxOverTime(f)
            | MetricsFunction::AvgOverTime(f)
            | MetricsFunction::SumOverTime(f)
            | MetricsFunction::QuantileOverTime(f, _) => match value(f) {
                Some(v) => Some(v),
                None => continue,
            },
        };
        labels.sort();
        let cell = cells.entry((labels, step)).or_default();
        cell.count += 1;
        cell.values.extend(sample);
    }
}

/// A field's value as a metrics sample: numbers as they are, durations in seconds.
fn numeric(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Duration(n) => Some(*n as f64 / 1e9),
        other => other.as_f64(),
    }
}

/// The upper bound of the power-of-two bucket that holds `v` (0 for values up to 0).
fn bucket_bound(v: f64) -> f64 {
    if v <= 0.0 {
        0.0
    } else {
        2f64.powi(v.log2().ceil() as i32)
    }
}

/// The `q` quantile of sorted `values`, interpolated between the two nearest ranks.
fn quantile(values: &[f64], q: f64) -> f64 {
    let rank = q * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let weight = rank - low as f64;
    values[low] * (1.0 - weight) + values[high] * weight
}

fn into_series(stage: &MetricsStage, cells: Cells, step_ns: i64) -> Vec<Series> {
    let mut by_labels: FxHashMap<Labels, Vec<(i64, f64)>> = FxHashMap::default();
    let mut push = |labels: Labels, step: i64, v: f64| {
        by_labels
            .entry(labels)
            .or_default()
            .push((step.div_euclid(1_000_000), v));
    };
    for ((labels, step), mut cell) in cells {
        let values = &mut cell.values;
        match &stage.function {
            MetricsFunction::Rate => push(labels, step, cell.count as f64 / (step_ns as f64 / 1e9)),
            MetricsFunction::CountOverTime | MetricsFunction::HistogramOverTime(_) => {
                push(labels, step, cell.count as f64)
            }
            MetricsFunction::MinOverTime(_) => {
                push(labels, step, values.iter().copied().fold(f64::INFINITY, f64::min))
            }
            MetricsFunction::MaxOverTime(_) => push(
                labels,
                step,
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            MetricsFunction::SumOverTime(_) => push(labels, step, values.iter().sum()),
            MetricsFunction::AvgOverTime(_) => {
                push(labels, step, values.iter().sum::<f64>() / values.len() as f64)
            }
            MetricsFunction::QuantileOverTime(_, qs) => {
                values.sort_by(f64::total_cmp);
                for q in qs {
                    let mut with_p = labels.clone();
                    with_p.push(("p".into(), q.to_string()));
                    with_p.sort();
                    push(with_p, step, quantile(values, *q));
                }
            }
        }
    }
    let mut series: Vec<Series> = by_labels
        .into_iter()
        .map(|(labels, mut points)| {
            points.sort_by_key(|p| p.0);
            Series { labels, points }
        })
        .collect();
    if let Some((rank, n)) = stage.rank {
        keep_ranked(&mut series, rank, n);
    }
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    series
}

/// Keeps, at each step, only the points of the `n` series with the largest (`Top`) or
/// smallest values; series left without points go.
fn keep_ranked(series: &mut Vec<Series>, rank: Rank, n: usize) {
    let mut at: FxHashMap<i64, Vec<(f64, usize)>> = FxHashMap::default();
    for (s, one) in series.iter().enumerate() {
        for &(ts, v) in &one.points {
            at.entry(ts).or_default().push((v, s));
        }
    }
    let mut kept: rustc_hash::FxHashSet<(usize, i64)> = Default::default();
    for (ts, mut values) in at {
        values.sort_by(|a, b| match rank {
            Rank::Top => b.0.total_cmp(&a.0),
            Rank::Bottom => a.0.total_cmp(&b.0),
        });
        kept.extend(values.into_iter().take(n).map(|(_, s)| (s, ts)));
    }
    for (s, one) in series.iter_mut().enumerate() {
        one.points.retain(|(ts, _)| kept.contains(&(s, *ts)));
    }
    series.retain(|s| !s.points.is_empty());
}

impl MetricsResult {
    /// The result as Tempo's metrics query-range response: `series[]` with `labels`
    /// (OTLP key-values), `promLabels` and `samples[]` of `timestampMs` and `value`.
    pub fn to_tempo_json(&self) -> Json {
        let series: Vec<Json> = self
            .series
            .iter()
            .map(|s| {
                let labels: Vec<Json> = s
                    .labels
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                    .collect();
                let samples: Vec<Json> = s
                    .points
                    .iter()
                    .map(|(ts, v)| json!({"timestampMs": ts.to_string(), "value": v}))
                    .collect();
                json!({"labels": labels, "promLabels": prom_labels(&s.labels), "samples": samples})
            })
            .collect();
        json!({
            "series": series,
            "metrics": {
                "inspectedTraces": self.inspected_traces,
                "inspectedSpans": self.inspected_spans.to_string(),
            }
        })
    }
}

/// Labels as PromQL writes a label set: `{a="x", b="y"}`.
pub fn prom_labels(labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_and_buckets_are_powers_of_two() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(bucket_bound(0.3), 0.5);
        assert_eq!(bucket_bound(4.0), 4.0);
        assert_eq!(bucket_bound(0.0), 0.0);
    }
}
