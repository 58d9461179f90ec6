//! Reading a whole UTC day of the logs table back in pieces of bounded size, stream by
//! stream in label order, for rewriting it into one file (compaction and retention).
//!
//! Streams with few entries that day are read together; a stream with more than a
//! piece's worth is split by time at distinct timestamps, so exact duplicates (same time
//! and line) always fall in one piece and are dropped there.

use crate::entries_file::NANOS_PER_MS;
use crate::entry::StreamEntries;
use crate::read::{FileScan, LogQuery, LogStore, merge};
use crate::schema::index;
use arrow::array::AsArray;
use arrow::datatypes::TimestampNanosecondType;
use parquetry_table::catalog::IndexedFile;
use parquetry_table::error::Result;
use parquetry_table::scan::read_row_ranges;
use parquetry_table::segment::PARTITION_MS;
use std::collections::BTreeMap;
use std::ops::Range;

/// What one piece of a day reads.
#[derive(Clone, Debug)]
pub struct DayPiece {
    /// The rows to read.
    scans: Vec<FileScan>,
    /// Entries in `[start, end)`, in nanoseconds.
    start: i64,
    end: i64,
}

/// Where one stream's rows of the day are: the file and the row range in it.
type Parts<'a> = Vec<(&'a IndexedFile, Range<u64>)>;

impl LogStore {
    /// The pieces to read the UTC day starting at `day_ms` by: every stream's entries of
    /// the day, in label order, about `piece_rows` entries per piece (more only when that
    /// many entries share one timestamp).
    pub fn day_pieces(&self, day_ms: i64, piece_rows: u64) -> Result<Vec<DayPiece>> {
        let (start, end) = (day_ms * NANOS_PER_MS, (day_ms + PARTITION_MS) * NANOS_PER_MS);
        let mut streams: BTreeMap<u32, Parts> = BTreeMap::new();
        for file in self.catalog().files()? {
            if file.max_time < day_ms || file.min_time >= day_ms + PARTITION_MS {
                continue;
            }
            for e in &file.entries {
                streams.entry(e.ordinal).or_default().push((file, e.rows()));
            }
        }
        let entries = self.streams();
        let mut order: Vec<u32> = streams.keys().copied().collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&entries[a as usize], &entries[b as usize]);
            (&a.labels, a.id).cmp(&(&b.labels, b.id))
        });
        let mut pieces = Vec::new();
        let mut batch: Vec<&Parts> = Vec::new();
        let mut batch_rows = 0;
        for ordinal in order {
            let parts = &streams[&ordinal];
            let rows: u64 = parts.iter().map(|(_, r)| r.end - r.start).sum();
            if batch_rows + rows > piece_rows && !batch.is_empty() {
                pieces.push(piece_of(&batch, start, end));
                batch.clear();
                batch_rows = 0;
            }
            if rows > piece_rows {
                pieces.extend(self.split_by_time(parts, piece_rows, start, end)?);
            } else {
                batch.push(parts);
                batch_rows += rows;
            }
        }
        if !batch.is_empty() {
            pieces.push(piece_of(&batch, start, end));
        }
        Ok(pieces)
    }

    /// The streams of `piece`, in label order, each sorted by time without exact
    /// duplicates.
    pub fn read_piece(&self, piece: &DayPiece) -> Result<Vec<StreamEntries>> {
        let query = LogQuery {
            start: piece.start,
            end: piece.end,
            ..LogQuery::default()
        };
        self.read_streams(&piece.scans, &query)
    }

    /// Pieces of one stream's `parts`, cut at distinct timestamps about every
    /// `piece_rows` entries.
    fn split_by_time(&self, parts: &Parts, piece_rows: u64, start: i64, end: i64) -> Result<Vec<DayPiece>> {
        let mut times: Vec<Vec<i64>> = Vec::with_capacity(parts.len());
        for (file, rows) in parts {
            let batches = read_row_ranges(
                self.storage(),
                &file.rel,
                std::slice::from_ref(rows),
                &[index::TIMESTAMP],
            )?;
            times.push(
                batches
                    .iter()
                    .flat_map(|b| {
                        b.column(0)
                            .as_primitive::<TimestampNanosecondType>()
                            .values()
                            .to_vec()
                    })
                    .collect(),
            );
        }
        let mut all: Vec<i64> = times.concat();
        all.sort_unstable();
        let mut cuts = vec![start];
        let mut i = piece_rows as usize;
        while i < all.len() {
            if all[i] != all[i - 1] && all[i] > *cuts.last().expect("cuts start non-empty") {
                cuts.push(all[i]);
                i += piece_rows as usize;
            } else {
                i += 1;
            }
        }
        cuts.push(end);
        Ok(cuts
            .windows(2)
            .map(|w| {
                let parts: Parts = parts
                    .iter()
                    .zip(&times)
                    .filter_map(|((file, rows), t)| {
                        let (a, b) = (t.partition_point(|&x| x < w[0]), t.partition_point(|&x| x < w[1]));
                        (a < b).then(|| (*file, rows.start + a as u64..rows.start + b as u64))
                    })
                    .collect();
                piece_of(&[&parts], w[0], w[1])
            })
            .collect())
    }
}

/// The piece that reads every part of `streams` in `[start, end)`.
fn piece_of(streams: &[&Parts], start: i64, end: i64) -> DayPiece {
    let mut by_file: BTreeMap<&str, (&IndexedFile, Vec<Range<u64>>)> = BTreeMap::new();
    for (file, rows) in streams.iter().flat_map(|p| p.iter()) {
        by_file
            .entry(file.rel.as_str())
            .or_insert_with(|| (file, Vec::new()))
            .1
            .push(rows.clone());
    }
    DayPiece {
        scans: by_file
            .into_values()
            .map(|(file, ranges)| FileScan {
                file: file.clone(),
                ranges: merge(ranges),
            })
            .collect(),
        start,
        end,
    }
}
