//! The `series` table: one row per series of the store, with its time span.

use crate::schema::{LabelsBuilder, series_schema};
use datafusion::arrow::array::{RecordBatch, StringBuilder, TimestampMillisecondBuilder, UInt64Builder};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use parquetry_store::Store;
use std::sync::Arc;

/// The series catalog of `store` as an in-memory table.
pub fn series_table(store: &Store) -> Result<MemTable> {
    let all = store
        .all_series()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    let mut ids = UInt64Builder::with_capacity(all.len());
    let mut metrics = StringBuilder::new();
    let mut labels = LabelsBuilder::new();
    let mut min = TimestampMillisecondBuilder::with_capacity(all.len()).with_timezone("UTC");
    let mut max = TimestampMillisecondBuilder::with_capacity(all.len()).with_timezone("UTC");
    for s in all {
        ids.append_value(s.id.0);
        metrics.append_value(s.labels.metric_name().unwrap_or(""));
        labels.append(&s.labels, 1);
        min.append_value(s.min_time);
        max.append_value(s.max_time);
    }
    let schema = series_schema();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(ids.finish()),
            Arc::new(metrics.finish()),
            labels.finish()?,
            Arc::new(min.finish()),
            Arc::new(max.finish()),
        ],
    )?;
    MemTable::try_new(schema, vec![vec![batch]])
}
