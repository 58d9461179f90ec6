//! An opened store version: the catalog of series, their label index, and the samples files.

use crate::batch::SelectedSeries;
use crate::catalog::{self, SampleFile};
use crate::error::{Result, StoreError};
use crate::select::Selection;
use parquetry_model::{Labels, Matcher, SeriesId};
use parquetry_table::{DataFile, LabelIndex, LogState, Manifest, Storage, TableKind, log};
use rustc_hash::FxHashMap;
use std::path::Path;
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

/// A read-only snapshot of one store version.
///
/// Opening loads the series catalog and builds the label index in memory; where each
/// series' rows are is read on the first read of samples, and samples stay on disk until
/// a [`Selection`] reads them. A snapshot never changes: open the store
/// again to see later commits.
#[derive(Debug)]
pub struct Store {
    storage: Storage,
    state: LogState,
    series: Vec<SeriesInfo>,
    by_id: FxHashMap<SeriesId, u32>,
    index: LabelIndex,
    /// The samples files with their directories, read on the first read of samples.
    files: OnceLock<Vec<SampleFile>>,
    pub(crate) stats: crate::read_stats::ReadStats,
}

impl Store {
    /// Opens the newest version of the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        Store::open_storage(&Storage::open(root.as_ref())?)
    }

    /// Opens the newest version of the store in `storage`, sharing its connection and its
    /// cache of Parquet footers.
    pub fn open_storage(storage: &Storage) -> Result<Store> {
        // A per-segment catalog can be expired by a writer's checkpoint between listing
        // the log and reading it; the log then has a newer checkpoint to start from.
        let mut attempt = 0;
        loop {
            let state = log::read_latest(storage)?;
            match Store::at(storage.clone(), state) {
                Err(e) if e.is_not_found() && attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    /// The snapshot of the version `state`. Reads the series catalog; the directory of
    /// where their rows are is read when samples are first read.
    pub fn at(storage: Storage, state: LogState) -> Result<Store> {
        let mut merged: FxHashMap<SeriesId, SeriesInfo> = FxHashMap::default();
        for row in catalog::read_series(&storage, &state)? {
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
        let by_id: FxHashMap<SeriesId, u32> =
            series.iter().enumerate().map(|(i, s)| (s.id, i as u32)).collect();
        let index = LabelIndex::build(series.iter().map(|s| s.labels.as_ref()));
        Ok(Store {
            storage,
            state,
            series,
            by_id,
            index,
            files: OnceLock::new(),
            stats: Default::default(),
        })
    }

    /// The samples files of this snapshot, each with where each series' rows are in it,
    /// oldest segment first. Read on the first call.
    pub(crate) fn files(&self) -> Result<&[SampleFile]> {
        if let Some(files) = self.files.get() {
            return Ok(files);
        }
        let files = catalog::read_files(&self.storage, &self.state, &self.by_id)?;
        Ok(self.files.get_or_init(|| files))
    }

    /// Files and rows read from this snapshot so far.
    pub fn read_counts(&self) -> crate::read_stats::ReadCounts {
        self.stats.counts()
    }

    fn data_files(&self) -> impl Iterator<Item = &DataFile> {
        self.state
            .manifest
            .segments_of(TableKind::Metrics)
            .flat_map(|s| &s.data_files)
    }

    /// Number of samples files and sample rows in this snapshot.
    pub fn size(&self) -> (usize, u64) {
        (self.data_files().count(), self.data_files().map(|f| f.rows).sum())
    }

    /// The times of the first and last sample in this snapshot, from the files' own
    /// ranges (no sample is read); `None` when it has no samples.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.data_files().map(|f| f.min_time).min()?;
        let max = self.data_files().map(|f| f.max_time).max()?;
        Some((min, max))
    }

    /// The folder of the store.
    pub fn root(&self) -> &Path {
        self.storage.root()
    }

    /// The storage the store is read from.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The manifest of this version.
    pub fn manifest(&self) -> &Manifest {
        &self.state.manifest
    }

    /// The version as read from the log (manifest, checkpoint, recent removals).
    pub fn state(&self) -> &LogState {
        &self.state
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
