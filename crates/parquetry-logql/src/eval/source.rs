//! Where the evaluator reads log entries from: the logs store, streams held in memory,
//! and a wrapper that counts what a query read.

use parquetry_logs::{LogQuery, LogStore, StreamEntries};
use parquetry_model::Matcher;
use std::sync::atomic::{AtomicU64, Ordering};

/// A store of log streams.
pub trait EntrySource: Sync {
    /// The entries in `[start, end)` (nanoseconds) of every stream the matchers select,
    /// each stream's entries sorted by time. `needles` are substrings every line the
    /// query keeps contains: a source may leave out entries without them, but need not,
    /// since the pipeline checks every line again.
    fn select(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<StreamEntries>, String>;
}

impl EntrySource for LogStore {
    fn select(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<StreamEntries>, String> {
        if start >= end {
            return Ok(Vec::new());
        }
        let query = LogQuery {
            matchers: matchers.to_vec(),
            start,
            end,
            line_contains: needles.to_vec(),
            trace_id: None,
        };
        self.read(&query).map_err(|e| e.to_string())
    }
}

/// Streams held in memory: for tests, and for data that is already loaded.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    /// The streams, each sorted by time.
    pub streams: Vec<StreamEntries>,
}

impl EntrySource for MemorySource {
    fn select(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        _needles: &[String],
    ) -> Result<Vec<StreamEntries>, String> {
        Ok(self
            .streams
            .iter()
            .filter(|s| s.labels.matches_all(matchers))
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

/// A source that counts the entries and line bytes read through it, for a query's
/// statistics.
pub struct CountingSource<'a> {
    inner: &'a dyn EntrySource,
    lines: AtomicU64,
    bytes: AtomicU64,
}

impl<'a> CountingSource<'a> {
    /// Counts what is read from `inner`.
    pub fn new(inner: &'a dyn EntrySource) -> CountingSource<'a> {
        CountingSource {
            inner,
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// Entries read so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    /// Bytes of the lines read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl EntrySource for CountingSource<'_> {
    fn select(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<StreamEntries>, String> {
        let streams = self.inner.select(matchers, start, end, needles)?;
        let lines: usize = streams.iter().map(|s| s.entries.len()).sum();
        let bytes: usize = streams
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.line.len())
            .sum();
        self.lines.fetch_add(lines as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(streams)
    }
}
