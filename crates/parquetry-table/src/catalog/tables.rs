//! The two small tables every segment has: the catalog (who: one row per series or
//! stream) and the directory (where each one's rows are in the segment's data files).
//! Merged checkpoint catalogs have the same two shapes.

use super::{CatalogEntry, DirectoryRow};
use crate::error::{Result, StoreError, arrow_err, io_err, pq_err};
use crate::scan::pages::record_batches;
use crate::scan::with_dictionaries;
use crate::storage::Storage;
use arrow::array::{
    Array, ArrayRef, AsArray, Int32DictionaryArray, Int64Array, MapArray, MapBuilder, StringArray,
    StringBuilder, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, RowSelection,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use parquetry_model::{Labels, METRIC_NAME, SeriesId};
use rustc_hash::FxHashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, LazyLock};

/// Column names of a catalog table.
pub mod catalog_columns {
    /// Stable id of the label set (`parquetry_model::SeriesId`).
    pub const SERIES_ID: &str = "series_id";
    /// Value of `__name__`; empty for label sets without one (every log stream).
    pub const METRIC: &str = "metric";
    /// Every label but `__name__`, as a map sorted by key.
    pub const LABELS: &str = "labels";
    /// Time of the label set's first row.
    pub const MIN_TIME: &str = "min_time";
    /// Time of its last row.
    pub const MAX_TIME: &str = "max_time";
}

/// Column names of a directory table.
pub mod directory_columns {
    /// Index into the segment's (or merged catalog's) list of data files.
    pub const FILE: &str = "file";
    /// Stable id of the label set.
    pub const SERIES_ID: &str = "series_id";
    /// First row of the label set in that file.
    pub const ROW_START: &str = "row_start";
    /// Number of consecutive rows.
    pub const ROW_COUNT: &str = "row_count";
    /// Time of the first of those rows.
    pub const MIN_TIME: &str = "min_time";
    /// Time of the last of those rows.
    pub const MAX_TIME: &str = "max_time";
    /// Value of the label set's `__name__` (empty for label sets without one). Rows are in
    /// the catalog's order, so its page statistics tell which pages hold a metric's rows.
    /// Tables written before it was added lack it.
    pub const METRIC: &str = "metric";
}

/// The map type of a `labels` column: non-null string keys and values (keys are written
/// in sorted order, though the type does not promise it).
pub fn labels_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Utf8, false),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// Schema of a catalog table.
pub fn catalog_schema() -> SchemaRef {
    use catalog_columns::*;
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new(SERIES_ID, DataType::UInt64, false),
            Field::new(METRIC, DataType::Utf8, false),
            Field::new(LABELS, labels_type(), false),
            Field::new(MIN_TIME, DataType::Int64, false),
            Field::new(MAX_TIME, DataType::Int64, false),
        ]))
    });
    SCHEMA.clone()
}

/// Schema of a directory table.
pub fn directory_schema() -> SchemaRef {
    use directory_columns::*;
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new(FILE, DataType::UInt32, false),
            Field::new(SERIES_ID, DataType::UInt64, false),
            Field::new(ROW_START, DataType::UInt64, false),
            Field::new(ROW_COUNT, DataType::UInt64, false),
            Field::new(MIN_TIME, DataType::Int64, false),
            Field::new(MAX_TIME, DataType::Int64, false),
            Field::new(METRIC, DataType::Utf8, false),
        ]))
    });
    SCHEMA.clone()
}

/// Writer settings for the small catalog and directory tables: zstd level 3, pages of at
/// most 1,024 rows.
pub fn metadata_writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("zstd level 3 is valid"),
        ))
        // Small pages, so that reading a few label sets decodes little besides them.
        .set_data_page_row_count_limit(1024)
        // Ids and row offsets are nearly all distinct: a dictionary of them would be
        // as large as the column and decoded whole before any page of it, however few
        // rows are read.
        .set_column_dictionary_enabled(ColumnPath::from(catalog_columns::SERIES_ID), false)
        .set_column_dictionary_enabled(ColumnPath::from(directory_columns::ROW_START), false)
        .build()
}

