//! The metrics table's part of a checkpoint: every series and every directory row of a
//! version, merged into one series table and one directory table, so that opening the
//! store reads two files instead of two per segment.

use crate::error::Result;
use crate::metadata_tables::{DirectoryRow, SeriesRow, write_directory_table, write_series_table};
use crate::store::Store;
use parquetry_table::checkpoint::{self, DEFAULT_GRACE};
use parquetry_table::{LogState, MergedCatalog, Storage, TableKind};
use std::collections::BTreeMap;

/// Writes the checkpoint of `state`'s version (and expires what it makes unnecessary).
pub fn write(storage: &Storage, state: &LogState) -> Result<()> {
    let store = Store::at(storage.clone(), state.clone())?;
    let files = store.files()?;
    let version = state.manifest.version;
    let stem = checkpoint::merged_stem(TableKind::Metrics, version);
    let merged = MergedCatalog {
        catalog_file: format!("{stem}-series.parquet"),
        directory_file: format!("{stem}-directory.parquet"),
        data_files: files.iter().map(|f| f.rel.clone()).collect(),
    };
    // Each series' time range from its rows in the version's files, so that series
    // whose rows compaction or retention removed leave the catalog.
    let all = store.all_series();
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
    let series: Vec<SeriesRow> = all
        .iter()
        .zip(ranges)
        .filter_map(|(s, range)| {
            let (min_time, max_time) = range?;
            Some(SeriesRow {
                id: s.id,
                labels: s.labels.clone(),
                min_time,
                max_time,
            })
        })
        .collect();
    write_series_table(storage, &merged.catalog_file, &series)?;
    write_directory_table(storage, &merged.directory_file, &directory)?;
    checkpoint::write(
        storage,
        state,
        BTreeMap::from([(TableKind::Metrics, merged)]),
        DEFAULT_GRACE,
    )
}
