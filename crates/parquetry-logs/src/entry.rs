//! The model of the logs store: a stream is a label set, as in Loki; an entry is one line
//! of it at a nanosecond timestamp, with its structured metadata and the trace context
//! and severity the source carried.

use parquetry_model::{Labels, SeriesId};
use std::sync::Arc;

/// One log entry of a stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogEntry {
    /// Nanoseconds since the Unix epoch.
    pub timestamp: i64,
    /// The line, exactly as received.
    pub line: String,
    /// Structured metadata (name → value), in the order received.
    pub metadata: Vec<(String, String)>,
    /// The trace id of the request that wrote the line (hex for OTLP), when known.
    pub trace_id: Option<String>,
    /// The span id within that trace, when known.
    pub span_id: Option<String>,
    /// The severity as the source named it (`error`, `INFO`, …), when known.
    pub severity: Option<String>,
    /// OpenTelemetry's severity number (1–24), when the source carried one.
    pub severity_number: Option<i32>,
}

impl LogEntry {
    /// An entry with only a time and a line.
    pub fn new(timestamp: i64, line: impl Into<String>) -> LogEntry {
        LogEntry {
            timestamp,
            line: line.into(),
            ..LogEntry::default()
        }
    }

    /// Bytes the entry holds, roughly: what batching counts against its memory bound.
    pub fn weight(&self) -> usize {
        let metadata: usize = self.metadata.iter().map(|(n, v)| n.len() + v.len() + 16).sum();
        let ids =
            self.trace_id.as_ref().map_or(0, String::len) + self.span_id.as_ref().map_or(0, String::len);
        std::mem::size_of::<LogEntry>() + self.line.len() + metadata + ids
    }
}

/// The entries of one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntries {
    /// The stream's id (`SeriesId::of(&labels)`).
    pub id: SeriesId,
    /// The stream's labels.
    pub labels: Arc<Labels>,
    /// Its entries.
    pub entries: Vec<LogEntry>,
}

impl StreamEntries {
    /// A stream without entries.
    pub fn new(labels: Labels) -> StreamEntries {
        StreamEntries {
            id: SeriesId::of(&labels),
            labels: Arc::new(labels),
            entries: Vec::new(),
        }
    }

    /// Sorts the entries by time, then line, and drops exact duplicates (same time and
    /// line; the first one's metadata is kept), as Loki does. Returns how many it dropped.
    pub fn sort_and_dedup(&mut self) -> u64 {
        let before = self.entries.len();
        self.entries
            .sort_by(|a, b| (a.timestamp, &a.line).cmp(&(b.timestamp, &b.line)));
        self.entries
            .dedup_by(|later, earlier| later.timestamp == earlier.timestamp && later.line == earlier.line);
        (before - self.entries.len()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_drops_only_exact_duplicates_and_keeps_the_first() {
        let mut s = StreamEntries::new(Labels::from_pairs([("app", "x")]));
        let mut first = LogEntry::new(5, "a");
        first.trace_id = Some("t1".into());
        let mut second = LogEntry::new(5, "a");
        second.trace_id = Some("t2".into());
        s.entries = vec![LogEntry::new(9, "z"), first, LogEntry::new(5, "b"), second];
        assert_eq!(s.sort_and_dedup(), 1);
        let got: Vec<(i64, &str, Option<&str>)> = s
            .entries
            .iter()
            .map(|e| (e.timestamp, e.line.as_str(), e.trace_id.as_deref()))
            .collect();
        assert_eq!(got, [(5, "a", Some("t1")), (5, "b", None), (9, "z", None)]);
    }
}
