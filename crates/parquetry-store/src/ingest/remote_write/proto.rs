//! The messages of Prometheus' remote write protocols, declared with prost from the
//! published specifications: 1.0's `prometheus.WriteRequest` and 2.0's
//! `io.prometheus.write.v2.Request`. Native histograms are decoded only far enough to be
//! counted.

use prost::Message;

/// `prometheus.WriteRequest` (remote write 1.0).
#[derive(Clone, PartialEq, Message)]
pub struct WriteRequest {
    /// The series and their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric family metadata (sent in requests of their own by Prometheus).
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// One series of a 1.0 request.
#[derive(Clone, PartialEq, Message)]
pub struct TimeSeries {
    /// The labels, sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars.
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
    /// Native histogram samples.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<Histogram>,
}

/// A label of a 1.0 series.
#[derive(Clone, PartialEq, Message)]
pub struct Label {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A float sample (both versions).
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// A 1.0 exemplar.
#[derive(Clone, PartialEq, Message)]
pub struct Exemplar {
    /// Its labels (a trace id, typically).
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Its value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// A native histogram sample; only its time is read (histograms are counted, not
/// stored).
#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
}

/// 1.0's metadata of one metric family.
#[derive(Clone, PartialEq, Message)]
pub struct MetricMetadata {
    /// The family's type, numbered as [`parquetry_model::MetricType::ALL`].
    #[prost(int32, tag = "1")]
    pub kind: i32,
    /// The family's name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Its help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Its unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// `io.prometheus.write.v2.Request` (remote write 2.0): strings are interned in
/// `symbols` (the first one empty) and referred to by index.
#[derive(Clone, PartialEq, Message)]
pub struct RequestV2 {
    /// The interned strings.
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    /// The series.
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeriesV2>,
}

/// One series of a 2.0 request.
#[derive(Clone, PartialEq, Message)]
pub struct TimeSeriesV2 {
    /// Name and value references into the symbols, alternating, sorted by name.
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// Float samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Native histogram samples.
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    /// Exemplars.
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<ExemplarV2>,
    /// The series' metric family metadata.
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<MetadataV2>,
}

/// A 2.0 exemplar.
#[derive(Clone, PartialEq, Message)]
pub struct ExemplarV2 {
    /// Its labels, as symbol references.
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// Its value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// 2.0's metadata of a series' family.
#[derive(Clone, PartialEq, Message)]
pub struct MetadataV2 {
    /// The family's type, numbered as [`parquetry_model::MetricType::ALL`].
    #[prost(int32, tag = "1")]
    pub kind: i32,
    /// Help text, as a symbol reference.
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    /// Unit, as a symbol reference.
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}
