//! OTLP/JSON metrics, read into typed structs (64-bit integers as strings or numbers,
//! doubles as numbers or `"NaN"`/`"Infinity"`, enums as numbers or names). The protobuf
//! encoding is converted to these same structs ([`from_proto`]), so one translation
//! serves both.

use super::proto;
use parquetry_model::otlp::{KeyValue, Resource, Scope};
use parquetry_model::otlp_proto::{key_values_json, resource_json, scope_json};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `MetricsData`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MetricsData {
    /// Metrics by resource.
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// The metrics of one resource.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceMetrics {
    /// The resource.
    pub resource: Resource,
    /// Metrics by scope.
    pub scope_metrics: Vec<ScopeMetrics>,
}

/// The metrics of one scope.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScopeMetrics {
    /// The scope.
    pub scope: Scope,
    /// Its metrics.
    pub metrics: Vec<Metric>,
}

/// One metric; exactly one of its kinds is set.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metric {
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
    /// The UCUM unit.
    pub unit: String,
    /// Gauge points.
    pub gauge: Option<Points<NumberPoint>>,
    /// Sum points.
    pub sum: Option<Sum>,
    /// Histogram points.
    pub histogram: Option<Histogram>,
    /// Exponential histogram points (counted only).
    pub exponential_histogram: Option<Points<IgnoredPoint>>,
    /// Summary points.
    pub summary: Option<Points<SummaryPoint>>,
}

/// Points of a gauge, summary or exponential histogram.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Points<P> {
    /// The points.
    #[serde(default = "Vec::new")]
    pub data_points: Vec<P>,
}

/// A sum.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Sum {
    /// The points.
    pub data_points: Vec<NumberPoint>,
    /// 1 delta, 2 cumulative.
    #[serde(deserialize_with = "temporality")]
    pub aggregation_temporality: i32,
    /// True for a counter.
    pub is_monotonic: bool,
}

/// A histogram.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Histogram {
    /// The points.
    pub data_points: Vec<HistogramPoint>,
    /// 1 delta, 2 cumulative.
    #[serde(deserialize_with = "temporality")]
    pub aggregation_temporality: i32,
}

/// A point whose content is not read.
#[derive(Debug, Default, Deserialize)]
pub struct IgnoredPoint {}

/// A gauge or sum point.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NumberPoint {
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
    /// When, ns since the epoch.
    #[serde(deserialize_with = "uint")]
    pub time_unix_nano: u64,
    /// A double value.
    #[serde(deserialize_with = "some_double")]
    pub as_double: Option<f64>,
    /// An integer value.
    #[serde(deserialize_with = "some_int")]
    pub as_int: Option<i64>,
    /// Bit 0: no recorded value.
    pub flags: u32,
}

/// A histogram point.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HistogramPoint {
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
    /// When, ns since the epoch.
    #[serde(deserialize_with = "uint")]
    pub time_unix_nano: u64,
    /// Observations.
    #[serde(deserialize_with = "uint")]
    pub count: u64,
    /// Their sum, when recorded.
    #[serde(deserialize_with = "some_double")]
    pub sum: Option<f64>,
    /// Observations per bucket.
    #[serde(deserialize_with = "uints")]
    pub bucket_counts: Vec<u64>,
    /// Bucket upper bounds.
    #[serde(deserialize_with = "doubles")]
    pub explicit_bounds: Vec<f64>,
    /// Bit 0: no recorded value.
    pub flags: u32,
}

/// A summary point.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SummaryPoint {
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
    /// When, ns since the epoch.
    #[serde(deserialize_with = "uint")]
    pub time_unix_nano: u64,
    /// Observations.
    #[serde(deserialize_with = "uint")]
    pub count: u64,
    /// Their sum.
    #[serde(deserialize_with = "double")]
    pub sum: f64,
    /// Quantiles.
    pub quantile_values: Vec<Quantile>,
    /// Bit 0: no recorded value.
    pub flags: u32,
}

/// One quantile.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Quantile {
    /// The quantile.
    #[serde(deserialize_with = "double")]
    pub quantile: f64,
    /// Its value.
    #[serde(deserialize_with = "double")]
    pub value: f64,
}

fn number_error<E: serde::de::Error>(v: &Value, what: &str) -> E {
    E::custom(format!("{v} is not {what}"))
}

fn double_of<E: serde::de::Error>(v: &Value) -> Result<f64, E> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| number_error(v, "a double")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other.parse().map_err(|_| number_error(v, "a double")),
        },
        _ => Err(number_error(v, "a double")),
    }
}

