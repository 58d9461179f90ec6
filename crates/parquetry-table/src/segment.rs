//! Staging one segment of a table: the signal crate writes the data files, the builder
//! keeps the catalog (who has rows) and the directory (where they are), and writes both
//! when the segment is finished. Nothing staged is visible until a commit names it.

use crate::catalog::tables::{write_catalog_table, write_directory_table};
use crate::catalog::{CatalogEntry, DirectoryRow};
use crate::error::Result;
use crate::manifest::{DataFile, Segment, TableKind};
use crate::storage::Storage;
use crate::unique_id;
use parquetry_model::time::format_date;
use parquetry_model::{Labels, MetricMetadata, SeriesId};
use std::collections::HashMap;
use std::sync::Arc;

/// Length of a time partition of every table: one UTC day, in milliseconds.
pub const PARTITION_MS: i64 = 86_400_000;

/// The points of a commit after which a crash can happen; used to test that none of them
/// leaves a half-visible commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitStep {
    /// The data files are published under their final names.
    DataFiles,
    /// The catalog table is published.
    CatalogFile,
    /// The directory table is published.
    DirectoryFile,
    /// The commit record is written under its temporary name, not yet published.
    RecordTemp,
}

impl CommitStep {
    /// Every step, in the order a commit takes them.
    pub const ALL: [CommitStep; 4] = [
        CommitStep::DataFiles,
        CommitStep::CatalogFile,
        CommitStep::DirectoryFile,
        CommitStep::RecordTemp,
    ];
}

/// The rows of one label set in a data file the signal crate wrote.
#[derive(Clone, Debug)]
pub struct RowsWritten {
    /// The label set's id (`SeriesId::of(&labels)`).
    pub id: SeriesId,
    /// Its labels.
    pub labels: Arc<Labels>,
    /// Its first row in the file.
    pub row_start: u64,
    /// Its number of consecutive rows.
    pub row_count: u64,
    /// Time of the first of those rows.
    pub min_time: i64,
    /// Time of the last of those rows.
    pub max_time: i64,
}

/// The files of one segment in progress.
#[derive(Debug)]
pub struct SegmentBuilder {
    storage: Storage,
    table: TableKind,
    id: String,
    entries: HashMap<SeriesId, CatalogEntry>,
    directory: Vec<DirectoryRow>,
    files: Vec<DataFile>,
    rows: u64,
    metadata: Vec<MetricMetadata>,
}

impl SegmentBuilder {
    /// A new, empty segment of `table` with a fresh id.
    pub fn new(storage: &Storage, table: TableKind) -> SegmentBuilder {
        SegmentBuilder {
            storage: storage.clone(),
            table,
            id: unique_id(),
            entries: HashMap::new(),
            directory: Vec::new(),
            files: Vec::new(),
            rows: 0,
            metadata: Vec::new(),
        }
    }

    /// The storage the segment is written to.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Rows staged so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes of data files staged so far.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Label sets with rows staged so far.
    pub fn entities(&self) -> usize {
        self.entries.len()
    }

    /// The path for the segment's next data file, in the UTC day starting at
    /// `partition_start` (milliseconds): `<data>/day=YYYY-MM-DD/<segment id>-<n>.parquet`.
    pub fn next_data_file(&self, partition_start: i64) -> String {
        format!(
            "{}/day={}/{}-{:05}.parquet",
            self.table.folders().data,
            format_date(partition_start),
            self.id,
            self.files.len()
        )
    }

    /// Records metric family declarations to publish with the segment (kept only when
    /// the segment has rows).
    pub fn declare(&mut self, metadata: Vec<MetricMetadata>) {
        let fresh = parquetry_model::metadata::new_entries(&self.metadata, metadata);
        self.metadata.extend(fresh);
    }

    /// Records a data file the signal crate published at `rel` (the path
    /// [`SegmentBuilder::next_data_file`] gave), with its size and the rows of each label
    /// set in it, in row order. `min_time` and `max_time` go to the manifest as they are.
    pub fn add_file(&mut self, rel: String, partition_start: i64, bytes: u64, written: Vec<RowsWritten>) {
        let rows: u64 = written.iter().map(|r| r.row_count).sum();
        self.add_file_of_rows(rel, partition_start, bytes, rows, written);
    }

