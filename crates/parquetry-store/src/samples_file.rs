//! Writing one samples file: the rows of many series for one time partition.

use crate::batch::SeriesSamples;
use crate::error::{Result, arrow_err, io_err, pq_err};
use crate::fsutil;
use crate::schema::{SAMPLES_PAGE_ROWS, samples_schema, samples_writer_properties};
use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray, UInt64Array,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Where one series' rows landed in a samples file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrittenRange {
    /// Index of the series in the slice given to [`write_samples_file`].
    pub series: usize,
    /// First row.
    pub row_start: u64,
    /// Number of rows.
    pub row_count: u64,
    /// First sample time.
    pub min_time: i64,
    /// Last sample time.
    pub max_time: i64,
}

/// A part of a series: `series[index].timestamps[range]`.
#[derive(Clone, Debug)]
pub struct SeriesPart {
    /// Index into the series slice.
    pub index: usize,
    /// Rows of that series that go into the file.
    pub range: std::ops::Range<usize>,
}

/// Writes the given parts (already in `(metric, series id)` order, each non-empty) to the
/// temporary name of `path` and publishes it. Returns the row ranges and the file size.
pub fn write_samples_file(
    path: &Path,
    series: &[SeriesSamples],
    parts: &[SeriesPart],
) -> Result<(Vec<WrittenRange>, u64)> {
    if let Some(dir) = path.parent() {
        fsutil::ensure_dir(dir)?;
    }
    let tmp = fsutil::temp_path(path);
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let mut writer = ArrowWriter::try_new(file, samples_schema(), Some(samples_writer_properties()))
        .map_err(pq_err(&tmp))?;
    let mut ranges = Vec::with_capacity(parts.len());
    let mut chunk = ChunkBuilder::default();
    let mut row: u64 = 0;
    for part in parts {
        let s = &series[part.index];
        let ts = &s.timestamps[part.range.clone()];
        let vs = &s.values[part.range.clone()];
        ranges.push(WrittenRange {
            series: part.index,
            row_start: row,
            row_count: ts.len() as u64,
            min_time: ts[0],
            max_time: ts[ts.len() - 1],
        });
        row += ts.len() as u64;
        chunk.push(s, ts, vs);
        if chunk.rows() >= CHUNK_ROWS {
            writer.write(&chunk.finish(&tmp)?).map_err(pq_err(&tmp))?;
        }
    }
    if chunk.rows() > 0 {
        writer.write(&chunk.finish(&tmp)?).map_err(pq_err(&tmp))?;
    }
    writer.close().map_err(pq_err(&tmp))?;
    let bytes = std::fs::metadata(&tmp).map_err(io_err(&tmp))?.len();
    fsutil::publish(path)?;
    Ok((ranges, bytes))
}

/// Rows handed to the Parquet writer at a time; a multiple of the page size.
const CHUNK_ROWS: usize = SAMPLES_PAGE_ROWS * 2;

/// Accumulates rows into Arrow arrays for one record batch.
#[derive(Default)]
struct ChunkBuilder {
    metrics: Vec<String>,
    metric_keys: Vec<i32>,
    series_ids: Vec<u64>,
    timestamps: Vec<i64>,
    values: Vec<f64>,
}

impl ChunkBuilder {
    fn rows(&self) -> usize {
        self.timestamps.len()
    }

    fn push(&mut self, s: &SeriesSamples, ts: &[i64], vs: &[f64]) {
        let metric = s.metric();
        if self.metrics.last().map(String::as_str) != Some(metric) {
            self.metrics.push(metric.to_string());
        }
        let key = (self.metrics.len() - 1) as i32;
        self.metric_keys.extend(std::iter::repeat_n(key, ts.len()));
        self.series_ids.extend(std::iter::repeat_n(s.id.0, ts.len()));
        self.timestamps.extend_from_slice(ts);
        self.values.extend_from_slice(vs);
    }

    fn finish(&mut self, path: &Path) -> Result<RecordBatch> {
        let metrics = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(std::mem::take(&mut self.metric_keys)),
            Arc::new(StringArray::from(std::mem::take(&mut self.metrics))),
        )
        .map_err(arrow_err(path))?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(metrics),
            Arc::new(UInt64Array::from(std::mem::take(&mut self.series_ids))),
            Arc::new(Int64Array::from(std::mem::take(&mut self.timestamps))),
            Arc::new(Float64Array::from(std::mem::take(&mut self.values))),
        ];
        RecordBatch::try_new(samples_schema(), columns).map_err(arrow_err(path))
    }
}
