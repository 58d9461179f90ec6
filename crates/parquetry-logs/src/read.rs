//! Reading log entries: streams chosen through the shared catalog's label index, their
//! row ranges from the directory, row groups skipped by their line filters (line
//! substrings, trace id), and the rest read as Arrow record batches and filtered exactly.

use crate::arrow_rows::{refers_to_stored_ids, restore_ids, without_ids};
use crate::entries_file::NANOS_PER_MS;
use crate::entry::StreamEntries;
use crate::line_filter::LineFilter;
use crate::schema::index;
use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{TimestampNanosecondType, UInt64Type};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;
use parquetry_model::{Matcher, SeriesId};
use parquetry_table::catalog::{FileEntry, IndexedFile};
use parquetry_table::error::{Result, arrow_err};
use parquetry_table::scan::read_row_ranges;
use parquetry_table::{Catalog, CatalogEntry, LogState, Storage, TableKind, log};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::Arc;

/// What to read: entries of the selected streams in `[start, end)` (nanoseconds) whose
/// line contains every needle and, when given, with this trace id.
#[derive(Clone, Debug)]
pub struct LogQuery {
    /// Stream matchers (Prometheus' semantics); empty selects every stream.
    pub matchers: Vec<Matcher>,
    /// First nanosecond, inclusive.
    pub start: i64,
    /// Last nanosecond, exclusive.
    pub end: i64,
    /// Substrings the line must contain, all of them (case-sensitive bytes).
    pub line_contains: Vec<String>,
    /// The trace id the entry must carry.
    pub trace_id: Option<String>,
    /// Only the time, line and structured metadata are wanted: the trace, span and
    /// severity columns may come back empty (null), which spares reading them.
    pub lines_only: bool,
}

impl Default for LogQuery {
    fn default() -> Self {
        LogQuery {
            matchers: Vec::new(),
            start: i64::MIN,
            end: i64::MAX,
            line_contains: Vec::new(),
            trace_id: None,
            lines_only: false,
        }
    }
}

/// What a read touched, for judging how much the filters skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanCounts {
    /// Row groups the selected streams' rows fall in, within the time range (by the row
    /// groups' timestamp statistics).
    pub row_groups: u64,
    /// Of those, row groups their line filters ruled out.
    pub row_groups_skipped: u64,
    /// Rows read from storage.
    pub rows_read: u64,
    /// Compressed bytes of the row groups read (all columns read).
    pub bytes_read: u64,
}

/// One data file of a scan and the row ranges of the selected streams in it.
#[derive(Clone, Debug)]
pub struct FileScan {
    /// The file and its directory entries.
    pub file: IndexedFile,
    /// Rows of the selected streams, sorted and disjoint.
    pub ranges: Vec<Range<u64>>,
}

/// The query's time range in the catalog's milliseconds, inclusive.
fn ms_bounds(query: &LogQuery) -> (i64, i64) {
    (
        query.start.div_euclid(NANOS_PER_MS),
        query.end.saturating_sub(1).div_euclid(NANOS_PER_MS),
    )
}

/// One version of the logs table: its streams, indexed, and a reader of their entries.
#[derive(Debug)]
pub struct LogStore {
    storage: Storage,
    catalog: Catalog,
    /// Every stream with its labels, read at open.
    streams: Vec<CatalogEntry>,
}

impl LogStore {
    /// Opens the newest version of the store in `storage`.
    pub fn open(storage: &Storage) -> Result<LogStore> {
        log::open_latest(storage, |state| LogStore::at(storage, Arc::new(state)))
    }

    /// The logs table at the version `state`.
    pub fn at(storage: &Storage, state: Arc<LogState>) -> Result<LogStore> {
        let catalog = Catalog::open(storage, &state, TableKind::Logs)?;
        Ok(LogStore {
            storage: storage.clone(),
            streams: catalog.entries()?.to_vec(),
            catalog,
        })
    }

    /// Every stream, with the time of its first and last entry in milliseconds.
    pub fn streams(&self) -> &[CatalogEntry] {
        &self.streams
    }