    /// [`SegmentBuilder::add_file`] for a file of `rows` rows whose label sets' rows
    /// interleave: each of `written` gives the range of rows enclosing its label set's
    /// rows (as the spans table, kept in trace order, records its resources).
    pub fn add_file_of_rows(
        &mut self,
        rel: String,
        partition_start: i64,
        bytes: u64,
        rows: u64,
        written: Vec<RowsWritten>,
    ) {
        let file = self.files.len() as u32;
        let min_time = written.iter().map(|r| r.min_time).min().unwrap_or(0);
        let max_time = written.iter().map(|r| r.max_time).max().unwrap_or(0);
        for r in written {
            self.directory.push(DirectoryRow {
                file,
                id: r.id,
                row_start: r.row_start,
                row_count: r.row_count,
                min_time: r.min_time,
                max_time: r.max_time,
            });
            let entry = self.entries.entry(r.id).or_insert_with(|| CatalogEntry {
                id: r.id,
                labels: r.labels,
                min_time: r.min_time,
                max_time: r.max_time,
            });
            entry.min_time = entry.min_time.min(r.min_time);
            entry.max_time = entry.max_time.max(r.max_time);
        }
        self.files.push(DataFile {
            path: rel,
            partition_start,
            min_time,
            max_time,
            rows,
            bytes,
        });
        self.rows += rows;
    }

    /// True when some UTC day has more than one data file staged, so that a label set's
    /// rows of that day may be spread over several files.
    pub fn has_split_days(&self) -> bool {
        let mut days: Vec<i64> = self.files.iter().map(|f| f.partition_start).collect();
        days.sort_unstable();
        days.windows(2).any(|w| w[0] == w[1])
    }

    /// Reverses the order of the data files staged so far, the directory with them.
    /// Readers let the later of two files win where both hold a row of a label set at one
    /// time; after the reversal the earlier-staged one wins. A writer that rewrites what
    /// it staged a batch at a time uses it so that, within one input, the first value of
    /// a time is kept, as it is within a batch.
    pub fn reverse_file_order(&mut self) {
        let Some(last) = self.files.len().checked_sub(1) else {
            return;
        };
        for row in &mut self.directory {
            row.file = last as u32 - row.file;
        }
        self.files.reverse();
    }

    /// Writes the segment's catalog and directory and returns the segment, or `None`
    /// when nothing was staged. `hook` is called after each step; an error from it stops
    /// there, as a crash would.
    pub fn finish(
        self,
        committed_at: i64,
        hook: &mut dyn FnMut(CommitStep) -> Result<()>,
    ) -> Result<Option<Segment>> {
        if self.rows == 0 {
            return Ok(None);
        }
        hook(CommitStep::DataFiles)?;
        let folders = self.table.folders();
        let catalog_file = format!("{}/{}.parquet", folders.catalog, self.id);
        let mut entries: Vec<CatalogEntry> = self.entries.into_values().collect();
        entries.sort_by(|a, b| (a.name(), a.id).cmp(&(b.name(), b.id)));
        write_catalog_table(&self.storage, &catalog_file, &entries)?;
        hook(CommitStep::CatalogFile)?;
        let directory_file = format!("{}/{}.parquet", folders.directory, self.id);
        write_directory_table(&self.storage, &directory_file, self.directory, &entries)?;
        hook(CommitStep::DirectoryFile)?;
        Ok(Some(Segment {
            id: self.id,
            table: self.table,
            committed_at,
            catalog_file,
            directory_file,
            data_files: self.files,
            entities: entries.len() as u64,
            rows: self.rows,
            metadata: self.metadata,
        }))
    }

    /// Deletes the data files staged so far.
    pub fn discard(self) -> Result<()> {
        for f in &self.files {
            self.storage.delete(&f.path)?;
        }
        Ok(())
    }
}
