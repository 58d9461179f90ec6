//! An opened store version: the catalog of series, their label index, and the samples files.

use crate::batch::SelectedSeries;
use crate::error::{Result, StoreError};
use crate::label_index::LabelIndex;
use crate::manifest::{self, Manifest};
use crate::metadata_tables::{read_directory_table, read_series_table};
use crate::select::Selection;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquetry_model::{Labels, Matcher, SeriesId};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// What the store knows about one series without reading samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesInfo {
    /// Stable id.
    pub id: SeriesId,
    /// Labels, `__name__` included.
    pub labels: Arc<Labels>,
    /// Time of the first sample in the store.
    pub min_time: i64,
    /// Time of the last sample in the store.
    pub max_time: i64,
}

/// Where one series' rows are in one samples file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileEntry {
    pub ordinal: u32,
    pub row_start: u64,
    pub row_count: u64,
    pub min_time: i64,
    pub max_time: i64,
}

/// One samples file with its directory, sorted by ordinal (which is also row order).
#[derive(Debug)]
pub(crate) struct SampleFile {
    pub path: PathBuf,
    pub min_time: i64,
    pub max_time: i64,
    pub entries: Vec<FileEntry>,
    pub metadata: OnceLock<ArrowReaderMetadata>,
}

/// A read-only snapshot of one store version.
///
/// Opening loads the series catalog and builds the label index in memory; samples stay
/// on disk until a [`Selection`] reads them. A snapshot never changes: open the store
/// again to see later commits.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    manifest: Manifest,
    series: Vec<SeriesInfo>,
    by_id: HashMap<SeriesId, u32>,
    index: LabelIndex,
    pub(crate) files: Vec<SampleFile>,
    pub(crate) stats: crate::read_stats::ReadStats,
}

impl Store {
    /// Opens the newest version of the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref().to_path_buf();
        let manifest = manifest::read_latest(&root)?;
        let series_tables: Vec<_> = manifest
            .commits
            .par_iter()
            .map(|c| read_series_table(&root.join(&c.series_file)))
            .collect::<Result<_>>()?;
        let mut merged: HashMap<SeriesId, SeriesInfo> = HashMap::new();
        for row in series_tables.into_iter().flatten() {
            merged
                .entry(row.id)
                .and_modify(|s| {
                    s.min_time = s.min_time.min(row.min_time);
                    s.max_time = s.max_time.max(row.max_time);
                })
                .or_insert(SeriesInfo {
                    id: row.id,
                    labels: row.labels,
                    min_time: row.min_time,
                    max_time: row.max_time,
                });
        }
        let mut series: Vec<SeriesInfo> = merged.into_values().collect();
        // Ordinals follow the samples files' row order: metric name, then series id.
        series.sort_by(|a, b| {
            (a.labels.metric_name().unwrap_or(""), a.id).cmp(&(b.labels.metric_name().unwrap_or(""), b.id))
        });
        let by_id: HashMap<SeriesId, u32> =
            series.iter().enumerate().map(|(i, s)| (s.id, i as u32)).collect();
        let index = LabelIndex::build(series.iter().map(|s| s.labels.as_ref()));
        let files = load_files(&root, &manifest, &by_id)?;
        Ok(Store {
            root,
            manifest,
            series,
            by_id,
            index,
            files,
            stats: Default::default(),
        })
    }

    /// Files and rows read from this snapshot so far.
    pub fn read_counts(&self) -> crate::read_stats::ReadCounts {
        self.stats.counts()
    }

    /// Number of samples files and sample rows in this snapshot.
    pub fn size(&self) -> (usize, u64) {
        let rows = self
            .files
            .iter()
            .flat_map(|f| &f.entries)
            .map(|e| e.row_count)
            .sum();
        (self.files.len(), rows)
    }

    /// The folder of the store.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The manifest of this version.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every series, in catalog (ordinal) order.
    pub fn all_series(&self) -> &[SeriesInfo] {
        &self.series
    }

    /// The series with this id, if the store has it.
    pub fn series_by_id(&self, id: SeriesId) -> Option<&SeriesInfo> {
        self.by_id.get(&id).map(|&o| &self.series[o as usize])
    }

    /// The label index.
    pub fn label_index(&self) -> &LabelIndex {
        &self.index
    }

    /// The series that `matchers` select and that have samples in `[min_time, max_time]`.
    ///
    /// At least one matcher must not match the empty string, as in Prometheus; otherwise
    /// the selection is refused with [`StoreError::InvalidSelection`].
    pub fn select(&self, matchers: &[Matcher], min_time: i64, max_time: i64) -> Result<Selection<'_>> {
        if !matchers.iter().any(|m| !m.matches_empty()) {
            return Err(StoreError::InvalidSelection(
                "a selector must contain at least one matcher that does not match the empty string"
                    .to_string(),
            ));
        }
        let series = self
            .index
            .select(matchers)
            .iter()
            .filter_map(|ordinal| {
                let s = &self.series[ordinal as usize];
                (s.max_time >= min_time && s.min_time <= max_time).then(|| SelectedSeries {
                    ordinal,
                    id: s.id,
                    labels: s.labels.clone(),
                })
            })
            .collect();
        Ok(Selection::new(self, series, min_time, max_time))
    }

    /// A selection of series chosen earlier by [`Store::select`] (or a part of one), so
    /// that a reader that cannot keep the borrowing selection does not evaluate its
    /// matchers again for every batch.
    pub fn selection_of(&self, series: Vec<SelectedSeries>, min_time: i64, max_time: i64) -> Selection<'_> {
        Selection::new(self, series, min_time, max_time)
    }

    /// Every series with samples in `[min_time, max_time]`, for export and full scans.
    pub fn select_all(&self, min_time: i64, max_time: i64) -> Selection<'_> {
        let series = self
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| s.max_time >= min_time && s.min_time <= max_time)
            .map(|(o, s)| SelectedSeries {
                ordinal: o as u32,
                id: s.id,
                labels: s.labels.clone(),
            })
            .collect();
        Selection::new(self, series, min_time, max_time)
    }
}

fn load_files(root: &Path, manifest: &Manifest, by_id: &HashMap<SeriesId, u32>) -> Result<Vec<SampleFile>> {
    let directories: Vec<_> = manifest
        .commits
        .par_iter()
        .map(|c| read_directory_table(&root.join(&c.directory_file)))
        .collect::<Result<_>>()?;
    let mut files = Vec::new();
    for (commit, rows) in manifest.commits.iter().zip(directories) {
        let base = files.len();
        for f in &commit.sample_files {
            files.push(SampleFile {
                path: root.join(&f.path),
                min_time: f.min_time,
                max_time: f.max_time,
                entries: Vec::new(),
                metadata: OnceLock::new(),
            });
        }
        for row in rows {
            let corrupt = |reason: String| StoreError::Corrupt {
                path: root.join(&commit.directory_file),
                reason,
            };
            let ordinal = *by_id
                .get(&row.id)
                .ok_or_else(|| corrupt(format!("series {:016x} is not in the series table", row.id.0)))?;
            let file = files
                .get_mut(base + row.file as usize)
                .filter(|_| (row.file as usize) < commit.sample_files.len())
                .ok_or_else(|| corrupt(format!("file index {} out of range", row.file)))?;
            file.entries.push(FileEntry {
                ordinal,
                row_start: row.row_start,
                row_count: row.row_count,
                min_time: row.min_time,
                max_time: row.max_time,
            });
        }
    }
    for f in &mut files {
        f.entries.sort_by_key(|e| e.ordinal);
    }
    Ok(files)
}
