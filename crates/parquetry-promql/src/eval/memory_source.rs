//! Series held in memory as a source for the evaluator's tests.

use super::{EvalError, RawSeries, SeriesSource};
use parquetry_model::Matcher;

/// Series in memory, handed over `batch` at a time in the order they are listed (not
/// label order, as the store reads them by series id).
pub(crate) struct MemorySource {
    /// The series, in the order the source reads them.
    pub series: Vec<RawSeries>,
    /// Most series per batch.
    pub batch: usize,
}

impl MemorySource {
    /// All `series` in one batch.
    pub fn new(series: Vec<RawSeries>) -> Self {
        MemorySource {
            series,
            batch: usize::MAX,
        }
    }
}

impl SeriesSource for MemorySource {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let selected: Vec<RawSeries> = self
            .series
            .iter()
            .filter(|s| s.labels.matches_all(matchers))
            .map(|s| {
                let from = s.timestamps.partition_point(|t| *t < min_time);
                let to = s.timestamps.partition_point(|t| *t <= max_time);
                RawSeries {
                    labels: s.labels.clone(),
                    drop_name: false,
                    timestamps: s.timestamps.slice(from, to - from),
                    values: s.values.slice(from, to - from),
                }
            })
            .collect();
        if selected.is_empty() {
            return each(selected);
        }
        for chunk in selected.chunks(self.batch) {
            each(chunk.to_vec())?;
        }
        Ok(())
    }
}
