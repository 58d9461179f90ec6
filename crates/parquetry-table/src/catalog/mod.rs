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
use parquetry_model::{Labels, METRIC_NAME, MatchOp, Matcher, SeriesId};
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

/// The entries in row order, (`__name__` value, id): as they are when they already are
/// (a checkpoint's catalog is written in that order), sorted otherwise, each name looked
/// up once.
fn in_row_order(entries: Vec<CatalogEntry>) -> Vec<CatalogEntry> {
    let keys: Vec<(&str, SeriesId)> = entries.iter().map(|e| (e.name(), e.id)).collect();
    if keys.is_sorted() {
        return entries;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
    drop(keys);
    let mut slots: Vec<Option<CatalogEntry>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
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
/// Opening reads the catalog tables; the label index is built when first needed (a
/// selector naming its metric finds its label sets by name without it), and the
/// directory of where rows are is read on the first call to [`Catalog::files`].
#[derive(Debug)]
pub struct Catalog {
    storage: Storage,
    state: Arc<LogState>,
    table: TableKind,
    entries: Vec<CatalogEntry>,
    by_id: FxHashMap<SeriesId, u32>,
    index: OnceLock<LabelIndex>,
    files: OnceLock<Vec<IndexedFile>>,
}

impl Catalog {
    /// Reads the catalog of `table` at `state`'s version and indexes its labels.
    pub fn open(storage: &Storage, state: &Arc<LogState>, table: TableKind) -> Result<Catalog> {
        let mut entries: Vec<CatalogEntry> = Vec::new();
        let mut at: FxHashMap<SeriesId, usize> = FxHashMap::default();
        for row in files::read_entries(storage, state, table)? {
            match at.get(&row.id) {
                Some(&i) => {
                    let s = &mut entries[i];
                    s.min_time = s.min_time.min(row.min_time);
                    s.max_time = s.max_time.max(row.max_time);
                }
                None => {
                    at.insert(row.id, entries.len());
                    entries.push(row);
                }
            }
        }
        let entries = in_row_order(entries);
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i as u32))
            .collect();
        Ok(Catalog {
            storage: storage.clone(),
            state: state.clone(),
            table,
            entries,
            by_id,
            index: OnceLock::new(),
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

    /// The label index over ordinals, built on the first call.
    pub fn label_index(&self) -> &LabelIndex {
        self.index
            .get_or_init(|| LabelIndex::build(self.entries.iter().map(|s| s.labels.as_ref())))
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
        let in_time = |o: &u32| {
            let e = &self.entries[*o as usize];
            e.max_time >= min_time && e.min_time <= max_time
        };
        if let Some(named) = self.named_without_index(matchers) {
            return Ok(named
                .filter(|o| self.entries[*o as usize].labels.matches_all(matchers))
                .filter(in_time)
                .collect());
        }
        Ok(self
            .label_index()
            .select(matchers)
            .iter()
            .filter(in_time)
            .collect())
    }

    /// The ordinals of the label sets named by a `__name__="…"` matcher, when the label
    /// index is not built yet and they are few enough to check one by one: ordinals are in
    /// name order, so they are one run, found by two binary searches.
    fn named_without_index(&self, matchers: &[Matcher]) -> Option<std::ops::Range<u32>> {
        /// Most label sets checked one by one instead of building the index.
        const MOST_CHECKED: usize = 16_384;
        if self.index.get().is_some() {
            return None;
        }
        let name = matchers
            .iter()
            .find(|m| m.name == METRIC_NAME && m.op == MatchOp::Equal && !m.value.is_empty())?;
        let value = name.value.as_str();
        let start = self.entries.partition_point(|e| e.name() < value);
        let end = start + self.entries[start..].partition_point(|e| e.name() == value);
        (end - start <= MOST_CHECKED).then_some(start as u32..end as u32)
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
