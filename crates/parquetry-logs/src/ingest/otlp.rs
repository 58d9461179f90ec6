//! OTLP/JSON logs as the OpenTelemetry Collector's file exporter writes them (one
//! `LogsData` per line), mapped to streams the way Loki's OTLP endpoint maps them: a
//! fixed set of resource attributes become stream labels (`service.name` →
//! `service_name`, `unknown_service` when absent); the other resource attributes, the
//! scope, the record's attributes, trace and span ids, severity, flags and observed time
//! become structured metadata; the body becomes the line.

use crate::entry::LogEntry;
use parquetry_model::Labels;
use parquetry_model::otlp::{
    KeyValue, Resource, Scope, any_value_text, key_value_labels, label_name, u64_of,
};
use serde::Deserialize;
use serde_json::Value;

/// One `LogsData` message.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsData {
    /// Records grouped by resource.
    #[serde(default)]
    pub resource_logs: Vec<ResourceLogs>,
}

/// Records of one resource.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLogs {
    /// The resource.
    #[serde(default)]
    pub resource: Resource,
    /// Records grouped by instrumentation scope.
    #[serde(default)]
    pub scope_logs: Vec<ScopeLogs>,
}

/// Records of one instrumentation scope.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeLogs {
    /// The scope.
    #[serde(default)]
    pub scope: Scope,
    /// The records.
    #[serde(default)]
    pub log_records: Vec<LogRecord>,
}

/// One log record.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    /// Event time, ns (string or number; 0 or absent when unknown).
    #[serde(default)]
    pub time_unix_nano: Option<Value>,
    /// Time the collector saw the record, ns.
    #[serde(default)]
    pub observed_time_unix_nano: Option<Value>,
    /// Severity number (integer or enum name).
    #[serde(default)]
    pub severity_number: Option<Value>,
    /// Severity text.
    #[serde(default)]
    pub severity_text: String,
    /// The body (an AnyValue).
    #[serde(default)]
    pub body: Option<Value>,
    /// The record's attributes.
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    /// Trace id, hex.
    #[serde(default)]
    pub trace_id: String,
    /// Span id, hex.
    #[serde(default)]
    pub span_id: String,
    /// Trace flags.
    #[serde(default)]
    pub flags: Option<Value>,
}

/// OpenTelemetry's severity number from an integer or an enum name.
fn severity_number(v: Option<&Value>) -> Result<i32, String> {
    const NAMES: [&str; 25] = [
        "UNSPECIFIED",
        "TRACE",
        "TRACE2",
        "TRACE3",
        "TRACE4",
        "DEBUG",
        "DEBUG2",
        "DEBUG3",
        "DEBUG4",
        "INFO",
        "INFO2",
        "INFO3",
        "INFO4",
        "WARN",
        "WARN2",
        "WARN3",
        "WARN4",
        "ERROR",
        "ERROR2",
        "ERROR3",
        "ERROR4",
        "FATAL",
        "FATAL2",
        "FATAL3",
        "FATAL4",
    ];
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| (0..=24).contains(n))
            .map(|n| n as i32)
            .ok_or_else(|| format!("severity number {n} is not in 0..24")),
        Some(Value::String(s)) => NAMES
            .iter()
            .position(|n| s.strip_prefix("SEVERITY_NUMBER_") == Some(n))
            .map(|p| p as i32)
            .ok_or_else(|| format!("{s:?} is not a severity number")),
        Some(other) => Err(format!("{other} is not a severity number")),
    }
}

/// The streams and entries of one `LogsData`, in record order.
pub fn entries_of(data: LogsData) -> Result<Vec<(Labels, LogEntry)>, String> {
    let mut out = Vec::new();
    for resource in data.resource_logs {
        let (labels, resource_metadata) = key_value_labels(&resource.resource.attributes);
        for scope in resource.scope_logs {
            let mut scope_metadata = resource_metadata.clone();
            for kv in &scope.scope.attributes {
                scope_metadata.push((
                    label_name(&kv.key),
                    kv.value.as_ref().map(any_value_text).unwrap_or_default(),
                ));
            }
            if !scope.scope.name.is_empty() {
                scope_metadata.push(("scope_name".to_string(), scope.scope.name.clone()));
            }
            if !scope.scope.version.is_empty() {
                scope_metadata.push(("scope_version".to_string(), scope.scope.version.clone()));
            }
            for record in scope.log_records {
                out.push((labels.clone(), record_entry(record, &scope_metadata)?));
            }
        }
    }
    Ok(out)
}

