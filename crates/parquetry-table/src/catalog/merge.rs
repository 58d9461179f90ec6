//! A table's part of a checkpoint: every catalog row and every directory row of a
//! version, merged into one catalog table and one directory table, so that opening the
//! store reads two files per table instead of two per segment.

use super::tables::{write_catalog_table, write_directory_table};
use super::{Catalog, CatalogEntry, DirectoryRow};
use crate::checkpoint::merged_stem;
use crate::error::Result;
use crate::log::{LogState, MergedCatalog};
use crate::manifest::TableKind;
use crate::storage::Storage;
use std::sync::Arc;

/// Writes the merged catalog and directory of `table` at `state`'s version and returns
/// what names them.
pub(crate) fn write_merged(
    storage: &Storage,
    state: &Arc<LogState>,
    table: TableKind,
) -> Result<MergedCatalog> {
    let catalog = Catalog::open(storage, state, table)?;
    let files = catalog.files()?;
    let stem = merged_stem(table, state.manifest.version);
    let merged = MergedCatalog {
        catalog_file: format!("{stem}-series.parquet"),
        directory_file: format!("{stem}-directory.parquet"),
        data_files: files.iter().map(|f| f.rel.clone()).collect(),
    };
    // Each label set's time range from its rows in the version's files, so that label
    // sets whose rows compaction or retention removed leave the catalog.
    let all = catalog.entries()?;
    let mut ranges: Vec<Option<(i64, i64)>> = vec![None; all.len()];
    let mut directory = Vec::new();
    for (index, file) in files.iter().enumerate() {
        for e in &file.entries {
            let range = &mut ranges[e.ordinal as usize];
            *range = Some(match *range {
                Some((min, max)) => (min.min(e.min_time), max.max(e.max_time)),
                None => (e.min_time, e.max_time),
            });
            directory.push(DirectoryRow {
                file: index as u32,
                id: all[e.ordinal as usize].id,
                row_start: e.row_start,
                row_count: e.row_count,
                min_time: e.min_time,
                max_time: e.max_time,
            });
        }
    }
    let entries: Vec<CatalogEntry> = all
        .iter()
        .zip(ranges)
        .filter_map(|(s, range)| {
            let (min_time, max_time) = range?;
            Some(CatalogEntry {
                id: s.id,
                labels: s.labels.clone(),
                min_time,
                max_time,
            })
        })
        .collect();
    write_catalog_table(storage, &merged.catalog_file, &entries)?;
    write_directory_table(storage, &merged.directory_file, directory, &entries)?;
    Ok(merged)
}
