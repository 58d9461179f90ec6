//! Staging one segment of the metrics table: samples files per UTC day, then the segment's
//! series table and directory. Nothing staged is visible until a commit names the segment.

use crate::batch::SeriesSamples;
use crate::error::{Result, StoreError};
use crate::metadata_tables::{DirectoryRow, SeriesRow, write_directory_table, write_series_table};
use crate::samples_file::{SamplesFileWriter, SeriesPart, WrittenRange, write_samples_file};
use parquetry_model::SeriesId;
use parquetry_model::time::format_date;
use parquetry_table::{DataFile, Segment, Storage, TableKind, unique_id};
use std::collections::{BTreeMap, HashMap};

/// Folder of the samples files, relative to the store root.
pub const SAMPLES_DIR: &str = "samples";
/// Folder of the per-segment series tables.
pub const SERIES_DIR: &str = "series";
/// Folder of the per-segment directory tables.
pub const DIRECTORY_DIR: &str = "directory";
/// Every folder of the metrics table's segment files (merged catalogs live in the table
/// core's `catalog/` folder).
pub const METRICS_DIRS: [&str; 3] = [SAMPLES_DIR, SERIES_DIR, DIRECTORY_DIR];

/// Length of a time partition: one UTC day.
pub const PARTITION_MS: i64 = 86_400_000;

/// The points of a commit after which a crash can happen; used to test that none of them
/// leaves a half-visible commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitStep {
    /// The samples files are published under their final names.
    SampleFiles,
    /// The series table is published.
    SeriesFile,
    /// The directory table is published.
    DirectoryFile,
    /// The commit record is written under its temporary name, not yet published.
    RecordTemp,
}

/// The files of one segment in progress.
pub struct SegmentBuilder {
    storage: Storage,
    id: String,
    series: HashMap<SeriesId, SeriesRow>,
    directory: Vec<DirectoryRow>,
    files: Vec<DataFile>,
    samples: u64,
}

impl SegmentBuilder {
    /// A new, empty segment with a fresh id.
    pub fn new(storage: &Storage) -> SegmentBuilder {
        SegmentBuilder {
            storage: storage.clone(),
            id: unique_id(),
            series: HashMap::new(),
            directory: Vec::new(),
            files: Vec::new(),
            samples: 0,
        }
    }

    /// Samples staged so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Bytes of samples files staged so far.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Series with samples staged so far.
    pub fn series(&self) -> usize {
        self.series.len()
    }

    fn next_file(&self, partition_start: i64) -> String {
        format!(
            "{SAMPLES_DIR}/day={}/{}-{:05}.parquet",
            format_date(partition_start),
            self.id,
            self.files.len()
        )
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
            let rel = self.next_file(partition_start);
            let (ranges, bytes) = write_samples_file(&self.storage, &rel, &batch, &parts)?;
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
        let rel = self.next_file(partition_start);
        let mut writer = SamplesFileWriter::create(&self.storage, &rel)?;
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
        let file_index = self.files.len() as u32;
        let rows: u64 = ranges.iter().map(|r| r.row_count).sum();
        for r in ranges {
            let s = &series[r.series];
            self.directory.push(DirectoryRow {
                file: file_index,
                id: s.id,
                row_start: r.row_start,
                row_count: r.row_count,
                min_time: r.min_time,
                max_time: r.max_time,
            });
            let row = self.series.entry(s.id).or_insert_with(|| SeriesRow {
                id: s.id,
                labels: s.labels.clone(),
                min_time: r.min_time,
                max_time: r.max_time,
            });
            row.min_time = row.min_time.min(r.min_time);
            row.max_time = row.max_time.max(r.max_time);
        }
        self.files.push(DataFile {
            path: rel,
            partition_start,
            min_time: ranges.iter().map(|r| r.min_time).min().unwrap_or(0),
            max_time: ranges.iter().map(|r| r.max_time).max().unwrap_or(0),
            rows,
            bytes,
        });
        self.samples += rows;
    }

    /// Writes the segment's series table and directory and returns the segment, or `None`
    /// when nothing was staged. `checkpoint` is called after each step; an error from it
    /// stops there, as a crash would.
    pub fn finish(
        self,
        committed_at: i64,
        checkpoint: &mut dyn FnMut(CommitStep) -> Result<()>,
    ) -> Result<Option<Segment>> {
        if self.samples == 0 {
            return Ok(None);
        }
        checkpoint(CommitStep::SampleFiles)?;
        let catalog_file = format!("{SERIES_DIR}/{}.parquet", self.id);
        let mut series: Vec<SeriesRow> = self.series.into_values().collect();
        series.sort_by(|a, b| {
            let key = |r: &SeriesRow| (r.labels.metric_name().unwrap_or("").to_string(), r.id);
            key(a).cmp(&key(b))
        });
        write_series_table(&self.storage, &catalog_file, &series)?;
        checkpoint(CommitStep::SeriesFile)?;
        let directory_file = format!("{DIRECTORY_DIR}/{}.parquet", self.id);
        write_directory_table(&self.storage, &directory_file, &self.directory)?;
        checkpoint(CommitStep::DirectoryFile)?;
        Ok(Some(Segment {
            id: self.id,
            table: TableKind::Metrics,
            committed_at,
            catalog_file,
            directory_file,
            data_files: self.files,
            entities: series.len() as u64,
            rows: self.samples,
        }))
    }

    /// Deletes the files staged so far.
    pub fn discard(self) -> Result<()> {
        for f in &self.files {
            self.storage.delete(&f.path)?;
        }
        Ok(())
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
