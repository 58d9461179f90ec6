//! The two small per-commit tables: `series` (who) and `directory` (where their rows are).

use crate::error::{Result, StoreError, arrow_err, io_err, pq_err};
use crate::schema::{directory_schema, metadata_writer_properties, series_schema};
use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, MapBuilder, StringArray, StringBuilder, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int64Type, UInt32Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquetry_model::{Labels, METRIC_NAME, SeriesId};
use parquetry_table::Storage;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// One row of a series table.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    /// Stable id.
    pub id: SeriesId,
    /// All labels, `__name__` included.
    pub labels: Arc<Labels>,
    /// First sample time in the commit.
    pub min_time: i64,
    /// Last sample time in the commit.
    pub max_time: i64,
}

/// One row of a directory table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectoryRow {
    /// Index of the samples file within its commit.
    pub file: u32,
    /// Stable id of the series.
    pub id: SeriesId,
    /// First row of the series in the file.
    pub row_start: u64,
    /// Number of rows.
    pub row_count: u64,
    /// First sample time.
    pub min_time: i64,
    /// Last sample time.
    pub max_time: i64,
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

/// Writes a series table (rows in any order) as `rel` and publishes it.
pub fn write_series_table(storage: &Storage, rel: &str, rows: &[SeriesRow]) -> Result<()> {
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
    let batch = RecordBatch::try_new(series_schema(), columns).map_err(arrow_err(path))?;
    write_table(storage, rel, batch)
}

/// Reads the series table `rel` back. Fails with `Corrupt` if a stored id does not match
/// its labels.
pub fn read_series_table(storage: &Storage, rel: &str) -> Result<Vec<SeriesRow>> {
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
            out.push(SeriesRow {
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
    fn series_table_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows: Vec<SeriesRow> = [
            Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            Labels::from_pairs([("job", "nameless"), ("x", "y\n\"z\"")]),
        ]
        .into_iter()
        .map(|l| SeriesRow {
            id: SeriesId::of(&l),
            labels: Arc::new(l),
            min_time: -5,
            max_time: 7,
        })
        .collect();
        write_series_table(&storage, "s.parquet", &rows).unwrap();
        assert_eq!(read_series_table(&storage, "s.parquet").unwrap(), rows);
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
