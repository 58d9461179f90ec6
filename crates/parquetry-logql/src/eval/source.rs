//! Where the evaluator reads log entries from: the logs store, streams held in memory,
//! and a wrapper that counts what a query read.
//!
//! A source answers with pieces to read in parallel that hand on rows as they are stored
//! (the store's Arrow columns, or entries held in memory): log queries and range
//! aggregations run each piece through the pipeline on its own, and copy out only what
//! they keep.

use parquetry_logs::{EntryColumns, LogEntry, LogQuery, LogStore, ScanCounts, StreamBatch, StreamEntries};
use parquetry_model::{Cancel, Labels, Matcher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Some rows of one stream, sorted by time.
pub struct StreamRows {
    /// The stream's labels.
    pub labels: Arc<Labels>,
    /// The rows.
    pub rows: Rows,
}

/// Rows as entries or as the store's columns.
pub enum Rows {
    /// Entries held in memory.
    Entries(Vec<LogEntry>),
    /// Rows of the store's entry columns.
    Columns(StreamBatch),
}

impl StreamRows {
    /// A view of the rows for reading them one by one.
    pub fn view(&self) -> RowsView<'_> {
        match &self.rows {
            Rows::Entries(e) => RowsView::Entries(e),
            Rows::Columns(b) => RowsView::Columns(b.columns()),
        }
    }
}

/// Rows to read one by one, whatever holds them.
#[derive(Clone, Copy)]
pub enum RowsView<'a> {
    /// Entries held in memory.
    Entries(&'a [LogEntry]),
    /// The store's entry columns.
    Columns(EntryColumns<'a>),
}

impl<'a> RowsView<'a> {
    /// How many rows there are.
    pub fn len(&self) -> usize {
        match self {
            RowsView::Entries(e) => e.len(),
            RowsView::Columns(c) => c.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of all the lines.
    pub fn line_bytes(&self) -> usize {
        match self {
            RowsView::Entries(e) => e.iter().map(|e| e.line.len()).sum(),
            RowsView::Columns(c) => c.line_bytes(),
        }
    }

    /// The time of `row`, in nanoseconds.
    pub fn time(&self, row: usize) -> i64 {
        match self {
            RowsView::Entries(e) => e[row].timestamp,
            RowsView::Columns(c) => c.times()[row],
        }
    }

    /// The line of `row`.
    pub fn line(&self, row: usize) -> &'a str {
        match self {
            RowsView::Entries(e) => &e[row].line,
            RowsView::Columns(c) => c.line(row),
        }
    }

    /// Calls `each` with every structured metadata pair of `row`, in order.
    pub fn each_metadata(&self, row: usize, mut each: impl FnMut(&'a str, &'a str)) {
        match self {
            RowsView::Entries(e) => e[row].metadata.iter().for_each(|(n, v)| each(n, v)),
            RowsView::Columns(c) => c.metadata(row).for_each(|(n, v)| each(n, v)),
        }
    }
}

/// One piece of a read: called once, on any thread, it reads its rows.
pub type Piece<'a> = Box<dyn FnOnce() -> Result<Vec<StreamRows>, String> + Send + 'a>;

/// A store of log streams.
pub trait EntrySource: Sync {
    /// The entries in `[start, end)` (nanoseconds) of every stream the matchers select, as
    /// pieces that may be read in parallel. A stream's rows within a piece are in time
    /// order, and its rows in a later piece do not come before them unless they are of
    /// another file (a reader that needs order sorts). `needles` are substrings every line
    /// the query keeps contains: a source may leave out entries without them, but need
    /// not, since the pipeline checks every line again.
    fn pieces(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<Piece<'_>>, String>;
}

/// Lines of one stream in one piece read from memory.
const LINES_PER_PIECE: usize = 16 * 1024;

/// Streams read already, as pieces of at most [`LINES_PER_PIECE`] entries.
fn pieces_of(streams: impl IntoIterator<Item = StreamEntries>) -> Vec<Piece<'static>> {
    let mut out: Vec<Piece<'static>> = Vec::new();
    for s in streams {
        let mut entries = s.entries;
        while !entries.is_empty() {
            let rest = entries.split_off(entries.len().min(LINES_PER_PIECE));
            let rows = StreamRows {
                labels: s.labels.clone(),
                rows: Rows::Entries(std::mem::replace(&mut entries, rest)),
            };
            out.push(Box::new(move || Ok(vec![rows])));
        }
    }
    out
}

/// The store's read of `[start, end)`, with the needles it may skip rows by; LogQL reads
/// only lines and their structured metadata.
fn store_query(matchers: &[Matcher], start: i64, end: i64, needles: &[String]) -> LogQuery {
    LogQuery {
        matchers: matchers.to_vec(),
        start,
        end,
        line_contains: needles.to_vec(),
        trace_id: None,
        lines_only: true,
    }
}

impl EntrySource for LogStore {
    fn pieces(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<Piece<'_>>, String> {
        if start >= end {
            return Ok(Vec::new());
        }
        let query = Arc::new(store_query(matchers, start, end, needles));
        let pieces = self.read_pieces(&query).map_err(|e| e.to_string())?;
        Ok(pieces
            .into_iter()
            .map(|piece| {
                let query = query.clone();
                Box::new(move || {
                    let batches = self
                        .read_batches(&piece, &query, &mut ScanCounts::default())
                        .map_err(|e| e.to_string())?;
                    Ok(batches
                        .into_iter()
                        .map(|b| StreamRows {
                            labels: b.labels.clone(),
                            rows: Rows::Columns(b),
                        })
                        .collect())
                }) as Piece<'_>
            })
            .collect())
    }
}

/// Streams held in memory: for tests, and for data that is already loaded.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    /// The streams, each sorted by time.
    pub streams: Vec<StreamEntries>,
}

impl EntrySource for MemorySource {
    fn pieces(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        _needles: &[String],
    ) -> Result<Vec<Piece<'_>>, String> {
        let selected = self
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
            });
        Ok(pieces_of(selected))
    }
}

/// A source that counts the entries and line bytes read through it, for a query's
/// statistics, and stops reading once its query is cancelled.
pub struct CountingSource<'a> {
    inner: &'a dyn EntrySource,
    lines: AtomicU64,
    bytes: AtomicU64,
    cancel: Cancel,
}

impl<'a> CountingSource<'a> {
    /// Counts what is read from `inner`.
    pub fn new(inner: &'a dyn EntrySource) -> CountingSource<'a> {
        CountingSource {
            inner,
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            cancel: Cancel::default(),
        }
    }

    /// The same source, whose reads fail once `cancel` is cancelled.
    pub fn until(mut self, cancel: &Cancel) -> CountingSource<'a> {
        self.cancel = cancel.clone();
        self
    }

    /// Entries read so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    /// Bytes of the lines read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Counts `lines` lines of `bytes` bytes.
    fn count(&self, lines: usize, bytes: usize) {
        self.lines.fetch_add(lines as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

impl EntrySource for CountingSource<'_> {
    fn pieces(
        &self,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        needles: &[String],
    ) -> Result<Vec<Piece<'_>>, String> {
        let inner = self.inner.pieces(matchers, start, end, needles)?;
        Ok(inner
            .into_iter()
            .map(|piece| {
                Box::new(move || {
                    if self.cancel.is_cancelled() {
                        return Err("query cancelled".to_string());
                    }
                    let rows = piece()?;
                    for r in &rows {
                        let view = r.view();
                        self.count(view.len(), view.line_bytes());
                    }
                    Ok(rows)
                }) as Piece<'_>
            })
            .collect())
    }
}
