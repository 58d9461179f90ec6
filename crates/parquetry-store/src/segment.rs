//! Staging one segment of the metrics table: samples files per UTC day, written here;
//! the segment's series table and directory are kept and written by the table core's
//! [`SegmentBuilder`]. Nothing staged is visible until a commit names the segment.

use crate::batch::SeriesSamples;
use crate::error::{Result, StoreError};
use crate::samples_file::{SamplesFileWriter, SeriesPart, WrittenRange, write_samples_file};
use parquetry_model::{MetricMetadata, SeriesId};
use parquetry_table::{RowsWritten, SegmentBuilder, Storage, TableKind};
use std::collections::BTreeMap;

pub use parquetry_table::segment::PARTITION_MS;

/// The files of one metrics segment in progress.
#[derive(Debug)]
pub struct SamplesSegment {
    inner: SegmentBuilder,
}

impl SamplesSegment {
    /// A new, empty segment with a fresh id.
    pub fn new(storage: &Storage) -> SamplesSegment {
        SamplesSegment {
            inner: SegmentBuilder::new(storage, TableKind::Metrics),
        }
    }

    /// Samples staged so far.
    pub fn samples(&self) -> u64 {
        self.inner.rows()
    }

    /// Bytes of samples files staged so far.
    pub fn bytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// Series with samples staged so far.
    pub fn series(&self) -> usize {
        self.inner.entities()
    }

    /// Records metric family declarations to publish with the segment.
    pub fn declare(&mut self, metadata: Vec<MetricMetadata>) {
        self.inner.declare(metadata);
    }

    /// The staged segment, for the commit.
    pub fn into_builder(self) -> SegmentBuilder {
        self.inner
    }

    /// The storage the segment is written to.
    pub fn storage(&self) -> &Storage {
        self.inner.storage()
    }

    /// True when some day has more than one samples file staged, so that a series' rows
    /// of that day may be spread over several files.
    pub fn has_split_days(&self) -> bool {
        self.inner.has_split_days()
    }

    /// Stages a batch of series as new samples files, one per UTC day they cover.
    ///
    /// Each series must have strictly increasing timestamps and as many values as
    /// timestamps; empty series are ignored.
    pub fn write(&mut self, mut batch: Vec<SeriesSamples>) -> Result<()> {
        batch.retain(|s| !s.timestamps.is_empty());
        for s in &batch {
            check_sorted(s)?;
        }
        batch.sort_by(|a, b| (a.metric(), a.id).cmp(&(b.metric(), b.id)));
        let mut partitions: BTreeMap<i64, Vec<SeriesPart>> = BTreeMap::new();
        for (index, s) in batch.iter().enumerate() {
            let mut start = 0;
            while start < s.timestamps.len() {
                let day = s.timestamps[start].div_euclid(PARTITION_MS);
                let end =
                    start + s.timestamps[start..].partition_point(|t| t.div_euclid(PARTITION_MS) == day);
                partitions.entry(day).or_default().push(SeriesPart {
                    index,
                    range: start..end,
                });
                start = end;
            }
        }
        for (day, parts) in partitions {
            let partition_start = day * PARTITION_MS;
            let rel = self.inner.next_data_file(partition_start);
            let (ranges, bytes) = write_samples_file(self.storage(), &rel, &batch, &parts)?;
            self.record_file(rel, partition_start, &batch, &ranges, bytes);
        }
        Ok(())
    }

    /// Stages one samples file for the UTC day starting at `partition_start` from batches
    /// of series that come in `(metric, series id)` order, each series once, every sample
    /// inside the day. Memory holds one batch at a time.
    pub fn write_day(
        &mut self,
        partition_start: i64,
        batches: impl Iterator<Item = Result<Vec<SeriesSamples>>>,
    ) -> Result<()> {
        let rel = self.inner.next_data_file(partition_start);
        let mut writer = SamplesFileWriter::create(self.inner.storage(), &rel)?;
        let mut last: Option<(String, SeriesId)> = None;
        let mut ranges: Vec<(SeriesSamples, WrittenRange)> = Vec::new();
        for batch in batches {
            for s in batch? {
                if s.timestamps.is_empty() {
                    continue;
                }
                check_sorted(&s)?;
                let key = (s.metric().to_string(), s.id);
                let inside = s.timestamps[0].div_euclid(PARTITION_MS) * PARTITION_MS == partition_start
                    && s.timestamps[s.timestamps.len() - 1].div_euclid(PARTITION_MS) * PARTITION_MS
                        == partition_start;
                if last.as_ref().is_some_and(|l| *l >= key) || !inside {
                    return Err(StoreError::InvalidInput(format!(
                        "series {} handed to a day's file out of order or outside the day",
                        s.labels
                    )));
                }
                writer.append(0, &s, &s.timestamps, &s.values)?;
                last = Some(key);
                let range = *writer.last_range().expect("a range was just appended");
                ranges.push((without_samples(s), range));
            }
        }
        if writer.rows() == 0 {
            return writer.abandon();
        }
        let (_, bytes) = writer.finish()?;
        let (series, ranges): (Vec<SeriesSamples>, Vec<WrittenRange>) = ranges
            .into_iter()
            .enumerate()
            .map(|(i, (s, r))| (s, WrittenRange { series: i, ..r }))
            .unzip();
        self.record_file(rel, partition_start, &series, &ranges, bytes);
        Ok(())
    }

    fn record_file(
        &mut self,
        rel: String,
        partition_start: i64,
        series: &[SeriesSamples],
        ranges: &[WrittenRange],
        bytes: u64,
    ) {
        let written = ranges
            .iter()
            .map(|r| RowsWritten {
                id: series[r.series].id,
                labels: series[r.series].labels.clone(),
                row_start: r.row_start,
                row_count: r.row_count,
                min_time: r.min_time,
                max_time: r.max_time,
            })
            .collect();
        self.inner.add_file(rel, partition_start, bytes, written);
    }
}

/// The series without its samples, to remember who was written where.
fn without_samples(s: SeriesSamples) -> SeriesSamples {
    SeriesSamples {
        timestamps: Vec::new(),
        values: Vec::new(),
        ..s
    }
}

fn check_sorted(s: &SeriesSamples) -> Result<()> {
    if s.timestamps.len() != s.values.len() || s.timestamps.windows(2).any(|w| w[0] >= w[1]) {
        return Err(StoreError::InvalidInput(format!(
            "series {} handed to the writer unsorted or with mismatched lengths",
            s.labels
        )));
    }
    Ok(())
}
