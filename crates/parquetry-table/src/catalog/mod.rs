//! The catalog of one table at one version: its label sets (metric series or log
//! streams), their roaring label index, and where each one's rows are in the table's
//! data files.
//!
//! Every table keeps the same two small tables per segment — a catalog and a directory
//! ([`tables`]) — and a checkpoint merges them per table ([`merge`]), so metrics and logs
//! share one way to find their label sets and rows. Data files hold rows sorted by
//! (`__name__` value, label set id, time), so ordinals, given in that order, are also row
//! order.

mod files;
pub(crate) mod merge;
pub mod tables;

pub use files::{FileEntry, IndexedFile};

use crate::error::{Result, StoreError};
use crate::label_index::LabelIndex;
use crate::log::LogState;
use crate::manifest::TableKind;
use crate::storage::Storage;
use parquetry_model::{Labels, Matcher, SeriesId};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

/// One label set of a table (a series or a stream), with the times of its first and last
/// row. It is also one row of a catalog table.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    /// Stable id (`SeriesId::of(&labels)`).
    pub id: SeriesId,
    /// Labels, `__name__` included where there is one.
    pub labels: Arc<Labels>,
    /// Time of the first row.
    pub min_time: i64,
    /// Time of the last row.
    pub max_time: i64,
}

impl CatalogEntry {
    /// The value of `__name__`, or `""` (the first part of the row order).
    pub fn name(&self) -> &str {
        self.labels.metric_name().unwrap_or("")
    }
}

/// One row of a directory table: where one label set's rows are in one data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectoryRow {
    /// Index of the data file within its segment (or merged catalog).
    pub file: u32,
    /// Stable id of the label set.
    pub id: SeriesId,
    /// First row of the label set in the file.
    pub row_start: u64,
    /// Number of rows.
    pub row_count: u64,
    /// Time of the first row.
    pub min_time: i64,
    /// Time of the last row.
    pub max_time: i64,
}

/// The label sets of one table at one version, indexed.
///
/// Opening reads the catalog tables and builds the label index; the directory of where
/// rows are is read on the first call to [`Catalog::files`].
#[derive(Debug)]
pub struct Catalog {
    storage: Storage,
    state: Arc<LogState>,
    table: TableKind,
    entries: Vec<CatalogEntry>,
    by_id: FxHashMap<SeriesId, u32>,
    index: LabelIndex,
    files: OnceLock<Vec<IndexedFile>>,
}

impl Catalog {
    /// Reads the catalog of `table` at `state`'s version and indexes its labels.
    pub fn open(storage: &Storage, state: &Arc<LogState>, table: TableKind) -> Result<Catalog> {
        let mut merged: FxHashMap<SeriesId, CatalogEntry> = FxHashMap::default();
        for row in files::read_entries(storage, state, table)? {
            merged
                .entry(row.id)
                .and_modify(|s| {
                    s.min_time = s.min_time.min(row.min_time);
                    s.max_time = s.max_time.max(row.max_time);
                })
                .or_insert(row);
        }
        let mut entries: Vec<CatalogEntry> = merged.into_values().collect();
        entries.sort_by(|a, b| (a.name(), a.id).cmp(&(b.name(), b.id)));
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i as u32))
            .collect();
        let index = LabelIndex::build(entries.iter().map(|s| s.labels.as_ref()));
        Ok(Catalog {
            storage: storage.clone(),
            state: state.clone(),
            table,
            entries,
            by_id,
            index,
            files: OnceLock::new(),
        })
    }

    /// Every label set, in ordinal order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The ordinal of the label set with this id, if the table has it.
    pub fn ordinal(&self, id: SeriesId) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// The label index over ordinals.
    pub fn label_index(&self) -> &LabelIndex {
        &self.index
    }

    /// The ordinals, ascending, of the label sets that `matchers` select (Prometheus'
    /// semantics) and that have rows in `[min_time, max_time]`.
    ///
    /// At least one matcher must not match the empty string, as in Prometheus and Loki;
    /// otherwise the selection is refused with [`StoreError::InvalidSelection`].
    pub fn select(&self, matchers: &[Matcher], min_time: i64, max_time: i64) -> Result<Vec<u32>> {
        if !matchers.iter().any(|m| !m.matches_empty()) {
            return Err(StoreError::InvalidSelection(
                "a selector must contain at least one matcher that does not match the empty string"
                    .to_string(),
            ));
        }
        Ok(self
            .index
            .select(matchers)
            .iter()
            .filter(|&o| {
                let e = &self.entries[o as usize];
                e.max_time >= min_time && e.min_time <= max_time
            })
            .collect())
    }

    /// The table's data files at this version, oldest segment first, each with where each
    /// label set's rows are in it. Read on the first call.
    pub fn files(&self) -> Result<&[IndexedFile]> {
        if let Some(files) = self.files.get() {
            return Ok(files);
        }
        let files = files::read_files(&self.storage, &self.state, self.table, &self.by_id)?;
        Ok(self.files.get_or_init(|| files))
    }
}
