//! Reading one table's catalog of one version: its label sets' ids, names and times (at
//! open), and its data files with where each label set's rows are in them (at the first
//! read of rows).
//!
//! Segments that the version's checkpoint covers are described by its merged tables;
//! segments committed after it by their own catalog and directory tables.

use super::tables::{CatalogHead, read_catalog_heads, read_directory_table};
use super::{Catalog, DirectoryRow};
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

/// One directory table as read: where it is, the slot of each data file it names (none
/// for a file removed since the checkpoint), and its rows.
struct Directory<'a> {
    source: &'a str,
    slots: Vec<Option<usize>>,
    rows: Vec<DirectoryRow>,
}

/// The data files of the catalog's table at its version, oldest segment first, each with
/// its directory entries by ordinal.
pub(crate) fn read_files(catalog: &Catalog) -> Result<Vec<IndexedFile>> {
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
    let tables: Vec<Vec<DirectoryRow>> = own
        .par_iter()
        .map(|seg| read_directory_table(storage, &seg.directory_file))
        .collect::<Result<_>>()?;
    let mut directories: Vec<Directory> = Vec::new();
    if let Some(m) = merged {
        directories.push(Directory {
            source: &m.directory_file,
            slots: m
                .data_files
                .iter()
                .map(|p| slot_of.get(p.as_str()).copied())
                .collect(),
            rows: read_directory_table(storage, &m.directory_file)?,
        });
    }
    for (seg, rows) in own.iter().zip(tables) {
        directories.push(Directory {
            source: &seg.directory_file,
            slots: seg
                .data_files
                .iter()
                .map(|f| slot_of.get(f.path.as_str()).copied())
                .collect(),
            rows,
        });
    }
    let slot = |slots: &[Option<usize>], row: &DirectoryRow, source: &str| match slots.get(row.file as usize)
    {
        Some(slot) => Ok(*slot),
        None => Err(out_of_range(storage, source, row.file)),
    };
    let mut counts = vec![0; files.len()];
    for d in &directories {
        for row in &d.rows {
            if let Some(s) = slot(&d.slots, row, d.source)? {
                counts[s] += 1;
            }
        }
    }
    for (file, count) in files.iter_mut().zip(counts) {
        file.entries.reserve_exact(count);
    }
    // A file's rows mostly name consecutive label sets: try the one after the last first.
    let mut next = vec![0u32; files.len()];
    for d in directories {
        for row in d.rows {
            let Some(s) = slot(&d.slots, &row, d.source)? else {
                continue;
            };
            let guess = next[s];
            let ordinal = match catalog.heads.get(guess as usize) {
                Some(h) if h.id == row.id => guess,
                _ => catalog.ordinal(row.id).ok_or_else(|| StoreError::Corrupt {
                    path: storage.path(d.source),
                    reason: format!("label set {:016x} is not in the catalog", row.id.0),
                })?,
            };
            next[s] = ordinal + 1;
            files[s].entries.push(FileEntry {
                ordinal,
                row_start: row.row_start,
                row_count: row.row_count,
                min_time: row.min_time,
                max_time: row.max_time,
            });
        }
    }
    for f in &mut files {
        if !f.entries.is_sorted_by_key(|e| e.ordinal) {
            f.entries.sort_by_key(|e| e.ordinal);
        }
    }
    Ok(files)
}

fn out_of_range(storage: &Storage, directory: &str, file: u32) -> StoreError {
    StoreError::Corrupt {
        path: storage.path(directory),
        reason: format!("file index {file} out of range"),
    }
}
