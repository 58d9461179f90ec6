//! Reading one table's catalog of one version: its label sets (at open), and its data
//! files with where each label set's rows are in them (at the first read of rows).
//!
//! Segments that the version's checkpoint covers are described by its merged tables;
//! segments committed after it by their own catalog and directory tables.

use super::tables::{read_catalog_table, read_directory_table};
use super::{CatalogEntry, DirectoryRow};
use crate::error::{Result, StoreError};
use crate::log::{LogState, MergedCatalog};
use crate::manifest::{Segment, TableKind};
use crate::storage::Storage;
use parquetry_model::SeriesId;
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

/// Every catalog row of `table` in the version (a label set once per catalog table that
/// has it).
pub(crate) fn read_entries(
    storage: &Storage,
    state: &LogState,
    table: TableKind,
) -> Result<Vec<CatalogEntry>> {
    let (merged, own) = sources(state, table);
    let tables: Vec<Vec<CatalogEntry>> = own
        .par_iter()
        .map(|seg| read_catalog_table(storage, &seg.catalog_file))
        .collect::<Result<_>>()?;
    let mut rows = match merged {
        Some(m) => read_catalog_table(storage, &m.catalog_file)?,
        None => Vec::new(),
    };
    rows.extend(tables.into_iter().flatten());
    Ok(rows)
}

/// The data files of `table` in the version, oldest segment first, each with its
/// directory entries by ordinal (`by_id` gives every label set's ordinal).
pub(crate) fn read_files(
    storage: &Storage,
    state: &LogState,
    table: TableKind,
    by_id: &FxHashMap<SeriesId, u32>,
) -> Result<Vec<IndexedFile>> {
    let mut files = Vec::new();
    let mut slot_of: FxHashMap<&str, usize> = FxHashMap::default();
    for seg in state.manifest.segments_of(table) {
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
    let (merged, own) = sources(state, table);
    let tables: Vec<Vec<DirectoryRow>> = own
        .par_iter()
        .map(|seg| read_directory_table(storage, &seg.directory_file))
        .collect::<Result<_>>()?;
    let mut attach = |slot: usize, row: &DirectoryRow, source: &str| -> Result<()> {
        let ordinal = *by_id.get(&row.id).ok_or_else(|| StoreError::Corrupt {
            path: storage.path(source),
            reason: format!("label set {:016x} is not in the catalog", row.id.0),
        })?;
        files[slot].entries.push(FileEntry {
            ordinal,
            row_start: row.row_start,
            row_count: row.row_count,
            min_time: row.min_time,
            max_time: row.max_time,
        });
        Ok(())
    };
    if let Some(m) = merged {
        // Slots of the merged directory's files; files removed since are skipped.
        let slots: Vec<Option<usize>> = m
            .data_files
            .iter()
            .map(|p| slot_of.get(p.as_str()).copied())
            .collect();
        for row in read_directory_table(storage, &m.directory_file)? {
            match slots.get(row.file as usize) {
                Some(Some(slot)) => attach(*slot, &row, &m.directory_file)?,
                Some(None) => {}
                None => return Err(out_of_range(storage, &m.directory_file, row.file)),
            }
        }
    }
    for (seg, rows) in own.iter().zip(tables) {
        for row in rows {
            let file = seg
                .data_files
                .get(row.file as usize)
                .ok_or_else(|| out_of_range(storage, &seg.directory_file, row.file))?;
            attach(slot_of[file.path.as_str()], &row, &seg.directory_file)?;
        }
    }
    for f in &mut files {
        f.entries.sort_by_key(|e| e.ordinal);
    }
    Ok(files)
}

fn out_of_range(storage: &Storage, directory: &str, file: u32) -> StoreError {
    StoreError::Corrupt {
        path: storage.path(directory),
        reason: format!("file index {file} out of range"),
    }
}
