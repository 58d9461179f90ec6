//! Writing one samples file: the rows of many series for one time partition.

use crate::batch::SeriesSamples;
use crate::error::{Result, arrow_err};
use crate::schema::{SAMPLES_PAGE_ROWS, samples_schema, samples_writer_properties};
use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray, UInt64Array,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use parquetry_table::Storage;
use parquetry_table::staged_parquet::StagedParquet;
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
/// staging name of `rel` and publishes it. Returns the row ranges and the file size.
pub fn write_samples_file(
    storage: &Storage,
    rel: &str,
    series: &[SeriesSamples],
    parts: &[SeriesPart],
) -> Result<(Vec<WrittenRange>, u64)> {
    let mut writer = SamplesFileWriter::create(storage, rel)?;
    for part in parts {
        let s = &series[part.index];
        writer.append(
            part.index,
            s,
            &s.timestamps[part.range.clone()],
            &s.values[part.range.clone()],
        )?;
    }
    writer.finish()
}

/// A samples file being written, a series at a time, in `(metric, series id)` order.
pub struct SamplesFileWriter<'a> {
    storage: &'a Storage,
    file: StagedParquet,
    ranges: Vec<WrittenRange>,
    chunk: ChunkBuilder,
    row: u64,
}

impl<'a> SamplesFileWriter<'a> {
    /// Starts the file `rel` under its staging name.
    pub fn create(storage: &'a Storage, rel: &str) -> Result<Self> {
        let file = StagedParquet::create(storage, rel, samples_schema(), samples_writer_properties())?;
        Ok(SamplesFileWriter {
            storage,
            file,
            ranges: Vec::new(),
            chunk: ChunkBuilder::default(),
            row: 0,
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.row
    }

    /// Appends the samples `ts`/`vs` (non-empty, strictly increasing times) of `s`, which
    /// the caller knows as `series`; it must sort after every series appended before.
    pub fn append(&mut self, series: usize, s: &SeriesSamples, ts: &[i64], vs: &[f64]) -> Result<()> {
        self.ranges.push(WrittenRange {
            series,
            row_start: self.row,
            row_count: ts.len() as u64,
            min_time: ts[0],
            max_time: ts[ts.len() - 1],
        });
        self.row += ts.len() as u64;
        self.chunk.push(s, ts, vs);
        if self.chunk.rows() >= CHUNK_ROWS {
            let batch = self.chunk.finish(self.file.path())?;
            self.file.write(&batch)?;
        }
        Ok(())
    }

    /// Where the series appended last went.
    pub fn last_range(&self) -> Option<&WrittenRange> {
        self.ranges.last()
    }

    /// Drops the file unpublished.
    pub fn abandon(self) -> Result<()> {
        self.file.discard(self.storage)
    }

    /// Closes and publishes the file; returns where each series' rows are and its size.
    pub fn finish(mut self) -> Result<(Vec<WrittenRange>, u64)> {
        if self.chunk.rows() > 0 {
            let batch = self.chunk.finish(self.file.path())?;
            self.file.write(&batch)?;
        }
        let bytes = self.file.publish(self.storage)?;
        Ok((self.ranges, bytes))
    }
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
