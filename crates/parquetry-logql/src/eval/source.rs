//! Where the evaluator reads log entries from.

use parquetry_logs::StreamEntries;
use parquetry_model::Matcher;

/// A store of log streams.
pub trait EntrySource: Sync {
    /// The entries in `[start, end)` (nanoseconds) of every stream the matchers select,
    /// each stream's entries sorted by time.
    fn select(&self, matchers: &[Matcher], start: i64, end: i64) -> Result<Vec<StreamEntries>, String>;
}

/// Streams held in memory: for tests, and for data that is already loaded.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    /// The streams, each sorted by time.
    pub streams: Vec<StreamEntries>,
}

impl EntrySource for MemorySource {
    fn select(&self, matchers: &[Matcher], start: i64, end: i64) -> Result<Vec<StreamEntries>, String> {
        Ok(self
            .streams
            .iter()
            .filter(|s| {
                matchers
                    .iter()
                    .all(|m| m.matches(s.labels.get(&m.name).unwrap_or("")))
            })
            .map(|s| {
                let lo = s.entries.partition_point(|e| e.timestamp < start);
                let hi = s.entries.partition_point(|e| e.timestamp < end);
                StreamEntries {
                    id: s.id,
                    labels: s.labels.clone(),
                    entries: s.entries[lo..hi].to_vec(),
                }
            })
            .filter(|s| !s.entries.is_empty())
            .collect())
    }
}
