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
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tables::CatalogHead;

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

/// The label set of `head`, whose labels are `labels`.
fn entry(head: &CatalogHead, labels: Arc<Labels>) -> CatalogEntry {
    CatalogEntry {
        id: head.id,
        labels,
        min_time: head.min_time,
        max_time: head.max_time,
    }
}

/// Where each label set's labels are read from: a catalog table (an index into
/// `Catalog::sources`) and its row there.
#[derive(Debug)]
enum Places {
    /// One table, whose rows are in row order already: label set `o` is its row `o`.
    /// Stores that have been checkpointed, or written once, are read this way, without a
    /// second list as long as the heads.
    InTableOrder,
    /// The table and row of each label set, by ordinal.
    Listed(Vec<(u32, u32)>),
}

impl Places {
    /// The table and row of label set `ordinal`.
    fn of(&self, ordinal: u32) -> (u32, u32) {
        match self {
            Places::InTableOrder => (0, ordinal),
            Places::Listed(places) => places[ordinal as usize],
        }
    }
}

/// The heads of every label set in the catalog tables `tables` (the checkpoint's first),
/// in row order, (`__name__` value, id), with where each one's labels are. A label set in
/// several tables is one head whose time range spans them all; its labels are read from
/// the first table that has it.
fn in_row_order(tables: Vec<Vec<CatalogHead>>) -> (Vec<CatalogHead>, Places) {
    let ordered = |rows: &Vec<CatalogHead>| rows.is_sorted_by(|a, b| row_order(a, b).is_le());
    if tables.len() <= 1 && tables.iter().all(ordered) {
        return (
            tables.into_iter().next().unwrap_or_default(),
            Places::InTableOrder,
        );
    }
    let mut placed: Vec<(CatalogHead, (u32, u32))> = Vec::new();
    let mut at: FxHashMap<SeriesId, usize> = FxHashMap::default();
    for (source, rows) in tables.into_iter().enumerate() {
        for (row, head) in rows.into_iter().enumerate() {
            match at.get(&head.id) {
                Some(&i) => {
                    let seen = &mut placed[i].0;
                    seen.min_time = seen.min_time.min(head.min_time);
                    seen.max_time = seen.max_time.max(head.max_time);
                }
                None => {
                    at.insert(head.id, placed.len());
                    placed.push((head, (source as u32, row as u32)));
                }
            }
        }
    }
    placed.sort_unstable_by(|a, b| row_order(&a.0, &b.0));
    let (heads, places) = placed.into_iter().unzip();
    (heads, Places::Listed(places))
}

