//! The shapes in which samples enter and leave the store.

use arrow::array::{Float64Array, Int64Array};
use arrow::buffer::ScalarBuffer;
use parquetry_model::{Labels, SeriesId};
use std::sync::Arc;

/// The samples of one series handed to a writer: timestamps strictly increasing, one
/// value per timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSamples {
    /// The series' stable id (must equal `SeriesId::of(&labels)`).
    pub id: SeriesId,
    /// The series' labels, `__name__` included.
    pub labels: Arc<Labels>,
    /// Sample times in milliseconds, strictly increasing.
    pub timestamps: Vec<i64>,
    /// Sample values, as many as timestamps.
    pub values: Vec<f64>,
}

impl SeriesSamples {
    /// An empty series named by `labels`.
    pub fn new(labels: Labels) -> SeriesSamples {
        SeriesSamples {
            id: SeriesId::of(&labels),
            labels: Arc::new(labels),
            timestamps: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The metric name, or `""` for a series without one.
    pub fn metric(&self) -> &str {
        self.labels.metric_name().unwrap_or("")
    }
}

/// The samples of one series as read from the store: slices of the buffers its rows were
/// decoded into when they all come from one file (shared, not copied), merged copies
/// otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesColumns {
    /// The series' stable id.
    pub id: SeriesId,
    /// The series' labels, `__name__` included.
    pub labels: Arc<Labels>,
    /// Sample times in milliseconds, strictly increasing.
    pub timestamps: ScalarBuffer<i64>,
    /// Sample values, as many as timestamps.
    pub values: ScalarBuffer<f64>,
}

impl From<SeriesColumns> for SeriesSamples {
    /// The samples as owned vectors: a buffer shared with others or sliced is copied,
    /// one held alone is taken as it is.
    fn from(c: SeriesColumns) -> SeriesSamples {
        SeriesSamples {
            id: c.id,
            labels: c.labels,
            timestamps: c.timestamps.into(),
            values: c.values.into(),
        }
    }
}

/// One selected series: who it is, before any sample is read.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectedSeries {
    /// Position of the series in the store's catalog.
    pub ordinal: u32,
    /// The series' stable id.
    pub id: SeriesId,
    /// The series' labels.
    pub labels: Arc<Labels>,
}

/// Samples of several series read together, as Arrow arrays.
///
/// Series `i` owns rows `offsets[i]..offsets[i + 1]` of `timestamps` and `values`, sorted by
/// time, one sample per timestamp; a series may own no rows.
#[derive(Clone, Debug)]
pub struct SeriesBatch {
    /// The series, in catalog order.
    pub series: Vec<SelectedSeries>,
    /// `series.len() + 1` row offsets.
    pub offsets: Vec<usize>,
    /// All sample times, series after series.
    pub timestamps: Int64Array,
    /// All sample values, series after series.
    pub values: Float64Array,
}

impl SeriesBatch {
    /// Times and values of series `i` of the batch.
    pub fn samples(&self, i: usize) -> (&[i64], &[f64]) {
        let range = self.offsets[i]..self.offsets[i + 1];
        (
            &self.timestamps.values()[range.clone()],
            &self.values.values()[range],
        )
    }

    /// Total number of samples in the batch.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when the batch has no samples.
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }
}
