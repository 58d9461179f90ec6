//! Loki's push API, `/loki/api/v1/push`: JSON bodies (`application/json`) and
//! snappy-compressed protobuf `logproto.PushRequest` bodies (`application/x-protobuf`,
//! the default), either of them optionally gzip- or deflate-encoded. The protobuf
//! messages are declared here from Loki's published `push.proto`.

use super::body::{decoded, header_text, media_type};
use super::intake::Intake;
use super::payload::Payload;
use super::{refusal_status, run_accept};
use crate::api_error::refuse;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parquetry::logs::ingest::entry_batch::EntryBatch;
use parquetry::store::ingest::series_text::parse_series;
use prost::Message;
use std::sync::Arc;

/// `logproto.PushRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct PushRequest {
    /// The streams.
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamProto>,
}

/// `logproto.Stream`.
#[derive(Clone, PartialEq, Message)]
pub struct StreamProto {
    /// The labels in selector notation: `{app="api", env="prod"}`.
    #[prost(string, tag = "1")]
    pub labels: String,
    /// The entries.
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryProto>,
    /// A hash of the labels, which receivers do not use.
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

/// `logproto.Entry`.
#[derive(Clone, PartialEq, Message)]
pub struct EntryProto {
    /// The time.
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<TimestampProto>,
    /// The line.
    #[prost(string, tag = "2")]
    pub line: String,
    /// Structured metadata, in the sender's order.
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPair>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct TimestampProto {
    /// Seconds since the epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, 0 to 999,999,999.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `logproto.LabelPairAdapter`.
#[derive(Clone, PartialEq, Message)]
pub struct LabelPair {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// Adds the streams of a protobuf `PushRequest` (not snappy-compressed any more) to
/// `batch`; fails on the first stream or entry that is not valid.
pub fn add_protobuf(body: &[u8], batch: &mut EntryBatch) -> Result<(), String> {
    let request = PushRequest::decode(body).map_err(|e| format!("not a protobuf Loki PushRequest: {e}"))?;
    for stream in request.streams {
        let labels = parse_series(&stream.labels).map_err(|e| {
            format!(
                "stream labels {:?}: {} at offset {}",
                stream.labels, e.message, e.offset
            )
        })?;
        let mut entries = Vec::with_capacity(stream.entries.len());
        for entry in stream.entries {
            let time = entry.timestamp.unwrap_or_default();
            let nanos = timestamp_nanos(time).ok_or_else(|| {
                format!(
                    "stream {}: timestamp {}s {}ns is out of range (years 1677 to 2262)",
                    stream.labels, time.seconds, time.nanos
                )
            })?;
            let metadata = entry
                .structured_metadata
                .into_iter()
                .map(|p| (p.name, p.value))
                .collect();
            entries.push((nanos, entry.line, metadata));
        }
        let pairs = labels.iter().map(|l| (l.name.clone(), l.value.clone()));
        batch
            .add_pushed_stream(pairs, entries)
            .map_err(|e| format!("stream {}: {e}", stream.labels))?;
    }
    Ok(())
}

/// Nanoseconds since the epoch of a protobuf timestamp, when they fit.
fn timestamp_nanos(t: TimestampProto) -> Option<i64> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    t.seconds
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(t.nanos))
}

/// The push endpoint: 204 once the body is in the write-ahead log; 400 (with the
/// reason) for a body that is not valid, with nothing of it kept; 415 for a content type
/// or encoding it does not speak; 429 when too much waits for a commit.
pub async fn push(State(intake): State<Arc<Intake>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = media_type(header_text(&headers, header::CONTENT_TYPE));
    let json = match content_type.as_str() {
        "application/json" => true,
        "" | "application/x-protobuf" => false,
        other => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "unsupported content type {other:?}: expected application/json or application/x-protobuf"
                ),
            );
        }
    };
    let body = match decoded(&headers, &body) {
        Ok(body) => body,
        Err((status, reason)) => return refuse(status, reason),
    };
    let (payload, body) = if json {
        (Payload::LokiPushJson, body.into_owned())
    } else {
        match snap::raw::Decoder::new().decompress_vec(&body) {
            Ok(raw) => (Payload::LokiPushProtobuf, raw),
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("the protobuf body is not snappy-compressed: {e}"),
                );
            }
        }
    };
    match run_accept(intake, payload, body).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refuse(refusal_status(&refusal), refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry::logs::ingest::LogIngestOptions;

    fn request(labels: &str, seconds: i64) -> Vec<u8> {
        PushRequest {
            streams: vec![StreamProto {
                labels: labels.into(),
                entries: vec![EntryProto {
                    timestamp: Some(TimestampProto { seconds, nanos: 5 }),
                    line: "level=error msg=boom".into(),
                    structured_metadata: vec![LabelPair {
                        name: "trace_id".into(),
                        value: "abc".into(),
                    }],
                }],
                hash: 0,
            }],
        }
        .encode_to_vec()
    }

    #[test]
    fn protobuf_streams_read_as_their_json_twins() {
        let mut batch = EntryBatch::new(&LogIngestOptions::default()).unwrap();
        add_protobuf(&request(r#"{app="api", env="prod"}"#, 1_700_000_000), &mut batch).unwrap();
        let streams = batch.take();
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].labels.get("env"), Some("prod"));
        let entry = &streams[0].entries[0];
        assert_eq!(entry.timestamp, 1_700_000_000_000_000_005);
        assert_eq!(entry.trace_id.as_deref(), Some("abc"));
        assert_eq!(entry.severity.as_deref(), Some("error"));
    }

    #[test]
    fn bad_labels_and_times_are_refused_with_the_stream() {
        let mut batch = EntryBatch::new(&LogIngestOptions::default()).unwrap();
        let err = add_protobuf(&request(r#"{app="api""#, 1), &mut batch).unwrap_err();
        assert!(err.contains("stream labels"), "{err}");
        let err = add_protobuf(&request(r#"{app="api"}"#, i64::MAX / 2), &mut batch).unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        let err = add_protobuf(b"\xff\xff", &mut batch).unwrap_err();
        assert!(err.contains("not a protobuf Loki PushRequest"), "{err}");
    }
}