/// The order of two heads by (`__name__` value, id). Heads read from one table share
/// their name's allocation, so the names of neighbours are mostly told equal without
/// comparing their text.
fn row_order(a: &CatalogHead, b: &CatalogHead) -> std::cmp::Ordering {
    match Arc::ptr_eq(&a.name, &b.name) {
        true => a.id.cmp(&b.id),
        false => (&*a.name, a.id).cmp(&(&*b.name, b.id)),
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
/// Opening reads the catalog tables' ids, names and time ranges; a label set's labels are
/// read when first asked for (a selector naming its metric reads only that metric's), the
/// label index is built when a selector needs it, and the directory of where rows are is
/// read on the first call to [`Catalog::files`].
#[derive(Debug)]
pub struct Catalog {
    storage: Storage,
    state: Arc<LogState>,
    table: TableKind,
    /// The catalog tables read, the checkpoint's first.
    sources: Vec<String>,
    /// Every label set's head, by ordinal (row order).
    heads: Vec<CatalogHead>,
    places: Places,
    labels: Vec<OnceLock<Arc<Labels>>>,
    entries: OnceLock<Vec<CatalogEntry>>,
    /// Ordinals by id, built on the first lookup by id alone.
    by_id: OnceLock<FxHashMap<SeriesId, u32>>,
    index: OnceLock<LabelIndex>,
    files: OnceLock<Vec<IndexedFile>>,
    /// Label sets whose directory entries [`Catalog::files_of`] has been asked for.
    directory_asked: AtomicUsize,
}

impl Catalog {
    /// Reads the catalog of `table` at `state`'s version: every label set's id, name and
    /// time range, without their labels.
    pub fn open(storage: &Storage, state: &Arc<LogState>, table: TableKind) -> Result<Catalog> {
        let (sources, tables): (Vec<String>, Vec<_>) =
            files::read_heads(storage, state, table)?.into_iter().unzip();
        let (heads, places) = in_row_order(tables);
        Ok(Catalog {
            storage: storage.clone(),
            state: state.clone(),
            table,
            sources,
            labels: (0..heads.len()).map(|_| OnceLock::new()).collect(),
            heads,
            places,
            entries: OnceLock::new(),
            by_id: OnceLock::new(),
            index: OnceLock::new(),
            files: OnceLock::new(),
            directory_asked: AtomicUsize::new(0),
        })
    }

    /// Number of label sets.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// Whether the table has no label sets.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// The stable id of the label set `ordinal` (which must be below [`Catalog::len`]).
    pub fn id(&self, ordinal: u32) -> SeriesId {
        self.heads[ordinal as usize].id
    }

    /// The first and last row times of the label set `ordinal` (below [`Catalog::len`]).
    pub fn time_range(&self, ordinal: u32) -> (i64, i64) {
        let h = &self.heads[ordinal as usize];
        (h.min_time, h.max_time)
    }

    /// The label set `ordinal` (below [`Catalog::len`]), reading its labels if not read yet.
    pub fn entry(&self, ordinal: u32) -> Result<CatalogEntry> {
        let mut labels = self.labels_of(&[ordinal])?;
        Ok(entry(&self.heads[ordinal as usize], labels.swap_remove(0)))
    }

    /// The labels of the label sets `ordinals` (each below [`Catalog::len`]), in that
    /// order, reading those not read yet.
    pub fn labels_of(&self, ordinals: &[u32]) -> Result<Vec<Arc<Labels>>> {
        self.read_labels(ordinals.iter().copied())?;
        Ok(ordinals
            .iter()
            .map(|&o| self.labels[o as usize].get().expect("labels read above").clone())
            .collect())
    }

    /// Reads the labels of those of `ordinals` not read yet, each catalog table's rows
    /// in one pass over the pages that hold them.
    fn read_labels(&self, ordinals: impl Iterator<Item = u32>) -> Result<()> {
        let mut wanted: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.sources.len()];
        for o in ordinals {
            if self.labels[o as usize].get().is_none() {
                let (source, row) = self.places.of(o);
                wanted[source as usize].push((row, o));
            }
        }
        wanted
            .into_par_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.is_empty())
            .try_for_each(|(source, mut rows)| {
                rows.sort_unstable();
                rows.dedup();
                let numbers: Vec<u32> = rows.iter().map(|&(row, _)| row).collect();
                let read = tables::read_catalog_labels(&self.storage, &self.sources[source], &numbers)?;
                for ((_, o), (id, labels)) in rows.into_iter().zip(read) {
                    // The table checked the labels against the id stored beside them.
                    if id != self.heads[o as usize].id {
                        return Err(StoreError::Corrupt {
                            path: self.storage.path(&self.sources[source]),
                            reason: format!(
                                "row {} holds another label set than opening found there",
                                self.places.of(o).1
                            ),
                        });
                    }
                    // Another reader may have read them meanwhile: the same labels.
                    let _ = self.labels[o as usize].set(Arc::new(labels));
                }
                Ok(())
            })
    }

    /// True once the whole directory of data files is read and kept.
    pub fn directory_kept(&self) -> bool {
        self.files.get().is_some()
    }

    /// How many label sets' labels have been read so far.
    pub fn labels_read(&self) -> usize {
        self.labels.iter().filter(|l| l.get().is_some()).count()
    }

    /// Every label set, in ordinal order, reading the labels not read yet.
    pub fn entries(&self) -> Result<&[CatalogEntry]> {
        if let Some(entries) = self.entries.get() {
            return Ok(entries);
        }
        self.read_labels(0..self.heads.len() as u32)?;
        let entries = self
            .heads
            .iter()
            .zip(&self.labels)
            .map(|(h, labels)| entry(h, labels.get().expect("labels read above").clone()))
            .collect();
        Ok(self.entries.get_or_init(|| entries))
    }

    /// The ordinal of the label set with this id, if the table has it.
    pub fn ordinal(&self, id: SeriesId) -> Option<u32> {
        let by_id = self.by_id.get_or_init(|| {
            self.heads
                .iter()
                .enumerate()
                .map(|(i, h)| (h.id, i as u32))
                .collect()
        });
        by_id.get(&id).copied()
    }

    /// The ordinal of the label set with this id and name, if the table has it: found in
    /// the heads' order, without the lookup by id.
    pub fn ordinal_named(&self, name: &str, id: SeriesId) -> Option<u32> {
        let at = self.heads.partition_point(|h| (&*h.name, h.id) < (name, id));
        self.heads.get(at).filter(|h| h.id == id).map(|_| at as u32)
    }

    /// The label index over ordinals, built on the first call (reading every label set).
    pub fn label_index(&self) -> Result<&LabelIndex> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        let entries = self.entries()?;
        Ok(self
            .index
            .get_or_init(|| LabelIndex::build(entries.iter().map(|s| s.labels.as_ref()))))
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
            let h = &self.heads[*o as usize];
            h.max_time >= min_time && h.min_time <= max_time
        };
        if let Some(named) = self.named_without_index(matchers) {
            let ordinals: Vec<u32> = named.filter(in_time).collect();
            let labels = self.labels_of(&ordinals)?;
            return Ok(ordinals
                .into_iter()
                .zip(labels)
                .filter(|(_, labels)| labels.matches_all(matchers))
                .map(|(o, _)| o)
                .collect());
        }
        Ok(self
            .label_index()?
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
        let start = self.heads.partition_point(|h| &*h.name < value);
        let end = start + self.heads[start..].partition_point(|h| &*h.name == value);
        (end - start <= MOST_CHECKED).then_some(start as u32..end as u32)
    }

    /// The table's data files at this version, oldest segment first, each with where each
    /// label set's rows are in it. Read on the first call.
    pub fn files(&self) -> Result<&[IndexedFile]> {
        if let Some(files) = self.files.get() {
            return Ok(files);
        }
        let files = files::read_files(self, None)?;
        Ok(self.files.get_or_init(|| files))
    }

    /// The table's data files as [`Catalog::files`] gives them, but possibly with the
    /// entries of the label sets `ordinals` only: when the whole directory is not read yet
    /// and they are few (at most an eighth of the label sets), only the directory pages
    /// holding theirs are read, and nothing is kept for later calls. Once the label sets
    /// asked for over all calls come to more than an eighth, the whole directory is read
    /// and kept: a catalog asked again and again (a server's) reads it once, however
    /// small each question.
    pub fn files_of(&self, ordinals: &[u32]) -> Result<Cow<'_, [IndexedFile]>> {
        let asked = self.directory_asked.fetch_add(ordinals.len(), Ordering::Relaxed) + ordinals.len();
        if self.files.get().is_some() || asked > self.heads.len() / 8 {
            return Ok(Cow::Borrowed(self.files()?));
        }
        let mut wanted = vec![false; self.heads.len()];
        for &o in ordinals {
            wanted[o as usize] = true;
        }
        Ok(Cow::Owned(files::read_files(self, Some(&wanted))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(name: &Arc<str>, id: u64, min_time: i64, max_time: i64) -> CatalogHead {
        CatalogHead {
            id: SeriesId(id),
            name: name.clone(),
            min_time,
            max_time,
        }
    }

    fn keys(heads: &[CatalogHead]) -> Vec<(&str, u64, i64, i64)> {
        heads
            .iter()
            .map(|h| (&*h.name, h.id.0, h.min_time, h.max_time))
            .collect()
    }

    #[test]
    fn one_table_in_row_order_is_taken_as_it_is() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let table = vec![head(&a, 2, 0, 9), head(&a, 7, 0, 9), head(&b, 1, 5, 6)];
        let (heads, places) = in_row_order(vec![table.clone()]);
        assert_eq!(heads, table);
        assert!(matches!(places, Places::InTableOrder));
        assert_eq!(places.of(2), (0, 2));
        let (none, _) = in_row_order(Vec::new());
        assert!(none.is_empty());
    }

    #[test]
    fn heads_out_of_order_or_in_several_tables_are_sorted_merged_and_placed() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        // Names equal in text but not in allocation still compare as equal names.
        let a_again: Arc<str> = Arc::from("a");
        let first = vec![head(&b, 1, 5, 6), head(&a, 7, 0, 9)];
        let second = vec![head(&a_again, 3, 20, 30), head(&b, 1, 40, 50)];
        let (heads, places) = in_row_order(vec![first, second]);
        assert_eq!(keys(&heads), [("a", 3, 20, 30), ("a", 7, 0, 9), ("b", 1, 5, 50)]);
        // The label set in both tables is read from the first.
        let placed: Vec<(u32, u32)> = (0..3).map(|o| places.of(o)).collect();
        assert_eq!(placed, [(1, 0), (0, 1), (0, 0)]);
    }
}
