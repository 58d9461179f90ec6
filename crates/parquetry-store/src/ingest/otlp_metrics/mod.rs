//! OTLP metrics (protobuf or OTLP/JSON) translated into series as Prometheus 3
//! translates them with its default settings: names and units as [`names`] spells them;
//! point attributes as labels (names that collide once made label names have their
//! values joined with `;`, in attribute order); `job` from `service.namespace/service.name`
//! and `instance` from `service.instance.id`; the other resource attributes on a
//! `target_info` series of value 1, sampled every 2m30s (half the lookback) from the
//! resource's first point to its last. Gauges and non-monotonic sums are gauges,
//! monotonic sums counters; histograms become `_bucket{le}` (cumulative), `_sum` and
//! `_count`; summaries `{quantile}`, `_sum` and `_count`. Points flagged as having no
//! recorded value are stale markers.
//!
//! Sums and histograms that are not cumulative (Prometheus refuses delta temporality
//! unless asked) and exponential histograms (native histograms, not stored yet) are left
//! out and counted as rejected points. Anything else invalid refuses the whole request.

pub mod json;
pub mod names;
pub mod proto;

use json::{HistogramPoint, Metric, MetricsData, NumberPoint, SummaryPoint};
use names::{NameKind, label_name, metadata_unit, metric_name};
use parquetry_model::otlp::{KeyValue, any_value_text};
use parquetry_model::value::stale_nan;
use parquetry_model::{Labels, METRIC_NAME, MetricMetadata, MetricType};
use prost::Message;
use std::collections::BTreeMap;

/// Resource attributes that name the target (`job` and `instance`) rather than describe
/// it.
const IDENTIFYING: [&str; 3] = ["service.name", "service.namespace", "service.instance.id"];

/// Spacing of `target_info` samples: half of Prometheus' default lookback.
const TARGET_INFO_INTERVAL_MS: i64 = 150_000;

/// What a metrics request carries once translated.
#[derive(Debug, Default, PartialEq)]
pub struct OtlpMetrics {
    /// Series (a label set may come more than once) and their samples in request order,
    /// times in milliseconds.
    pub series: Vec<(Labels, Vec<(i64, f64)>)>,
    /// One declaration per metric family.
    pub metadata: Vec<MetricMetadata>,
    /// Points left out: delta sums and histograms, exponential histograms.
    pub rejected: u64,
    /// Why points were left out, each reason once.
    pub reasons: Vec<String>,
}

impl OtlpMetrics {
    /// Samples in all series.
    pub fn samples(&self) -> usize {
        self.series.iter().map(|(_, points)| points.len()).sum()
    }

    fn reject(&mut self, points: usize, reason: String) {
        if points == 0 {
            return;
        }
        self.rejected += points as u64;
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }
}

/// Translates a protobuf `MetricsData` (or `ExportMetricsServiceRequest`).
pub fn decode_protobuf(bytes: &[u8]) -> Result<OtlpMetrics, String> {
    let data = proto::MetricsData::decode(bytes)
        .map_err(|e| format!("not an OTLP protobuf MetricsData message: {e}"))?;
    translate(json::from_proto(data))
}

/// Translates an OTLP/JSON `MetricsData`.
pub fn decode_json(bytes: &[u8]) -> Result<OtlpMetrics, String> {
    let data: MetricsData =
        serde_json::from_slice(bytes).map_err(|e| format!("malformed OTLP/JSON metrics request: {e}"))?;
    translate(data)
}

/// Translates every resource's metrics.
pub fn translate(data: MetricsData) -> Result<OtlpMetrics, String> {
    let mut out = OtlpMetrics::default();
    for resource in data.resource_metrics {
        let target = Target::of(&resource.resource.attributes);
        let mut times = TimeRange::default();
        for scope in resource.scope_metrics {
            for metric in scope.metrics {
                add_metric(&mut out, &target, &mut times, metric)?;
            }
        }
        target.add_info(&mut out, times);
    }
    Ok(out)
}

/// The first and last point time of a resource, milliseconds.
#[derive(Clone, Copy, Default)]
struct TimeRange(Option<(i64, i64)>);

impl TimeRange {
    fn include(&mut self, t: i64) {
        self.0 = Some(match self.0 {
            Some((a, b)) => (a.min(t), b.max(t)),
            None => (t, t),
        });
    }
}

/// A resource's identifying labels and the rest of its attributes.
struct Target {
    /// `job` and `instance`, where the resource names them.
    identity: Vec<(String, String)>,
    /// The other attributes, as label pairs.
    info: Vec<(String, String)>,
}

