//! The directory table: where each series' or stream's rows are in a segment's data files.

use super::{NameColumn, column, directory_columns, directory_schema, open_table, write_table};
use crate::catalog::{CatalogEntry, DirectoryRow};
use crate::error::{Result, StoreError, arrow_err};
use crate::storage::Storage;
use arrow::array::{ArrayRef, Int64Array, StringArray, UInt32Array, UInt64Array};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, RowSelection};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquetry_model::SeriesId;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Writes a directory table as `rel` and publishes it. `catalog` is what the catalog
/// table beside it holds, in its order (name, then id); the rows are written in that
/// order too, a label set's by file, each with its label set's name. Fails with `Corrupt`
/// if a row's label set is not in `catalog`.
pub fn write_directory_table(
    storage: &Storage,
    rel: &str,
    rows: Vec<DirectoryRow>,
    catalog: &[CatalogEntry],
) -> Result<()> {
    let path = &storage.path(rel);
    debug_assert!(catalog.is_sorted_by(|a, b| (a.name(), a.id) <= (b.name(), b.id)));
    let position: FxHashMap<SeriesId, u32> = catalog
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i as u32))
        .collect();
    let mut placed: Vec<(u32, DirectoryRow)> = rows
        .into_iter()
        .map(|r| match position.get(&r.id) {
            Some(&p) => Ok((p, r)),
            None => Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("label set {:016x} of the directory is not in its catalog", r.id.0),
            }),
        })
        .collect::<Result<_>>()?;
    placed.sort_unstable_by_key(|(p, r)| (*p, r.file, r.row_start));
    let rows = || placed.iter().map(|(_, r)| r);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(rows().map(|r| r.file))),
        Arc::new(UInt64Array::from_iter_values(rows().map(|r| r.id.0))),
        Arc::new(UInt64Array::from_iter_values(rows().map(|r| r.row_start))),
        Arc::new(UInt64Array::from_iter_values(rows().map(|r| r.row_count))),
        Arc::new(Int64Array::from_iter_values(rows().map(|r| r.min_time))),
        Arc::new(Int64Array::from_iter_values(rows().map(|r| r.max_time))),
        Arc::new(StringArray::from_iter_values(
            placed.iter().map(|(p, _)| catalog[*p as usize].name()),
        )),
    ];
    let batch = RecordBatch::try_new(directory_schema(), columns).map_err(arrow_err(path))?;
    write_table(storage, rel, batch)
}

/// Calls `each` with rows of the directory table `rel`, in row order, each with its label
/// set's name (`None` in tables written without the `metric` column), and stops at its
/// first error: every row, or, given `names` (sorted), at least the rows of the label sets
/// called one of them — the rows of the pages whose `metric` statistics span one of the
/// names (every row of a table without that column).
pub fn read_directory_rows(
    storage: &Storage,
    rel: &str,
    names: Option<&[&str]>,
    mut each: impl FnMut(DirectoryRow, Option<&str>) -> Result<()>,
) -> Result<()> {
    let path = &storage.path(rel);
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::from(names.is_some()));
    let mut named = false;
    let reader = open_table(storage, rel, options, NameColumn::Strings, |metadata| {
        named = metadata
            .schema()
            .fields()
            .get(DIRECTORY_METRIC)
            .is_some_and(|f| f.name() == directory_columns::METRIC);
        let selection = names
            .filter(|_| named)
            .and_then(|names| pages_spanning(metadata.metadata(), DIRECTORY_METRIC, names));
        Ok(((0..DIRECTORY_METRIC + usize::from(named)).collect(), selection))
    })?;
    for batch in reader {
        let batch = batch.map_err(arrow_err(path))?;
        let files = column::<UInt32Array>(&batch, 0, path)?;
        let ids = column::<UInt64Array>(&batch, 1, path)?;
        let starts = column::<UInt64Array>(&batch, 2, path)?;
        let counts = column::<UInt64Array>(&batch, 3, path)?;
        let mins = column::<Int64Array>(&batch, 4, path)?;
        let maxs = column::<Int64Array>(&batch, 5, path)?;
        let metrics = match named {
            true => Some(column::<StringArray>(&batch, DIRECTORY_METRIC, path)?),
            false => None,
        };
        for i in 0..batch.num_rows() {
            let row = DirectoryRow {
                file: files.value(i),
                id: SeriesId(ids.value(i)),
                row_start: starts.value(i),
                row_count: counts.value(i),
                min_time: mins.value(i),
                max_time: maxs.value(i),
            };
            each(row, metrics.map(|m| m.value(i)))?;
        }
    }
    Ok(())
}

/// Position of the `metric` column in a directory table.
const DIRECTORY_METRIC: usize = 6;

