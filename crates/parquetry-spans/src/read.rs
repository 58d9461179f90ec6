//! Reading the spans table: a trace by its id (only the row groups whose trace id
//! statistics admit it, and in them only the trace's rows), and every span of a time
//! range trace by trace.

use crate::decode::{concat, decode_spans};
use crate::parts::SpanParts;
use crate::prefilter::TraceNeeds;
use crate::promoted::PROMOTED;
use crate::schema::{self, UNPROMOTED_METADATA, column_index, columns};
use crate::span::{Span, TraceId};
use arrow::record_batch::RecordBatch;
use parquet::file::statistics::Statistics;
use parquetry_table::error::{Result, StoreError};
use parquetry_table::scan::{read_row_ranges, read_row_ranges_keeping_dictionaries};
use parquetry_table::{LogState, Storage, TableKind, log};
use rustc_hash::FxHashMap;
use std::ops::Range;

/// One spans file of the table.
#[derive(Clone, Debug)]
pub struct SpansFile {
    /// Path relative to the store root.
    pub path: String,
    /// The place of its segment among the table's segments (later ones win).
    pub segment: usize,
    /// Earliest span start in the file, milliseconds.
    pub min_time: i64,
    /// Latest span start in the file, milliseconds.
    pub max_time: i64,
    /// Number of spans.
    pub rows: u64,
    /// Start of the UTC day the file belongs to, milliseconds.
    pub partition_start: i64,
}

/// One version of the spans table.
#[derive(Debug)]
pub struct SpanStore {
    storage: Storage,
    files: Vec<SpansFile>,
}

impl SpanStore {
    /// Opens the newest version of the store in `storage`.
    pub fn open(storage: &Storage) -> Result<SpanStore> {
        log::open_latest(storage, |state| Ok(SpanStore::at(storage, &state)))
    }

    /// The spans table at the version `state`.
    pub fn at(storage: &Storage, state: &LogState) -> SpanStore {
        let files = state
            .manifest
            .segments_of(TableKind::Spans)
            .enumerate()
            .flat_map(|(segment, s)| {
                s.data_files.iter().map(move |f| SpansFile {
                    path: f.path.clone(),
                    segment,
                    min_time: f.min_time,
                    max_time: f.max_time,
                    rows: f.rows,
                    partition_start: f.partition_start,
                })
            })
            .collect();
        SpanStore {
            storage: storage.clone(),
            files,
        }
    }