    /// The stream catalog (label index, directory).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Where the store is.
    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The data files that may hold entries `query` asks for, with the row ranges of
    /// the selected streams in each (from the catalog and directory only; no data file
    /// is opened). Read each with [`LogStore::read_file`].
    pub fn plan(&self, query: &LogQuery) -> Result<Vec<FileScan>> {
        let mut out = Vec::new();
        for (file, entries) in self.planned_entries(query)? {
            let ranges: Vec<Range<u64>> = entries.iter().map(|e| e.rows()).collect();
            out.push(FileScan {
                file: file.clone(),
                ranges: merge(ranges),
            });
        }
        Ok(out)
    }

    /// How many streams `query`'s matchers and times select, and how many pieces of
    /// them (one stream's rows in one data file) overlap its range: Loki's `streams`
    /// and `chunks` of index statistics.
    pub fn pieces(&self, query: &LogQuery) -> Result<(usize, usize)> {
        let planned = self.planned_entries(query)?;
        let mut streams: Vec<u32> = planned
            .iter()
            .flat_map(|(_, entries)| entries.iter().map(|e| e.ordinal))
            .collect();
        streams.sort_unstable();
        streams.dedup();
        let pieces = planned.iter().map(|(_, entries)| entries.len()).sum();
        Ok((streams.len(), pieces))
    }

    /// The data files that may hold entries `query` asks for, each with the directory
    /// entries of the selected streams whose times meet the query's (none left empty).
    pub(crate) fn planned_entries(&self, query: &LogQuery) -> Result<Vec<(&IndexedFile, Vec<&FileEntry>)>> {
        let (min_ms, max_ms) = ms_bounds(query);
        let selected: Vec<u32> = if query.matchers.is_empty() {
            (0..self.streams.len() as u32).collect()
        } else {
            self.catalog.select(&query.matchers, min_ms, max_ms)?
        };
        let mut wanted = vec![false; self.streams.len()];
        for &o in &selected {
            wanted[o as usize] = true;
        }
        let mut out = Vec::new();
        for file in self.catalog.files()? {
            if file.max_time < min_ms || file.min_time > max_ms {
                continue;
            }
            let entries: Vec<&FileEntry> = file
                .entries
                .iter()
                .filter(|e| wanted[e.ordinal as usize] && e.max_time >= min_ms && e.min_time <= max_ms)
                .collect();
            if !entries.is_empty() {
                out.push((file, entries));
            }
        }
        Ok(out)
    }

    /// The entries of one planned file that `query` asks for, as record batches with the
    /// entry columns ([`crate::schema::entry_batch_schema`]) by stream, then time; row groups that
    /// the filters rule out are not read. Adds what it read to `counts`.
    pub fn read_file(
        &self,
        scan: &FileScan,
        query: &LogQuery,
        counts: &mut ScanCounts,
    ) -> Result<Vec<RecordBatch>> {
        let file = &scan.file;
        let ranges = self.prune_row_groups(file, query, scan.ranges.clone(), counts)?;
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        counts.rows_read += ranges.iter().map(|r| r.end - r.start).sum::<u64>();
        let mut out = Vec::new();
        for batch in self.entry_batches(file, &ranges, query)? {
            let batch = keep_matching(batch, query).map_err(arrow_err(&file.path))?;
            if batch.num_rows() > 0 {
                out.push(batch);
            }
        }
        Ok(out)
    }

    /// The entry batches of `ranges` of `file`. For a query of lines only, the trace,
    /// span and severity columns are read only when the structured metadata refers to an
    /// id stored in its column.
    fn entry_batches(
        &self,
        file: &IndexedFile,
        ranges: &[Range<u64>],
        query: &LogQuery,
    ) -> Result<Vec<RecordBatch>> {
        if query.lines_only {
            let batches = read_row_ranges(&self.storage, &file.rel, ranges, &index::LINE_COLUMNS)?;
            if !batches.iter().any(refers_to_stored_ids) {
                return batches
                    .iter()
                    .map(without_ids)
                    .collect::<Result<_, _>>()
                    .map_err(arrow_err(&file.path));
            }
        }
        read_row_ranges(&self.storage, &file.rel, ranges, &index::STORED_ENTRY_COLUMNS)?
            .iter()
            .map(restore_ids)
            .collect::<Result<_, _>>()
            .map_err(arrow_err(&file.path))
    }