/// The rows of the pages of the string column `column` whose statistics (a lower and an
/// upper bound of the page's values) span one of `names` (sorted); `None` when the file
/// has no page statistics for it.
fn pages_spanning(metadata: &ParquetMetaData, column: usize, names: &[&str]) -> Option<RowSelection> {
    let (column_index, offset_index) = (metadata.column_index()?, metadata.offset_index()?);
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut first_row = 0;
    for (g, group) in metadata.row_groups().iter().enumerate() {
        let rows = group.num_rows().max(0) as usize;
        let ColumnIndexMetaData::BYTE_ARRAY(stats) = column_index.get(g)?.get(column)? else {
            return None;
        };
        let pages = offset_index.get(g)?.get(column)?.page_locations();
        for (p, page) in pages.iter().enumerate() {
            let (Some(min), Some(max)) = (stats.min_value(p), stats.max_value(p)) else {
                continue;
            };
            let next = names.partition_point(|n| n.as_bytes() < min);
            if names.get(next).is_none_or(|n| n.as_bytes() > max) {
                continue;
            }
            let start = first_row + page.first_row_index.max(0) as usize;
            let end = first_row
                + pages
                    .get(p + 1)
                    .map_or(rows, |n| n.first_row_index.max(0) as usize);
            match ranges.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => ranges.push(start..end),
            }
        }
        first_row += rows;
    }
    Some(RowSelection::from_consecutive_ranges(
        ranges.into_iter(),
        first_row,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Schema;
    use parquetry_model::Labels;

    #[test]
    fn directory_rows_follow_the_catalog_and_pages_are_chosen_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        // Three metrics of 2,000 label sets each, every one in two files; written in file
        // order, as a segment records them.
        let mut catalog: Vec<CatalogEntry> = (0..6000)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", format!("m{}", i / 2000)), ("i", i.to_string())]);
                CatalogEntry {
                    id: SeriesId::of(&l),
                    labels: Arc::new(l),
                    min_time: 0,
                    max_time: 9,
                }
            })
            .collect();
        catalog.sort_by(|a, b| (a.name(), a.id).cmp(&(b.name(), b.id)));
        let row = |file: u32, k: usize| DirectoryRow {
            file,
            id: catalog[k].id,
            row_start: k as u64 * 10,
            row_count: 10,
            min_time: file as i64,
            max_time: 9,
        };
        let rows: Vec<DirectoryRow> = [0, 1]
            .into_iter()
            .flat_map(|f| (0..6000).map(move |k| (f, k)))
            .map(|(f, k)| row(f, k))
            .collect();
        write_directory_table(&storage, "d.parquet", rows, &catalog).unwrap();
        let read = |names: Option<&[&str]>| {
            let mut out = Vec::new();
            read_directory_rows(&storage, "d.parquet", names, |r, name| {
                assert_eq!(name, catalog.iter().find(|e| e.id == r.id).map(|e| e.name()));
                out.push(r);
                Ok(())
            })
            .unwrap();
            out
        };
        let want: Vec<DirectoryRow> = (0..6000).flat_map(|k| [row(0, k), row(1, k)]).collect();
        assert_eq!(read(None), want);
        // Only the pages of `m1` (4,000 rows, within at most six pages of 1,024).
        let some = read(Some(&["m1"]));
        let of_m1: Vec<&DirectoryRow> = want
            .iter()
            .filter(|r| catalog.iter().any(|e| e.id == r.id && e.name() == "m1"))
            .collect();
        assert!(of_m1.iter().all(|r| some.contains(r)));
        assert!(some.len() <= 6 * 1024, "{} rows read", some.len());
        assert!(read(Some(&["n"])).is_empty());
        // Ids and row offsets are written without a dictionary, names and files with one.
        let file = std::fs::File::open(dir.path().join("d.parquet")).unwrap();
        let metadata = parquet::file::reader::FileReader::metadata(
            &parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap(),
        )
        .clone();
        let dictionary = |c: usize| metadata.row_group(0).column(c).dictionary_page_offset().is_some();
        assert_eq!(
            (0..7).map(dictionary).collect::<Vec<_>>(),
            [true, false, false, true, true, true, true]
        );
        // A table written before the `metric` column is read whole, without names.
        let old = Arc::new(Schema::new(
            directory_schema().fields()[..DIRECTORY_METRIC].to_vec(),
        ));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![1])),
            Arc::new(UInt64Array::from(vec![catalog[0].id.0])),
            Arc::new(UInt64Array::from(vec![5])),
            Arc::new(UInt64Array::from(vec![2])),
            Arc::new(Int64Array::from(vec![3])),
            Arc::new(Int64Array::from(vec![4])),
        ];
        write_table(
            &storage,
            "old.parquet",
            RecordBatch::try_new(old, columns).unwrap(),
        )
        .unwrap();
        let mut rows = Vec::new();
        read_directory_rows(&storage, "old.parquet", Some(&["n"]), |r, name| {
            rows.push((r, name.map(str::to_string)));
            Ok(())
        })
        .unwrap();
        let only = DirectoryRow {
            file: 1,
            id: catalog[0].id,
            row_start: 5,
            row_count: 2,
            min_time: 3,
            max_time: 4,
        };
        assert_eq!(rows, [(only, None)]);
        // A row whose label set the catalog does not have is refused.
        let stray = vec![DirectoryRow {
            id: SeriesId(7),
            ..row(0, 0)
        }];
        assert!(write_directory_table(&storage, "e.parquet", stray, &catalog).is_err());
    }
}
