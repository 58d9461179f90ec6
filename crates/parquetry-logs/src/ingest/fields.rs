//! Which fields of a structured line (JSON or logfmt) carry the entry's time, trace id,
//! span id and severity, and reading them.

use super::timestamp;
use crate::entry::LogEntry;

/// The field names looked up in a structured line, first match wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNames {
    /// Fields holding the entry's time (epoch or RFC 3339).
    pub timestamp: Vec<String>,
    /// Fields holding the trace id.
    pub trace_id: Vec<String>,
    /// Fields holding the span id.
    pub span_id: Vec<String>,
    /// Fields holding the severity.
    pub severity: Vec<String>,
}

impl Default for FieldNames {
    fn default() -> Self {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        FieldNames {
            timestamp: names(&["time", "ts", "timestamp"]),
            trace_id: names(&["traceId", "trace_id"]),
            span_id: names(&["spanId", "span_id"]),
            severity: names(&["level", "severity", "lvl"]),
        }
    }
}

/// A structured line's top-level fields as text, the way a lookup needs them.
pub trait Fields {
    /// The value of field `name` as text, if the line has it as a scalar.
    fn text(&self, name: &str) -> Option<String>;
}

impl Fields for serde_json::Map<String, serde_json::Value> {
    fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl Fields for Vec<(String, String)> {
    fn text(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

impl FieldNames {
    /// The time the line's fields carry, in nanoseconds: `Ok(None)` when it has none of
    /// the timestamp fields, an error when the one it has is unreadable.
    pub fn timestamp_of(&self, fields: &dyn Fields) -> Result<Option<i64>, String> {
        match self.timestamp.iter().find_map(|n| fields.text(n).map(|v| (n, v))) {
            None => Ok(None),
            Some((name, value)) => timestamp::from_text(&value)
                .map(Some)
                .map_err(|e| format!("field {name:?}: {e}")),
        }
    }

    /// Fills the entry's trace id, span id and severity from the fields where they are
    /// still unknown.
    pub fn fill_context(&self, fields: &dyn Fields, entry: &mut LogEntry) {
        let first = |names: &[String]| {
            names
                .iter()
                .find_map(|n| fields.text(n))
                .filter(|v| !v.is_empty())
        };
        if entry.trace_id.is_none() {
            entry.trace_id = first(&self.trace_id);
        }
        if entry.span_id.is_none() {
            entry.span_id = first(&self.span_id);
        }
        if entry.severity.is_none() {
            entry.severity = first(&self.severity);
        }
    }
}
