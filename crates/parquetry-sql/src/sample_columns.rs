//! The columns a scan of `samples` can produce, and building each from a batch of series.
//! Besides the table's own columns, a scan can produce one label's value as a plain string
//! column (what `labels['job']` gives): each series knows its value once, so the column is
//! written a run of rows per series instead of being looked up row by row in the map.

use crate::runs::StringColumn;
use crate::schema::{LabelsBuilder, samples_columns, samples_schema};
use datafusion::arrow::array::{ArrayRef, Float64Array, TimestampMillisecondArray, UInt64Builder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::arrow::error::ArrowError;
use parquetry_model::METRIC_NAME;
use parquetry_store::SeriesBatch;
use std::fmt;
use std::sync::Arc;

/// One column of a `samples` scan's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleColumn {
    /// `timestamp`.
    Timestamp,
    /// `value`.
    Value,
    /// `metric`.
    Metric,
    /// `labels`, the map without `__name__`.
    Labels,
    /// `series_id`.
    SeriesId,
    /// `labels['name']`: the series' value of the label, null where it has none (and for
    /// `__name__`, which the map leaves out).
    Label(String),
}

impl SampleColumn {
    /// The column at `index` of the `samples` table.
    pub fn of_table(index: usize) -> Option<SampleColumn> {
        Some(match index {
            samples_columns::TIMESTAMP => SampleColumn::Timestamp,
            samples_columns::VALUE => SampleColumn::Value,
            samples_columns::METRIC => SampleColumn::Metric,
            samples_columns::LABELS => SampleColumn::Labels,
            samples_columns::SERIES_ID => SampleColumn::SeriesId,
            _ => return None,
        })
    }

    /// Every column of the `samples` table, in its order.
    pub fn table() -> Vec<SampleColumn> {
        (0..samples_schema().fields().len())
            .filter_map(SampleColumn::of_table)
            .collect()
    }

    /// The column's field under its own name: the table's field, or a nullable string
    /// named as the SQL that reads it (`labels['job']`).
    pub fn field(&self) -> Field {
        let table = samples_schema();
        let index = match self {
            SampleColumn::Timestamp => samples_columns::TIMESTAMP,
            SampleColumn::Value => samples_columns::VALUE,
            SampleColumn::Metric => samples_columns::METRIC,
            SampleColumn::Labels => samples_columns::LABELS,
            SampleColumn::SeriesId => samples_columns::SERIES_ID,
            SampleColumn::Label(_) => return Field::new(self.to_string(), DataType::Utf8, true),
        };
        table.field(index).clone()
    }

    /// The column's values for every row of `batch`.
    pub fn build(&self, batch: &SeriesBatch) -> Result<ArrayRef, ArrowError> {
        let rows = batch.timestamps.len();
        let run = |i: usize| batch.offsets[i + 1] - batch.offsets[i];
        Ok(match self {
            SampleColumn::Timestamp => Arc::new(
                TimestampMillisecondArray::new(batch.timestamps.values().clone(), None).with_timezone("UTC"),
            ),
            SampleColumn::Value => Arc::new(Float64Array::new(batch.values.values().clone(), None)),
            SampleColumn::Metric => {
                let mut b = StringColumn::with_capacity(rows, rows * 16);
                for (i, s) in batch.series.iter().enumerate() {
                    b.append_repeated(&[s.labels.metric_name().unwrap_or("")], run(i));
                }
                Arc::new(b.finish()?)
            }
            SampleColumn::Labels => {
                let mut b = LabelsBuilder::new();
                for (i, s) in batch.series.iter().enumerate() {
                    b.append(&s.labels, run(i));
                }
                b.finish()?
            }
            SampleColumn::SeriesId => {
                let mut b = UInt64Builder::with_capacity(rows);
                for (i, s) in batch.series.iter().enumerate() {
                    b.append_value_n(s.id.0, run(i));
                }
                Arc::new(b.finish())
            }
            SampleColumn::Label(name) => {
                let mut b = StringColumn::with_capacity(rows, rows * 8);
                for (i, s) in batch.series.iter().enumerate() {
                    match s.labels.get(name).filter(|_| name != METRIC_NAME) {
                        Some(value) => b.append_repeated(&[value], run(i)),
                        None => b.append_nulls(run(i)),
                    }
                }
                Arc::new(b.finish()?)
            }
        })
    }
}

impl fmt::Display for SampleColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleColumn::Label(name) => write!(f, "labels['{}']", name.replace('\'', "''")),
            other => f.write_str(other.field().name()),
        }
    }
}
