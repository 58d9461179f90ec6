//! Prometheus remote write requests (protocols 1.0 and 2.0, snappy block-compressed
//! protobuf) read into series, samples and metric family metadata, checked whole before
//! anything is kept: a request with one invalid series is refused entirely, with the
//! reason.

pub mod proto;
pub mod wire;

use parquetry_model::{Labels, METRIC_NAME, MetricMetadata, MetricType};
use prost::Message;
use std::ops::Range;
use wire::Value;

/// Earliest sample time accepted: 0001-01-01T00:00:00Z, in milliseconds.
pub const MIN_TIMESTAMP_MS: i64 = -62_135_596_800_000;
/// Latest sample time accepted: 9999-12-31T23:59:59.999Z, in milliseconds.
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// Which remote write protocol a request speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// 1.0: `prometheus.WriteRequest`.
    V1,
    /// 2.0: `io.prometheus.write.v2.Request`.
    V2,
}

impl Protocol {
    /// The protocol a `Content-Type` header names: no `proto` parameter or
    /// `proto=prometheus.WriteRequest` is 1.0, `proto=io.prometheus.write.v2.Request`
    /// 2.0; anything that is not `application/x-protobuf` is `None`.
    pub fn from_content_type(content_type: &str) -> Option<Protocol> {
        let mut parts = content_type.split(';').map(str::trim);
        if !parts.next()?.eq_ignore_ascii_case("application/x-protobuf") {
            return None;
        }
        let mut protocol = Protocol::V1;
        for part in parts {
            if let Some(name) = part.strip_prefix("proto=") {
                protocol = match name.trim_matches('"') {
                    "prometheus.WriteRequest" => Protocol::V1,
                    "io.prometheus.write.v2.Request" => Protocol::V2,
                    _ => return None,
                };
            }
        }
        Some(protocol)
    }
}

/// A request decompressed and, for 2.0, decoded: what [`Decoded::read`] reads its
/// series from without copying their labels.
pub enum Decoded {
    /// A 1.0 request's protobuf bytes, read in place.
    V1(Vec<u8>),
    /// A 2.0 request (its symbols are the labels' text).
    V2(proto::RequestV2),
}

/// A label's name and value, borrowed from a request.
pub type LabelPair<'a> = (&'a str, &'a str);

/// What one request carries, its label text borrowed from the [`Decoded`] request: every
/// series' labels and samples in two flat lists, each series a range of both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteWrite<'a> {
    pairs: Vec<LabelPair<'a>>,
    points: Vec<(i64, f64)>,
    spans: Vec<(Range<usize>, Range<usize>)>,
    /// Metric family metadata.
    pub metadata: Vec<MetricMetadata>,
    /// Native histogram samples, counted and not stored.
    pub histograms: u64,
    /// Exemplars, counted and not stored.
    pub exemplars: u64,
}

impl<'a> RemoteWrite<'a> {
    /// Float samples in all series.
    pub fn samples(&self) -> u64 {
        self.points.len() as u64
    }