    /// Every entry `query` asks for: [`LogStore::plan`], then [`LogStore::read_file`] on
    /// each file, in file order.
    pub fn scan(&self, query: &LogQuery) -> Result<(Vec<RecordBatch>, ScanCounts)> {
        self.read_files(&self.plan(query)?, query)
    }

    /// [`LogStore::read_file`] on each of `files`, in order.
    fn read_files(&self, files: &[FileScan], query: &LogQuery) -> Result<(Vec<RecordBatch>, ScanCounts)> {
        let mut counts = ScanCounts::default();
        let mut out = Vec::new();
        for file in files {
            out.extend(self.read_file(file, query, &mut counts)?);
        }
        Ok((out, counts))
    }

    /// The labels of the stream with this id, if the table has it.
    pub fn stream_labels(&self, id: SeriesId) -> Option<&Arc<parquetry_model::Labels>> {
        self.catalog.ordinal(id).map(|o| &self.streams[o as usize].labels)
    }

    /// The entries `query` asks for, grouped by stream (in label order), each stream's
    /// entries sorted by time with exact duplicates across files dropped.
    pub fn read(&self, query: &LogQuery) -> Result<Vec<StreamEntries>> {
        self.read_streams(&self.plan(query)?, query)
    }

    /// [`LogStore::read`] over some of the files [`LogStore::plan`] gave for `query`.
    pub fn read_streams(&self, files: &[FileScan], query: &LogQuery) -> Result<Vec<StreamEntries>> {
        let (batches, _) = self.read_files(files, query)?;
        let mut streams: FxHashMap<SeriesId, StreamEntries> = FxHashMap::default();
        for batch in &batches {
            let ids = batch.column(index::STREAM_ID).as_primitive::<UInt64Type>();
            let entries = crate::arrow_rows::entries_of(batch);
            for (row, entry) in entries.into_iter().enumerate() {
                let id = SeriesId(ids.value(row));
                let stream = streams.entry(id).or_insert_with(|| {
                    let labels = self.stream_labels(id).cloned().unwrap_or_default();
                    StreamEntries {
                        id,
                        labels,
                        entries: Vec::new(),
                    }
                });
                stream.entries.push(entry);
            }
        }
        let mut streams: Vec<StreamEntries> = streams.into_values().collect();
        for s in &mut streams {
            s.sort_and_dedup();
        }
        streams.sort_by(|a, b| (&a.labels, a.id).cmp(&(&b.labels, b.id)));
        Ok(streams)
    }

    /// Keeps the parts of `ranges` inside row groups that may hold a match: the row
    /// group's line filter admits every needle and the trace id.
    fn prune_row_groups(
        &self,
        file: &IndexedFile,
        query: &LogQuery,
        ranges: Vec<Range<u64>>,
        counts: &mut ScanCounts,
    ) -> Result<Vec<Range<u64>>> {
        let handle = self.storage.open_file(&file.rel)?;
        let metadata = self.storage.parquet_metadata(&file.rel, &handle)?;
        let mut groups: Vec<(Range<u64>, usize)> = Vec::new();
        let mut row = 0u64;
        for (g, rg) in metadata.metadata().row_groups().iter().enumerate() {
            let n = rg.num_rows() as u64;
            if ranges.iter().any(|r| r.start < row + n && r.end > row) && may_hold_times(rg, query) {
                groups.push((row..row + n, g));
            }
            row += n;
        }
        let candidates = groups.len();
        counts.row_groups += candidates as u64;
        if !query.line_contains.is_empty() || query.trace_id.is_some() {
            let firsts: Vec<Range<u64>> = groups.iter().map(|(r, _)| r.start..r.start + 1).collect();
            let filters = read_row_ranges(&self.storage, &file.rel, &firsts, &[index::LINE_FILTER])?;
            let mut cells = filters.iter().flat_map(|b| {
                let col = b.column(0).as_binary::<i32>();
                (0..col.len()).map(move |i| (!col.is_null(i)).then(|| col.value(i).to_vec()))
            });
            groups.retain(|_| {
                let Some(bytes) = cells.next().flatten() else {
                    return true;
                };
                let Some(filter) = LineFilter::read(&bytes) else {
                    return true;
                };
                query
                    .line_contains
                    .iter()
                    .all(|n| filter.may_contain(n.as_bytes()))
                    && query
                        .trace_id
                        .as_ref()
                        .is_none_or(|id| filter.may_hold_trace_id(id))
            });
        }
        counts.row_groups_skipped += (candidates - groups.len()) as u64;
        counts.bytes_read += groups
            .iter()
            .map(|(_, g)| metadata.metadata().row_group(*g).compressed_size() as u64)
            .sum::<u64>();
        Ok(intersect(&ranges, groups.iter().map(|(r, _)| r.clone())))
    }
}

