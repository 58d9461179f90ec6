//! The columns of the built-in tables, and building their label maps.

use datafusion::arrow::array::{ArrayRef, MapBuilder, MapFieldNames, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use parquetry_model::{Labels, METRIC_NAME};
use std::sync::Arc;

/// `timestamp` columns: milliseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn map_names() -> MapFieldNames {
    MapFieldNames {
        entry: "entries".into(),
        key: "key".into(),
        value: "value".into(),
    }
}

/// `labels` columns: `map<string, string>` without `__name__`, keys sorted.
pub fn labels_type() -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
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

/// Builds a `labels` column row by row.
pub struct LabelsBuilder(MapBuilder<StringBuilder, StringBuilder>);

impl LabelsBuilder {
    /// An empty column.
    pub fn new() -> LabelsBuilder {
        let b = MapBuilder::new(Some(map_names()), StringBuilder::new(), StringBuilder::new());
        LabelsBuilder(b.with_values_field(Field::new("value", DataType::Utf8, true)))
    }

    /// Appends `count` rows holding the labels (without `__name__`).
    pub fn append(&mut self, labels: &Labels, count: usize) {
        for _ in 0..count {
            for l in labels.iter().filter(|l| l.name != METRIC_NAME) {
                self.0.keys().append_value(&l.name);
                self.0.values().append_value(&l.value);
            }
            self.0
                .append(true)
                .expect("keys and values are appended in pairs");
        }
    }

    /// The finished column.
    pub fn finish(mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl Default for LabelsBuilder {
    fn default() -> Self {
        LabelsBuilder::new()
    }
}
