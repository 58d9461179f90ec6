//! The two small tables every segment has: the catalog (who: one row per series or
//! stream) and the directory (where each one's rows are in the segment's data files).
//! Merged checkpoint catalogs have the same two shapes.

use super::{CatalogEntry, DirectoryRow};
use crate::error::{Result, StoreError, arrow_err, io_err, pq_err};
use crate::storage::Storage;
use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, MapBuilder, StringArray, StringBuilder, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Fields, Int64Type, Schema, SchemaRef, UInt32Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquetry_model::{Labels, METRIC_NAME, SeriesId};
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
        ]))
    });
    SCHEMA.clone()
}

/// Writer settings for the small catalog and directory tables: zstd level 3.
pub fn metadata_writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("zstd level 3 is valid"),
        ))
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

fn read_table(storage: &Storage, rel: &str) -> Result<Vec<RecordBatch>> {
    let path = &storage.path(rel);
    let file = storage.open_file(rel)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(64 * 1024).build())
        .map_err(pq_err(path))?;
    reader.collect::<Result<Vec<_>, _>>().map_err(arrow_err(path))
}

fn column<'a, T: Array + 'static>(batch: &'a RecordBatch, index: usize, path: &Path) -> Result<&'a T> {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("column {} has type {}", index, batch.column(index).data_type()),
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

/// Reads the catalog table `rel` back. Fails with `Corrupt` if a stored id does not match
/// its labels.
pub fn read_catalog_table(storage: &Storage, rel: &str) -> Result<Vec<CatalogEntry>> {
    let path = &storage.path(rel);
    let mut out = Vec::new();
    for batch in read_table(storage, rel)? {
        let ids = column::<UInt64Array>(&batch, 0, path)?;
        let metrics = batch.column(1).as_string::<i32>();
        let maps = batch.column(2).as_map();
        let mins = batch.column(3).as_primitive::<Int64Type>();
        let maxs = batch.column(4).as_primitive::<Int64Type>();
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
            out.push(CatalogEntry {
                id,
                labels: Arc::new(labels),
                min_time: mins.value(i),
                max_time: maxs.value(i),
            });
        }
    }
    Ok(out)
}

/// Writes a directory table as `rel` and publishes it.
pub fn write_directory_table(storage: &Storage, rel: &str, rows: &[DirectoryRow]) -> Result<()> {
    let path = &storage.path(rel);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.file))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id.0))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.row_start))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.row_count))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.min_time))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.max_time))),
    ];
    let batch = RecordBatch::try_new(directory_schema(), columns).map_err(arrow_err(path))?;
    write_table(storage, rel, batch)
}

/// Reads the directory table `rel` back.
pub fn read_directory_table(storage: &Storage, rel: &str) -> Result<Vec<DirectoryRow>> {
    let path = &storage.path(rel);
    let mut out = Vec::new();
    for batch in read_table(storage, rel)? {
        if batch.num_columns() != 6 {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("expected 6 columns, found {}", batch.num_columns()),
            });
        }
        let files = batch.column(0).as_primitive::<UInt32Type>();
        let ids = batch.column(1).as_primitive::<UInt64Type>();
        let starts = batch.column(2).as_primitive::<UInt64Type>();
        let counts = batch.column(3).as_primitive::<UInt64Type>();
        let mins = batch.column(4).as_primitive::<Int64Type>();
        let maxs = batch.column(5).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            out.push(DirectoryRow {
                file: files.value(i),
                id: SeriesId(ids.value(i)),
                row_start: starts.value(i),
                row_count: counts.value(i),
                min_time: mins.value(i),
                max_time: maxs.value(i),
            });
        }
    }
    Ok(out)
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
        assert_eq!(read_catalog_table(&storage, "s.parquet").unwrap(), rows);
    }

    #[test]
    fn directory_table_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows = vec![DirectoryRow {
            file: 2,
            id: SeriesId(9),
            row_start: 10,
            row_count: 3,
            min_time: 1,
            max_time: 3,
        }];
        write_directory_table(&storage, "d.parquet", &rows).unwrap();
        assert_eq!(read_directory_table(&storage, "d.parquet").unwrap(), rows);
    }
}