fn write_table(storage: &Storage, rel: &str, batch: RecordBatch) -> Result<()> {
    let staged = storage.stage(rel)?;
    let tmp = staged.path().to_path_buf();
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(metadata_writer_properties()))
        .map_err(pq_err(&tmp))?;
    writer.write(&batch).map_err(pq_err(&tmp))?;
    writer.close().map_err(pq_err(&tmp))?;
    storage.publish(staged)
}

/// Opens table `rel` for reading in batches of 8K rows. `choose` sees the table's
/// metadata and schema before anything else is read and says which root columns to
/// decode and which rows (every row on `None`); its error is returned as is.
fn open_table(
    storage: &Storage,
    rel: &str,
    options: ArrowReaderOptions,
    names: NameColumn,
    choose: impl FnOnce(&ArrowReaderMetadata) -> Result<(Vec<usize>, Option<RowSelection>)>,
) -> Result<ParquetRecordBatchReader> {
    let path = &storage.path(rel);
    let file = storage.open_file(rel)?;
    let mut metadata = ArrowReaderMetadata::load(&file, options).map_err(pq_err(path))?;
    if names == NameColumn::Dictionary
        && let Ok(place) = metadata.schema().index_of(catalog_columns::METRIC)
    {
        metadata = with_dictionaries(metadata, &[place]).map_err(pq_err(path))?;
    }
    let (columns, selection) = choose(&metadata)?;
    let mask = ProjectionMask::roots(metadata.parquet_schema(), columns);
    record_batches(file, &metadata, mask, None, selection, 8 * 1024).map_err(pq_err(path))
}

/// How a table's name column (`metric`) is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameColumn {
    /// A string per row.
    Strings,
    /// Each distinct name once and a key per row into them (`Dictionary(Int32, Utf8)`):
    /// the names of a whole catalog without a copy of each row's text.
    Dictionary,
}

/// The root columns `columns` of table `rel`, of every row or of `rows` (ascending),
/// skipping the pages that hold none of them, a batch at a time: a caller that converts
/// each batch before it asks for the next holds one batch's buffers, not the table's.
/// Also the number of rows the batches hold together.
fn read_columns(
    storage: &Storage,
    rel: &str,
    columns: &[usize],
    rows: Option<&[u32]>,
    names: NameColumn,
) -> Result<(usize, impl Iterator<Item = Result<RecordBatch>>)> {
    let path = &storage.path(rel);
    let options = ArrowReaderOptions::new().with_offset_index_policy(PageIndexPolicy::from(rows.is_some()));
    let mut count = 0;
    let reader = open_table(storage, rel, options, names, |metadata| {
        let total = metadata.metadata().file_metadata().num_rows().max(0) as usize;
        count = rows.map_or(total, <[u32]>::len);
        let selection = match rows {
            Some(rows) if rows.last().is_some_and(|&r| r as usize >= total) => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!(
                        "row {} asked for in a table of {total} rows",
                        rows[rows.len() - 1]
                    ),
                });
            }
            Some(rows) => Some(RowSelection::from_consecutive_ranges(runs(rows), total)),
            None => None,
        };
        Ok((columns.to_vec(), selection))
    })?;
    let path = path.clone();
    Ok((count, reader.map(move |batch| batch.map_err(arrow_err(&path)))))
}

/// Ascending row numbers as ranges of consecutive rows.
fn runs(rows: &[u32]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let start = *rows.get(i)? as usize;
        let mut end = start + 1;
        i += 1;
        while rows.get(i).is_some_and(|&r| r as usize == end) {
            end += 1;
            i += 1;
        }
        Some(start..end)
    })
}

fn column<'a, T: Array + 'static>(batch: &'a RecordBatch, index: usize, path: &Path) -> Result<&'a T> {
    let array = batch.columns().get(index).ok_or_else(|| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("column {index} is missing"),
    })?;
    array_as(array, &format!("column {index}"), path)
}

/// `array` as a `T`, or `Corrupt` (for the table at `path`) saying that `what` has
/// another type.
fn array_as<'a, T: Array + 'static>(array: &'a ArrayRef, what: &str, path: &Path) -> Result<&'a T> {
    array
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("{what} has type {}", array.data_type()),
        })
}

