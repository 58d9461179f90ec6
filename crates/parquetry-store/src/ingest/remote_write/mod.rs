//! Prometheus remote write requests (protocols 1.0 and 2.0, snappy block-compressed
//! protobuf) read into series, samples and metric family metadata, checked whole before
//! anything is kept: a request with one invalid series is refused entirely, with the
//! reason.

pub mod proto;

use parquetry_model::{Labels, METRIC_NAME, MetricMetadata, MetricType};
use prost::Message;

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

/// One series of a request with its float samples, in the order sent.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenSeries {
    /// The labels, without empty-valued ones.
    pub labels: Labels,
    /// Times, milliseconds.
    pub timestamps: Vec<i64>,
    /// Values (stale markers kept bit for bit).
    pub values: Vec<f64>,
}

/// What one request carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteWrite {
    /// Series with float samples.
    pub series: Vec<WrittenSeries>,
    /// Metric family metadata.
    pub metadata: Vec<MetricMetadata>,
    /// Float samples in all series.
    pub samples: u64,
    /// Native histogram samples, counted and not stored.
    pub histograms: u64,
    /// Exemplars, counted and not stored.
    pub exemplars: u64,
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

/// Decompresses and decodes a request body of `protocol`, and checks every series.
pub fn decode(protocol: Protocol, body: &[u8]) -> Result<RemoteWrite, RemoteWriteError> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| RemoteWriteError::NotSnappy(e.to_string()))?;
    match protocol {
        Protocol::V1 => {
            let request =
                proto::WriteRequest::decode(raw.as_slice()).map_err(|e| RemoteWriteError::NotProtobuf {
                    message: "prometheus.WriteRequest",
                    reason: e.to_string(),
                })?;
            from_v1(request)
        }
        Protocol::V2 => {
            let request =
                proto::RequestV2::decode(raw.as_slice()).map_err(|e| RemoteWriteError::NotProtobuf {
                    message: "io.prometheus.write.v2.Request",
                    reason: e.to_string(),
                })?;
            from_v2(request)
        }
    }
}

fn from_v1(request: proto::WriteRequest) -> Result<RemoteWrite, RemoteWriteError> {
    let mut out = RemoteWrite::default();
    for ts in request.timeseries {
        let labels = checked_labels(ts.labels.into_iter().map(|l| (l.name, l.value)))?;
        out.histograms += ts.histograms.len() as u64;
        out.exemplars += ts.exemplars.len() as u64;
        out.push(labels, &ts.samples)?;
    }
    out.metadata = request
        .metadata
        .into_iter()
        .map(|m| MetricMetadata {
            metric: m.metric_family_name,
            kind: metric_type(m.kind),
            help: m.help,
            unit: m.unit,
        })
        .collect();
    Ok(out)
}

fn from_v2(request: proto::RequestV2) -> Result<RemoteWrite, RemoteWriteError> {
    let symbols = &request.symbols;
    if symbols.first().is_some_and(|s| !s.is_empty()) {
        return Err(RemoteWriteError::Invalid(
            "the first symbol must be the empty string".to_string(),
        ));
    }
    let symbol = |at: u32| {
        symbols.get(at as usize).cloned().ok_or_else(|| {
            RemoteWriteError::Invalid(format!(
                "symbol reference {at} is out of range: the request has {} symbols",
                symbols.len()
            ))
        })
    };
    let mut out = RemoteWrite::default();
    for ts in request.timeseries {
        if ts.labels_refs.len() % 2 != 0 {
            return Err(RemoteWriteError::Invalid(format!(
                "a series has {} label references: they must come in name and value pairs",
                ts.labels_refs.len()
            )));
        }
        let pairs = ts
            .labels_refs
            .chunks(2)
            .map(|pair| Ok((symbol(pair[0])?, symbol(pair[1])?)))
            .collect::<Result<Vec<_>, RemoteWriteError>>()?;
        let labels = checked_labels(pairs)?;
        if let Some(m) = &ts.metadata {
            let declared = MetricMetadata {
                metric: labels.metric_name().unwrap_or_default().to_string(),
                kind: metric_type(m.kind),
                help: symbol(m.help_ref)?,
                unit: symbol(m.unit_ref)?,
            };
            let empty =
                declared.kind == MetricType::Unknown && declared.help.is_empty() && declared.unit.is_empty();
            if !empty && !out.metadata.contains(&declared) {
                out.metadata.push(declared);
            }
        }
        out.histograms += ts.histograms.len() as u64;
        out.exemplars += ts.exemplars.len() as u64;
        out.push(labels, &ts.samples)?;
    }
    Ok(out)
}

impl RemoteWrite {
    /// Adds a series' samples after checking their times.
    fn push(&mut self, labels: Labels, samples: &[proto::Sample]) -> Result<(), RemoteWriteError> {
        if samples.is_empty() {
            return Ok(());
        }
        if let Some(bad) = samples
            .iter()
            .find(|s| !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&s.timestamp))
        {
            return Err(RemoteWriteError::Invalid(format!(
                "sample of {labels} at {} ms is out of range: times must be within years 1 to 9999",
                bad.timestamp
            )));
        }
        self.samples += samples.len() as u64;
        self.series.push(WrittenSeries {
            labels,
            timestamps: samples.iter().map(|s| s.timestamp).collect(),
            values: samples.iter().map(|s| s.value).collect(),
        });
        Ok(())
    }
}

/// A series' labels as sent, checked: names not empty, sorted and each once, a
/// non-empty metric name. Labels with empty values are left out, as Prometheus treats
/// them as absent.
fn checked_labels(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Labels, RemoteWriteError> {
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut previous: Option<String> = None;
    for (name, value) in pairs {
        if name.is_empty() {
            return Err(RemoteWriteError::Invalid("a label name is empty".to_string()));
        }
        if let Some(before) = &previous {
            if *before == name {
                return Err(RemoteWriteError::Invalid(format!(
                    "label name {name:?} appears twice in one series"
                )));
            }
            if *before > name {
                return Err(RemoteWriteError::Invalid(format!(
                    "labels are not sorted by name: {name:?} comes after {before:?}"
                )));
            }
        }
        previous = Some(name.clone());
        kept.push((name, value));
    }
    let labels = Labels::from_pairs(kept);
    if labels.metric_name().is_none_or(str::is_empty) {
        return Err(RemoteWriteError::Invalid(format!(
            "series {labels} has no {METRIC_NAME} label: every series needs a metric name"
        )));
    }
    Ok(labels)
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
