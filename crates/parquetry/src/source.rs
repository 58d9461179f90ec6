//! The store as a source of raw samples for the PromQL evaluator.

use parquetry_model::Matcher;
use parquetry_promql::eval::{EvalError, RawSeries, SeriesSource};
use parquetry_store::{SeriesBatch, Store};
use rayon::prelude::*;
use std::ops::Range;

/// Series per batch read from the files.
const BATCH_SERIES: usize = 512;

/// Reads a store snapshot's series for the evaluator: batches of series in parallel, with
/// at most one batch per thread in memory before the evaluator reduces them.
pub struct StoreSource<'a>(pub &'a Store);

fn to_raw(batch: SeriesBatch) -> Vec<RawSeries> {
    (0..batch.series.len())
        .filter_map(|i| {
            let (ts, vs) = batch.samples(i);
            (!ts.is_empty()).then(|| RawSeries {
                labels: (*batch.series[i].labels).clone(),
                drop_name: false,
                timestamps: ts.to_vec(),
                values: vs.to_vec(),
            })
        })
        .collect()
}

fn storage(e: parquetry_store::StoreError) -> EvalError {
    EvalError::Storage(e.to_string())
}

impl SeriesSource for StoreSource<'_> {
    fn select_batches(
        &self,
        matchers: &[Matcher],
        min_time: i64,
        max_time: i64,
        each: &mut dyn FnMut(Vec<RawSeries>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let selection = self.0.select(matchers, min_time, max_time).map_err(storage)?;
        let n = selection.series().len();
        let ranges: Vec<Range<usize>> = (0..n)
            .step_by(BATCH_SERIES)
            .map(|s| s..(s + BATCH_SERIES).min(n))
            .collect();
        // Read as many batches at once as there are threads, then hand them over in order.
        for group in ranges.chunks(rayon::current_num_threads().max(1)) {
            let batches: Vec<SeriesBatch> = group
                .par_iter()
                .map(|r| selection.read(r.clone()))
                .collect::<Result<_, _>>()
                .map_err(storage)?;
            for batch in batches {
                each(to_raw(batch))?;
            }
        }
        Ok(())
    }
}
