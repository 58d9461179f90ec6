//! OTLP protobuf logs: the `LogsData` messages (an `ExportLogsServiceRequest` has the
//! same encoding), declared with prost from the published
//! `opentelemetry.proto.logs.v1` messages, and their conversion to the OTLP/JSON
//! [`LogsData`], so that both encodings map to streams by one set of rules
//! ([`super::otlp::entries_of`]).

use super::otlp::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
use parquetry_model::otlp_proto::{
    AnyValueProto, InstrumentationScope, KeyValue, ResourceProto, any_value_json, hex_id, key_values_json,
    resource_json, scope_json,
};
use prost::Message;
use serde_json::Value;

/// `opentelemetry.proto.logs.v1.LogsData`.
#[derive(Clone, PartialEq, Message)]
pub struct LogsDataProto {
    /// Records by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogsProto>,
}

/// The records of one resource.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceLogsProto {
    /// The resource.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<ResourceProto>,
    /// Records by scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogsProto>,
    /// The resource's schema URL.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// The records of one instrumentation scope.
#[derive(Clone, PartialEq, Message)]
pub struct ScopeLogsProto {
    /// The scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// Its records.
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<LogRecordProto>,
    /// The scope's schema URL.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.logs.v1.LogRecord`.
#[derive(Clone, PartialEq, Message)]
pub struct LogRecordProto {
    /// Event time, ns since the epoch (0 when unknown).
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    /// `SeverityNumber` as a number.
    #[prost(int32, tag = "2")]
    pub severity_number: i32,
    /// Severity text.
    #[prost(string, tag = "3")]
    pub severity_text: String,
    /// The body.
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValueProto>,
    /// Attributes.
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "7")]
    pub dropped_attributes_count: u32,
    /// W3C trace flags.
    #[prost(fixed32, tag = "8")]
    pub flags: u32,
    /// 16 bytes, or empty.
    #[prost(bytes = "vec", tag = "9")]
    pub trace_id: Vec<u8>,
    /// 8 bytes, or empty.
    #[prost(bytes = "vec", tag = "10")]
    pub span_id: Vec<u8>,
    /// Time the record was observed, ns since the epoch.
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
    /// The event's name, for records that are events.
    #[prost(string, tag = "12")]
    pub event_name: String,
}

/// Decodes a protobuf `LogsData` (or `ExportLogsServiceRequest`) into its OTLP/JSON
/// twin.
pub fn decode(bytes: &[u8]) -> Result<LogsData, String> {
    let data =
        LogsDataProto::decode(bytes).map_err(|e| format!("not an OTLP protobuf LogsData message: {e}"))?;
    Ok(logs_data_json(data))
}

/// A protobuf `LogsData` as its OTLP/JSON twin.
pub fn logs_data_json(data: LogsDataProto) -> LogsData {
    LogsData {
        resource_logs: data
            .resource_logs
            .into_iter()
            .map(|r| ResourceLogs {
                resource: resource_json(r.resource.unwrap_or_default()),
                scope_logs: r
                    .scope_logs
                    .into_iter()
                    .map(|s| ScopeLogs {
                        scope: scope_json(s.scope.unwrap_or_default()),
                        log_records: s.log_records.into_iter().map(record_json).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn record_json(r: LogRecordProto) -> LogRecord {
    let number = |n: u64| (n != 0).then(|| Value::from(n));
    LogRecord {
        time_unix_nano: number(r.time_unix_nano),
        observed_time_unix_nano: number(r.observed_time_unix_nano),
        severity_number: (r.severity_number != 0).then(|| Value::from(r.severity_number)),
        severity_text: r.severity_text,
        body: r.body.map(any_value_json).filter(|v| !v.is_null()),
        attributes: key_values_json(r.attributes),
        trace_id: hex_id(&r.trace_id),
        span_id: hex_id(&r.span_id),
        flags: number(u64::from(r.flags)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::otlp::entries_of;
    use parquetry_model::otlp_proto::Kind;

    fn text(s: &str) -> Option<AnyValueProto> {
        Some(AnyValueProto {
            value: Some(Kind::String(s.to_string())),
        })
    }

    #[test]
    fn protobuf_records_map_as_their_json_twins_do() {
        let message = LogsDataProto {
            resource_logs: vec![ResourceLogsProto {
                resource: Some(ResourceProto {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: text("checkout"),
                    }],
                    dropped_attributes_count: 0,
                }),
                scope_logs: vec![ScopeLogsProto {
                    scope: Some(InstrumentationScope {
                        name: "app".into(),
                        ..InstrumentationScope::default()
                    }),
                    log_records: vec![LogRecordProto {
                        time_unix_nano: 1_767_323_045_000_000_001,
                        severity_number: 17,
                        severity_text: "ERROR".into(),
                        body: text("payment failed"),
                        attributes: vec![KeyValue {
                            key: "http.status_code".into(),
                            value: Some(AnyValueProto {
                                value: Some(Kind::Int(502)),
                            }),
                        }],
                        trace_id: vec![0x4b; 16],
                        span_id: vec![1; 8],
                        ..LogRecordProto::default()
                    }],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        };
        let (labels, entry) = entries_of(decode(&message.encode_to_vec()).unwrap())
            .unwrap()
            .remove(0);
        assert_eq!(labels.get("service_name"), Some("checkout"));
        assert_eq!(entry.timestamp, 1_767_323_045_000_000_001);
        assert_eq!(entry.line, "payment failed");
        assert_eq!(entry.severity_number, Some(17));
        assert_eq!(entry.span_id.as_deref(), Some("0101010101010101"));
        assert!(
            entry
                .metadata
                .contains(&("http_status_code".to_string(), "502".to_string()))
        );
    }

    #[test]
    fn bytes_that_are_not_a_message_are_refused() {
        let err = decode(&[0xff, 0xff, 0xff]).unwrap_err();
        assert!(err.contains("not an OTLP protobuf LogsData"), "{err}");
    }
}
