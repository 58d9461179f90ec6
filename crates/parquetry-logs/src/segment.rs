//! Staging one segment of the logs table: entries files per UTC day, written here; the
//! segment's streams table and directory are kept and written by the table core's
//! [`SegmentBuilder`]. Nothing staged is visible until a commit names the segment.

use crate::entries_file::{EntriesFileWriter, NANOS_PER_MS, write_entries_file};
use crate::entry::StreamEntries;
use parquetry_table::error::Result;
use parquetry_table::segment::PARTITION_MS;
use parquetry_table::{SegmentBuilder, StagedSegment, Storage, TableKind};
use std::collections::BTreeMap;

/// Nanoseconds in a partition (one UTC day).
const PARTITION_NS: i64 = PARTITION_MS * NANOS_PER_MS;

/// The files of one logs segment in progress.
#[derive(Debug)]
pub struct LogsSegment {
    inner: SegmentBuilder,
    duplicates: u64,
}

impl LogsSegment {
    /// Entries staged so far.
    pub fn entries(&self) -> u64 {
        self.inner.rows()
    }

    /// Bytes of entries files staged so far.
    pub fn bytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// Streams with entries staged so far.
    pub fn streams(&self) -> usize {
        self.inner.entities()
    }

    /// Exact duplicates (same stream, time and line) dropped so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Stages one entries file for the UTC day starting at `day_ms` from `pieces`, each
    /// a list of streams: streams in label order across pieces, a stream split over
    /// consecutive pieces in time order, every entry inside the day. Entries inside a
    /// piece are sorted by time and exact duplicates dropped.
    pub fn write_day(
        &mut self,
        day_ms: i64,
        pieces: impl Iterator<Item = Result<Vec<StreamEntries>>>,
    ) -> Result<()> {
        let rel = self.inner.next_data_file(day_ms);
        let mut file = EntriesFileWriter::create(self.inner.storage(), &rel)?;
        for piece in pieces {
            for mut s in piece? {
                self.duplicates += s.sort_and_dedup();
                file.append(&s)?;
            }
        }
        let (written, bytes) = file.finish(self.inner.storage())?;
        if written.is_empty() {
            self.inner.storage().delete(&rel)?;
        } else {
            self.inner.add_file(rel, day_ms, bytes, written);
        }
        Ok(())
    }
}

impl StagedSegment for LogsSegment {
    type Rows = Vec<StreamEntries>;

    /// A new, empty segment with a fresh id.
    fn new(storage: &Storage) -> LogsSegment {
        LogsSegment {
            inner: SegmentBuilder::new(storage, TableKind::Logs),
            duplicates: 0,
        }
    }

    /// Stages streams as new entries files, one per UTC day they cover. Entries may come
    /// in any order; they are sorted by time and exact duplicates dropped. Streams are
    /// written in label order, so that similar streams sit side by side.
    fn write(&mut self, mut streams: Vec<StreamEntries>) -> Result<()> {
        streams.retain(|s| !s.entries.is_empty());
        for s in &mut streams {
            self.duplicates += s.sort_and_dedup();
        }
        streams.sort_by(|a, b| (&a.labels, a.id).cmp(&(&b.labels, b.id)));
        let mut days: BTreeMap<i64, Vec<StreamEntries>> = BTreeMap::new();
        for s in streams {
            let mut rest = s.entries;
            while !rest.is_empty() {
                let day = rest[0].timestamp.div_euclid(PARTITION_NS);
                let end = rest.partition_point(|e| e.timestamp.div_euclid(PARTITION_NS) == day);
                let later = rest.split_off(end);
                days.entry(day).or_default().push(StreamEntries {
                    id: s.id,
                    labels: s.labels.clone(),
                    entries: rest,
                });
                rest = later;
            }
        }
        for (day, streams) in days {
            let partition_start = day * PARTITION_MS;
            let rel = self.inner.next_data_file(partition_start);
            let refs: Vec<&StreamEntries> = streams.iter().collect();
            let (written, bytes) = write_entries_file(self.inner.storage(), &rel, &refs)?;
            self.inner.add_file(rel, partition_start, bytes, written);
        }
        Ok(())
    }

    fn into_builder(self) -> SegmentBuilder {
        self.inner
    }
}