    /// The storage the table is read from.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The promoted columns of `file` that do not hold every value of their key (see
    /// [`UNPROMOTED_METADATA`]); every promoted column for a file written without that
    /// list.
    pub fn untrusted_columns(&self, file: &SpansFile) -> Result<Vec<String>> {
        let handle = self.storage.open_file(&file.path)?;
        let metadata = self.storage.parquet_metadata(&file.path, &handle)?;
        let listed = metadata
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|e| e.key == UNPROMOTED_METADATA))
            .map(|e| e.value.clone().unwrap_or_default());
        Ok(match listed {
            Some(list) => list
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            None => PROMOTED.iter().map(|p| p.column.to_string()).collect(),
        })
    }

    /// The columns of `file` that `needs` must not trust: none when there is no need
    /// (and the file's metadata is then not read), else [`Self::untrusted_columns`].
    pub fn untrusted_for(&self, file: &SpansFile, needs: &TraceNeeds) -> Result<Vec<String>> {
        if needs.is_empty() {
            Ok(Vec::new())
        } else {
            self.untrusted_columns(file)
        }
    }

    /// The error for a file whose contents are not what the spans table writes.
    pub fn corrupt(&self, file: &SpansFile, reason: &str) -> StoreError {
        corrupt(&self.storage, file, reason)
    }

    /// The table's files, oldest segment first.
    pub fn files(&self) -> &[SpansFile] {
        &self.files
    }

    /// The span start times the table covers, in nanoseconds: from the first stored
    /// millisecond to just after the last, so that `[start, end)` holds every span;
    /// `None` when no span is stored.
    pub fn time_range_ns(&self) -> Option<(i64, i64)> {
        let first = self.files.iter().map(|f| f.min_time).min()?;
        let last = self.files.iter().map(|f| f.max_time).max()?;
        Some((
            first.saturating_mul(1_000_000),
            (last + 1).saturating_mul(1_000_000),
        ))
    }

    /// Number of spans stored (a span stored again by a later write counts twice).
    pub fn span_count(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Every span of the trace `id`, from every file that holds part of it, sorted by
    /// start time (then span id). A span id stored by several writes keeps the copy of
    /// the latest. Empty when the trace is not stored.
    pub fn trace(&self, id: TraceId) -> Result<Vec<Span>> {
        let mut by_span: FxHashMap<[u8; 8], (usize, Span)> = FxHashMap::default();
        for file in &self.files {
            for span in self.trace_in_file(file, id)? {
                match by_span.get(&span.span_id.0) {
                    Some((segment, _)) if *segment > file.segment => {}
                    _ => {
                        by_span.insert(span.span_id.0, (file.segment, span));
                    }
                }
            }
        }
        let mut spans: Vec<Span> = by_span.into_values().map(|(_, s)| s).collect();
        spans.sort_by_key(|s| (s.start, s.span_id));
        Ok(spans)
    }

    /// The rows of trace `id` in `file`: the row groups whose trace id statistics admit
    /// it are searched on the trace id column alone, then only the trace's rows are read.
    fn trace_in_file(&self, file: &SpansFile, id: TraceId) -> Result<Vec<Span>> {
        let ranges = self
            .rows_meeting(&[file], id, id, &TraceNeeds::default())?
            .pop()
            .unwrap_or_default();
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        self.read_rows(file, &ranges, &SpanParts::whole())
    }

    /// The rows of each row group of `file` whose trace id statistics admit an id in
    /// `[low, high]`.
    pub fn row_groups_between(
        &self,
        file: &SpansFile,
        low: TraceId,
        high: TraceId,
    ) -> Result<Vec<Range<u64>>> {
        let handle = self.storage.open_file(&file.path)?;
        let metadata = self.storage.parquet_metadata(&file.path, &handle)?;
        let trace_column = column_index(columns::TRACE_ID);
        let mut first_row = 0u64;
        let mut out = Vec::new();
        for rg in metadata.metadata().row_groups() {
            let rows = rg.num_rows() as u64;
            let admits = match rg.column(trace_column).statistics() {
                Some(Statistics::FixedLenByteArray(s)) => match (s.min_bytes_opt(), s.max_bytes_opt()) {
                    (Some(min), Some(max)) => min <= &high.0[..] && &low.0[..] <= max,
                    _ => true,
                },
                _ => true,
            };
            if admits {
                out.push(first_row..first_row + rows);
            }
            first_row += rows;
        }
        Ok(out)
    }

    /// The columns `projection` of rows `ranges` of `file` for testing `needs`: the text
    /// columns the needs test are read as dictionaries, so that each distinct value is
    /// tested once.
    pub(crate) fn read_for_needs(
        &self,
        file: &SpansFile,
        ranges: &[Range<u64>],
        projection: &[usize],
        needs: &TraceNeeds,
    ) -> Result<Vec<RecordBatch>> {
        let dictionaries = schema::projection(needs.text_columns());
        read_row_ranges_keeping_dictionaries(&self.storage, &file.path, ranges, projection, &dictionaries)
    }

    /// Decodes `parts` of rows `ranges` of `file` (each made of whole traces).
    pub fn read_rows(&self, file: &SpansFile, ranges: &[Range<u64>], parts: &SpanParts) -> Result<Vec<Span>> {
        let untrusted = if parts.depends_on_trust() {
            self.untrusted_columns(file)?
        } else {
            Vec::new()
        };
        let batches = read_row_ranges(&self.storage, &file.path, ranges, &parts.projection(&untrusted))?;
        let batch = concat(&batches).map_err(|e| corrupt(&self.storage, file, &e.0))?;
        decode_spans(&batch).map_err(|e| corrupt(&self.storage, file, &e.0))
    }

    /// Calls `each` with `parts` of the spans of every row group of every file that may
    /// hold a span starting in `[start_ns, end_ns)`, the spans outside the range left
    /// out; a row group holds whole traces (of the file), in trace id order.
    pub fn for_each_group(
        &self,
        (start_ns, end_ns): (i64, i64),
        parts: &SpanParts,
        each: &mut dyn FnMut(Vec<Span>) -> Result<()>,
    ) -> Result<()> {
        let (from_ms, to_ms) = (start_ns.div_euclid(1_000_000), end_ns.div_euclid(1_000_000));
        for file in &self.files {
            if file.max_time < from_ms || file.min_time > to_ms {
                continue;
            }
            let every = self.row_groups_between(file, TraceId([0; 16]), TraceId([0xff; 16]))?;
            for group in every {
                let mut spans = self.read_rows(file, &[group], parts)?;
                spans.retain(|s| (start_ns..end_ns).contains(&s.start));
                if !spans.is_empty() {
                    each(spans)?;
                }
            }
        }
        Ok(())
    }
}

fn corrupt(storage: &Storage, file: &SpansFile, reason: &str) -> StoreError {
    StoreError::Corrupt {
        path: storage.path(&file.path),
        reason: reason.to_string(),
    }
}
