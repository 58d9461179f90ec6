//! OTLP protobuf metrics: the `MetricsData` messages (an `ExportMetricsServiceRequest`
//! has the same encoding), declared with prost from the published
//! `opentelemetry.proto.metrics.v1` messages. Exponential histogram points are only
//! counted, as they are not stored yet.

use parquetry_model::otlp_proto::{InstrumentationScope, KeyValue, ResourceProto};
use prost::Message;

/// `opentelemetry.proto.metrics.v1.MetricsData`.
#[derive(Clone, PartialEq, Message)]
pub struct MetricsData {
    /// Metrics by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// The metrics of one resource.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceMetrics {
    /// The resource.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<ResourceProto>,
    /// Metrics by scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_metrics: Vec<ScopeMetrics>,
}

/// The metrics of one instrumentation scope.
#[derive(Clone, PartialEq, Message)]
pub struct ScopeMetrics {
    /// The scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// Its metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
}

/// One metric: name, description, unit and its points of one kind.
#[derive(Clone, PartialEq, Message)]
pub struct Metric {
    /// The name (`http.server.request.duration`).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The description.
    #[prost(string, tag = "2")]
    pub description: String,
    /// The UCUM unit (`s`, `By`, `1`, `{request}`).
    #[prost(string, tag = "3")]
    pub unit: String,
    /// The points.
    #[prost(oneof = "Data", tags = "5, 7, 9, 10, 11")]
    pub data: Option<Data>,
}

/// The kinds of a metric's points.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Data {
    /// Values that go up and down.
    #[prost(message, tag = "5")]
    Gauge(Gauge),
    /// Sums over time, monotonic (counters) or not.
    #[prost(message, tag = "7")]
    Sum(Sum),
    /// Histograms with explicit bucket bounds.
    #[prost(message, tag = "9")]
    Histogram(Histogram),
    /// Exponential histograms.
    #[prost(message, tag = "10")]
    ExponentialHistogram(ExponentialHistogram),
    /// Summaries with quantiles.
    #[prost(message, tag = "11")]
    Summary(Summary),
}

/// `Gauge`.
#[derive(Clone, PartialEq, Message)]
pub struct Gauge {
    /// Its points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
}

/// `Sum`.
#[derive(Clone, PartialEq, Message)]
pub struct Sum {
    /// Its points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
    /// 1 delta, 2 cumulative.
    #[prost(int32, tag = "2")]
    pub aggregation_temporality: i32,
    /// True for a counter.
    #[prost(bool, tag = "3")]
    pub is_monotonic: bool,
}

/// `Histogram`.
#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    /// Its points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<HistogramDataPoint>,
    /// 1 delta, 2 cumulative.
    #[prost(int32, tag = "2")]
    pub aggregation_temporality: i32,
}

/// `ExponentialHistogram`, its points only counted.
#[derive(Clone, PartialEq, Message)]
pub struct ExponentialHistogram {
    /// Its points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<ExponentialHistogramDataPoint>,
}

/// An exponential histogram point, counted and not read.
#[derive(Clone, PartialEq, Message)]
pub struct ExponentialHistogramDataPoint {}

/// `Summary`.
#[derive(Clone, PartialEq, Message)]
pub struct Summary {
    /// Its points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<SummaryDataPoint>,
}

/// A point of a gauge or sum.
#[derive(Clone, PartialEq, Message)]
pub struct NumberDataPoint {
    /// Its attributes (labels).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of a cumulative series, ns since the epoch.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// When, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// The value.
    #[prost(oneof = "NumberValue", tags = "4, 6")]
    pub value: Option<NumberValue>,
    /// Bit 0: no recorded value (a stale marker).
    #[prost(uint32, tag = "8")]
    pub flags: u32,
}

/// A number point's value.
#[derive(Clone, Copy, PartialEq, prost::Oneof)]
pub enum NumberValue {
    /// A double.
    #[prost(double, tag = "4")]
    AsDouble(f64),
    /// An integer.
    #[prost(sfixed64, tag = "6")]
    AsInt(i64),
}

/// A point of a histogram with explicit bounds.
#[derive(Clone, PartialEq, Message)]
pub struct HistogramDataPoint {
    /// Its attributes (labels).
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Start of a cumulative series, ns since the epoch.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// When, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Their sum, when recorded.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// Observations per bucket (not cumulative), one more than the bounds.
    #[prost(fixed64, repeated, tag = "6")]
    pub bucket_counts: Vec<u64>,
    /// Upper bounds of the buckets but the last.
    #[prost(double, repeated, tag = "7")]
    pub explicit_bounds: Vec<f64>,
    /// Bit 0: no recorded value (a stale marker).
    #[prost(uint32, tag = "10")]
    pub flags: u32,
}

/// A point of a summary.
#[derive(Clone, PartialEq, Message)]
pub struct SummaryDataPoint {
    /// Its attributes (labels).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of a cumulative series, ns since the epoch.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// When, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Their sum.
    #[prost(double, tag = "5")]
    pub sum: f64,
    /// Quantiles.
    #[prost(message, repeated, tag = "6")]
    pub quantile_values: Vec<ValueAtQuantile>,
    /// Bit 0: no recorded value (a stale marker).
    #[prost(uint32, tag = "8")]
    pub flags: u32,
}

/// One quantile of a summary point.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct ValueAtQuantile {
    /// The quantile, 0 to 1.
    #[prost(double, tag = "1")]
    pub quantile: f64,
    /// Its value.
    #[prost(double, tag = "2")]
    pub value: f64,
}

/// `AggregationTemporality` delta: such sums and histograms are not translated.
pub const TEMPORALITY_DELTA: i32 = 1;
/// `AggregationTemporality` cumulative.
pub const TEMPORALITY_CUMULATIVE: i32 = 2;