/// Writes a catalog table (rows in any order) as `rel` and publishes it.
pub fn write_catalog_table(storage: &Storage, rel: &str, rows: &[CatalogEntry]) -> Result<()> {
    let path = &storage.path(rel);
    let mut labels = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
        .with_values_field(Arc::new(Field::new("values", DataType::Utf8, false)));
    let mut metrics = Vec::with_capacity(rows.len());
    for row in rows {
        metrics.push(row.labels.metric_name().unwrap_or("").to_string());
        for l in row.labels.iter().filter(|l| l.name != METRIC_NAME) {
            labels.keys().append_value(&l.name);
            labels.values().append_value(&l.value);
        }
        labels.append(true).map_err(arrow_err(path))?;
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id.0))),
        Arc::new(StringArray::from(metrics)),
        Arc::new(labels.finish()),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.min_time))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.max_time))),
    ];
    let batch = RecordBatch::try_new(catalog_schema(), columns).map_err(arrow_err(path))?;
    write_table(storage, rel, batch)
}

/// One row of a catalog table without its labels: what opening a store reads.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogHead {
    /// Stable id of the label set.
    pub id: SeriesId,
    /// Value of `__name__`, or `""`; equal names share one allocation.
    pub name: Arc<str>,
    /// Time of the first row.
    pub min_time: i64,
    /// Time of the last row.
    pub max_time: i64,
}

/// Reads every row of the catalog table `rel` without its labels (the `labels` column is
/// not decoded).
pub fn read_catalog_heads(storage: &Storage, rel: &str) -> Result<Vec<CatalogHead>> {
    let path = &storage.path(rel);
    let (rows, batches) = read_columns(storage, rel, &[0, 1, 3, 4], None, NameColumn::Dictionary)?;
    // Sized once: a store of 30,000 series would otherwise copy its heads as it grows.
    let mut out: Vec<CatalogHead> = Vec::with_capacity(rows);
    let mut last: Arc<str> = Arc::from("");
    for batch in batches {
        let batch = batch?;
        let ids = column::<UInt64Array>(&batch, 0, path)?;
        let metrics = column::<Int32DictionaryArray>(&batch, 1, path)?;
        let (keys, names) = (
            metrics.keys(),
            array_as::<StringArray>(metrics.values(), "the name column's dictionary", path)?,
        );
        let mins = column::<Int64Array>(&batch, 2, path)?;
        let maxs = column::<Int64Array>(&batch, 3, path)?;
        // Tables are written in name order, so a name's rows follow one another: its text
        // is looked at only when the key changes, and shared with the rows before when it
        // is theirs too.
        let mut last_key = None;
        for i in 0..batch.num_rows() {
            let key = keys.value(i);
            if last_key != Some(key) {
                last_key = Some(key);
                let metric = names.value(key as usize);
                if *last != *metric {
                    last = Arc::from(metric);
                }
            }
            out.push(CatalogHead {
                id: SeriesId(ids.value(i)),
                name: last.clone(),
                min_time: mins.value(i),
                max_time: maxs.value(i),
            });
        }
    }
    Ok(out)
}