/// False when the row group's timestamp statistics put all its rows outside the query's
/// time range (a stream's day spans many row groups, each a slice of its time).
fn may_hold_times(rg: &RowGroupMetaData, query: &LogQuery) -> bool {
    match rg.column(index::TIMESTAMP).statistics() {
        Some(Statistics::Int64(stats)) => match (stats.min_opt(), stats.max_opt()) {
            (Some(min), Some(max)) => *max >= query.start && *min < query.end,
            _ => true,
        },
        _ => true,
    }
}

/// Sorts ranges and merges those that touch.
pub(crate) fn merge(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The parts of `ranges` (sorted, disjoint) inside `groups` (sorted, disjoint).
pub(crate) fn intersect(ranges: &[Range<u64>], groups: impl Iterator<Item = Range<u64>>) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut i = 0;
    for g in groups {
        while i < ranges.len() && ranges[i].end <= g.start {
            i += 1;
        }
        let mut j = i;
        while j < ranges.len() && ranges[j].start < g.end {
            let (start, end) = (ranges[j].start.max(g.start), ranges[j].end.min(g.end));
            if start < end {
                out.push(start..end);
            }
            j += 1;
        }
    }
    merge(out)
}

/// The rows of `batch` inside the query's time range whose line holds every needle and
/// whose trace id is the one asked for.
fn keep_matching(batch: RecordBatch, query: &LogQuery) -> Result<RecordBatch, arrow::error::ArrowError> {
    let times = batch
        .column(index::TIMESTAMP)
        .as_primitive::<TimestampNanosecondType>();
    let lines = batch.column(index::LINE).as_string::<i32>();
    let traces = batch.column(index::TRACE_ID).as_string::<i32>();
    let mut keep: Vec<bool> = (0..batch.num_rows())
        .map(|row| {
            let t = times.value(row);
            t >= query.start && t < query.end
        })
        .collect();
    for needle in &query.line_contains {
        let found = rows_containing(lines, needle.as_bytes());
        keep.iter_mut().zip(found).for_each(|(k, f)| *k &= f);
    }
    if let Some(id) = &query.trace_id {
        for (row, k) in keep.iter_mut().enumerate() {
            *k &= traces.is_valid(row) && traces.value(row) == id;
        }
    }
    let mask = BooleanArray::from(keep);
    if mask.true_count() == batch.num_rows() {
        return Ok(batch);
    }
    filter_record_batch(&batch, &mask)
}

