//! OTLP/JSON logs as the OpenTelemetry Collector's file exporter writes them (one
//! `LogsData` per line), mapped to streams the way Loki's OTLP endpoint maps them: a
//! fixed set of resource attributes become stream labels (`service.name` →
//! `service_name`, `unknown_service` when absent); the other resource attributes, the
//! scope, the record's attributes, trace and span ids, severity, flags and observed time
//! become structured metadata; the body becomes the line.

use crate::entry::LogEntry;
use parquetry_model::Labels;
use serde::Deserialize;
use serde_json::Value;

/// Resource attributes that become stream labels, as in Loki's default configuration.
pub const LABEL_ATTRIBUTES: [&str; 18] = [
    "cloud.availability_zone",
    "cloud.region",
    "container.name",
    "deployment.environment",
    "deployment.environment.name",
    "k8s.cluster.name",
    "k8s.container.name",
    "k8s.cronjob.name",
    "k8s.daemonset.name",
    "k8s.deployment.name",
    "k8s.job.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.replicaset.name",
    "k8s.statefulset.name",
    "service.instance.id",
    "service.name",
    "service.namespace",
];

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

/// A resource: its attributes.
#[derive(Debug, Default, Deserialize)]
pub struct Resource {
    /// The attributes.
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
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

/// An instrumentation scope.
#[derive(Debug, Default, Deserialize)]
pub struct Scope {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
    /// Its attributes.
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
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

/// An attribute.
#[derive(Debug, Default, Deserialize)]
pub struct KeyValue {
    /// Its name.
    pub key: String,
    /// Its AnyValue.
    #[serde(default)]
    pub value: Option<Value>,
}

/// An attribute name as a label name: every character outside `[A-Za-z0-9_]` becomes
/// `_`, and a leading digit gets a `_` before it.
pub fn label_name(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// An AnyValue as text: strings as they are, numbers and booleans printed, bytes as
/// their base64, arrays and key-value lists as JSON.
pub fn any_value_text(v: &Value) -> String {
    let Value::Object(map) = v else {
        return match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    };
    match map.iter().next() {
        Some((kind, inner)) => match (kind.as_str(), inner) {
            ("stringValue" | "bytesValue", Value::String(s)) => s.clone(),
            ("intValue", Value::String(s)) => s.clone(),
            ("intValue" | "doubleValue" | "boolValue", other) => other.to_string(),
            ("arrayValue" | "kvlistValue", _) => any_value_json(v).to_string(),
            (_, other) => other.to_string(),
        },
        None => String::new(),
    }
}

/// An AnyValue as plain JSON (arrays as arrays, key-value lists as objects).
fn any_value_json(v: &Value) -> Value {
    let Value::Object(map) = v else { return v.clone() };
    match map.iter().next().map(|(k, inner)| (k.as_str(), inner)) {
        Some(("arrayValue", inner)) => Value::Array(
            inner
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| vs.iter().map(any_value_json).collect())
                .unwrap_or_default(),
        ),
        Some(("kvlistValue", inner)) => Value::Object(
            inner
                .get("values")
                .and_then(Value::as_array)
                .map(|kvs| {
                    kvs.iter()
                        .filter_map(|kv| {
                            let key = kv.get("key")?.as_str()?.to_string();
                            Some((key, kv.get("value").map(any_value_json).unwrap_or(Value::Null)))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Some(("stringValue", s)) => s.clone(),
        Some(("intValue", Value::String(s))) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(s.clone())),
        Some((_, other)) => other.clone(),
        None => Value::Null,
    }
}

/// A 64-bit OTLP number given as a string or a number; 0 when absent or unreadable.
fn u64_of(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("{n} is not an unsigned 64-bit integer")),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| format!("{s:?} is not an unsigned 64-bit integer")),
        Some(other) => Err(format!("{other} is not an unsigned 64-bit integer")),
    }
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
        let mut labels = Vec::new();
        let mut resource_metadata = Vec::new();
        for kv in &resource.resource.attributes {
            let value = kv.value.as_ref().map(any_value_text).unwrap_or_default();
            if LABEL_ATTRIBUTES.contains(&kv.key.as_str()) {
                labels.push((label_name(&kv.key), value));
            } else {
                resource_metadata.push((label_name(&kv.key), value));
            }
        }
        if !labels.iter().any(|(n, v)| n == "service_name" && !v.is_empty()) {
            labels.push(("service_name".to_string(), "unknown_service".to_string()));
        }
        let labels = Labels::from_pairs(labels);
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