/// The ids and label sets of rows `rows` (ascending row numbers) of the catalog table
/// `rel`, in that order. Only the pages holding those rows are decoded. Fails with
/// `Corrupt` if a stored id does not match its labels, or a row is past the table's end.
pub fn read_catalog_labels(storage: &Storage, rel: &str, rows: &[u32]) -> Result<Vec<(SeriesId, Labels)>> {
    let path = &storage.path(rel);
    let (count, batches) = read_columns(storage, rel, &[0, 1, 2], Some(rows), NameColumn::Strings)?;
    let mut out = Vec::with_capacity(count);
    for batch in batches {
        let batch = batch?;
        let ids = column::<UInt64Array>(&batch, 0, path)?;
        let metrics = column::<StringArray>(&batch, 1, path)?;
        let maps = column::<MapArray>(&batch, 2, path)?;
        let keys = maps.keys().as_string::<i32>();
        let values = maps.values().as_string::<i32>();
        for i in 0..batch.num_rows() {
            let range = maps.value_offsets()[i] as usize..maps.value_offsets()[i + 1] as usize;
            let pairs = range.map(|j| (keys.value(j), values.value(j)));
            let metric = metrics.value(i);
            let labels =
                Labels::from_pairs(pairs.chain((!metric.is_empty()).then_some((METRIC_NAME, metric))));
            let id = SeriesId(ids.value(i));
            if SeriesId::of(&labels) != id {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("series id {:016x} does not match labels {labels}", id.0),
                });
            }
            out.push((id, labels));
        }
    }
    if out.len() != rows.len() {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("{} label sets asked for, {} found", rows.len(), out.len()),
        });
    }
    Ok(out)
}

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

    #[test]
    fn catalog_table_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows: Vec<CatalogEntry> = [
            Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            Labels::from_pairs([("job", "nameless"), ("x", "y\n\"z\"")]),
        ]
        .into_iter()
        .map(|l| CatalogEntry {
            id: SeriesId::of(&l),
            labels: Arc::new(l),
            min_time: -5,
            max_time: 7,
        })
        .collect();
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let heads = read_catalog_heads(&storage, "s.parquet").unwrap();
        let names: Vec<&str> = heads.iter().map(|h| &*h.name).collect();
        assert_eq!(names, ["up", ""]);
        for (head, row) in heads.iter().zip(&rows) {
            assert_eq!(
                (head.id, head.min_time, head.max_time),
                (row.id, row.min_time, row.max_time)
            );
        }
        let labels = read_catalog_labels(&storage, "s.parquet", &[0, 1]).unwrap();
        let want = |r: &CatalogEntry| (r.id, (*r.labels).clone());
        assert_eq!(labels, [want(&rows[0]), want(&rows[1])]);
        let second = read_catalog_labels(&storage, "s.parquet", &[1]).unwrap();
        assert_eq!(second, [want(&rows[1])]);
        assert!(read_catalog_labels(&storage, "s.parquet", &[2]).is_err());
    }

    #[test]
    fn heads_of_many_batches_carry_their_names_each_shared_by_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        // 20,000 label sets under three names, the middle one across both batch edges.
        let name = |i: i64| match i {
            0..1_000 => "a_first",
            1_000..19_000 => "b_middle",
            _ => "c_last",
        };
        let mut rows: Vec<CatalogEntry> = (0..20_000)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", name(i).to_string()), ("i", i.to_string())]);
                CatalogEntry {
                    id: SeriesId::of(&l),
                    labels: Arc::new(l),
                    min_time: i,
                    max_time: i + 1,
                }
            })
            .collect();
        rows.sort_by(|a, b| (a.name(), a.id).cmp(&(b.name(), b.id)));
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let heads = read_catalog_heads(&storage, "s.parquet").unwrap();
        assert_eq!(heads.len(), rows.len());
        for (head, row) in heads.iter().zip(&rows) {
            assert_eq!(
                (head.id, &*head.name, head.min_time, head.max_time),
                (row.id, row.name(), row.min_time, row.max_time)
            );
        }
        let shared = heads.windows(2).filter(|w| w[0].name == w[1].name);
        assert!(shared.clone().count() == heads.len() - 3);
        assert!(shared.clone().all(|w| Arc::ptr_eq(&w[0].name, &w[1].name)));
    }

    #[test]
    fn labels_of_scattered_rows_come_from_their_pages_only() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows: Vec<CatalogEntry> = (0..5000)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", format!("m{}", i / 1000)), ("i", i.to_string())]);
                CatalogEntry {
                    id: SeriesId::of(&l),
                    labels: Arc::new(l),
                    min_time: i,
                    max_time: i,
                }
            })
            .collect();
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let wanted = [0u32, 1, 2, 999, 1000, 3071, 4999];
        let got = read_catalog_labels(&storage, "s.parquet", &wanted).unwrap();
        let want: Vec<(SeriesId, Labels)> = wanted
            .iter()
            .map(|&r| (rows[r as usize].id, (*rows[r as usize].labels).clone()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            runs(&wanted).collect::<Vec<_>>(),
            [0..3, 999..1001, 3071..3072, 4999..5000]
        );
    }

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