/// Which rows of `lines` contain `needle`: one scan of the whole text buffer, each match
/// mapped to its row through the offsets, the scan then resuming at the next row.
pub fn rows_containing(lines: &StringArray, needle: &[u8]) -> Vec<bool> {
    let mut found = vec![needle.is_empty(); lines.len()];
    if needle.is_empty() || lines.is_empty() {
        return found;
    }
    let offsets = lines.value_offsets();
    let data = lines.value_data();
    let finder = memchr::memmem::Finder::new(needle);
    let (mut pos, end) = (offsets[0] as usize, offsets[lines.len()] as usize);
    let mut row = 0usize;
    while let Some(i) = finder.find(&data[pos..end]) {
        let at = pos + i;
        // Offsets only grow: the row holding `at` is at or after the last one found.
        row += offsets[row + 1..].partition_point(|&o| o as usize <= at);
        let row_end = offsets[row + 1] as usize;
        if at + needle.len() <= row_end {
            found[row] = true;
            pos = row_end;
        } else {
            // The match runs into the next line: look again one byte further.
            pos = at + 1;
        }
        if pos >= end {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::LogEntry;
    use crate::writer::LogsWriter;
    use parquetry_model::Labels;

    const DAY_NS: i64 = 86_400_000_000_000;

    fn stream(pairs: &[(&str, &str)], entries: Vec<LogEntry>) -> StreamEntries {
        let mut s = StreamEntries::new(Labels::from_pairs(pairs.iter().copied()));
        s.entries = entries;
        s
    }

    fn fixture() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let mut w = LogsWriter::begin(&storage).unwrap();
        let api: Vec<LogEntry> = (0..70_000i64)
            .map(|i| {
                let mut e = LogEntry::new(i * 1_000_000, format!("GET /items/{} status=200", i % 500));
                e.trace_id = Some(format!("{:032x}", i / 4));
                e
            })
            .chain(std::iter::once(LogEntry::new(
                69_999 * 1_000_000 + 1,
                "payment failed: card declined",
            )))
            .collect();
        let worker = vec![
            LogEntry::new(DAY_NS + 5, "GC pause 12ms"),
            LogEntry::new(3, "started"),
            LogEntry::new(3, "started"),
        ];
        w.write(vec![
            stream(&[("service", "api"), ("env", "prod")], api),
            stream(&[("service", "worker"), ("env", "prod")], worker),
        ])
        .unwrap();
        assert_eq!(w.segment().duplicates(), 1);
        w.commit().unwrap();
        (dir, storage)
    }

    #[test]
    fn selects_streams_times_needles_and_traces() {
        let (_dir, storage) = fixture();
        let store = LogStore::open(&storage).unwrap();
        assert_eq!(store.streams().len(), 2);
        let worker = LogQuery {
            matchers: vec![Matcher::equal("service", "worker")],
            ..LogQuery::default()
        };
        let got = store.read(&worker).unwrap();
        assert_eq!(got.len(), 1);
        let lines: Vec<(i64, &str)> = got[0]
            .entries
            .iter()
            .map(|e| (e.timestamp, e.line.as_str()))
            .collect();
        assert_eq!(lines, [(3, "started"), (DAY_NS + 5, "GC pause 12ms")]);
        let second_day = LogQuery {
            start: DAY_NS,
            ..worker.clone()
        };
        assert_eq!(store.read(&second_day).unwrap()[0].entries.len(), 1);

        let needle = LogQuery {
            line_contains: vec!["card declined".into()],
            ..LogQuery::default()
        };
        let (batches, counts) = store.scan(&needle).unwrap();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
        assert!(counts.row_groups >= 3, "{counts:?}");
        assert_eq!(counts.row_groups_skipped, counts.row_groups - 1, "{counts:?}");

        // The first second of the api stream leaves out the row groups of its later times.
        let api = LogQuery {
            matchers: vec![Matcher::equal("service", "api")],
            ..LogQuery::default()
        };
        let first_second = LogQuery {
            start: 0,
            end: 1_000_000_000,
            ..api.clone()
        };
        let (_, all) = store.scan(&api).unwrap();
        let (batches, counts) = store.scan(&first_second).unwrap();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1000);
        assert!(counts.row_groups < all.row_groups, "{counts:?} of {all:?}");

        let trace = LogQuery {
            trace_id: Some(format!("{:032x}", 1234)),
            ..LogQuery::default()
        };
        let (batches, counts) = store.scan(&trace).unwrap();
        let lines: Vec<LogEntry> = batches.iter().flat_map(crate::arrow_rows::entries_of).collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines
                .iter()
                .all(|e| e.trace_id.as_deref() == Some(&format!("{:032x}", 1234)[..]))
        );
        assert!(counts.row_groups_skipped >= 2, "{counts:?}");
    }

    #[test]
    fn pieces_count_the_streams_and_files_a_query_meets() {
        let (_dir, storage) = fixture();
        let store = LogStore::open(&storage).unwrap();
        // The worker's lines of the second day are a piece of their own.
        assert_eq!(store.pieces(&LogQuery::default()).unwrap(), (2, 3));
        let worker_second_day = LogQuery {
            matchers: vec![Matcher::equal("service", "worker")],
            start: DAY_NS,
            ..LogQuery::default()
        };
        assert_eq!(store.pieces(&worker_second_day).unwrap(), (1, 1));
        let nobody = LogQuery {
            matchers: vec![Matcher::equal("service", "nobody")],
            ..LogQuery::default()
        };
        assert_eq!(store.pieces(&nobody).unwrap(), (0, 0));
    }

    #[test]
    fn a_read_of_lines_only_still_restores_ids_the_metadata_refers_to() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let mut plain = LogEntry::new(1, "no ids here");
        plain.trace_id = Some("ab".repeat(16));
        plain.severity = Some("info".into());
        let mut otlp = LogEntry::new(2, "with ids");
        otlp.trace_id = Some("cd".repeat(16));
        otlp.metadata = vec![("trace_id".into(), "cd".repeat(16)), ("user".into(), "u1".into())];
        let mut w = LogsWriter::begin(&storage).unwrap();
        w.write(vec![
            stream(&[("app", "plain")], vec![plain]),
            stream(&[("app", "otlp")], vec![otlp]),
        ])
        .unwrap();
        w.commit().unwrap();
        let store = LogStore::open(&storage).unwrap();
        let read = |app: &str| {
            let q = LogQuery {
                matchers: vec![Matcher::equal("app", app)],
                lines_only: true,
                ..LogQuery::default()
            };
            store.read(&q).unwrap().remove(0).entries.remove(0)
        };
        let plain = read("plain");
        assert_eq!(
            (plain.line.as_str(), plain.trace_id, plain.severity),
            ("no ids here", None, None)
        );
        let otlp = read("otlp");
        assert_eq!(otlp.metadata[0], ("trace_id".to_string(), "cd".repeat(16)));
        assert_eq!(otlp.metadata[1], ("user".to_string(), "u1".to_string()));
    }

    #[test]
    fn a_selector_of_only_empty_matchers_is_refused() {
        let (_dir, storage) = fixture();
        let store = LogStore::open(&storage).unwrap();
        let q = LogQuery {
            matchers: vec![Matcher::equal("service", "")],
            ..LogQuery::default()
        };
        assert!(store.scan(&q).is_err());
    }

    #[test]
    fn needles_are_found_in_the_buffer_and_mapped_to_their_rows() {
        let lines = StringArray::from(vec!["ab", "cab", "", "a", "bxab", "abab"]);
        assert_eq!(
            rows_containing(&lines, b"ab"),
            [true, true, false, false, true, true]
        );
        // "a" then "bx" across a row boundary is not a match.
        assert_eq!(rows_containing(&lines, b"abx"), [false; 6]);
        assert_eq!(rows_containing(&lines, b"ab").len(), 6);
        assert_eq!(rows_containing(&lines, b""), [true; 6]);
        let sliced = lines.slice(3, 3);
        assert_eq!(rows_containing(&sliced, b"ab"), [false, true, true]);
    }

    #[test]
    fn ranges_merge_and_intersect_with_row_groups() {
        assert_eq!(merge(vec![5..7, 0..2, 2..3, 6..9]), vec![0..3, 5..9]);
        let groups = [0..4, 8..12].into_iter();
        assert_eq!(
            intersect(&[1..3, 3..10, 11..20], groups),
            vec![1..4, 8..10, 11..12]
        );
    }
}