impl Target {
    fn of(attributes: &[KeyValue]) -> Target {
        let text = |key: &str| {
            attributes
                .iter()
                .find(|kv| kv.key == key)
                .map(|kv| kv.value.as_ref().map(any_value_text).unwrap_or_default())
        };
        let mut identity = Vec::new();
        if let Some(name) = text("service.name") {
            let job = match text("service.namespace") {
                Some(namespace) => format!("{namespace}/{name}"),
                None => name,
            };
            identity.push(("job".to_string(), job));
        }
        if let Some(instance) = text("service.instance.id") {
            identity.push(("instance".to_string(), instance));
        }
        let others: Vec<&KeyValue> = attributes
            .iter()
            .filter(|kv| !IDENTIFYING.contains(&kv.key.as_str()))
            .collect();
        Target {
            identity,
            info: label_pairs(others.into_iter()),
        }
    }

    /// The labels of a point: its attributes, the identity over them, then `extra`
    /// (the metric name and `le` or `quantile`).
    fn labels(&self, attributes: &[KeyValue], extra: &[(&str, String)]) -> Labels {
        let mut pairs: BTreeMap<String, String> = label_pairs(attributes.iter()).into_iter().collect();
        for (name, value) in self.identity.iter().cloned() {
            pairs.insert(name, value);
        }
        for (name, value) in extra {
            pairs.insert(name.to_string(), value.clone());
        }
        pairs.retain(|_, v| !v.is_empty());
        Labels::from_pairs(pairs)
    }

    /// `target_info` for a resource with descriptive attributes, an identity and points.
    fn add_info(&self, out: &mut OtlpMetrics, times: TimeRange) {
        let Some((first, last)) = times.0 else { return };
        if self.info.is_empty() || self.identity.is_empty() {
            return;
        }
        let mut pairs: BTreeMap<String, String> = self.info.iter().cloned().collect();
        pairs.extend(self.identity.iter().cloned());
        pairs.insert(METRIC_NAME.to_string(), "target_info".to_string());
        pairs.retain(|_, v| !v.is_empty());
        let mut points: Vec<(i64, f64)> = (first..last)
            .step_by(TARGET_INFO_INTERVAL_MS as usize)
            .map(|t| (t, 1.0))
            .collect();
        points.push((last, 1.0));
        out.series.push((Labels::from_pairs(pairs), points));
    }
}

/// Attributes as label pairs: names made label names, values of names that collide
/// joined with `;` in the order of their original keys.
fn label_pairs<'a>(attributes: impl Iterator<Item = &'a KeyValue>) -> Vec<(String, String)> {
    let mut sorted: Vec<&KeyValue> = attributes.collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for kv in sorted {
        let value = kv.value.as_ref().map(any_value_text).unwrap_or_default();
        out.entry(label_name(&kv.key))
            .and_modify(|held| {
                held.push(';');
                held.push_str(&value);
            })
            .or_insert(value);
    }
    out.into_iter().collect()
}

/// A point's time in milliseconds (every `u64` of nanoseconds is within the years the
/// store takes).
fn time_ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

/// A value, or the stale marker when the point has no recorded value.
fn recorded(flags: u32, value: f64) -> f64 {
    if flags & 1 == 1 { stale_nan() } else { value }
}

/// A bound or quantile as Prometheus writes it in `le` and `quantile`.
fn float_label(f: f64) -> String {
    if f == f64::INFINITY {
        "+Inf".to_string()
    } else if f == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        f.to_string()
    }
}

