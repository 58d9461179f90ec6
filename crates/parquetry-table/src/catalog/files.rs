//! Reading one table's catalog of one version: its label sets' ids, names and times (at
//! open), and its data files with where each label set's rows are in them (at the first
//! read of rows).
//!
//! Segments that the version's checkpoint covers are described by its merged tables;
//! segments committed after it by their own catalog and directory tables.

use super::Catalog;
use super::tables::{CatalogHead, read_catalog_heads, read_directory_rows};
use crate::error::{Result, StoreError};
use crate::log::{LogState, MergedCatalog};
use crate::manifest::{Segment, TableKind};
use crate::storage::Storage;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::PathBuf;

/// Where one label set's rows are in one data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The label set's ordinal in the catalog.
    pub ordinal: u32,
    /// Its first row in the file.
    pub row_start: u64,
    /// Its number of consecutive rows.
    pub row_count: u64,
    /// Time of the first of those rows.
    pub min_time: i64,
    /// Time of the last of those rows.
    pub max_time: i64,
}

impl FileEntry {
    /// The label set's rows in the file: `row_count` rows from `row_start`.
    pub fn rows(&self) -> std::ops::Range<u64> {
        self.row_start..self.row_start + self.row_count
    }
}

/// One data file with its directory.
#[derive(Clone, Debug)]
pub struct IndexedFile {
    /// The file as a local path or URL, for messages.
    pub path: PathBuf,
    /// The file relative to the store root, for reading through the storage.
    pub rel: String,
    /// Earliest time in the file, in the manifest's unit.
    pub min_time: i64,
    /// Latest time in the file, in the manifest's unit.
    pub max_time: i64,
    /// Where each label set's rows are, sorted by ordinal (which is also row order).
    pub entries: Vec<FileEntry>,
}

/// Where the catalog of `table` at this version is described: the checkpoint's merged
/// tables (if it has them), and the segments committed after it, which have only their own.
fn sources(state: &LogState, table: TableKind) -> (Option<&MergedCatalog>, Vec<&Segment>) {
    let merged = state
        .checkpoint
        .as_ref()
        .and_then(|c| Some((c.catalogs.get(&table)?, &c.manifest)));
    let covered: FxHashSet<&str> = merged
        .iter()
        .flat_map(|(_, m)| m.segments.iter().map(|s| s.id.as_str()))
        .collect();
    let own = state
        .manifest
        .segments_of(table)
        .filter(|s| !covered.contains(s.id.as_str()))
        .collect();
    (merged.map(|(catalog, _)| catalog), own)
}

/// The catalog tables of `table` in the version, the checkpoint's first, each with its
/// rows without their labels (a label set once per catalog table that has it).
pub(crate) fn read_heads(
    storage: &Storage,
    state: &LogState,
    table: TableKind,
) -> Result<Vec<(String, Vec<CatalogHead>)>> {
    let (merged, own) = sources(state, table);
    let rels: Vec<&str> = merged
        .map(|m| m.catalog_file.as_str())
        .into_iter()
        .chain(own.iter().map(|seg| seg.catalog_file.as_str()))
        .collect();
    rels.par_iter()
        .map(|rel| Ok((rel.to_string(), read_catalog_heads(storage, rel)?)))
        .collect()
}

