//! Reading the metrics table's catalog of one version: the series (at open), and the
//! samples files with where each series' rows are in them (at the first read of samples).
//!
//! Segments that the version's checkpoint covers are described by its merged tables;
//! segments committed after it by their own series and directory tables.

use crate::error::{Result, StoreError};
use crate::metadata_tables::{DirectoryRow, SeriesRow, read_directory_table, read_series_table};
use parquetry_model::SeriesId;
use parquetry_table::{LogState, MergedCatalog, Segment, Storage, TableKind};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::PathBuf;

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
    pub rel: String,
    pub min_time: i64,
    pub max_time: i64,
    pub entries: Vec<FileEntry>,
}

/// The checkpoint's merged metrics catalog, with the ids of the segments it covers.
fn merged(state: &LogState) -> Option<(&MergedCatalog, FxHashSet<&str>)> {
    let checkpoint = state.checkpoint.as_ref()?;
    let catalog = checkpoint.catalogs.get(&TableKind::Metrics)?;
    Some((
        catalog,
        checkpoint
            .manifest
            .segments
            .iter()
            .map(|s| s.id.as_str())
            .collect(),
    ))
}

/// The metrics segments that the checkpoint's merged catalog does not cover.
fn own_segments<'a>(state: &'a LogState, covered: Option<&FxHashSet<&str>>) -> Vec<&'a Segment> {
    state
        .manifest
        .segments_of(TableKind::Metrics)
        .filter(|s| covered.is_none_or(|c| !c.contains(s.id.as_str())))
        .collect()
}

/// Every series row of the version (a series once per segment table that has it).
pub(crate) fn read_series(storage: &Storage, state: &LogState) -> Result<Vec<SeriesRow>> {
    let merged = merged(state);
    let own = own_segments(state, merged.as_ref().map(|m| &m.1));
    let tables: Vec<Vec<SeriesRow>> = own
        .par_iter()
        .map(|seg| read_series_table(storage, &seg.catalog_file))
        .collect::<Result<_>>()?;
    let mut rows = match merged {
        Some((m, _)) => read_series_table(storage, &m.catalog_file)?,
        None => Vec::new(),
    };
    rows.extend(tables.into_iter().flatten());
    Ok(rows)
}

/// The version's samples files, oldest segment first, each with its directory entries by
/// series ordinal (`by_id` gives every series' ordinal).
pub(crate) fn read_files(
    storage: &Storage,
    state: &LogState,
    by_id: &FxHashMap<SeriesId, u32>,
) -> Result<Vec<SampleFile>> {
    let mut files = Vec::new();
    let mut slot_of: FxHashMap<&str, usize> = FxHashMap::default();
    for seg in state.manifest.segments_of(TableKind::Metrics) {
        for f in &seg.data_files {
            slot_of.insert(f.path.as_str(), files.len());
            files.push(SampleFile {
                path: storage.path(&f.path),
                rel: f.path.clone(),
                min_time: f.min_time,
                max_time: f.max_time,
                entries: Vec::new(),
            });
        }
    }
    let merged = merged(state);
    let own = own_segments(state, merged.as_ref().map(|m| &m.1));
    let tables: Vec<Vec<DirectoryRow>> = own
        .par_iter()
        .map(|seg| read_directory_table(storage, &seg.directory_file))
        .collect::<Result<_>>()?;
    let mut attach = |slot: usize, row: &DirectoryRow, source: &str| -> Result<()> {
        let ordinal = *by_id.get(&row.id).ok_or_else(|| StoreError::Corrupt {
            path: storage.path(source),
            reason: format!("series {:016x} is not in the series table", row.id.0),
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
    if let Some((m, _)) = merged {
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