fn add_metric(
    out: &mut OtlpMetrics,
    target: &Target,
    times: &mut TimeRange,
    metric: Metric,
) -> Result<(), String> {
    let (kind, name_kind) = match (&metric.gauge, &metric.sum, &metric.histogram, &metric.summary) {
        (Some(_), ..) => (MetricType::Gauge, NameKind::Gauge),
        (_, Some(sum), ..) if sum.is_monotonic => (MetricType::Counter, NameKind::Counter),
        (_, Some(_), ..) => (MetricType::Gauge, NameKind::Other),
        (_, _, Some(_), _) => (MetricType::Histogram, NameKind::Other),
        (.., Some(_)) => (MetricType::Summary, NameKind::Other),
        _ => {
            if let Some(h) = &metric.exponential_histogram {
                let reason = "exponential histograms (native histograms) are not stored yet".to_string();
                out.reject(h.data_points.len(), reason);
            }
            return Ok(());
        }
    };
    let name = metric_name(&metric.name, &metric.unit, name_kind);
    if name.is_empty() {
        return Err(format!(
            "metric {:?} has no name once made a Prometheus name",
            metric.name
        ));
    }
    let cumulative = |temporality: i32| temporality == proto::TEMPORALITY_CUMULATIVE;
    let before = out.series.len();
    if let Some(gauge) = &metric.gauge {
        add_numbers(out, target, times, &name, &gauge.data_points);
    } else if let Some(sum) = &metric.sum {
        if !cumulative(sum.aggregation_temporality) {
            out.reject(
                sum.data_points.len(),
                format!("sum {:?} is not cumulative", metric.name),
            );
            return Ok(());
        }
        add_numbers(out, target, times, &name, &sum.data_points);
    } else if let Some(histogram) = &metric.histogram {
        if !cumulative(histogram.aggregation_temporality) {
            let reason = format!("histogram {:?} is not cumulative", metric.name);
            out.reject(histogram.data_points.len(), reason);
            return Ok(());
        }
        for point in &histogram.data_points {
            add_histogram(out, target, times, &name, point)?;
        }
    } else if let Some(summary) = &metric.summary {
        for point in &summary.data_points {
            add_summary(out, target, times, &name, point);
        }
    }
    if out.series.len() > before && !out.metadata.iter().any(|m| m.metric == name) {
        out.metadata.push(MetricMetadata {
            metric: name,
            kind,
            help: metric.description,
            unit: metadata_unit(&metric.unit),
        });
    }
    Ok(())
}

fn add_numbers(
    out: &mut OtlpMetrics,
    target: &Target,
    times: &mut TimeRange,
    name: &str,
    points: &[NumberPoint],
) {
    for point in points {
        let t = time_ms(point.time_unix_nano);
        times.include(t);
        let value = point.as_double.or(point.as_int.map(|i| i as f64)).unwrap_or(0.0);
        let labels = target.labels(&point.attributes, &[(METRIC_NAME, name.to_string())]);
        out.series.push((labels, vec![(t, recorded(point.flags, value))]));
    }
}

fn add_histogram(
    out: &mut OtlpMetrics,
    target: &Target,
    times: &mut TimeRange,
    name: &str,
    point: &HistogramPoint,
) -> Result<(), String> {
    let t = time_ms(point.time_unix_nano);
    times.include(t);
    let buckets = &point.bucket_counts;
    if !buckets.is_empty() && buckets.len() != point.explicit_bounds.len() + 1 {
        return Err(format!(
            "histogram {name:?}: {} bucket counts for {} bounds (one more than the bounds is needed)",
            buckets.len(),
            point.explicit_bounds.len()
        ));
    }
    let mut add = |suffix: &str, extra: Option<(&str, String)>, value: f64| {
        add_classic(
            out,
            target,
            &point.attributes,
            (name, suffix, extra),
            t,
            recorded(point.flags, value),
        );
    };
    if let Some(sum) = point.sum {
        add("_sum", None, sum);
    }
    add("_count", None, point.count as f64);
    let mut cumulative = 0u64;
    for (bound, count) in point.explicit_bounds.iter().zip(buckets) {
        cumulative += count;
        add("_bucket", Some(("le", float_label(*bound))), cumulative as f64);
    }
    add("_bucket", Some(("le", "+Inf".to_string())), point.count as f64);
    Ok(())
}

fn add_summary(
    out: &mut OtlpMetrics,
    target: &Target,
    times: &mut TimeRange,
    name: &str,
    point: &SummaryPoint,
) {
    let t = time_ms(point.time_unix_nano);
    times.include(t);
    let mut add = |suffix: &str, extra: Option<(&str, String)>, value: f64| {
        add_classic(
            out,
            target,
            &point.attributes,
            (name, suffix, extra),
            t,
            recorded(point.flags, value),
        );
    };
    add("_sum", None, point.sum);
    add("_count", None, point.count as f64);
    for q in &point.quantile_values {
        add("", Some(("quantile", float_label(q.quantile))), q.value);
    }
}

/// One sample of a histogram's or summary's classic series: `name` with `suffix`, and
/// `le` or `quantile` when given, over the point's attributes.
fn add_classic(
    out: &mut OtlpMetrics,
    target: &Target,
    attributes: &[KeyValue],
    (name, suffix, extra): (&str, &str, Option<(&str, String)>),
    t: i64,
    value: f64,
) {
    let mut labels = vec![(METRIC_NAME, format!("{name}{suffix}"))];
    labels.extend(extra);
    out.series
        .push((target.labels(attributes, &labels), vec![(t, value)]));
}

#[cfg(test)]
mod tests;