    /// Each series with samples: its labels (sorted by name, each once, no empty
    /// value) and its samples as sent (times in milliseconds; stale markers kept bit for
    /// bit).
    pub fn series(&self) -> impl Iterator<Item = (&[LabelPair<'a>], &[(i64, f64)])> {
        self.spans
            .iter()
            .map(|(labels, points)| (&self.pairs[labels.clone()], &self.points[points.clone()]))
    }

    /// Checks and adds one series: `pairs` as sent, then its samples.
    fn push(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        points: impl IntoIterator<Item = (i64, f64)>,
    ) -> Result<(), RemoteWriteError> {
        let labels_from = self.pairs.len();
        let checked = self.push_labels(pairs);
        let labels = labels_from..self.pairs.len();
        if let Err(e) = checked {
            return Err(RemoteWriteError::Invalid(e));
        }
        let points_from = self.points.len();
        self.points.extend(points);
        let points = points_from..self.points.len();
        if let Some(&(t, _)) = self.points[points.clone()]
            .iter()
            .find(|(t, _)| !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(t))
        {
            let name = Labels::from_pairs(self.pairs[labels].iter().copied());
            return Err(RemoteWriteError::Invalid(format!(
                "sample of {name} at {t} ms is out of range: times must be within years 1 to 9999"
            )));
        }
        if !points.is_empty() {
            self.spans.push((labels, points));
        }
        Ok(())
    }

    /// Adds a series' labels, checked: names not empty, sorted and each once, a
    /// non-empty metric name. Labels with empty values are left out, as Prometheus
    /// treats them as absent.
    fn push_labels(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), String> {
        let from = self.pairs.len();
        let mut previous: Option<&str> = None;
        let mut named = false;
        for (name, value) in pairs {
            if name.is_empty() {
                return Err("a label name is empty".to_string());
            }
            if let Some(before) = previous {
                if before == name {
                    return Err(format!("label name {name:?} appears twice in one series"));
                }
                if before > name {
                    return Err(format!(
                        "labels are not sorted by name: {name:?} comes after {before:?}"
                    ));
                }
            }
            previous = Some(name);
            if !value.is_empty() {
                named |= name == METRIC_NAME;
                self.pairs.push((name, value));
            }
        }
        if !named {
            let labels = Labels::from_pairs(self.pairs[from..].iter().copied());
            return Err(format!(
                "series {labels} has no {METRIC_NAME} label: every series needs a metric name"
            ));
        }
        Ok(())
    }
}

/// Why a request was refused (all are the sender's fault: HTTP 400, not retried).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RemoteWriteError {
    /// The body is not a snappy block.
    #[error("the body is not snappy block-compressed: {0}")]
    NotSnappy(String),
    /// The decompressed body is not the protocol's message.
    #[error("the body does not decode as {message}: {reason}")]
    NotProtobuf {
        /// The message expected.
        message: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// A series breaks the protocol's rules.
    #[error("{0}")]
    Invalid(String),
}

/// Decompresses a request body of `protocol` (and decodes a 2.0 one); its series are
/// read, and checked, by [`Decoded::read`].
pub fn decode(protocol: Protocol, body: &[u8]) -> Result<Decoded, RemoteWriteError> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| RemoteWriteError::NotSnappy(e.to_string()))?;
    match protocol {
        Protocol::V1 => Ok(Decoded::V1(raw)),
        Protocol::V2 => proto::RequestV2::decode(raw.as_slice())
            .map(Decoded::V2)
            .map_err(|e| RemoteWriteError::NotProtobuf {
                message: "io.prometheus.write.v2.Request",
                reason: e.to_string(),
            }),
    }
}

impl Decoded {
    /// Every series of the request, checked; the first invalid one refuses the whole
    /// request.
    pub fn read(&self) -> Result<RemoteWrite<'_>, RemoteWriteError> {
        match self {
            Decoded::V1(raw) => read_v1(raw),
            Decoded::V2(request) => read_v2(request),
        }
    }
}

