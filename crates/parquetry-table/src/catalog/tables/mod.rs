//! The two small tables every segment has: the catalog (who: one row per series or
//! stream) and the directory (where each one's rows are in the segment's data files).
//! Merged checkpoint catalogs have the same two shapes. Here: their schemas and what
//! reading and writing either shares; each table's own rows in its own file.

mod catalog_table;
mod directory_table;

pub use catalog_table::{CatalogHead, read_catalog_heads, read_catalog_labels, write_catalog_table};
pub use directory_table::{read_directory_rows, write_directory_table};

use crate::error::{Result, StoreError, arrow_err, io_err, pq_err};
use crate::scan::pages::record_batches;
use crate::scan::with_dictionaries;
use crate::storage::Storage;
use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, RowSelection,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
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
