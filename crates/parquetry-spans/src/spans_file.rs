//! Writing one spans file: the spans of one UTC day, whole traces in trace id order, a
//! row group closing only between traces.

use crate::schema::{ROW_GROUP_SPANS, UNPROMOTED_METADATA, spans_schema, spans_writer_properties};
use crate::span::{Resource, Span};
use crate::span_rows::SpanRows;
use parquetry_model::otlp::resource_labels;
use parquetry_model::{Labels, SeriesId};
use parquetry_table::error::{Result, arrow_err};
use parquetry_table::staged_parquet::StagedParquet;
use parquetry_table::{RowsWritten, Storage};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Nanoseconds per millisecond: the catalog and directory keep times in milliseconds.
pub const NANOS_PER_MS: i64 = 1_000_000;

/// The stream labels of a resource, as the logs store gives the same resource's lines
/// (`service.name` → `service_name`, …).
pub fn resource_stream_labels(resource: &Resource) -> Labels {
    resource_labels(
        resource
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.to_text())),
    )
    .0
}

/// A spans file being written under its staging name.
pub struct SpansFileWriter {
    file: StagedParquet,
    rows: SpanRows,
    row: u64,
    /// Each resource's label set: its first and last row, earliest and latest start.
    resources: FxHashMap<SeriesId, RowsWritten>,
    labels_of: FxHashMap<*const Resource, (SeriesId, Arc<Labels>)>,
}

impl SpansFileWriter {
    /// Starts the file `rel`, staged.
    pub fn create(storage: &Storage, rel: &str) -> Result<SpansFileWriter> {
        Ok(SpansFileWriter {
            file: StagedParquet::create(storage, rel, spans_schema(), spans_writer_properties())?,
            rows: SpanRows::default(),
            row: 0,
            resources: FxHashMap::default(),
            labels_of: FxHashMap::default(),
        })
    }

    /// Appends one trace's spans, sorted by start time; traces come in trace id order.
    pub fn append_trace(&mut self, spans: &[Span]) -> Result<()> {
        for s in spans {
            let (id, labels) = self
                .labels_of
                .entry(Arc::as_ptr(&s.resource))
                .or_insert_with(|| {
                    let labels = resource_stream_labels(&s.resource);
                    (SeriesId::of(&labels), Arc::new(labels))
                })
                .clone();
            let ms = s.start.div_euclid(NANOS_PER_MS);
            let row = self.row;
            let w = self.resources.entry(id).or_insert_with(|| RowsWritten {
                id,
                labels,
                row_start: row,
                row_count: 0,
                min_time: ms,
                max_time: ms,
            });
            w.row_count = row + 1 - w.row_start;
            w.min_time = w.min_time.min(ms);
            w.max_time = w.max_time.max(ms);
            self.row += 1;
        }
        self.rows.append_trace(spans);
        if self.rows.rows() >= ROW_GROUP_SPANS {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> Result<()> {
        let batch = self.rows.finish().map_err(arrow_err(self.file.path()))?;
        self.file.write(&batch)?;
        self.file.flush()
    }

    /// Closes and publishes the file; returns, per resource label set, the range of rows
    /// enclosing its spans (other resources' spans may lie between) with their times in
    /// milliseconds, the number of rows and the file size.
    pub fn finish(mut self, storage: &Storage) -> Result<(Vec<RowsWritten>, u64, u64)> {
        if self.rows.rows() > 0 {
            self.flush_group()?;
        }
        let unpromoted = self.rows.unpromoted_columns().join(",");
        self.file.set_metadata(UNPROMOTED_METADATA, unpromoted);
        let bytes = self.file.publish(storage)?;
        let mut written: Vec<RowsWritten> = self.resources.into_values().collect();
        written.sort_by_key(|w| w.row_start);
        Ok((written, self.row, bytes))
    }
}
