//! The store as a source of raw samples for the PromQL evaluator.

use parquetry_model::Matcher;
use parquetry_promql::eval::{EvalError, RawSeries, SeriesSource};
use parquetry_store::Store;
use rayon::prelude::*;

/// Series per batch read in parallel.
const BATCH_SERIES: usize = 512;

/// Reads a store snapshot's series for the evaluator, batches of series in parallel.
pub struct StoreSource<'a>(pub &'a Store);

impl SeriesSource for StoreSource<'_> {
    fn select(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
    ) -> Result<Vec<RawSeries>, EvalError> {
        let selection = self
            .0
            .select(matchers, min_time, max_time)
            .map_err(|e| EvalError::Storage(e.to_string()))?;
        let n = selection.series().len();
        let ranges: Vec<std::ops::Range<usize>> = (0..n)
            .step_by(BATCH_SERIES)
            .map(|s| s..(s + BATCH_SERIES).min(n))
            .collect();
        let batches: Vec<_> = ranges
            .into_par_iter()
            .map(|r| selection.read(r))
            .collect::<Result<_, _>>()
            .map_err(|e| EvalError::Storage(e.to_string()))?;
        let mut out = Vec::with_capacity(n);
        for batch in batches {
            for (i, s) in batch.series.iter().enumerate() {
                let (ts, vs) = batch.samples(i);
                if ts.is_empty() {
                    continue;
                }
                out.push(RawSeries {
                    labels: (*s.labels).clone(),
                    drop_name: false,
                    timestamps: ts.to_vec(),
                    values: vs.to_vec(),
                });
            }
        }
        Ok(out)
    }
}
