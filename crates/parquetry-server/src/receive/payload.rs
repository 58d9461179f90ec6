//! What a received request carries, told apart by how it arrived (its route and
//! content type), and how its body is read into data for the buffer. The same reading
//! serves a request as it arrives and its write-ahead log record on replay, so both
//! land the same data.

use super::loki_push;
use parquetry::logs::ingest::LogIngestOptions;
use parquetry::logs::ingest::entry_batch::EntryBatch;
use parquetry::spans::Span;
use parquetry::store::ingest::otlp_metrics::{self, OtlpMetrics};
use parquetry::store::ingest::remote_write::{self, Protocol, RemoteWrite};

/// The encoding of an OTLP body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpEncoding {
    /// Binary protobuf.
    Protobuf,
    /// OTLP/JSON.
    Json,
}

/// A request body's kind; the body is as received for remote write (snappy), and
/// decompressed for the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Prometheus remote write.
    RemoteWrite(Protocol),
    /// A Loki push body in JSON.
    LokiPushJson,
    /// A Loki push body in protobuf (`logproto.PushRequest`).
    LokiPushProtobuf,
    /// OTLP logs.
    OtlpLogs(OtlpEncoding),
    /// OTLP traces.
    OtlpTraces(OtlpEncoding),
    /// OTLP metrics.
    OtlpMetrics(OtlpEncoding),
}

impl Payload {
    const ALL: [Payload; 10] = [
        Payload::RemoteWrite(Protocol::V1),
        Payload::RemoteWrite(Protocol::V2),
        Payload::LokiPushJson,
        Payload::LokiPushProtobuf,
        Payload::OtlpLogs(OtlpEncoding::Protobuf),
        Payload::OtlpLogs(OtlpEncoding::Json),
        Payload::OtlpTraces(OtlpEncoding::Protobuf),
        Payload::OtlpTraces(OtlpEncoding::Json),
        Payload::OtlpMetrics(OtlpEncoding::Protobuf),
        Payload::OtlpMetrics(OtlpEncoding::Json),
    ];

    /// The kind byte of its write-ahead log records (fixed: logs written by one version
    /// are replayed by the next).
    pub fn byte(self) -> u8 {
        match self {
            Payload::RemoteWrite(Protocol::V1) => 1,
            Payload::RemoteWrite(Protocol::V2) => 2,
            Payload::LokiPushJson => 3,
            Payload::LokiPushProtobuf => 4,
            Payload::OtlpLogs(OtlpEncoding::Protobuf) => 5,
            Payload::OtlpLogs(OtlpEncoding::Json) => 6,
            Payload::OtlpTraces(OtlpEncoding::Protobuf) => 7,
            Payload::OtlpTraces(OtlpEncoding::Json) => 8,
            Payload::OtlpMetrics(OtlpEncoding::Protobuf) => 9,
            Payload::OtlpMetrics(OtlpEncoding::Json) => 10,
        }
    }

    /// The payload whose records carry `byte`.
    pub fn from_byte(byte: u8) -> Option<Payload> {
        Payload::ALL.into_iter().find(|p| p.byte() == byte)
    }
}

/// A body's data, checked whole and ready for the buffer.
pub enum Contents<'a> {
    /// Samples and metadata (borrowing the decoded request).
    Samples(RemoteWrite<'a>),
    /// Samples and metadata translated from OTLP metrics.
    Metrics(OtlpMetrics),
    /// Log entries.
    Logs(EntryBatch),
    /// Spans.
    Spans(Vec<Span>),
}

impl Contents<'_> {
    /// Samples, entries or spans held: what counts toward the buffer's bounds.
    pub fn items(&self) -> usize {
        match self {
            Contents::Samples(write) => write.samples() as usize,
            Contents::Metrics(metrics) => metrics.samples(),
            Contents::Logs(batch) => batch.entries(),
            Contents::Spans(spans) => spans.len(),
        }
    }
}

/// Reads `body` as `payload` says and hands its checked data to `use_it`; fails,
/// without calling it, when any part of the body is not valid.
pub fn read<R>(
    payload: Payload,
    body: &[u8],
    logs: &LogIngestOptions,
    use_it: impl FnOnce(Contents<'_>) -> R,
) -> Result<R, String> {
    let entries = || EntryBatch::new(logs).map_err(|e| e.to_string());
    let json = |what: &str, e: serde_json::Error| format!("malformed {what}: {e}");
    let contents = match payload {
        Payload::RemoteWrite(protocol) => {
            let decoded = remote_write::decode(protocol, body).map_err(|e| e.to_string())?;
            let write = decoded.read().map_err(|e| e.to_string())?;
            return Ok(use_it(Contents::Samples(write)));
        }
        Payload::LokiPushJson => {
            let mut batch = entries()?;
            batch.add_push(serde_json::from_slice(body).map_err(|e| json("Loki push body", e))?)?;
            Contents::Logs(batch)
        }
        Payload::LokiPushProtobuf => {
            let mut batch = entries()?;
            loki_push::add_protobuf(body, &mut batch)?;
            Contents::Logs(batch)
        }
        Payload::OtlpLogs(encoding) => {
            let data = match encoding {
                OtlpEncoding::Protobuf => parquetry::logs::ingest::otlp_proto::decode(body)?,
                OtlpEncoding::Json => {
                    serde_json::from_slice(body).map_err(|e| json("OTLP/JSON logs request", e))?
                }
            };
            let mut batch = entries()?;
            batch.add_otlp(data)?;
            Contents::Logs(batch)
        }
        Payload::OtlpMetrics(encoding) => Contents::Metrics(match encoding {
            OtlpEncoding::Protobuf => otlp_metrics::decode_protobuf(body)?,
            OtlpEncoding::Json => otlp_metrics::decode_json(body)?,
        }),
        Payload::OtlpTraces(encoding) => Contents::Spans(match encoding {
            OtlpEncoding::Protobuf => parquetry::spans::otlp_proto::decode(body)?,
            OtlpEncoding::Json => parquetry::spans::otlp_json::spans_of(
                serde_json::from_slice(body).map_err(|e| json("OTLP/JSON traces request", e))?,
            )?,
        }),
    };
    Ok(use_it(contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payload_has_its_own_log_byte() {
        for payload in Payload::ALL {
            assert_eq!(Payload::from_byte(payload.byte()), Some(payload));
        }
        assert_eq!(Payload::from_byte(0), None);
    }
}
