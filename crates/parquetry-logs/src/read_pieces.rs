//! A read cut in pieces that run on their own, so that every core decompresses and
//! scans: about one row group of one file per piece.
//!
//! A stream's rows in two files whose times overlap may hold exact duplicates (the same
//! entries ingested twice); such a stream is read whole in one piece, merged by time and
//! without its duplicates, as [`LogStore::read`] gives it.

use crate::arrow_rows::stream_runs;
use crate::read::{FileScan, LogQuery, LogStore, ScanCounts, intersect, merge};
use crate::schema::index;
use crate::stream_batch::StreamBatch;
use arrow::array::{AsArray, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use arrow::datatypes::TimestampNanosecondType;
use parquetry_table::catalog::IndexedFile;
use parquetry_table::error::{Result, arrow_err};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::ops::Range;

/// One piece of a read.
#[derive(Clone, Debug)]
pub enum ReadPiece {
    /// Rows within one row group of one file, of streams that no other file holds at
    /// overlapping times.
    Rows(FileScan),
    /// Every row of one stream whose files overlap in time.
    Merged(Vec<FileScan>),
}

impl LogStore {
    /// The pieces that together read what `query` asks for: first the row-group pieces,
    /// in file and row order, then one piece per stream whose files overlap in time.
    pub fn read_pieces(&self, query: &LogQuery) -> Result<Vec<ReadPiece>> {
        let planned = self.planned_entries(query)?;
        let mut spans: FxHashMap<u32, Vec<(i64, i64)>> = FxHashMap::default();
        for e in planned.iter().flat_map(|(_, entries)| entries) {
            spans.entry(e.ordinal).or_default().push((e.min_time, e.max_time));
        }
        let overlapping: FxHashSet<u32> = spans
            .into_iter()
            .filter_map(|(ordinal, mut s)| {
                s.sort_unstable();
                s.windows(2).any(|w| w[1].0 <= w[0].1).then_some(ordinal)
            })
            .collect();
        let mut pieces = Vec::new();
        let mut merged: BTreeMap<u32, Vec<FileScan>> = BTreeMap::new();
        for (file, entries) in planned {
            let mut ranges = Vec::new();
            for e in entries {
                let rows = e.rows();
                if overlapping.contains(&e.ordinal) {
                    merged.entry(e.ordinal).or_default().push(FileScan {
                        file: file.clone(),
                        ranges: vec![rows],
                    });
                } else {
                    ranges.push(rows);
                }
            }
            if !ranges.is_empty() {
                let cut = self.cut_at_row_groups(file, &merge(ranges))?;
                pieces.extend(cut.into_iter().map(ReadPiece::Rows));
            }
        }
        pieces.extend(merged.into_values().map(ReadPiece::Merged));
        Ok(pieces)
    }

    /// The rows of `piece` that `query` asks for, by stream, each sorted by time (a
    /// stream may continue in later pieces). Adds what it read to `counts`.
    pub fn read_batches(
        &self,
        piece: &ReadPiece,
        query: &LogQuery,
        counts: &mut ScanCounts,
    ) -> Result<Vec<StreamBatch>> {
        match piece {
            ReadPiece::Rows(scan) => {
                let batches = self.read_file(scan, query, counts)?;
                Ok(batches.iter().flat_map(|b| self.by_stream(b)).collect())
            }
            ReadPiece::Merged(scans) => {
                let mut batches = Vec::new();
                for scan in scans {
                    batches.extend(self.read_file(scan, query, counts)?);
                }
                let Some(first) = batches.first() else {
                    return Ok(Vec::new());
                };
                let path = &scans[0].file.path;
                let all = concat_batches(&first.schema(), &batches).map_err(arrow_err(path))?;
                let batch = sorted_without_duplicates(&all).map_err(arrow_err(path))?;
                Ok(self.by_stream(&batch))
            }
        }
    }

    /// `ranges` of `file` (sorted, disjoint) cut at its row groups: a scan per row group
    /// that holds any of them.
    fn cut_at_row_groups(&self, file: &IndexedFile, ranges: &[Range<u64>]) -> Result<Vec<FileScan>> {
        let handle = self.storage().open_file(&file.rel)?;
        let metadata = self.storage().parquet_metadata(&file.rel, &handle)?;
        let mut out = Vec::new();
        let mut row = 0u64;
        for rg in metadata.metadata().row_groups() {
            let n = rg.num_rows() as u64;
            let inside = intersect(ranges, std::iter::once(row..row + n));
            if !inside.is_empty() {
                out.push(FileScan {
                    file: file.clone(),
                    ranges: inside,
                });
            }
            row += n;
        }
        Ok(out)
    }

    /// `batch` (rows by stream, then time) as one [`StreamBatch`] per run of a stream.
    fn by_stream(&self, batch: &RecordBatch) -> Vec<StreamBatch> {
        stream_runs(batch)
            .into_iter()
            .map(|(id, rows)| StreamBatch {
                id,
                labels: self.stream_labels(id).cloned().unwrap_or_default(),
                batch: batch.slice(rows.start, rows.len()),
            })
            .collect()
    }
}

/// The rows of `batch` (one stream) sorted by time, then line, with exact duplicates
/// (same time and line) dropped: the first in row order is kept.
fn sorted_without_duplicates(batch: &RecordBatch) -> Result<RecordBatch, arrow::error::ArrowError> {
    let times = batch
        .column(index::TIMESTAMP)
        .as_primitive::<TimestampNanosecondType>()
        .values();
    let lines = batch.column(index::LINE).as_string::<i32>();
    let key = |i: u32| (times[i as usize], lines.value(i as usize));
    let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    order.dedup_by(|later, earlier| key(*later) == key(*earlier));
    take_record_batch(batch, &UInt32Array::from(order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::LogEntry;
    use crate::entry::StreamEntries;
    use crate::writer::LogsWriter;
    use parquetry_model::{Labels, Matcher, SeriesId};
    use parquetry_table::Storage;

    fn stream(name: &str, entries: Vec<LogEntry>) -> StreamEntries {
        let mut s = StreamEntries::new(Labels::from_pairs([("app", name)]));
        s.entries = entries;
        s
    }

    fn commit(storage: &Storage, streams: Vec<StreamEntries>) {
        let mut w = LogsWriter::begin(storage).unwrap();
        w.write(streams).unwrap();
        w.commit().unwrap();
    }

    /// Every piece's read, merged by stream as [`LogStore::read`] gives them: streams
    /// in label order, each sorted by time.
    fn read_all(store: &LogStore, query: &LogQuery) -> Vec<StreamEntries> {
        let mut counts = ScanCounts::default();
        let mut streams: FxHashMap<SeriesId, StreamEntries> = FxHashMap::default();
        for piece in store.read_pieces(query).unwrap() {
            for b in store.read_batches(&piece, query, &mut counts).unwrap() {
                let stream = streams.entry(b.id).or_insert_with(|| StreamEntries {
                    id: b.id,
                    labels: b.labels.clone(),
                    entries: Vec::new(),
                });
                stream.entries.extend(crate::arrow_rows::entries_of(&b.batch));
            }
        }
        let mut streams: Vec<StreamEntries> = streams.into_values().collect();
        for s in &mut streams {
            s.entries.sort_by_key(|e| e.timestamp);
        }
        streams.sort_by(|a, b| (&a.labels, a.id).cmp(&(&b.labels, b.id)));
        streams
    }

    #[test]
    fn pieces_read_what_a_whole_read_gives() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let many: Vec<LogEntry> = (0..50_000i64)
            .map(|i| LogEntry::new(i * 1_000_000, format!("line {i}")))
            .collect();
        commit(
            &storage,
            vec![
                stream("many", many.clone()),
                stream("few", vec![LogEntry::new(5, "a"), LogEntry::new(7, "b")]),
                stream("wide", many.clone()),
            ],
        );
        // The same entries again, and one new: the overlap is merged without duplicates.
        let mut again = many[40_000..].to_vec();
        again.push(LogEntry::new(40_000_000_000, "late"));
        commit(&storage, vec![stream("many", again)]);

        let store = LogStore::open(&storage).unwrap();
        for query in [
            LogQuery::default(),
            LogQuery {
                matchers: vec![Matcher::equal("app", "many")],
                start: 45_000_000_000,
                ..LogQuery::default()
            },
            LogQuery {
                line_contains: vec!["line 4999".into()],
                ..LogQuery::default()
            },
        ] {
            let pieces = store.read_pieces(&query).unwrap();
            assert_eq!(read_all(&store, &query), store.read(&query).unwrap(), "{query:?}");
            if query.matchers.is_empty() {
                assert!(pieces.iter().any(|p| matches!(p, ReadPiece::Merged(_))));
                // The wide stream's 50,000 rows span two row groups at least.
                assert!(pieces.iter().filter(|p| matches!(p, ReadPiece::Rows(_))).count() >= 2);
            }
        }
        let all = read_all(&store, &LogQuery::default());
        assert_eq!(all.iter().map(|s| s.entries.len()).sum::<usize>(), 100_003);
    }
}