/// The data files of the catalog's table at its version, oldest segment first, each with
/// its directory entries by ordinal: of every label set, or only of those `wanted` marks
/// (indexed by ordinal), in which case only the directory pages that may hold theirs (by
/// the pages' range of names) are decoded.
pub(crate) fn read_files(catalog: &Catalog, wanted: Option<&[bool]>) -> Result<Vec<IndexedFile>> {
    let (storage, state) = (&catalog.storage, catalog.state.as_ref());
    let mut files = Vec::new();
    let mut slot_of: FxHashMap<&str, usize> = FxHashMap::default();
    for seg in state.manifest.segments_of(catalog.table) {
        for f in &seg.data_files {
            slot_of.insert(f.path.as_str(), files.len());
            files.push(IndexedFile {
                path: storage.path(&f.path),
                rel: f.path.clone(),
                min_time: f.min_time,
                max_time: f.max_time,
                entries: Vec::new(),
            });
        }
    }
    let (merged, own) = sources(state, catalog.table);
    // Each directory table with the slot of each data file it names (none for a file
    // removed since the checkpoint).
    let directories: Vec<(&str, Vec<Option<usize>>)> = merged
        .map(|m| {
            (
                m.directory_file.as_str(),
                m.data_files.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .into_iter()
        .chain(own.iter().map(|seg| {
            let paths = seg.data_files.iter().map(|f| f.path.as_str()).collect();
            (seg.directory_file.as_str(), paths)
        }))
        .map(|(source, paths)| {
            (
                source,
                paths.into_iter().map(|p| slot_of.get(p).copied()).collect(),
            )
        })
        .collect();
    let read: Vec<Vec<(usize, FileEntry)>> = directories
        .par_iter()
        .map(|(source, slots)| read_directory(catalog, source, slots, wanted))
        .collect::<Result<_>>()?;
    let mut counts = vec![0; files.len()];
    for &(slot, _) in read.iter().flatten() {
        counts[slot] += 1;
    }
    for (file, count) in files.iter_mut().zip(counts) {
        file.entries.reserve_exact(count);
    }
    for (slot, entry) in read.into_iter().flatten() {
        files[slot].entries.push(entry);
    }
    for f in &mut files {
        if !f.entries.is_sorted_by_key(|e| e.ordinal) {
            f.entries.sort_by_key(|e| e.ordinal);
        }
    }
    Ok(files)
}

/// The entries of one directory table, each with the slot of its data file: the rows of
/// files still in the version, of the `wanted` label sets (all when `None`).
fn read_directory(
    catalog: &Catalog,
    source: &str,
    slots: &[Option<usize>],
    wanted: Option<&[bool]>,
) -> Result<Vec<(usize, FileEntry)>> {
    let storage = &catalog.storage;
    let names = wanted.map(|w| wanted_names(catalog, w));
    let mut kept = Vec::new();
    // Rows come in label set order (a label set's rows together, by file, in tables written
    // since the `metric` column; a file's label sets in order before), so the ordinal of
    // the row before, or the one after it, is tried before the lookup by id.
    let mut last = 0u32;
    read_directory_rows(storage, source, names.as_deref(), |row, name| {
        let Some(&slot) = slots.get(row.file as usize) else {
            return Err(out_of_range(storage, source, row.file));
        };
        let Some(slot) = slot else { return Ok(()) };
        let is = |o: u32| catalog.heads.get(o as usize).is_some_and(|h| h.id == row.id);
        let ordinal = [last, last + 1]
            .into_iter()
            .find(|&o| is(o))
            .or_else(|| match name {
                Some(name) => catalog.ordinal_named(name, row.id),
                None => catalog.ordinal(row.id),
            })
            .ok_or_else(|| StoreError::Corrupt {
                path: storage.path(source),
                reason: format!("label set {:016x} is not in the catalog", row.id.0),
            })?;
        last = ordinal;
        if wanted.is_none_or(|w| w[ordinal as usize]) {
            kept.push((
                slot,
                FileEntry {
                    ordinal,
                    row_start: row.row_start,
                    row_count: row.row_count,
                    min_time: row.min_time,
                    max_time: row.max_time,
                },
            ));
        }
        Ok(())
    })?;
    Ok(kept)
}

/// The distinct names of the `wanted` label sets, sorted (as the heads are).
fn wanted_names<'a>(catalog: &'a Catalog, wanted: &[bool]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for (head, _) in catalog.heads.iter().zip(wanted).filter(|(_, w)| **w) {
        if names.last() != Some(&&*head.name) {
            names.push(&head.name);
        }
    }
    names
}

fn out_of_range(storage: &Storage, directory: &str, file: u32) -> StoreError {
    StoreError::Corrupt {
        path: storage.path(directory),
        reason: format!("file index {file} out of range"),
    }
}
