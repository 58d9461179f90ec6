//! The columns of the built-in tables, and building their label maps.

use crate::runs::StringColumn;
use datafusion::arrow::array::{ArrayRef, MapArray, StructArray};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use parquetry_model::{Labels, METRIC_NAME};
use std::sync::Arc;

/// `timestamp` columns: milliseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// `timestamp` columns of log lines: nanoseconds, UTC.
pub fn nanosecond_timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The key and value fields of a `labels` entry.
fn label_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ])
}

/// The entries field of a `labels` map.
fn label_entries() -> Arc<Field> {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(label_entry_fields()),
        false,
    ))
}

/// `labels` columns: `map<string, string>` without `__name__`, keys sorted.
pub fn labels_type() -> DataType {
    DataType::Map(label_entries(), false)
}

/// The `samples` table: one row per sample.
pub fn samples_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("timestamp", timestamp_type(), false),
        Field::new("value", DataType::Float64, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("labels", labels_type(), false),
        Field::new("series_id", DataType::UInt64, false),
    ]))
}

/// Column positions of [`samples_schema`].
pub mod samples_columns {
    /// `timestamp`.
    pub const TIMESTAMP: usize = 0;
    /// `value`.
    pub const VALUE: usize = 1;
    /// `metric`.
    pub const METRIC: usize = 2;
    /// `labels`.
    pub const LABELS: usize = 3;
    /// `series_id`.
    pub const SERIES_ID: usize = 4;
}

/// The `series` table: one row per series.
pub fn series_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("series_id", DataType::UInt64, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("labels", labels_type(), false),
        Field::new("min_time", timestamp_type(), false),
        Field::new("max_time", timestamp_type(), false),
    ]))
}

/// Builds a `labels` column, a run of rows with the same labels at a time.
pub struct LabelsBuilder {
    /// Where each row's entries start, then where the last one ends.
    entry_offsets: Vec<i32>,
    keys: StringColumn,
    values: StringColumn,
}

impl LabelsBuilder {
    /// An empty column.
    pub fn new() -> LabelsBuilder {
        LabelsBuilder {
            entry_offsets: vec![0],
            keys: StringColumn::with_capacity(0, 0),
            values: StringColumn::with_capacity(0, 0),
        }
    }

    /// Appends `count` rows holding the labels (without `__name__`).
    pub fn append(&mut self, labels: &Labels, count: usize) {
        let (names, values): (Vec<&str>, Vec<&str>) = labels
            .iter()
            .filter(|l| l.name != METRIC_NAME)
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .unzip();
        self.keys.append_repeated(&names, count);
        self.values.append_repeated(&values, count);
        let mut last = *self.entry_offsets.last().unwrap_or(&0);
        for _ in 0..count {
            // Entries are as many as the key column's strings, which it keeps below 2^31.
            last = last.saturating_add(names.len() as i32);
            self.entry_offsets.push(last);
        }
    }

    /// The finished column; an error when its text outgrew 2 GiB.
    pub fn finish(self) -> Result<ArrayRef, ArrowError> {
        let entries = StructArray::try_new(
            label_entry_fields(),
            vec![
                Arc::new(self.keys.finish()?) as ArrayRef,
                Arc::new(self.values.finish()?) as ArrayRef,
            ],
            None,
        )?;
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.entry_offsets));
        Ok(Arc::new(MapArray::try_new(
            label_entries(),
            offsets,
            entries,
            None,
            false,
        )?))
    }
}

impl Default for LabelsBuilder {
    fn default() -> Self {
        LabelsBuilder::new()
    }
}