/// A 1.0 request read in place.
fn read_v1(raw: &[u8]) -> Result<RemoteWrite<'_>, RemoteWriteError> {
    let not_v1 = |reason: String| RemoteWriteError::NotProtobuf {
        message: "prometheus.WriteRequest",
        reason,
    };
    let mut out = RemoteWrite::default();
    let mut labels: Vec<(&str, &str)> = Vec::new();
    let mut points: Vec<(i64, f64)> = Vec::new();
    for field in wire::Fields::of(raw) {
        match field.map_err(not_v1)? {
            (1, Value::Bytes(series)) => {
                labels.clear();
                points.clear();
                for field in wire::Fields::of(series) {
                    match field.map_err(not_v1)? {
                        (1, Value::Bytes(label)) => labels.push(label_v1(label).map_err(not_v1)?),
                        (2, Value::Bytes(sample)) => points.push(sample_v1(sample).map_err(not_v1)?),
                        (3, Value::Bytes(_)) => out.exemplars += 1,
                        (4, Value::Bytes(_)) => out.histograms += 1,
                        _ => {}
                    }
                }
                out.push(labels.iter().copied(), points.iter().copied())?;
            }
            (3, Value::Bytes(metadata)) => {
                let m = proto::MetricMetadata::decode(metadata).map_err(|e| not_v1(e.to_string()))?;
                out.metadata.push(MetricMetadata {
                    metric: m.metric_family_name,
                    kind: metric_type(m.kind),
                    help: m.help,
                    unit: m.unit,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A 1.0 `Label`'s name and value.
fn label_v1(bytes: &[u8]) -> Result<(&str, &str), String> {
    let (mut name, mut value) = ("", "");
    for field in wire::Fields::of(bytes) {
        match field? {
            (1, Value::Bytes(text)) => name = wire::text(text, "a label name")?,
            (2, Value::Bytes(text)) => value = wire::text(text, "a label value")?,
            _ => {}
        }
    }
    Ok((name, value))
}

/// A `Sample`'s time and value.
fn sample_v1(bytes: &[u8]) -> Result<(i64, f64), String> {
    let (mut t, mut v) = (0, 0.0);
    for field in wire::Fields::of(bytes) {
        match field? {
            (1, Value::Fixed64(bits)) => v = f64::from_bits(bits),
            (2, Value::Varint(n)) => t = n as i64,
            _ => {}
        }
    }
    Ok((t, v))
}

/// A 2.0 request's series, their labels borrowed from its symbols.
fn read_v2(request: &proto::RequestV2) -> Result<RemoteWrite<'_>, RemoteWriteError> {
    let symbols = &request.symbols;
    if symbols.first().is_some_and(|s| !s.is_empty()) {
        return Err(RemoteWriteError::Invalid(
            "the first symbol must be the empty string".to_string(),
        ));
    }
    let symbol = |at: u32| {
        symbols.get(at as usize).map(String::as_str).ok_or_else(|| {
            RemoteWriteError::Invalid(format!(
                "symbol reference {at} is out of range: the request has {} symbols",
                symbols.len()
            ))
        })
    };
    let mut out = RemoteWrite::default();
    let mut labels: Vec<(&str, &str)> = Vec::new();
    for ts in &request.timeseries {
        if ts.labels_refs.len() % 2 != 0 {
            return Err(RemoteWriteError::Invalid(format!(
                "a series has {} label references: they must come in name and value pairs",
                ts.labels_refs.len()
            )));
        }
        labels.clear();
        for pair in ts.labels_refs.chunks(2) {
            labels.push((symbol(pair[0])?, symbol(pair[1])?));
        }
        out.histograms += ts.histograms.len() as u64;
        out.exemplars += ts.exemplars.len() as u64;
        out.push(
            labels.iter().copied(),
            ts.samples.iter().map(|s| (s.timestamp, s.value)),
        )?;
        if let Some(m) = &ts.metadata {
            let metric = labels
                .iter()
                .find(|(n, _)| *n == METRIC_NAME)
                .map_or("", |(_, v)| v);
            let declared = MetricMetadata {
                metric: metric.to_string(),
                kind: metric_type(m.kind),
                help: symbol(m.help_ref)?.to_string(),
                unit: symbol(m.unit_ref)?.to_string(),
            };
            let empty =
                declared.kind == MetricType::Unknown && declared.help.is_empty() && declared.unit.is_empty();
            if !empty && !out.metadata.contains(&declared) {
                out.metadata.push(declared);
            }
        }
    }
    Ok(out)
}

/// The type numbered `number` in the protocols' enumeration; unknown numbers are
/// `unknown`.
fn metric_type(number: i32) -> MetricType {
    usize::try_from(number)
        .ok()
        .and_then(|i| MetricType::ALL.get(i).copied())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