fn uint_of<E: serde::de::Error>(v: &Value) -> Result<u64, E> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| number_error(v, "an unsigned 64-bit integer")),
        Value::String(s) => s
            .parse()
            .map_err(|_| number_error(v, "an unsigned 64-bit integer")),
        _ => Err(number_error(v, "an unsigned 64-bit integer")),
    }
}

fn double<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    double_of(&Value::deserialize(d)?)
}

fn some_double<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => double_of(&v).map(Some),
    }
}

fn some_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| number_error(&v, "a 64-bit integer")),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| number_error(&v, "a 64-bit integer")),
        _ => Err(number_error(&v, "a 64-bit integer")),
    }
}

fn uint<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(0),
        v => uint_of(&v),
    }
}

fn uints<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Vec::<Value>::deserialize(d)?.iter().map(uint_of).collect()
}

fn doubles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Vec::<Value>::deserialize(d)?.iter().map(double_of).collect()
}

/// An `AggregationTemporality`: its number or its enum name.
fn temporality<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_i64()
            .map(|n| n as i32)
            .ok_or_else(|| number_error(&v, "a temporality")),
        Value::String(s) => match s.as_str() {
            "AGGREGATION_TEMPORALITY_UNSPECIFIED" => Ok(0),
            "AGGREGATION_TEMPORALITY_DELTA" => Ok(proto::TEMPORALITY_DELTA),
            "AGGREGATION_TEMPORALITY_CUMULATIVE" => Ok(proto::TEMPORALITY_CUMULATIVE),
            _ => Err(number_error(&v, "a temporality")),
        },
        _ => Err(number_error(&v, "a temporality")),
    }
}

/// A protobuf `MetricsData` as these structs.
pub fn from_proto(data: proto::MetricsData) -> MetricsData {
    MetricsData {
        resource_metrics: data
            .resource_metrics
            .into_iter()
            .map(|r| ResourceMetrics {
                resource: resource_json(r.resource.unwrap_or_default()),
                scope_metrics: r
                    .scope_metrics
                    .into_iter()
                    .map(|s| ScopeMetrics {
                        scope: scope_json(s.scope.unwrap_or_default()),
                        metrics: s.metrics.into_iter().map(metric_of).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn metric_of(m: proto::Metric) -> Metric {
    let mut metric = Metric {
        name: m.name,
        description: m.description,
        unit: m.unit,
        ..Metric::default()
    };
    match m.data {
        None => {}
        Some(proto::Data::Gauge(g)) => {
            metric.gauge = Some(Points {
                data_points: g.data_points.into_iter().map(number_point).collect(),
            });
        }
        Some(proto::Data::Sum(s)) => {
            metric.sum = Some(Sum {
                data_points: s.data_points.into_iter().map(number_point).collect(),
                aggregation_temporality: s.aggregation_temporality,
                is_monotonic: s.is_monotonic,
            });
        }
        Some(proto::Data::Histogram(h)) => {
            metric.histogram = Some(Histogram {
                data_points: h
                    .data_points
                    .into_iter()
                    .map(|p| HistogramPoint {
                        attributes: key_values_json(p.attributes),
                        time_unix_nano: p.time_unix_nano,
                        count: p.count,
                        sum: p.sum,
                        bucket_counts: p.bucket_counts,
                        explicit_bounds: p.explicit_bounds,
                        flags: p.flags,
                    })
                    .collect(),
                aggregation_temporality: h.aggregation_temporality,
            });
        }
        Some(proto::Data::ExponentialHistogram(h)) => {
            metric.exponential_histogram = Some(Points {
                data_points: h.data_points.iter().map(|_| IgnoredPoint {}).collect(),
            });
        }
        Some(proto::Data::Summary(s)) => {
            metric.summary = Some(Points {
                data_points: s
                    .data_points
                    .into_iter()
                    .map(|p| SummaryPoint {
                        attributes: key_values_json(p.attributes),
                        time_unix_nano: p.time_unix_nano,
                        count: p.count,
                        sum: p.sum,
                        quantile_values: p
                            .quantile_values
                            .into_iter()
                            .map(|q| Quantile {
                                quantile: q.quantile,
                                value: q.value,
                            })
                            .collect(),
                        flags: p.flags,
                    })
                    .collect(),
            });
        }
    }
    metric
}

fn number_point(p: proto::NumberDataPoint) -> NumberPoint {
    let (as_double, as_int) = match p.value {
        Some(proto::NumberValue::AsDouble(d)) => (Some(d), None),
        Some(proto::NumberValue::AsInt(i)) => (None, Some(i)),
        None => (None, None),
    };
    NumberPoint {
        attributes: key_values_json(p.attributes),
        time_unix_nano: p.time_unix_nano,
        as_double,
        as_int,
        flags: p.flags,
    }
}