fn record_entry(record: LogRecord, scope_metadata: &[(String, String)]) -> Result<LogEntry, String> {
    let time = u64_of(record.time_unix_nano.as_ref()).map_err(|e| format!("timeUnixNano: {e}"))?;
    let observed =
        u64_of(record.observed_time_unix_nano.as_ref()).map_err(|e| format!("observedTimeUnixNano: {e}"))?;
    let timestamp = if time != 0 { time } else { observed };
    if timestamp == 0 {
        return Err("a log record has neither timeUnixNano nor observedTimeUnixNano".to_string());
    }
    let timestamp = i64::try_from(timestamp)
        .map_err(|_| format!("timestamp {timestamp} is out of range (years 1677 to 2262)"))?;
    let number = severity_number(record.severity_number.as_ref())?;
    let flags = u64_of(record.flags.as_ref()).map_err(|e| format!("flags: {e}"))?;
    let mut metadata = scope_metadata.to_vec();
    for kv in &record.attributes {
        metadata.push((
            label_name(&kv.key),
            kv.value.as_ref().map(any_value_text).unwrap_or_default(),
        ));
    }
    let trace_id = (!record.trace_id.is_empty()).then(|| record.trace_id.to_ascii_lowercase());
    let span_id = (!record.span_id.is_empty()).then(|| record.span_id.to_ascii_lowercase());
    if observed != 0 {
        metadata.push(("observed_timestamp".to_string(), observed.to_string()));
    }
    if flags != 0 {
        metadata.push(("flags".to_string(), flags.to_string()));
    }
    if let Some(t) = &trace_id {
        metadata.push(("trace_id".to_string(), t.clone()));
    }
    if let Some(s) = &span_id {
        metadata.push(("span_id".to_string(), s.clone()));
    }
    if !record.severity_text.is_empty() {
        metadata.push(("severity_text".to_string(), record.severity_text.clone()));
    }
    if number != 0 {
        metadata.push(("severity_number".to_string(), number.to_string()));
    }
    Ok(LogEntry {
        timestamp,
        line: record.body.as_ref().map(any_value_text).unwrap_or_default(),
        metadata,
        trace_id,
        span_id,
        severity: (!record.severity_text.is_empty()).then_some(record.severity_text),
        severity_number: (number != 0).then_some(number),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"host.name","value":{"stringValue":"node-1"}}]},"scopeLogs":[{"scope":{"name":"app","version":"1.2"},"logRecords":[{"timeUnixNano":"1767323045000000001","observedTimeUnixNano":1767323045000000002,"severityNumber":17,"severityText":"ERROR","body":{"stringValue":"payment failed"},"attributes":[{"key":"http.status_code","value":{"intValue":"502"}},{"key":"retry","value":{"boolValue":true}}],"traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00f067aa0ba902b7","flags":1}]}]}]}"#;

    #[test]
    fn maps_records_as_loki_does() {
        let data: LogsData = serde_json::from_str(LINE).unwrap();
        let got = entries_of(data).unwrap();
        assert_eq!(got.len(), 1);
        let (labels, e) = &got[0];
        assert_eq!(*labels, Labels::from_pairs([("service_name", "checkout")]));
        assert_eq!(e.timestamp, 1_767_323_045_000_000_001);
        assert_eq!(e.line, "payment failed");
        assert_eq!(e.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(e.severity_number, Some(17));
        let md: Vec<(&str, &str)> = e.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            md,
            [
                ("host_name", "node-1"),
                ("scope_name", "app"),
                ("scope_version", "1.2"),
                ("http_status_code", "502"),
                ("retry", "true"),
                ("observed_timestamp", "1767323045000000002"),
                ("flags", "1"),
                ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
                ("span_id", "00f067aa0ba902b7"),
                ("severity_text", "ERROR"),
                ("severity_number", "17"),
            ]
        );
    }

    #[test]
    fn bodies_of_other_kinds_and_missing_services() {
        let data: LogsData = serde_json::from_str(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":5,"severityNumber":"SEVERITY_NUMBER_WARN","body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"3"}}]}}}]}]}]}"#,
        )
        .unwrap();
        let (labels, e) = entries_of(data).unwrap().remove(0);
        assert_eq!(labels.get("service_name"), Some("unknown_service"));
        assert_eq!(e.line, r#"{"a":3}"#);
        assert_eq!(e.severity_number, Some(13));
    }

    #[test]
    fn records_without_a_time_are_refused() {
        let data: LogsData = serde_json::from_str(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]}"#,
        )
        .unwrap();
        assert!(entries_of(data).unwrap_err().contains("timeUnixNano"));
    }
}
